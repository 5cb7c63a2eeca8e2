"""One DuckDB instance per workspace file per process, and who may write through it.

Why its own module: ``Workspace`` (the handle) and this (the process-wide instance behind
every handle on one file: reference counts, the write lock, the mode: writer, read-only,
or another writer's snapshot) change for different reasons; see ``workspace`` for the
whole story and ``snapshot`` for why readers read a snapshot.
"""

from __future__ import annotations

import re
import threading
import time
from pathlib import Path
from typing import Any, Callable

import duckdb

from . import snapshot as _snap
from .errors import WorkspaceError, WorkspaceLockedError

__all__ = ["SharedDB", "WriteLock", "connect"]


class WriteLock:
    """``ws.write_lock``: the process's RLock for multi-statement writes; leaving the
    outermost block is a commit point, so it tells the snapshotter (``snapshot``)."""

    def __init__(self, on_commit: Callable[[], None]) -> None:
        self._lock = threading.RLock()
        self._depth = threading.local()
        self._on_commit = on_commit

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        got = self._lock.acquire(blocking, timeout)
        if got:
            self._depth.n = getattr(self._depth, "n", 0) + 1
        return got

    def release(self) -> None:
        self._depth.n -= 1
        outermost = self._depth.n == 0
        self._lock.release()
        if outermost:
            self._on_commit()

    def __enter__(self) -> "WriteLock":
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def quiet(self) -> threading.RLock:
        """The lock without the commit notice: opening's bookkeeping, which readers need not see."""
        return self._lock


class SharedDB:
    """One DuckDB instance per workspace file per process, reference counted.

    ``mode`` is ``"write"`` (this process holds the file, a snapshotter copies it for
    others), ``"read"`` (the live file READ_ONLY) or ``"snapshot"`` (another process holds
    the file; ``con`` is the snapshot, swapped for a newer one by :meth:`refresh`).
    """

    _lock = threading.Lock()
    _open: dict[Path, "SharedDB"] = {}

    def __init__(self, path: Path, con: duckdb.DuckDBPyConnection, mode: str = "write",
                 holder: str | None = None, snapshot_ino: int | None = None) -> None:
        self.path = path
        self.con = con
        self.mode = mode
        self.holder = holder
        self.snapshot_ino = snapshot_ino
        self.refs = 0
        self.snapshotter: _snap.Snapshotter | None = None
        if mode == "write":
            self.snapshotter = _snap.Snapshotter(con, path.parent, path.name)
        self.write_lock = WriteLock(self._committed)
        #: what the first open in this process cleaned after killed runs (``_recover``)
        self.recovered: dict[str, Any] | None = None

    def _committed(self) -> None:
        if self.snapshotter is not None:
            self.snapshotter.mark_dirty()

    @classmethod
    def acquire(cls, path: Path, read_only: bool = False) -> "SharedDB":
        key = path.resolve()
        with cls._lock:
            shared = cls._open.get(key)
            if shared is None:
                try:
                    shared = cls(key, connect(key, read_only), "read" if read_only else "write")
                except WorkspaceLockedError as locked:
                    shared = cls._snapshot(key, locked)
                cls._open[key] = shared
            shared.refs += 1
            return shared

    @classmethod
    def _snapshot(cls, key: Path, locked: WorkspaceLockedError) -> "SharedDB":
        """Another process holds the file: its snapshot, waiting a little for a writer that
        is writing its first one (it copies on open when there is none)."""
        deadline = time.monotonic() + 10.0
        while True:
            try:
                con, ino = _snap.open_snapshot(key.parent, key.name)
                break
            except FileNotFoundError:
                # no copy under way (a holder that is not LogPilot): the lock error at once
                if not _snap.copy_pending(key.parent) or time.monotonic() > deadline:
                    raise locked from None
                time.sleep(0.2)
            except duckdb.Error:
                raise locked from None
        shared = cls(key, con, "snapshot", locked.holder, ino)
        shared.note()
        return shared

    def note(self) -> str:
        """Log (and return) the one line saying this is a snapshot and how old it is."""
        try:
            stamp = _snap.read_stamp(self.con)
        except duckdb.Error:
            stamp = {}
        line = _snap.freshness_line(self.path.parent, stamp, self.holder)
        import logging

        logging.getLogger("logpilot").warning("%s", line)
        return line

    def refresh(self) -> None:
        """Snapshot mode: reopen when the writer published a newer snapshot."""
        if self.mode != "snapshot":
            return
        try:
            ino = _snap.snapshot_file(self.path.parent, self.path.name).stat().st_ino
        except OSError:
            return
        if ino == self.snapshot_ino:
            return
        with self._lock:
            if ino == self.snapshot_ino:
                return
            try:
                con, ino = _snap.open_snapshot(self.path.parent, self.path.name)
            except (OSError, duckdb.Error):
                return  # keep the one we have; the next cursor tries again
            # silently: the one line was said at open (``Workspace.freshness`` has the new age)
            self.con, self.snapshot_ino = con, ino  # cursors of the old one keep working

    def release(self) -> None:
        with self._lock:
            self.refs -= 1
            last = self.refs <= 0
            if last:
                self._open.pop(self.path, None)
        if not last:
            return
        if self.snapshotter is not None:
            self.snapshotter.stop()
        try:
            self.con.close()
        except duckdb.Error:
            pass


def connect(path: Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    if read_only and not path.exists():
        raise WorkspaceError(str(path), "no workspace here to open read-only")
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            m = re.search(r"held in (.+?) \(PID (\d+)\)", text)
            holder = f"{m.group(1)} (PID {m.group(2)})" if m else None
            raise WorkspaceLockedError(str(path), holder) from None
        if "not a valid DuckDB database" in text or "database file" in text.lower():
            raise WorkspaceError(str(path), "exists but is not a DuckDB database file; "
                                 "move it away or pick another workspace") from None
        raise WorkspaceError(str(path), text) from None
    con.execute("SET TimeZone = 'UTC'")
    return con
