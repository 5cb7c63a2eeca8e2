"""Plotly figures and HTML fragments of the dashboard, shared by the widget and the export.

Why figures have fixed traces that :func:`fill` fills: the dashboard keeps one plain
``go.Figure`` per chart for its lifetime (the click callbacks are bound to its traces, and a
:class:`.plotly_view.PlotlyView` draws it), so a filter change only replaces the data of
fixed traces; the static export fills fresh figures the same way. The dashboard fills its
figures *before* it creates the views, so the first data travels in each view's initial
state (see :mod:`.dashboard`).
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from .dashboard_data import SEVERITIES, time_axis_range

COLORS = {"TRACE": "#c7c7c7", "DEBUG": "#9ecae1", "INFO": "#3182bd", "WARN": "#fdae6b",
          "ERROR": "#e6550d", "FATAL": "#a50f15"}
CHARTS = ("volume", "failures", "templates", "heatmap", "new_templates")


def _layout(title: str, height: int = 300, **kw: Any) -> dict[str, Any]:
    return dict(title=dict(text=title, x=0.01, font=dict(size=14)), height=height,
                margin=dict(l=50, r=20, t=40, b=40), template="plotly_white",
                clickmode="event", **kw)


def empty_figures(factory: Any = go.Figure) -> dict[str, Any]:
    """The five charts with their fixed traces and no data (``factory``: a Figure class)."""
    figs = {
        "volume": factory(
            data=[go.Bar(name=s, x=[], y=[], marker_color=COLORS[s], offset=0,
                         hovertemplate=f"{s}: %{{y:,d}} rows<br>from %{{x}}<extra></extra>")
                  for s in SEVERITIES],
            layout=_layout("Volume over time by severity", barmode="stack",
                           legend=dict(orientation="h", y=-0.2),
                           yaxis=dict(rangemode="tozero", tickformat=",d"))),
        "failures": factory(
            data=[go.Bar(name="failures", x=[], y=[], marker_color=COLORS["ERROR"],
                         customdata=[], hovertemplate="%{x}: %{y:,d} failures"
                         "<br>%{customdata:.2f}% of its rows<extra></extra>")],
            layout=_layout("Failures (ERROR + FATAL) by service",
                           yaxis=dict(rangemode="tozero", tickformat=",d"))),
        "templates": factory(
            data=[go.Bar(name="rows", x=[], y=[], orientation="h", marker_color="#3182bd",
                         customdata=[], hovertemplate="%{customdata}<br>%{x:,d} rows<extra></extra>")],
            layout=_layout("Top templates", height=340,
                           xaxis=dict(rangemode="tozero", tickformat=",d"),
                           yaxis=dict(autorange="reversed", automargin=True))),
        "heatmap": factory(
            data=[go.Heatmap(x=[], y=[], z=[], colorscale="OrRd",
                             hovertemplate="%{y} @ %{x}: %{z:,d} rows<extra></extra>")],
            layout=_layout("Rows by service and hour", xaxis=dict(type="category"))),
        "new_templates": factory(
            data=[go.Scatter(x=[], y=[], mode="markers", customdata=[],
                             marker=dict(size=10, color="#756bb1"),
                             hovertemplate="%{customdata}<br>first seen %{x}<extra></extra>")],
            layout=_layout("New templates (first seen in the period)")),
    }
    return figs


def _short(text: str, n: int = 60) -> str:
    text = text or ""
    return text if len(text) <= n else text[: n - 1] + "…"


def fill(figs: dict[str, Any], frames: dict[str, pd.DataFrame], hourly: bool,
         size: int = 3600) -> None:
    """Replace the data of every chart with the frames of one render (``size``: the bucket
    in seconds; each volume bar spans its bucket, from its start)."""
    vol = frames["volume"]
    fig = figs["volume"]
    for i, sev in enumerate(SEVERITIES):
        part = vol[vol["severity"] == sev] if len(vol) else vol
        fig.data[i].x = list(part["t"]) if len(part) else []
        fig.data[i].y = [int(v) for v in part["rows"]] if len(part) else []
        fig.data[i].width = size * 1000 * 0.92  # a date axis measures in milliseconds
    lo = vol["t"].min() if len(vol) else None
    hi = vol["t"].max() if len(vol) else None
    span = time_axis_range(_dt(lo), _dt(hi), size)
    fig.layout.xaxis.range = list(span) if span else None
    fail = frames["failures"]
    bar = figs["failures"].data[0]
    bar.x = list(fail["service_name"])
    bar.y = [int(v) for v in fail["failures"]]
    bar.customdata = [float(f) / float(r) * 100 if r else 0.0
                      for f, r in zip(fail["failures"], fail["rows"])]
    top = frames["templates"]
    tb = figs["templates"].data[0]
    tb.y = [f"{_short(t, 48)} [{s}]" for t, s in zip(top["template"], top["service"])]
    tb.x = [int(v) for v in top["rows"]]
    tb.customdata = [html.escape(t or "") for t in top["template"]]
    hm = frames["heatmap"]
    heat = figs["heatmap"].data[0]
    if len(hm):
        # The frame is a complete service x hour grid (zero-filled in SQL): a reshape.
        pivot = hm.pivot(index="service_name", columns="hour", values="rows")
        # Category axis: one column per hour, whatever the span (a date axis zooms oddly
        # on a single column).
        heat.x = ([pd.Timestamp(c).strftime("%m-%d %Hh") for c in pivot.columns] if hourly
                  else [f"{int(c):02d}h" for c in pivot.columns])
        heat.y = list(pivot.index)
        heat.z = pivot.astype("int64").values.tolist()
    else:
        heat.x, heat.y, heat.z = [], [], []
    figs["heatmap"].layout.xaxis.title = "hour (UTC)" if hourly else "hour of day (UTC)"
    new = frames["new_templates"]
    sc = figs["new_templates"].data[0]
    sc.x = list(new["first_seen"])
    sc.y = list(new["service"].fillna("?"))
    sc.customdata = [html.escape(_short(t, 90)) for t in new["template"]]
    if len(new):
        first, last = _dt(new["first_seen"].min()), _dt(new["first_seen"].max())
        nspan = time_axis_range(min(first, span[0]) if span else first,
                                max(last, span[1]) if span else last, size)
        figs["new_templates"].layout.xaxis.range = list(nspan) if nspan else None
    else:
        figs["new_templates"].layout.xaxis.range = None


def _dt(value: Any) -> dt.datetime | None:
    return None if value is None or pd.isna(value) else pd.Timestamp(value).to_pydatetime()


def _arrow(change: float | None, unit: str = "%", worse_up: bool = False) -> str:
    if change is None:
        return "<span style='color:#888'>no previous data</span>"
    up = change > 0
    color = "#888" if abs(change) < 0.005 else ("#b00" if up == worse_up else "#080")
    sign = "+" if change >= 0 else ""
    return f"<span style='color:{color}'>{sign}{change:.1f}{unit} vs previous</span>"


def kpi_html(k: dict[str, Any]) -> str:
    """Four KPI cards: volume, error rate, distinct templates, new templates."""
    cards = [
        ("Volume", f"{k['volume']:,}", _arrow(k["volume_change"])),
        ("Error rate", f"{k['error_rate']:.2f}%",
         _arrow(k["error_rate_change"], " pts", worse_up=True)),
        ("Distinct templates", f"{k['templates']:,}", _arrow(k["templates_change"])),
        ("New templates", f"{k['new_templates']:,}",
         _arrow(k["new_templates_change"], worse_up=True)),
    ]
    cells = "".join(
        f"<div class='lp-kpi' style='flex:1;border:1px solid #ddd;border-radius:6px;"
        f"padding:6px 10px;margin:2px'><div style='color:#666;font-size:12px'>{name}</div>"
        f"<div class='lp-kpi-value' style='font-size:22px;font-weight:600'>{value}</div>"
        f"<div style='font-size:11px'>{delta}</div></div>"
        for name, value, delta in cards)
    return f"<div class='lp-kpis' style='display:flex;width:100%'>{cells}</div>"


def sparkline_svg(values: list[int], width: int = 120, height: int = 22) -> str:
    """A tiny inline SVG polyline: no JavaScript, so it survives any HTML export."""
    if not values:
        return ""
    hi = max(values) or 1
    step = width / max(len(values) - 1, 1)
    pts = " ".join(f"{i * step:.1f},{height - 1 - v / hi * (height - 2):.1f}"
                   for i, v in enumerate(values))
    return (f"<svg class='lp-spark' width='{width}' height='{height}'>"
            f"<polyline fill='none' stroke='#3182bd' stroke-width='1.2' points='{pts}'/></svg>")


def templates_html(top: pd.DataFrame) -> str:
    """The top templates as a table, each with its sparkline (zero-filled counts per bucket)."""
    if not len(top):
        return "<i>no templates in this selection</i>"
    rows = []
    for rec in top.itertuples(index=False):
        spark = sparkline_svg([int(v) for v in rec.spark] if rec.spark is not None else [])
        rows.append(
            f"<tr><td><code>{html.escape(_short(rec.template or '', 90))}</code></td>"
            f"<td>{html.escape(str(rec.service))}</td><td style='text-align:right'>{rec.rows:,}</td>"
            f"<td style='text-align:right'>{rec.failures:,}</td><td>{spark}</td></tr>")
    return ("<table class='lp-templates' style='font-size:12px'><thead><tr><th>template</th>"
            "<th>service</th><th>rows</th><th>failures</th><th>trend</th></tr></thead>"
            f"<tbody>{''.join(rows)}</tbody></table>")


def drill_html(frame: pd.DataFrame, total: int, what: str) -> str:
    """Matching rows with their provenance (origin file and line) under a one-line caption."""
    caption = (f"<div class='lp-drill-caption'><b>{total:,}</b> matching rows ({html.escape(what)})"
               f"{'; first ' + str(len(frame)) + ' shown' if total > len(frame) else ''}</div>")
    if not len(frame):
        return caption
    head = "".join(f"<th>{html.escape(str(c))}</th>" for c in frame.columns)
    body = []
    for rec in frame.itertuples(index=False):
        cells = []
        for col, v in zip(frame.columns, rec):
            text = v.isoformat(sep=" ", timespec="milliseconds") if hasattr(v, "isoformat") else str(v)
            if col == "message":
                text = _short(text, 140)
            cells.append(f"<td>{html.escape(text)}</td>")
        body.append(f"<tr>{''.join(cells)}</tr>")
    return (caption + "<div style='max-height:420px;overflow:auto'>"
            "<table class='lp-drill' style='font-size:11px'><thead><tr>"
            f"{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")
