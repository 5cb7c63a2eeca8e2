"""Many readers, one writer: the read-only snapshot a workspace's writer keeps for others.

DuckDB lets one process hold a database file read-write, and while it does no other
process may open the file at all, not even read-only. A kernel that opened a workspace
therefore locked out every other notebook, papermill report and ``logpilot sql``.

What this module does: the writing process keeps a copy of its database at
``<ws>/snapshot/logpilot.duckdb``; a process that finds the live file locked opens that
copy READ_ONLY instead (``Workspace`` does it, so ``Workspace.sql()``, ``%%logsql`` and
``logpilot sql`` all answer) and says in one line how old it is. The copy is written with
``ATTACH`` + ``COPY FROM DATABASE`` (one MVCC read: exactly the committed state, every table,
view and constraint) into a temporary beside it, then renamed over the old one (the one
atomic-write helper, ``logpilot_kernel.atomic``): a reader holds the old inode until it
next looks, never a half-written file. Readers compare the file's inode on each new cursor
and reopen when the writer published a newer one.

When: a write is a ``ws.write_lock`` block (every writer of the ingest layer takes it), so
leaving the outermost one marks the snapshot dirty; :class:`Snapshotter` (one daemon
thread per writing process) copies once writes have been quiet for ``QUIET`` seconds
(the end of an ingest, a stream's pause), and during continuous writing at most every
``max(MIN_LAG, LAG_FACTOR x the last copy's duration)`` seconds, so the copy costs at most
about 1/LAG_FACTOR of the writer's time. The last close of the writer copies what is still
dirty. A ``dirty`` marker file outlives a killed writer, so the next writer to open copies
at once; a missing snapshot is copied on open too.

Why not the alternatives (issue 18):

- Views over the Parquet lake: the lake has the ``logs`` rows only (no ``templates``,
  ``quarantine``, runs, offsets; template search and most reports need them), a bulk
  segment is renamed into the lake *before* its rows' transaction commits
  (``ingest.segments``: only ``archive_segments``, inside the locked file, says which
  files are committed, and orphans are removed only at the next writer's open), so a
  glob reader could count rows the writer later rolls back; and rows that came in by the
  stream reach the lake in their own batches. A reader would answer different numbers
  than the writer for the same SQL.
- A query service in the writer kernel: always fresh, but a socket, a token, a thread
  serving results while the kernel runs user code, and nothing to read once the writer
  kernel is busy or gone. The snapshot stays readable when the writer is killed.
- Opening the live file READ_ONLY: only possible when no writer holds it (``Workspace(...,
  read_only=True)`` does that), and while a reader holds it no writer can open it.

Cost and freshness, measured (``.venv/bin/python
tests/benchmarks/snapshot_cost.py --rows 300000,1000000,5000000 --repeat 3``, 2 shared
cores, DuckDB 1.5; synthetic rows; "lag" = a reader in another process polling until it
counts 1,000 rows the writer committed):

==========  ===========  =========  ==========
rows        copy (med)   size       reader lag
==========  ===========  =========  ==========
300,000     0.48 s       5.5 MB     1.1 s
1,000,000   1.27 s       15.2 MB    1.9 s
5,000,000   7.96 s       70.3 MB    9.3 s
==========  ===========  =========  ==========

The snapshot is as big as the live file (the disk cost: twice the database) and the copy
grows linearly, about 1.6 s per million rows here; the copy runs in its own thread on its
own cursor, so the writer's cells do not wait for it. So a reader sees the writer's rows
about ``QUIET`` s plus one copy after a burst of writes ends (an ingest, a stream's batch),
and during a long ingest rows at most one lag old. Writes that bypass ``write_lock``
(``%%logsql --write``, raw ``ws.con`` statements) reach readers only with the next
``write_lock`` commit (or ``ws.snapshot_now()``): the close copies only what is dirty, so
a short-lived process that merely read (``logpilot sql``) never pays for a copy. Past some tens of millions of rows an incremental copy (the ``logs``
rows appended since the last one) would be the next step.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable

import duckdb

from .atomic import publish, stale_temporaries, temporary_name
from .sqltext import ident, string_literal

__all__ = ["SNAPSHOT_DIR", "Snapshotter", "catalog", "copy_pending", "freshness_line", "snapshot_file", "take",
           "open_snapshot", "read_stamp"]

SNAPSHOT_DIR = "snapshot"
QUIET = 0.5       # seconds without a write before copying
MIN_LAG = 5.0     # during continuous writing, copy at most this often ...
LAG_FACTOR = 5.0  # ... or every LAG_FACTOR x the last copy's duration, whichever is longer
_STAMP_KEYS = ("snapshot_taken_at", "snapshot_pid", "snapshot_host")
_log = logging.getLogger("logpilot")


def snapshot_file(workspace_path: Path, db_name: str = "logpilot.duckdb") -> Path:
    """Where the snapshot lives; the file keeps the live file's name, so its catalog name
    (``logpilot``) is the same and qualified SQL works on both."""
    return workspace_path / SNAPSHOT_DIR / db_name


def _dirty_marker(workspace_path: Path) -> Path:
    return workspace_path / SNAPSHOT_DIR / "dirty"


def copy_pending(workspace_path: Path) -> bool:
    """A writer has commits it has not copied yet (it is copying, or was killed)."""
    return _dirty_marker(workspace_path).exists()


def take(con: duckdb.DuckDBPyConnection, workspace_path: Path, db_name: str = "logpilot.duckdb") -> dict[str, Any]:
    """Copy the committed state of ``con``'s database to the snapshot file; returns
    ``{"seconds", "bytes", "taken_at"}``. Runs on its own cursor (its own transaction)."""
    target = snapshot_file(workspace_path, db_name)
    target.parent.mkdir(parents=True, exist_ok=True)
    for stale in stale_temporaries([target.parent], recursive=False):
        stale.unlink(missing_ok=True)
    tmp = temporary_name(target)
    t0 = time.perf_counter()
    cur = con.cursor()
    try:
        source = cur.execute("SELECT current_database()").fetchall()[0][0]
        cur.execute(f"ATTACH {string_literal(str(tmp))} AS _lp_snapshot")
        try:
            cur.execute(f'COPY FROM DATABASE "{source}" TO _lp_snapshot')
            taken = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
            cur.execute("DELETE FROM _lp_snapshot.main.meta WHERE key IN (?, ?, ?)", list(_STAMP_KEYS))
            cur.execute("INSERT INTO _lp_snapshot.main.meta VALUES (?, ?), (?, ?), (?, ?)",
                        [_STAMP_KEYS[0], taken.isoformat(), _STAMP_KEYS[1], str(os.getpid()),
                         _STAMP_KEYS[2], os.uname().nodename])
        finally:
            cur.execute("DETACH _lp_snapshot")
        publish(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        Path(str(tmp) + ".wal").unlink(missing_ok=True)
        raise
    finally:
        cur.close()
    return {"seconds": time.perf_counter() - t0, "bytes": target.stat().st_size, "taken_at": taken}


def open_snapshot(workspace_path: Path, db_name: str = "logpilot.duckdb") -> tuple[duckdb.DuckDBPyConnection, int]:
    """The snapshot opened READ_ONLY and its inode (to notice a newer one); ``FileNotFoundError``
    when the writer has not written one."""
    path = snapshot_file(workspace_path, db_name)
    ino = path.stat().st_ino
    # ATTACH into a private in-memory instance, not ``connect(path)``: DuckDB caches one
    # instance per path in a process, so a second connect would return the old snapshot.
    con = duckdb.connect(":memory:")
    try:
        con.execute(f"ATTACH {string_literal(str(path))} AS {catalog(db_name)} (READ_ONLY)")
        con.execute(f"USE {catalog(db_name)}")
    except BaseException:
        con.close()
        raise
    con.execute("SET TimeZone = 'UTC'")
    return con, ino


def catalog(db_name: str) -> str:
    """The catalog name a snapshot is attached as: the live file's (``logpilot``)."""
    return ident(Path(db_name).stem)


def read_stamp(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """When and by which process a snapshot was taken (its ``meta`` rows)."""
    rows = con.execute("SELECT key, value FROM meta WHERE key IN (?, ?, ?)", list(_STAMP_KEYS)).fetchall()
    return dict(rows)


def freshness_line(path: Path, stamp: dict[str, str], holder: str | None,
                   now: dt.datetime | None = None) -> str:
    """One line for a reader: this is a snapshot, how old it is, who holds the live file."""
    taken = stamp.get("snapshot_taken_at")
    when = "at an unknown time"
    if taken:
        from .isotime import to_utc  # the one ISO-to-UTC helper (naive UTC)

        t = to_utc(taken, what="snapshot_taken_at")
        ref = to_utc(now or dt.datetime.now(dt.timezone.utc), what="now")
        age = max(0, int((ref - t).total_seconds()))
        when = f"at {t:%Y-%m-%d %H:%M:%S} UTC ({_age(age)} ago)"
    who = holder or "another process"
    return (f"{path}: read-only snapshot taken {when}; {who} holds the workspace and "
            "writes a new snapshot after each commit (writes here are refused)")


def _age(seconds: int) -> str:
    if seconds < 120:
        return f"{seconds} s"
    if seconds < 7200:
        return f"{seconds // 60} min"
    return f"{seconds // 3600} h"


class Snapshotter:
    """The writer side: one daemon thread that copies the database when writes have been
    quiet (see the module docstring). ``mark_dirty()`` after each outermost write block."""

    def __init__(self, con: duckdb.DuckDBPyConnection, workspace_path: Path,
                 db_name: str = "logpilot.duckdb",
                 on_error: Callable[[str], None] | None = None) -> None:
        self.con = con
        self.path = workspace_path
        self.db_name = db_name
        self.on_error = on_error or (lambda text: _log.warning("%s", text))
        self._cond = threading.Condition()
        self._dirty_since: float | None = None
        self._last_write = 0.0
        self._last_cost = 0.0
        self._copying = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        #: every copy taken by this process: seconds and bytes (benchmarks and tests read it)
        self.taken: list[dict[str, Any]] = []

    def needs_copy_on_open(self) -> bool:
        """No snapshot yet, or a killed writer left commits it never copied."""
        return (not snapshot_file(self.path, self.db_name).exists()) or _dirty_marker(self.path).exists()

    def mark_dirty(self) -> None:
        now = time.monotonic()
        with self._cond:
            if self._stopped:
                return
            if self._dirty_since is None:
                self._dirty_since = now
                marker = _dirty_marker(self.path)
                if not marker.exists():
                    marker.parent.mkdir(parents=True, exist_ok=True)
                    marker.touch()
            self._last_write = now
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="logpilot-snapshot", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def _due(self, now: float) -> float | None:
        """Seconds until a copy is due (0: now), None when nothing is dirty."""
        if self._dirty_since is None:
            return None
        quiet_left = self._last_write + QUIET - now
        lag_left = self._dirty_since + max(MIN_LAG, LAG_FACTOR * self._last_cost) - now
        return max(0.0, min(quiet_left, lag_left))

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    if self._stopped:
                        return
                    wait = self._due(time.monotonic())
                    if wait == 0.0:
                        break
                    self._cond.wait(wait)
                self._dirty_since = None
                self._copying = True
            self._copy_claimed()

    def _copy_claimed(self) -> None:
        """Copy after the caller set ``_copying`` under the lock; clear it and wake waiters."""
        try:
            self._copy()
        finally:
            with self._cond:
                self._copying = False
                self._cond.notify_all()

    def _copy(self) -> None:
        try:
            done = take(self.con, self.path, self.db_name)
        except (duckdb.Error, OSError) as exc:
            self.on_error(f"{self.path}: the read-only snapshot for other processes failed: "
                          f"{str(exc).splitlines()[0]}")
            return
        self._last_cost = done["seconds"]
        self.taken.append(done)
        with self._cond:
            if self._dirty_since is None:
                _dirty_marker(self.path).unlink(missing_ok=True)

    def flush(self, timeout: float = 600.0) -> bool:
        """Copy now if dirty (and wait for a copy under way); True when nothing is left dirty."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._copying and time.monotonic() < deadline:
                self._cond.wait(deadline - time.monotonic())
            if self._dirty_since is None:
                return not self._copying
            self._dirty_since = None
            self._copying = True
        self._copy_claimed()
        return True

    def stop(self) -> None:
        """Final copy of what is still dirty, then end the thread (the writer's last close)."""
        self.flush()
        with self._cond:
            self._stopped = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout=5)
