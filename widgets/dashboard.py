"""The analyst dashboard: filters, KPIs, five plotly charts, click-to-drill, explain a spike.

A composite ``VBox`` over one workspace. Every number comes from
:mod:`.dashboard_data` (DuckDB aggregates); this module only wires widgets: a filter
change or a click sets :attr:`Dashboard.filters` / :attr:`Dashboard.selection` and calls
:meth:`Dashboard.refresh`. Callback errors go to the status line (never swallowed, never a
dead widget): every handler runs through :meth:`Dashboard._guard`.

Why the charts are :class:`.plotly_view.PlotlyView` widgets over plain ``go.Figure``
objects instead of ``go.FigureWidget``: with plotly >= 6 each FigureWidget carries plotly's
4.9 MB front-end bundle in its own state, so five of them made the first render wait for
~25 MB (11 s) and a notebook saved with widget state 25 MB heavier. A PlotlyView holds its
figure as JSON, loads plotly.js once per page (in JupyterLab the plotly extension's copy,
through :func:`.plotly_view.page_loader`), and routes clicks through the traces'
``on_click`` callbacks of the plain figure in :attr:`Dashboard.figures`; its initial state
already holds the first render's data (the blank-first-render fix of plotly >= 6 FigureWidgets
stays true by construction).
"""

from __future__ import annotations

import datetime as dt
import html
import time
from dataclasses import dataclass
from typing import Any, Callable, Iterable

import ipywidgets as w
import pandas as pd
import plotly.graph_objects as go

from . import dashboard_data as D
from . import dashboard_figures as F
from .plotly_view import PlotlyView, page_loader


Selection = D.Selection  # what a click picked; the rules live in the data layer


@dataclass
class _Computed:
    """One render's numbers, computed before any widget changes."""

    render: D.Render
    filters: D.Filters
    drill: pd.DataFrame
    drill_total: int


def _load_command(path: str) -> str:
    return (f"<code>%logpilot ingest PATH...</code> in a notebook, or "
            f"<code>logpilot ingest PATH... --workspace {html.escape(path)}</code>")


class Dashboard(w.VBox):
    """``Dashboard(workspace, period="all", service=None)``: see the module docstring.

    ``period`` accepts what :func:`dashboard_data.parse_period` reads (default ``"all"``:
    the data's own time range, whatever year it is from); ``service`` one
    name, ``"a,b"`` or a list. ``frames``, ``kpis`` and ``drill`` hold what was last
    rendered, so tests and notebooks can read the state without a browser.
    """

    def __init__(self, workspace: Any, period: Any = "all",
                 service: str | Iterable[str] | None = None, *,
                 severities: Iterable[str] | None = None, text: str = "",
                 top_n: int = 10, drill_rows: int = 50, **kwargs: Any) -> None:
        self.workspace = workspace
        hold = getattr(workspace, "hold", None)
        if hold is not None:  # a notebook's close() waits until this widget is closed (Workspace.hold)
            hold(self)
        self.top_n = top_n
        self.drill_rows = drill_rows
        self.selection: Selection | None = None
        self.frames: dict[str, pd.DataFrame] = {}
        self.kpis: dict[str, Any] = {}
        self.drill: pd.DataFrame = pd.DataFrame()
        self.drill_total = 0
        self.bucket: tuple[str, int] = D.BUCKETS[3]
        self.render_seconds = 0.0
        self.hourly = False
        self.rendered: D.Filters | None = None  # the filters of the last successful render
        self.last_error: str | None = None
        self._quiet = True  # filter observers stay silent while the constructor sets values

        self.title = w.HTML()
        self.period_box = w.Text(value=str(period if period is not None else "all"),
                                 description="Period", continuous_update=False,
                                 placeholder="all, YYYY, YYYY-MM, last 7d, A..B",
                                 layout=w.Layout(width="300px"))
        self.service_box = w.SelectMultiple(description="Services", rows=4,
                                            layout=w.Layout(width="260px"))
        self.severity_box = w.SelectMultiple(options=list(D.SEVERITIES), description="Severity",
                                             rows=4, layout=w.Layout(width="220px"))
        self.text_box = w.Text(value=text, description="Template", continuous_update=False,
                               placeholder="text in the template", layout=w.Layout(width="300px"))
        self.notice = w.HTML()
        self.kpi_html = w.HTML()
        self.templates_table = w.HTML()
        self.selection_html = w.HTML("<i>Click a bar or point to drill down.</i>")
        self.clear_button = w.Button(description="Clear selection", icon="times",
                                     layout=w.Layout(width="150px"), disabled=True)
        self.explain_button = w.Button(description="Explain this spike", icon="search",
                                       button_style="warning", layout=w.Layout(width="170px"))
        self.drill_html = w.HTML()
        self.why_out = w.Output()
        self.status_line = w.HTML()
        self.status_line.add_class("lp-status")
        self.discover_button = w.Button(description="Discover", icon="list",
                                        tooltip="open the Discover panel on this view",
                                        layout=w.Layout(width="120px"))
        self.discover_out = w.Output()

        self._wire_filters()
        self._init_options(D.as_tuple(service), tuple(s.upper() for s in severities or ()))
        # The first render is computed before the figures exist, so its data is part of
        # each view's initial state (see the module docstring).
        t0 = time.perf_counter()
        first = self._guard("render", self._compute)
        static = F.empty_figures(go.Figure)
        if first is not None:
            F.fill(static, first.render.frames, first.render.hourly, first.render.bucket[1])
        self.figures: dict[str, go.Figure] = static  # what the charts show; clicks bind here
        self.views = {name: PlotlyView(fig, layout=w.Layout(width="100%"))
                      for name, fig in static.items()}

        boxes = {}
        for name, view in self.views.items():
            wide = name in ("volume", "new_templates")
            box = w.Box([view], layout=w.Layout(width="100%" if wide else "50%"))
            box.add_class(f"lp-chart-{name.replace('_', '-')}")
            boxes[name] = box
        self.charts = w.VBox([
            self.kpi_html,
            boxes["volume"],
            w.HBox([boxes["failures"], boxes["heatmap"]]),
            w.HBox([boxes["templates"], w.Box([self.templates_table],
                                                layout=w.Layout(width="50%", overflow="auto"))]),
            boxes["new_templates"],
            w.HBox([self.selection_html, self.clear_button, self.explain_button,
                    self.discover_button]),
            self.drill_html,
            self.why_out,
            self.discover_out,
        ])
        filters = w.HBox([w.VBox([self.period_box, self.text_box]), self.service_box,
                          self.severity_box])
        # First child: its plotly output makes JupyterLab evaluate plotly.js for the views.
        super().__init__([page_loader(), self.title, filters, self.notice, self.charts,
                          self.status_line], **kwargs)
        self.add_class("lp-dashboard")
        self.drill_html.add_class("lp-drill-box")

        self._wire_clicks()
        self._quiet = False
        if first is not None:
            self._guard("render", lambda: self._show(first, t0, filled=True))
        elif self.last_error is None:
            self._guard("render", self.refresh)  # the empty workspace's notice

    # ----------------------------------------------------------------- wiring
    def _wire_filters(self) -> None:
        for box in (self.period_box, self.service_box, self.severity_box, self.text_box):
            box.observe(lambda _c: self._on_filter(), names="value")

    def _wire_clicks(self) -> None:
        self.clear_button.on_click(lambda _b: self._guard("clear selection", self.clear_selection))
        self.explain_button.on_click(lambda _b: self.explain())
        self.discover_button.on_click(lambda _b: self._guard("discover", self.discover))
        # Traces are fixed (see dashboard_figures): bind the clicks once.
        for trace in self.figures["volume"].data:
            trace.on_click(self._click_handler(self._volume_selection))
        self.figures["failures"].data[0].on_click(self._click_handler(self._service_selection))
        self.figures["heatmap"].data[0].on_click(self._click_handler(self._heatmap_selection))
        self.figures["templates"].data[0].on_click(self._click_handler(self._template_selection))
        self.figures["new_templates"].data[0].on_click(self._click_handler(self._new_selection))

    def _init_options(self, services: tuple[str, ...], severities: tuple[str, ...]) -> None:
        try:
            cur = self.workspace.cursor()
            try:
                self.extent = D.extent(cur)
            finally:
                cur.close()
        except Exception as exc:  # shown in the status line by refresh as well
            self.extent = D.Extent(0, None, None, [])
            self._error("open", exc)
        known = list(self.extent.services)
        self.period_box.placeholder = D.period_examples(self.extent)
        self.service_box.options = known + [s for s in services if s not in known]
        self.service_box.value = services
        self.severity_box.value = tuple(s for s in severities if s in D.SEVERITIES)

    def _on_filter(self) -> None:
        if not self._quiet:
            self.selection = None
            self._guard("filter", self.refresh)

    def _click_handler(self, pick: Callable[[Any, Any], Selection | None]) -> Callable[..., None]:
        def handler(trace: Any, points: Any, _state: Any) -> None:
            if not getattr(points, "point_inds", None):
                return
            self._guard("click", lambda: self._select(pick(trace, points)))
        return handler

    def _guard(self, what: str, fn: Callable[[], Any]) -> Any:
        """Run a callback; an exception is shown in the status line and kept in ``last_error``."""
        try:
            return fn()
        except Exception as exc:
            self._error(what, exc)
            return None

    def _error(self, what: str, exc: BaseException) -> None:
        self.last_error = f"{what} failed: {type(exc).__name__}: {exc}"
        self.status_line.value = (f"<span style='color:#b00'>&#9888; {html.escape(self.last_error)}"
                                  "</span>")

    def _status(self, text: str) -> None:
        self.last_error = None
        self.status_line.value = f"<span style='color:#555'>{html.escape(text)}</span>"

    # ----------------------------------------------------------------- filters
    @property
    def filters(self) -> D.Filters:
        """The filters chosen in the filter bar (before any click selection)."""
        start, end = D.parse_period(self.period_box.value, self.extent)
        return D.Filters(start=start, end=end, services=tuple(self.service_box.value),
                         severities=tuple(self.severity_box.value),
                         text=self.text_box.value.strip())

    @property
    def effective(self) -> D.Filters:
        """The filters every chart shows: the filter bar narrowed by the click selection."""
        f = self.filters
        return self.selection.apply(f) if self.selection else f

    def set_filters(self, *, period: Any = None, services: Iterable[str] | None = None,
                    severities: Iterable[str] | None = None, text: str | None = None) -> None:
        """Change several filters with one re-render (the API behind the filter bar)."""
        self._quiet = True
        try:
            if period is not None:
                self.period_box.value = str(period)
            if services is not None:
                wanted = D.as_tuple(services)
                extra = [s for s in wanted if s not in self.service_box.options]
                if extra:
                    self.service_box.options = list(self.service_box.options) + extra
                self.service_box.value = wanted
            if severities is not None:
                self.severity_box.value = tuple(s.upper() for s in severities)
            if text is not None:
                self.text_box.value = text
        finally:
            self._quiet = False
        self.selection = None
        self._guard("filter", self.refresh)

    # ----------------------------------------------------------------- render
    def refresh(self) -> None:
        """Recompute every aggregate for :attr:`effective` and update the widgets in place."""
        t0 = time.perf_counter()
        computed = self._compute()
        if computed is None:
            self._empty_workspace()
            return
        self._show(computed, t0)

    def _compute(self) -> _Computed | None:
        """The aggregates of :attr:`effective` (None: the workspace holds no rows)."""
        if self.extent.rows == 0:  # empty so far: data may have been loaded since
            cur = self.workspace.cursor()
            try:
                self.extent = D.extent(cur)
            finally:
                cur.close()
            if self.extent.rows:
                self._quiet = True
                try:
                    self.service_box.options = list(self.extent.services)
                finally:
                    self._quiet = False
        if self.extent.rows == 0:
            return None
        f = self.effective
        cur = self.workspace.cursor()
        try:
            r = D.render(cur, f, self.top_n)
            drill, total = D.drilldown(cur, f, self.drill_rows) if self.selection else (pd.DataFrame(), 0)
        finally:
            cur.close()
        return _Computed(r, f, drill, total)

    def _show(self, c: _Computed, t0: float, filled: bool = False) -> None:
        """Put computed numbers in the widgets (``filled``: the figures already hold them)."""
        r, f = c.render, c.filters
        k, frames, hourly, self.bucket = r.kpis, r.frames, r.hourly, r.bucket
        self.kpis, self.frames, self.hourly, self.rendered = k, frames, hourly, f
        self.drill, self.drill_total = c.drill, c.drill_total
        with self.hold_sync():
            self._title(f)
            self.charts.layout.display = None
            self.kpi_html.value = F.kpi_html(k)
            if not filled:
                self._fill(frames, hourly)
            self.templates_table.value = F.templates_html(frames["templates"])
            self._show_selection()
            if k["volume"] == 0:
                self.notice.value = self._no_rows_text(f)
            else:
                self.notice.value = ""
        self.render_seconds = time.perf_counter() - t0
        self._status(f"{k['volume']:,} rows in view; rendered in {self.render_seconds * 1000:.0f} ms")

    def _fill(self, frames: dict[str, pd.DataFrame], hourly: bool) -> None:
        # The plain figures change in Python; each view then sends one message.
        F.fill(self.figures, frames, hourly, self.bucket[1])
        for view in self.views.values():
            view.sync()

    def _title(self, f: D.Filters) -> None:
        span = f"{f.start:%Y-%m-%d %H:%M} – {f.end:%Y-%m-%d %H:%M} UTC"
        self.title.value = (f"<b style='font-size:16px'>LogPilot dashboard</b> "
                            f"<code>{html.escape(str(self.workspace.path))}</code> — {span}, "
                            f"bucket {self.bucket[0]}")

    def _no_rows_text(self, f: D.Filters) -> str:
        held = (f"{self.extent.first:%Y-%m-%d %H:%M} to {self.extent.last:%Y-%m-%d %H:%M}"
                if self.extent.first else "nothing")
        return (f"<div class='lp-empty' style='padding:8px;background:#fff8e1'>No rows match "
                f"period <b>{html.escape(self.period_box.value)}</b> "
                f"({f.start:%Y-%m-%d %H:%M} – {f.end:%Y-%m-%d %H:%M}) with these filters. "
                f"The workspace holds {self.extent.rows:,} rows from {held} UTC: try another "
                "period (for example <code>all</code>).</div>")

    def _empty_workspace(self) -> None:
        self.kpis, self.frames = {}, {}
        self.charts.layout.display = "none"
        self.title.value = "<b style='font-size:16px'>LogPilot dashboard</b>"
        self.notice.value = (
            "<div class='lp-empty' style='padding:8px;background:#fff8e1'>This workspace "
            f"(<code>{html.escape(str(self.workspace.path))}</code>) holds no logs yet. "
            f"Load some with {_load_command(str(self.workspace.path))}, then press "
            "Enter in the Period box or call <code>refresh()</code>.</div>")
        self._status("empty workspace")

    # --------------------------------------------------------------- clicks
    def _volume_selection(self, trace: Any, points: Any) -> Selection:
        # A segment of the stacked bar: its bucket and its severity (the trace's name).
        t = pd.Timestamp(points.xs[0]).to_pydatetime()
        return Selection.bucket(t, self.bucket[1], self.bucket[0], severity=trace.name)

    def _service_selection(self, trace: Any, points: Any) -> Selection:
        return Selection.failures(str(points.xs[0]))

    def _heatmap_selection(self, trace: Any, points: Any) -> Selection:
        svc = str(points.ys[0])
        if self.hourly:
            t = self._hour_of_label(str(points.xs[0]))
            return Selection(f"{svc} at {t:%Y-%m-%d %H}:00", start=t,
                             end=t + dt.timedelta(hours=1), service=svc)
        return Selection(f"service {svc}", service=svc)

    def _hour_of_label(self, label: str) -> dt.datetime:
        """The clock hour behind a heatmap column label (``05-30 03h``)."""
        hours = self.frames["heatmap"]["hour"].drop_duplicates()
        for h in hours:
            if pd.Timestamp(h).strftime("%m-%d %Hh") == label:
                return pd.Timestamp(h).to_pydatetime()
        raise ValueError(f"no heatmap column {label!r}")

    def _template_selection(self, trace: Any, points: Any) -> Selection:
        rec = self.frames["templates"].iloc[points.point_inds[0]]
        return Selection(f"template {F._short(rec['template'], 50)}",
                         template_id=str(rec["template_id"]))

    def _new_selection(self, trace: Any, points: Any) -> Selection:
        rec = self.frames["new_templates"].iloc[points.point_inds[0]]
        return Selection(f"new template {F._short(rec['template'], 50)}",
                         template_id=str(rec["template_id"]))

    def select(self, selection: Selection | None) -> None:
        """Apply a click selection programmatically (what a click on a chart does)."""
        self._guard("select", lambda: self._select(selection))

    def _select(self, selection: Selection | None) -> None:
        if selection is None:
            return
        # A second click narrows the first: the window of one, the service of the other.
        if self.selection is not None:
            selection = self.selection.then(selection)
        self.selection = selection
        self.refresh()

    def clear_selection(self) -> None:
        """Back to the filter bar's view (drop what clicks selected)."""
        self.selection = None
        self.refresh()

    def _show_selection(self) -> None:
        sel = self.selection
        self.clear_button.disabled = sel is None
        if sel is None:
            self.selection_html.value = "<i>Click a bar or point to drill down.</i>"
            self.drill_html.value = ""
            return
        self.selection_html.value = f"Selected: <b>{html.escape(sel.label)}</b>"
        self.drill_html.value = F.drill_html(self.drill, self.drill_total, sel.label)

    # --------------------------------------------------------------- explain
    def explain(self, question: str = "") -> Any:
        """Run the why-engine on the selected window and service; the answer shows below.

        Imported lazily: the why-engine is optional at this layer, and a missing one (or
        any failure) is reported in the status line instead of breaking the dashboard.
        Returns the ``WhyAnswer``, or None when it failed.
        """
        return self._guard("explain this spike", lambda: self._explain(question))

    def _explain(self, question: str) -> Any:
        try:
            from ..why import why
        except ImportError as exc:
            raise RuntimeError("the why-engine (logpilot_kernel.why) is not available in this "
                               f"installation: {exc}") from None
        f = self.effective
        lo = self.kpis.get("first") or f.start
        hi = self.kpis.get("last") or f.end
        service = f.services[0] if len(f.services) == 1 else None
        question = question or (f"why did {service or 'errors'} spike between "
                                f"{lo:%Y-%m-%d %H:%M} and {hi:%Y-%m-%d %H:%M}?")
        self._status(f"explaining: {question}")
        answer = why(self.workspace, question, since=f.start, until=f.end, service=service)
        self.why_out.outputs = ()
        self.why_out.append_display_data(answer)
        self._status(f"explained: {question}")
        return answer

    def close(self) -> None:
        """Close the widget and let the workspace go (a close asked for meanwhile happens now)."""
        let_go = getattr(self.workspace, "let_go", None)
        if let_go is not None:
            let_go(self)
        super().close()

    def __repr__(self) -> str:
        # The default repr walks every child (figures included): megabytes in a notebook.
        f = self.rendered
        span = f"{f.start:%Y-%m-%d %H:%M}..{f.end:%Y-%m-%d %H:%M}" if f else "not rendered"
        return (f"<LogPilot Dashboard {self.workspace.path} {span}: "
                f"{self.kpis.get('volume', 0):,} rows>")

    # --------------------------------------------------------------- discover
    def discover(self) -> Any:
        """Open the Discover panel below the charts on what the dashboard shows now
        (period, services, severities, template text and the click selection)."""
        from .discover import Discover

        f = self.effective
        panel = Discover(self.workspace, period=(f.start, f.end), services=f.services,
                         severities=f.severities, text=f.text, template_id=f.template_id)
        self.discover_out.outputs = ()
        self.discover_out.append_display_data(panel)
        self.discover_panel = panel
        return panel

    # --------------------------------------------------------------- export
    def export(self, path: Any, *, include_plotlyjs: Any = True) -> Any:
        """A standalone HTML file of what the dashboard shows (see :mod:`.export`)."""
        from .export import export_html

        return export_html(self, path, include_plotlyjs=include_plotlyjs)
