"""``%%logwhy`` in a real kernel shows a status line at once and blanks it when the answer
is in (issue 18: a cell's first output within 1 s; the evidence itself takes seconds).
In a terminal shell nothing extra is printed (``--format json`` output stays parseable)."""

from __future__ import annotations

import json
import os
import queue

from jupyter_client.manager import start_new_kernel

from logpilot_kernel import Workspace
from logpilot_kernel.demo import generate
from logpilot_kernel.ingest.bulk import ingest


def _small_workspace(tmp_path):
    est = tmp_path / "estate"
    truth = generate(est, days=1, seed=7, lines=6000).to_dict()
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        dirs = sorted({s["dir"] for s in truth["services"].values()})
        assert ingest(ws, [str(est / d) for d in dirs], progress=False, parquet=False).rows_loaded
    return ws_path


def _run(kc, code: str) -> list[dict]:
    """The iopub messages of one execution, in arrival order, until the kernel is idle."""
    msg_id = kc.execute(code)
    out: list[dict] = []
    while True:
        try:
            msg = kc.get_iopub_msg(timeout=300)
        except queue.Empty:  # pragma: no cover - a hung kernel fails the test below
            raise AssertionError(f"no reply to {code!r}; got {out}")
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        out.append(msg)
        if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
            return out


def test_logwhy_status_line_first_then_blanked(tmp_path):
    ws_path = _small_workspace(tmp_path)
    km, kc = start_new_kernel(kernel_name="python3", env={**os.environ, "LOGPILOT_HOME": str(ws_path)})
    try:
        errors = [m for m in _run(kc, f"%load_ext logpilot_kernel\n%logpilot open {ws_path}")
                  if m["msg_type"] == "error"]
        assert not errors, errors
        msgs = _run(kc, "%%logwhy --format json\nwhat is abnormal?")
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    shown = [m for m in msgs if m["msg_type"] in ("display_data", "stream", "update_display_data", "error")]
    assert shown, msgs
    first = shown[0]
    assert first["msg_type"] == "display_data", first
    assert "gathering evidence" in first["content"]["data"]["text/plain"]
    status_id = first["content"]["transient"]["display_id"]
    updates = [m for m in shown if m["msg_type"] == "update_display_data"]
    assert [u["content"]["transient"]["display_id"] for u in updates] == [status_id]
    assert updates[0]["content"]["data"]["text/plain"] == ""
    # the answer itself: one JSON document on stdout, after the status line
    text = "".join(m["content"]["text"] for m in shown if m["msg_type"] == "stream"
                   and m["content"]["name"] == "stdout")
    assert isinstance(json.loads(text), dict)
    assert shown.index(first) < next(i for i, m in enumerate(shown) if m["msg_type"] == "stream")


def test_logwhy_prints_no_status_in_a_terminal_shell(shell, tmp_path):
    """A terminal shell has no kernel: stdout is the JSON answer alone."""
    ws_path = _small_workspace(tmp_path)
    shell.run_line_magic("logpilot", f"open {ws_path}")
    from IPython.utils.capture import capture_output

    with capture_output() as cap:
        shell.run_cell_magic("logwhy", "--format json", "what is abnormal?")
    assert "gathering evidence" not in cap.stdout
    assert isinstance(json.loads(cap.stdout), dict)
