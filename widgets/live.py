"""The live panel: rows/s, lag per partition, last error and newest templates of a stream.

It is built against a small protocol, not a class: any object with ``status() -> dict``
giving ``rows_per_s``, ``lag`` ({partition: n}), ``last_error``, ``rows_written`` and
``newest_templates`` (list of str, or of dicts with ``template``); ``state`` is shown when
present. ``pilot.stream`` (the kernel's stream controller) keeps it: ``LivePanel(pilot.stream)``.

Threading: a background thread polls ``status()``. ipywidgets are not thread-safe in
general and ``with out:`` captures output of *whichever* thread runs at that moment, so the
thread never enters an ``Output`` context: it formats the panel as one HTML document and
sets ``Output.outputs`` to that one output, which only sets a trait and sends one comm
message. Not ``append_display_data``: it formats through ``InteractiveShell.instance()``,
which, once the shell the panel was made in is gone, creates a new shell from the thread.
The thread ends when the panel is closed (``close()``, also through ``Widget.close_all()``).
"""

from __future__ import annotations

import datetime as dt
import html
import threading
from typing import Any, Protocol

import ipywidgets as w


class StreamStatus(Protocol):
    """What the live panel needs from a running stream."""

    def status(self) -> dict[str, Any]: ...


def render_status(status: dict[str, Any], *, when: dt.datetime | None = None) -> str:
    """The panel's HTML for one ``status()`` snapshot (pure: testable without widgets)."""
    when = when or dt.datetime.now(dt.timezone.utc)
    rate = float(status.get("rows_per_s") or 0.0)
    written = int(status.get("rows_written") or 0)
    lag = status.get("lag") or {}
    total_lag = sum(int(v or 0) for v in lag.values())
    lag_rows = "".join(
        f"<tr><td>{html.escape(str(p))}</td><td style='text-align:right'>{int(n or 0):,}</td></tr>"
        for p, n in sorted(lag.items(), key=lambda kv: str(kv[0])))
    err = status.get("last_error")
    err_html = (f"<div class='lp-live-error' style='color:#b00'>last error: {html.escape(str(err))}</div>"
                if err else "<div class='lp-live-error' style='color:#080'>no errors</div>")
    newest = []
    for t in list(status.get("newest_templates") or [])[:10]:
        text = t.get("template", str(t)) if isinstance(t, dict) else str(t)
        newest.append(f"<li><code>{html.escape(text)}</code></li>")
    return (
        "<div class='lp-live'>"
        f"<div>{html.escape(str(status['state'])) + ' · ' if status.get('state') else ''}"
        f"<b class='lp-live-rate'>{rate:,.1f}</b> rows/s · <b>{written:,}</b> rows written · "
        f"total lag <b class='lp-live-lag'>{total_lag:,}</b> · updated {when:%H:%M:%S} UTC</div>"
        f"{err_html}"
        "<table class='lp-live-partitions' style='font-size:12px'><thead><tr><th>partition</th>"
        f"<th>lag</th></tr></thead><tbody>{lag_rows or '<tr><td colspan=2>no partitions</td></tr>'}"
        "</tbody></table>"
        f"<div>newest templates:</div><ul class='lp-live-templates'>{''.join(newest) or '<li>none yet</li>'}</ul>"
        "</div>")


class LivePanel(w.VBox):
    """A panel polling ``source.status()`` every ``interval`` seconds from a daemon thread.

    ``start()``/``stop()`` control the thread; :meth:`poll` does one update in the caller's
    thread (used by the thread, and by tests). A failing ``status()`` is shown in the panel
    and the thread keeps polling: a hiccup in the stream must not kill the panel.
    """

    def __init__(self, source: StreamStatus, interval: float = 1.0, *, start: bool = True,
                 **kwargs: Any) -> None:
        self.source = source
        self.interval = float(interval)
        self.out = w.Output()
        self.error_line = w.HTML()
        self.stop_button = w.Button(description="Stop updates", icon="stop",
                                    layout=w.Layout(width="140px"))
        self.stop_button.on_click(lambda _b: self.stop())
        self.last_status: dict[str, Any] = {}
        self.last_error: str | None = None
        self.updates = 0
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        super().__init__([w.HTML("<b>Live stream</b>"), self.out, self.error_line,
                          self.stop_button], **kwargs)
        self.add_class("lp-live-panel")
        if start:
            self.start()

    def poll(self) -> bool:
        """Read ``status()`` once and publish it; False (and the error shown) if it failed."""
        try:
            status = dict(self.source.status())
        except Exception as exc:  # shown in the panel, the thread keeps going
            self.last_error = f"status() failed: {type(exc).__name__}: {exc}"
            self.error_line.value = f"<span style='color:#b00'>{html.escape(self.last_error)}</span>"
            return False
        self.last_status = status
        self.last_error = None
        self.error_line.value = ""
        # Thread-safe hand-over: one trait set, no shell needed; never `with self.out:`.
        self.out.outputs = ({"output_type": "display_data", "metadata": {},
                             "data": {"text/html": render_status(status),
                                      "text/plain": "<live stream panel>"}},)
        self.updates += 1
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self.poll()
            self._stop.wait(self.interval)

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start polling (no-op if already running)."""
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="logpilot-live-panel", daemon=True)
        self._thread.start()
        self.stop_button.disabled = False

    def stop(self, timeout: float = 5.0) -> None:
        """Stop polling and wait for the thread to end."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout)
        self._thread = None
        self.stop_button.disabled = True

    def close(self) -> None:
        self.stop()
        super().close()
