"""One shard of the cluster ingest, as it runs on a Dask worker (issue 16).

A task reads its pieces, detects each file's format from the file's head (the same 400
line sample the single-process ingest uses, so every piece of one file picks the same
rule), parses and mines with a miner seeded from the workspace's state, and writes:

* its rows as Parquet segments ``<lake>/source=<s>/date=<d>/seg-<shard_id>.parquet`` (the
  ``seg-`` prefix the bulk job's segments carry: in the workspace's own archive folder, a
  segment no ``archive_segments`` row names is a killed run's orphan, which the next open
  of the workspace removes, ``logpilot_kernel.archive``);
* its quarantined lines, and a binary file set aside whole (at offset 0, as the
  single-process ingest stores it), as ``<lake>/_quarantine/<shard_id>.parquet``;
* last, its manifest ``<lake>/_shards/<shard_id>.json`` (accounting, templates,
  segments), which is also the task's return value.

Why this is idempotent: every name is the shard id, and the content depends only on the
shard's input and the run's seed, so a retried task (its worker was killed) or a task the
scheduler ran twice rewrites the same objects with the same bytes. A local lake is
written to a hidden temporary and renamed (``logpilot_kernel.atomic``); an S3 object
appears whole when its upload completes. The client loads only the segments the
manifests list, never a directory listing, so a killed attempt's leftovers are never read.

Piece boundaries of multi-line formats: a range that starts inside a file begins at its
first record start line (the lines before it continue the previous piece's last record),
and a range that ends inside a file reads on to the next record start line. Both edges
use the same scan, so each line belongs to exactly one piece.

The end of a plain file is the size it was planned with (:mod:`.cluster_plan`). When the
file has grown since (a live log), the line that straddles that end is read whole if the
file now shows its newline, and left for the next ingest if it is still being written
(:func:`_settled_end`): a row is never a cut line, and no line is read by two runs as two
different rows.

The worker never opens the workspace: it may run on another machine. Everything it needs
from the workspace (miner state, user rules, settings) comes from the run's seed object
in the lake, fetched once per worker process.
"""

from __future__ import annotations

import io
import json
import os
import re
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .bulk import GOLDEN_SELECT, FileReport, _count_ts_sources, _reason_key, file_rule
from .cluster_plan import Piece, Shard, count_newlines
from .mining import TemplateMiner
from .readers import InputFile, Problem, _TarHandle, read_records
from .registry import Registry, parse_records

__all__ = ["run_shard", "count_range", "lake_fs", "segment_path", "SEED_NAME"]

SEED_NAME = "seed.json"
_QUARANTINE_SCHEMA = pa.schema([("origin", pa.string()), ("origin_offset", pa.int64()),
                                ("raw", pa.string()), ("reason", pa.string())])


# --------------------------------------------------------------------------- lake access
def lake_fs(lake: str, storage_options: dict[str, Any] | None = None) -> tuple[Any, str]:
    """``(filesystem, root)`` of a lake URL or folder, through fsspec (s3fs for ``s3://``)."""
    import fsspec

    fs, root = fsspec.core.url_to_fs(lake, **(storage_options or {}))
    return fs, root.rstrip("/")


def _is_local(fs: Any) -> bool:
    return "file" in (fs.protocol if isinstance(fs.protocol, tuple) else (fs.protocol,))


def _hive(value: str) -> str:
    """A Hive partition value: characters outside ``[A-Za-z0-9._-]`` percent-encoded."""
    return urllib.parse.quote(value, safe="._-")


def segment_path(root: str, source: str, date: str, shard_id: str) -> str:
    return f"{root}/source={_hive(source)}/date={date}/seg-{shard_id}.parquet"


def _write_bytes(fs: Any, path: str, write: Any) -> None:
    """Write one lake object whole: a local file via a hidden temporary and a rename, an
    object-store key by one upload (visible only once complete)."""
    if _is_local(fs):
        from logpilot_kernel.atomic import atomic_write

        atomic_write(path, lambda tmp: write(str(tmp)))
        return
    with fs.open(path, "wb") as fh:
        write(fh)


def _write_parquet(fs: Any, path: str, table: pa.Table) -> None:
    _write_bytes(fs, path, lambda target: pq.write_table(table, target, compression="zstd"))


def _write_json(fs: Any, path: str, obj: Any) -> None:
    data = json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")

    def write(target: Any) -> None:
        if isinstance(target, str):
            with open(target, "wb") as fh:
                fh.write(data)
        else:
            target.write(data)

    _write_bytes(fs, path, write)


# --------------------------------------------------------------------------- the seed
_seed_lock = threading.Lock()
_seeds: dict[str, dict[str, Any]] = {}


def _seed(seed_url: str, storage_options: dict[str, Any] | None) -> dict[str, Any]:
    """The run's seed, fetched once per worker process; miner state and rules as local files
    (the miner and the registry read paths)."""
    with _seed_lock:
        got = _seeds.get(seed_url)
        if got is not None:
            return got
        fs, path = lake_fs(seed_url, storage_options)
        with fs.open(path, "rb") as fh:
            seed = json.loads(fh.read().decode("utf-8"))
        local = Path(tempfile.mkdtemp(prefix="logpilot-seed-"))
        seed["miner_path"] = None
        seed["rules_path"] = None
        if seed.get("miner_state"):
            (local / "miner.json").write_text(seed.pop("miner_state"), encoding="utf-8")
            seed["miner_path"] = str(local / "miner.json")
        if seed.get("rules"):
            (local / "rules.json").write_text(seed.pop("rules"), encoding="utf-8")
            seed["rules_path"] = str(local / "rules.json")
        _seeds[seed_url] = seed
        return seed


# --------------------------------------------------------------------------- reading a range
class _RangeReader(io.RawIOBase):
    """The bytes ``[start, end)`` of a file, as a stream."""

    def __init__(self, path: str, start: int, end: int | None) -> None:
        self._fh = open(path, "rb")  # noqa: SIM115 - closed with the reader
        self._fh.seek(start)
        self._left = None if end is None else max(0, end - start)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left is not None:
            if self._left <= 0:
                return b""
            size = self._left if size is None or size < 0 else min(size, self._left)
        data = self._fh.read(size if size is not None else -1)
        if self._left is not None:
            self._left -= len(data)
        return data

    read1 = read

    def close(self) -> None:
        try:
            self._fh.close()
        finally:
            super().close()


@dataclass
class _RangeFile(InputFile):
    """An :class:`InputFile` limited to a byte range of a plain file."""

    start: int = 0
    end: int | None = None

    def open(self) -> IO[bytes]:
        return _RangeReader(self.path, self.start, self.end)  # type: ignore[return-value]


def _record_start(path: str, pos: int, limit: int | None, start_re: re.Pattern[str]) -> tuple[int, int]:
    """From ``pos``: the byte offset of the first line a record starts with, and how many
    lines come before it (``limit`` or the end of the file when none does)."""
    skipped = 0
    with open(path, "rb") as fh:
        fh.seek(pos)
        while limit is None or pos < limit:
            line = fh.readline()
            if not line:
                break
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            if text and start_re.match(text):
                return pos, skipped
            pos += len(line)
            skipped += 1
    return pos, skipped


def _line_end(fh: Any, pos: int) -> int | None:
    """The offset just after the first newline at or after ``pos``; None before the end of the file."""
    fh.seek(pos)
    while True:
        block = fh.read(1 << 16)
        if not block:
            return None
        i = block.find(b"\n")
        if i >= 0:
            return pos + i + 1
        pos += len(block)


def _line_start(fh: Any, pos: int, floor: int) -> int:
    """The offset of the line holding byte ``pos - 1``: just after the last newline before
    ``pos``, and not before ``floor`` (a piece's start, itself a line start)."""
    while pos > floor:
        a = max(floor, pos - (1 << 16))
        fh.seek(a)
        i = fh.read(pos - a).rfind(b"\n")
        if i >= 0:
            return a + i + 1
        pos = a
    return floor


def _settled_end(path: str, start: int, end: int, start_re: re.Pattern[str] | None) -> int:
    """Where the piece that reaches a plain file's planned end stops reading.

    Unchanged file: the planned end (an unterminated last line is read, as the
    single-process ingest reads it). A file that has grown since planning: if the planned
    end falls inside a line, that line is read whole when the file now holds its newline,
    else (still being written) it is left out, for the next ingest to read whole; for a
    multi-line format the record that straddles the end is read on to the next record
    start line (or to the end of the file while none has been written). Rows beyond the
    straddling line or record stay for the next ingest (``ingested_files`` records the
    planned size)."""
    try:
        now = os.path.getsize(path)
    except OSError:
        return end
    if now <= end or end <= start:
        return end
    with open(path, "rb") as fh:
        fh.seek(end - 1)
        straddled = fh.read(1) != b"\n"
        after = _line_end(fh, end) if straddled else end  # the first line start at or after ``end``
        if start_re is None:
            if after is not None:
                return after
            return _line_start(fh, end, start)
    if after is None:
        return now  # the open record's last line is still being written: the record as it is now
    nxt, _ = _record_start(path, after, None, start_re)
    return nxt


def _open_piece(p: Piece, multiline: str | None, tars: dict[str, _TarHandle]) -> tuple[InputFile, int]:
    """The stream to read for ``p`` and the line number of its first line."""
    if p.end is None:  # a whole compressed file or archive member
        return InputFile(p.origin, p.size, p.mtime, p.path, p.member, p.archive, p.compression,
                         tars.get(p.path)), p.first_line
    start, end, first = p.start, p.end, p.first_line
    start_re = re.compile(multiline) if multiline else None
    if start_re is not None and p.start > 0:
        start, skipped = _record_start(p.path, p.start, p.end, start_re)
        first += skipped
    if start_re is not None and start >= p.end:  # no record starts here: the piece before reads these lines
        end = start
    elif p.end < (p.size or 0):
        if start_re is not None:
            end, _ = _record_start(p.path, p.end, None, start_re)
    else:  # the piece that reaches the planned end of the file
        end = _settled_end(p.path, start, p.end, start_re)
    return _RangeFile(p.origin, p.size, p.mtime, p.path, None, None, None, None, start, end), first


def _shift(table: pa.Table, by: int) -> pa.Table:
    if by == 0 or table.num_rows == 0:
        return table
    i = table.schema.get_field_index("origin_offset")
    return table.set_column(i, "origin_offset", pc.add(table.column(i), pa.scalar(by, pa.int64())))


# --------------------------------------------------------------------------- the task
def count_range(path: str, start: int, end: int) -> int:
    """Newlines of a byte range (the planner's numbering step, run on a worker)."""
    return count_newlines(path, start, end)


def run_shard(shard: Shard, lake: str, storage_options: dict[str, Any] | None, seed_url: str) -> dict[str, Any]:
    """Ingest one shard into the lake; return its manifest (see the module docstring)."""
    t0 = time.perf_counter()
    seed = _seed(seed_url, storage_options)
    fs, root = lake_fs(lake, storage_options)
    registry = Registry(seed["rules_path"]) if seed["rules_path"] else Registry()
    if seed.get("no_builtin"):
        registry.disable(seed["no_builtin"])
    registry.state_zone(seed.get("timezone"))
    forced = registry.get(seed["rule"]) if seed.get("rule") else None
    miner = TemplateMiner(Path(seed["miner_path"]) if seed["miner_path"] else None)
    chunk = int(seed.get("chunk_records") or 200_000)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    con.execute("SET threads = 1")  # one task per worker thread: the cluster gives the parallelism
    files: list[dict[str, Any]] = []
    skipped: list[dict[str, str]] = []
    golden: list[pa.Table] = []
    quarantine: list[pa.Table] = []
    reasons: Counter[str] = Counter()
    tars = {p.path: _TarHandle(p.path, [q.member or "" for q in shard.pieces if q.path == p.path])
            for p in shard.pieces if p.archive == "tar"}
    try:
        for p in shard.pieces:
            fr = _ingest_piece(con, p, registry, forced, miner, seed.get("source"), chunk, tars,
                               golden, quarantine, reasons, skipped)
            files.append({**asdict(fr), "start": p.start, "end": p.end})
        result = _write_shard(con, fs, root, shard, miner, golden, quarantine)
    finally:
        con.close()
    result.update({"shard_id": shard.shard_id, "files": files, "skipped": skipped,
                   "quarantine_reasons": dict(reasons), "worker_pid": os.getpid(),
                   "seconds": round(time.perf_counter() - t0, 3)})
    _write_json(fs, f"{root}/_shards/{shard.shard_id}.json", result)
    return result


def _ingest_piece(con: Any, p: Piece, registry: Registry, forced: Any, miner: TemplateMiner,
                  source: str | None, chunk: int, tars: dict[str, _TarHandle], golden: list[pa.Table],
                  quarantine: list[pa.Table], reasons: Counter[str], skipped: list[dict[str, str]]) -> FileReport:
    whole = InputFile(p.origin, p.size, p.mtime, p.path, p.member, p.archive, p.compression, tars.get(p.path))
    rule, confidence, induced, src = file_rule(whole, registry, forced, source)
    fr = FileReport(p.origin, rule.name, round(float(confidence), 3))
    fr.induced = induced
    f, first_line = _open_piece(p, rule.multiline_start, tars)
    shift = first_line - 1
    for rc in read_records(f, multiline_start=rule.multiline_start, chunk_records=chunk):
        fr.lines_read += rc.lines_read
        line_problems = []
        for prob in rc.problems:
            if prob.origin_offset > 0:
                line_problems.append(Problem(prob.origin, prob.origin_offset + shift, prob.raw, prob.reason,
                                             prob.n_lines))
                fr.quarantined += 1
                reasons[_reason_key(prob.reason)] += 1
            else:
                skipped.append({"origin": prob.origin, "reason": prob.reason})
                if prob.quarantined_file:  # a whole (binary) file: in the quarantine at offset 0, like bulk's
                    line_problems.append(prob)
        if line_problems:
            quarantine.append(pa.table({
                "origin": [q.origin for q in line_problems],
                "origin_offset": pa.array([q.origin_offset for q in line_problems], pa.int64()),
                "raw": [q.raw for q in line_problems], "reason": [q.reason for q in line_problems]},
                schema=_QUARANTINE_SCHEMA))
        table = _shift(rc.table, shift)
        if table.num_rows == 0:
            continue
        fr.merged_lines += int(pc.sum(table.column("n_lines")).as_py() or 0) - table.num_rows
        parsed = parse_records(con, table, rule, source=src, file_mtime=p.mtime, registry=registry)
        if parsed.quarantine.num_rows:
            q = parsed.quarantine.select(["origin", "origin_offset", "raw", "reason"]).cast(_QUARANTINE_SCHEMA)
            quarantine.append(q)
            for r in q.column("reason").to_pylist():
                reasons[_reason_key(r)] += 1
            fr.quarantined += q.num_rows
        rows = parsed.rows
        if rows.num_rows == 0:
            continue
        _count_ts_sources(fr, rows)
        first_lines = pc.list_element(pc.split_pattern(rows.column("message"), "\n", max_splits=1), 0)
        res = miner.mine(first_lines, con=con, groups=rows.column("severity"))
        staged = rows.append_column("body", res.template).append_column(
            "template_id", res.template_id).append_column("params", res.params)
        con.register("_lp_shard_staged", staged)
        try:
            golden.append(con.execute(f"SELECT {GOLDEN_SELECT} FROM _lp_shard_staged").to_arrow_table())
        finally:
            con.unregister("_lp_shard_staged")
        fr.rows_loaded += rows.num_rows
    return fr


def _write_shard(con: Any, fs: Any, root: str, shard: Shard, miner: TemplateMiner,
                 golden: list[pa.Table], quarantine: list[pa.Table]) -> dict[str, Any]:
    """Segments per (source, date), the quarantine object, and the shard's templates."""
    segments: list[dict[str, Any]] = []
    templates: dict[str, dict[str, Any]] = {}
    if golden:
        con.register("_lp_shard_rows", pa.concat_tables(golden, promote_options="permissive"))
        try:
            parts = con.execute("SELECT source, strftime(timestamp, '%Y-%m-%d') AS d, count(*) FROM _lp_shard_rows "
                                "GROUP BY ALL ORDER BY ALL").fetchall()
            for source, day, n in parts:
                part = con.execute(
                    "SELECT * EXCLUDE (source) FROM _lp_shard_rows WHERE source = ? "
                    "AND strftime(timestamp, '%Y-%m-%d') = ? ORDER BY origin, origin_offset",
                    [source, day]).to_arrow_table()
                path = segment_path(root, source, day, shard.shard_id)
                fs.makedirs(path.rsplit("/", 1)[0], exist_ok=True)
                _write_parquet(fs, path, part)
                origins = sorted(set(part.column("origin").to_pylist()))
                offsets = part.column("origin_offset")
                segments.append({"path": path, "source": source, "date": day, "rows": int(n), "origins": origins,
                                 "first_offset": pc.min(offsets).as_py(), "last_offset": pc.max(offsets).as_py()})
            texts = miner.templates()
            for tid, sev, svc, n in con.execute(
                    "SELECT template_id, min(severity), min(service_name), count(*) FROM _lp_shard_rows "
                    "GROUP BY template_id ORDER BY template_id").fetchall():
                templates[tid] = {"text": texts.get(tid, ""), "group": sev, "service": svc, "rows": int(n)}
        finally:
            con.unregister("_lp_shard_rows")
    qpath = None
    if quarantine:
        qpath = f"{root}/_quarantine/{shard.shard_id}.parquet"
        fs.makedirs(qpath.rsplit("/", 1)[0], exist_ok=True)
        _write_parquet(fs, qpath, pa.concat_tables(quarantine))
    return {"segments": segments, "quarantine": qpath, "templates": templates}
