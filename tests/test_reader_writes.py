"""A write on a reader's workspace is one line, never a traceback (issue 17 item 8/hardening).

A second kernel on a workspace another process holds reads that process's snapshot. There,
``%%logsql --write``, a write without it, ``%logpilot ingest`` and ``%logpilot stream
start`` must each end in a one-line ``UsageError`` that says why (and who holds the file),
while reads go on. Checked through a real IPython ``InteractiveShell`` in a fresh
interpreter, with a real holder process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HOLDER = ("import sys\nfrom logpilot_kernel import Workspace\nw = Workspace(sys.argv[1])\n"
          "w.sql(\"CREATE TABLE IF NOT EXISTS notes AS SELECT 1 AS a\")\nw.snapshot_now()\n"
          "print('ready', flush=True)\nsys.stdin.read()\n")

READER = r'''
import io, json, sys, contextlib
from IPython.core.interactiveshell import InteractiveShell
from IPython.core.error import UsageError
ip = InteractiveShell.instance()
ip.run_line_magic("load_ext", "logpilot_kernel")
cells = json.loads(sys.argv[1])
out = {"read_only": ip.user_ns["pilot"].workspace.read_only}
for cell in cells:
    buf_out, buf_err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(buf_out), contextlib.redirect_stderr(buf_err):
        r = ip.run_cell(cell)
    err = r.error_in_exec or r.error_before_exec
    out[cell] = {"error": type(err).__name__ if err else None, "message": str(err) if err else "",
                 "printed": buf_out.getvalue() + buf_err.getvalue(),
                 "result": repr(r.result)[:200]}
print("RESULT=" + json.dumps(out))
'''

CELLS = [
    "%%logsql --write\nCREATE TABLE x AS SELECT 1",
    "%%logsql --write\nINSERT INTO notes VALUES (2)",
    "%%logsql\nDELETE FROM notes",
    "%logpilot ingest app.log",
    "%logpilot stream start t --bootstrap-servers 127.0.0.1:1",
    "%%logsql\nSELECT count(*) AS n FROM notes",
]


def test_writes_on_a_reader_are_one_line_usage_errors(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    (tmp_path / "app.log").write_text("2024-01-01 00:00:00 INFO started\n")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(ws)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, cwd=tmp_path)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        proc = subprocess.run([sys.executable, "-c", READER, json.dumps(CELLS)], cwd=tmp_path, capture_output=True,
                              text=True, timeout=300, env={**os.environ, "LOGPILOT_HOME": str(ws)})
    finally:
        assert holder.stdin is not None
        holder.stdin.close()
        holder.wait(60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    got = json.loads(proc.stdout.rsplit("RESULT=", 1)[1].splitlines()[0])
    assert got["read_only"] is True, "the second process reads the holder's snapshot"
    for cell in CELLS[:-1]:
        res = got[cell]
        assert res["error"] == "UsageError", (cell, res)
        assert "\n" not in res["message"].strip() and res["message"].strip(), (cell, res)
        assert "Traceback" not in res["printed"] and "Traceback" not in proc.stderr, (cell, res)
    pid = str(holder.pid)
    for cell in CELLS[:2] + CELLS[3:5]:
        assert pid in got[cell]["message"], ("names the holder", cell, got[cell]["message"])
    assert got[CELLS[0]]["message"].startswith("%%logsql --write: writes are refused here")
    assert got[CELLS[4]]["message"].startswith("stream: writes are refused here")
    assert got[CELLS[-1]]["error"] is None and "1" in got[CELLS[-1]]["printed"] + got[CELLS[-1]]["result"]
