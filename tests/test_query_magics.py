"""``%%logsql`` through a real InteractiveShell: options, snippets, English, guard, charts."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
from IPython.core.error import UsageError
from IPython.utils.capture import capture_output

from logpilot_kernel.magics.logsql import parse_line
from logpilot_kernel.schema import LogRecord, records_to_arrow


def seed(shell, n: int = 30) -> None:
    ws = shell.user_ns["pilot"].workspace
    t0 = dt.datetime(2024, 5, 30, 10, 0)
    recs = [LogRecord(timestamp=t0 + dt.timedelta(hours=i), severity="ERROR" if i % 5 == 0 else "INFO",
                      service_name=("checkout", "payment", "firewall")[i % 3], body="thing <*>",
                      template_id=f"T{i % 2}", message=f"thing {i}", source="demo", origin="f.log",
                      origin_offset=i + 1, context={"order_id": f"ORD-{i}"}) for i in range(n)]
    ws.con.register("batch", records_to_arrow(recs))
    ws.con.execute("INSERT INTO logs SELECT * FROM batch")
    ws.con.unregister("batch")


def _html(cap) -> str:
    return "\n".join(o.data.get("text/html", "") for o in cap.outputs)


def test_the_line_is_parsed_for_options_only() -> None:
    a = parse_line("res << --limit 3 --plot bar", "SELECT 1")
    assert (a.out, a.limit, a.plot, a.query) == ("res", 3, "bar", "SELECT 1")
    a = parse_line("--with base -o x SELECT context->>'a' -- trailing comment", None)
    assert a.with_ == ["base"] and a.out == "x" and a.query == "SELECT context->>'a' -- trailing comment"
    with pytest.raises(UsageError, match="invalid choice"):
        parse_line("--plot pie", "SELECT 1")


def test_assignment_limit_and_line_form(shell) -> None:
    seed(shell)
    shell.run_cell("%%logsql top <<  --limit 2\nSELECT origin_offset FROM logs ORDER BY 1")
    assert shell.user_ns["top"]["origin_offset"].tolist() == [1, 2]
    df = shell.run_cell("%logsql SELECT count(*) AS n, max(context->>'order_id') AS o FROM logs -- hi").result
    assert df.to_dict("records") == [{"n": 30, "o": "ORD-9"}]


def test_templating_and_snippets(shell) -> None:
    seed(shell)
    shell.user_ns["svc"] = "payment"
    shell.run_cell("%%logsql --save pay --no-execute\nSELECT * FROM logs WHERE service_name = '{{svc}}'")
    df = shell.run_cell("%%logsql --with pay\nSELECT count(*) AS n FROM pay").result
    assert df["n"][0] == 10
    with pytest.raises(UsageError, match="unknown snippet 'nope'"):
        shell.run_cell("%%logsql --with nope\nSELECT 1")
    with pytest.raises(UsageError, match="no variable 'missing'"):
        shell.run_cell("%%logsql\nSELECT '{{missing}}'")


def test_results_are_paged_and_carry_their_sql(shell) -> None:
    seed(shell)
    shell.run_line_magic("config", "LogPilot.display_rows = 10")
    df = shell.run_cell("%%logsql\nSELECT * FROM logs ORDER BY origin_offset").result
    assert isinstance(df, pd.DataFrame) and len(df) == 30
    assert "rows 1-10 of 30 (page 1 of 3)" in df._repr_html_()
    assert df.page(3)["origin_offset"].tolist() == list(range(21, 31))
    assert df.attrs["sql"].startswith("SELECT * FROM logs")
    assert type(df.head()) is pd.DataFrame  # derived frames are plain


def test_english_questions_show_generated_sql_and_refusals_are_clear(shell) -> None:
    seed(shell)
    with capture_output() as cap:
        df = shell.run_cell("%%logsql\nhow many errors by service?").result
    assert dict(zip(df["service_name"], df["records"])) == {"checkout": 2, "payment": 2, "firewall": 2}
    shown = _html(cap)
    # the reading sits above the SQL (as SQL comments, so a copied cell still runs)
    assert "offline parser" in shown and "%%logsql\n-- reading: count of rows with severity" in shown
    assert "\nSELECT service_name" in shown
    assert "3 rows in" in shown
    with pytest.raises(UsageError, match="I do not understand 'weather'.*Questions I can answer"):
        shell.run_cell("%%logsql\nwhat is the weather like")
    with pytest.raises(UsageError, match='meant as SQL, DuckDB says: Parser Error: syntax error at or near "SELEC"'):
        shell.run_cell("%%logsql\nSELEC count(*) FROM logs")
    with pytest.raises(UsageError, match="never to generated SQL"):
        shell.run_cell("%%logsql --write\nhow many errors")


def test_read_only_by_default_and_write_on_request(shell) -> None:
    seed(shell)
    with pytest.raises(UsageError, match=r"refused \(read-only\): DELETE"):
        shell.run_cell("%%logsql\nDELETE FROM logs")
    shell.run_cell("%%logsql --write\nDELETE FROM logs WHERE severity = 'INFO'")
    assert shell.run_cell("%logsql SELECT count(*) AS n FROM logs").result["n"][0] == 6


def test_explain_shows_the_plan_and_does_not_run(shell) -> None:
    seed(shell)
    with capture_output() as cap:
        res = shell.run_cell("%%logsql --explain\nSELECT count(*) FROM logs").result
    assert res is None and "SCAN" in _html(cap).upper()


def test_empty_results_and_errors_are_one_line(shell) -> None:
    seed(shell)
    with capture_output() as cap:
        df = shell.run_cell("%%logsql\nSELECT * FROM logs WHERE service_name = 'nobody'").result
    assert df.empty and "no rows (empty result)" in _html(cap)
    with pytest.raises(UsageError) as info:
        shell.run_cell("%%logsql\nSELECT servce_name FROM logs")
    assert "\n" not in str(info.value) and "nearest: service_name" in str(info.value)


def test_plot_auto_picks_the_chart_from_the_shape(shell) -> None:
    seed(shell)
    with capture_output() as cap:
        shell.run_cell("%%logsql --plot auto\nSELECT service_name, count(*) AS n FROM logs GROUP BY 1")
    figs = [o.data for o in cap.outputs if "application/vnd.plotly.v1+json" in o.data]
    assert figs and figs[0]["application/vnd.plotly.v1+json"]["data"][0]["type"] == "bar"
    with capture_output() as cap:
        shell.run_cell("%%logsql --plot auto\nSELECT date_trunc('hour', timestamp) AS h, count(*) AS n "
                       "FROM logs GROUP BY 1")
    figs = [o.data for o in cap.outputs if "application/vnd.plotly.v1+json" in o.data]
    assert figs[0]["application/vnd.plotly.v1+json"]["data"][0]["type"] == "scatter"  # a line


def test_jupysql_sees_the_same_workspace(shell) -> None:
    seed(shell)
    shell.run_cell("%logsql SELECT 1")
    res = shell.run_cell("%%sql logpilot\nSELECT count(*) AS n FROM logs").result
    assert list(res.dict()["n"]) == [30]
    res = shell.run_cell("%sql SELECT count(*) AS n FROM errors").result
    assert list(res.dict()["n"]) == [6]


def test_jupysql_follows_a_workspace_switch(shell, tmp_path) -> None:
    seed(shell)
    shell.run_cell("%logsql SELECT 1")
    shell.run_cell(f"%logpilot open {tmp_path / 'other'}")
    shell.run_cell("%logsql SELECT 1")
    res = shell.run_cell("%sql SELECT count(*) AS n FROM logs").result
    assert list(res.dict()["n"]) == [0]


def test_schema_display_for_logpilot_schema(shell) -> None:
    from logpilot_kernel.query.schema_info import show_schema

    cur = shell.user_ns["pilot"].workspace.cursor()
    with capture_output() as cap:
        show_schema(cur)
    assert "No rows yet" in _html(cap)
    seed(shell)
    with capture_output() as cap:
        frames = show_schema(cur)
    shown = _html(cap)
    assert "<b>errors</b> <small>(view)</small>" in shown and "context-&gt;&gt;'order_id'" in shown
    assert frames["context_keys"].to_dict("records")[0]["share"] == 1.0


def test_sqlplot_draws_from_the_workspace_alias(shell) -> None:
    seed(shell)
    shell.run_cell("%logsql SELECT 1")  # registers the workspace with jupysql
    ax = shell.run_cell("%sqlplot bar --table logs --column service_name").result
    heights = sorted(p.get_height() for p in ax.patches)
    assert sum(heights) == 30 and len(heights) >= 2
