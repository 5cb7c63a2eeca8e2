"""Structural timestamp inference (``ingest/timestamps_infer.py``): layouts nobody wrote
down, inferred from digit groups, names, separators and value ranges over the sample.

Most cases run with the known-layout table switched off (``LOGPILOT_TS_STRUCTURAL_ONLY``),
so they show what the inference alone finds; the samples are invented, none is a
fixture of the benchmark."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from logpilot_kernel.ingest.timestamps import STRUCTURAL_ONLY_ENV, find_layouts, layouts, parse_text_sql

T = dt.datetime
REF = T(2024, 6, 1, 12, 0)


@pytest.fixture
def con():
    c = duckdb.connect()
    yield c
    c.close()


@pytest.fixture
def structural(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(STRUCTURAL_ONLY_ENV, "1")


def _read(con, lines: list[str]) -> list[T | None]:
    """Each line's UTC time under the best layout the finder returns."""
    hits = find_layouts(con, lines, ref=REF)
    assert hits, lines
    best = hits[0]
    out: list[T | None] = []
    for text in best.texts:
        if text is None:
            out.append(None)
            continue
        q = text.replace("'", "''")
        out.append(con.execute(f"SELECT {parse_text_sql(best.formats, f'{chr(39)}{q}{chr(39)}', REF)}").fetchone()[0])
    return out


#: (sample lines, expected times): two or three lines of one writer each.
CASES: list[tuple[list[str], list[T]]] = [
    (["2024-03-05T10:22:13.123456Z started", "2024-03-05T10:22:14.5Z next"],
     [T(2024, 3, 5, 10, 22, 13, 123456), T(2024, 3, 5, 10, 22, 14, 500000)]),
    (["[5 March 2024, 10:22:13] INFO up", "[12 March 2024, 09:00:00] WARN slow"],
     [T(2024, 3, 5, 10, 22, 13), T(2024, 3, 12, 9, 0)]),
    (["05.03.24 10:22:13 a", "06.03.24 07:00:00 b"], [T(2024, 3, 5, 10, 22, 13), T(2024, 3, 6, 7, 0)]),
    (["Tuesday, March 5, 2024 10:22:13 PM: a", "Tuesday, March 5, 2024 11:02:00 PM: b"],
     [T(2024, 3, 5, 22, 22, 13), T(2024, 3, 5, 23, 2)]),
    (["2024/03/05_10:22:13 a", "2024/03/05_10:22:14 b"], [T(2024, 3, 5, 10, 22, 13), T(2024, 3, 5, 10, 22, 14)]),
    (["2024-03-05 10:22 | a", "2024-03-05 10:23 | b"], [T(2024, 3, 5, 10, 22), T(2024, 3, 5, 10, 23)]),
    (["pid 12|2024-03-05 10:22:13 +0200|a", "pid 12|2024-03-05 10:22:15 +0200|b"],
     [T(2024, 3, 5, 8, 22, 13), T(2024, 3, 5, 8, 22, 15)]),
    (["W0305 10:22:13.5 77 x.c:1] a", "E0305 10:22:14.25 77 x.c:2] b"],
     [T(2024, 3, 5, 10, 22, 13, 500000), T(2024, 3, 5, 10, 22, 14, 250000)]),
    (["20240305.102213 job a", "20240305.102301 job b"], [T(2024, 3, 5, 10, 22, 13), T(2024, 3, 5, 10, 23, 1)]),
    ([" 77:20240305:102213.250 job a", " 77:20240305:102301.5 job b"],
     [T(2024, 3, 5, 10, 22, 13, 250000), T(2024, 3, 5, 10, 23, 1, 500000)]),
    (["Mar  5 10:22:13 host a", "Mar 15 10:22:13 host b"], [T(2024, 3, 5, 10, 22, 13), T(2024, 3, 15, 10, 22, 13)]),
    (["Tue Mar  5 10:22:13 UTC 2024 a", "Tue Mar  5 10:22:19 UTC 2024 b"],
     [T(2024, 3, 5, 10, 22, 13), T(2024, 3, 5, 10, 22, 19)]),
    (["[1709634133.250] a", "[1709634134.5] b"], [T(2024, 3, 5, 10, 22, 13, 250000), T(2024, 3, 5, 10, 22, 14, 500000)]),
    (["1709634133123 a", "1709634134999 b"], [T(2024, 3, 5, 10, 22, 13, 123000), T(2024, 3, 5, 10, 22, 14, 999000)]),
    (["<11> 3/5/2024 1:02:03 AM a", "<11> 3/5/2024 11:02:03 PM b"], [T(2024, 3, 5, 1, 2, 3), T(2024, 3, 5, 23, 2, 3)]),
]


@pytest.mark.parametrize("lines,want", CASES, ids=[c[0][0][:28] for c in CASES])
def test_the_inference_alone_reads_layouts_it_was_never_told(con, structural, lines, want) -> None:
    assert _read(con, lines) == want


def test_the_inferred_layout_is_a_concrete_layout_like_the_table(con, structural) -> None:
    hit = find_layouts(con, ["[5 March 2024, 10:22:13] INFO up", "[6 March 2024, 10:22:14] INFO up"], ref=REF)[0]
    assert hit.layout.name.startswith("inferred:")
    assert hit.formats == ["%d %B %Y, %H:%M:%S"]
    assert hit.position == 1 and hit.parsed == 2


def test_day_first_or_month_first_is_decided_by_the_order_of_the_lines(con, structural) -> None:
    """Every date reads both ways (day and month <= 12); the reading whose times run on
    in small steps wins (day by day), not the one that jumps a month a line."""
    day_first = ["03/05/2024 23:59:00 a", "04/05/2024 00:01:00 b", "05/05/2024 00:03:00 c", "06/05/2024 00:04:00 d"]
    month_first = ["05/03/2024 23:59:00 a", "05/04/2024 00:01:00 b", "05/05/2024 00:03:00 c", "05/06/2024 00:04:00 d"]
    want = [T(2024, 5, 3, 23, 59), T(2024, 5, 4, 0, 1), T(2024, 5, 5, 0, 3), T(2024, 5, 6, 0, 4)]
    assert _read(con, day_first) == want
    assert _read(con, month_first) == want


def test_a_value_out_of_range_decides_the_order_too(con, structural) -> None:
    assert _read(con, ["25/03/2024 10:00:00 a", "26/03/2024 10:00:00 b"]) == [T(2024, 3, 25, 10), T(2024, 3, 26, 10)]


def test_a_counter_of_epoch_size_is_not_a_time(con, structural) -> None:
    counter = [f"{1700000001 + i} job {i}" for i in range(8)]
    assert find_layouts(con, counter, ref=REF) == []
    ticks = [f"{1700000001 + 61 * i + i * i} job {i}" for i in range(8)]
    assert find_layouts(con, ticks, ref=REF)[0].formats == ["epoch"]


def test_numbers_out_of_range_are_not_a_time(con, structural) -> None:
    assert find_layouts(con, ["47:61:99 units moved", "13:75:88 units moved"], ref=REF) == []
    assert find_layouts(con, ["9999999999 bytes", "9999999998 bytes"], ref=REF) == []  # past 2100


def test_a_known_layout_stays_first(con) -> None:
    """With the table on, a line the table reads is read by the table's layout."""
    hits = find_layouts(con, ["2024-03-05 10:22:13,123 INFO a", "2024-03-05 10:22:14,123 INFO b"], ref=REF)
    assert hits[0].layout.name in {lay.name for lay in layouts()}


def test_the_inference_is_the_fallback_when_the_table_reads_nothing(con) -> None:
    lines = ["[5 March 2024, 10:22:13] INFO up", "[6 March 2024, 10:22:14] INFO up"]
    hit = find_layouts(con, lines, ref=REF)[0]
    assert hit.layout.name.startswith("inferred:")


def test_a_date_around_a_known_clock_is_inferred(con) -> None:
    """The table's clock-only layout reads the time; the inferred layout reads the date
    around it too, and wins (same lines, longer text)."""
    lines = ["[2/27/24 18:40:11:204 EST] 0001 Mgr A start", "[2/27/24 18:40:14:662 EST] 0001 Mgr A ready"]
    assert _read(con, lines) == [T(2024, 2, 27, 23, 40, 11, 204000), T(2024, 2, 27, 23, 40, 14, 662000)]
