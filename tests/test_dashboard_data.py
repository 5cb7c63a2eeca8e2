"""The dashboard's data layer over a hand-made workspace (tests/estate_rows.py): what a
click lists, zero-filled buckets, integer counts, axes for a lone bar. Expected numbers
come from the estate's description, not from the code under test."""

from __future__ import annotations

import datetime as dt

import plotly.graph_objects as go
import pytest

from logpilot_kernel.widgets import dashboard_data as D
from logpilot_kernel.widgets import dashboard_figures as F
from tests.estate_rows import DAY, load


@pytest.fixture
def cur(workspace):
    load(workspace)
    c = workspace.cursor()
    yield c
    c.close()


def _all(cur) -> D.Filters:
    return D.Filters(*D.parse_period("all", D.extent(cur)))


def test_failures_bar_lists_only_that_services_failures(cur):
    f = _all(cur)
    frames = D.render(cur, f).frames
    bar = frames["failures"].set_index("service_name")["failures"].to_dict()
    assert bar == {"api": 6, "db": 1}
    drill, total = D.drilldown(cur, D.Selection.failures("api").apply(f), limit=100)
    assert total == 6 == bar["api"]
    assert set(drill["severity"]) == {"ERROR", "FATAL"} and set(drill["service_name"]) == {"api"}
    # The filter bar's severities still hold: failures within "INFO only" are none.
    info = f.narrow(severities=("INFO",))
    assert D.drilldown(cur, D.Selection.failures("api").apply(info))[1] == 0
    only_fatal = f.narrow(severities=("FATAL", "INFO"))
    assert D.drilldown(cur, D.Selection.failures("api").apply(only_fatal))[1] == 1


def test_severity_segment_lists_that_severity_in_that_bucket(cur):
    f = _all(cur)
    sel = D.Selection.bucket(DAY.replace(hour=10), 3600, "1 hour", severity="WARN")
    drill, total = D.drilldown(cur, sel.apply(f), limit=100)
    assert total == 10 and set(drill["severity"]) == {"WARN"}
    # A second click (a service) narrows the first: db's WARN rows of that hour.
    both = sel.then(D.Selection("service db", service="db"))
    assert D.drilldown(cur, both.apply(f))[1] == 10
    assert D.drilldown(cur, sel.then(D.Selection.failures("db")).apply(f))[1] == 0


def test_volume_is_zero_filled_in_sql_with_integer_counts(cur):
    f = _all(cur)
    r = D.render(cur, f)
    assert r.bucket == ("1 minute", 60)  # 10:00..12:00 is 121 one-minute buckets
    vol = r.frames["volume"]
    assert str(vol["rows"].dtype) == "int64"
    assert vol["t"].nunique() == 121 and set(vol["severity"]) == {"INFO", "WARN", "ERROR", "FATAL"}
    assert len(vol) == 121 * 4 and int(vol["rows"].sum()) == 28
    quiet = vol[(vol["t"] > DAY.replace(hour=10, minute=30)) & (vol["t"] < DAY.replace(hour=11))]
    assert len(quiet) == 29 * 4 and (quiet["rows"] == 0).all()
    heat = r.frames["heatmap"]  # every service x every clock hour, zeros included
    assert len(heat) == 2 * 3 and int(heat.query("service_name == 'db'")["rows"].sum()) == 11
    assert heat.query("service_name == 'db'")["rows"].tolist() == [11, 0, 0]
    spark = r.frames["templates"].set_index("template_id")["spark"]
    assert all(len(s) == 121 for s in spark) and sum(spark["T_slow"]) == 10
    assert list(spark["T_ok"][:11]) == [1] * 10 + [0]


def test_figures_get_integers_and_whole_bucket_axes(cur):
    f = _all(cur)
    r = D.render(cur, f)
    figs = F.empty_figures(go.Figure)
    F.fill(figs, r.frames, r.hourly, r.bucket[1])
    ys = [v for t in figs["volume"].data for v in t.y]
    assert ys and all(type(v) is int for v in ys) and sum(ys) == 28
    lo, hi = figs["volume"].layout.xaxis.range
    assert (str(lo)[:16], str(hi)[:16]) == ("2024-03-01 10:00", "2024-03-01 12:01")
    assert all(type(v) is int for row in figs["heatmap"].data[0].z for v in row)


def test_single_point_gets_a_sensible_axis(cur):
    one = D.Filters(DAY.replace(hour=12), DAY.replace(hour=13))  # c.log's lone row
    r = D.render(cur, one)
    assert int(r.frames["volume"]["rows"].sum()) == 1 and r.frames["volume"]["t"].nunique() == 1
    t = DAY.replace(hour=12)
    assert D.time_axis_range(t, t, 60) == (t - dt.timedelta(minutes=1), t + dt.timedelta(minutes=2))
    assert D.time_axis_range(t, t + dt.timedelta(hours=1), 60) == (t, t + dt.timedelta(minutes=61))
    assert D.time_axis_range(None, None, 60) is None
