"""A light interactive plotly chart widget: plotly.js loaded once per page, clicks to Python.

Why not ``go.FigureWidget``: since plotly 6 it is an anywidget whose synced state carries
plotly's whole front-end bundle (``_esm``, about 4.9 MB) in EVERY instance. anywidget loads
each instance's ESM as its own module (no sharing by content), so the dashboard's five
figures shipped and evaluated ~25 MB (11 s to a first render), and a notebook saved with
its widget state grew by 25 MB.

:class:`PlotlyView` keeps the figure as plotly JSON in one string trait and a front end of
a few KB. plotly.js itself is in no widget state. The front end uses the page's
``window.Plotly`` (plotly.js defines it when evaluated) once there is one; JupyterLab's
plotly extension, already downloaded with the page, evaluates its copy when it draws a
plotly output, and :func:`page_loader` gives it one to draw (an empty figure in a hidden
``Output``), so in JupyterLab the charts need no kernel round trip and no extra bytes.
Elsewhere (no extension on the page) the front end asks the kernel, once per page, for the
``plotly.min.js`` of the installed ``plotly`` package: one binary comm buffer, evaluated as
a classic script, offline. Every other view on the page awaits that same load.

A click on a point comes back as a custom message and goes through plotly's own trace
dispatch (``trace._dispatch_on_click``), so ``trace.on_click`` callbacks registered on the
Python :class:`plotly.graph_objects.Figure` work as they did with a FigureWidget. Hover
labels are drawn by plotly.js in the browser.
"""

from __future__ import annotations

import functools
from typing import Any

import anywidget
import ipywidgets as w
import plotly.graph_objects as go
import plotly.io as pio
import traitlets
from plotly.callbacks import Points

_ESM = r"""
const KEY = Symbol.for("logpilot.plotly.js");
const GRACE_MS = 300;       // let a page loader (JupyterLab's plotly extension) start first
const EXTENSION_MS = 10000; // the extension is drawing on this page: its plotly.js is coming
const RETRY_MS = 15000;     // a request lost with its model (cell re-run) is asked again

const hasPlotly = () => !!(globalThis.Plotly && typeof globalThis.Plotly.react === "function");

function pageState() {
  let st = globalThis[KEY];
  if (!st) {
    st = globalThis[KEY] = { requestedAt: 0, started: false };
    st.promise = new Promise((resolve, reject) => { st.resolve = resolve; st.reject = reject; });
  }
  return st;
}

function evaluate(st, buffers) {
  st.started = true;
  const url = URL.createObjectURL(new Blob(buffers, { type: "text/javascript" }));
  const script = document.createElement("script");
  const done = (err) => {
    URL.revokeObjectURL(url);
    if (!err && hasPlotly()) { st.resolve(globalThis.Plotly); return; }
    delete globalThis[KEY];  // the next view asks again
    st.reject(err || new Error("plotly.js loaded without defining Plotly"));
  };
  script.onload = () => done(null);
  script.onerror = () => done(new Error("plotly.js failed to evaluate"));
  script.src = url;
  document.head.appendChild(script);
}

// plotly.js once per page: the page's own Plotly, or one copy asked from the kernel.
function loadPlotly(model) {
  if (hasPlotly()) return { promise: Promise.resolve(globalThis.Plotly), stop() {} };
  const st = pageState();
  const since = Date.now();
  const onMsg = (msg, buffers) => {
    if (!msg || msg.type !== "plotly-js" || st.started) return;
    if (!buffers || !buffers.length) { st.reject(new Error(msg.error || "no plotly.js from the kernel")); return; }
    evaluate(st, buffers);
  };
  const tick = () => {
    if (st.started) return;
    if (hasPlotly()) { st.started = true; st.resolve(globalThis.Plotly); return; }
    const waited = Date.now() - since;
    const extension = document.querySelector(".jp-RenderedPlotly") !== null;
    if (waited < GRACE_MS || (extension && waited < EXTENSION_MS)) return;
    if (Date.now() - st.requestedAt < RETRY_MS) return;
    st.requestedAt = Date.now();
    try { model.send({ type: "plotly-js" }); } catch (e) { st.requestedAt = 0; }
  };
  model.on("msg:custom", onMsg);
  const timer = setInterval(tick, 100);
  const stop = () => { clearInterval(timer); model.off("msg:custom", onMsg); };
  st.promise.then(stop, stop);
  return { promise: st.promise, stop };
}

function render({ model, el }) {
  el.classList.add("lp-plotly-view");
  el.style.width = "100%";
  const div = document.createElement("div");
  div.style.width = "100%";
  el.appendChild(div);
  let Plotly = null, drawn = false, alive = true, bound = false;

  const bind = () => {
    if (bound || typeof div.on !== "function") return;
    bound = true;
    div.on("plotly_click", (ev) => {
      const points = (ev && ev.points || []).map((p) => ({
        trace: p.curveNumber, index: p.pointNumber, x: p.x, y: p.y }));
      if (points.length) model.send({ type: "click", points });
    });
  };
  const draw = () => {
    if (!Plotly || !alive || div.clientWidth === 0) return;  // drawn once the view has a width
    let fig = {};
    try { fig = JSON.parse(model.get("figure_json") || "{}"); } catch (e) { fig = {}; }
    drawn = true;
    Plotly.react(div, fig.data || [], fig.layout || {}, model.get("config") || {})
      .then(bind, (e) => console.error("logpilot chart not drawn:", e));
  };
  const resized = () => {
    if (!Plotly || !alive || div.clientWidth === 0) return;
    if (!drawn) draw(); else Plotly.Plots.resize(div);
  };
  const observer = new ResizeObserver(resized);
  observer.observe(el);
  model.on("change:figure_json", draw);
  const load = loadPlotly(model);
  load.promise.then((P) => { Plotly = P; draw(); }, (err) => {
    div.textContent = "chart not drawn: " + (err && err.message || err);
  });
  return () => {
    alive = false;
    load.stop();
    observer.disconnect();
    model.off("change:figure_json", draw);
    if (Plotly) Plotly.purge(div);
  };
}

export default { render };
"""


@functools.lru_cache(maxsize=1)
def plotly_js() -> bytes:
    """The plotly.js bundle that ships with the installed ``plotly`` package."""
    from plotly.offline import get_plotlyjs

    return get_plotlyjs().encode("utf-8")


def page_loader() -> w.Output:
    """A hidden ``Output`` holding an empty figure as ``application/vnd.plotly.v1+json``:
    JupyterLab's plotly extension draws it, which evaluates its plotly.js (part of the page
    already) and defines ``window.Plotly`` for the views; display it with the views (first)."""
    out = w.Output(layout=w.Layout(display="none"))
    out.outputs = ({"output_type": "display_data", "metadata": {},
                    "data": {"application/vnd.plotly.v1+json": {"data": [], "layout": {}},
                             "text/plain": "(plotly.js for the charts)"}},)
    return out


def figure_json(fig: go.Figure) -> str:
    """``fig`` as plotly JSON (plotly's encoder: timestamps, numpy and pandas values)."""
    return pio.to_json(fig, validate=False)


class PlotlyView(anywidget.AnyWidget):
    """``PlotlyView(figure)``: an interactive view of a plain ``go.Figure`` (see the module
    docstring). Change the figure in place, then call :meth:`sync` to redraw."""

    _esm = _ESM
    figure_json = traitlets.Unicode("{}").tag(sync=True)
    config = traitlets.Dict({"displaylogo": False}).tag(sync=True)

    def __init__(self, figure: go.Figure, **kwargs: Any) -> None:
        # The first data travels in the state the view is created from.
        super().__init__(figure_json=figure_json(figure), **kwargs)
        self.figure = figure
        self.plotly_js_sent = 0  # how many times this view sent plotly.js (tests, benchmarks)
        self.on_msg(self._on_msg)

    def sync(self) -> None:
        """Send the figure's current data and layout to the browser (one message)."""
        text = figure_json(self.figure)
        if text != self.figure_json:
            self.figure_json = text

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "plotly-js":
            self.plotly_js_sent += 1
            self.send({"type": "plotly-js"}, buffers=[plotly_js()])
        elif kind == "click":
            self.dispatch_click(content.get("points") or [])

    def dispatch_click(self, points: list[dict[str, Any]]) -> None:
        """Hand a browser click (plotly.js ``plotly_click`` points) to the clicked traces'
        ``on_click`` callbacks, one :class:`plotly.callbacks.Points` per trace."""
        by_trace: dict[int, list[dict[str, Any]]] = {}
        for p in points:
            t = p.get("trace")
            if isinstance(t, int) and 0 <= t < len(self.figure.data):
                by_trace.setdefault(t, []).append(p)
        for t, pts in by_trace.items():
            trace = self.figure.data[t]
            trace._dispatch_on_click(Points(point_inds=[p.get("index") for p in pts],
                                            xs=[p.get("x") for p in pts],
                                            ys=[p.get("y") for p in pts],
                                            trace_name=trace.name, trace_index=t), None)
