"""The live panel against the stream-status protocol, updated from its background thread."""

from __future__ import annotations

import threading
import time

from logpilot_kernel.widgets import LivePanel
from logpilot_kernel.widgets.live import render_status


class CountingStream:
    """A real object keeping the protocol: its numbers move on every call, on request it fails."""

    def __init__(self) -> None:
        self.calls = 0
        self.fail = False
        self.threads: set[str] = set()

    def status(self) -> dict:
        self.threads.add(threading.current_thread().name)
        self.calls += 1
        if self.fail:
            raise ConnectionError("broker 127.0.0.1:9092 unreachable")
        return {"rows_per_s": 1000.0 + self.calls, "rows_written": 5000 * self.calls,
                "lag": {"logs/0": 3 * self.calls, "logs/1": 7},
                "last_error": None if self.calls < 3 else "bad record at logs/1@42",
                "newest_templates": [f"template number <*> seen {self.calls}"]}


def _html(panel: LivePanel) -> str:
    return "".join(o["data"].get("text/html", "") for o in panel.out.outputs)


def wait_for(cond, timeout: float = 5.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.02)
    return False


def test_render_status_shows_every_field():
    html = render_status({"state": "running", "rows_per_s": 12.5, "rows_written": 1234, "lag": {"p0": 5, "p1": 6},
                          "last_error": "boom <x>", "newest_templates": [{"template": "a <*>"}]})
    assert "running · " in html and "12.5" in html and "1,234" in html and "p1" in html and ">11<" in html
    assert "boom &lt;x&gt;" in html and "a &lt;*&gt;" in html


def test_background_thread_updates_through_outputs():
    src = CountingStream()
    panel = LivePanel(src, interval=0.05)
    try:
        assert wait_for(lambda: panel.updates >= 4), panel.updates
        assert "logpilot-live-panel" in src.threads  # polled from the background thread
        assert len(panel.out.outputs) == 1  # replaced, not accumulated
        html = _html(panel)
        assert "rows/s" in html and "logs/0" in html and "bad record at logs/1@42" in html
    finally:
        panel.stop()
    assert not panel.running
    calls = src.calls
    time.sleep(0.2)
    assert src.calls == calls  # the thread really stopped


def test_status_failure_is_shown_and_polling_continues():
    src = CountingStream()
    src.fail = True
    panel = LivePanel(src, interval=0.05)
    try:
        assert wait_for(lambda: "unreachable" in panel.error_line.value)
        assert panel.running and panel.updates == 0
        src.fail = False
        assert wait_for(lambda: panel.updates >= 1 and panel.error_line.value == "")
    finally:
        panel.close()


def test_thread_ends_when_the_widget_is_closed_from_outside():
    """Closing every widget (what a teardown does, not ``panel.close()`` by hand) ends the
    polling thread: there is nothing left to update."""
    import ipywidgets as w

    src = CountingStream()
    panel = LivePanel(src, interval=0.02)
    assert wait_for(lambda: panel.updates >= 2)
    w.Widget.close_all()
    assert wait_for(lambda: not panel.running), "the thread kept polling a closed panel"
    calls = src.calls
    time.sleep(0.1)
    assert src.calls == calls
