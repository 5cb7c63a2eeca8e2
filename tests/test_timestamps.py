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


# --- epoch magnitudes, impossible offsets, time of day only ----------------------------

@pytest.mark.parametrize("text,want", [
    ("1709634133", T(2024, 3, 5, 10, 22, 13)),                      # 10 digits: seconds
    ("1709634133.5", T(2024, 3, 5, 10, 22, 13, 500000)),            # seconds with a fraction
    ("1709634133123", T(2024, 3, 5, 10, 22, 13, 123000)),           # 13: milliseconds
    ("1709634133123.25", T(2024, 3, 5, 10, 22, 13, 123250)),        # ms with a fraction
    ("1709634133123456", T(2024, 3, 5, 10, 22, 13, 123456)),        # 16: microseconds
    ("1709634133123456789", T(2024, 3, 5, 10, 22, 13, 123456)),     # 19: nanoseconds
    ("253402300800", None),     # 12 digits: neither seconds nor ms (would be 1978 as ms)
    ("17096341331", None),      # 11 digits
    ("170963413312", None),     # 12 digits
    ("9999999999", None),       # 10 digits but after 2100
    ("0946684799", None),       # before 2000
    ("1709634133123456.5", None),  # no fraction on microseconds
])
def test_epoch_unit_comes_from_the_number_of_digits(con, text: str, want: T | None) -> None:
    assert _parse(con, ["epoch", "epoch_ms", "epoch_us", "epoch_ns"], text, REF) == want


def test_the_finder_reads_nanosecond_epochs_and_not_12_digit_numbers(con) -> None:
    hits = find_layouts(con, ["1709634133123456789 started"], ref=REF)
    assert hits and hits[0].layout.name == "epoch_ns"
    assert find_layouts(con, ["253402300800 rows copied"], ref=REF) == []


@pytest.mark.parametrize("zone", ["+99:99", "+15:00", "-24:00", "+01:60", "+9999"])
def test_an_impossible_utc_offset_rejects_the_time(con, zone: str) -> None:
    assert _parse(con, ["%Y-%m-%dT%H:%M:%S"], f"2024-03-05T10:22:13{zone}", REF) is None


@pytest.mark.parametrize("zone,want", [("+14:00", T(2024, 3, 4, 20, 22, 13)), ("-12:00", T(2024, 3, 5, 22, 22, 13)),
                                       ("+05:45", T(2024, 3, 5, 4, 37, 13))])
def test_the_widest_real_offsets_still_apply(con, zone: str, want: T) -> None:
    assert _parse(con, ["%Y-%m-%dT%H:%M:%S"], f"2024-03-05T10:22:13{zone}", REF) == want


def test_a_line_with_an_impossible_offset_keeps_an_inherited_time_and_says_why() -> None:
    """Never lose a line: the row stays, with the previous record's time, ts_source
    'inherited' and the reason its own time was rejected."""
    from logpilot_kernel.ingest.registry import Registry, Rule

    rule = Rule(name="offsets", pattern=r"^(?P<timestamp>\S+) (?P<message>.*)$",
                timestamp_formats=["%Y-%m-%dT%H:%M:%S", "epoch", "epoch_ms"])
    res = Registry().test(rule, ["2024-03-05T10:00:00+01:00 first", "2024-03-05T10:05:00+99:99 second",
                                 "253402300800 third"]).results
    assert [r.fields["timestamp"] for r in res] == [T(2024, 3, 5, 9)] * 3
    ctx = [r.fields["context"] for r in res]
    assert ctx[0]["ts_source"] == "line"
    assert ctx[1]["ts_source"] == "inherited" and "+99:99" in ctx[1]["ts_rejected"]
    assert ctx[2]["ts_source"] == "inherited" and "out of range" in ctx[2]["ts_rejected"]


def test_a_time_of_day_alone_is_found_only_when_no_date_is(con) -> None:
    hits = find_layouts(con, ["[10:22:13] [main/INFO]: up", "[10:22:14] [main/WARN]: slow"], ref=REF)
    assert hits[0].layout.name == "clock_only"
    dated = ["2024-03-05 10:22:13 retry at 11:00:00", "2024-03-05 10:22:14 ok", "  next run 12:00:00"]
    assert find_layouts(con, dated, ref=REF)[0].layout.name == "iso_space"


def test_a_time_of_day_alone_takes_the_day_of_ref_unless_after_it(con) -> None:
    ref = T(2025, 1, 15, 0, 5)
    assert _parse(con, ["%H:%M:%S"], "23:59:58", ref) == T(2025, 1, 14, 23, 59, 58)
    assert _parse(con, ["%H:%M:%S"], "00:01:00", ref) == T(2025, 1, 15, 0, 1)
    assert _parse(con, ["%H:%M:%S.%f"], "09:00:00.250", T(2025, 1, 15, 18)) == T(2025, 1, 15, 9, 0, 0, 250000)


@pytest.mark.parametrize("line,want", [
    ("I250114 08:00:00.031884 1 x.go:1] glued letter, yymmdd", T(2025, 1, 14, 8, 0, 0, 31884)),
    ("=INFO EVENT==== 14-Jan-2025::08:00:00.500 ===", T(2025, 1, 14, 8, 0, 0, 500000)),
    ("20,01/14/25,08:00:01,Door opened", T(2025, 1, 14, 8, 0, 1)),
    ("7,2025-01-14,08:00:01,csv date and time", T(2025, 1, 14, 8, 0, 1)),
])
def test_more_layouts(con, line: str, want: T) -> None:
    hits = find_layouts(con, [line], ref=T(2025, 6, 1))
    assert hits, line
    assert _parse(con, hits[0].formats, hits[0].texts[0], T(2025, 6, 1)) == want, hits[0].layout.name
