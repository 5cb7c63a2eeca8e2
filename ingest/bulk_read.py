"""The bulk job's first stage: per file skip check, detection, and per chunk read + parse.

Why a module of its own: this stage reads the workspace but never writes it, so it can
run one step ahead of mining and storing in a thread of its own (:func:`ahead`). Its
heavy parts release the GIL (decompression, Arrow kernels, the DuckDB parse query), so on
two cores the next chunk is read and parsed while the current one is mined (Drain is
Python) and stored (DuckDB, Parquet). The consumer (``bulk``) applies the events in
order, so a pipelined run and a serial run (the same generator consumed in place) write
the same rows, templates and accounting.
"""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from .enrich import ParseResult, parse_files, shares_parse
from .readers import InputFile, RecordChunk, read_records
from .registry import Registry, parse_records

__all__ = ["FileStart", "ChunkParsed", "FileEnd", "parsed_events", "ahead"]

T = TypeVar("T")


@dataclass
class FileStart:
    """A file begins (or is skipped: ``skipped`` says why)."""

    f: InputFile
    rule: Any = None
    confidence: float = 0.0
    induced: dict | None = None
    src: str = ""
    seen_before: bool = False
    skipped: str | None = None


@dataclass
class ChunkParsed:
    """One reader chunk of the current file and its parse (None when it holds no record)."""

    k: int
    rc: RecordChunk
    merged: int
    parsed: ParseResult | None
    #: files parsed in the same query as this chunk (1: parsed alone)
    shared: int = 1


@dataclass
class FileEnd:
    """The current file has no more chunks."""

    f: InputFile


#: Files whose skip state and rule are found together (one query, one detection pass).
WINDOW_FILES = 64


def parsed_events(cursor: Callable[[], Any], files: list[InputFile], registry: Registry, forced: Any,
                  source: str | None, chunk: int) -> Iterator[FileStart | ChunkParsed | FileEnd]:
    """Per file: FileStart, its ChunkParsed in order, FileEnd (a skipped file: FileStart only).

    ``cursor`` makes this stage's own DuckDB cursor (a cursor is never shared across
    threads); reads only, so it may run ahead of the writer.

    Many small files (issue 16): per window of :data:`WINDOW_FILES` files, one query says
    which are complete or seen and one detection pass scores the rules for all their
    samples (:meth:`Registry.detect_files`); consecutive files of one chunk each, of one
    rule and source, are parsed in one query (:func:`.enrich.parse_files`), up to
    ``chunk`` records. Each file still gets its own rule, events and accounting.
    """
    from . import bulk  # the helpers this stage shares with the writer stage

    con = cursor()
    try:
        shared = _Shared(con, registry, chunk)
        for start in range(0, len(files), WINDOW_FILES):
            window = files[start:start + WINDOW_FILES]
            complete, seen = bulk.file_states(con, window)
            todo = [f for f in window if f.origin not in complete]
            rules = dict(zip([id(f) for f in todo], _file_rules(todo, registry, forced, source)))
            for f in window:
                if f.origin in complete:
                    yield from shared.flush()
                    yield FileStart(f, skipped="already ingested, unchanged")
                    continue
                rule, confidence, induced, src = rules[id(f)]
                head = FileStart(f, rule, confidence, induced, src, f.origin in seen)
                yield from _file_events(con, head, registry, chunk, shared)
        yield from shared.flush()
    finally:
        con.close()


def _file_rules(files: list[InputFile], registry: Registry, forced: Any,
                source: str | None) -> list[tuple[Any, float, dict | None, str]]:
    """``bulk.file_rule`` of each file, the detection of all of them in one pass."""
    from . import bulk

    if forced is not None or not files:
        return [bulk.file_rule(f, registry, forced, source) for f in files]
    samples = [bulk._sample_lines(f) for f in files]
    refs = [dt.datetime.fromtimestamp(f.mtime, dt.timezone.utc).replace(tzinfo=None) if f.mtime else None
            for f in files]
    dets = registry.detect_files(samples, stems=[bulk._stem(f) for f in files], refs=refs)
    return [bulk.file_rule(f, registry, forced, source, det=d) for f, d in zip(files, dets)]


def _file_events(con: Any, head: FileStart, registry: Registry, chunk: int,
                 shared: "_Shared") -> Iterator[FileStart | ChunkParsed | FileEnd]:
    """One file's events; a file of one chunk may wait in ``shared`` for a shared parse."""
    from .timestamps_days import time_of_day_refs

    f, rule = head.f, head.rule
    chunks = read_records(f, multiline_start=rule.multiline_start, chunk_records=chunk)
    first = next(chunks, None)
    second = next(chunks, None) if first is not None else None
    if second is None and first is not None and shared.takes(head, first):
        yield from shared.add(head, first)
        return
    yield from shared.flush()
    yield head
    # date-less times across chunks (a file of one chunk needs no pre-pass: it has none)
    day_refs = time_of_day_refs(con, f, rule, chunk, source=head.src) if second is not None else {}
    ahead_chunks = [c for c in (first, second) if c is not None]
    for k, rc in enumerate(itertools.chain(ahead_chunks, chunks)):
        yield _parsed(con, k, rc, head, registry, day_refs.get(k))
    yield FileEnd(f)


def _parsed(con: Any, k: int, rc: RecordChunk, head: FileStart, registry: Registry,
            day_ref: Any = None) -> ChunkParsed:
    table = rc.table
    if table.num_rows == 0:
        return ChunkParsed(k, rc, 0, None)
    parsed = parse_records(con, table, head.rule, source=head.src, file_mtime=head.f.mtime, registry=registry,
                           day_ref=day_ref)
    return ChunkParsed(k, rc, _merged(table), parsed)


def _merged(table: pa.Table) -> int:
    return int(pc.sum(table.column("n_lines")).as_py() or 0) - table.num_rows


class _Shared:
    """Files of one chunk each waiting to be parsed together (same rule, same source,
    at most ``chunk`` records in all); their events leave in file order on flush."""

    def __init__(self, con: Any, registry: Registry, chunk: int) -> None:
        self.con, self.registry, self.chunk = con, registry, chunk
        self.files: list[tuple[FileStart, RecordChunk]] = []
        self.rows = 0

    def takes(self, head: FileStart, rc: RecordChunk) -> bool:
        """Whether the file may wait here (its rule's parse depends on nothing of the file)."""
        return rc.table.num_rows > 0 and shares_parse(head.rule) and rc.table.num_rows < self.chunk

    def add(self, head: FileStart, rc: RecordChunk) -> Iterator[FileStart | ChunkParsed | FileEnd]:
        if self.files:
            h0 = self.files[0][0]
            same = h0.src == head.src and (h0.rule is head.rule or h0.rule.to_dict() == head.rule.to_dict())
            if not same or self.rows + rc.table.num_rows > self.chunk:
                yield from self.flush()
        self.files.append((head, rc))
        self.rows += rc.table.num_rows

    def flush(self) -> Iterator[FileStart | ChunkParsed | FileEnd]:
        files, self.files, self.rows = self.files, [], 0
        if not files:
            return
        results = None
        if len(files) > 1:
            h0 = files[0][0]
            results = parse_files(self.con, [(rc.table, h.f.mtime) for h, rc in files], h0.rule, source=h0.src)
        for i, (head, rc) in enumerate(files):
            yield head
            parsed = results[i] if results is not None else None
            if parsed is None:  # alone (or with its unmatched records, fallbacks included)
                yield _parsed(self.con, 0, rc, head, self.registry)
            else:
                yield ChunkParsed(0, rc, _merged(rc.table), parsed, shared=len(files))
            yield FileEnd(head.f)


_DONE = object()


def ahead(items: Iterator[T], depth: int = 2) -> Iterator[T]:
    """``items`` produced in a thread of their own, at most ``depth`` ahead of the consumer.

    The bounded queue keeps memory flat (a chunk is at most ``chunk_records`` records); an
    exception in the producer is raised in the consumer at the point it would have been
    raised serially; when the consumer stops early the producer is told to stop.
    """
    q: queue.Queue = queue.Queue(maxsize=max(1, depth))
    stop = threading.Event()

    def put(item: Any) -> bool:
        while not stop.is_set():
            try:
                q.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    break
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer
            put((_DONE, exc))
            return
        finally:
            close = getattr(items, "close", None)
            if close is not None and stop.is_set():
                close()
        put((_DONE, None))

    worker = threading.Thread(target=run, name="logpilot-bulk-read", daemon=True)
    worker.start()
    try:
        while True:
            item, exc = q.get()
            if item is _DONE:
                if exc is not None:
                    raise exc
                return
            yield item
    finally:
        stop.set()
        worker.join()


def rows_of(table: pa.Table, origin: str) -> int:
    """Rows of ``table`` whose origin is ``origin`` (a batch holds several files)."""
    return int(pc.sum(pc.cast(pc.equal(table.column("origin"), origin), pa.int64())).as_py() or 0)
