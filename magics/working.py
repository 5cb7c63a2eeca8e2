"""The "working ..." status line of a cell whose first output would take seconds.

Why: issue 18's budget is that any cell shows output or a progress indicator within 1 s;
a cell silent for longer reads as hung (only ``[*]``). Work that cannot be made that fast
(the why-engine's evidence, opening a workspace: importing duckdb and pandas) shows this
line first and blanks it when done, so the cell's final output reads as before.

Only in a kernel: in a terminal IPython shell a display is printed text, which would mix
into a command's own output (``%%logwhy --format json`` must stay parseable).
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Any, Iterator

__all__ = ["show_working", "clear_working", "working"]


def show_working(text: str, shell: Any = None) -> Any:
    """Display ``text`` as a status line now; its display handle, or None when ``shell``
    (default: the running IPython) is not a kernel and nothing was shown. Not from a
    background thread either: its display would land in whatever cell runs then."""
    if threading.current_thread() is not threading.main_thread():
        return None
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
    if getattr(shell, "kernel", None) is None:
        return None
    from IPython.display import display

    return display({"text/plain": text}, raw=True, display_id=True)


def clear_working(handle: Any) -> None:
    """Blank the status line ``handle`` (from :func:`show_working`; None: nothing)."""
    if handle is not None:
        handle.update({"text/plain": ""}, raw=True)


_active: list[Any] = []  # the lines shown by ``working`` blocks now running (main thread)


@contextmanager
def working(text: str, shell: Any = None) -> Iterator[Any]:
    """``with working("opening ..."):`` shows the line for the block's duration, and blanks
    it however the block ends (an error's one-line message then stands alone). Inside
    another ``working`` block (``%%logwhy`` opening the workspace on first use) nothing
    more is shown: one status line per cell."""
    if _active or threading.current_thread() is not threading.main_thread():
        yield None
        return
    handle = show_working(text, shell)
    _active.append(handle)
    try:
        yield handle
    finally:
        _active.remove(handle)
        clear_working(handle)
