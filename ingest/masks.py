"""Generic variable masks for template mining, kept as data.

Why data and not code: the same tuple drives the vectorised DuckDB pass (RE2) over
millions of rows, the unit tests (Python ``re``), and the persisted miner state (a
state file records the mask set it was built with).  Every pattern must therefore be
valid in both RE2 and Python ``re``: no lookaround, no backreferences.

Contract of ``Mask.pattern``: it matches the *value only* and has no capturing
groups (use ``(?:...)``).  Why no groups: RE2 finds group-free matches with its DFA
alone, about 2.5x faster than when it must report submatches; masking is the hot
loop of bulk ingest.  Boundaries are zero-width: ``\\b`` before a value starting
with a word character (so ``R02`` stays, ``=02`` masks), ``\\B`` before one starting
with punctuation (``/path`` masks after a space, not inside ``a/b``).  Note ``_`` is
a word character for ``\\b``; ``x_12`` is caught whole by ``idnum``.  (RE2's
``\\b``/``\\w`` are ASCII, Python's Unicode-aware: they differ only next to
non-ASCII letters; mining always runs the RE2 side.)
Order matters: the alternation is leftmost-first, so more specific masks come
first (an IP before a plain number, ``blk_-12`` before ``12``).

The list is generic on purpose (timestamps, numbers, ids, addresses, paths, sizes,
durations); no rule here names a particular system or message.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Mask:
    """One masking rule: ``name`` for humans and state files, ``pattern`` the value regex."""

    name: str
    pattern: str

    def __post_init__(self) -> None:
        # Fail early (at construction) rather than deep inside DuckDB.
        compiled = re.compile(self.pattern)
        if compiled.groups:
            raise ValueError(f"mask {self.name}: use non-capturing groups (?:...)")
        if re.search(r"\(\?<?[=!]|\\[1-9]", self.pattern):
            raise ValueError(f"mask {self.name}: lookaround/backreferences are not RE2")


_HEX = "[0-9a-fA-F]"
_IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"
_UNITS = r"(?:[kKMGTP]i?[bB]|[bB]ytes|[mun]?s|secs?|min|[KMG])"
_DAY = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
_MON = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
_HMS = r"\d{1,2}:\d{2}:\d{2}(?:[.,]\d+)?"

MASKS: tuple[Mask, ...] = (
    # ctime-style and ISO-8601 timestamps inside a message are one value, not five
    Mask("datetime", rf"\b(?:{_DAY} )?{_MON} +\d{{1,2}} {_HMS}(?: [A-Z]{{3,4}})?(?: \d{{4}})?\b"
                     rf"|\b\d{{4}}-\d{{2}}-\d{{2}}[T ]{_HMS}(?:Z|[+-]\d{{2}}:?\d{{2}})?\b"),
    # scheme://address, ending before closing punctuation
    Mask("url", r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>()\[\]{},;]+"),
    # RFC 4122 ids
    Mask("uuid", rf"\b{_HEX}{{8}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{4}}-{_HEX}{{12}}\b"),
    # Java InetSocketAddress style "host/1.2.3.4:80", "/1.2.3.4:80", plain IPv4[:port]
    Mask("endpoint", r"(?:\b[A-Za-z0-9][A-Za-z0-9.\-]*/|\B/|\b)" + _IPV4 + r"(?::\d+)?\b"),
    # host.name:port / host-name:port (a dot or dash in the name tells it from key:value)
    Mask("hostport", r"\b[A-Za-z][A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)+:\d+\b"),
    # MAC addresses and colon-separated hex runs
    Mask("mac", rf"\b{_HEX}{{2}}(?::{_HEX}{{2}}){{3,}}\b"),
    # IPv6: eight groups, or a "::" compression (fe80::1, 2001:db8::8a2e:370:7334)
    Mask("ipv6", rf"\b(?:{_HEX}{{1,4}}:){{7}}{_HEX}{{1,4}}\b"
                 rf"|\b(?:{_HEX}{{1,4}}:){{1,6}}:(?:{_HEX}{{1,4}}(?::{_HEX}{{1,4}})*\b)?"),
    # durations: clock style (00:01:05, 2:03, 00:00:01.5) and compound units (1h2m3s, 5m30s)
    Mask("duration", r"\b\d+:\d{2}(?::\d{2})?(?:[.,]\d+)?\b"
                     r"|\b\d+h(?:\d+m)?(?:\d+(?:\.\d+)?s)?\b|\b\d+m\d+(?:\.\d+)?s\b"),
    # identifiers of words and numeric parts: blk_-42, job_1445_0020, DFSClient_X_15_1
    Mask("idnum", r"\b[A-Za-z][A-Za-z0-9]*(?:_[A-Za-z][A-Za-z0-9]*)*(?:_-?\d+)+(?:_[A-Za-z0-9]+)*\b"),
    # numbers joined by underscores (session and transaction ids: 30546173_4261722401)
    Mask("numid", r"\b\d+(?:_\d+)+\b"),
    # Windows paths with a drive letter (C:\Windows\x.dll)
    Mask("winpath", r"\b[A-Za-z]:\\[^\s\"'<>|*?,;]*"),
    # absolute unix paths
    Mask("path", r"\B/[\w.\-+$@~]+(?:/[\w.\-+$@~]*)*"),
    Mask("hex", rf"\b0[xX]{_HEX}+\b"),
    # long hex strings (hashes, addresses, session ids); 8+ chars so words rarely match
    Mask("hexid", rf"\b{_HEX}{{8,}}\b"),
    # a size with its unit is one value ("16.0 B", "64KB")
    Mask("size", r"\b\d+(?:\.\d+)? ?(?:[KMGTP]i?B|B)\b"),
    # numbers with an optional duration/size suffix: 42, -3.5, 1.2.3, 10ms
    Mask("num", r"(?:\B[-+]|\b)\d+(?:\.\d+)*" + _UNITS + r"?\b"),
)


def combined_pattern(masks: tuple[Mask, ...]) -> str:
    """One leftmost-first alternation of all masks (group-free: the DFA-only fast path)."""
    return "|".join(f"(?:{m.pattern})" for m in masks)
