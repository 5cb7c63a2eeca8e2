"""The one timestamp finder/parser (``ingest/timestamps.py``): layouts, zones, epochs, years."""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from logpilot_kernel.ingest.timestamps import find_layouts, layouts, parse_text_sql

T = dt.datetime
REF = T(2024, 6, 1, 12, 0)

#: (line, expected UTC time) - the time anywhere in the first 64 characters.
CASES: list[tuple[str, T]] = [
    ("2024-03-05T10:22:13.123456Z started", T(2024, 3, 5, 10, 22, 13, 123456)),
    ("2024-03-05T10:22:13,123+01:00 started", T(2024, 3, 5, 9, 22, 13, 123000)),
    ("2024-03-05T10:22:13-0500 started", T(2024, 3, 5, 15, 22, 13)),
    ("2024-03-05T10:22Z minute precision", T(2024, 3, 5, 10, 22)),
    ("2024-03-05 10:22:13.123456789 nanoseconds", T(2024, 3, 5, 10, 22, 13, 123456)),
    ("2024-03-05 10:22:13,123 comma fraction", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("2024-03-05 10:22:13:123 colon fraction", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("2024-03-05 10:22:13 CET zone name", T(2024, 3, 5, 9, 22, 13)),
    ("2024-03-05-10.22.13.123456 dotted", T(2024, 3, 5, 10, 22, 13, 123456)),
    ("2024/03/05 10:22:13.5 slashes", T(2024, 3, 5, 10, 22, 13, 500000)),
    ("2024/03/05 10:22:13 slashes", T(2024, 3, 5, 10, 22, 13)),
    ("2024.03.05 10:22:13 dots", T(2024, 3, 5, 10, 22, 13)),
    ("20240305T102213Z compact", T(2024, 3, 5, 10, 22, 13)),
    ("20240305 10:22:13 compact date", T(2024, 3, 5, 10, 22, 13)),
    ("20240305 102213 compact both", T(2024, 3, 5, 10, 22, 13)),
    ("20240305102213 fourteen digits", T(2024, 3, 5, 10, 22, 13)),
    ("20240305-1:2:3:456 one-digit clock", T(2024, 3, 5, 1, 2, 3, 456000)),
    ("240305 102213 1431 INFO two-digit year, no separators", T(2024, 3, 5, 10, 22, 13)),
    ("240305 10:22:13 [Note] two-digit year", T(2024, 3, 5, 10, 22, 13)),
    ("24/03/05 10:22:13 INFO yy/mm/dd", T(2024, 3, 5, 10, 22, 13)),
    ("24-03-05 10:22:13 yy-mm-dd", T(2024, 3, 5, 10, 22, 13)),
    ("3/25/2024 10:22:13 PM month first", T(2024, 3, 25, 22, 22, 13)),
    ("25/03/2024 10:22:13 day first", T(2024, 3, 25, 10, 22, 13)),
    ("25.03.2024 10:22:13 dotted day first", T(2024, 3, 25, 10, 22, 13)),
    ("05-Mar-2024 10:22:13.123 day-month-year", T(2024, 3, 5, 10, 22, 13, 123000)),
    ('1.2.3.4 - - [05/Mar/2024:10:22:13 +0100] "GET / HTTP/1.1" 200', T(2024, 3, 5, 9, 22, 13)),
    ("[Tue Mar 05 10:22:13.123456 2024] [error] ctime", T(2024, 3, 5, 10, 22, 13, 123456)),
    ("Tue, 05 Mar 2024 10:22:13 GMT rfc1123", T(2024, 3, 5, 10, 22, 13)),
    ("Mar 05, 2024 10:22:13 PM java.util.logging", T(2024, 3, 5, 22, 22, 13)),
    ("Mar  5 2024 10:22:13 with year", T(2024, 3, 5, 10, 22, 13)),
    ("05 Mar 2024 10:22:13.123 day month year", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("<34>Mar  5 10:22:13 host su: rfc3164", T(2024, 3, 5, 10, 22, 13)),
    ("1:M 05 Mar 10:22:13.123 * year-less day month", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("I0305 10:22:13.123456 1 x.go:1] glued letter", T(2024, 3, 5, 10, 22, 13, 123456)),
    ("03-05 10:22:13.123  12  13 I Tag: month-day", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("03/05/2024-10:22:13.123456  [**] month first, dash before the clock", T(2024, 3, 5, 10, 22, 13, 123456)),
    ("Mar-05 10:22:13.123 [main] year-less month-dash-day", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("1709634133 epoch seconds", T(2024, 3, 5, 10, 22, 13)),
    ("1709634133.25 epoch seconds with fraction", T(2024, 3, 5, 10, 22, 13, 250000)),
    ("1709634133123 epoch milliseconds", T(2024, 3, 5, 10, 22, 13, 123000)),
    ("1709634133123456 epoch microseconds", T(2024, 3, 5, 10, 22, 13, 123456)),
]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _parse(con, formats: list[str], text: str, ref: T) -> T:
    return con.execute(f"SELECT {parse_text_sql(formats, 't', ref)} FROM (SELECT ?::VARCHAR AS t)",
                       [text]).fetchone()[0]


def test_the_table_has_at_least_30_layouts() -> None:
    assert len(layouts()) >= 30
    assert len({lay.name for lay in layouts()}) == len(layouts())


@pytest.mark.parametrize("line,want", CASES, ids=[c[0][:32] for c in CASES])
def test_finder_locates_and_parses(con, line: str, want: T) -> None:
    hits = find_layouts(con, [line], ref=REF)
    assert hits, f"no layout found in {line!r}"
    best = hits[0]
    got = _parse(con, best.formats, best.texts[0], REF)
    assert got == want, (best.layout.name, best.texts[0])


def test_day_first_or_month_first_is_decided_by_the_sample(con) -> None:
    hits = find_layouts(con, ["05/03/2024 10:22:13 a", "25/03/2024 10:22:13 b"], ref=REF)
    assert hits[0].layout.name == "day_first_slash" and hits[0].parsed == 2
    hits = find_layouts(con, ["03/05/2024 10:22:13 a", "03/25/2024 10:22:13 b"], ref=REF)
    assert hits[0].layout.name == "month_first_slash" and hits[0].parsed == 2


def test_epoch_numbers_outside_2000_2100_are_not_times(con) -> None:
    assert find_layouts(con, ["9999999999 bytes copied", "0123456789 id"], ref=REF) == []


def test_a_date_beside_an_epoch_number_wins(con) -> None:
    line = "- 1117838570 2005.06.03 R02 2005-06-03-15.42.50.675872 R02 RAS KERNEL INFO x"
    hits = find_layouts(con, [line], ref=REF)
    assert hits[0].layout.name == "ymd_dash_dotted_time" and hits[0].position > 0


def test_time_beyond_64_characters_is_not_searched(con) -> None:
    assert find_layouts(con, ["x" * 80 + " 2024-03-05 10:22:13"], ref=REF) == []


def test_year_less_times_take_the_year_of_ref_or_the_one_before(con) -> None:
    ref = T(2024, 1, 1, 0, 10)
    assert _parse(con, ["%b %d %H:%M:%S"], "Dec 31 23:59:00", ref) == T(2023, 12, 31, 23, 59)
    assert _parse(con, ["%b %d %H:%M:%S"], "Jan  1 00:05:00", ref) == T(2024, 1, 1, 0, 5)
