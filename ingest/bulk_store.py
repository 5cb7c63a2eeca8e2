"""Storing a parsed chunk: the rows not yet in ``logs`` are committed with their archive
segments, one file's rows or a batch of several files' (the bulk job's last step).

Kept apart from ``bulk`` so the commit protocol (stage and rename the Parquet segments,
then rows and segment records in one DuckDB transaction; discard the segments of rows
that did not commit) has one home; ``segments`` documents why that order is crash-safe.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from ..workspace import Workspace, transaction
from . import segments
from .staging import GOLDEN_SELECT


class RunSpans:
    """The offsets this run has queued, per origin: whether a chunk may repeat rows.

    Why: a file the run found unseen (no rows, no mark) used to be treated as seen from
    its second chunk on, so every later chunk paid an anti-join against all of ``logs``
    (a scan of the table that grows with the workspace; a batch's ``NOT EXISTS`` form cost
    more than building the rows). A later chunk of a file starts past the offsets of
    its earlier ones, so it can only repeat a row if its span reaches back into what
    this run already queued (an origin given twice, say): then, and for files seen
    before the run, the anti-join stays.
    """

    def __init__(self) -> None:
        self._upto: dict[str, int] = {}

    def overlaps(self, rows: pa.Table) -> bool:
        """Whether ``rows`` reach back into an origin's offsets already queued by this
        run; records their spans either way."""
        spans = rows.group_by("origin").aggregate([("origin_offset", "min"), ("origin_offset", "max")])
        hit = False
        for origin, lo, hi in zip(spans.column("origin").to_pylist(), spans.column("origin_offset_min").to_pylist(),
                                  spans.column("origin_offset_max").to_pylist()):
            if origin in self._upto:
                hit = hit or lo <= self._upto[origin]
                hi = max(hi, self._upto[origin])
            self._upto[origin] = hi
        return hit


def _commit_new(con: Any, writer: segments.SegmentWriter | None, label: str, chunk: int,
                offsets: bool) -> None:
    """Commit the rows of ``_lp_new``: archive segments staged and renamed into place, then
    the rows and the segments' record in ONE DuckDB transaction (``segments``); segments of
    rows that did not commit are discarded. ``offsets``: record the rows' offset span (one
    origin) or none (a batch of several, recorded by ``label`` as a grouped shard's are)."""
    files = None
    if writer is not None:
        files = writer.stage(con, "SELECT *, strftime(timestamp, '%Y-%m-%d') AS date FROM _lp_new")
        segments.fault_point("parquet-staged")
        writer.publish(files)
        segments.fault_point("before-commit")
    try:
        with transaction(con):
            con.execute("INSERT INTO logs SELECT * FROM _lp_new")
            if files:
                first, last = (con.execute("SELECT min(origin_offset), max(origin_offset) FROM _lp_new")
                               .fetchone() if offsets else (None, None))
                writer.record(con, files, label, chunk, first, last)  # type: ignore[union-attr]
            segments.fault_point("in-commit")
    except BaseException:
        if files:  # the rows are not in logs: neither may their segments be
            writer.discard(files)  # type: ignore[union-attr]
        raise


def store_rows(ws: Workspace, con: Any, staged: pa.Table, origin: str, seen_before: bool,
                writer: segments.SegmentWriter | None, chunk: int) -> int:
    """Append the rows of one file not yet present (:func:`_commit_new`).

    The golden columns are built by DuckDB straight from the staged Arrow batch into a
    temporary table; no round trip through Python objects.
    """
    con.register("_lp_staged", staged)
    try:
        with ws.write_lock:
            if seen_before:  # a rerun or a file an interrupted run left partial
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _lp_new AS SELECT {GOLDEN_SELECT} FROM _lp_staged "
                    "WHERE origin_offset NOT IN (SELECT origin_offset FROM logs WHERE origin = ?)", [origin])
                n = con.execute("SELECT count(*) FROM _lp_new").fetchone()[0]
            else:  # a new file: every row is new, no anti-join, no count query
                con.execute(f"CREATE OR REPLACE TEMP TABLE _lp_new AS SELECT {GOLDEN_SELECT} FROM _lp_staged")
                n = staged.num_rows
            try:
                if n:
                    _commit_new(con, writer, origin, chunk, offsets=True)
                return int(n)
            finally:
                con.execute("DROP TABLE IF EXISTS _lp_new")
    finally:
        con.unregister("_lp_staged")


def store_batch(ws: Workspace, con: Any, staged: pa.Table, seen_before: bool,
                 writer: segments.SegmentWriter | None, chunk: int) -> dict[str, int]:
    """:func:`store_rows` for a batch of several files: rows loaded per origin.

    The new rows are the batch's (origin, offset) pairs not in ``logs``; the segments are
    recorded as ``"<n> origins"`` without offsets, as a grouped cluster shard's are.
    """
    con.register("_lp_staged", staged)
    try:
        with ws.write_lock:
            if seen_before:
                con.execute(
                    f"CREATE OR REPLACE TEMP TABLE _lp_new AS SELECT {GOLDEN_SELECT} FROM _lp_staged s "
                    "WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.origin = s.origin "
                    "AND l.origin_offset = s.origin_offset)")
            else:
                con.execute(f"CREATE OR REPLACE TEMP TABLE _lp_new AS SELECT {GOLDEN_SELECT} FROM _lp_staged")
            try:
                counts = dict(con.execute("SELECT origin, count(*) FROM _lp_new GROUP BY origin").fetchall())
                if counts:
                    _commit_new(con, writer, f"{len(counts)} origins", chunk, offsets=False)
                return {str(k): int(v) for k, v in counts.items()}
            finally:
                con.execute("DROP TABLE IF EXISTS _lp_new")
    finally:
        con.unregister("_lp_staged")
