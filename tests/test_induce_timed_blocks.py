"""Blocks whose first line is a title without a time and whose time is on a later line
of the block (issue 13), on an invented sample: one record per block, the time from the
block's third line (month/day, no year: the year from the file's mtime), the whole block
(less the blank lines between blocks) the message."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from logpilot_kernel.ingest.registry.induce_blocks import timed_block
from logpilot_kernel.ingest.timestamps import find_layouts
from tests.ingest_lines import ingest_lines

T = dt.datetime
#: (title, kind line, time text, detail lines)
BLOCKS = [
    ("== <7:120:3> quota nearly full on vol-9 ==", "{Kind: storage} {Rank: 4}", "11/28-23:41:07.250", ["used 91% of 2T", "owner: team-b"]),
    ("== <7:121:1> login storm from lab net ==", "{Kind: access} {Rank: 2}", "11/28-23:58:59.004", ["41 attempts in 60s"]),
    ("== <7:120:3> quota nearly full on vol-2 ==", "{Kind: storage} {Rank: 4}", "11/29-00:00:12.777", ["used 93% of 4T", "owner: team-c", "trend: rising"]),
    ("== <7:300:9> backup window missed ==", "{Kind: jobs} {Rank: 3}", "11/29-00:17:45.100", ["job nightly-3 not started"]),
    ("== <7:121:1> login storm from guest net ==", "{Kind: access} {Rank: 2}", "11/29-01:02:03.456", ["12 attempts in 60s"]),
]


def _lines() -> list[str]:
    out: list[str] = []
    for title, kind, ts, rest in BLOCKS:
        out += [title, kind, f"{ts} node-3 -> vol-9", *rest, ""]
    return out


def test_title_line_then_time_on_the_third_line(tmp_path: Path) -> None:
    rows = ingest_lines(tmp_path, "alerts.log", _lines(), "origin_offset, timestamp, message",
                        mtime=T(2025, 11, 29, 12, 0).timestamp())
    assert len(rows) == len(BLOCKS)
    for (line, ts, msg), (title, kind, tt, rest) in zip(rows, BLOCKS):
        assert ts == T.strptime("2025/" + tt, "%Y/%m/%d-%H:%M:%S.%f")
        assert msg == "\n".join([title, kind, f"{tt} node-3 -> vol-9", *rest])
    assert [r[0] for r in rows][:2] == [1, 7]


def test_not_a_timed_block_when_the_first_line_has_the_time() -> None:
    # a header line with the time, then body lines: the header+body shape, not this one
    lines = []
    for _, kind, ts, rest in BLOCKS:
        lines += [f"{ts} node-3", kind, *rest]
    hits = find_layouts(duckdb.connect(), lines, ref=T(2025, 11, 29))
    assert hits and timed_block(hits, lines) is None
    # and a title token that also starts a line inside a block is no block start
    lines = [ln if not ln.startswith("{") else "== " + ln for ln in _lines() if ln]
    hits = find_layouts(duckdb.connect(), lines, ref=T(2025, 11, 29))
    assert timed_block(hits, lines) is None
