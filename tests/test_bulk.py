"""The bulk job on real files: accounting, idempotence, Parquet, templates, bad input."""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import duckdb
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest

JAVA = """2024-05-30 10:00:00,101 INFO  [main] com.shop.catalog.App - Started catalog in 3.2 seconds
2024-05-30 10:00:01,202 ERROR [http-1] com.shop.catalog.ProductService - Failed to load product 1234
java.lang.IllegalStateException: price missing for 1234
\tat com.shop.catalog.ProductService.load(ProductService.java:42)
\tat com.shop.catalog.Api.get(Api.java:17)
Caused by: java.sql.SQLException: timeout
\t... 12 more
2024-05-30 10:00:02,303 WARN  [http-2] com.shop.catalog.Cache - Cache miss ratio 0.7 above 0.5
2024-05-30 10:00:03,404 ERROR [http-3] com.shop.catalog.ProductService - Failed to load product 77
java.lang.IllegalStateException: price missing for 77
\tat com.shop.catalog.ProductService.load(ProductService.java:42)
"""


def _jsonl(n: int, start_minute: int = 0) -> str:
    lines = []
    for i in range(n):
        lvl = "error" if i % 5 == 0 else "info"
        msg = f"payment declined for order {1000 + i}" if lvl == "error" else f"payment accepted for order {1000 + i}"
        lines.append(json.dumps({"ts": f"2024-05-30T11:{(start_minute + i) % 60:02d}:{i % 60:02d}.000Z",
                                 "level": lvl, "service": "payment", "trace_id": f"{i:032x}",
                                 "msg": msg, "order_id": 1000 + i, "amount": i * 1.5}))
    return "\n".join(lines) + "\n"


@pytest.fixture
def estate(tmp_path: Path) -> Path:
    root = tmp_path / "estate"
    (root / "catalog").mkdir(parents=True)
    (root / "payment").mkdir()
    (root / "catalog" / "catalog.log").write_text(JAVA)
    (root / "payment" / "payment.jsonl").write_text(_jsonl(40))
    with gzip.open(root / "payment" / "payment.jsonl.1.gz", "wt") as fh:
        fh.write(_jsonl(20, start_minute=40))
    return root


def _count(ws: Workspace, sql: str, params: list | None = None):
    return ws.scalar(sql, params)


def test_ingest_accounts_for_every_line_and_loads_golden_rows(tmp_path: Path, estate: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        rep = ingest(ws, [estate])
        assert rep.balanced
        assert rep.lines_read == 11 + 40 + 20
        assert rep.merged_lines == 7  # two stack traces: 5 + 2 continuation lines
        assert rep.rows_loaded == 4 + 60 and rep.quarantined == 0
        assert _count(ws, "SELECT count(*) FROM logs") == 64
        # golden fields from each format
        row = ws.sql("SELECT * FROM logs WHERE origin LIKE '%catalog.log' AND origin_offset = 2").iloc[0]
        assert row.severity == "ERROR" and row.service_name == "catalog"
        assert "Caused by: java.sql.SQLException" in row.message
        assert str(row.timestamp) == "2024-05-30 10:00:01.202000"
        pay = ws.sql("SELECT * FROM logs WHERE origin LIKE '%payment.jsonl' AND origin_offset = 6").iloc[0]
        assert pay.service_name == "payment" and pay.severity == "ERROR"
        assert pay.trace_id == f"{5:032x}"
        ctx = json.loads(pay.context)
        assert ctx["order_id"] == 1005 and "params" in ctx
        assert "<*>" in pay.body
        # the same template for every decline, with the order id as parameter
        assert _count(ws, "SELECT count(DISTINCT template_id) FROM logs WHERE message LIKE 'payment declined%'") == 1
        assert _count(ws, "SELECT count(*) FROM templates") == _count(ws, "SELECT count(DISTINCT template_id) FROM logs")
        assert _count(ws, "SELECT sum(count) FROM templates") == 64
        runs = ws.sql("SELECT status, lines_read, rows_loaded FROM ingest_runs")
        assert runs.to_dict("records") == [{"status": "done", "lines_read": 71, "rows_loaded": 64}]


def test_reingesting_the_same_files_adds_nothing_and_ids_stay_stable(tmp_path: Path, estate: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [estate])
        ids = ws.sql("SELECT template_id, count(*) n FROM logs GROUP BY 1 ORDER BY 1").to_dict("records")
        # change mtime so the quick skip does not apply: rows must be deduplicated by provenance
        for p in estate.rglob("*"):
            if p.is_file():
                os.utime(p, (p.stat().st_atime, p.stat().st_mtime + 10))
        again = ingest(ws, [estate])
        assert again.rows_loaded == 0 and again.duplicates == 64 and again.balanced
        assert ws.sql("SELECT template_id, count(*) n FROM logs GROUP BY 1 ORDER BY 1").to_dict("records") == ids
        third = ingest(ws, [estate])  # unchanged files are skipped outright
        assert third.lines_read == 0 and len(third.skipped_files) == 3


def test_parquet_archive_is_partitioned_and_matches_duckdb(tmp_path: Path, estate: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [estate])
        parts = sorted(p.relative_to(ws.parquet_path).parts[:2] for p in ws.parquet_path.rglob("*.parquet"))
        assert parts and all(a.startswith("source=") and b.startswith("date=") for a, b in parts)
        n = duckdb.sql(f"SELECT count(*) FROM read_parquet('{ws.parquet_path}/**/*.parquet', hive_partitioning=true)").fetchone()[0]
        assert n == 64


def test_templates_are_embedded_once_and_searchable(tmp_path: Path, estate: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        rep = ingest(ws, [estate])
        assert rep.templates_embedded == _count(ws, "SELECT count(*) FROM templates") > 0
        assert ws.templates_collection.count() == rep.templates_embedded
        hits = ws.search_templates("card payment refused", n=1)
        assert "declined" in hits[0]["template"]
        assert ws.embed_pending_templates() == 0


def test_handover_mark_is_the_latest_event_per_source(tmp_path: Path, estate: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [estate / "payment"], source="payments")
        marks = ws.handover_marks()
        assert set(marks) == {"payments"}
        assert marks["payments"] == ws.scalar("SELECT max(timestamp) FROM logs")


def test_bad_input_is_quarantined_or_skipped_with_reasons_and_nothing_is_lost(tmp_path: Path) -> None:
    root = tmp_path / "bad"
    (root / "svc").mkdir(parents=True)
    (root / "svc" / "empty.log").write_text("")
    (root / "svc" / "blob.bin").write_bytes(bytes(range(256)) * 64)
    good = _jsonl(10)
    raw = gzip.compress(_jsonl(3000).encode())
    (root / "svc" / "truncated.jsonl.gz").write_bytes(raw[: len(raw) // 2])
    (root / "svc" / "app.jsonl").write_bytes(
        good.encode() + b'{"ts": "2024-05-30T12:00:00Z", "level": "info", "msg": "caf\xe9 au lait"}\n'
        + b"garbage that is no json and has no time at all\n"
    )
    with Workspace(tmp_path / "ws") as ws:
        rep = ingest(ws, [root, tmp_path / "does-not-exist.log"])
        assert rep.balanced, rep.summary()
        assert any("does-not-exist" in s["origin"] for s in rep.skipped_files)
        reasons = " ".join(s["reason"] for s in rep.skipped_files) + " " + " ".join(rep.quarantine_reasons)
        assert "binary" in reasons.lower()
        # every line of app.jsonl is a row or a quarantined line
        app_rows = _count(ws, "SELECT count(*) FROM logs WHERE origin LIKE '%app.jsonl'")
        app_q = _count(ws, "SELECT count(*) FROM quarantine WHERE origin LIKE '%app.jsonl'")
        assert app_rows + app_q == 12
        bad = ws.sql("SELECT context FROM logs WHERE message LIKE 'caf%'")
        assert len(bad) == 1 and json.loads(bad.context[0]).get("bad_utf8") is True
        # rows before the gzip damage are kept
        assert _count(ws, "SELECT count(*) FROM logs WHERE origin LIKE '%truncated%'") >= 1
        again = ingest(ws, [root])
        assert again.balanced and again.rows_loaded == 0
