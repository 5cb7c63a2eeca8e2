"""Discover over a hand-made workspace (tests/estate_rows.py): the data layer's query
semantics, histogram, fields, neighbours and patterns, then the panel and the magic."""

from __future__ import annotations

import pytest

from logpilot_kernel.widgets import dashboard_data as D
from logpilot_kernel.widgets import discover_data as X
from tests.estate_rows import DAY, load


@pytest.fixture
def ws(workspace):
    load(workspace)
    return workspace


@pytest.fixture
def cur(ws):
    c = ws.cursor()
    yield c
    c.close()


def _q(cur, **kw) -> X.Query:
    start, end = D.parse_period("all", D.extent(cur))
    return X.Query(start, end, **kw)


def test_text_matches_message_or_template(cur):
    assert X.rows(cur, _q(cur, text="DEADLOCK"))[1] == 1          # message and template
    assert X.rows(cur, _q(cur, text="id=3"))[1] == 2                # messages only (ok + failed)
    assert X.rows(cur, _q(cur, text="request failed <*>"))[1] == 5  # the template only


def test_field_filters_in_and_out(cur):
    q = _q(cur).toggle("service_name", "db")
    assert X.rows(cur, q)[1] == 11
    q = q.toggle("service_name", "api")               # two values of one field: either
    assert X.rows(cur, q)[1] == 28
    q = q.toggle("severity", "ERROR")                 # another field: both must hold
    assert X.rows(cur, q)[1] == 6
    assert q.toggle("severity", "ERROR").include == (("service_name", "db"), ("service_name", "api"))
    out = _q(cur).toggle("ctx.status", "200", out=True)  # rows without status 200, none too
    assert X.rows(cur, out)[1] == 28 - 11
    assert X.rows(cur, _q(cur).toggle("ctx.status", "500"))[1] == 5
    assert X.rows(cur, _q(cur).toggle("ctx.method", "GET"))[1] == 11
    # Filtering in removes the filter-out of the same value.
    assert out.toggle("ctx.status", "200").exclude == () and out.toggle("ctx.status", "200").include
    with pytest.raises(X.DiscoverError, match="unknown field"):
        X.where(_q(cur).toggle("nope", "x"))


def test_sql_condition_goes_through_the_read_only_guard(cur):
    assert X.rows(cur, _q(cur, sql="severity = 'FATAL' OR origin_offset > 15"))[1] == 1
    assert X.rows(cur, _q(cur, sql="context->>'table' = 'orders'"))[1] == 11
    with pytest.raises(X.DiscoverError, match="refused"):
        X.rows(cur, _q(cur, sql="origin IN (SELECT * FROM read_text('/etc/hostname'))"))
    with pytest.raises(X.DiscoverError, match="parentheses"):
        X.rows(cur, _q(cur, sql="1=1) OR (1=1"))
    with pytest.raises(X.DiscoverError, match="does not parse"):
        X.rows(cur, _q(cur, sql="severity = "))
    with pytest.raises(X.DiscoverError, match="failed"):
        X.rows(cur, _q(cur, sql="no_such_column = 1"))


def test_histogram_is_zero_filled_over_the_period(cur):
    h = X.histogram(cur, _q(cur).toggle("service_name", "db"))
    assert h.bucket == ("1 minute", 60) and len(h.frame) == 121  # 10:00..12:00, all buckets
    assert h.total == 11 and int(h.frame["failures"].sum()) == 1
    assert str(h.frame["rows"].dtype) == "int64" and (h.frame["rows"] == 0).sum() == 110


def test_fields_top_values_and_context_keys(cur):
    by = {fs.name: fs for fs in X.fields(cur, _q(cur))}
    assert by["service_name"].values == [("api", 17), ("db", 11)]
    assert by["severity"].values[0] == ("INFO", 11)
    assert by["ctx.status"].values == [("200", 11), ("500", 5)] and by["ctx.status"].present == 16
    assert by["ctx.method"].values == [("GET", 11), ("POST", 5)]
    assert by["ctx.table"].values == [("orders", 11)]
    assert not any(n.startswith("ctx._") for n in by)  # parse notes stay out
    sampled = {fs.name: fs for fs in X.fields(cur, _q(cur), sample=10)}
    assert sampled["ctx.status"].sampled and sum(n for _, n in sampled["ctx.status"].values) <= 10


def test_rows_newest_first_and_neighbours_from_the_same_file(cur):
    frame, total = X.rows(cur, _q(cur), limit=3)
    assert total == 28 and list(frame["origin"]) == ["logs/c.log", "logs/a.log", "logs/a.log"]
    nb = X.neighbours(cur, "logs/a.log", 7)
    assert list(nb["origin_offset"]) == list(range(2, 13)) and set(nb["origin"]) == {"logs/a.log"}
    assert nb["here"].sum() == 1 and int(nb[nb["here"]]["origin_offset"].iloc[0]) == 7
    edge = X.neighbours(cur, "logs/b.log", 1, before=3, after=2)
    assert list(edge["origin_offset"]) == [1, 2, 3]


def test_patterns_with_zero_filled_sparklines(cur):
    p = X.patterns(cur, _q(cur).toggle("service_name", "api")).set_index("template_id")
    assert p["rows"].to_dict() == {"T_ok": 11, "T_fail": 5, "T_crash": 1}
    assert p.loc["T_fail", "failures"] == 5 and p.loc["T_ok", "share"] == pytest.approx(11 / 17)
    assert all(len(s) == 121 for s in p["spark"]) and sum(p.loc["T_ok", "spark"]) == 11


def test_panel_filters_by_a_field_value_and_expands_a_row(ws):
    from logpilot_kernel.widgets.discover import Discover

    panel = Discover(ws)
    assert panel.last_error is None and panel.total == 28
    assert "lp-histogram" in panel.hist_html.value and panel.patterns_html.value.count("class='lp-pattern'") == 5
    plus = [b for b in _buttons(panel.sidebar) if b.tooltip == "filter for service_name = db"]
    plus[0].click()
    assert panel.total == 11 and set(panel.frame["service_name"]) == {"db"}
    assert "service_name: db" in panel.pills.value
    toggle = _buttons(panel.rows_box)[0]
    toggle.click()
    nb = panel.expanded[0]
    assert nb["here"].sum() == 1 and set(nb["origin"]) == {panel.frame["origin"].iloc[0]}
    panel.search(sql="origin = 'logs/c.log' OR (")  # refused: status line, query unchanged
    assert "parentheses" in panel.last_error and panel.total == 11
    panel.search(text="deadlock")
    assert panel.total == 1 and panel.last_error is None
    assert repr(panel).startswith("<LogPilot Discover")


def test_magic_and_dashboard_open_discover(ws, shell):
    from logpilot_kernel.widgets import Dashboard

    shell.run_line_magic("logpilot", f"open {ws.path}")
    panel = shell.run_line_magic("logpilot", "discover --service api --severity error")
    assert panel.total == 5 and set(panel.frame["severity"]) == {"ERROR"}
    from IPython.core.error import UsageError

    with pytest.raises(UsageError, match="refused"):
        shell.run_line_magic("logpilot", "discover --where \"origin IN (SELECT * FROM read_text('x'))\"")
    d = Dashboard(ws, period="all")
    d.select(D.Selection.failures("api"))
    panel = d.discover()
    assert panel.total == 6 and set(panel.frame["severity"]) == {"ERROR", "FATAL"}


def _buttons(box) -> list:
    import ipywidgets as w

    out, todo = [], [box]
    while todo:
        node = todo.pop(0)
        if isinstance(node, w.Button):
            out.append(node)
        todo.extend(getattr(node, "children", ()))
    return out
