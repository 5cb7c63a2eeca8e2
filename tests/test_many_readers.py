"""Many readers, one writer (issue 18): real processes at once on one workspace.

Process A (a child Python holding ``Workspace`` open, ingesting on command) is the writer;
process B is ``logpilot sql`` and a second IPython shell running ``%%logsql``, both in
their own processes. B must answer with A's count, see A's later ingest (polled against a
deadline, no fixed sleeps), say in one line that it reads a snapshot and how old, and
refuse to ingest with the lock line naming A's PID. ``test_two_kernels_at_once`` does the
same with two real ipykernels (jupyter_client), A ingesting through ``%logpilot ingest``;
a papermill report (``logpilot report``) reads while A holds the workspace.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any, Callable

import pytest

ROOT = Path(__file__).resolve().parent.parent

LOGPILOT = str(Path(sys.executable).with_name("logpilot"))
DEADLINE = 90.0

WRITER = textwrap.dedent("""
    import sys
    from logpilot_kernel.workspace import Workspace
    from logpilot_kernel.ingest.bulk import ingest
    ws = Workspace(sys.argv[1])
    print("pid", __import__("os").getpid(), flush=True)
    for line in sys.stdin:
        cmd, _, arg = line.strip().partition(" ")
        if cmd == "ingest":
            ingest(ws, [arg], parquet=False)
            print("rows", ws.scalar("SELECT count(*) FROM logs"), flush=True)
        elif cmd == "quit":
            break
    ws.close()
    print("closed", flush=True)
""")

SHELL = textwrap.dedent("""
    import sys
    from IPython.core.interactiveshell import InteractiveShell
    ip = InteractiveShell.instance()
    ip.run_line_magic("load_ext", "logpilot_kernel")
    r = ip.run_cell("%%logsql -o answer\\nSELECT count(*) AS n FROM logs")
    r.raise_error()
    print("count", int(ip.user_ns["answer"]["n"][0]), flush=True)
    ip.run_line_magic("logpilot", "status")
    print("freshness", ip.user_ns["pilot"].workspace.freshness, flush=True)
""")


def _json_lines(path: Path, n: int, start: int) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(start, start + n):
            fh.write(json.dumps({"timestamp": f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}Z",
                                 "level": "INFO", "service": "alpha",
                                 "message": f"request {i} handled in {i % 97} ms"}) + "\n")
    return path


def _env(ws: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    env["LOGPILOT_HOME"] = str(ws)
    env["PYTHONPATH"] = str(ROOT)
    return env


class Writer:
    """Process A: holds the workspace open and ingests when told."""

    def __init__(self, ws: Path) -> None:
        self.proc = subprocess.Popen([sys.executable, "-c", WRITER, str(ws)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=_env(ws), cwd=ROOT)
        self.pid = int(self._reply("pid"))

    def _reply(self, word: str) -> str:
        line = self.proc.stdout.readline()  # type: ignore[union-attr]
        assert line.startswith(word), f"writer said {line!r}"
        return line.split()[1] if word != "closed" else ""

    def ingest(self, path: Path) -> int:
        self.proc.stdin.write(f"ingest {path}\n")  # type: ignore[union-attr]
        self.proc.stdin.flush()  # type: ignore[union-attr]
        return int(self._reply("rows"))

    def quit(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.write("quit\n")  # type: ignore[union-attr]
            self.proc.stdin.flush()  # type: ignore[union-attr]
            self.proc.wait(timeout=60)


@pytest.fixture
def writer(tmp_path: Path):
    w = Writer(tmp_path / "ws")
    yield w
    w.quit()
    if w.proc.poll() is None:
        w.proc.kill()


def _sql_count(ws: Path) -> tuple[int, str]:
    r = subprocess.run([LOGPILOT, "sql", "SELECT count(*) AS n FROM logs", "-w", str(ws), "--format", "json"],
                       capture_output=True, text=True, env=_env(ws), cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr
    return int(json.loads(r.stdout)["rows"][0]["n"]), r.stderr


def _shell_count(ws: Path) -> tuple[int, str]:
    r = subprocess.run([sys.executable, "-c", SHELL], capture_output=True, text=True, env=_env(ws),
                       cwd=ROOT, timeout=180)
    assert r.returncode == 0, r.stderr
    assert "read-only snapshot taken at" in r.stdout.split("freshness", 1)[1], r.stdout
    return int(r.stdout.split("count", 1)[1].split()[0]), r.stderr


def _until(what: Callable[[], Any], ok: Callable[[Any], bool], deadline: float = DEADLINE) -> Any:
    """Poll ``what`` until ``ok`` holds or the deadline passes (then the last value fails the test)."""
    end = time.monotonic() + deadline
    while True:
        value = what()
        if ok(value) or time.monotonic() > end:
            return value


def test_readers_in_other_processes_answer_and_see_new_rows(writer: Writer, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    first = writer.ingest(_json_lines(tmp_path / "a.jsonl", 300, 0))
    assert first == 300

    n, err = _until(lambda: _sql_count(ws), lambda v: v[0] == first)
    assert n == first
    note = [line for line in err.splitlines() if "read-only snapshot" in line]
    assert len(note) == 1 and f"PID {writer.pid}" in note[0] and " ago)" in note[0], err

    n, err = _shell_count(ws)
    assert n == first, err
    assert "read-only snapshot" in err and "Traceback" not in err

    second = writer.ingest(_json_lines(tmp_path / "b.jsonl", 200, 300))
    assert second == 500
    n, _ = _until(lambda: _sql_count(ws), lambda v: v[0] == second)
    assert n == second
    n, _ = _until(lambda: _shell_count(ws), lambda v: v[0] == second)
    assert n == second


def test_a_reader_refuses_to_write_naming_the_holder(writer: Writer, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    writer.ingest(_json_lines(tmp_path / "a.jsonl", 50, 0))
    more = _json_lines(tmp_path / "b.jsonl", 10, 50)
    r = subprocess.run([LOGPILOT, "ingest", str(more), "-w", str(ws)], capture_output=True, text=True,
                       env=_env(ws), cwd=ROOT, timeout=120)
    assert r.returncode == 2, r.stderr
    errors = [line for line in r.stderr.splitlines() if "error" in line]
    assert len(errors) == 1 and "locked by" in errors[0] and f"PID {writer.pid}" in errors[0], r.stderr
    assert "Traceback" not in r.stderr
    n, _ = _sql_count(ws)
    assert n == 50  # nothing of the refused file arrived


def test_reader_in_process_picks_up_a_newer_snapshot(writer: Writer, tmp_path: Path) -> None:
    """One long-lived reader (like a second kernel): its next query sees the new snapshot."""
    from logpilot_kernel.workspace import Workspace

    ws_path = tmp_path / "ws"
    writer.ingest(_json_lines(tmp_path / "a.jsonl", 40, 0))
    ws = Workspace(ws_path)
    try:
        assert ws.read_only and ws.freshness and "read-only snapshot" in ws.freshness
        assert _until(lambda: ws.scalar("SELECT count(*) FROM logs"), lambda v: v == 40) == 40
        writer.ingest(_json_lines(tmp_path / "b.jsonl", 25, 40))
        assert _until(lambda: ws.sql("SELECT count(*) AS n FROM logs").n[0], lambda v: v == 65) == 65
        with pytest.raises(Exception, match=f"locked by .*PID {writer.pid}"):
            ws.write_lock
    finally:
        ws.close()


def test_writer_leaves_a_final_snapshot_and_the_next_writer_opens_normally(tmp_path: Path) -> None:
    from logpilot_kernel.snapshot import snapshot_file
    from logpilot_kernel.workspace import Workspace

    w = Writer(tmp_path / "ws")
    w.ingest(_json_lines(tmp_path / "a.jsonl", 30, 0))
    w.quit()
    import duckdb

    con = duckdb.connect(str(snapshot_file(tmp_path / "ws")), read_only=True)
    assert con.execute("SELECT count(*) FROM logs").fetchone()[0] == 30
    con.close()
    ws = Workspace(tmp_path / "ws")
    try:
        assert not ws.read_only and ws.freshness is None
        assert "snapshot" not in ws.foreign_entries()
    finally:
        ws.close()


def test_a_papermill_report_reads_while_a_kernel_holds_the_workspace(writer: Writer, tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    rows = writer.ingest(_json_lines(tmp_path / "a.jsonl", 120, 0))
    out = tmp_path / "daily.ipynb"
    r = subprocess.run([LOGPILOT, "report", "daily_report", "-w", str(ws), "--output", str(out), "--quiet"],
                       capture_output=True, text=True, env=_env(ws), cwd=ROOT, timeout=300)
    assert r.returncode == 0, r.stderr
    streams = [(o.get("name"), "".join(o.get("text", ""))) for c in json.loads(out.read_text())["cells"]
               for o in c.get("outputs", []) if o.get("output_type") == "stream"]
    assert any(name == "stdout" and text.startswith(f"{rows:,} rows from") for name, text in streams), streams
    assert any(name == "stderr" and "read-only snapshot taken at" in text for name, text in streams), streams


def test_snapshot_now_copies_writes_that_bypassed_the_write_lock(tmp_path: Path) -> None:
    import duckdb

    from logpilot_kernel.snapshot import snapshot_file
    from logpilot_kernel.workspace import Workspace
    from tests.estate_rows import load

    ws = Workspace(tmp_path / "ws")
    try:
        ws.snapshot_now()
        n = len(load(ws))  # raw ws.con inserts: no write_lock, nothing marked dirty
        assert ws.snapshot_now()
        con = duckdb.connect(":memory:")
        con.execute(f"ATTACH '{snapshot_file(ws.path)}' AS s (READ_ONLY)")
        assert con.execute("SELECT count(*) FROM s.logs").fetchone()[0] == n
        con.close()
    finally:
        ws.close()


def _kernel(ws: Path) -> Any:
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env=_env(ws), cwd=str(ROOT))
    return km, kc


def _run(kc: Any, code: str, timeout: float = 180) -> str:
    """Execute ``code`` in a real kernel; its stdout, stderr and any error as text."""
    out: list[str] = []

    def hook(msg: dict) -> None:
        c = msg["content"]
        if msg["msg_type"] == "stream":
            out.append(c["text"])
        elif msg["msg_type"] == "error":
            out.append("ERROR " + c["ename"] + ": " + c["evalue"])

    kc.execute_interactive(code, output_hook=hook, timeout=timeout)
    return "".join(out)


def test_two_kernels_at_once(tmp_path: Path) -> None:
    """Kernel A opens the workspace and ingests with the magics; kernel B, started while A
    holds it, answers %%logsql, sees A's next ingest, and cannot ingest itself."""
    ws = tmp_path / "ws"
    a_file, b_file = _json_lines(tmp_path / "a.jsonl", 80, 0), _json_lines(tmp_path / "b.jsonl", 30, 80)
    km_a, a = _kernel(ws)
    km_b = b = None
    try:
        text = _run(a, f"%load_ext logpilot_kernel\n%logpilot ingest {a_file}\nimport os\n"
                       "print('count', pilot.sql('SELECT count(*) AS n FROM logs').n[0], 'pid', os.getpid())")
        assert "ERROR" not in text, text
        pid = text.split("pid")[1].split()[0]
        km_b, b = _kernel(ws)
        count_cell = ("%%logsql -o answer\nSELECT count(*) AS n FROM logs\n")
        _run(b, "%load_ext logpilot_kernel")
        read = lambda: _run(b, count_cell) + _run(b, "print('count', int(answer.n[0]))")  # noqa: E731
        text = _until(read, lambda t: "count 80" in t)
        assert "count 80" in text, text
        notice = _run(b, "print(pilot.workspace.freshness)")
        assert "read-only snapshot taken at" in notice and f"PID {pid}" in notice, notice
        text = _run(a, f"%logpilot ingest {b_file}")
        assert "ERROR" not in text, text
        text = _until(read, lambda t: "count 110" in t)
        assert "count 110" in text, text
        refused = _run(b, f"%logpilot ingest {b_file}")
        assert "locked by" in refused and f"PID {pid}" in refused and "Traceback" not in refused, refused
    finally:
        for km, kc in ((km_a, a), (km_b, b)):
            if kc is not None:
                kc.stop_channels()
            if km is not None:
                km.shutdown_kernel(now=True)
