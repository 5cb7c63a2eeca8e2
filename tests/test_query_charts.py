"""Chart choice from a result's shape (aggregation already done in DuckDB)."""

from __future__ import annotations

import pandas as pd
import pytest

from logpilot_kernel.errors import LogPilotError
from logpilot_kernel.query.charts import choose, make_chart


def test_shape_decides_the_chart() -> None:
    hours = pd.DataFrame({"hour": pd.date_range("2024-05-30", periods=3, freq="h"), "n": [1, 2, 3]})
    bars = pd.DataFrame({"service_name": ["a", "b"], "n": [3, 4]})
    grid = pd.DataFrame({"service_name": ["a", "a", "b"], "severity": ["ERROR", "INFO", "INFO"], "n": [1, 2, 3]})
    assert (choose(hours), choose(bars), choose(grid)) == ("line", "bar", "heatmap")
    assert choose(pd.DataFrame({"n": [1]})) is None and choose(bars.iloc[:0]) is None
    fig = make_chart(grid, "auto")
    assert fig.data[0].type == "heatmap" and list(fig.data[0].x) == ["ERROR", "INFO"]
    assert make_chart(bars, "line").data[0].type == "scatter"
    assert make_chart(bars, "none") is None


def test_impossible_charts_say_why() -> None:
    with pytest.raises(LogPilotError, match="heatmap needs two category columns"):
        make_chart(pd.DataFrame({"service_name": ["a"], "n": [1]}), "heatmap")
    with pytest.raises(LogPilotError, match="accepted: auto, none, bar, line, heatmap"):
        make_chart(pd.DataFrame({"a": [1]}), "pie")
