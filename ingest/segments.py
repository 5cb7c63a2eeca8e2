"""The Parquet archive, crash-safe: segments staged, renamed into place, recorded with the rows.

Why: the archive (``<ws>/parquet/source=S/date=D/*.parquet``) is the engine-neutral
system of record, so it must hold each record exactly once after any kill, like ``logs``.
DuckDB's ``COPY ... TO`` writes straight into place and is not part of a transaction, so a
kill could leave a 0-byte file (``read_parquet`` then fails on the whole archive) or a
complete file whose rows never reached ``logs`` (the re-run wrote them again).  Now:

1. a chunk's rows are written by ``COPY`` under ``<ws>/.staging/<run>-<chunk>/`` (outside
   the archive, so no reader's glob sees them);
2. each complete file is fsynced and renamed into the archive under a name that carries
   its run and chunk (``seg-<run>-<chunk>-<i>.parquet``; the one atomic-write helper,
   ``logpilot_kernel.atomic``);
3. the rows go into ``logs`` and the segments into ``archive_segments`` in ONE DuckDB
   transaction.

A kill before 3 commits leaves segments no table row names; :func:`recover` (run when a
process first opens the workspace, so no writer can be alive: DuckDB allows one process
per file) deletes them and the staging folder, and the re-run, finding the chunk's rows
absent from ``logs``, writes the chunk again.  A kill after 3 leaves nothing to do: the
re-run's anti-join finds the rows and skips the chunk.  Archive files without the
``seg-`` prefix (written before this module) are never touched.

``LOGPILOT_FAULT=<point>[:<n>]`` makes the process SIGKILL itself the n-th time (default
first) it reaches the named point (:func:`fault_point`): the crash tests kill a real
ingest at exact places instead of racing a timer.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
from collections import Counter
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from ..archive import SEGMENTS_DDL, STAGING, recover, summary  # noqa: F401 (re-exported: the writer and recovery share one table)
from ..atomic import publish
from ..sqltext import literal

__all__ = ["SegmentWriter", "Staged", "fault_point", "recover", "summary", "SEGMENTS_DDL", "run_marker"]

_passes: Counter[str] = Counter()


def fault_point(name: str) -> None:
    """SIGKILL this process here if ``LOGPILOT_FAULT`` names this point (see the docstring)."""
    spec = os.environ.get("LOGPILOT_FAULT")
    if not spec:
        return
    point, _, nth = spec.partition(":")
    if point != name:
        return
    _passes[name] += 1
    if _passes[name] >= int(nth or 1):
        os.kill(os.getpid(), signal.SIGKILL)


def run_marker() -> str:
    """JSON for a run's ``report`` while it runs: who runs it (so a later open can tell)."""
    return json.dumps({"pid": os.getpid(), "host": socket.gethostname()})


class Staged:
    """One chunk's segment files: staged temporaries and their final archive paths."""

    def __init__(self, directory: Path, files: list[tuple[Path, Path, int]]) -> None:
        self.directory = directory
        self.files = files  # (temporary, final, rows)

    def __bool__(self) -> bool:
        return bool(self.files)


class SegmentWriter:
    """Writes the bulk job's archive segments for one run (see the module docstring)."""

    def __init__(self, workspace_path: Path, archive: Path, run_id: str) -> None:
        self.staging = workspace_path / STAGING
        self.archive = archive
        self.run_id = run_id
        self._seq = 0  # chunks staged by this run: the number in a segment's name

    def stage(self, con: Any, select_sql: str) -> Staged:
        """``COPY`` the rows of ``select_sql`` (with ``source`` and ``date`` columns) into a
        fresh staging folder, partitioned like the archive."""
        self._seq += 1
        chunk = self._seq
        d = self.staging / f"{self.run_id}-{chunk:06d}"
        shutil.rmtree(d, ignore_errors=True)
        d.mkdir(parents=True)
        pattern = literal(f"seg-{self.run_id}-{chunk:06d}-{{i}}")
        con.execute(f"COPY ({select_sql}) TO ? (FORMAT parquet, "  # bound: the path is data
                    f"PARTITION_BY (source, date), FILENAME_PATTERN {pattern})", [str(d)])
        files = []
        for tmp in sorted(d.rglob("*.parquet")):
            rel = tmp.relative_to(d)
            files.append((tmp, self.archive / rel, pq.read_metadata(tmp).num_rows))
        return Staged(d, files)

    def publish(self, staged: Staged) -> None:
        """Rename every staged file into the archive (each fsynced first)."""
        for k, (tmp, final, _rows) in enumerate(staged.files):
            final.parent.mkdir(parents=True, exist_ok=True)
            publish(tmp, final)
            if k == 0:
                fault_point("parquet-published")
        _remove_staging(staged.directory)

    def record(self, con: Any, staged: Staged, origin: str, chunk: int, first: int, last: int) -> None:
        """Name the published segments in ``archive_segments`` (inside the caller's transaction)."""
        con.executemany(
            "INSERT OR REPLACE INTO archive_segments (path, run_id, origin, chunk, first_offset, last_offset, rows) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(str(final.relative_to(self.archive)), self.run_id, origin, chunk, first, last, rows)
             for _tmp, final, rows in staged.files])

    def discard(self, staged: Staged) -> None:
        """Remove a chunk's segments after a failed transaction (its rows are not in ``logs``)."""
        for tmp, final, _rows in staged.files:
            tmp.unlink(missing_ok=True)
            final.unlink(missing_ok=True)
        _remove_staging(staged.directory)


def _remove_staging(directory: Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
    try:
        directory.parent.rmdir()  # the staging folder itself, once no chunk is in it
    except OSError:
        pass
