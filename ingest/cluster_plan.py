"""The cluster ingest's planner: inputs -> shards, each one Dask task (issue 16).

Why these three shapes: a compressed stream cannot be entered in the middle, so a gzip,
bzip2, xz or zstd file (and an archive member) is one shard's whole piece; a plain file
can, so a big one is cut into byte ranges at line boundaries and its pieces run in
parallel; and a task costs scheduling overhead (tens of milliseconds) and a detection
sample, so many small files are grouped into one shard up to the same byte budget.

A piece of a plain file needs the number of the line it starts at (``origin_offset`` is
the 1-based line number in the file, the provenance key shared with the single-process
ingest). Counting newlines is cheap but means reading the bytes, so the planner only
finds the boundaries (a short read after each cut) and the workers count the lines of
each range in parallel (:func:`count_newlines`); :func:`number_pieces` then gives every
piece its first line number from the counts of the pieces before it.

A plain file is read up to the size it was planned with, never to wherever its end is
when the task reads it: a live log grows while it is ingested, and reading on would make a
shard's output depend on when it ran (a retried task would write other rows than the
attempt it replaces) and take rows beyond the size ``ingested_files`` records. So every
piece of a plain file, a whole small one too, carries its ``end``; only the line (record)
that straddles the planned end is settled at read time
(:func:`.cluster_task._settled_end`).

Shard ids hash the identity of their pieces (origin, byte range, size, mtime): the same
input always gives the same ids, which is what makes a shard's output idempotent (its
segments are named by its id, so a retried or duplicated task rewrites the same names).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, replace
from typing import Sequence

from .readers import InputFile

__all__ = ["Piece", "Shard", "plan_shards", "split_points", "count_newlines", "number_pieces",
           "SHARD_BYTES"]

#: Target bytes of input per shard: big enough that scheduling and the detection sample are
#: noise (a shard of 64 MiB of text is seconds of work), small enough to spread and to
#: bound a worker's memory (a shard's rows are held until its segments are written).
SHARD_BYTES = 64 << 20
#: A compressed file is weighed by this guess of its expansion when grouping.
COMPRESSED_WEIGHT = 8


@dataclass(frozen=True)
class Piece:
    """Part of one input stream: a whole file or member, or a byte range of a plain file."""

    origin: str
    path: str
    size: int | None
    mtime: float | None
    member: str | None = None
    archive: str | None = None
    compression: str | None = None
    start: int = 0
    end: int | None = None  # None: to the end of the stream
    first_line: int = 1     # line number (1-based) of the first line at ``start``

    @property
    def is_range(self) -> bool:
        """True for a proper part of a plain file (not the whole of it)."""
        return self.start > 0 or (self.end is not None and self.end < (self.size or 0))

    @property
    def weight(self) -> int:
        if self.end is not None:
            return self.end - self.start
        n = self.size or 0
        return n * COMPRESSED_WEIGHT if self.compression else n


@dataclass(frozen=True)
class Shard:
    """One Dask task's input; ``shard_id`` names its segments in the lake."""

    shard_id: str
    pieces: tuple[Piece, ...]

    @property
    def weight(self) -> int:
        return sum(p.weight for p in self.pieces)


def _piece_of(f: InputFile) -> Piece:
    return Piece(f.origin, f.path, f.size, f.mtime, f.member, f.archive, f.compression)


def _splittable(f: InputFile) -> bool:
    return f.archive is None and f.compression is None and bool(f.path)


def split_points(path: str, size: int, shard_bytes: int) -> list[int]:
    """Byte offsets where pieces of ``path`` start (0 first), each just after a newline.

    A cut at nominal offset ``b`` moves forward to the byte after the first newline at or
    after ``b - 1``; a cut that finds no newline before the end of the file is dropped.
    """
    points = [0]
    if size <= shard_bytes:
        return points
    with open(path, "rb") as fh:
        b = shard_bytes
        while b < size:
            fh.seek(b - 1)
            pos = b - 1
            found = -1
            while True:
                block = fh.read(1 << 16)
                if not block:
                    break
                i = block.find(b"\n")
                if i >= 0:
                    found = pos + i + 1
                    break
                pos += len(block)
            if found < 0 or found >= size:
                break
            if found > points[-1]:
                points.append(found)
            b = max(found, b) + shard_bytes
    return points


def count_newlines(path: str, start: int, end: int) -> int:
    """Newlines in ``path[start:end]`` (a worker task: it reads the range once)."""
    n = 0
    with open(path, "rb") as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            block = fh.read(min(left, 8 << 20))
            if not block:
                break
            n += block.count(b"\n")
            left -= len(block)
    return n


def _shard_id(pieces: Sequence[Piece]) -> str:
    key = json.dumps([[p.origin, p.start, p.end, p.size, p.mtime] for p in pieces], separators=(",", ":"))
    return "s" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:16]


def plan_shards(files: Sequence[InputFile], shard_bytes: int = SHARD_BYTES) -> tuple[list[Shard], list[Piece]]:
    """Shards of ``files`` in input order, and the range pieces still to be numbered.

    Range pieces come back with ``first_line`` 1 as placeholders: the caller counts the
    newlines of every range (:func:`count_newlines`, on the workers) and calls
    :func:`number_pieces` before submitting. Shard ids do not depend on line numbers.
    """
    shard_bytes = max(1, int(shard_bytes))
    shards: list[Shard] = []
    group: list[Piece] = []
    ranges: list[Piece] = []

    def close_group() -> None:
        if group:
            shards.append(Shard(_shard_id(group), tuple(group)))
            group.clear()

    for f in files:
        if _splittable(f) and (f.size or 0) > shard_bytes:
            cuts = split_points(f.path, int(f.size or 0), shard_bytes)
            if len(cuts) > 1:
                close_group()
                bounds = cuts + [int(f.size or 0)]
                for a, b in zip(bounds, bounds[1:]):
                    piece = replace(_piece_of(f), start=a, end=b)
                    ranges.append(piece)
                    shards.append(Shard(_shard_id([piece]), (piece,)))
                continue
        piece = _piece_of(f)
        if _splittable(f) and f.size is not None:
            piece = replace(piece, end=int(f.size))  # bounded: read to the planned size (docstring)
        if group and sum(p.weight for p in group) + piece.weight > shard_bytes:
            close_group()
        group.append(piece)
    close_group()
    return shards, ranges


def number_pieces(shards: Sequence[Shard], ranges: Sequence[Piece], counts: Sequence[int]) -> list[Shard]:
    """Give each range piece its first line number from the newline counts of the ranges
    before it in the same file (``counts[i]`` belongs to ``ranges[i]``)."""
    first: dict[tuple[str, int], int] = {}
    running: dict[str, int] = {}
    for piece, n in sorted(zip(ranges, counts), key=lambda x: (x[0].origin, x[0].start)):
        line = running.get(piece.origin, 1)
        first[(piece.origin, piece.start)] = line
        running[piece.origin] = line + int(n)
    out = []
    for s in shards:
        pieces = tuple(replace(p, first_line=first.get((p.origin, p.start), p.first_line)) if p.end is not None
                       else p for p in s.pieces)
        out.append(Shard(s.shard_id, pieces))
    return out

