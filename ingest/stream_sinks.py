"""Where stream batches go: the workspace's DuckDB file, or Parquet segments for scale-out.

Two :class:`~logpilot_kernel.ingest.stream_parts.Sink` implementations, and the consumers
that use them (:class:`WorkspaceStream`, :class:`SegmentStream`: the loop with its sink).

:class:`WorkspaceSink` writes rows, quarantine, templates and the next offsets in ONE
DuckDB transaction, so "rows durable" and "position recorded" cannot disagree after a
crash; positions recorded there win over Kafka's committed offsets on restart. The
insert is an anti-join on provenance (``logs`` has no primary key on purpose, see
``schema.logs_ddl``), so a replay adds nothing.

:class:`SegmentSink` is the scale-out sink: DuckDB has one writer per file, so each
worker writes immutable Parquet segments named after the offset range they hold
(``logs/topic=T/partition=P/<first>-<last>.parquet``), written to a hidden temporary
name and renamed atomically, and commits to Kafka only after the rename. A partition's
new owner resumes after the highest segment already present, so a rebalance or a kill
neither loses nor repeats a message; :func:`segments_views` adds a dedupe on read as a
second line of defence against a zombie writer.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import socket
import threading
from pathlib import Path
from typing import Any, Sequence

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq

from ..atomic import atomic_write, stale_temporaries
from ..schema import FIELD_NAMES
from ..sqltext import glob_escape, literal
from ..workspace import Workspace, rewrite_rows, transaction
from .mining import TemplateMiner
from .registry import Registry
from .stream import Batch, SinkContext, StatusBoard, StreamConsumer, StreamOptions, log

_SEGMENT = re.compile(r"^(\d{20})-(\d{20})\.parquet$")


class WorkspaceStream(StreamConsumer):
    """The stream loop writing into a workspace's DuckDB file (:class:`WorkspaceSink`)."""

    def __init__(self, ws: Workspace, options: StreamOptions, *, embed: bool = True,
                 **kwargs: Any) -> None:
        kwargs.setdefault("registry", Registry(ws.rules_path))
        kwargs.setdefault("miner", TemplateMiner(ws.miner_state_path))
        super().__init__(options, WorkspaceSink(ws, embed=embed), **kwargs)
        self.ws = ws


class WorkspaceSink:
    """Stream into a workspace's DuckDB file through its own cursor and ``ws.write_lock``.

    Takes every partition of its topics (no group rebalancing: the file has one writer);
    offsets are still committed under the group id, so lag tools see its progress.
    """

    use_group = False

    def __init__(self, ws: Workspace, *, embed: bool = True) -> None:
        self.ws = ws
        self.embed = embed
        self.ctx: SinkContext | None = None
        self._cur: Any = None
        self._embedder: _Embedder | None = None
        self._miner_dirty = False
        self._miner_saved_at = 0.0
        self.fold_every = 10.0
        self._folded_at = 0.0

    @property
    def _c(self) -> SinkContext:
        if self.ctx is None:
            raise RuntimeError("WorkspaceSink used before open()")
        return self.ctx

    def open(self, ctx: SinkContext) -> None:
        self.ctx = ctx
        self._folded_at = ctx.clock()
        self._cur = self.ws.cursor()
        if self.embed:
            self._embedder = _Embedder(self.ws, ctx.status)
            self._embedder.kick()  # templates a previous run left unembedded
        fold_template_counts(self.ws, self._cur)  # deltas a killed run left unfolded
        with self.ws.write_lock:
            self._cur.execute(
                "INSERT INTO ingest_runs (run_id, kind, started_at, status, inputs) "
                "VALUES (?, 'stream', current_timestamp, 'running', ?)",
                [ctx.run_id, _json({"topics": ctx.options.topics, "group": ctx.options.group,
                                    "bootstrap_servers": ctx.options.bootstrap_servers})])

    def close(self) -> None:
        try:
            self._save_miner(force=True)
            self._fold_counts(force=True)
            snap = self._c.status.snapshot()
            with self.ws.write_lock:
                with transaction(self._cur):
                    rewrite_rows(self._cur, "ingest_runs", ["run_id"],
                                 "SELECT * REPLACE (current_timestamp::TIMESTAMP AS finished_at, "
                                 "'stopped' AS status, ?::BIGINT AS lines_read, ?::BIGINT AS rows_loaded, "
                                 "?::BIGINT AS quarantined, ?::BIGINT AS new_templates, ?::JSON AS report) "
                                 "FROM ingest_runs WHERE run_id = ?",
                                 [snap["messages"], snap["rows_written"], snap["quarantined"],
                                  snap["new_templates"], _json(snap), self._c.run_id])
        finally:
            if self._embedder is not None:
                self._embedder.close()
            self._cur.close()

    def stored_positions(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        rows = self._cur.execute('SELECT topic, "partition", next_offset FROM stream_offsets').fetchall()
        want = set(partitions)
        return {(t, p): int(o) for t, p, o in rows if (t, p) in want}

    def handover_mark(self) -> dt.datetime | None:
        marks = self.ws.handover_marks()
        o = self._c.options
        for key in (o.source, o.format, *o.topics):
            if key and key in marks:
                return marks[key]
        return None

    def write(self, batch: Batch) -> None:
        # Appends and deletes only: a committed UPDATE stops DuckDB's checkpoints while any
        # other cursor has a transaction open (see workspace.rewrite_rows), and the stream
        # commits twice a second next to notebook queries. Hence stream_offsets as delete +
        # insert and template counts as appended deltas.
        cur, tmp = self._cur, f"_lp_stream_new_{id(self):x}"
        keys = sorted(batch.offsets)
        with self.ws.write_lock, transaction(cur):
            inserted, src = 0, None
            if batch.rows.num_rows:
                cur.register("_lp_stream_rows", batch.rows)
                src = "_lp_stream_rows"
                replay = self._replayed(cur, batch)
                if replay:  # after a crash or a restart: keep only what logs lacks
                    origins = [f"kafka://{t}/{p}" for t, p in replay]
                    cur.execute(
                        f"CREATE OR REPLACE TEMP TABLE {tmp} AS SELECT r.* FROM _lp_stream_rows r "
                        "ANTI JOIN (SELECT origin, origin_offset FROM logs WHERE origin IN "
                        f"({', '.join('?' * len(origins))}) AND origin_offset >= ?) l "
                        "USING (origin, origin_offset)",
                        [*origins, min(batch.first_offsets[k] for k in replay)])
                    src = tmp
                    inserted = cur.execute(f"SELECT count(*) FROM {tmp}").fetchall()[0][0]
                else:
                    inserted = batch.rows.num_rows
                cur.execute(f"INSERT INTO logs SELECT {', '.join(FIELD_NAMES)} FROM {src}")
            self._templates(cur, batch, src if inserted else None)
            if src is not None:
                cur.unregister("_lp_stream_rows")
            if src == tmp:
                cur.execute(f"DROP TABLE {tmp}")
            if batch.quarantine.num_rows:
                cur.register("_lp_stream_q", batch.quarantine)
                cur.execute("INSERT OR IGNORE INTO quarantine (origin, origin_offset, raw, reason, run_id) "
                            "SELECT origin, origin_offset, raw, reason, ? FROM _lp_stream_q", [self._c.run_id])
                cur.unregister("_lp_stream_q")
            cur.execute('DELETE FROM stream_offsets WHERE (topic, "partition") IN ('
                        + ", ".join("(?, ?)" for _ in keys) + ")", [x for k in keys for x in k])
            cur.executemany(
                'INSERT INTO stream_offsets (topic, "partition", next_offset, updated_at) '
                "VALUES (?, ?, ?, current_timestamp)",
                [(t, p, batch.offsets[(t, p)]) for t, p in keys])
        if inserted < batch.rows.num_rows:
            self._c.status.add(duplicates=batch.rows.num_rows - int(inserted))
        batch.rows = batch.rows.slice(0, int(inserted))  # what the status counts as written
        if batch.new_templates or batch.changed_templates:
            self._miner_dirty = True
            if self._embedder is not None:
                self._embedder.kick()
        self._save_miner()
        self._fold_counts()

    def _replayed(self, cur: Any, batch: Batch) -> list[tuple[str, int]]:
        """Partitions of ``batch`` that may already have rows in ``logs``.

        Positions are written in the same transaction as rows, so a batch that starts at or
        after a partition's stored next offset cannot meet its own rows: the insert needs no
        anti-join, whose scan of ``logs`` grows with the table. A partition with no stored
        position is checked anyway (its first batch only).
        """
        stored = {(t, p): o for t, p, o in cur.execute(
            'SELECT topic, "partition", next_offset FROM stream_offsets').fetchall()}
        return [k for k in sorted(batch.first_offsets)
                if k not in stored or batch.first_offsets[k] < stored[k]]

    def _templates(self, cur: Any, batch: Batch, tmp: str | None) -> None:
        """New templates and generalised texts now; counts/first/last seen as appended deltas.

        A new template's row carries this batch's first/last seen at once (so "new since"
        questions see it immediately) with count 0; its delta brings the count at the next
        fold. ``INSERT OR IGNORE`` keeps a template a lost miner state re-created intact.
        """
        if tmp is not None:
            cur.execute(
                "INSERT INTO template_counts_pending (template_id, n, first_seen, last_seen, run_id) "
                f"SELECT template_id, count(*), min(timestamp), max(timestamp), ? FROM {tmp} "
                "GROUP BY template_id", [self._c.run_id])
        if batch.new_templates:
            seen: dict[str, tuple[Any, Any]] = {}
            if tmp is not None:
                seen = {tid: (f, last) for tid, f, last in cur.execute(
                    f"SELECT template_id, min(timestamp), max(timestamp) FROM {tmp} GROUP BY template_id"
                ).fetchall()}
            cur.executemany(
                "INSERT OR IGNORE INTO templates (template_id, template, first_service, created_run, "
                "first_seen, last_seen) VALUES (?, ?, ?, ?, ?, ?)",
                [(tid, text, batch.first_service.get(tid), self._c.run_id, *seen.get(tid, (None, None)))
                 for tid, text in batch.new_templates.items()])
        for tid, text in batch.changed_templates.items():  # rare: Drain generalised a template
            rewrite_rows(cur, "templates", ["template_id"],
                         "SELECT * REPLACE (?::VARCHAR AS template) FROM templates WHERE template_id = ?",
                         [text, tid])
            rewrite_rows(cur, "logs", ["origin", "origin_offset"],
                         "SELECT * REPLACE (?::VARCHAR AS body) FROM logs WHERE template_id = ? AND body <> ?",
                         [text, tid, text])

    def _fold_counts(self, force: bool = False) -> None:
        """Fold the appended template deltas into ``templates`` every ``fold_every`` seconds.

        One short transaction of deletes and inserts (no UPDATE: see ``rewrite_rows``).
        """
        clock = self._c.clock
        if not force and clock() - self._folded_at < self.fold_every:
            return
        self._folded_at = clock()
        fold_template_counts(self.ws, self._cur)

    def _save_miner(self, force: bool = False) -> None:
        """Miner state at most every few seconds: a lost state only re-creates the same ids."""
        clock = self._c.clock
        if not self._miner_dirty or (not force and clock() - self._miner_saved_at < 5.0):
            return
        self._c.miner.save()
        self._miner_dirty = False
        self._miner_saved_at = clock()


def fold_template_counts(ws: Workspace, cur: Any) -> int:
    """Add the stream's pending template deltas to ``templates`` and clear them (one transaction).

    Returns how many templates changed. Callers that recount ``templates`` from ``logs``
    (the bulk job) clear the deltas instead, in the same locked section.
    """
    with ws.write_lock:
        pending = cur.execute("SELECT count(*) FROM template_counts_pending").fetchall()[0][0]
        if not pending:
            return 0
        with transaction(cur):
            changed = rewrite_rows(
                cur, "templates", ["template_id"],
                "SELECT t.* REPLACE (t.count + s.n AS count, "
                "least(coalesce(t.first_seen, s.f), s.f) AS first_seen, "
                "greatest(coalesce(t.last_seen, s.l), s.l) AS last_seen) FROM templates t JOIN ("
                "SELECT template_id, sum(n) AS n, min(first_seen) AS f, max(last_seen) AS l "
                "FROM template_counts_pending GROUP BY template_id) s USING (template_id)")
            cur.execute("DELETE FROM template_counts_pending")
    return int(changed)


class _Embedder:
    """Embeds new templates into Chroma off the ingest thread (a model load must not delay rows)."""

    def __init__(self, ws: Workspace, status: StatusBoard) -> None:
        self.ws, self.status = ws, status
        self._wake = threading.Event()
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="logpilot-stream-embed", daemon=True)
        self._thread.start()

    def kick(self) -> None:
        self._wake.set()

    def _loop(self) -> None:
        while not self._done.is_set():
            self._wake.wait()
            self._wake.clear()
            try:
                n = self.ws.embed_pending_templates()
                if n:
                    self.status.add(templates_embedded=n)
            except Exception as exc:  # noqa: BLE001 - embeddings are retried at the next new template
                self.status.error(f"embed: {type(exc).__name__}: {exc}")

    def close(self) -> None:
        self._done.set()
        self._wake.set()
        self._thread.join(timeout=30)


class SegmentStream(StreamConsumer):
    """The stream loop writing Parquet segments (:class:`SegmentSink`), for scale-out."""

    def __init__(self, directory: str | os.PathLike, options: StreamOptions, *,
                 worker_id: str | None = None, **kwargs: Any) -> None:
        sink = SegmentSink(directory)
        self.root = sink.root
        self.worker_id = worker_id or f"{socket.gethostname()}-{os.getpid()}"
        state = self.root / "_miner" / f"{_safe(options.group)}.{_safe(self.worker_id)}.json"
        kwargs.setdefault("miner", TemplateMiner(state))
        super().__init__(options, sink, **kwargs)


class SegmentSink:
    """Scale-out sink: immutable Parquet segments per (topic, partition, offset range)."""

    use_group = True

    def __init__(self, directory: str | os.PathLike) -> None:
        self.root = Path(directory)
        self.ctx: SinkContext | None = None

    def open(self, ctx: SinkContext) -> None:
        self.ctx = ctx
        for sub in ("logs", "quarantine"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # half-written segments of a killed worker (their process is gone): never read, now removed
        for tmp in stale_temporaries([self.root / "logs", self.root / "quarantine"]):
            tmp.unlink(missing_ok=True)

    def close(self) -> None:
        if self.ctx is not None:
            self.ctx.miner.save()

    def handover_mark(self) -> dt.datetime | None:
        return None  # segments have no bulk history to hand over from

    def _dir(self, kind: str, topic: str, partition: int) -> Path:
        return self.root / kind / f"topic={topic}" / f"partition={partition}"

    def stored_positions(self, partitions: Sequence[tuple[str, int]]) -> dict[tuple[str, int], int]:
        out: dict[tuple[str, int], int] = {}
        for t, p in partitions:
            ends = [int(m.group(2)) + 1 for kind in ("logs", "quarantine")
                    for m in _segments(self._dir(kind, t, p))]
            if ends:
                out[(t, p)] = max(ends)
        return out

    def write(self, batch: Batch) -> None:
        rows = _by_partition(batch.rows)
        bad = _by_partition(batch.quarantine)
        for (t, p), nxt in sorted(batch.offsets.items()):
            name = f"{batch.first_offsets[(t, p)]:020d}-{nxt - 1:020d}.parquet"
            # Quarantine first, logs last: the logs segment's presence completes the range.
            if (t, p) in bad:
                _atomic_parquet(bad[(t, p)], self._dir("quarantine", t, p) / name)
            part = rows.get((t, p))
            if part is None:
                part = batch.rows.schema.empty_table()
            _atomic_parquet(part, self._dir("logs", t, p) / name)
        log.info("segment written", extra={"event": "segment", "rows": batch.rows.num_rows,
                                           "quarantined": batch.quarantine.num_rows,
                                           "offsets": {f"{t}/{p}": o for (t, p), o in batch.offsets.items()}})


def _segments(directory: Path) -> list[re.Match[str]]:
    if not directory.is_dir():
        return []
    return [m for m in (_SEGMENT.match(n) for n in os.listdir(directory)) if m]


def _by_partition(table: pa.Table) -> dict[tuple[str, int], pa.Table]:
    if table.num_rows == 0:
        return {}
    out: dict[tuple[str, int], pa.Table] = {}
    origins = table.column("origin").to_pylist()
    import pyarrow.compute as pc

    for origin in sorted(set(origins)):
        topic, part = origin[len("kafka://"):].rsplit("/", 1)
        out[(topic, int(part))] = table.filter(pc.equal(table.column("origin"), origin))
    return out


def _atomic_parquet(table: pa.Table, path: Path) -> None:
    """Readers never see half a segment: the one atomic-write helper (``logpilot_kernel.atomic``)."""
    atomic_write(path, lambda tmp: pq.write_table(table, tmp))


def segments_views(con: duckdb.DuckDBPyConnection, directory: str | os.PathLike,
                   prefix: str = "") -> list[str]:
    """Create ``logs``/``quarantine`` views (names prefixed) over a segments directory.

    Deduplicated on provenance at read time, so even a zombie writer that wrote a segment
    after losing its partition cannot make a message count twice. Returns the view names.
    """
    root = Path(directory)
    made = []
    cols = ", ".join(FIELD_NAMES)
    for kind, key in (("logs", "origin, origin_offset"), ("quarantine", "origin, origin_offset")):
        glob = literal(glob_escape(str(root / kind)) + "/**/*.parquet")  # a view cannot take parameters
        if not any((root / kind).rglob("*.parquet")):
            continue
        select = cols if kind == "logs" else "origin, origin_offset, raw, reason"
        con.execute(
            f"CREATE OR REPLACE VIEW {prefix}{kind} AS SELECT {select} FROM "
            f"read_parquet({glob}, hive_partitioning = false, union_by_name = true) "
            f"QUALIFY row_number() OVER (PARTITION BY {key} ORDER BY origin_offset) = 1")
        made.append(prefix + kind)
    return made


def _safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", text)


def _json(obj: Any) -> str:
    import json

    return json.dumps(obj, default=str)


__all__ = ["WorkspaceStream", "WorkspaceSink", "SegmentStream", "SegmentSink", "segments_views",
           "fold_template_counts"]
