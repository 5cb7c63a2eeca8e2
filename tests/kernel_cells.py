"""A real ipykernel fed cells as a front end sends them, and a small demo workspace for it.

Shared by the tests of what a cell shows first (issue 18's first-output budget): they
assert the order and content of the iopub messages of one execution, never a time.
"""

from __future__ import annotations

import os
import queue
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

#: The iopub messages a user sees in the cell's output area.
SHOWN = ("display_data", "stream", "update_display_data", "execute_result", "error")


def small_workspace(tmp_path: Path, lines: int = 6000) -> Path:
    """A workspace of one day of the demo estate (``lines`` lines), closed again."""
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    est = tmp_path / "estate"
    truth = generate(est, days=1, seed=7, lines=lines).to_dict()
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        dirs = sorted({s["dir"] for s in truth["services"].values()})
        assert ingest(ws, [str(est / d) for d in dirs], progress=False, parquet=False).rows_loaded
    return ws_path


@contextmanager
def kernel(ws_path: Path) -> Iterator[Any]:
    """A fresh python3 kernel with ``LOGPILOT_HOME`` on ``ws_path``; its client."""
    from jupyter_client.manager import start_new_kernel

    km, kc = start_new_kernel(kernel_name="python3", env={**os.environ, "LOGPILOT_HOME": str(ws_path)})
    try:
        yield kc
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def run(kc: Any, code: str) -> list[dict]:
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


def shown(msgs: list[dict]) -> list[dict]:
    """The messages of ``msgs`` that appear in the output area, in order."""
    return [m for m in msgs if m["msg_type"] in SHOWN]


def stdout(msgs: list[dict]) -> str:
    """What the execution printed."""
    return "".join(m["content"]["text"] for m in msgs
                   if m["msg_type"] == "stream" and m["content"]["name"] == "stdout")
