"""A plain file that grows while ``ingest --cluster`` runs, or between two ingests (issue 16).

A live log is appended to while it is read. Byte-range shards are planned from the size
the file had when it was listed, and a file's line numbers are its rows' provenance keys,
so growth must cost nothing: whatever the file held when each ingest planned, once both
ingests ran the workspace holds every line of the final file exactly once, with its whole
text, as one single-process ingest of the final file stores it. The cases:

* the writer is in the middle of a line when the planner lists the file, and finishes it
  (and writes more lines) before the shard covering the file's end reads it;
* a small file (read whole, in a group with another file) grows between planning and
  reading;
* a file grows between two ingests;

and in each the lake (the segments the workspace records) holds every row once too.

The growth between planning and reading is made to happen at that exact moment: the
planner runs as it always does, then the file is appended to before any task reads it.
Runs on a real 1-worker ``LocalCluster`` (heavy).
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest import cluster as cluster_mod
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.cluster import ingest_cluster
from tests.dask_cluster import local_client


def _line(i: int) -> str:
    return f"2024-06-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z INFO worker {i % 5} finished step {i} of the batch\n"


def _lines(a: int, b: int) -> str:
    return "".join(_line(i) for i in range(a, b))


def _rows(ws: Workspace) -> list[tuple]:
    return ws.con.execute("SELECT origin, origin_offset, message FROM logs ORDER BY origin, origin_offset").fetchall()


def _duplicates(ws: Workspace) -> int:
    return ws.scalar("SELECT count(*) - count(DISTINCT (origin, origin_offset)) FROM logs")


def _lake_keys(ws: Workspace) -> list[tuple]:
    """Provenance keys of every row in the segments the workspace records (the lake is the
    system of record: Spark or Trino read these files, so a row twice there is a duplicate)."""
    keys: list[tuple] = []
    for (path,) in ws.con.execute("SELECT path FROM archive_segments ORDER BY path").fetchall():
        t = pq.read_table(ws.parquet_path / path, columns=["origin", "origin_offset"])
        keys += zip(t.column("origin").to_pylist(), t.column("origin_offset").to_pylist())
    return sorted(keys)


@pytest.fixture(scope="module")
def client():
    yield from local_client(1)


def _reference(tmp_path: Path, folder: Path) -> list[tuple]:
    with Workspace(tmp_path / "single") as ws:
        assert ingest(ws, [folder]).balanced
        return _rows(ws)


def _grow_after_planning(monkeypatch: pytest.MonkeyPatch, grow) -> list:
    """The real planner, then ``grow()`` once before any shard is read; the plans it made."""
    plans: list = []
    real = cluster_mod.plan_shards

    def plan_then_grow(files, shard_bytes):
        out = real(files, shard_bytes)
        if not plans:
            grow()
        plans.append(out)
        return out

    monkeypatch.setattr(cluster_mod, "plan_shards", plan_then_grow)
    return plans


def test_a_line_straddling_the_planned_end_is_stored_once_whole(client, tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    live = folder / "live.log"
    last = _line(3000)
    live.write_text(_lines(0, 3000) + last[:30], encoding="utf-8")  # the writer is mid-line

    def grow() -> None:
        with open(live, "a", encoding="utf-8") as fh:
            fh.write(last[30:] + _lines(3001, 3400))

    plans = _grow_after_planning(monkeypatch, grow)
    with Workspace(tmp_path / "ws") as ws:
        first = ingest_cluster(ws, [folder], cluster=client, shard_bytes=60_000)
        dup_first = _duplicates(ws)
        second = ingest_cluster(ws, [folder], cluster=client, shard_bytes=60_000)
        rows = _rows(ws)
        dup = _duplicates(ws)
        lake = _lake_keys(ws)
    shards, ranges = plans[0]
    assert len(ranges) >= 3, "the file must be planned as byte ranges"
    assert first.balanced and second.balanced
    assert dup_first == 0 and dup == 0
    assert rows == _reference(tmp_path, folder)  # every line once, whole
    assert first.rows_loaded + second.rows_loaded == 3400
    assert lake == [r[:2] for r in rows]


def test_a_small_file_grown_after_planning_is_stored_once(client, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.log").write_text(_lines(0, 200), encoding="utf-8")
    small = folder / "b.log"
    small.write_text(_lines(0, 100), encoding="utf-8")

    def grow() -> None:
        with open(small, "a", encoding="utf-8") as fh:
            fh.write(_lines(100, 150))

    _grow_after_planning(monkeypatch, grow)
    with Workspace(tmp_path / "ws") as ws:
        first = ingest_cluster(ws, [folder], cluster=client)
        second = ingest_cluster(ws, [folder], cluster=client)
        rows = _rows(ws)
        dup = _duplicates(ws)
        lake = _lake_keys(ws)
        third = ingest_cluster(ws, [folder], cluster=client)
    assert first.balanced and second.balanced and dup == 0
    assert rows == _reference(tmp_path, folder)
    assert first.rows_loaded + second.rows_loaded == 350
    assert lake == [r[:2] for r in rows]
    # once read to the size it was recorded with, the file is complete: nothing is read again
    assert third.rows_loaded == 0 and third.lines_read == 0


def test_a_file_grown_between_two_ingests(client, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    live = folder / "live.log"
    live.write_text(_lines(0, 3000), encoding="utf-8")
    with Workspace(tmp_path / "ws") as ws:
        first = ingest_cluster(ws, [folder], cluster=client, shard_bytes=60_000)
        with open(live, "a", encoding="utf-8") as fh:
            fh.write(_lines(3000, 3400))
        second = ingest_cluster(ws, [folder], cluster=client, shard_bytes=60_000)
        rows = _rows(ws)
        dup = _duplicates(ws)
        lake = _lake_keys(ws)
        seg_rows = ws.scalar("SELECT sum(rows) FROM archive_segments")
    assert first.balanced and second.balanced and dup == 0
    assert rows == _reference(tmp_path, folder)
    assert first.rows_loaded == 3000 and second.rows_loaded == 400
    assert lake == [r[:2] for r in rows] and seg_rows == len(rows)


def test_a_rerun_after_an_interrupted_run_keeps_the_segments_it_recorded(client, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "live.log").write_text(_lines(0, 3000), encoding="utf-8")
    with Workspace(tmp_path / "ws") as ws:
        first = ingest_cluster(ws, [folder], cluster=client, shard_bytes=60_000)
        recorded = sorted(r[0] for r in ws.con.execute("SELECT path FROM archive_segments").fetchall())
        # the client stopped after loading every shard, before it recorded the file as read
        ws.con.execute("DELETE FROM ingested_files")
        again = ingest_cluster(ws, [folder], cluster=client, shard_bytes=60_000)
        rows = _rows(ws)
        lake = _lake_keys(ws)
        after = sorted(r[0] for r in ws.con.execute("SELECT path FROM archive_segments").fetchall())
    assert first.rows_loaded == 3000 and again.rows_loaded == 0 and again.duplicates == 3000
    assert after == recorded and all((tmp_path / "ws" / "parquet" / p).is_file() for p in after)
    assert lake == [r[:2] for r in rows] and len(rows) == 3000
