"""kill -9 of a real ``logpilot ingest`` at named points, then a re-run: ``logs`` and the
Parquet archive each hold every record exactly once, and no run stays 'running'.

The kill is deterministic: ``LOGPILOT_FAULT=<point>:<n>`` makes the ingest SIGKILL itself
the n-th time it reaches the point (``ingest/segments.py``), so each case stops at the
same place on a loaded machine as on a quiet one.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

LINES_A, LINES_B, CHUNK = 1_300, 700, 500  # a: 3 chunks, b: 2 chunks

#: (point, n): the n-th pass; chunk 2 of the first file means chunk 1 is already committed
KILL_POINTS = [
    ("parse", 2),               # while parsing: chunk 1 stored, chunk 2 parsed, nothing of it written
    ("parquet-staged", 2),      # during the Parquet write: complete files staged, none in the archive
    ("parquet-published", 2),   # between Parquet and DuckDB: one file of the chunk renamed into place
    ("before-commit", 2),       # between Parquet and DuckDB: every file in place, no rows committed
    ("in-commit", 2),           # inside the DuckDB transaction, before COMMIT
    ("embed", 1),               # every row stored, embedding the new templates
]


def _jsonl(path: Path, n: int, day0: int) -> None:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(n):
            day = day0 + (i * 2) // n  # two days per file: two date partitions
            lvl = "error" if i % 7 == 0 else "info"
            msg = (f"upload {i} failed after {i % 5} retries" if lvl == "error"
                   else f"stored object {i} in bucket b{i % 3}")
            fh.write(json.dumps({"ts": f"2024-06-{day:02d}T{i % 24:02d}:{i % 60:02d}:00Z", "level": lvl,
                                 "service": "store", "msg": msg}) + "\n")


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("crash") / "data"
    root.mkdir()
    _jsonl(root / "a.jsonl", LINES_A, 1)
    _jsonl(root / "b.jsonl", LINES_B, 3)
    return root


def _ingest(data: Path, ws: Path, fault: str | None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    env["LOGPILOT_CHUNK_RECORDS"] = str(CHUNK)
    if fault:
        env["LOGPILOT_FAULT"] = fault
    cmd = [sys.executable, "-m", "logpilot_kernel.cli", "ingest", str(data), "-w", str(ws)]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=600)


def _check_exactly_once(ws: Path) -> None:
    total = LINES_A + LINES_B
    con = duckdb.connect(str(ws / "logpilot.duckdb"), read_only=True)
    try:
        assert con.execute("SELECT count(*), count(DISTINCT (origin, origin_offset)) FROM logs").fetchone() \
            == (total, total)
        glob = str(ws / "parquet" / "**" / "*.parquet")
        arch = f"read_parquet('{glob}', hive_partitioning = false)"
        assert con.execute(f"SELECT count(*), count(DISTINCT (origin, origin_offset)) FROM {arch}").fetchone() \
            == (total, total)
        diff = con.execute(f"SELECT count(*) FROM ((SELECT origin, origin_offset FROM logs EXCEPT "
                           f"SELECT origin, origin_offset FROM {arch}) UNION ALL (SELECT origin, origin_offset "
                           f"FROM {arch} EXCEPT SELECT origin, origin_offset FROM logs))").fetchone()[0]
        assert diff == 0
        # every archive file is a recorded segment, every recorded segment is there
        on_disk = sorted(str(p.relative_to(ws / "parquet")) for p in (ws / "parquet").rglob("*.parquet"))
        assert on_disk == sorted(r[0] for r in con.execute("SELECT path FROM archive_segments").fetchall())
        assert con.execute("SELECT count(*) FROM ingest_runs WHERE status = 'running'").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM templates WHERE embedded_text IS DISTINCT FROM template"
                           ).fetchone()[0] == 0
    finally:
        con.close()
    assert not (ws / ".staging").exists()
    assert not [p for p in ws.rglob("*.tmp") if "chroma" not in p.parts]


@pytest.mark.slow
@pytest.mark.parametrize("point,nth", KILL_POINTS, ids=[p for p, _ in KILL_POINTS])
def test_kill_9_then_rerun_holds_every_record_once(data: Path, tmp_path: Path, point: str, nth: int) -> None:
    ws = tmp_path / "ws"
    killed = _ingest(data, ws, f"{point}:{nth}")
    assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
    con = duckdb.connect(str(ws / "logpilot.duckdb"), read_only=True)
    try:
        run = con.execute("SELECT run_id, status, report FROM ingest_runs").fetchall()
    finally:
        con.close()
    assert [r[1] for r in run] == ["running"] and json.loads(run[0][2])["pid"] > 0  # left by the killed process
    if point in ("parquet-published", "before-commit", "in-commit"):  # a segment is in place, unrecorded
        assert list((ws / "parquet").rglob("seg-*.parquet"))

    again = _ingest(data, ws, None)
    assert again.returncode == 0, again.stderr[-2000:]
    assert "Traceback" not in again.stderr
    if point != "parse":  # something was left to clean, and the re-run says what
        assert "Recovered from an interrupted run" in again.stdout, again.stdout
    _check_exactly_once(ws)
    con = duckdb.connect(str(ws / "logpilot.duckdb"), read_only=True)
    try:
        status = dict(con.execute("SELECT run_id, status FROM ingest_runs").fetchall())
    finally:
        con.close()
    assert status[run[0][0]] == "interrupted" and sorted(status.values()) == ["done", "interrupted"]


def test_a_failed_transaction_leaves_no_segment(tmp_path: Path) -> None:
    """An error (not a kill) inside the rows' transaction removes the chunk's segments too."""
    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest import bulk

    src = tmp_path / "one.jsonl"
    _jsonl(src, 50, 1)
    with Workspace(tmp_path / "ws") as ws:
        original = bulk.segments.SegmentWriter.record

        def failing(self, *a, **k):  # noqa: ANN001, ANN002, ANN003
            raise RuntimeError("disk on fire")

        bulk.segments.SegmentWriter.record = failing  # type: ignore[method-assign]
        try:
            with pytest.raises(RuntimeError):
                bulk.ingest(ws, [src])
        finally:
            bulk.segments.SegmentWriter.record = original  # type: ignore[method-assign]
        assert ws.scalar("SELECT count(*) FROM logs") == 0
        assert not list(ws.parquet_path.rglob("*.parquet"))
        rep = bulk.ingest(ws, [src])
        assert rep.rows_loaded == 50
        assert duckdb.sql(f"SELECT count(*) FROM read_parquet('{ws.parquet_path}/**/*.parquet')").fetchone()[0] == 50


def test_open_removes_stale_temporaries_and_reports_them(tmp_path: Path) -> None:
    from logpilot_kernel import Workspace

    with Workspace(tmp_path / "ws"):
        pass
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    pid = int(dead.stdout)  # a process that has ended
    part = tmp_path / "ws" / "parquet" / "source=x" / "date=2024-01-01"
    part.mkdir(parents=True)
    stale = part / f".seg-a.parquet.{pid}.0123abcd.tmp"
    stale.write_bytes(b"")
    orphan = part / "seg-r-000001-0.parquet"
    orphan.write_bytes(b"PAR1")
    legacy = part / "run-old-1.parquet"  # written before segments were recorded: never touched
    legacy.write_bytes(b"PAR1")
    with Workspace(tmp_path / "ws") as ws:
        assert ws.recovered["temporaries_removed"] == [str(stale.relative_to(tmp_path / "ws"))]
        assert ws.recovered["orphan_segments_removed"] == ["source=x/date=2024-01-01/seg-r-000001-0.parquet"]
    assert not stale.exists() and not orphan.exists() and legacy.exists()
