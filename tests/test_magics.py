"""Magics through a real InteractiveShell whose run_cell re-raises."""

from __future__ import annotations

import pandas as pd
import pytest
from IPython.core.error import UsageError

from logpilot_kernel.schema import LogRecord, records_to_arrow


def _seed(shell) -> None:
    ws = shell.user_ns["pilot"].workspace
    recs = [LogRecord(timestamp=f"2024-05-30T10:0{i}:00Z", severity="ERROR" if i < 3 else "INFO",
                      service_name="checkout" if i % 2 else "payment", body="t <*>", template_id="T1",
                      message=f"t {i}", source="demo", origin="f.log", origin_offset=i + 1,
                      context={"tx_id": f"tx{i}"}) for i in range(8)]
    batch = records_to_arrow(recs)
    ws.con.register("batch", batch)
    ws.con.execute("INSERT INTO logs SELECT * FROM batch")
    ws.con.unregister("batch")


def test_load_ext_registers_magics_and_pilot(shell) -> None:
    magics = shell.magics_manager.magics
    assert "logpilot" in magics["line"] and "logsql" in magics["cell"] and "logsql" in magics["line"]
    assert repr(shell.user_ns["pilot"]).startswith("<LogPilot pilot")


def test_logsql_returns_a_dataframe_and_keeps_json_operators_and_comments(shell) -> None:
    _seed(shell)
    res = shell.run_cell("%%logsql -o errs\n-- errors by service\n"
                         "SELECT service_name, count(*) AS n, max(context->>'tx_id') AS last_tx\n"
                         "FROM logs WHERE severity = 'ERROR' GROUP BY 1 ORDER BY 1")
    df = res.result
    assert isinstance(df, pd.DataFrame)
    assert df.to_dict("records") == [{"service_name": "checkout", "n": 1, "last_tx": "tx1"},
                                     {"service_name": "payment", "n": 2, "last_tx": "tx2"}]
    assert shell.user_ns["errs"].equals(df)


def test_sql_errors_are_one_line_usage_errors(shell) -> None:
    with pytest.raises(UsageError) as info:
        shell.run_cell("%%logsql\nSELECT nope FROM logs")
    msg = str(info.value)
    assert msg.startswith("SQL error:") and "nope" in msg and "\n" not in msg


def test_bad_magic_arguments_do_not_exit_the_kernel(shell) -> None:
    with pytest.raises(UsageError, match="invalid choice"):
        shell.run_cell("%logpilot fly")
    with pytest.raises(UsageError, match="unbalanced|quotation|No closing"):
        shell.run_cell('%logpilot templates "unclosed')


def test_status_widget_shows_rows_and_empty_state(shell) -> None:
    status = shell.run_cell("%logpilot status").result
    assert "empty" in status.table.value and "logpilot ingest" in status.table.value
    _seed(shell)
    status.refresh()
    assert "8 rows" in status.header.value and "demo" in status.table.value


def test_open_switches_workspace_and_releases_the_old_one(shell, tmp_path) -> None:
    _seed(shell)
    shell.run_cell(f"%logpilot open {tmp_path / 'second'}")
    assert shell.run_cell("%%logsql\nSELECT count(*) AS n FROM logs").result["n"][0] == 0
    assert (tmp_path / "second" / "logpilot.duckdb").exists()
