"""Classes of format the eighth blind set showed missing (issue 13), on invented samples:

* a date and time written as one run of ten digits (month, day, hour, minute, two-digit
  year) in a column of a report printed newest first, under a column heading whose
  names say where the header fields end and the free text starts;
* times of day only, dated by a ``Mon DD HH:MM:SS YYYY`` line at the top, with nested
  detail lines indented past the one separator width every other line uses;
* records that are blocks in braces, after a preamble, the record's time on the line
  below the opening one and more times further in;
* header fields left at the start of every message: a bracketed source after bracketed
  header fields, an id glued to the text by ``)``, a name before the ``' - '`` the header
  uses, an identifier and ``: `` after such a field;
* a syslog priority in parentheses after a short name as the level;
* ``name| text``: the blank after the delimiter is not the message's.

Each test writes a small file, ingests it through the real ``ingest`` and checks rows =
records, the time, the level and the message.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from logpilot_kernel.ingest.timestamps_infer import order_score
from tests.ingest_lines import ingest_lines

T = dt.datetime


def _rows(tmp_path: Path, name: str, lines: list[str], mtime: T | None = None) -> list[tuple]:
    return ingest_lines(tmp_path, f"{name}.log", lines, "origin_offset, timestamp, severity, message",
                        mtime=mtime.replace(tzinfo=dt.timezone.utc).timestamp() if mtime else None)


def test_compact_ten_digit_time_newest_first_under_a_column_heading(tmp_path: Path) -> None:
    recs = [  # newest first, as the report prints them
        ("7F00AA01", T(2025, 11, 30, 22, 15), "X", "tape3", "DRIVE NEEDS CLEANING"),
        ("11C0BE42", T(2025, 11, 30, 9, 2), "Q", "net1", "Link flapped twice"),
        ("7F00AA01", T(2025, 11, 29, 23, 47), "X", "tape3", "DRIVE NEEDS CLEANING"),
        ("90DD0C13", T(2025, 11, 29, 4, 30), "R", "fan02", "SPEED BELOW LIMIT"),
        ("3A3A0077", T(2025, 11, 28, 18, 8), "Q", "node", "Reboot requested by operator"),
        ("11C0BE42", T(2025, 11, 27, 12, 59), "R", "net1", "Link flapped twice"),
    ]
    lines = [f"{'REF':<9}{'WHEN':<11}{'K':<2}{'UNIT':<8}TEXT"]
    lines += [f"{ref:<9}{t:%m%d%H%M%y} {k:<2}{unit:<8}{text}" for ref, t, k, unit, text in recs]
    rows = _rows(tmp_path, "report", lines)
    assert [r[0] for r in rows] == list(range(2, len(recs) + 2))  # the heading is no record
    assert [r[1] for r in rows] == [t for _, t, _, _, _ in recs]
    assert [r[3] for r in rows] == [text for *_, text in recs]


def test_order_score_takes_the_files_direction() -> None:
    ups = [T(2025, 1, 1, h) for h in range(0, 20, 2)]
    assert order_score(ups)[0] == 0
    assert order_score(list(reversed(ups)))[0] == 0  # newest first: no step against it
    zigzag = [T(2025, 1, 1, 0), T(2025, 3, 1), T(2025, 1, 2), T(2025, 4, 1), T(2025, 1, 3)]
    assert order_score(zigzag)[0] == 2


def test_times_of_day_dated_by_a_ctime_line_at_the_top(tmp_path: Path) -> None:
    lines = ["", "Sat Nov 29 21:40:03 2025", "",
             "21:40:05  engine ready",
             "21:40:07  pool sizes: 4 x 512",
             "21:41:10  worker panic",
             "21:41:10     in stage: merge",
             "21:41:10       slot 3 of 8",
             "21:55:00  checkpoint done"]
    rows = _rows(tmp_path, "engine", lines, mtime=T(2025, 12, 3, 8, 0))
    assert [r[0] for r in rows] == [4, 5, 6, 7, 8, 9]  # the date line is the file's header
    assert rows[0][1] == T(2025, 11, 29, 21, 40, 5)
    assert rows[-1][1] == T(2025, 11, 29, 21, 55)
    assert [r[3] for r in rows][2:5] == ["worker panic", "   in stage: merge", "     slot 3 of 8"]


def test_blocks_in_braces_after_a_preamble(tmp_path: Path) -> None:
    lines = ["# state file, rewritten on each change", "format-rev 4;", "owner \"agent-2\";", ""]
    starts, blocks = [], []
    for k, (a, b) in enumerate([("2025/11/28 07:00:10", "2025/11/28 09:00:10"),
                                ("2025/11/28 07:20:44", "2025/11/28 09:20:44"),
                                ("2025/11/28 08:02:31", "2025/11/28 10:02:31"),
                                ("2025/11/28 08:40:00", "2025/11/28 10:40:00")]):
        block = [f"slot s-{k} {{", f"  opened {a};", f"  closes {b};", "  holder node-%d;" % k]
        if k % 2:
            block.append(f"  seen {b};")
        block.append("}")
        starts.append(len(lines) + 1)
        blocks.append((T.strptime(a, "%Y/%m/%d %H:%M:%S"), "\n".join(block)))
        lines += block
    rows = _rows(tmp_path, "slots", lines)
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [t for t, _ in blocks]
    assert [r[3] for r in rows] == [m for _, m in blocks]


def test_header_fields_left_at_the_start_of_messages(tmp_path: Path) -> None:
    texts = ["queue opened", "peer 10.1.1.9 unreachable, retrying", "3 items flushed",
             "queue closed", "peer 10.1.1.9 back", "cache warmed in 120 ms"]
    # after a bracketed event id (missing on one line, where the columns take the source
    # for it), a bracketed source and an identifier with ': '
    src = [f"2025-11-28 10:00:{k:02d}.250 W [ev {7000 + k}] [q.c:{100 + k}:run] 2-q{k % 2}: {t}"
           for k, t in enumerate(texts)]
    src[3] = src[3].replace("[ev 7003] ", "")
    rows = _rows(tmp_path, "srcs", src)
    assert [r[3] for r in rows] == texts
    # an id glued to the text by ')' (blanks after it are the text's)
    glued = [f"2025-11-28T10:00:{k:02d}.5Z core: u{k}:{4400 + k}){t}" for k, t in enumerate(texts)]
    glued[2] = glued[2].replace(")3 items", ")  3 items")
    rows = _rows(tmp_path, "glued", glued)
    assert [r[3] for r in rows] == texts[:2] + ["  " + texts[2]] + texts[3:]
    # a name before the ' - ' the header already uses; later ' - ' are text
    dashed = [f"<28/Nov/2025:10:00:{k:02d} +0000> - WARN - mod{k % 3} - {t}" for k, t in enumerate(texts)]
    dashed[1] = dashed[1].replace("peer 10.1.1.9", "fn_x - peer 10.1.1.9")
    rows = _rows(tmp_path, "dashed", dashed)
    assert [r[3] for r in rows] == [texts[0], "fn_x - " + texts[1]] + texts[2:]
    assert {r[2] for r in rows} == {"WARN"}


def test_plain_words_before_a_colon_stay_in_the_message(tmp_path: Path) -> None:
    texts = ["Loader: module a up", "Pool: 4 workers", "Net: link up", "Disk: 91% used",
             "Loader: module b up", "Timer: tick"]
    lines = [f"2025-11-28T10:00:{k:02d}.5Z core: u{k}:{4400 + k}){t}" for k, t in enumerate(texts)]
    rows = _rows(tmp_path, "plain", lines)
    assert [r[3] for r in rows] == texts


def test_syslog_priority_in_parentheses_is_the_level(tmp_path: Path) -> None:
    recs = [("Ok(166)", "INFO"), ("Bd(163)", "ERROR"), ("Ok(166)", "INFO"), ("Hm(164)", "WARN"),
            ("Zz(167)", "DEBUG"), ("Ok(166)", "INFO"), ("Xx(161)", "FATAL")]
    lines = [f"2025-11-28T10:00:{k:02d}.120Z {tok} daemon: event {k} handled" for k, (tok, _) in enumerate(recs)]
    rows = _rows(tmp_path, "pri", lines)
    assert [r[2] for r in rows] == [lvl for _, lvl in recs]
    assert [r[3] for r in rows] == [f"event {k} handled" for k in range(len(recs))]


def test_the_blank_after_a_pipe_is_not_the_messages(tmp_path: Path) -> None:
    texts = ["starting pass 1", "pass 1 done", "starting pass 2", "pass 2 done", "all passes done"]
    lines = [f"2025/11/28 10:00:{k:02d} w{k % 2}| {t}" for k, t in enumerate(texts)]
    rows = _rows(tmp_path, "pipe", lines)
    assert [r[3] for r in rows] == texts


def test_trace_and_notice_initials_in_a_level_letter_column(tmp_path: Path) -> None:
    recs = [("I", "INFO"), ("W", "WARN"), ("I", "INFO"), ("T", "TRACE"), ("E", "ERROR"),
            ("N", "INFO"), ("I", "INFO"), ("T", "TRACE"), ("D", "DEBUG"), ("I", "INFO")]
    lines = [f"2025-11-28 10:00:{k:02d}.250 {c} [io.c:{10 + k}:poll] 1-io: step {k} of the poll loop"
             for k, (c, _) in enumerate(recs)]
    rows = _rows(tmp_path, "letters", lines)
    assert [r[2] for r in rows] == [lvl for _, lvl in recs]
    assert [r[3] for r in rows] == [f"step {k} of the poll loop" for k in range(len(recs))]


def test_a_category_tag_among_level_tags_stays_in_the_message(tmp_path: Path) -> None:
    texts = [("Error: ", "ERROR", "disk quota hit"), ("", None, "sync started"), ("Warning: ", "WARN", "slow peer"),
             ("", None, "sync done"), ("pool: ", None, "pool: 3 idle"), ("Error: ", "ERROR", "write failed"),
             ("", None, "retry scheduled"), ("Warning: ", "WARN", "late ack")]
    lines = [f"2025/11/28 10:00:{k:02d} w1| {tag}{t}" if not tag.startswith("pool") else
             f"2025/11/28 10:00:{k:02d} w1| {t}" for k, (tag, _, t) in enumerate(texts)]
    rows = _rows(tmp_path, "tags", lines)
    assert [r[3] for r in rows] == [t for *_, t in texts]
    assert [r[2] for r in rows if r[3] in ("disk quota hit", "slow peer")] == ["ERROR", "WARN"]
