"""UTC offsets written in minutes, a date after the time, and TAI64N labels (issue 13).

Invented lines (no fixture is copied). Each is found by the one finder and parsed to UTC
by the one parser; the sign convention of a minutes offset is data (``zone_notations`` in
``ingest/timestamps.json``), so the same digits read as an offset east of UTC in one
layout and as a bias (minutes added to the local time to get UTC) in another.
"""

from __future__ import annotations

import datetime as dt

import duckdb
import pytest

from logpilot_kernel.ingest import timestamps_notations as notes
from logpilot_kernel.ingest.timestamps import find_layouts, parse_text_sql

T = dt.datetime
REF = T(2025, 6, 30, 12, 0)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _first(con, line: str) -> tuple[str, T | None]:
    """(layout name, UTC time) of the finder's best reading of ``line``."""
    hits = find_layouts(con, [line], ref=REF)
    assert hits, line
    got = con.execute(f"SELECT {parse_text_sql(hits[0].formats, 't', REF)} FROM (SELECT ?::VARCHAR AS t)",
                      [hits[0].texts[0]]).fetchone()[0]
    return hits[0].layout.name, got


@pytest.mark.parametrize("line,want", [
    # date-time joined by '-', dotted clock, microseconds, then signed minutes east of UTC
    ("2024-11-02-23.40.05.250000-300 I88112E410 LEVEL: Severe", T(2024, 11, 3, 4, 40, 5, 250000)),
    ("2024-11-02-06.00.00.000001+060 I10A200 LEVEL: Event", T(2024, 11, 2, 5, 0, 0, 1)),
    ("2024-11-02-06.00.00.500000+000 I1A1 LEVEL: Info", T(2024, 11, 2, 6, 0, 0, 500000)),
    ("2024-11-02-06.00.00.500000+330 I1A1 LEVEL: Info", T(2024, 11, 2, 0, 30, 0, 500000)),
])
def test_minutes_offset_after_the_fraction(con, line: str, want: T) -> None:
    name, got = _first(con, line)
    assert name == "ymd_dash_dotted_time_minutes_zone"
    assert got == want


def test_an_impossible_minutes_offset_is_rejected_not_shifted(con) -> None:
    """+999 minutes is past any zone: no time rather than a time 16 hours off."""
    hits = find_layouts(con, ["2024-11-02-06.00.00.500000+999 I1A1 LEVEL: Info"], ref=REF)
    best = hits[0]
    got = con.execute(f"SELECT {parse_text_sql(best.formats, 't', REF)} FROM (SELECT ?::VARCHAR AS t)",
                      [best.texts[0]]).fetchone()[0]
    assert best.layout.name != "ymd_dash_dotted_time_minutes_zone" or got is None


@pytest.mark.parametrize("line,want", [
    # the message first, then a time with a bias and the date in attributes past column 64
    ('<~[TXT[Download of bundle 7f finished after retry; cache warmed]TXT]~><time="23:59:58.900+300" '
     'date="12-31-2024" part="Fetcher" kind="1" tid="9">', T(2025, 1, 1, 4, 59, 58, 900000)),
    ('<~[TXT[x]TXT]~><time="07:15:00.000-120" date="02-29-2024" part="A" kind="3">', T(2024, 2, 29, 5, 15)),
    ('<~[TXT[y]TXT]~><time="7:05:09.5+000" date="3-9-2024" part="A">', T(2024, 3, 9, 7, 5, 9, 500000)),
])
def test_bias_time_then_date_attribute_anywhere_in_the_line(con, line: str, want: T) -> None:
    name, got = _first(con, line)
    assert name == "clock_bias_then_date_attribute"
    assert got == want


def test_the_two_minutes_notations_are_opposite_signs() -> None:
    table = notes.zone_notations()
    assert table["%{offset_minutes}"] == 1 and table["%{bias_minutes}"] == -1


def _tai(unix_s: int, nanos: int) -> str:
    return "@" + format((1 << 62) + unix_s + notes.TAI_LABEL_OFFSET_S, "016x") + format(nanos, "08x")


@pytest.mark.parametrize("unix_s,nanos", [(1_700_000_000, 0), (1_700_000_001, 999_999_999),
                                          (1_583_020_800, 123_456_000)])
def test_tai64n_label_reads_as_utc_less_ten_seconds(con, unix_s: int, nanos: int) -> None:
    """A label is 2^62 + the writer's Unix clock + 10 s: UTC is that less 10 s, no leap table."""
    name, got = _first(con, f"{_tai(unix_s, nanos)} delivery 4411: success: accepted")
    assert name == "tai64n_label"
    want = dt.datetime.fromtimestamp(unix_s, dt.timezone.utc).replace(tzinfo=None) \
        + dt.timedelta(microseconds=nanos // 1000)
    assert got == want


def test_tai64n_label_out_of_range_or_bad_nanos_is_no_time(con) -> None:
    too_old = _tai(100, 0)  # 1970: outside the accepted epoch range
    bad_ns = _tai(1_700_000_000, 1_500_000_000)  # nanoseconds past one second
    for label in (too_old, bad_ns):
        got = con.execute(f"SELECT {parse_text_sql(['tai64n'], 't', REF)} FROM (SELECT ?::VARCHAR AS t)",
                          [label]).fetchone()[0]
        assert got is None, label
