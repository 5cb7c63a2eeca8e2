"""A live widget holds its workspace: close() waits until the widget is closed (issue 18).

Run All on a notebook re-runs ``ws = pilot.open(...)`` (which closes the previous handle)
and a last cell may call ``pilot.close()``; a dashboard displayed above must keep
answering ("this workspace handle is closed" was the symptom). Real workspace, real
Dashboard, and a real second process to show the file lock is released only after the
widget is closed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.estate_rows import load

OPEN_RW = ("import sys; from logpilot_kernel.workspace import Workspace; ws = Workspace(sys.argv[1]); "
           "print('read-only' if ws.read_only else 'writer'); ws.close()")


def _other_process_mode(path: Path) -> str:
    r = subprocess.run([sys.executable, "-c", OPEN_RW, str(path)], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_close_is_deferred_while_a_dashboard_lives(tmp_path: Path) -> None:
    from logpilot_kernel.widgets import Dashboard
    from logpilot_kernel.workspace import Workspace

    ws = Workspace(tmp_path / "ws")
    rows = load(ws)
    dash = Dashboard(ws, period="all")
    assert ws.holders == 1
    ws.close()  # what a notebook's last cell does
    assert "open" in repr(ws)
    dash.refresh()
    assert dash.last_error is None
    assert dash.kpis["volume"] == len(rows)
    assert _other_process_mode(tmp_path / "ws") == "read-only"  # still held by this process
    dash.close()  # the widget goes: the deferred close happens now
    assert "closed" in repr(ws)
    assert _other_process_mode(tmp_path / "ws") == "writer"


def test_run_all_again_and_close_leave_the_dashboard_working(shell, tmp_path: Path) -> None:
    """The notebook pattern: open, dashboard, close at the end, then Run All re-opens."""
    from logpilot_kernel.workspace import Workspace

    path = tmp_path / "ws"
    seed = Workspace(path)
    n = len(load(seed))
    seed.close()
    shell.user_ns["path"] = str(path)
    shell.run_cell("ws = pilot.open(path)\nfrom logpilot_kernel.widgets import Dashboard\n"
                   "dash = Dashboard(ws, period='all')")
    shell.run_cell("pilot.close()")
    shell.run_cell("ws = pilot.open(path)")  # Run All: the opening cell again
    shell.run_cell("dash.refresh()")
    dash = shell.user_ns["dash"]
    assert dash.last_error is None and dash.kpis["volume"] == n
    shell.run_cell("dash.close(); pilot.close()")
