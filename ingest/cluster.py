"""``logpilot ingest --cluster``: the bulk job as Dask tasks writing a Parquet lake (issue 16).

The client (this module, in the process that holds the workspace) plans shards
(:mod:`.cluster_plan`), runs one Dask task per shard (:mod:`.cluster_task`: read, detect,
parse, mine, write Parquet segments to the lake), merges the shards' templates
(:mod:`.cluster_merge`), then loads the segments into the workspace's DuckDB with the
final template ids, and finishes like the single-process job: template statistics,
embeddings of new templates (once each), handover marks, an :class:`IngestReport` whose
accounting identity holds.

Why the workspace bulk-loads the segments instead of querying them in place (views over
``read_parquet``): ``logs`` is the table every other part writes and rewrites (the
stream, template re-mining, body fixes), the question parser and the why-engine query it
thousands of times, and a view over an object store would pay the store's latency on every
query and needs DuckDB's httpfs extension, which this installation cannot download. The
measured figures are in docs/benchmarks.md ("Dask ingest (issue 16)"). The lake stays the
system of record: the same segments are readable by Spark or Trino (docs/lake.md).

Dask and s3fs are imported only here and in the tasks, so the rest of LogPilot runs
without the ``cluster`` extra.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
import uuid
from collections import Counter
from typing import Any, Sequence

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from ..errors import LogPilotError, MissingDependencyError
from ..progress import Progress, rate, resolve
from ..query.lexicon import refresh_after_ingest
from ..schema import FIELD_NAMES
from ..workspace import Workspace, rewrite_rows, transaction
from .bulk import (FileReport, IngestReport, file_states, _finish_run, _finish_templates,
                   _quarantine_problems, _record_problem, _start_run, _store_quarantine)
from .cluster_merge import TemplateMerge, merge_shard_templates
from .cluster_plan import SHARD_BYTES, Shard, number_pieces, plan_shards
from .cluster_task import SEED_NAME, _is_local, count_range, lake_fs, run_shard
from .mining import TemplateMiner
from .readers import InputFile, expand_inputs
from .registry import Registry

__all__ = ["ClusterError", "ingest_cluster", "connect"]

_SUMMED = ("lines_read", "rows_loaded", "duplicates", "quarantined", "merged_lines",
           "ts_inherited", "ts_file_mtime", "ts_none")


class ClusterError(LogPilotError):
    """The Dask cluster cannot be reached, or a shard failed for good."""


def connect(cluster: Any) -> tuple[Any, Any]:
    """``(client, close)`` for ``cluster``: a ``distributed.Client`` (kept open), ``local:N``
    (N worker processes on this machine, one thread each) or a scheduler address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError as exc:
        raise MissingDependencyError("dask[distributed]", "cluster", "ingest --cluster") from exc
    if isinstance(cluster, Client):
        return cluster, lambda: None
    text = str(cluster).strip()
    if text.startswith("local:"):
        try:
            n = int(text.split(":", 1)[1])
        except ValueError:
            n = 0
        if n < 1:
            raise ClusterError(f"--cluster {text!r}: expected local:N with N >= 1 worker processes")
        lc = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(lc)

        def close() -> None:
            client.close()
            lc.close()
        return client, close
    try:
        client = Client(text, timeout="30s")
    except (OSError, TimeoutError, ValueError) as exc:
        raise ClusterError(f"cannot reach the Dask scheduler at {text!r}: {exc} "
                           "(expected tcp://host:port or local:N)") from None
    return client, client.close


def ingest_cluster(
    ws: Workspace,
    inputs: Sequence[str | os.PathLike],
    *,
    cluster: Any,
    lake: str | os.PathLike | None = None,
    storage_options: dict[str, Any] | None = None,
    source: str | None = None,
    rule: str | None = None,
    progress: bool | Progress = False,
    no_builtin: Sequence[str] | str = (),
    shard_bytes: int = SHARD_BYTES,
    timezone: str | None = None,
) -> IngestReport:
    """Load ``inputs`` into ``ws`` through a Dask cluster; see the module docstring.

    ``cluster``: ``local:N``, a scheduler address or a ``distributed.Client``. ``lake``: a
    folder or ``s3://bucket/prefix`` (default: the workspace's ``parquet/`` folder);
    ``storage_options`` go to fsspec on the client and the workers (e.g. an S3
    ``endpoint_url``; credentials otherwise come from each machine's environment). Input
    paths must be readable at the same path on every worker. The other arguments mean what
    they mean for :func:`.bulk.ingest`.
    """
    started = time.perf_counter()
    run_id = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    report = IngestReport(run_id=run_id, recovered=dict(getattr(ws, "recovered", None) or {}))
    registry = Registry(ws.rules_path)
    if no_builtin:
        registry.disable(no_builtin)
    registry.state_zone(timezone)  # a bad zone fails here (ValidationError), before any task runs
    if rule:
        registry.get(rule)  # an unknown rule fails here, before any task runs
    lake_url = _lake_url(ws, lake)
    fs, root = lake_fs(lake_url, storage_options)
    client, close = connect(cluster)  # a bad address fails here, before the run is recorded
    reporter = resolve(progress)
    try:
        return _ingest(ws, inputs, client, run_id, report, lake_url, fs, root, storage_options, source, rule,
                       reporter, (no_builtin, registry.stated_zone), shard_bytes, started)
    finally:
        reporter.close()
        close()


def _ingest(ws: Workspace, inputs: Sequence[str | os.PathLike], client: Any, run_id: str, report: IngestReport,
            lake_url: str, fs: Any, root: str, storage_options: dict[str, Any] | None, source: str | None,
            rule: str | None, progress: Progress, switches: tuple[Any, str | None], shard_bytes: int,
            started: float) -> IngestReport:
    con = ws.cursor()
    _start_run(ws, con, run_id, inputs)
    reasons: Counter[str] = Counter()
    touched: set[str] = set()
    try:
        files, problems = expand_inputs([str(p) for p in inputs])
        for p in problems:
            _record_problem(report, reasons, p)
        _quarantine_problems(ws, con, run_id, [p for p in problems if p.origin_offset > 0])
        todo: list[InputFile] = []
        complete, seen = file_states(con, files)
        for f in files:
            if f.origin in complete:
                report.files.append(FileReport(f.origin, "", 0.0, skipped="already ingested, unchanged"))
                report.skipped_files.append({"origin": f.origin, "reason": "already ingested, unchanged"})
            else:
                todo.append(f)
        if todo:
            miner = TemplateMiner(ws.miner_state_path)
            seed = miner.templates()
            seed_url = _write_seed(fs, root, lake_url, run_id, ws, rule, source, *switches)
            t0 = time.perf_counter()
            shards, results = _run_shards(todo, lake_url, storage_options, seed_url, client, shard_bytes,
                                          progress, run_id)
            t1 = time.perf_counter()
            merge = merge_shard_templates(seed, [(s.shard_id, results[s.shard_id]["templates"]) for s in shards])
            _write_template_map(fs, root, run_id, merge)
            t2 = time.perf_counter()
            _load(ws, con, fs, root, lake_url, shards, results, merge, seen, run_id, report, reasons, touched,
                  progress)
            _store_templates(ws, con, merge, run_id)
            report.new_templates = len(merge.new)
            _teach_miner(ws, miner, merge, report)
            busy: Counter[int] = Counter()
            for r in results.values():
                busy[r["worker_pid"]] += r["seconds"]
            report.cluster = {
                "shards": len(shards), "lake": lake_url, "workers": sorted(busy),
                "task_seconds": {str(k): round(v, 2) for k, v in busy.items()},
                "shard_seconds": round(t1 - t0, 2), "merge_seconds": round(merge.seconds, 3),
                "load_seconds": round(time.perf_counter() - t2, 2),
                "shard_templates": merge.shard_templates, "templates_renamed": merge.renamed}
    finally:
        report.quarantine_reasons = dict(reasons)
        report.templates_embedded = _finish_templates(ws, con, report, touched, run_id, progress)
        report.seconds = time.perf_counter() - started
        _finish_run(ws, con, report)
        con.close()
    refresh_after_ingest(ws)
    return report


def _lake_url(ws: Workspace, lake: str | os.PathLike | None) -> str:
    if lake is None:
        return str(ws.parquet_path.resolve())
    text = os.fspath(lake)
    if "://" in text:
        return text.rstrip("/")
    return os.path.abspath(text)  # workers may run with another working directory


def _write_seed(fs: Any, root: str, lake_url: str, run_id: str, ws: Workspace, rule: str | None,
                source: str | None, no_builtin: Sequence[str] | str, timezone: str | None = None) -> str:
    """What every task needs from the workspace, as one object in the lake."""
    from .cluster_task import _write_json

    def text(p: Any) -> str | None:
        return p.read_text(encoding="utf-8") if p.exists() else None

    seed = {"run_id": run_id, "miner_state": text(ws.miner_state_path), "rules": text(ws.rules_path),
            "rule": rule, "source": source, "chunk_records": ws.settings.chunk_records,
            "no_builtin": [no_builtin] if isinstance(no_builtin, str) else list(no_builtin),
            "timezone": timezone}
    rel = f"_runs/{run_id}/{SEED_NAME}"
    fs.makedirs(f"{root}/_runs/{run_id}", exist_ok=True)
    _write_json(fs, f"{root}/{rel}", seed)
    return f"{lake_url}/{rel}"


def _run_shards(todo: list[InputFile], lake_url: str, storage_options: dict[str, Any] | None, seed_url: str,
                client: Any, shard_bytes: int, progress: Progress,
                run_id: str) -> tuple[list[Shard], dict[str, Any]]:
    """Plan, number the range pieces on the workers, run every shard; results by shard id."""
    from distributed import as_completed

    shards, ranges = plan_shards(todo, shard_bytes)
    counts: list[int] = []
    if ranges:
        counts = client.gather(client.map(count_range, [p.path for p in ranges], [p.start for p in ranges],
                                          [p.end for p in ranges], pure=False))
    shards = number_pieces(shards, ranges, counts)
    # the key is the shard id: submitting a shard twice gives one task, and the
    # scheduler reruns a task whose worker died (the rerun rewrites the same names)
    futures = {client.submit(run_shard, s, lake_url, storage_options, seed_url,
                             key=f"logpilot-shard-{run_id}-{s.shard_id}", retries=2): s.shard_id
               for s in shards}
    # detection, parsing and mining run inside the tasks: one phase, in shards, with the
    # cluster's lines/s and the Dask dashboard link
    phase = "shards (detection, parsing+mining)"
    link = getattr(client, "dashboard_link", None)
    progress.start(phase, total=len(shards), unit="shard")
    results: dict[str, Any] = {}
    lines = 0
    t0 = time.perf_counter()
    for fut in as_completed(futures):
        sid = futures[fut]
        try:
            results[sid] = fut.result()
        except Exception as exc:  # noqa: BLE001 - a task's error, as one line
            raise ClusterError(f"shard {sid} failed: {type(exc).__name__}: {exc}") from None
        lines += sum(f["lines_read"] for f in results[sid]["files"])
        progress.update(phase, 1, rate(lines, t0) + (f", dashboard {link}" if link else ""))
    progress.finish(phase)
    return shards, results


def _write_template_map(fs: Any, root: str, run_id: str, merge: TemplateMerge) -> None:
    """The lake's record of the merge: ``(shard_id, template_id) -> final_id`` and text."""
    from .cluster_task import _write_parquet

    keys = list(merge.ids)
    table = pa.table({"shard_id": [k[0] for k in keys], "template_id": [k[1] for k in keys],
                      "final_id": [merge.ids[k] for k in keys],
                      "template": [merge.texts[merge.ids[k]] for k in keys]})
    fs.makedirs(f"{root}/_templates", exist_ok=True)
    _write_parquet(fs, f"{root}/_templates/run-{run_id}.parquet", table)


def _segment_table(fs: Any, shard_id: str, segments: list[dict[str, Any]]) -> pa.Table | None:
    parts = []
    for seg in segments:
        with fs.open(seg["path"], "rb") as fh:
            t = pq.read_table(fh)
        t = t.append_column("source", pa.array([seg["source"]] * t.num_rows, pa.string()))
        parts.append(t.append_column("shard_id", pa.array([shard_id] * t.num_rows, pa.string())))
    return pa.concat_tables(parts, promote_options="permissive") if parts else None


def _load(ws: Workspace, con: Any, fs: Any, root: str, lake_url: str, shards: list[Shard], results: dict[str, Any],
          merge: TemplateMerge, seen: set[str], run_id: str, report: IngestReport, reasons: Counter[str],
          touched: set[str], progress: Progress) -> None:
    """Segments -> ``logs`` with final ids (dedup by provenance for origins seen before),
    each shard's segments recorded in ``archive_segments`` in the same transaction as its
    rows (:func:`_record_segments`), quarantine -> ``quarantine``, per-file accounting ->
    the report and ``ingested_files``."""
    keys = list(merge.ids)
    con.register("_lp_tmap", pa.table({
        "shard_id": [k[0] for k in keys], "template_id": [k[1] for k in keys],
        "final_id": [merge.ids[k] for k in keys], "template": [merge.texts[merge.ids[k]] for k in keys]}))
    cols = ", ".join("m.final_id AS template_id" if n == "template_id" else "m.template AS body" if n == "body"
                     else f"s.{n}" for n in FIELD_NAMES)
    per_file: dict[str, FileReport] = {}
    loaded: Counter[str] = Counter()
    skipped_seen: set[tuple[str, str]] = set()
    local_archive = _archive_root(ws, fs, root)
    progress.start("storing", unit="rows")
    try:
        for n_shard, shard in enumerate(shards):
            res = results[shard.shard_id]
            seg = _segment_table(fs, shard.shard_id, res["segments"])
            if seg is not None and seg.num_rows:
                origins = {p.origin for p in shard.pieces}
                anti = (" WHERE NOT EXISTS (SELECT 1 FROM logs l WHERE l.origin = s.origin "
                        "AND l.origin_offset = s.origin_offset)") if origins & seen else ""
                con.register("_lp_seg", seg)
                try:
                    with ws.write_lock, transaction(con):
                        con.execute("CREATE OR REPLACE TEMP TABLE _lp_new AS SELECT " + cols +
                                    " FROM _lp_seg s JOIN _lp_tmap m ON m.shard_id = s.shard_id "
                                    "AND m.template_id = s.template_id" + anti)
                        n_new = con.execute("SELECT count(*) FROM _lp_new").fetchone()[0]
                        if not anti and n_new != seg.num_rows:
                            raise ClusterError(f"shard {shard.shard_id}: rows without a merged template")
                        segs = res["segments"]
                        if anti and n_new < seg.num_rows:  # rows an earlier run stored: out of the lake too
                            segs = _trim_segments(con, fs, segs, root, lake_url, local_archive)
                        for origin, n in con.execute("SELECT origin, count(*) FROM _lp_new GROUP BY origin").fetchall():
                            loaded[origin] += int(n)
                        for (src,) in con.execute("SELECT DISTINCT source FROM _lp_new").fetchall():
                            touched.add(src)
                        con.execute("INSERT INTO logs SELECT * FROM _lp_new")
                        con.execute("DROP TABLE _lp_new")
                        _record_segments(con, segs, root, lake_url, local_archive, run_id, n_shard)
                finally:
                    con.unregister("_lp_seg")
                progress.update("storing", seg.num_rows)
            if res.get("quarantine"):
                with fs.open(res["quarantine"], "rb") as fh:
                    _store_quarantine(ws, con, run_id, pq.read_table(fh))
            for fd in res["files"]:
                fr = per_file.get(fd["origin"])
                if fr is None:
                    fr = per_file[fd["origin"]] = FileReport(fd["origin"], fd["rule"], fd["confidence"],
                                                             induced=fd.get("induced"))
                for k in _SUMMED:
                    setattr(fr, k, getattr(fr, k) + int(fd.get(k) or 0))
            for s in res["skipped"]:  # a binary file split into ranges is noted once
                if (s["origin"], s["reason"]) not in skipped_seen:
                    skipped_seen.add((s["origin"], s["reason"]))
                    report.skipped_files.append(s)
            for k, v in res["quarantine_reasons"].items():
                reasons[k] += int(v)
    finally:
        con.unregister("_lp_tmap")
    sizes = {p.origin: (p.size, p.mtime) for s in shards for p in s.pieces}
    for origin, fr in per_file.items():
        parsed = fr.rows_loaded
        fr.rows_loaded = loaded.get(origin, 0)
        fr.duplicates = parsed - fr.rows_loaded
        for k in ("lines_read", "rows_loaded", "duplicates", "quarantined", "merged_lines"):
            setattr(report, k, getattr(report, k) + getattr(fr, k))
        report.files.append(fr)
        size, mtime = sizes[origin]
        with ws.write_lock, transaction(con):  # delete + insert (see workspace.rewrite_rows)
            con.execute("DELETE FROM ingested_files WHERE origin = ?", [origin])
            con.execute("INSERT INTO ingested_files VALUES (?, ?, ?, ?, ?, true)",
                        [origin, size, mtime, fr.rows_loaded, run_id])


def _trim_segments(con: Any, fs: Any, segs: list[dict[str, Any]], root: str, lake_url: str,
                   local_archive: str | None) -> list[dict[str, Any]]:
    """Rewrite a shard's segments with only the rows being loaded now (``_lp_new``).

    Why: a task writes every row it read, and a file seen before (it grew, or an earlier
    run was interrupted) is read again from its first line; the client's anti-join keeps
    those rows out of ``logs``, and this keeps them out of the lake, which Spark or Trino
    read as files, so the lake too holds each provenance key once. A segment left with no
    row is removed and not recorded. A segment an earlier run already recorded (the same
    shard id: the same input, rerun after an interrupted run) is its rows' record and is
    left as it is. Returns the segments as they now are."""
    recorded = {r[0] for r in con.execute("SELECT path FROM archive_segments WHERE path IN (SELECT unnest(?))",
                                          [[_recorded_path(g["path"], root, lake_url, local_archive)
                                            for g in segs]]).fetchall()}
    out = []
    for seg in segs:
        if _recorded_path(seg["path"], root, lake_url, local_archive) in recorded:
            out.append(seg)
            continue
        with fs.open(seg["path"], "rb") as fh:
            table = pq.read_table(fh)
        con.register("_lp_one", table)
        try:
            kept = con.execute("SELECT o.* FROM _lp_one o WHERE EXISTS (SELECT 1 FROM _lp_new n WHERE "
                               "n.origin = o.origin AND n.origin_offset = o.origin_offset) "
                               "ORDER BY o.origin, o.origin_offset").to_arrow_table()
        finally:
            con.unregister("_lp_one")
        if kept.num_rows == table.num_rows:
            out.append(seg)
            continue
        if kept.num_rows == 0:
            fs.rm(seg["path"])
            continue
        from .cluster_task import _write_parquet

        _write_parquet(fs, seg["path"], kept.cast(table.schema))
        offsets = kept.column("origin_offset")
        out.append({**seg, "rows": kept.num_rows, "origins": sorted(set(kept.column("origin").to_pylist())),
                    "first_offset": pc.min(offsets).as_py(), "last_offset": pc.max(offsets).as_py()})
    return out


def _archive_root(ws: Workspace, fs: Any, root: str) -> str | None:
    """``root`` when the lake is the workspace's own archive folder (then segment paths are
    recorded relative to it, like the bulk job's, and recovery on open scans them), else None."""
    if not _is_local(fs):
        return None
    try:
        return root if os.path.samefile(root, ws.parquet_path) else None
    except OSError:
        return None


def _recorded_path(path: str, root: str, lake_url: str, local_archive: str | None) -> str:
    """A segment's name in ``archive_segments``: relative to the workspace's own archive
    folder, else its lake URL."""
    if local_archive is not None and path.startswith(local_archive + "/"):
        return os.path.relpath(path, local_archive)
    return lake_url + path[len(root):] if path.startswith(root) else path


def _record_segments(con: Any, segs: list[dict[str, Any]], root: str, lake_url: str, local_archive: str | None,
                     run_id: str, chunk: int) -> None:
    """A shard's segments in ``archive_segments`` (inside the caller's transaction, with
    its rows): the bulk job's table, so a segment in the workspace's archive that no row
    names is an orphan of a killed run and is removed when the workspace is next opened
    (``seg-`` names, :func:`.cluster_task.segment_path`). A segment of another lake is
    recorded by its URL (recovery leaves other lakes alone). ``origin`` is the segment's
    one origin, or ``"<n> origins"`` with no offsets when a grouped shard holds several."""
    rows = []
    for seg in segs:
        rel = _recorded_path(seg["path"], root, lake_url, local_archive)
        origins = seg.get("origins") or []
        if len(origins) == 1:
            origin, first, last = origins[0], seg.get("first_offset"), seg.get("last_offset")
        else:
            origin, first, last = f"{len(origins)} origins", None, None
        rows.append((rel, run_id, origin, chunk, first, last, int(seg["rows"])))
    if rows:
        con.executemany(
            "INSERT OR REPLACE INTO archive_segments (path, run_id, origin, chunk, first_offset, last_offset, rows) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)", rows)


def _store_templates(ws: Workspace, con: Any, merge: TemplateMerge, run_id: str) -> None:
    """New final templates inserted, changed workspace templates given their merged text."""
    if not merge.new and not merge.changed:
        return
    with ws.write_lock, transaction(con):
        if merge.new:
            con.executemany(
                "INSERT OR IGNORE INTO templates (template_id, template, first_service, created_run) "
                "VALUES (?, ?, ?, ?)",
                [(tid, merge.texts[tid], merge.services.get(tid) or None, run_id) for tid in sorted(merge.new)])
        for tid in sorted(merge.changed):
            rewrite_rows(con, "templates", ["template_id"],
                         "SELECT * REPLACE (?::VARCHAR AS template) FROM templates WHERE template_id = ?",
                         [merge.texts[tid], tid])


def _teach_miner(ws: Workspace, miner: TemplateMiner, merge: TemplateMerge, report: IngestReport) -> None:
    """The workspace miner learns the run's new templates: one message of each is mined
    and the id the miner gives it is renamed to the final id, so later single-process and
    stream ingests continue with the same ids."""
    wanted = sorted(merge.new | merge.changed)
    if not wanted:
        return
    cur = ws.cursor()
    try:
        cur.register("_lp_want", pa.table({"template_id": wanted}))
        try:
            rows = cur.execute(
                "SELECT template_id, arg_min(split_part(message, chr(10), 1), origin_offset), "
                "arg_min(severity, origin_offset) FROM logs WHERE template_id IN (SELECT template_id FROM _lp_want) "
                "GROUP BY template_id ORDER BY template_id").fetchall()
        finally:
            cur.unregister("_lp_want")
        if not rows:
            return
        before = set(miner.templates())
        res = miner.mine([r[1] for r in rows], con=cur, groups=[r[2] for r in rows])
    finally:
        cur.close()
    rename: dict[str, str] = {}
    taken = set(miner.templates())
    for (final, _, _), got in zip(rows, res.template_id.to_pylist()):
        if got != final and got not in before and got not in rename and final not in taken:
            rename[got] = final
            taken.add(final)
    try:
        miner.rename(rename)
    except ValueError as exc:  # ids stay the miner's own; the rows keep the final ids
        report.skipped_files.append({"origin": "miner", "reason": f"template ids not carried over: {exc}"})
    miner.save(ws.miner_state_path)


def read_manifest(lake: str, shard_id: str, storage_options: dict[str, Any] | None = None) -> dict[str, Any]:
    """A shard's manifest from the lake (what its task returned)."""
    fs, root = lake_fs(lake, storage_options)
    with fs.open(f"{root}/_shards/{shard_id}.json", "rb") as fh:
        return json.loads(fh.read().decode("utf-8"))
