"""The dashboard as one standalone HTML file: plotly inline, no kernel, no network.

Why rebuild figures instead of serialising the widget: a ``FigureWidget`` needs a live
kernel; a plain ``go.Figure`` filled from the same frames renders anywhere. plotly.js is
inlined once (``include_plotlyjs=True``, about 4 MB) so the file opens offline; pass
``"cdn"`` for a small file that needs the internet.
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

import plotly.graph_objects as go

from . import dashboard_figures as F


def static_figures(dashboard: Any) -> dict[str, go.Figure]:
    """Plain plotly figures of what ``dashboard`` shows: for reports rendered without a kernel."""
    figs = F.empty_figures(go.Figure)
    if dashboard.frames:
        F.fill(figs, dashboard.frames, dashboard.hourly, dashboard.bucket[1])
    return figs


def snapshot_html(dashboard: Any, *, include_plotlyjs: Any = True, full_html: bool = True) -> str:
    """The HTML of what ``dashboard`` currently shows (KPIs, charts, tables, selection)."""
    f = dashboard.rendered or dashboard.effective
    parts = [f"<h2>LogPilot dashboard</h2><p>Workspace <code>{html.escape(str(dashboard.workspace.path))}"
             f"</code>; period {f.start:%Y-%m-%d %H:%M} – {f.end:%Y-%m-%d %H:%M} UTC"
             f"{'; services ' + html.escape(', '.join(f.services)) if f.services else ''}"
             f"{'; severities ' + html.escape(', '.join(f.severities)) if f.severities else ''}"
             f"{'; template text ' + html.escape(repr(f.text)) if f.text else ''}; "
             f"exported {dt.datetime.now(dt.timezone.utc):%Y-%m-%d %H:%M} UTC.</p>"]
    if not dashboard.frames:
        parts.append(dashboard.notice.value or "<p>No data.</p>")
    else:
        if dashboard.notice.value:
            parts.append(dashboard.notice.value)
        parts.append(F.kpi_html(dashboard.kpis))
        figs = static_figures(dashboard)
        first = True
        for name in F.CHARTS:
            parts.append(figs[name].to_html(full_html=False,
                                            include_plotlyjs=include_plotlyjs if first else False))
            first = False
        parts.append("<h3>Top templates</h3>" + dashboard.templates_table.value)
        if dashboard.selection is not None:
            parts.append("<h3>Drill-down</h3>" + dashboard.drill_html.value)
    body = "\n".join(parts)
    if not full_html:
        return body
    return ("<!DOCTYPE html><html><head><meta charset='utf-8'><title>LogPilot dashboard</title>"
            "<style>body{font-family:sans-serif;margin:16px} table{border-collapse:collapse}"
            "td,th{border-bottom:1px solid #eee;padding:2px 6px;text-align:left}</style>"
            f"</head><body>{body}</body></html>")


def export_html(dashboard: Any, path: str | Path, *, include_plotlyjs: Any = True) -> Path:
    """Write :func:`snapshot_html` to ``path`` and return it."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(snapshot_html(dashboard, include_plotlyjs=include_plotlyjs), encoding="utf-8")
    return out
