"""``ingest --cluster`` on a real Dask cluster (issue 16's "Done when").

A ``LocalCluster`` of 2 worker processes (one thread each) ingests a small generated demo
estate cut into many shards (plain files split by byte range, the rotated gzip files
whole, small files grouped); the single-process ingest of the same estate is the
reference. Then a worker process is killed with SIGKILL while it runs a shard: the job
still finishes with every row once.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.demo import generate
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.cluster import ingest_cluster
from tests.dask_cluster import local_client

ACCOUNTING = ("lines_read", "rows_loaded", "duplicates", "quarantined", "merged_lines")
SHARD_BYTES = 60_000  # the 1-day, 6k-line estate becomes ~30 shards


def _keys(ws: Workspace) -> list[tuple[str, int]]:
    return ws.con.execute("SELECT origin, origin_offset FROM logs ORDER BY ALL").fetchall()


def _accounting(report) -> dict:
    per_file = {f.origin: tuple(getattr(f, k) for k in ACCOUNTING) for f in report.files}
    totals = tuple(getattr(report, k) for k in ACCOUNTING)
    return {"files": per_file, "totals": totals, "reasons": report.quarantine_reasons}


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("estate")
    generate(root, days=1, lines=6000)
    return root / "logs"


@pytest.fixture(scope="module")
def single(estate: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    with Workspace(tmp_path_factory.mktemp("single") / "ws") as ws:
        report = ingest(ws, [estate])
        return {"keys": _keys(ws), "accounting": _accounting(report), "report": report}


@pytest.fixture(scope="module")
def client():
    yield from local_client(2)


def test_two_workers_give_the_single_process_rows_and_accounting(estate: Path, single: dict, client,
                                                                 tmp_path: Path) -> None:
    with Workspace(tmp_path / "ws") as ws:
        report = ingest_cluster(ws, [estate], cluster=client, shard_bytes=SHARD_BYTES)
        keys = _keys(ws)
        n, distinct = ws.con.execute("SELECT count(*), count(DISTINCT (origin, origin_offset)) FROM logs").fetchone()
        orphans = ws.scalar("SELECT count(*) FROM logs l LEFT JOIN templates t USING (template_id) "
                            "WHERE t.template_id IS NULL OR l.body <> t.template")
        ranges = ws.scalar("SELECT count(*) FROM ingested_files")
        again = ingest_cluster(ws, [estate], cluster=client, shard_bytes=SHARD_BYTES)
        n_again = ws.scalar("SELECT count(*) FROM logs")
    assert report.balanced and report.rows_loaded > 5000
    assert keys == single["keys"]
    assert n == distinct == len(single["keys"])
    assert _accounting(report) == single["accounting"]
    assert orphans == 0  # every row has a template, and its body is that template's text
    assert ranges == len(single["report"].files)
    info = report.cluster  # type: ignore[attr-defined]
    assert info["shards"] > len(single["report"].files)  # files really were split
    assert len(info["workers"]) == 2  # both worker processes ran shards
    # the lake holds the Hive layout and the merge's record
    lake = tmp_path / "ws" / "parquet"
    assert list(lake.glob("source=*/date=*/s*.parquet")) and list((lake / "_templates").glob("run-*.parquet"))
    # a rerun finds every file complete and loads nothing twice
    assert again.rows_loaded == 0 and n_again == n
    assert {s["reason"] for s in again.skipped_files} == {"already ingested, unchanged"}


def test_a_worker_killed_mid_ingest_loses_and_duplicates_nothing(estate: Path, single: dict, client,
                                                                 tmp_path: Path) -> None:
    pids = client.run(os.getpid)  # worker address -> process id
    out: dict = {}

    def run() -> None:
        try:
            with Workspace(tmp_path / "ws") as ws:
                out["report"] = ingest_cluster(ws, [estate], cluster=client, shard_bytes=SHARD_BYTES // 3)
                out["keys"] = _keys(ws)
                out["n"] = ws.scalar("SELECT count(*) FROM logs")
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            out["error"] = exc

    job = threading.Thread(target=run)
    job.start()
    shards_dir = tmp_path / "ws" / "parquet" / "_shards"
    victim = None
    deadline = time.monotonic() + 180
    while victim is None and time.monotonic() < deadline and job.is_alive():
        done = len(list(shards_dir.glob("*.json"))) if shards_dir.exists() else 0
        busy = [w for w, keys in client.processing().items() if any("logpilot-shard" in str(k) for k in keys)]
        if done >= 2 and busy:  # some shards finished, and a worker is inside one now
            victim = pids[busy[0]]
            os.kill(victim, signal.SIGKILL)
        else:
            time.sleep(0.05)
    job.join(timeout=600)
    assert victim is not None, "no worker was ever seen running a shard"
    assert not job.is_alive() and "error" not in out, out.get("error")
    with pytest.raises(ProcessLookupError):
        os.kill(victim, 0)
    report = out["report"]
    assert report.balanced
    assert out["keys"] == single["keys"]  # 0 rows lost
    assert out["n"] == len(single["keys"])  # 0 rows duplicated
    assert _accounting(report) == single["accounting"]
    client.wait_for_workers(2, timeout=120)  # the nanny restarted the killed worker
