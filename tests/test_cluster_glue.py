"""``ingest --cluster`` joined to the rest (issue 16 follow-up), on a real 1-worker LocalCluster:

* ``bulk.ingest(..., cluster=)`` is the entry point (the CLI, ``%logpilot ingest`` and the
  bootstrap notebook call it), and its report carries ``cluster`` as a field (JSON too);
* a binary file goes to the quarantine at offset 0 exactly as in the single-process ingest;
* the cluster's segments are recorded in ``archive_segments`` with their rows, so opening
  the workspace again keeps every one of them and removes only an unrecorded ``seg-``
  file (what a killed run leaves);
* the progress reporter gets the cluster's phases.

Heavy: a Dask cluster of worker processes.
"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.progress import Progress
from tests.dask_cluster import local_client


class Recorder(Progress):
    def __init__(self) -> None:
        self.started: list[str] = []

    def start(self, phase: str, total: float | None = None, unit: str = "it") -> None:
        if phase not in self.started:
            self.started.append(phase)


@pytest.fixture(scope="module")
def client():
    yield from local_client(1)


def _estate(folder: Path) -> Path:
    folder.mkdir()
    (folder / "core.bin").write_bytes(random.Random(5).randbytes(50_000))
    for k in range(3):
        (folder / f"app{k}.log").write_text("".join(
            f"2024-06-0{1 + k}T10:00:{i % 60:02d}Z INFO step {i} of batch {k} done\n" for i in range(120)),
            encoding="utf-8")
    return folder


def _quarantined_files(ws: Workspace) -> list[tuple]:
    return ws.con.execute("SELECT origin, origin_offset, reason FROM quarantine WHERE origin_offset = 0 "
                          "ORDER BY origin").fetchall()


def test_cluster_through_bulk_ingest_quarantine_segments_and_recovery(client, tmp_path: Path) -> None:
    folder = _estate(tmp_path / "in")
    with Workspace(tmp_path / "single") as ws:
        single = ingest(ws, [folder])
        single_q = _quarantined_files(ws)
        single_files = ws.summary()["quarantined_files"]
    assert single_q and single_q[0][0].endswith("core.bin")

    rec = Recorder()
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        report = ingest(ws, [folder], cluster=client, progress=rec)
        cluster_q = _quarantined_files(ws)
        cluster_files = ws.summary()["quarantined_files"]
        recorded = sorted(r[0] for r in ws.con.execute("SELECT path FROM archive_segments").fetchall())
        n_rows = ws.scalar("SELECT count(*) FROM logs")
        seg_rows = ws.scalar("SELECT sum(rows) FROM archive_segments")
    # the entry point, the report field and its JSON
    assert report.balanced and report.rows_loaded == single.rows_loaded == 360
    assert isinstance(report.cluster, dict) and report.cluster["shards"] >= 1
    d = json.loads(json.dumps(report.to_dict()))
    assert d["cluster"]["shards"] == report.cluster["shards"] and "lines_per_second" in d and "files" in d
    # a binary file: in the quarantine at offset 0 as the single-process ingest puts it, named once
    assert cluster_q == single_q and cluster_files == single_files
    assert [s["origin"] for s in report.skipped_files if "binary" in s["reason"]] == [single_q[0][0]]
    # every segment file the run wrote is recorded, with all the rows
    lake = ws_path / "parquet"
    on_disk = sorted(str(p.relative_to(lake)) for p in lake.glob("source=*/date=*/seg-*.parquet"))
    assert on_disk and recorded == on_disk and seg_rows == n_rows
    # the phases the client reports (detection, parsing and mining run in the tasks)
    assert rec.started == ["shards (detection, parsing+mining)", "storing", "embedding"]

    # a killed run's leftover: a segment file no row names; the next open removes it, and only it
    orphan = lake / on_disk[0].replace(".parquet", "-orphan.parquet")
    shutil.copyfile(lake / on_disk[0], orphan)
    with Workspace(ws_path) as ws:
        removed = ws.recovered["orphan_segments_removed"]
        n_again = ws.scalar("SELECT count(*) FROM logs")
    assert removed == [str(orphan.relative_to(lake))]
    assert not orphan.exists()
    assert sorted(str(p.relative_to(lake)) for p in lake.glob("source=*/date=*/seg-*.parquet")) == on_disk
    assert n_again == n_rows


def test_a_lake_elsewhere_is_recorded_by_url_and_left_alone(client, tmp_path: Path) -> None:
    folder = _estate(tmp_path / "in")
    lake = tmp_path / "lake"
    with Workspace(tmp_path / "ws") as ws:
        report = ingest(ws, [folder], cluster=client, lake=lake)
        recorded = sorted(r[0] for r in ws.con.execute("SELECT path FROM archive_segments").fetchall())
    assert report.balanced and report.cluster["lake"] == str(lake)
    on_disk = sorted(str(p) for p in lake.glob("source=*/date=*/seg-*.parquet"))
    assert on_disk and recorded == on_disk
    with Workspace(tmp_path / "ws") as ws:
        assert ws.recovered["orphan_segments_removed"] == []
    assert sorted(str(p) for p in lake.glob("source=*/date=*/seg-*.parquet")) == on_disk


def test_the_magic_takes_cluster_and_refuses_a_lake_alone(shell, tmp_path: Path) -> None:
    from IPython.core.error import UsageError

    folder = _estate(tmp_path / "in")
    with pytest.raises(UsageError, match="--lake needs --cluster"):
        shell.run_cell(f"%logpilot ingest {folder} --lake {tmp_path / 'lake'}")
    assert not (tmp_path / "lake").exists()
    report = shell.run_cell(f"%logpilot ingest {folder} --cluster local:1 --lake {tmp_path / 'lake'}").result
    assert report.balanced and report.rows_loaded == 360 and report.cluster["lake"] == str(tmp_path / "lake")
    assert list((tmp_path / "lake").glob("source=*/date=*/seg-*.parquet"))
    ws = shell.user_ns["pilot"].workspace
    assert ws.scalar("SELECT count(*) FROM logs") == 360
