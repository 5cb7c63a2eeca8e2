"""The engine on a real workspace: Arrow -> pandas, limits, one-line errors, nearest names."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from logpilot_kernel.query import GuardError, QueryError, run_sql
from logpilot_kernel.query.engine import explain, validate
from logpilot_kernel.query.schema_info import context_keys_by_source, schema_frames
from logpilot_kernel.schema import LogRecord, records_to_arrow


def seed(ws, n: int = 30) -> None:
    t0 = dt.datetime(2024, 5, 30, 10, 0)
    recs = []
    for i in range(n):
        svc = ("checkout", "payment", "firewall")[i % 3]
        ctx = {"SRC": f"10.0.0.{i % 4}", "DPT": "22"} if svc == "firewall" else {"order_id": f"ORD-{i}"}
        recs.append(LogRecord(timestamp=t0 + dt.timedelta(hours=i), severity="ERROR" if i % 5 == 0 else "INFO",
                              service_name=svc, body="thing <*>", template_id=f"T{i % 2}",
                              message=f"thing {i}", source=svc, origin="f.log", origin_offset=i + 1,
                              host="h1", context=ctx))
    ws.con.register("batch", records_to_arrow(recs))
    ws.con.execute("INSERT INTO logs SELECT * FROM batch")
    ws.con.unregister("batch")


def test_results_come_back_as_dataframes_with_timing(workspace) -> None:
    seed(workspace)
    res = run_sql(workspace, "SELECT service_name, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1")
    assert isinstance(res.frame, pd.DataFrame)
    assert res.frame.to_dict("records") == [{"service_name": "checkout", "n": 10},
                                            {"service_name": "firewall", "n": 10},
                                            {"service_name": "payment", "n": 10}]
    assert res.elapsed > 0 and res.summary().startswith("3 rows in ")
    assert res.records()[0] == {"service_name": "checkout", "n": 10}


def test_limit_stops_early_and_says_so(workspace) -> None:
    seed(workspace)
    res = run_sql(workspace, "SELECT * FROM logs ORDER BY timestamp", limit=5)
    assert res.rows == 5 and res.limited and "limit reached" in res.summary()
    assert res.frame["origin_offset"].tolist() == [1, 2, 3, 4, 5]


def test_empty_results_say_so(workspace) -> None:
    res = run_sql(workspace, "SELECT * FROM logs WHERE severity = 'FATAL'")
    assert res.rows == 0 and res.summary().startswith("no rows (empty result)")


def test_unknown_column_and_table_give_one_line_with_nearest_names(workspace) -> None:
    seed(workspace)
    with pytest.raises(QueryError) as info:
        run_sql(workspace, "SELECT severty FROM logs")
    msg = str(info.value)
    assert "\n" not in msg and 'severty' in msg and "nearest: severity" in msg
    with pytest.raises(QueryError) as info:
        run_sql(workspace, "SELECT order_idd FROM logs")
    assert "context->>'order_id'" in str(info.value)
    with pytest.raises(QueryError) as info:
        run_sql(workspace, "SELECT * FROM lgos")
    assert "\n" not in str(info.value) and "logs" in info.value.suggestions


def test_syntax_errors_are_one_line(workspace) -> None:
    with pytest.raises(QueryError) as info:
        run_sql(workspace, "SELECT count(*) FROM logs GROUP")
    assert str(info.value).startswith("SQL error:") and "\n" not in str(info.value)


def test_writes_need_write(workspace) -> None:
    seed(workspace)
    with pytest.raises(GuardError):
        run_sql(workspace, "DELETE FROM logs WHERE severity = 'INFO'")
    assert workspace.scalar("SELECT count(*) FROM logs") == 30
    run_sql(workspace, "DELETE FROM logs WHERE severity = 'INFO'", write=True)
    assert workspace.scalar("SELECT count(*) FROM logs") == 6


def test_explain_plans_without_running_and_validate_returns_the_error(workspace) -> None:
    plan = explain(workspace.cursor(), "SELECT count(*) FROM logs")
    assert "SEQ_SCAN" in plan.upper() or "SCAN" in plan.upper()
    assert validate(workspace.cursor(), "SELECT 1") is None
    err = validate(workspace.cursor(), "SELECT sevrity FROM logs")
    assert err and "sevrity" in err and "severity" in err


def test_analyst_views_exist_and_agree_with_logs(workspace) -> None:
    seed(workspace)
    assert workspace.scalar("SELECT count(*) FROM errors") == 6
    assert workspace.scalar("SELECT sum(records) FROM volume_daily") == 30
    assert workspace.scalar("SELECT sum(records) FROM volume_hourly WHERE service_name = 'payment'") == 10
    stats = workspace.sql("SELECT template_id, records, error_records FROM template_stats ORDER BY 1")
    assert stats.to_dict("records") == [{"template_id": "T0", "records": 15, "error_records": 3},
                                        {"template_id": "T1", "records": 15, "error_records": 3}]


def test_schema_shows_json_keys_per_source_with_frequency(workspace) -> None:
    seed(workspace)
    keys = context_keys_by_source(workspace.cursor())
    assert keys["firewall"] == {"DPT": 1.0, "SRC": 1.0} and keys["checkout"] == {"order_id": 1.0}
    frames = schema_frames(workspace.cursor())
    cols = frames["columns"]
    assert {"logs", "errors", "volume_daily", "volume_hourly", "template_stats"} <= set(cols["table"])
    assert set(cols[cols["table"] == "errors"]["kind"]) == {"view"}
    k = frames["context_keys"]
    row = k[(k["source"] == "firewall") & (k["key"] == "SRC")].iloc[0]
    assert row["rows"] == 10 and row["share"] == 1.0 and row["example_sql"] == "context->>'SRC'"
