"""The shipped notebooks' opening cell (``%load_ext``, ``use_light_charts()``,
``pilot.open``, ``ws.summary()``, a print) shows a status line at once in a real kernel
and blanks it before its print (issue 18: any cell's first output within 1 s; the cell was
silent for 3-4 s). Order and content of the iopub messages are asserted, never a time.
"""

from __future__ import annotations

import nbformat
import pytest
from IPython.utils.capture import capture_output

from logpilot_kernel import reports
from tests.kernel_cells import kernel, run, shown, small_workspace, stdout

PLOTLY_MIME = "application/vnd.plotly.v1+json"
NOTEBOOKS = ("ask_anything", "investigate_incident", "dashboard", "daily_report", "security_review")


@pytest.fixture(scope="module")
def ws_path(tmp_path_factory):
    return small_workspace(tmp_path_factory.mktemp("opening"))


def _code_cells(name: str) -> list[str]:
    nb = nbformat.read(str(reports.find(name)), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_opening_cell_shows_a_status_line_first(name, ws_path):
    params, opening = _code_cells(name)[:2]
    assert "pilot.open(" in opening  # the cell this test is about
    with kernel(ws_path) as kc:
        assert not [m for m in run(kc, params) if m["msg_type"] == "error"]
        out = shown(run(kc, opening))
        # what the opening left to pay: not the notebook-format validator, and a figure
        # shown as a cell's value is the light bundle
        probe = run(kc, "import sys\nprint('jsonschema' in sys.modules)")
        fig = shown(run(kc, "import plotly.graph_objects as go\ngo.Figure(go.Bar(x=[1, 2], y=[3, 4]))"))
    assert [m["msg_type"] for m in out if m["msg_type"] == "error"] == []
    first = out[0]
    assert first["msg_type"] == "display_data", out
    assert "opening the workspace" in first["content"]["data"]["text/plain"]
    status_id = first["content"]["transient"]["display_id"]
    updates = [i for i, m in enumerate(out) if m["msg_type"] == "update_display_data"]
    assert len(updates) == 1 and out[updates[0]]["content"]["transient"]["display_id"] == status_id
    assert out[updates[0]]["content"]["data"]["text/plain"] == ""
    printed = [i for i, m in enumerate(out) if m["msg_type"] == "stream"]
    assert printed and updates[0] < printed[0]  # blanked before the cell's own output
    assert "rows from" in stdout(out)
    assert stdout(probe).strip() == "False"
    assert [m["msg_type"] for m in fig] == ["display_data"]
    assert PLOTLY_MIME in fig[0]["content"]["data"]


def test_logwhy_as_first_use_shows_one_status_line(ws_path):
    """``%%logwhy`` opening the workspace on first use: its own line only, not a second."""
    with kernel(ws_path) as kc:
        run(kc, "%load_ext logpilot_kernel")
        out = shown(run(kc, "%%logwhy --format json\nwhat is abnormal?"))
    lines = [m for m in out if m["msg_type"] == "display_data"]
    assert len(lines) == 1, lines
    assert "gathering evidence" in lines[0]["content"]["data"]["text/plain"]
    assert "opening the workspace" not in str(out)


def test_open_prints_nothing_in_a_terminal_shell(shell, ws_path):
    with capture_output() as cap:
        ws = shell.user_ns["pilot"].open(ws_path)
    assert ws.summary()["rows"] > 0
    assert cap.stdout == "" and cap.outputs == []
