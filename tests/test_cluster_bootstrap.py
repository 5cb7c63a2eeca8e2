"""``logpilot bootstrap --cluster/--lake``: the bootstrap notebook as the Dask client (issue 16).

The Kubernetes Job and the compose ``bootstrap`` service run exactly this command, so the
options must reach the notebook's parameters and, through them, the cluster ingest: the
real console command, papermill, a ``local:2`` cluster (two worker processes) and a lake
folder outside the workspace. A lake without a cluster is refused before any notebook
runs or any workspace is created, as ``logpilot ingest`` refuses it.

Heavy: papermill and a Dask cluster.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from logpilot_kernel import Workspace


def _estate(folder: Path) -> int:
    folder.mkdir()
    n = 0
    for k in range(3):
        lines = [f"2024-06-0{1 + k}T10:{i // 60:02d}:{i % 60:02d}Z INFO job {k} wrote block {i}\n" for i in range(400)]
        (folder / f"app{k}.log").write_text("".join(lines), encoding="utf-8")
        n += len(lines)
    return n


def _bootstrap(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", "bootstrap", *args, "--quiet"],
                          capture_output=True, text=True, timeout=900)


def test_bootstrap_passes_cluster_and_lake_to_the_cluster_ingest(tmp_path: Path) -> None:
    n = _estate(tmp_path / "in")
    ws_path, lake = tmp_path / "ws", tmp_path / "lake"
    p = _bootstrap(str(tmp_path / "in" / "*.log"), "--workspace", str(ws_path),
                   "--cluster", "local:2", "--lake", str(lake))
    assert p.returncode == 0, p.stderr[-3000:]
    runs = sorted((ws_path / "runs").glob("bootstrap-*.ipynb"))
    assert len(runs) == 1
    nb = json.loads(runs[0].read_text())
    injected = "".join("".join(c["source"]) for c in nb["cells"]
                       if "injected-parameters" in c.get("metadata", {}).get("tags", []))
    assert "cluster = \"local:2\"" in injected and f"lake = \"{lake}\"" in injected, injected
    # the segments went to the lake, not to the workspace's archive
    segs = sorted(lake.glob("source=*/date=*/seg-*.parquet"))
    assert segs and not list((ws_path / "parquet").glob("source=*/date=*/seg-*.parquet"))
    with Workspace(ws_path) as ws:
        assert ws.scalar("SELECT count(*) FROM logs") == n
        report = json.loads(ws.scalar("SELECT report FROM ingest_runs WHERE status = 'done'"))
        recorded = {r[0] for r in ws.con.execute("SELECT path FROM archive_segments").fetchall()}
    assert report["cluster"]["lake"] == str(lake) and report["cluster"]["shards"] >= 1
    assert recorded == {str(s) for s in segs}


def test_bootstrap_refuses_a_lake_without_a_cluster(tmp_path: Path) -> None:
    _estate(tmp_path / "in")
    p = _bootstrap(str(tmp_path / "in" / "*.log"), "--workspace", str(tmp_path / "ws"),
                   "--lake", str(tmp_path / "lake"))
    assert p.returncode == 2 and "--lake needs --cluster" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "ws").exists() and not (tmp_path / "lake").exists()
