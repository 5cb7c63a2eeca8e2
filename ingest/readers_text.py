"""Text hygiene for the readers: encodings, line ends and control bytes.

Log text is written by the systems being investigated (and by whoever attacks them), so
these rules decide, for every reader alike, what a line is, which lines are quarantined
and when a whole file is. The fuzz corpus (``tests/fuzz``) runs them against each reader.

- **Line ends**: ``\\r\\n``, a lone ``\\r``, ``\\n``, U+2028 and U+2029 each end one line,
  so a CRLF (or old Mac) file never keeps a ``\\r`` in a message and a line number means
  the same thing whatever the producer's platform. One exception: a line that is valid
  JSON as a whole keeps its U+2028/U+2029, which JSON allows unescaped inside strings
  (``JSON.stringify`` and ``json.dumps(ensure_ascii=False)`` write them raw); splitting
  there would turn one good record into two quarantined halves.
- **Control bytes**: a line with NUL or another C0 control byte (TAB, BS, VT, FF and ESC,
  which colourised and tabular logs use, excepted) is quarantined with its reason; the
  rest of the file loads.
- **Binary files**: a file is set aside whole only when *most* of its first
  ``SNIFF_BYTES`` are binary: lines with control or undecodable bytes are more than half
  of the sample's lines *and* of its bytes, and such bytes are dense. One NUL in the first
  line, or a block of NUL padding after good lines (a crashed writer), is not that.
- **Encodings**: UTF-8 (a BOM is dropped); UTF-16 with a BOM, or ASCII-range UTF-16
  without one, is transcoded to UTF-8 instead of being called binary; other bytes that are
  not UTF-8 (Latin-1) are replaced per line and the record flagged ``bad_utf8``.
"""

from __future__ import annotations

import codecs
import json
import re
from dataclasses import dataclass
from typing import Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

#: Bytes inspected to call a file binary (and to recognise UTF-16 without a BOM).
SNIFF_BYTES = 65536
#: C0 control bytes that do not make a line binary: BS, TAB, LF, VT, FF, CR, ESC.
TOLERATED = frozenset({8, 9, 10, 11, 12, 13, 27})
CONTROL = bytes(c for c in range(32) if c not in TOLERATED)
_CONTROL_SINGLES = [bytes([c]) for c in CONTROL]
_CONTROL_RE = re.compile(b"[" + b"".join(b"\\x%02x" % c for c in CONTROL) + b"]")
_CONTROL_RE2 = "[" + "".join(f"\\x{c:02x}" for c in CONTROL) + "]"  # Arrow's RE2 syntax
_ESCAPES = {c: f"\\x{c:02x}" for c in CONTROL}
_BREAKS = re.compile(rb"\r\n|\r|\n")
_LS, _PS = "\u2028".encode(), "\u2029".encode()
#: A binary file: more than this share of the sample is in binary lines ...
BINARY_LINE_SHARE = 0.5
#: ... and more than this share of the sample's bytes are control or undecodable bytes.
BINARY_BYTE_DENSITY = 0.05


@dataclass(frozen=True)
class Sniff:
    """The verdict on a file's first bytes: its encoding, or why it is binary."""

    encoding: str = "utf-8"  # "utf-8" | "utf-16-le" | "utf-16-be"
    bom: int = 0  # bytes of byte-order mark to drop
    binary: str | None = None  # why the whole file is set aside (a detail, no prefix)


def has_control(data: bytes) -> bool:
    """True when ``data`` holds a control byte that quarantines its line (memchr-fast)."""
    return any(c in data for c in _CONTROL_SINGLES)


def control_mask(lines: pa.Array) -> np.ndarray:
    """Per line: does it hold a quarantining control byte?"""
    return np.asarray(pc.match_substring_regex(lines, _CONTROL_RE2).to_numpy(zero_copy_only=False), dtype=bool)


def control_reason(text: str) -> str:
    """The quarantine reason of a line with control bytes (NUL named apart: crash padding)."""
    if "\x00" in text:
        return "binary content (NUL bytes in the line)"
    return "binary content (control bytes in the line)"


def escape_controls(text: str) -> str:
    """``text`` with quarantining control characters written as ``\\xNN`` (safe to store and show)."""
    return text.translate(_ESCAPES)


def _printable_share(text: str) -> float:
    if not text:
        return 1.0
    ok = sum(1 for ch in text if ch.isprintable() or ch in "\t\n\r\f\v\x1b")
    return ok / len(text)


def _utf16_without_bom(sample: bytes) -> str | None:
    half = len(sample) // 2
    if half < 8:
        return None
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    if odd > 0.4 * half and even < 0.05 * half:
        return "utf-16-le"
    if even > 0.4 * half and odd < 0.05 * half:
        return "utf-16-be"
    return None


def sniff(head: bytes) -> Sniff:
    """Encoding and binary verdict from the first block of a (decompressed) stream."""
    if head.startswith(codecs.BOM_UTF8):
        head, bom = head[3:], 3
    else:
        bom = 0
    sample = head[:SNIFF_BYTES]
    if not sample:
        return Sniff(bom=bom)
    if bom == 0:
        for mark, enc in ((codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
            if sample.startswith(mark):
                return _utf16_verdict(sample[2:], enc, 2)
        enc = _utf16_without_bom(sample)
        if enc is not None:
            verdict = _utf16_verdict(sample, enc, 0)
            if verdict.binary is None:
                return verdict
    return Sniff(bom=bom, binary=_binary_reason(sample))


def _utf16_verdict(sample: bytes, encoding: str, bom: int) -> Sniff:
    text = sample[: len(sample) // 2 * 2].decode(encoding, errors="replace")
    if _printable_share(text) < 0.9:
        return Sniff(binary=f"it has a {encoding.upper()} byte pattern but is not text in it either")
    return Sniff(encoding=encoding, bom=bom)


def _binary_reason(sample: bytes) -> str | None:
    in_binary_lines = 0
    bad_bytes = 0
    n_lines = n_binary = 0
    for line in sample.split(b"\n"):
        if not line:
            continue
        n_lines += 1
        ctrl = len(_CONTROL_RE.findall(line)) if _CONTROL_RE.search(line) else 0
        try:
            line.decode("utf-8")
            undecodable = 0
        except UnicodeDecodeError:
            undecodable = line.decode("utf-8", errors="replace").count("\ufffd")
        if ctrl or undecodable > 0.3 * len(line):
            in_binary_lines += len(line) + 1
            n_binary += 1
        bad_bytes += ctrl + undecodable
    share, density = in_binary_lines / len(sample), bad_bytes / len(sample)
    # Both shares: a few hundred good lines before a block of NUL padding are not "mostly binary"
    if share > BINARY_LINE_SHARE and n_binary > BINARY_LINE_SHARE * n_lines and density > BINARY_BYTE_DENSITY:
        return (f"{share:.0%} of the first {len(sample):,} bytes are in lines with NUL, control or "
                "undecodable bytes")
    return None


def transcode(first: bytes, rest: Iterator[bytes], encoding: str) -> Iterator[bytes]:
    """UTF-8 blocks from UTF-16 ones (a code unit split across blocks is carried over)."""
    decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
    out = decoder.decode(first).encode("utf-8")
    if out:
        yield out
    for block in rest:
        out = decoder.decode(block).encode("utf-8")
        if out:
            yield out
    out = decoder.decode(b"", final=True).encode("utf-8")
    if out:
        yield out


def last_break(data: bytes, *, final: bool = False) -> int:
    """Index just past the last *complete* line end in ``data`` (0: none yet).

    A ``\\r`` at the very end may be the first half of ``\\r\\n`` split across two
    blocks, so it is left for the next block unless ``final`` (no block follows).
    """
    i = max(data.rfind(b"\n"), data.rfind(b"\r"))
    if not final and i == len(data) - 1 and data[i] == 13:
        i = max(data.rfind(b"\n", 0, i), data.rfind(b"\r", 0, i))
    if i >= 0:
        return i + 1
    j = max(data.rfind(_LS), data.rfind(_PS))  # a file that separates lines only by U+2028
    return j + 3 if j >= 0 else 0


def _separators_to_breaks(line: str) -> str:
    """U+2028/U+2029 as line ends, unless the line is one JSON value (then they are text)."""
    stripped = line.strip()
    if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
        try:
            json.loads(stripped)
            return line
        except ValueError:
            pass
    return line.replace("\u2028", "\n").replace("\u2029", "\n")


def _with_separators(text: str) -> str:
    return "\n".join(_separators_to_breaks(line) if ("\u2028" in line or "\u2029" in line) else line
                     for line in text.split("\n"))


def split_lines(data: bytes) -> tuple[pa.Array, np.ndarray]:
    """Lines of ``data`` (each line end normalised) and the per-line bad-UTF-8 flags.

    A final line end does not start another line: ``b"a\\r\\nb\\r\\n"`` is two lines.
    """
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        pieces = _BREAKS.split(data)
        if pieces and pieces[-1] == b"":
            pieces.pop()
        texts, flags = [], []
        for piece in pieces:
            try:
                text, bad = piece.decode("utf-8"), False
            except UnicodeDecodeError:
                text, bad = piece.decode("utf-8", errors="replace"), True
            parts = _separators_to_breaks(text).split("\n") if ("\u2028" in text or "\u2029" in text) else [text]
            texts.extend(parts)
            flags.extend([bad] * len(parts))
        return pa.array(texts, pa.string()), np.array(flags, dtype=bool)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\u2028" in text or "\u2029" in text:
        text = _with_separators(text)
    lines = pc.split_pattern(pa.array([text], pa.large_string()), "\n").values.cast(pa.string())
    if not text or text.endswith("\n"):
        lines = lines.slice(0, len(lines) - 1)  # zero-copy: the final line end opens no line
    return lines, np.zeros(len(lines), dtype=bool)


__all__ = ["SNIFF_BYTES", "Sniff", "control_mask", "control_reason", "escape_controls", "has_control",
           "last_break", "sniff", "split_lines", "transcode"]
