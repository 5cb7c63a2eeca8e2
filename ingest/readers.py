"""Readers: files, directories, globs and archives -> chunks of raw records (Arrow).

This is the hot path of bulk ingestion, so lines never become Python objects when no
multiline pattern is given: big byte blocks are decoded once and split by Arrow
(``split_pattern``), empty/overlong/NUL lines are found with Arrow kernels, and records
are assembled with list offsets. Damage is reported, never raised: a missing path, a
binary file, a truncated gzip or an overlong line becomes a :class:`Problem` and every
line read before the damage is kept. What a line is (``\\r\\n``, lone ``\\r``, U+2028),
which lines are quarantined for control bytes, when a whole file is binary and how UTF-16
is read are decided in :mod:`.readers_text`.

Accounting (exact, per chunk): ``lines_read == sum(n_lines) + sum(p.n_lines for p in
problems)``. Empty lines (nothing but spaces and tabs) are dropped and *not* counted in
``lines_read``; each chunk reports them in ``empty_lines`` instead, so ``lines_read +
empty_lines`` over a file equals its physical line count. A binary file is one
quarantined *file* (``Problem.quarantined_file``, with its size), never a line count.
"""

from __future__ import annotations

import bz2
import datetime as dt
import glob
import gzip
import io
import lzma
import os
import re
import tarfile
import threading
import zipfile
import zlib
from dataclasses import dataclass, field
from itertools import chain
from typing import IO, Iterator, Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .readers_text import (
    control_mask, control_reason, escape_controls, has_control, last_break, sniff,
    split_lines, transcode,
)

#: Bytes read per block; big enough to amortise per-block overhead.
BLOCK_BYTES = 4 << 20
#: An overlong line's text is kept in its Problem up to this many bytes.
MAX_KEPT_LINE = 16 << 20
#: A multi-line record is closed anyway past this many lines (protects memory).
MAX_RECORD_LINES = 100_000

COMPRESSED = {".gz": "gz", ".bz2": "bz2", ".xz": "xz", ".zst": "zst", ".zstd": "zst"}
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz")

RECORD_SCHEMA = pa.schema([
    ("origin", pa.string()), ("origin_offset", pa.int64()), ("raw", pa.string()),
    ("n_lines", pa.int32()), ("bad_utf8", pa.bool_()),
])


@dataclass
class Problem:
    """A quarantine entry: a line (or a whole file, offset 0) that yields no record.

    ``n_lines`` is how many input lines it stands for: 1 for a line (then
    ``origin_offset`` is its line number), 0 for file-level notes such as "binary
    content" or "stream truncated after line N" (then ``origin_offset`` is 0). So
    ``origin_offset > 0`` exactly when the problem is one quarantined line.
    ``quarantined_file`` marks the file-level note that sets a whole (binary) file aside;
    ``size`` is then its size in bytes, so the file is listed with it rather than lost.
    """

    origin: str
    origin_offset: int
    raw: str
    reason: str
    n_lines: int = 1
    quarantined_file: bool = False
    size: int | None = None


class _TarHandle:
    """One open TarFile shared by all members of an archive.

    Reading members in order then costs about two passes over a compressed tar instead
    of one pass per member.
    """

    def __init__(self, path: str, members: list[str]) -> None:
        self.path = path
        self.pending = set(members)
        self.tf: tarfile.TarFile | None = None
        self.lock = threading.Lock()

    def open(self, name: str) -> IO[bytes]:
        with self.lock:
            if self.tf is None:
                self.tf = tarfile.open(self.path, "r:*")
            fh = self.tf.extractfile(name)
            if fh is None:
                raise OSError(f"{name} is not a regular file")
            return fh

    def done(self, name: str) -> None:
        """Close the archive once every member was read (a re-read re-opens it)."""
        with self.lock:
            self.pending.discard(name)
            if not self.pending and self.tf is not None:
                self.tf.close()
                self.tf = None


@dataclass
class InputFile:
    """One readable stream: a file, or a member of a zip/tar archive."""

    origin: str
    size: int | None
    mtime: float | None
    path: str = ""
    member: str | None = None
    archive: str | None = None  # "zip" | "tar" | None
    compression: str | None = None  # "gz" | "bz2" | "xz" | "zst" | None
    _tar: _TarHandle | None = field(default=None, repr=False, compare=False)

    def open(self) -> IO[bytes]:
        """A binary stream of the *decompressed* content."""
        if self.archive == "zip":
            zf = zipfile.ZipFile(self.path)
            raw: IO[bytes] = zf.open(self.member or "")
        elif self.archive == "tar" and self._tar is not None:
            raw = self._tar.open(self.member or "")
        else:
            raw = open(self.path, "rb")  # noqa: SIM115 - closed by the reader
        return _decompress(raw, self.compression)

    def closed(self) -> None:
        """Called by the reader when done with this input (releases a shared tar)."""
        if self._tar is not None:
            self._tar.done(self.member or "")


def _decompress(raw: IO[bytes], kind: str | None) -> IO[bytes]:
    if kind == "gz":
        return gzip.GzipFile(fileobj=raw)
    if kind == "bz2":
        return bz2.BZ2File(raw)
    if kind == "xz":
        return lzma.LZMAFile(raw)
    if kind == "zst":
        return _ZstdReader(raw)
    return raw


class _ZstdReader(io.RawIOBase):
    """Multi-frame zstd decoder that *notices* truncation.

    ``zstandard``'s stream reader ends quietly on a cut-off frame; a log archive cut in
    transfer must instead be reported, with the lines before the damage kept.
    """

    def __init__(self, raw: IO[bytes]) -> None:
        import zstandard

        self._zstd = zstandard
        self._raw = raw
        self._dec = zstandard.ZstdDecompressor()
        self._obj = self._dec.decompressobj()
        self._in_frame = False
        self._buf = b""

    def readable(self) -> bool:
        return True

    def read1(self, size: int = -1) -> bytes:
        while not self._buf:
            comp = self._raw.read(1 << 20)
            if not comp:
                if self._in_frame:
                    raise EOFError("zstd stream ended in the middle of a frame")
                return b""
            try:
                while comp:
                    out = self._obj.decompress(comp)
                    self._buf += out
                    self._in_frame = not self._obj.eof
                    if self._obj.eof:
                        comp = self._obj.unused_data
                        self._obj = self._dec.decompressobj()
                    else:
                        comp = b""
            except self._zstd.ZstdError as exc:
                raise OSError(f"corrupt zstd data: {exc}") from exc
        n = len(self._buf) if size is None or size < 0 else size
        out, self._buf = self._buf[:n], self._buf[n:]
        return out

    read = read1

    def close(self) -> None:
        try:
            self._raw.close()
        finally:
            super().close()


def _compression_of(name: str) -> str | None:
    return COMPRESSED.get(os.path.splitext(name)[1].lower())


def _is_hidden(name: str) -> bool:
    return any(part.startswith(".") and part not in (".", "..") for part in re.split(r"[\\/]", name) if part)


def _archive_members(path: str, mtime: float | None) -> tuple[list[InputFile], list[Problem]]:
    low = path.lower()
    files: list[InputFile] = []
    problems: list[Problem] = []
    if low.endswith(".zip"):
        try:
            with zipfile.ZipFile(path) as zf:
                for info in zf.infolist():
                    if info.is_dir() or _is_hidden(info.filename) or info.filename.startswith("__MACOSX/"):
                        continue
                    try:
                        mt = dt.datetime(*info.date_time).timestamp()
                    except (ValueError, OverflowError):
                        mt = mtime
                    files.append(InputFile(f"{path}!{info.filename}", info.file_size, mt, path,
                                           info.filename, "zip", _compression_of(info.filename)))
        except (zipfile.BadZipFile, OSError, EOFError) as exc:
            problems.append(Problem(path, 0, "", f"unreadable zip archive: {exc}", 0))
        return files, problems
    names: list[tarfile.TarInfo] = []
    try:
        with tarfile.open(path, "r:*") as tf:
            for info in tf:
                if info.isfile() and not _is_hidden(info.name):
                    names.append(info)
    except (tarfile.TarError, OSError, EOFError, zlib.error, lzma.LZMAError) as exc:
        problems.append(Problem(path, 0, "", f"corrupt tar archive (members after the damage are skipped): {exc}", 0))
    handle = _TarHandle(path, [info.name for info in names])
    for info in names:
        files.append(InputFile(f"{path}!{info.name}", info.size, float(info.mtime) if info.mtime else mtime,
                               path, info.name, "tar", _compression_of(info.name), handle))
    return files, problems


def missing_inputs(paths: Sequence[str | os.PathLike]) -> list[str]:
    """The inputs that name nothing: neither an existing path nor a glob with a file match.

    The CLI refuses these up front (exit 2) instead of loading the rest and reporting
    them only on the summary line; :func:`expand_inputs` reports the same ones as Problems.
    """
    out = []
    for p in paths:
        p = os.fspath(p)
        if os.path.exists(p) or "://" in p:  # a URL (s3://...) is checked by whatever reads it
            continue
        if any(c in p for c in "*?[") and any(os.path.isfile(h) for h in glob.iglob(p, recursive=True)):
            continue
        out.append(p)
    return out


def expand_inputs(paths: Sequence[str | os.PathLike]) -> tuple[list[InputFile], list[Problem]]:
    """Files, directories (recursive, sorted, hidden entries skipped), globs (``**``
    included) and archives (members become separate inputs). Never raises for a bad
    path: it becomes a :class:`Problem` with offset 0."""
    found: list[str] = []
    problems: list[Problem] = []
    for p in paths:
        p = os.fspath(p)
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found.extend(os.path.join(root, n) for n in sorted(names) if not n.startswith("."))
        elif os.path.exists(p):
            found.append(p)
        elif any(c in p for c in "*?["):
            hits = sorted(h for h in glob.glob(p, recursive=True) if os.path.isfile(h))
            if not hits:
                problems.append(Problem(p, 0, "", "no file matches this pattern", 0))
            found.extend(hits)
        else:
            problems.append(Problem(p, 0, "", "no such file or directory", 0))
    seen: set[str] = set()
    files: list[InputFile] = []
    for path in found:
        key = os.path.realpath(path)
        if key in seen:
            continue
        seen.add(key)
        try:
            st = os.stat(path)
            with open(path, "rb"):
                pass
        except OSError as exc:
            problems.append(Problem(path, 0, "", f"unreadable: {exc.strerror or exc}", 0))
            continue
        low = path.lower()
        if low.endswith(".zip") or low.endswith(TAR_SUFFIXES):
            members, probs = _archive_members(path, st.st_mtime)
            files.extend(members)
            problems.extend(probs)
        else:
            files.append(InputFile(path, st.st_size, st.st_mtime, path, None, None, _compression_of(path)))
    return files, problems


@dataclass
class RecordChunk:
    """A batch of whole records (never split) plus the problems met while reading it."""

    table: pa.Table
    problems: list[Problem]
    lines_read: int
    empty_lines: int = 0


class _StreamError(Exception):
    """Raised inside the block loop to end reading with a reason."""


def _read_blocks(stream: IO[bytes]) -> Iterator[bytes]:
    """Raw byte blocks of about BLOCK_BYTES; compressed readers return short reads."""
    reader = getattr(stream, "read1", None) or stream.read
    while True:
        parts: list[bytes] = []
        size = 0
        while size < BLOCK_BYTES:
            try:
                b = reader(BLOCK_BYTES - size)
            except FileNotFoundError as exc:
                if parts:
                    yield b"".join(parts)
                raise _StreamError(f"file vanished mid-read: {exc}") from exc
            except (EOFError, OSError, zlib.error, lzma.LZMAError, ValueError) as exc:
                if parts:
                    yield b"".join(parts)
                raise _StreamError(f"truncated or corrupt stream: {exc or type(exc).__name__}") from exc
            except Exception as exc:  # zstandard.ZstdError and friends
                if parts:
                    yield b"".join(parts)
                raise _StreamError(f"truncated or corrupt stream: {exc}") from exc
            if not b:
                break
            parts.append(b)
            size += len(b)
        if not parts:
            return
        yield b"".join(parts)


class _Assembler:
    """Turns line batches into records (multi-line aware) and cuts chunks."""

    def __init__(self, origin: str, multiline_start: str | None, chunk_records: int) -> None:
        self.origin = origin
        self.chunk_records = max(1, int(chunk_records))
        self.start_re2 = None
        self.start_py = None
        if multiline_start:
            self.start_py = re.compile(multiline_start)
            try:
                pc.match_substring_regex(pa.array(["x"]), pattern="^(?:" + multiline_start + ")")
                self.start_re2 = "^(?:" + multiline_start + ")"
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                self.start_re2 = None  # Python-only syntax: match per line in Python
        self.held: list[tuple[pa.Array, np.ndarray, np.ndarray]] = []
        self.out: list[pa.Table] = []
        self.out_rows = 0
        self.problems: list[Problem] = []
        self.empty = 0

    def _starts(self, lines: pa.Array) -> np.ndarray:
        if self.start_re2 is not None:
            m = pc.match_substring_regex(lines, pattern=self.start_re2)
            return np.asarray(m.to_numpy(zero_copy_only=False), dtype=bool)
        assert self.start_py is not None
        match = self.start_py.match
        return np.fromiter((match(s) is not None for s in lines.to_pylist()), dtype=bool, count=len(lines))

    def add(self, lines: pa.Array, lineno: np.ndarray, bad: np.ndarray, eof: bool) -> None:
        if self.start_py is None:
            if len(lines):
                self._emit(lines, lineno, bad, np.arange(len(lines) + 1))
            return
        if self.held:
            lines = pa.concat_arrays([h[0] for h in self.held] + [lines])
            lineno = np.concatenate([h[1] for h in self.held] + [lineno])
            bad = np.concatenate([h[2] for h in self.held] + [bad])
            starts = self._starts(lines)
            starts[0] = True  # the held record's first line (or the file's orphan lines)
            self.held = []
        else:
            starts = self._starts(lines) if len(lines) else np.zeros(0, dtype=bool)
            if len(lines):
                starts[0] = True  # continuation lines before any start form one record
        if not len(lines):
            return
        idx = np.flatnonzero(starts)
        if not eof:
            last = int(idx[-1])
            if len(lines) - last <= MAX_RECORD_LINES:
                self.held = [(lines.slice(last), lineno[last:], bad[last:])]
                lines, lineno, bad, idx = lines.slice(0, last), lineno[:last], bad[:last], idx[:-1]
        if len(lines):
            self._emit(lines, lineno, bad, np.append(idx, len(lines)))

    def _emit(self, lines: pa.Array, lineno: np.ndarray, bad: np.ndarray, bounds: np.ndarray) -> None:
        n_rec = len(bounds) - 1
        starts = bounds[:-1]
        n_lines = np.diff(bounds).astype(np.int32)
        if n_rec == len(lines):
            raw = lines
            bad_rec = bad
        else:
            lst = pa.ListArray.from_arrays(pa.array(bounds.astype(np.int32)), lines)
            raw = pc.binary_join(lst, "\n")
            cs = np.concatenate([[0], np.cumsum(bad, dtype=np.int64)])
            bad_rec = (cs[bounds[1:]] - cs[starts]) > 0
        tbl = pa.table({
            "origin": pa.DictionaryArray.from_arrays(
                pa.array(np.zeros(n_rec, dtype=np.int32)), pa.array([self.origin], pa.string())
            ).cast(pa.string()),
            "origin_offset": pa.array(lineno[starts], pa.int64()),
            "raw": raw,
            "n_lines": pa.array(n_lines, pa.int32()),
            "bad_utf8": pa.array(bad_rec, pa.bool_()),
        }, schema=RECORD_SCHEMA)
        self.out.append(tbl)
        self.out_rows += n_rec

    def chunks(self, final: bool) -> Iterator[RecordChunk]:
        while self.out_rows >= self.chunk_records or (final and (self.out_rows or self.problems or self.empty)):
            table = pa.concat_tables(self.out) if self.out else RECORD_SCHEMA.empty_table()
            head = table.slice(0, self.chunk_records)
            rest = table.slice(self.chunk_records)
            self.out = [rest] if rest.num_rows else []
            self.out_rows = rest.num_rows
            probs, self.problems = self.problems, []
            empty, self.empty = self.empty, 0
            lines = int(pc.sum(head.column("n_lines")).as_py() or 0) + sum(p.n_lines for p in probs)
            yield RecordChunk(head.combine_chunks(), probs, lines, empty)


def read_records(f: InputFile, *, multiline_start: str | None = None, chunk_records: int = 200_000,
                 max_line_bytes: int = 1_000_000) -> Iterator[RecordChunk]:
    """Records of one input, in chunks of at most ``chunk_records`` whole records.

    ``origin_offset`` is the 1-based line number of a record's first line. With
    ``multiline_start`` (a regex a record's first line matches) other lines continue the
    previous record; continuation lines before the first start line form one record.
    """
    asm = _Assembler(f.origin, multiline_start, chunk_records)
    try:
        stream = f.open()
    except FileNotFoundError as exc:
        asm.problems.append(Problem(f.origin, 0, "", f"file vanished before reading: {exc}", 0))
        yield from asm.chunks(final=True)
        f.closed()
        return
    except Exception as exc:  # noqa: BLE001 - any open failure is a per-file problem
        asm.problems.append(Problem(f.origin, 0, "", f"cannot open: {exc}", 0))
        yield from asm.chunks(final=True)
        f.closed()
        return
    next_line = 1
    carry = b""
    damage: str | None = None
    long_extra = 0  # bytes dropped from an overlong line that spans blocks
    try:
        raw_blocks = _read_blocks(stream)
        try:
            head = next(raw_blocks, None)
        except _StreamError as exc:
            damage, head = str(exc), None
        verdict = sniff(head or b"")
        if verdict.binary:
            preview = escape_controls((head or b"")[:120].decode("utf-8", "replace"))
            size = f"{f.size:,} bytes" if f.size is not None else "size unknown"
            asm.problems.append(Problem(
                f.origin, 0, preview, f"binary content: whole file quarantined ({size}; {verdict.binary})",
                0, quarantined_file=True, size=f.size))
            raw_blocks = iter(())
            head = None
        first = (head or b"")[verdict.bom:]
        if verdict.encoding != "utf-8":
            blocks: Iterator[bytes] = transcode(first, raw_blocks, verdict.encoding)
        else:
            blocks = chain([first] if first else [], raw_blocks)
        while True:
            try:
                block = next(blocks, None)
            except _StreamError as exc:
                damage = str(exc)
                block = None
            eof = block is None
            data = carry + block if block is not None else carry
            if eof:
                if damage is not None:
                    cut = last_break(data, final=True)
                    if cut:
                        next_line = _feed(asm, f.origin, data[:cut], next_line, max_line_bytes, long_extra)
                    tail = data[cut:]
                    if tail:  # the cut-off last line is not a record
                        asm.problems.append(Problem(f.origin, next_line, escape_controls(tail.decode("utf-8", "replace")),
                                                    damage + " (incomplete last line)", 1))
                    else:  # a file-level note: offset 0 <=> no line of its own
                        asm.problems.append(Problem(f.origin, 0, "", f"{damage} after line {next_line - 1}", 0))
                elif data:
                    next_line = _feed(asm, f.origin, data, next_line, max_line_bytes, long_extra)
                break
            cut = last_break(data)
            if cut == 0:  # no line end in sight: a line longer than a block
                carry = data
                if len(carry) > MAX_KEPT_LINE:
                    long_extra += len(carry) - MAX_KEPT_LINE
                    carry = carry[:MAX_KEPT_LINE]
                continue
            whole, carry = data[:cut], data[cut:]
            next_line = _feed(asm, f.origin, whole, next_line, max_line_bytes, long_extra)
            long_extra = 0
            yield from asm.chunks(final=False)
    finally:
        try:
            stream.close()
        except Exception:  # noqa: BLE001
            pass
        f.closed()
    if asm.held:
        asm.add(pa.array([], pa.string()), np.zeros(0, np.int64), np.zeros(0, bool), eof=True)
    yield from asm.chunks(final=True)


def _feed(asm: _Assembler, origin: str, whole: bytes, next_line: int, max_line_bytes: int,
          long_extra: int) -> int:
    """Split one block of whole lines, peel off problem lines, hand the rest on."""
    lines, bad = split_lines(whole)
    n = len(lines)
    lineno = np.arange(next_line, next_line + n, dtype=np.int64)
    blen = pc.binary_length(lines).to_numpy(zero_copy_only=False)
    # empty = nothing but white space: no content to keep, counted apart from lines_read
    drop = (blen == 0) | np.asarray(pc.utf8_is_space(lines).to_numpy(zero_copy_only=False), dtype=bool)
    probs = blen > max_line_bytes
    if long_extra and n:
        probs[0] = True
    if has_control(whole):
        probs |= control_mask(lines)
    drop &= ~probs
    asm.empty += int(drop.sum())
    if probs.any():
        for i in np.flatnonzero(probs):
            text = lines[int(i)].as_py()
            size = int(blen[i]) + (long_extra if i == 0 else 0)
            if size > max_line_bytes:
                reason = f"line of {size} bytes exceeds max_line_bytes={max_line_bytes}"
            else:
                reason = control_reason(text)
            asm.problems.append(Problem(origin, int(lineno[i]), escape_controls(text), reason, 1))
        drop = drop | probs
    if drop.any():
        keep = ~drop
        lines = lines.filter(pa.array(keep))
        lineno, bad = lineno[keep], bad[keep]
    asm.add(lines, lineno, bad, eof=False)
    return next_line + n


__all__ = ["InputFile", "Problem", "RecordChunk", "expand_inputs", "missing_inputs", "read_records",
           "RECORD_SCHEMA"]
