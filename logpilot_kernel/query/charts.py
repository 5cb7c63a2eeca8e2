"""A plotly chart chosen from a result's shape; the aggregation already happened in DuckDB.

Why by shape: ``--plot auto`` must work for any query without chart options. A time
column means a trend (line), one category and one number a ranking (bar), two categories
and one number a matrix (heatmap). Anything else gets no chart rather than a wrong one.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from ..errors import LogPilotError

KINDS = ("auto", "none", "bar", "line", "heatmap")


def _is_time(s: pd.Series) -> bool:
    return pd.api.types.is_datetime64_any_dtype(s) or (
        s.dtype == object and len(s) > 0 and all(hasattr(v, "isoformat") for v in s.head(20)))


def choose(frame: pd.DataFrame) -> str | None:
    """The chart kind the result's shape calls for, or None when no chart fits."""
    if frame.empty or frame.shape[1] < 2:
        return None
    nums = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])
            and not pd.api.types.is_bool_dtype(frame[c])]
    times = [c for c in frame.columns if _is_time(frame[c])]
    cats = [c for c in frame.columns if c not in nums and c not in times]
    if times and nums:
        return "line"
    if len(cats) == 1 and nums:
        return "bar"
    if len(cats) == 2 and nums:
        return "heatmap"
    return None


def make_chart(frame: pd.DataFrame, kind: str = "auto", title: str | None = None) -> Any:
    """A plotly figure for ``frame`` (``kind`` one of :data:`KINDS`); None for no chart."""
    if kind not in KINDS:
        raise LogPilotError(f"--plot {kind!r}: accepted: {', '.join(KINDS)}")
    if kind == "none":
        return None
    chosen = choose(frame) if kind == "auto" else kind
    if chosen is None:
        return None
    import plotly.express as px

    nums = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
    if not nums:
        raise LogPilotError(f"--plot {kind}: the result has no numeric column to plot")
    y = nums[-1]
    others = [c for c in frame.columns if c != y]
    times = [c for c in others if _is_time(frame[c])]
    if chosen == "line":
        x = times[0] if times else others[0]
        color = next((c for c in others if c != x and c not in nums), None)
        return px.line(frame.sort_values(x), x=x, y=y, color=color, title=title)
    if chosen == "bar":
        x = next((c for c in others if c not in nums), others[0])
        return px.bar(frame, x=x, y=y, title=title)
    cats = [c for c in others if c not in nums]
    if len(cats) < 2:
        raise LogPilotError("--plot heatmap needs two category columns and a number")
    pivot = frame.pivot_table(index=cats[0], columns=cats[1], values=y, aggfunc="sum", fill_value=0)
    return px.imshow(pivot, aspect="auto", title=title, labels={"color": y})
