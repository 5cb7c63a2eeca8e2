"""The Discover panel: histogram, field sidebar, query bar, expandable rows, patterns.

A thin ``VBox`` over :mod:`.discover_data`: every number and every rule (what a query
matches, what "+"/"-" on a value do, which rows are a record's neighbours) lives there;
this module arranges widgets and keeps :attr:`Discover.query` as the single state. Why no
plotly here: the histogram and sparklines are inline SVG, so the panel renders the first
time in any front-end, adds no JavaScript to the notebook and survives an HTML export.
Errors (a refused SQL fragment, a period not understood) show in the status line.
"""

from __future__ import annotations

import html
import time
from dataclasses import replace
from typing import Any, Callable, Iterable, Sequence

import ipywidgets as w
import pandas as pd

from ..errors import LogPilotError
from . import dashboard_data as D
from . import discover_data as X
from .dashboard_figures import COLORS, sparkline_svg


def histogram_svg(frame: pd.DataFrame, width: int = 900, height: int = 90) -> str:
    """Zero-filled bars (failures stacked in red) with the first and last bucket labelled."""
    if not len(frame):
        return "<i>no rows in this period</i>"
    hi = max(int(frame["rows"].max()), 1)
    n = len(frame)
    step = width / n
    bars = []
    for i, rec in enumerate(frame.itertuples(index=False)):
        h = rec.rows / hi * (height - 14)
        fh = rec.failures / hi * (height - 14)
        x = i * step
        tip = html.escape(f"{pd.Timestamp(rec.t):%Y-%m-%d %H:%M}: {rec.rows:,} rows, {rec.failures:,} failures")
        bars.append(f"<g><title>{tip}</title><rect x='{x:.1f}' y='{height - 14 - h:.1f}' "
                    f"width='{max(step - 1, 1):.1f}' height='{h:.1f}' fill='{COLORS['INFO']}'/>"
                    f"<rect x='{x:.1f}' y='{height - 14 - fh:.1f}' width='{max(step - 1, 1):.1f}' "
                    f"height='{fh:.1f}' fill='{COLORS['ERROR']}'/></g>")
    first, last = pd.Timestamp(frame["t"].iloc[0]), pd.Timestamp(frame["t"].iloc[-1])
    labels = (f"<text x='0' y='{height - 2}' font-size='10'>{first:%Y-%m-%d %H:%M}</text>"
              f"<text x='{width}' y='{height - 2}' font-size='10' text-anchor='end'>"
              f"{last:%Y-%m-%d %H:%M} UTC</text>"
              f"<text x='{width}' y='10' font-size='10' text-anchor='end'>max {hi:,}</text>")
    return (f"<svg class='lp-histogram' width='{width}' height='{height}' "
            f"data-buckets='{n}'>{''.join(bars)}{labels}</svg>")


def _cell(v: Any) -> str:
    return v.isoformat(sep=" ", timespec="milliseconds") if hasattr(v, "isoformat") else str(v)


def neighbours_html(frame: pd.DataFrame) -> str:
    """The record and its neighbours in the same file, the record highlighted."""
    if not len(frame):
        return "<i>the record is no longer in the workspace</i>"
    body = []
    for rec in frame.itertuples(index=False):
        style = " style='background:#fff3c4;font-weight:600'" if rec.here else ""
        body.append(f"<tr class='lp-neighbour{' lp-here' if rec.here else ''}'{style}>"
                    f"<td>{rec.origin_offset}</td><td>{html.escape(_cell(rec.timestamp))}</td>"
                    f"<td>{html.escape(str(rec.severity))}</td><td>{html.escape(str(rec.service_name))}</td>"
                    f"<td>{html.escape(str(rec.message)[:200])}</td></tr>")
    return (f"<div class='lp-neighbours' style='margin-left:24px'>"
            f"<div style='color:#666'>{html.escape(str(frame['origin'].iloc[0]))}, lines around "
            f"the record</div><table style='font-size:11px'><thead><tr><th>line</th><th>time</th>"
            f"<th>severity</th><th>service</th><th>message</th></tr></thead>"
            f"<tbody>{''.join(body)}</tbody></table></div>")


def patterns_html(frame: pd.DataFrame) -> str:
    if not len(frame):
        return "<i>no patterns</i>"
    body = "".join(
        f"<tr class='lp-pattern'><td><code>{html.escape(str(r.template)[:110])}</code></td>"
        f"<td>{html.escape(str(r.service))}</td><td style='text-align:right'>{int(r.rows):,}</td>"
        f"<td style='text-align:right'>{r.share * 100:.1f}%</td>"
        f"<td style='text-align:right'>{int(r.failures):,}</td>"
        f"<td>{sparkline_svg([int(v) for v in r.spark])}</td></tr>"
        for r in frame.itertuples(index=False))
    return ("<table class='lp-patterns' style='font-size:12px'><thead><tr><th>pattern</th>"
            "<th>service</th><th>rows</th><th>share</th><th>failures</th><th>trend</th></tr>"
            f"</thead><tbody>{body}</tbody></table>")


class Discover(w.VBox):
    """``Discover(workspace, period="all", services=(), severities=(), text="", where="")``.

    ``query`` is the state (a :class:`discover_data.Query`); ``hist``, ``field_summaries``,
    ``frame``/``total`` and ``expanded`` hold what was last rendered, so tests and notebooks
    read the panel without a browser. :meth:`filter_value`, :meth:`search` and
    :meth:`expand` are what the buttons call.
    """

    def __init__(self, workspace: Any, period: Any = "all", *, services: Iterable[str] = (),
                 severities: Iterable[str] = (), text: str = "", where: str = "",
                 template_id: str | None = None, page_rows: int = 25, **kwargs: Any) -> None:
        self.workspace = workspace
        self.page_rows = page_rows
        self.last_error: str | None = None
        self.expanded: dict[int, pd.DataFrame] = {}
        self.frame = pd.DataFrame()
        self.total = 0
        self.field_summaries: list[X.FieldSummary] = []
        self.hist: X.Histogram | None = None
        self._row_slots: list[tuple[w.Widget, w.Button, w.HTML, w.HTML]] = []
        self._head_slots: list[w.HTML] = []
        self._value_slots: list[tuple[w.Widget, w.Button, w.Button, w.HTML]] = []
        self._slot_field: dict[int, tuple[str, str]] = {}
        cur = workspace.cursor()
        try:
            self.extent = D.extent(cur)
        finally:
            cur.close()
        label = (f"{period[0]:%Y-%m-%dT%H:%M}..{period[1]:%Y-%m-%dT%H:%M}"
                 if isinstance(period, (tuple, list)) else str(period or "all"))
        start, end = D.parse_period(period, self.extent)
        inc = D.Filters(start, end, services=tuple(services), severities=tuple(severities),
                        text=text, template_id=template_id)
        self.query = replace(X.query_for(inc), sql=where)

        self.period_box = w.Text(value=label, description="Period", continuous_update=False,
                                 layout=w.Layout(width="320px"))
        self.query_box = w.Text(value=where or text, continuous_update=False,
                                placeholder="free text in message/template, or a SQL condition",
                                layout=w.Layout(width="480px"))
        self.query_box.add_class("lp-query")
        self.mode = w.ToggleButtons(options=["text", "SQL"], value="SQL" if where else "text",
                                    style={"button_width": "60px"})
        self.search_button = w.Button(description="Search", icon="search",
                                      button_style="primary", layout=w.Layout(width="100px"))
        self.search_button.add_class("lp-search")
        self.pills = w.HTML()
        self.clear_button = w.Button(description="Clear filters", layout=w.Layout(width="120px"))
        self.hist_html = w.HTML()
        self.sidebar = w.VBox(layout=w.Layout(width="300px", overflow="auto"))
        self.sidebar.add_class("lp-fields")
        self.rows_box = w.VBox(layout=w.Layout(flex="1"))
        self.rows_box.add_class("lp-rows")
        self.more_button = w.Button(description="More rows", layout=w.Layout(width="120px"))
        self.patterns_html = w.HTML()
        self.status_line = w.HTML()
        self.status_line.add_class("lp-status")

        self._quiet = False
        self.search_button.on_click(lambda _b: self._guard("search", self._from_bar))
        for box in (self.query_box, self.period_box):
            box.observe(lambda _c: None if self._quiet else self._guard("search", self._from_bar),
                        names="value")
        self.clear_button.on_click(lambda _b: self._guard("clear", lambda: self._set(self.query.clear_filters())))
        self.more_button.on_click(lambda _b: self._guard("more rows", self._more))

        bar = w.HBox([self.period_box, self.mode, self.query_box, self.search_button])
        body = w.HBox([self.sidebar, w.VBox([self.rows_box, self.more_button],
                                            layout=w.Layout(flex="1"))])
        super().__init__([w.HTML("<b style='font-size:16px'>LogPilot discover</b>"), bar,
                          w.HBox([self.pills, self.clear_button]), self.hist_html, body,
                          w.HTML("<b>Patterns</b>"), self.patterns_html, self.status_line],
                         **kwargs)
        self.add_class("lp-discover")
        self._guard("render", self.refresh)

    # ----------------------------------------------------------------- state
    def _guard(self, what: str, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except Exception as exc:
            self.last_error = (f"{what} failed: {exc}" if isinstance(exc, LogPilotError)
                               else f"{what} failed: {type(exc).__name__}: {exc}")
            self.status_line.value = f"<span style='color:#b00'>&#9888; {html.escape(self.last_error)}</span>"
            return None

    def _from_bar(self) -> None:
        start, end = D.parse_period(self.period_box.value, self.extent)
        text = self.query_box.value.strip()
        sql = text if self.mode.value == "SQL" else ""
        X.check_sql(sql)  # refuse before changing anything
        self._set(replace(self.query, start=start, end=end, sql=sql,
                          text="" if sql else text))

    def search(self, text: str = "", *, sql: str = "") -> None:
        """Run the query bar: free ``text``, or a SQL condition ``sql`` (guarded; a refusal
        shows in the status line and leaves the query as it was)."""
        self._quiet = True
        try:
            self.mode.value = "SQL" if sql else "text"
            self.query_box.value = sql or text
        finally:
            self._quiet = False
        self._guard("search", self._from_bar)

    def filter_value(self, name: str, value: str, *, out: bool = False) -> None:
        """What "+" (or "-" with ``out``) next to a value in the sidebar does."""
        self._guard("filter", lambda: self._set(self.query.toggle(name, value, out=out)))

    def _set(self, query: X.Query) -> None:
        self.query = query
        self.refresh()

    # ----------------------------------------------------------------- render
    def refresh(self) -> None:
        """Recompute histogram, fields, rows and patterns for :attr:`query`."""
        t0 = time.perf_counter()
        q = self.query
        cur = self.workspace.cursor()
        try:
            hist = X.histogram(cur, q)
            summaries = X.fields(cur, q)
            frame, total = X.rows(cur, q, self.page_rows)
            pats = X.patterns(cur, q)
        finally:
            cur.close()
        self.hist, self.field_summaries, self.frame, self.total = hist, summaries, frame, total
        self.expanded = {}
        with self.hold_sync():
            self.hist_html.value = (f"<div class='lp-hits'><b>{total:,}</b> rows match; bucket "
                                    f"{hist.bucket[0]}</div>" + histogram_svg(hist.frame))
            self.pills.value = self._pills_html(q)
            self._sidebar(summaries)
            self._fill_rows(frame)
            self.more_button.layout.display = None if total > len(frame) else "none"
            self.patterns_html.value = patterns_html(pats)
        self.last_error = None
        self.status_line.value = (f"<span style='color:#555'>{total:,} rows; rendered in "
                                  f"{(time.perf_counter() - t0) * 1000:.0f} ms</span>")

    def _more(self) -> None:
        cur = self.workspace.cursor()
        try:
            more, _ = X.rows(cur, self.query, self.page_rows, offset=len(self.frame))
        finally:
            cur.close()
        start = len(self.frame)
        self.frame = pd.concat([self.frame, more], ignore_index=True)
        self._fill_rows(more, start)
        self.more_button.layout.display = None if self.total > len(self.frame) else "none"

    @staticmethod
    def _pills_html(q: X.Query) -> str:
        pills = [f"<span class='lp-pill' style='background:#e3f2fd;padding:1px 6px;border-radius:8px'>"
                 f"{html.escape(n)}: {html.escape(v)}</span>" for n, v in q.include]
        pills += [f"<span class='lp-pill lp-pill-out' style='background:#fde0dc;padding:1px 6px;"
                  f"border-radius:8px'>NOT {html.escape(n)}: {html.escape(v)}</span>" for n, v in q.exclude]
        if q.text:
            pills.append(f"<span class='lp-pill'>text: {html.escape(q.text)}</span>")
        if q.sql:
            pills.append(f"<span class='lp-pill'>SQL: <code>{html.escape(q.sql)}</code></span>")
        return " ".join(pills) or "<i style='color:#888'>no filters</i>"

    # Rows and sidebar values are pools of widgets created once and re-filled: a refresh
    # then changes values instead of creating dozens of widget models (each a round trip
    # the front-end must render before the new rows show).
    def _value_slot(self) -> tuple[w.Widget, w.Button, w.Button, w.HTML]:
        plus = w.Button(description="+", layout=w.Layout(width="28px", padding="0"))
        minus = w.Button(description="-", layout=w.Layout(width="28px", padding="0"))
        plus.add_class("lp-field-in")
        minus.add_class("lp-field-out")
        label = w.HTML()
        slot = w.HBox([plus, minus, label])
        key = len(self._value_slots)
        plus.on_click(lambda _b: self.filter_value(*self._slot_field[key]))
        minus.on_click(lambda _b: self.filter_value(*self._slot_field[key], out=True))
        self._value_slots.append((slot, plus, minus, label))
        return self._value_slots[-1]

    def _sidebar(self, summaries: Sequence[X.FieldSummary]) -> None:
        need_heads = len(summaries)
        need_values = sum(len(fs.values) for fs in summaries)
        while len(self._head_slots) < need_heads:
            self._head_slots.append(w.HTML())
        while len(self._value_slots) < need_values:
            self._value_slot()
        children: list[w.Widget] = []
        k = 0
        for head, fs in zip(self._head_slots, summaries):
            head.value = f"<b>{html.escape(fs.label)}</b>{' (sample)' if fs.sampled else ''}"
            children.append(head)
            for value, n in fs.values:
                slot, plus, minus, label = self._value_slots[k]
                self._slot_field[k] = (fs.name, value)
                plus.tooltip = f"filter for {fs.name} = {value}"
                minus.tooltip = f"filter out {fs.name} = {value}"
                label.value = (f"<span class='lp-field-value'>{html.escape(value[:40])}</span> "
                               f"<span style='color:#888'>{n:,}</span>")
                children.append(slot)
                k += 1
        self.sidebar.children = children

    def _row_slot(self) -> tuple[w.Widget, w.Button, w.HTML, w.HTML]:
        i = len(self._row_slots)
        toggle = w.Button(description="", icon="chevron-right", tooltip="show the lines around it",
                          layout=w.Layout(width="32px"))
        toggle.add_class("lp-row-toggle")
        line, detail = w.HTML(), w.HTML()
        box = w.VBox([w.HBox([toggle, line]), detail])
        toggle.on_click(lambda _b: self._guard("expand", lambda: self._toggle(i)))
        self._row_slots.append((box, toggle, line, detail))
        return self._row_slots[-1]

    def _fill_rows(self, frame: pd.DataFrame, start: int = 0) -> None:
        while len(self._row_slots) < start + len(frame):
            self._row_slot()
        for k, r in enumerate(frame.itertuples(index=False)):
            _, toggle, line, detail = self._row_slots[start + k]
            toggle.icon, detail.value = "chevron-right", ""
            line.value = (f"<span class='lp-row' style='font-size:12px'><code>{html.escape(_cell(r.timestamp))}"
                          f"</code> <b style='color:{COLORS.get(r.severity, '#333')}'>{r.severity}</b> "
                          f"<span class='lp-svc'>{html.escape(str(r.service_name))}</span> "
                          f"{html.escape(str(r.message)[:160])} <span style='color:#888'>"
                          f"{html.escape(str(r.origin))}:{r.origin_offset}</span></span>")
        self.rows_box.children = [s[0] for s in self._row_slots[:start + len(frame)]]

    def _toggle(self, i: int) -> None:
        _, toggle, _, detail = self._row_slots[i]
        if i in self.expanded:
            del self.expanded[i]
            detail.value, toggle.icon = "", "chevron-right"
            return
        self.expand(i)
        detail.value, toggle.icon = neighbours_html(self.expanded[i]), "chevron-down"

    def expand(self, i: int) -> pd.DataFrame:
        """The neighbours of shown row ``i`` in its file (what the row's toggle shows)."""
        rec = self.frame.iloc[i]
        cur = self.workspace.cursor()
        try:
            nb = X.neighbours(cur, str(rec["origin"]), int(rec["origin_offset"]))
        finally:
            cur.close()
        self.expanded[i] = nb
        return nb

    def __repr__(self) -> str:
        q = self.query
        return f"<LogPilot Discover {q.start:%Y-%m-%d %H:%M}..{q.end:%Y-%m-%d %H:%M}: {self.total:,} rows>"


def discover_magic(pilot: Any, argv: Sequence[str]) -> Discover:
    """``%logpilot discover [--period P] [--service S] [--severity L] [--text T] [--where SQL]``."""
    from ..magics.args import MagicArgumentParser

    parser = MagicArgumentParser(prog="%logpilot discover")
    parser.add_argument("--period", default="all", help="2024-05-30, 'A..B', 'last 24h', all (default)")
    parser.add_argument("--service", action="append", default=[], help="service (repeat, or a,b)")
    parser.add_argument("--severity", action="append", default=[], help="severity (repeat)")
    parser.add_argument("--text", default="", help="text in message or template")
    parser.add_argument("--where", default="", help="a SQL condition over logs (read-only)")
    ns = parser.parse_args(list(argv))
    services = [s for item in ns.service for s in D.as_tuple(item)]
    severities = [s.upper() for item in ns.severity for s in D.as_tuple(item)]
    if ns.where:
        X.check_sql(ns.where)  # a refused condition is a one-line error, not a panel
    return Discover(pilot.workspace, period=ns.period, services=services, severities=severities,
                    text=ns.text, where=ns.where)
