"""The bulk history job: archives -> golden rows in Parquet and DuckDB, templates in Chroma.

Per file: sample and detect the format (unless the caller names a rule), read records in
bounded chunks, parse them in DuckDB, mine templates over the chunk's distinct masked
messages, then keep only rows whose provenance key is new, append them to the Parquet
archive and to ``logs``. At the end: template statistics, embeddings of new templates
(once each), the handover mark per source for the stream, and an :class:`IngestReport`
whose accounting identity is checked, so a silently dropped line is a bug we see.

Two bounds hold whatever the input (issue 17): the miner's budget (``mining_budget``)
keeps a file of free text linear (past it, the rest of that file's new shapes are grouped
coarsely, flagged ``context.template_quality = "coarse"``, and the report names the
file); the archive is exactly-once after any kill (``segments``: staged, renamed, recorded
in the same transaction as the rows).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterable, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import LogPilotError
from ..progress import Progress, rate, resolve
from ..query.lexicon import refresh_after_ingest
from ..workspace import Workspace, rewrite_rows, transaction
from . import segments
from .bulk_report import FileReport, IngestReport  # noqa: F401 (the report's home; imported from here too)
from .mining import MiningBudget, TemplateMiner
from .mining_budget import DEFAULT_BUDGET
from .bulk_read import ChunkParsed, FileEnd, FileStart, ahead, parsed_events
from .bulk_store import RunSpans, store_batch, store_rows
from .readers import InputFile, Problem, expand_inputs, read_records
from .registry import Registry
from .registry.report import file_stem
from .staging import GOLDEN_SELECT, stage  # noqa: F401 (GOLDEN_SELECT: cluster shards import it from here)

SAMPLE_LINES = 400


ProgressFn = Callable[[int], None]


def check_cluster_options(cluster: Any, lake: Any) -> None:
    """A lake without a cluster is refused: the single-process job's archive is the
    workspace's own ``parquet/`` folder (crash recovery scans only it), so a lake there
    would be silently ignored. Called by :func:`ingest` and by the CLI before it opens the
    workspace."""
    if lake is not None and cluster is None:
        raise LogPilotError("--lake needs --cluster (the single-process ingest archives to the workspace's "
                            "parquet/ folder)")


def ingest(
    ws: Workspace,
    inputs: Sequence[str | os.PathLike],
    *,
    source: str | None = None,
    rule: str | None = None,
    progress: bool | Progress = False,
    parquet: bool | None = None,
    chunk_records: int | None = None,
    no_builtin: Sequence[str] | str = (),
    mining_budget: MiningBudget | None = DEFAULT_BUDGET,
    cluster: Any = None,
    lake: str | os.PathLike | None = None,
    storage_options: dict[str, Any] | None = None,
    pipeline: bool = True,
    timezone: str | None = None,
) -> IngestReport:
    """Load files, directories or globs into ``ws``; see the module docstring.

    ``source`` names the logical stream (default: the detected rule's name, or the file
    stem for an induced rule); ``rule`` forces a registry rule instead of detection;
    ``no_builtin`` switches builtin rules off for this run; ``mining_budget`` bounds the
    miner per chunk (None: unbounded). Rerunning over the same inputs adds nothing and
    completes files an interrupted run left partial. ``progress``: True for tqdm bars, or
    a :class:`~logpilot_kernel.progress.Progress` that receives every phase.

    ``cluster`` (``local:N``, a scheduler address or a ``distributed.Client``) runs the
    same job as Dask tasks writing Parquet segments to ``lake`` (default: the workspace's
    ``parquet/``; ``storage_options`` for fsspec): :func:`.cluster.ingest_cluster`, so the
    CLI, the magic and the notebooks reach it through this one entry point.

    ``pipeline``: read and parse the next chunk in a thread while this one is mined and
    stored (``bulk_read``); False runs the same steps one after another (same result).

    ``timezone``: the zone (IANA name or ``±HH:MM``) of times these files write without
    an offset, which no file can tell (a record with an offset keeps its own); default UTC.
    """
    check_cluster_options(cluster, lake)
    if cluster is not None:
        from .cluster import ingest_cluster  # dask only when asked for

        return ingest_cluster(ws, inputs, cluster=cluster, lake=lake, storage_options=storage_options,
                              source=source, rule=rule, progress=progress, no_builtin=no_builtin,
                              timezone=timezone)
    started = time.perf_counter()
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(run_id=run_id, recovered=dict(getattr(ws, "recovered", None) or {}))
    settings = ws.settings
    write_parquet = settings.parquet_archive if parquet is None else parquet
    chunk = chunk_records or settings.chunk_records
    registry = Registry(ws.rules_path)
    if no_builtin:
        registry.disable(no_builtin)
    registry.state_zone(timezone)  # a bad zone fails here, before the run is recorded
    forced = registry.get(rule) if rule else None
    miner = TemplateMiner(ws.miner_state_path, budget=mining_budget)
    con = ws.cursor()
    _start_run(ws, con, run_id, inputs)
    writer = segments.SegmentWriter(ws.path, ws.parquet_path, run_id) if write_parquet else None

    files, problems = expand_inputs([str(p) for p in inputs])
    reasons: Counter[str] = Counter()
    for p in problems:
        _record_problem(report, reasons, p)
    _quarantine_problems(ws, con, run_id, [p for p in problems if p.origin_offset > 0])

    bar = _Phases(resolve(progress), files)
    touched_sources: set[str] = set()
    try:
        stage = _Writer(ws, con, miner, chunk, writer, run_id, report, reasons, bar, touched_sources)
        events = parsed_events(ws.cursor, files, registry, forced, source, chunk)
        stream = ahead(events) if pipeline else events
        try:
            for ev in stream:
                stage.apply(ev)
        finally:  # stop the reading stage now (its thread, its cursor), not when collected
            stream.close()
        stage.flush()
        bar.reporter.finish("detection")
        bar.reporter.finish("parsing+mining")
    finally:
        report.quarantine_reasons = dict(reasons)
        try:
            report.templates_embedded = _finish_templates(ws, con, report, touched_sources, run_id, bar.reporter)
            report.seconds = time.perf_counter() - started
            _finish_run(ws, con, report)
        finally:
            bar.reporter.close()
            con.close()
    refresh_after_ingest(ws)  # the question parser's lexicon of the touched services
    return report


class _Writer:
    """The bulk job's second stage: applies the first stage's events in order (mining,
    storing, accounting); the only one that writes the workspace.

    Many small files: a chunk joins the pending batch while the batch stays within
    ``chunk`` rows, so files of a few thousand lines are mined and stored together
    (one mining call, one Parquet segment set, one transaction per batch instead of per
    file). A file is marked complete only once the batch holding its last rows is stored.
    A chunk of a file that passed the mining budget is mined on its own (coarse).
    """

    def __init__(self, ws: Workspace, con: Any, miner: TemplateMiner, chunk: int,
                 writer: segments.SegmentWriter | None, run_id: str, report: IngestReport,
                 reasons: Counter[str], bar: "_Phases", touched_sources: set[str]) -> None:
        self.ws, self.con, self.miner, self.chunk, self.writer = ws, con, miner, chunk, writer
        self.run_id, self.report, self.reasons, self.bar = run_id, report, reasons, bar
        self.touched = touched_sources
        self.fr: FileReport | None = None
        self.current: FileStart | None = None
        self.batch: list[tuple[pa.Table, FileReport, str, bool, int]] = []  # rows, file, source, seen, chunk
        self.batch_rows = 0
        self.ends: list[tuple[InputFile, FileReport]] = []  # files whose completion waits for the batch
        self.seq = 0
        self.spans = RunSpans()

    def apply(self, ev: "FileStart | ChunkParsed | FileEnd") -> None:
        if isinstance(ev, FileStart):
            self._start(ev)
        elif isinstance(ev, ChunkParsed):
            self._chunk(ev)
        else:
            self._end(ev)

    def _start(self, ev: FileStart) -> None:
        self.bar.detected(0)
        if ev.skipped:
            fr = FileReport(ev.f.origin, "", 0.0, skipped=ev.skipped)
            self.report.skipped_files.append({"origin": ev.f.origin, "reason": ev.skipped})
            self.report.files.append(fr)
            self.bar.detected(1)
            self.bar.parsed(ev.f.size or 0, 0)
            return
        self.bar.detected(1)
        fr = FileReport(ev.f.origin, ev.rule.name, round(float(ev.confidence), 3))
        fr.induced = ev.induced
        self.report.files.append(fr)
        self.fr, self.current = fr, ev
        self.bar.begin_file(ev.f)

    def _chunk(self, ev: ChunkParsed) -> None:
        fr, report, rc, cur = self.fr, self.report, ev.rc, self.current
        assert fr is not None and cur is not None
        self.bar.chunk(rc.table, rc.lines_read)
        fr.lines_read += rc.lines_read
        report.lines_read += rc.lines_read
        for p in rc.problems:
            _record_problem(report, self.reasons, p, fr)
        _quarantine_problems(self.ws, self.con, self.run_id,
                             [p for p in rc.problems if p.origin_offset > 0 or p.quarantined_file])
        if ev.parsed is None:
            return
        fr.merged_lines += ev.merged
        report.merged_lines += ev.merged
        segments.fault_point("parse")
        parsed = ev.parsed
        if parsed.quarantine.num_rows:
            _store_quarantine(self.ws, self.con, self.run_id, parsed.quarantine)
            for r in parsed.quarantine.column("reason").to_pylist():
                self.reasons[_reason_key(r)] += 1
            fr.quarantined += parsed.quarantine.num_rows
            report.quarantined += parsed.quarantine.num_rows
        rows = parsed.rows
        if rows.num_rows == 0:
            return
        _count_ts_sources(fr, rows)
        if fr.template_budget is not None or self.batch_rows + rows.num_rows > self.chunk:
            self.flush()
        # a later chunk of a file this run started fresh skips the anti-join (RunSpans)
        seen = self.spans.overlaps(rows) or cur.seen_before
        self.batch.append((rows, fr, cur.src, seen, ev.k))
        self.batch_rows += rows.num_rows
        if fr.template_budget is not None:
            self.flush()

    def _end(self, ev: FileEnd) -> None:
        assert self.fr is not None
        self.ends.append((ev.f, self.fr))
        if not self.batch:
            self.flush()
        self.bar.end_file()

    def flush(self) -> None:
        """Mine and store the pending batch, then mark the files it completed."""
        batch, self.batch, self.batch_rows = self.batch, [], 0
        if batch:
            frs = list({id(b[1]): b[1] for b in batch}.values())
            rows = batch[0][0] if len(batch) == 1 else pa.concat_tables([b[0] for b in batch])
            staged = _mine(self.con, self.miner, rows, self.ws, self.run_id, self.report, frs)
            self.bar.reporter.start("storing", unit="rows")
            seen = any(b[3] for b in batch)
            if len(frs) == 1:
                loaded = {frs[0].origin: store_rows(self.ws, self.con, staged, frs[0].origin, seen,
                                                     self.writer, batch[0][4])}
            else:
                loaded = store_batch(self.ws, self.con, staged, seen, self.writer, self.seq)
            self.seq += 1
            self.bar.reporter.update("storing", sum(loaded.values()))
            offered: Counter[str] = Counter()
            for b in batch:
                offered[b[1].origin] += b[0].num_rows
            for fr in frs:
                n = loaded.get(fr.origin, 0)
                fr.rows_loaded += n
                fr.duplicates += offered[fr.origin] - n
                self.report.rows_loaded += n
                self.report.duplicates += offered[fr.origin] - n
            for b in batch:
                if loaded.get(b[1].origin, 0):
                    self.touched.add(b[2])
            self.miner.save()
        ends, self.ends = self.ends, []
        if ends:
            _mark_complete(self.ws, self.con, self.run_id, ends)


def _mark_complete(ws: Workspace, con: Any, run_id: str, ends: "list[tuple[InputFile, FileReport]]") -> None:
    """Mark files complete in one transaction (a batch of small files ends together; a
    commit per file cost more than their rows' parsing). Delete + insert, never an
    in-place update (see ``rewrite_rows``)."""
    marks = pa.table({"origin": pa.array([f.origin for f, _fr in ends], pa.string()),
                      "size": pa.array([f.size for f, _fr in ends], pa.int64()),
                      "mtime": pa.array([f.mtime for f, _fr in ends], pa.float64()),
                      "rows": pa.array([fr.rows_loaded for _f, fr in ends], pa.int64()),
                      "k": pa.array(range(len(ends)), pa.int64())})
    con.register("_lp_marks", marks)
    try:
        with ws.write_lock:
            with transaction(con):
                con.execute("DELETE FROM ingested_files WHERE origin IN (SELECT origin FROM _lp_marks)")
                con.execute("INSERT INTO ingested_files SELECT origin, size, mtime, rows, ?, true FROM _lp_marks "
                            "QUALIFY row_number() OVER (PARTITION BY origin ORDER BY k DESC) = 1", [run_id])
    finally:
        con.unregister("_lp_marks")


def file_rule(f: InputFile, registry: Registry, forced: Any, source: str | None,
              det: Any = None) -> tuple[Any, float, dict | None, str]:
    """(rule, confidence, induced rule as a dict or None, source name) of one input;
    ``det``: its detection, found already (``Registry.detect_files`` for many files).

    Why one function: the single-process ingest and each cluster shard must pick a file's
    rule, and name its source, the same way, or the two paths would load different rows.
    """
    induced = None
    if forced is not None:
        rule, confidence = forced, 1.0
    else:
        if det is None:
            ref = dt.datetime.fromtimestamp(f.mtime, dt.timezone.utc).replace(tzinfo=None) if f.mtime else None
            det = registry.detect_file(_sample_lines(f), stem=_stem(f), ref=ref)
        rule, confidence = det.rule, det.confidence
        induced = det.induced.to_dict() if det.induced is not None else None
    rule = registry.zoned(rule)  # the user's zone for times written without one
    src = source or (rule.name.split(":", 1)[1] if rule.name.startswith("induced:") else rule.name)
    return rule, confidence, induced, src


def _stem(f: InputFile) -> str:
    return file_stem(f.member or f.path or f.origin)


def _count_ts_sources(fr: FileReport, rows: pa.Table) -> None:
    """Tally rows whose time is not their own line's (vectorised over the context text)."""
    ctx = rows.column("context")
    for label, attr in (("inherited", "ts_inherited"), ("file_mtime", "ts_file_mtime"), ("none", "ts_none")):
        n = pc.sum(pc.cast(pc.match_substring(ctx, f'"ts_source":"{label}"'), pa.int64())).as_py() or 0
        setattr(fr, attr, getattr(fr, attr) + int(n))


def _mine(con: Any, miner: TemplateMiner, rows: pa.Table, ws: Workspace,
          run_id: str, report: IngestReport, frs: "Sequence[FileReport] | FileReport | None" = None) -> pa.Table:
    """Mine a parsed batch; record new templates; return it with body, template_id, params.

    Once a chunk of a file passed the mining budget, the file's later chunks are mined
    coarse from the start (``fr.template_budget``): the cost stays linear in its lines.
    A batch of several small files (``frs``) that passes the budget marks each of them.
    """
    frs = [] if frs is None else [frs] if isinstance(frs, FileReport) else list(frs)
    coarse = any(fr.template_budget is not None for fr in frs)
    staged = stage(con, miner, rows, coarse=coarse)  # the one staging path (the stream's too)
    result = staged.result
    if result.budget_hit and not coarse:
        for fr in frs:
            fr.template_budget = result.budget_hit
    if result.coarse is not None:
        if len(frs) == 1:
            frs[0].coarse_rows += staged.coarse_rows
        elif frs:
            flagged = pc.filter(rows.column("origin"), result.coarse)
            counts = pc.value_counts(flagged)
            per = dict(zip(counts.field("values").to_pylist(), counts.field("counts").to_pylist()))
            for fr in frs:
                fr.coarse_rows += int(per.get(fr.origin, 0))
    if result.new_templates or result.changed_templates:
        first_service = staged.first_service
        with ws.write_lock:
            if result.new_templates:  # one insert from Arrow (executemany costs ~3 ms a row)
                new = pa.table({"template_id": list(result.new_templates),
                                "template": list(result.new_templates.values()),
                                "first_service": [first_service.get(t) for t in result.new_templates]},
                               schema=pa.schema([("template_id", pa.string()), ("template", pa.string()),
                                                 ("first_service", pa.string())]))
                con.register("_lp_new_templates", new)
                try:
                    con.execute("INSERT OR IGNORE INTO templates (template_id, template, first_service, created_run) "
                                "SELECT template_id, template, first_service, ? FROM _lp_new_templates", [run_id])
                finally:
                    con.unregister("_lp_new_templates")
            for tid, text in result.changed_templates.items():
                rewrite_rows(con, "templates", ["template_id"],
                             "SELECT * REPLACE (?::VARCHAR AS template) FROM templates WHERE template_id = ?",
                             [text, tid])
        report.new_templates += len(result.new_templates)
    return staged.table


def _finish_templates(ws: Workspace, con: Any, report: IngestReport, sources: set[str],
                      run_id: str, progress: Progress | None = None) -> int:
    """Refresh template statistics and body text, then embed what Chroma lacks.

    On ``progress``: the statistics are the end of "storing", then "embedding"."""
    progress = progress or Progress()
    progress.start("storing", unit="rows")
    with ws.write_lock:  # deletes + inserts only, so a stream beside it keeps checkpointing
        with transaction(con):
            rewrite_rows(
                con, "templates", ["template_id"],
                "SELECT t.* REPLACE (s.n AS count, s.f AS first_seen, s.l AS last_seen) FROM templates t "
                "JOIN (SELECT template_id, count(*) AS n, min(timestamp) AS f, max(timestamp) AS l "
                "FROM logs GROUP BY template_id) s USING (template_id) "
                "WHERE t.count IS DISTINCT FROM s.n OR t.first_seen IS DISTINCT FROM s.f "
                "OR t.last_seen IS DISTINCT FROM s.l")
            # The recount above includes every streamed row: their pending deltas are spent.
            con.execute("DELETE FROM template_counts_pending")
            rewrite_rows(
                con, "logs", ["origin", "origin_offset"],
                "SELECT l.* REPLACE (t.template AS body) FROM logs l JOIN templates t USING (template_id) "
                "WHERE l.body <> t.template")
            for src in sources:
                rewrite_rows(
                    con, "handover", ["source"],
                    "SELECT ?::VARCHAR AS source, greatest(max(timestamp), (SELECT last_event FROM handover "
                    "WHERE source = ?)) AS last_event, ?::VARCHAR AS run_id, "
                    "current_timestamp::TIMESTAMP AS updated_at FROM logs WHERE source = ? "
                    "HAVING max(timestamp) IS NOT NULL",
                    [src, src, run_id, src])
    progress.finish("storing")
    progress.start("embedding", unit="templates")
    try:
        segments.fault_point("embed")
        n = ws.embed_pending_templates()
        progress.update("embedding", n)
        return n
    except Exception as exc:  # embeddings must not lose a load; the next run retries
        report.skipped_files.append({"origin": "chroma", "reason": f"embedding deferred: {exc}"})
        return 0
    finally:
        progress.finish("embedding")


def _start_run(ws: Workspace, con: Any, run_id: str, inputs: Iterable[Any]) -> None:
    with ws.write_lock:
        con.execute(
            "INSERT INTO ingest_runs (run_id, kind, started_at, status, inputs, report) "
            "VALUES (?, 'bulk', current_timestamp, 'running', ?, ?)",
            [run_id, json.dumps([str(i) for i in inputs]), segments.run_marker()],
        )


def _finish_run(ws: Workspace, con: Any, report: IngestReport) -> None:
    with ws.write_lock:
        with transaction(con):
            rewrite_rows(
                con, "ingest_runs", ["run_id"],
                "SELECT * REPLACE (current_timestamp::TIMESTAMP AS finished_at, ?::VARCHAR AS status, "
                "?::BIGINT AS lines_read, ?::BIGINT AS rows_loaded, ?::BIGINT AS merged_lines, "
                "?::BIGINT AS quarantined, ?::BIGINT AS new_templates, ?::DOUBLE AS seconds, "
                "?::JSON AS report) FROM ingest_runs WHERE run_id = ?",
                ["done" if report.balanced else "unbalanced", report.lines_read, report.rows_loaded,
                 report.merged_lines, report.quarantined, report.new_templates, report.seconds,
                 json.dumps(report.to_dict()), report.run_id])


def _record_problem(report: IngestReport, reasons: Counter[str], p: Problem,
                    fr: FileReport | None = None) -> None:
    if p.origin_offset > 0:
        report.quarantined += 1
        reasons[_reason_key(p.reason)] += 1
        if fr is not None:
            fr.quarantined += 1
    else:
        report.skipped_files.append({"origin": p.origin, "reason": p.reason})


def _reason_key(reason: str) -> str:
    # Reasons carry specifics (lengths, rule names); group them by their first clause.
    return reason.split(":")[0].split("(")[0].strip()[:60] or "unknown"


def _quarantine_problems(ws: Workspace, con: Any, run_id: str, problems: list[Problem]) -> None:
    if not problems:
        return
    table = pa.table({
        "origin": [p.origin for p in problems],
        "origin_offset": pa.array([p.origin_offset for p in problems], pa.int64()),
        "raw": [p.raw for p in problems],
        "reason": [p.reason for p in problems],
    })
    _store_quarantine(ws, con, run_id, table)


def _store_quarantine(ws: Workspace, con: Any, run_id: str, table: pa.Table) -> None:
    con.register("_lp_q", table)
    try:
        with ws.write_lock:  # a rerun replaces its lines' reasons: delete + insert
            with transaction(con):
                con.execute("DELETE FROM quarantine WHERE (origin, origin_offset) IN "
                            "(SELECT origin, origin_offset FROM _lp_q)")
                con.execute("INSERT INTO quarantine (origin, origin_offset, raw, reason, run_id) "
                            "SELECT DISTINCT ON (origin, origin_offset) origin, origin_offset, raw, "
                            "reason, ? FROM _lp_q", [run_id])
    finally:
        con.unregister("_lp_q")


def file_states(con: Any, files: list[InputFile]) -> tuple[set[str], set[str]]:
    """(origins complete and unchanged, origins seen before) of ``files``, in two queries
    for all of them: complete = marked completed with the same size and mtime; seen = in
    ``ingested_files`` or with rows in ``logs`` (a re-run then skips what is stored)."""
    if not files:
        return set(), set()
    origins = [f.origin for f in files]
    marks = {o: (size, mtime, done) for o, size, mtime, done in con.execute(
        "SELECT origin, size, mtime, completed FROM ingested_files WHERE list_contains(?::VARCHAR[], origin)",
        [origins]).fetchall()}
    complete = {f.origin for f in files
                if f.origin in marks and marks[f.origin][2] and marks[f.origin][0] == f.size
                and marks[f.origin][1] == f.mtime}
    stored = {o for (o,) in con.execute("SELECT DISTINCT origin FROM logs WHERE list_contains(?::VARCHAR[], origin)",
                                        [origins]).fetchall()}
    return complete, set(marks) | stored


def _sample_lines(f: InputFile) -> list[str]:
    for rc in read_records(f, multiline_start=None, chunk_records=SAMPLE_LINES):
        return [r for r in rc.table.column("raw").to_pylist() if r]
    return []


class _Phases:
    """The bulk job's calls to its reporter: detection in files, parsing+mining in input
    bytes with lines/s. A chunk's bytes are estimated from its raw text (the reader does
    not count them; a compressed file's estimate overshoots), capped by what is left of
    the file, and the file's rest is credited when it ends, so the bar moves inside a big
    file and lands exactly on the total."""

    def __init__(self, reporter: Progress, files: list[InputFile]) -> None:
        self.reporter = reporter
        self.files = len(files)
        self.bytes = sum(f.size or 0 for f in files)
        self.lines = 0
        self.left = 0  # bytes of the current file not yet credited
        self.t0 = time.perf_counter()

    def begin_file(self, f: InputFile) -> None:
        self.left = f.size or 0
        self.parsed(0, 0)

    def chunk(self, table: pa.Table, lines: int) -> None:
        raw = pc.sum(pc.binary_length(table.column("raw"))).as_py() if table.num_rows else 0
        step = min(self.left, int(raw or 0) + lines)
        self.left -= step
        self.parsed(step, lines)

    def end_file(self) -> None:
        self.parsed(self.left, 0)
        self.left = 0

    def detected(self, n: int) -> None:
        self.reporter.start("detection", total=self.files, unit="file")
        if n:
            self.reporter.update("detection", n)

    def parsed(self, nbytes: int, lines: int) -> None:
        self.reporter.start("parsing+mining", total=self.bytes or None, unit="B")
        self.lines += lines
        self.reporter.update("parsing+mining", nbytes, rate(self.lines, self.t0))


def time_sources(ws: Workspace) -> list[dict[str, Any]]:
    """Per file: the rule and how many rows got a time not from their own line.

    Read from the runs' reports (``ingest_runs.report``), not by scanning ``logs``, so a
    status view stays instant on a large workspace. The latest run that loaded a file wins.
    """
    cur = ws.cursor()
    try:
        reports = cur.execute("SELECT report FROM ingest_runs WHERE kind = 'bulk' AND report IS NOT NULL "
                              "ORDER BY started_at").fetchall()
    finally:
        cur.close()
    out: dict[str, dict[str, Any]] = {}
    for (text,) in reports:
        try:
            rep = json.loads(text) if isinstance(text, str) else text
        except ValueError:
            continue
        for f in rep.get("files", []):
            if f.get("skipped") or not (f.get("rows_loaded") or f.get("duplicates")):
                continue
            out[f["origin"]] = {
                "origin": f["origin"], "rule": f.get("rule"), "confidence": f.get("confidence"),
                "rows": (f.get("rows_loaded") or 0) + (f.get("duplicates") or 0),
                "inherited": f.get("ts_inherited", 0), "file_mtime": f.get("ts_file_mtime", 0),
                "none": f.get("ts_none", 0)}
    return list(out.values())
