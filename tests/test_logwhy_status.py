"""``%%logwhy`` in a real kernel shows a status line at once and blanks it when the answer
is in (issue 18: a cell's first output within 1 s; the evidence itself takes seconds).
In a terminal shell nothing extra is printed (``--format json`` output stays parseable)."""

from __future__ import annotations

import json

from tests.kernel_cells import kernel, run, shown, small_workspace, stdout


def test_logwhy_status_line_first_then_blanked(tmp_path):
    ws_path = small_workspace(tmp_path)
    with kernel(ws_path) as kc:
        errors = [m for m in run(kc, f"%load_ext logpilot_kernel\n%logpilot open {ws_path}")
                  if m["msg_type"] == "error"]
        assert not errors, errors
        msgs = run(kc, "%%logwhy --format json\nwhat is abnormal?")
    out = shown(msgs)
    assert out, msgs
    first = out[0]
    assert first["msg_type"] == "display_data", first
    assert "gathering evidence" in first["content"]["data"]["text/plain"]
    status_id = first["content"]["transient"]["display_id"]
    updates = [m for m in out if m["msg_type"] == "update_display_data"]
    assert [u["content"]["transient"]["display_id"] for u in updates] == [status_id]
    assert updates[0]["content"]["data"]["text/plain"] == ""
    # the answer itself: one JSON document on stdout, after the status line
    assert isinstance(json.loads(stdout(out)), dict)
    assert out.index(first) < next(i for i, m in enumerate(out) if m["msg_type"] == "stream")


def test_logwhy_prints_no_status_in_a_terminal_shell(shell, tmp_path):
    """A terminal shell has no kernel: stdout is the JSON answer alone."""
    ws_path = small_workspace(tmp_path)
    shell.run_line_magic("logpilot", f"open {ws_path}")
    from IPython.utils.capture import capture_output

    with capture_output() as cap:
        shell.run_cell_magic("logwhy", "--format json", "what is abnormal?")
    assert "gathering evidence" not in cap.stdout
    assert isinstance(json.loads(cap.stdout), dict)
