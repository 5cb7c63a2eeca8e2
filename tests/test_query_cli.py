"""``logpilot sql`` / ``logpilot ask`` handlers on a real workspace folder."""

from __future__ import annotations

import argparse
import datetime as dt
import json

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.query import GuardError
from logpilot_kernel.query.cli import add_subcommands
from logpilot_kernel.schema import LogRecord, records_to_arrow


@pytest.fixture
def ws_path(tmp_path):
    path = tmp_path / "ws"
    with Workspace(path) as ws:
        t0 = dt.datetime(2024, 5, 31, 23, 0)
        recs = [LogRecord(timestamp=t0 + dt.timedelta(minutes=10 * i), severity="ERROR" if i < 4 else "INFO",
                          service_name="checkout", body="b", template_id="T", message="m",
                          source="demo", origin="f.log", origin_offset=i + 1,
                          context={"order_id": f"ORD-{i}"}) for i in range(10)]
        ws.con.register("batch", records_to_arrow(recs))
        ws.con.execute("INSERT INTO logs SELECT * FROM batch")
        ws.con.unregister("batch")
    return str(path)


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="logpilot")
    add_subcommands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_sql_prints_table_csv_and_json(ws_path, capsys) -> None:
    q = "SELECT severity, count(*) AS n, max(context->>'order_id') AS o FROM logs GROUP BY 1 ORDER BY 1"
    assert run(["sql", q, "--workspace", ws_path, "--format", "csv"]) == 0
    assert capsys.readouterr().out.splitlines() == ["severity,n,o", "ERROR,4,ORD-3", "INFO,6,ORD-9"]
    run(["sql", q, "--workspace", ws_path, "--format", "json"])
    out = json.loads(capsys.readouterr().out)
    assert out["sql"] == q and out["rows"] == [{"severity": "ERROR", "n": 4, "o": "ORD-3"},
                                               {"severity": "INFO", "n": 6, "o": "ORD-9"}]
    run(["sql", q, "--workspace", ws_path])
    cap = capsys.readouterr()
    assert "ERROR" in cap.out and "2 rows in" in cap.err
    run(["sql", "SELECT * FROM logs WHERE false", "--workspace", ws_path])
    assert "empty result" in capsys.readouterr().out


def test_sql_refuses_writes_without_write(ws_path) -> None:
    with pytest.raises(GuardError):
        run(["sql", "DROP TABLE logs", "--workspace", ws_path])


def test_ask_json_holds_sql_and_rows_relative_to_now(ws_path, capsys) -> None:
    assert run(["ask", "how many errors yesterday?", "--workspace", ws_path, "--format", "json",
                "--now", "2024-06-01T12:00:00"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert "TIMESTAMP '2024-05-31 00:00:00'" in out["sql"] and out["rows"] == [{"records": 4}]
    assert out["question"] == "how many errors yesterday?" and out["origin"] == "parser"
