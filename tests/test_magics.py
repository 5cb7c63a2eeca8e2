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


def test_registry_magic_lists_detects_and_tests(shell, tmp_path) -> None:
    sample = tmp_path / "fw.log"
    sample.write_text("Mar  5 10:22:13 gw01 kernel: [81234.567890] [UFW BLOCK] IN=eth0 OUT= "
                      "MAC=52:54:00:12:34:56 SRC=203.0.113.45 DST=10.0.0.12 LEN=60 PROTO=TCP SPT=51544 DPT=22\n")
    rules = shell.run_cell("%logpilot registry list").result
    assert "ufw_iptables" in set(rules["name"])
    det = shell.run_cell(f"%logpilot registry detect {sample}").result
    assert det["rule"] == "ufw_iptables"
    tested = shell.run_cell(f"%logpilot registry test ufw_iptables {sample}").result
    assert tested["matched"] == 1 and tested["lines"][0]["fields"]["severity"] == "WARN"
    with pytest.raises(UsageError, match="needs 2"):
        shell.run_cell(f"%logpilot registry test {sample}")
