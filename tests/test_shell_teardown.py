"""Nothing of LogPilot outlives the IPython shell it was loaded in (a traceback appeared at
interpreter exit after a full test run: IPython's display publisher with
``history_manager`` None).

The cause found: jupysql closes every connection it still holds at interpreter exit and
*displays* "Closing logpilot" while doing so (its own ``atexit`` callback); IPython's exit
handlers of the shells created after jupysql was imported have already run by then, so the
display raised. LogPilot's connection is now taken out of jupysql when the extension
unloads and by an exit handler of its own that runs before jupysql's. The live panel's
thread no longer needs a shell at all (it used to create a new ``InteractiveShell`` from the
background thread once the test shell was cleared).

Each case runs in a fresh interpreter, because what is checked is what happens at its exit.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

_PRELUDE = """
import sys, threading, time
errors = []
threading.excepthook = lambda args: errors.append(f"{args.thread.name}: {args.exc_type.__name__}: {args.exc_value}")
from IPython.core.interactiveshell import InteractiveShell
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "logpilot_kernel")
"""


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    env["LOGPILOT_HOME"] = str(tmp_path / "ws")
    return subprocess.run([sys.executable, "-c", _PRELUDE + textwrap.dedent(code)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


def _clean_exit(proc: subprocess.CompletedProcess) -> None:
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "done" in proc.stdout, proc.stdout
    assert "Traceback" not in proc.stderr and "Exception ignored" not in proc.stderr, proc.stderr[-3000:]
    assert "Closing logpilot" not in proc.stdout


@pytest.mark.parametrize("unload", [True, False], ids=["unloaded", "shell-cleared-only"])
def test_jupysql_registration_ends_with_the_shell(tmp_path: Path, unload: bool) -> None:
    """The test fixture's teardown (unload, clear the instance), then the next test's shell;
    also a shell cleared without unloading the extension."""
    proc = _run(f"""
        ip.run_cell("%logsql SELECT 1").raise_error()
        ip.run_cell("%%sql logpilot\\nSELECT 41 + 1 AS n").raise_error()  # registers with jupysql
        if {unload!r}:
            ip.run_line_magic("unload_ext", "logpilot_kernel")
        InteractiveShell.clear_instance()
        InteractiveShell.instance()  # the next test's shell: its exit handlers run before jupysql's
        print("done")
    """, tmp_path)
    _clean_exit(proc)


def test_unload_takes_the_connection_out_of_jupysql(tmp_path: Path) -> None:
    proc = _run("""
        ip.run_cell("%logsql SELECT 1").raise_error()
        ip.run_cell("%%sql logpilot\\nSELECT 1 AS n").raise_error()
        from sql.connection import ConnectionManager
        print("registered", "logpilot" in ConnectionManager.connections)
        ip.run_line_magic("unload_ext", "logpilot_kernel")
        print("after unload", "logpilot" in ConnectionManager.connections, "_logpilot_con" in ip.user_ns)
        print("done")
    """, tmp_path)
    _clean_exit(proc)
    assert "registered True" in proc.stdout and "after unload False False" in proc.stdout


def test_live_panel_thread_after_the_shell_is_gone(tmp_path: Path) -> None:
    """The panel keeps polling after the shell is cleared: no exception escapes its thread,
    nothing reaches stderr, and it creates no new shell from the background thread."""
    proc = _run("""
        panel = ip.user_ns["pilot"].live(interval=0.01)
        deadline = time.monotonic() + 30
        while panel.updates < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        ip.run_line_magic("unload_ext", "logpilot_kernel")
        InteractiveShell.clear_instance()
        seen = panel.updates
        while panel.updates < seen + 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        print("ticked", panel.updates > seen, "shell re-created", InteractiveShell.initialized(), errors)
        print("html", "rows/s" in panel.out.outputs[0]["data"]["text/html"], len(panel.out.outputs))
        panel.close()
        print("stopped", not panel.running)
        print("done")
    """, tmp_path)
    _clean_exit(proc)
    assert "ticked True shell re-created False []" in proc.stdout, proc.stdout
    assert "html True 1" in proc.stdout and "stopped True" in proc.stdout
