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

import queue
import threading
from dataclasses import dataclass
from typing import Any, Callable, Iterator, TypeVar

import pyarrow as pa
import pyarrow.compute as pc

from .enrich import ParseResult
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


@dataclass
class FileEnd:
    """The current file has no more chunks."""

    f: InputFile


def parsed_events(cursor: Callable[[], Any], files: list[InputFile], registry: Registry, forced: Any,
                  source: str | None, chunk: int) -> Iterator[FileStart | ChunkParsed | FileEnd]:
    """Per file: FileStart, its ChunkParsed in order, FileEnd (a skipped file: FileStart only).

    ``cursor`` makes this stage's own DuckDB cursor (a cursor is never shared across
    threads); reads only, so it may run ahead of the writer.
    """
    from . import bulk  # the helpers this stage shares with the writer stage
    from .timestamps_days import time_of_day_refs

    con = cursor()
    try:
        for f in files:
            if bulk._already_complete(con, f):
                yield FileStart(f, skipped="already ingested, unchanged")
                continue
            rule, confidence, induced, src = bulk.file_rule(f, registry, forced, source)
            yield FileStart(f, rule, confidence, induced, src, bulk._file_seen(con, f.origin))
            day_refs = time_of_day_refs(con, f, rule, chunk, source=src)  # date-less times across chunks
            for k, rc in enumerate(read_records(f, multiline_start=rule.multiline_start, chunk_records=chunk)):
                table = rc.table
                if table.num_rows == 0:
                    yield ChunkParsed(k, rc, 0, None)
                    continue
                merged = int(pc.sum(table.column("n_lines")).as_py() or 0) - table.num_rows
                parsed = parse_records(con, table, rule, source=src, file_mtime=f.mtime, registry=registry,
                                       day_ref=day_refs.get(k))
                yield ChunkParsed(k, rc, merged, parsed)
            yield FileEnd(f)
    finally:
        con.close()


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
