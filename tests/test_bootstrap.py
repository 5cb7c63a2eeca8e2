"""The bootstrap runbook: `logpilot bootstrap` runs 00_bootstrap.ipynb with papermill."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

from logpilot_kernel import Workspace
from logpilot_kernel.demo import generate


def test_bootstrap_runs_the_notebook_and_keeps_the_executed_copy(tmp_path: Path) -> None:
    truth = generate(tmp_path / "estate", days=1, seed=5, lines=20_000, start=dt.date(2024, 5, 31))
    ws = tmp_path / "ws"
    p = subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", "bootstrap",
                        str(tmp_path / "estate" / "logs" / "**"), "--workspace", str(ws),
                        "--html", str(tmp_path / "boot.html"), "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 0, p.stderr[-3000:]
    runs = sorted((ws / "runs").glob("bootstrap-*.ipynb"))
    assert len(runs) == 1
    nb = json.loads(runs[0].read_text())
    outputs = "".join("".join(o.get("text", "")) for c in nb["cells"] for o in c.get("outputs", []))
    assert "lines read" in outputs and "accounting does not balance" not in outputs
    html = (tmp_path / "boot.html").read_text()
    assert "Bootstrap" in html and "handover" in html
    with Workspace(ws) as w:
        assert w.scalar("SELECT count(*) FROM logs") == sum(f["records"] for f in truth.to_dict()["files"])
        assert set(w.handover_marks())  # the stream's starting points are recorded
        assert w.scalar("SELECT count(*) FROM ingest_runs WHERE status = 'done'") == 1


def test_bootstrap_failure_is_one_line_naming_the_cell_and_the_run_log(tmp_path: Path) -> None:
    (tmp_path / "app.log").write_text("2024-06-01T10:00:00Z INFO hello\n")
    p = subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", "bootstrap", str(tmp_path / "*.log"),
                        "--workspace", str(tmp_path / "ws"), "--quiet", "--format", "no-such-rule"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 2
    err = p.stderr.strip()
    assert "cell" in err and "no-such-rule" in err and "executed copy" in err and "Traceback" not in err
    # an archive glob that matches nothing is refused before any notebook runs (issue 17)
    p = subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", "bootstrap", "",
                        "--workspace", str(tmp_path / "ws2"), "--quiet"],
                       capture_output=True, text=True, timeout=600)
    assert p.returncode == 2 and "archive_glob" in p.stderr and "Traceback" not in p.stderr
    assert not (tmp_path / "ws2").exists()
