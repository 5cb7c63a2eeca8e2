"""The one progress reporter (issue 18): every ingest phase reaches it in order, demo
generation reports its phase, and the CLI draws phase bars on stderr with ``--progress``
while ``--json`` keeps stdout pure JSON. No timing assertions: only what is reported."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from logpilot_kernel import Workspace
from logpilot_kernel.demo import generate
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.progress import Progress

INGEST_PHASES = ["detection", "parsing+mining", "storing", "embedding"]


class Recorder(Progress):
    """A real reporter that keeps the calls it got."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, float]] = []

    def start(self, phase: str, total: float | None = None, unit: str = "it") -> None:
        self.calls.append(("start", phase, total or 0))

    def update(self, phase: str, n: float = 1, info: str | None = None) -> None:
        self.calls.append(("update", phase, n))

    def finish(self, phase: str) -> None:
        self.calls.append(("finish", phase, 0))

    def close(self) -> None:
        self.calls.append(("close", "", 0))

    def first_starts(self) -> list[str]:
        out: list[str] = []
        for kind, phase, _ in self.calls:
            if kind == "start" and phase not in out:
                out.append(phase)
        return out

    def total(self, phase: str) -> float:
        return sum(n for kind, p, n in self.calls if kind == "update" and p == phase)


def _inputs(folder: Path) -> Path:
    folder.mkdir()
    for k in range(2):
        (folder / f"app{k}.log").write_text("".join(
            f"2024-06-01T10:{k:02d}:{i:02d}Z {'ERROR' if i % 7 == 0 else 'INFO'} step {i} of batch {k} done\n"
            for i in range(50)), encoding="utf-8")
    return folder


def test_every_ingest_phase_reaches_the_reporter_in_order(tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "in")
    rec = Recorder()
    with Workspace(tmp_path / "ws") as ws:
        report = ingest(ws, [folder], progress=rec)
    assert report.balanced and report.rows_loaded == 100
    assert rec.first_starts() == INGEST_PHASES
    finished = [p for kind, p, _ in rec.calls if kind == "finish"]
    assert set(finished) == set(INGEST_PHASES)
    assert rec.calls[-1][0] == "close"
    assert rec.total("detection") == 2  # files
    assert rec.total("parsing+mining") == sum(f.stat().st_size for f in folder.iterdir())  # bytes
    assert rec.total("storing") == 100  # rows
    assert rec.total("embedding") == report.templates_embedded


def test_a_rerun_still_reports_its_phases(tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "in")
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [folder])
        rec = Recorder()
        again = ingest(ws, [folder], progress=rec)
    assert again.rows_loaded == 0
    # unchanged files are detected-and-skipped: the bars still fill, nothing is stored
    assert rec.first_starts() == INGEST_PHASES
    assert rec.total("detection") == 2 and rec.total("storing") == 0


def test_demo_generation_reports_its_hours(tmp_path: Path) -> None:
    rec = Recorder()
    generate(tmp_path / "demo", days=1, lines=2000, progress=rec)
    assert rec.first_starts() == ["generation"]
    assert rec.total("generation") == 24
    assert ("finish", "generation", 0) in rec.calls


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", *args], capture_output=True, text=True,
                          timeout=600)


def test_cli_progress_names_the_phases_on_stderr_and_json_stays_pure(tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "in")
    p = _cli("ingest", str(folder), "--workspace", str(tmp_path / "ws"), "--json", "--progress")
    assert p.returncode == 0, p.stderr
    report = json.loads(p.stdout)  # nothing but the report on stdout
    assert report["rows_loaded"] == 100 and report["cluster"] is None
    for phase in INGEST_PHASES:
        assert phase in p.stderr
    assert "Traceback" not in p.stderr
    # without --progress and with stderr a pipe, no bars at all
    q = _cli("ingest", str(folder), "--workspace", str(tmp_path / "ws2"), "--json")
    assert q.returncode == 0 and q.stderr.strip() == "" and json.loads(q.stdout)["rows_loaded"] == 100


def test_cli_demo_data_progress(tmp_path: Path) -> None:
    p = _cli("demo-data", "--out", str(tmp_path / "demo"), "--days", "1", "--lines", "2000", "--progress")
    assert p.returncode == 0, p.stderr
    assert "generation" in p.stderr and "24/24" in p.stderr
    assert "generation" not in p.stdout


def test_cli_lake_without_cluster_is_one_line(tmp_path: Path) -> None:
    folder = _inputs(tmp_path / "in")
    p = _cli("ingest", str(folder), "--workspace", str(tmp_path / "ws"), "--lake", str(tmp_path / "lake"))
    assert p.returncode == 2
    assert p.stderr.strip().count("\n") == 0 and "--lake needs --cluster" in p.stderr
    assert not (tmp_path / "ws").exists() and not (tmp_path / "lake").exists()
