"""``pilot.stream``: the Kafka stream as a daemon thread inside the analyst's kernel.

Why a thread and not a process: a second process cannot open the workspace's DuckDB file
while the kernel holds it, so the kernel itself must write. The thread takes its own
workspace handle (the shared database stays open even if the notebook switches
workspace), its own cursor and ``ws.write_lock``; notebook queries keep running on their
cursors meanwhile. ``start`` returns at once; ``status`` is a thread-safe snapshot a
widget can poll; the thread stops at interpreter exit (``atexit``) and on ``stop``.
"""

from __future__ import annotations

import atexit
import logging
import threading
import weakref
from typing import Any, Callable

from ..config import STREAM_DEFAULTS as D
from ..errors import LogPilotError
from ..workspace import Workspace
from .stream import StreamError, StreamOptions, StatusBoard
from .stream_sinks import WorkspaceStream


class StreamStatus(dict):
    """A status snapshot (a plain dict) that renders as a short table in a notebook."""

    def _repr_markdown_(self) -> str:
        lag = ", ".join(f"{k}: {v:,}" for k, v in sorted(self.get("lag", {}).items())) or "-"
        rows = [
            ("state", self.get("state")), ("topics", ", ".join(self.get("topics") or [])),
            ("group", self.get("group")), ("rule / source", f"{self.get('rule')} / {self.get('source')}"),
            ("rows written", f"{self.get('rows_written', 0):,}"),
            ("rate (rows/s, last 10 s)", self.get("rate_rows_per_s")),
            ("lag per partition", lag), ("quarantined", f"{self.get('quarantined', 0):,}"),
            ("new templates", self.get("new_templates", 0)),
            ("last error", self.get("last_error") or "-"),
        ]
        return "| stream | |\n|---|---|\n" + "\n".join(f"| {k} | {v} |" for k, v in rows)


class StreamController:
    """Start, watch and stop one stream into the current workspace.

    ``workspace_getter`` returns the workspace to write into (``lambda: pilot.workspace``),
    called at each ``start`` so ``%logpilot open`` elsewhere is honoured next time.
    """

    def __init__(self, workspace_getter: Callable[[], Workspace]) -> None:
        self._get_ws = workspace_getter
        self._lock = threading.Lock()
        self._consumer: WorkspaceStream | None = None
        self._thread: threading.Thread | None = None
        self._ws: Workspace | None = None
        self._last: dict[str, Any] = {"state": "idle"}
        ref = weakref.ref(self)
        atexit.register(lambda: (c := ref()) is not None and c.stop(timeout=10))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, topics: str | list[str], *, bootstrap_servers: str = D.bootstrap_servers,
              group: str = D.kernel_group, format: str | None = None, source: str | None = None,
              batch_size: int = D.batch_size, batch_ms: int = D.batch_ms, start: str = D.start,
              embed: bool = True, **options: Any) -> StreamStatus:
        """Begin consuming in a daemon thread; returns immediately with the first status.

        ``options`` are further :class:`StreamOptions` fields (``max_record_bytes``,
        ``backoff_max``, ``consumer_config`` ...). A broker that is down is not an error
        here: the thread retries with back-off and ``status()`` shows why.
        """
        with self._lock:
            if self.running:
                raise StreamError("a stream is already running in this kernel; stop it first "
                                  "(pilot.stream.stop() or %logpilot stream stop)")
            opts = StreamOptions(bootstrap_servers=bootstrap_servers,
                                 topics=[topics] if isinstance(topics, str) else list(topics),
                                 group=group, format=format, source=source, batch_size=batch_size,
                                 batch_ms=batch_ms, start=start, **options).check()
            kafka_log = logging.getLogger("kafka")
            if kafka_log.level == logging.NOTSET:
                # kafka-python logs every failed reconnect; in a notebook that floods the
                # cell output during an outage. The status carries the error instead.
                kafka_log.setLevel(logging.CRITICAL)
            current = self._get_ws()
            if current.read_only:  # a reader: refuse now, in one line, not in the thread later
                try:
                    current.write_lock  # noqa: B018 - raises the workspace's own one-line reason
                except LogPilotError as exc:
                    raise StreamError(f"stream: writes are refused here: {str(exc).splitlines()[0]}") from None
            ws = Workspace(current.path, settings=current.settings)  # our own handle keeps the DB open
            try:
                consumer = WorkspaceStream(ws, opts, embed=embed, status=StatusBoard())
            except Exception:
                ws.close()
                raise
            self._ws, self._consumer = ws, consumer
            self._thread = threading.Thread(target=self._run, args=(consumer, ws),
                                            name="logpilot-stream", daemon=True)
            self._thread.start()
        return self.status()

    def _run(self, consumer: WorkspaceStream, ws: Workspace) -> None:
        try:
            consumer.run()
        except Exception as exc:  # noqa: BLE001 - a bug must show in status, not kill silently
            consumer.status.error(f"crashed: {type(exc).__name__}: {exc}")
            consumer.status.set(state="failed")
        finally:
            self._last = consumer.status.snapshot()
            ws.close()

    def stop(self, timeout: float = D.stop_timeout) -> StreamStatus:
        """Flush the pending batch, commit, and join the thread (at most ``timeout`` s)."""
        with self._lock:
            consumer, thread = self._consumer, self._thread
            if consumer is None or thread is None:
                return self.status()
            consumer.stop()
            thread.join(timeout)
            if thread.is_alive():
                snap = consumer.status.snapshot()
                snap["state"] = "stopping (still flushing)"
                return StreamStatus(snap)
            self._consumer, self._thread, self._ws = None, None, None
        return self.status()

    def status(self) -> StreamStatus:
        """Rate, lag per partition, last error, rows written: a copy, safe to poll."""
        consumer = self._consumer
        if consumer is not None:
            return StreamStatus(consumer.status.snapshot())
        return StreamStatus(self._last)

    def __repr__(self) -> str:
        s = self.status()
        return f"<StreamController {s.get('state')} rows={s.get('rows_written', 0)}>"


__all__ = ["StreamController", "StreamStatus"]
