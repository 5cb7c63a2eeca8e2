"""A hostile-input corpus, generated at test time (nothing large is committed).

Each :class:`Case` is one input handed to ``logpilot ingest`` with what an independent
count of it says: how many lines it has (split here with a regex over the whole input,
not with the readers' block splitter), whether it is a binary file that must become one
quarantined file of a known size, and which exit status the CLI must give. The
contents (NUL in the first line, CRLF, UTF-16, a 2 MB line, ...) are crossed with every
reader (plain, gz, bz2, xz, zst, tar, tgz, zip); container damage (truncated streams,
path traversal, a small zip bomb) and a missing path are cases of their own.

Used by ``tests/fuzz/test_fuzz_ingest.py`` (the normal test suite) and by
``tests/benchmarks/fuzz_table.py`` (the table in docs/benchmarks.md).
"""

from __future__ import annotations

import bz2
import codecs
import gzip
import io
import lzma
import random
import re
import tarfile
import uuid
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import zstandard

READERS = ("plain", "gz", "bz2", "xz", "zst", "tar", "tgz", "zip")
_BREAK = re.compile(rb"\r\n|\r|\n|\xe2\x80\xa8|\xe2\x80\xa9")
#: C0 control bytes a line may not hold (TAB, BS, VT, FF, ESC are text) ...
_CONTROL = re.compile(rb"[\x00-\x07\x0e-\x1a\x1c-\x1f]")
#: ... and the longest line kept (the ingest default max_line_bytes).
MAX_LINE_BYTES = 1_000_000


def _line(i: int) -> bytes:
    return b"2024-06-01T10:%02d:%02dZ INFO worker-%d handled request %d in %d ms" % (
        i // 60 % 60, i % 60, i % 7, i, i * 37 % 997)


def _lines(n: int, start: int = 0, end: bytes = b"\n") -> bytes:
    return b"".join(_line(i) + end for i in range(start, start + n))


def _pieces(data: bytes, encoding: str) -> list[bytes]:
    if encoding != "utf-8":
        data = data.decode(encoding).encode("utf-8")
    pieces = _BREAK.split(data)
    if pieces and pieces[-1] == b"":
        pieces.pop()
    return [p for p in pieces if p.strip(b" \t")]


def count_lines(data: bytes, encoding: str = "utf-8") -> int:
    """Non-blank lines of ``data``: each of CRLF, CR, LF, U+2028 and U+2029 ends one; a line
    of only spaces and tabs is blank; a final line end opens no line."""
    return len(_pieces(data, encoding))


def count_bad_lines(data: bytes, encoding: str = "utf-8") -> int:
    """Lines that must be quarantined whatever the format: control bytes, or too long."""
    return sum(1 for p in _pieces(data, encoding) if _CONTROL.search(p) or len(p) > MAX_LINE_BYTES)


# ----------------------------------------------------------------- contents
def _contents() -> dict[str, tuple[bytes, str, bool]]:
    """name -> (bytes, encoding for the independent count, is it a binary file)."""
    rng = random.Random(17)
    latin = "".join(f"2024-06-01T10:00:{i:02d}Z WARN caf\u00e9 cr\u00e8me br\u00fbl\u00e9e {i}\n"
                    for i in range(40)).encode("latin-1")
    bad_utf8 = _lines(20) + b"2024-06-01T10:01:00Z ERROR bytes \xff\xfe\xc3( here\n" \
        + b"\xed\xa0\x80 surrogate, then \xf8\x88\x80\x80\x80 overlong\n" + _lines(20, 20)
    utf16_text = "".join(f"2024-06-01T10:00:{i:02d}Z INFO \u00fcber {i}\r\n" for i in range(60))
    return {
        "nul_first_line": (b"\x00\x00boot\x00 junk\n" + _lines(99), "utf-8", False),
        "nul_mid_file": (_lines(50) + b"2024-06-01T10:01:00Z INFO a\x00b\n" + _lines(49, 50), "utf-8", False),
        "control_bytes": (_lines(30) + b"2024-06-01T10:01:00Z INFO bell\x07 esc\x1b[0m\n" + _lines(30, 30),
                          "utf-8", False),
        "crlf": (_lines(100, end=b"\r\n"), "utf-8", False),
        "lone_cr": (_lines(100, end=b"\r"), "utf-8", False),
        "u2028": (_lines(100, end="\u2028".encode()), "utf-8", False),
        "invalid_utf8": (bad_utf8, "utf-8", False),
        "latin1": (latin, "utf-8", False),
        "utf16_bom": (codecs.BOM_UTF16_LE + utf16_text.encode("utf-16-le"), "utf-16", False),
        "line_2mb": (_lines(10) + b"2024-06-01T10:01:00Z INFO " + b"x" * (2 << 20) + b"\n" + _lines(10, 10),
                     "utf-8", False),
        "empty_file": (b"", "utf-8", False),
        "blank_lines_only": (b"\n\n   \n\t\n\r\n \t \r\n" * 50, "utf-8", False),
        "binary_file": (rng.randbytes(300_000), "utf-8", True),
    }


CONTENTS = tuple(_contents())


def _wrap(reader: str, member: str, data: bytes, folder: Path) -> tuple[Path, str]:
    """Write ``data`` as ``reader`` would find it; return the path and the origin of the data."""
    if reader == "plain":
        p = folder / f"{member}.log"
        p.write_bytes(data)
        return p, str(p)
    if reader in ("gz", "bz2", "xz", "zst"):
        comp: dict[str, Callable[[bytes], bytes]] = {
            "gz": gzip.compress, "bz2": bz2.compress, "xz": lzma.compress,
            "zst": lambda b: zstandard.ZstdCompressor().compress(b)}
        p = folder / f"{member}.log.{reader}"
        p.write_bytes(comp[reader](data))
        return p, str(p)
    if reader in ("tar", "tgz"):
        p = folder / f"{member}.{reader}"
        with tarfile.open(p, "w:gz" if reader == "tgz" else "w") as tf:
            _tar_add(tf, f"{member}.log", data)
        return p, f"{p}!{member}.log"
    p = folder / f"{member}.zip"
    with zipfile.ZipFile(p, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(f"{member}.log", data)
    return p, f"{p}!{member}.log"


def _tar_add(tf: tarfile.TarFile, name: str, data: bytes, kind: bytes = tarfile.REGTYPE,
             link: str = "") -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data) if kind == tarfile.REGTYPE else 0
    info.type = kind
    info.linkname = link
    tf.addfile(info, io.BytesIO(data) if kind == tarfile.REGTYPE else None)


# -------------------------------------------------------------------- cases
@dataclass
class Case:
    """One ingest of ``path`` and what an independent reading of it expects."""

    name: str
    reader: str
    path: Path
    lines: int  # non-blank lines an ingest must account for (0 for a binary file)
    bad_lines: int = 0  # of which at least this many must be quarantined (control bytes, overlong)
    binary_files: dict[str, int] = field(default_factory=dict)  # origin -> size, to quarantine whole
    exit_code: int = 0
    outside: list[Path] = field(default_factory=list)  # paths that must not exist afterwards
    forbidden_text: str | None = None  # must not appear in any stored row

    @property
    def key(self) -> str:
        return f"{self.name}/{self.reader}"


def content_cases(folder: Path) -> list[Case]:
    """Every content x every reader."""
    cases = []
    for name, (data, encoding, binary) in _contents().items():
        for reader in READERS:
            sub = folder / f"{name}-{reader}"
            sub.mkdir(parents=True)
            path, origin = _wrap(reader, name, data, sub)
            size = len(data) if reader in ("tar", "tgz", "zip") else path.stat().st_size
            cases.append(Case(name, reader, path, 0 if binary else count_lines(data, encoding),
                              0 if binary else count_bad_lines(data, encoding), {origin: size} if binary else {}))
    return cases


def _truncated(reader: str, folder: Path) -> Case:
    data = _lines(20_000)  # ~1.2 MB: several bz2 blocks at level 1, many zstd blocks
    if reader == "gz":
        comp, partial = gzip.compress(data), lambda b: zlib.decompressobj(31).decompress(b)
    elif reader == "bz2":
        comp, partial = bz2.compress(data, 1), lambda b: bz2.BZ2Decompressor().decompress(b)
    elif reader == "xz":
        comp, partial = lzma.compress(data), lambda b: lzma.LZMADecompressor().decompress(b)
    else:
        out = io.BytesIO()
        writer = zstandard.ZstdCompressor().stream_writer(out, closefd=False)
        for i in range(0, len(data), 64 << 10):
            writer.write(data[i:i + (64 << 10)])
            writer.flush(zstandard.FLUSH_BLOCK)
        writer.close()
        comp = out.getvalue()
        partial = lambda b: zstandard.ZstdDecompressor().decompressobj().decompress(b)  # noqa: E731
    cut = comp[: len(comp) * 3 // 5]
    sub = folder / f"truncated-{reader}"
    sub.mkdir(parents=True)
    path = sub / f"cut.log.{reader}"
    path.write_bytes(cut)
    return Case("truncated", reader, path, count_lines(partial(cut)))


def _traversal(reader: str, folder: Path) -> Case:
    sub = folder / f"traversal-{reader}" / "deep" / "inside"
    sub.mkdir(parents=True)
    token = uuid.uuid4().hex[:8]
    escape_rel = f"../../escaped-{token}.log"
    escape_abs = f"/tmp/escaped-abs-{token}.log"
    data = _lines(25)
    outside = [sub / escape_rel, Path(escape_abs), folder / f"escaped-{token}.log"]
    if reader == "tar":
        path = sub / "evil.tar"
        with tarfile.open(path, "w") as tf:
            _tar_add(tf, escape_rel, data)
            _tar_add(tf, escape_abs, data)
            _tar_add(tf, "passwd-link.log", b"", tarfile.SYMTYPE, "/etc/passwd")
            _tar_add(tf, "hard-link.log", b"", tarfile.LNKTYPE, "/etc/passwd")
            _tar_add(tf, "fine.log", data)
        return Case("path_traversal", reader, path, 3 * 25, outside=outside, forbidden_text="root:")
    path = sub / "evil.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr(escape_rel, data)
        zf.writestr(escape_abs, data)
        zf.writestr("fine.log", data)
    return Case("path_traversal", reader, path, 3 * 25, outside=outside)


def _zip_bomb(folder: Path) -> Case:
    """A zip of about 130 KB that inflates to 120 MB: 100 MB of NUL bytes (a binary file,
    set aside after its sample) and one 20 MB line (quarantined as overlong)."""
    sub = folder / "zip_bomb-zip"
    sub.mkdir(parents=True)
    path = sub / "bomb.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as zf:
        with zf.open("zeros.log", "w") as fh:
            block = bytes(1 << 20)
            for _ in range(100):
                fh.write(block)
        with zf.open("one-line.log", "w") as fh:
            block = b"A" * (1 << 20)
            for _ in range(20):
                fh.write(block)
            fh.write(b"\n")
    return Case("zip_bomb", "zip", path, 1, 1, {f"{path}!zeros.log": 100 << 20})


def special_cases(folder: Path) -> list[Case]:
    """Container damage and a missing path."""
    cases = [_truncated(r, folder) for r in ("gz", "bz2", "xz", "zst")]
    cases += [_traversal(r, folder) for r in ("tar", "zip")]
    cases.append(_zip_bomb(folder))
    cases.append(Case("missing_path", "plain", folder / "no-such-dir" / "missing.log", 0, exit_code=2))
    return cases


def all_cases(folder: Path) -> list[Case]:
    """The whole corpus, written under ``folder``."""
    return content_cases(folder) + special_cases(folder)


__all__ = ["CONTENTS", "Case", "READERS", "all_cases", "content_cases", "count_bad_lines", "count_lines",
           "special_cases"]
