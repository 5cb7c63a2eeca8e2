"""Zone names, 12-hour clocks and the other ways of writing a time added for issue 13.

Invented lines (no fixture is copied): each is found by the one finder and parsed to UTC
by the one parser, and the zone table is data (``ingest/timezones.json``).
"""

from __future__ import annotations

import datetime as dt
import json
from importlib import resources

import duckdb
import pytest

from logpilot_kernel.ingest import timestamps as ts
from logpilot_kernel.ingest.timestamps import TZ_ABBREV_MINUTES, find_layouts, parse_text_sql

T = dt.datetime
REF = T(2025, 6, 30, 12, 0)


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    yield c
    c.close()


def _first(con, line: str, ref: T = REF) -> T | None:
    """The UTC time the finder's best layout reads in ``line``."""
    hits = find_layouts(con, [line], ref=ref)
    assert hits, line
    return con.execute(f"SELECT {parse_text_sql(hits[0].formats, 't', ref)} FROM (SELECT ?::VARCHAR AS t)",
                       [hits[0].texts[0]]).fetchone()[0]


@pytest.mark.parametrize("line,want", [
    # zone names after the time
    ("2025-01-20 07:15:00 UTC worker up", T(2025, 1, 20, 7, 15)),
    ("2025-01-20 07:15:00 GMT worker up", T(2025, 1, 20, 7, 15)),
    ("2025-01-20 07:15:00 CEST worker up", T(2025, 1, 20, 5, 15)),
    ("2025-01-20 07:15:00 EDT worker up", T(2025, 1, 20, 11, 15)),
    ("2025-01-20 07:15:00 PST worker up", T(2025, 1, 20, 15, 15)),
    ("2025-01-20 07:15:00 PDT worker up", T(2025, 1, 20, 14, 15)),
    ("2025-01-20 07:15:00 JST worker up", T(2025, 1, 19, 22, 15)),
    ("2025-01-20 07:15:00 IST worker up", T(2025, 1, 20, 1, 45)),
    # half-hour offsets, glued or spaced
    ("[2025-01-20 02:10:00.250 +0530] INFO (svc/12 on box): ready", T(2025, 1, 19, 20, 40, 0, 250000)),
    ("2025-01-20 10:00:00.000 -09:30 ready", T(2025, 1, 20, 19, 30)),
    # a 12-hour clock with the zone after AM/PM; month name, comma before the year and the ms
    ("<<Jan 20, 2025 12:00:01,007 AM CET>> <Notice> midnight", T(2025, 1, 19, 23, 0, 1, 7000)),
    ("<<Jan 20, 2025 12:00:01,007 PM CET>> <Notice> noon", T(2025, 1, 20, 11, 0, 1, 7000)),
    ("<<Jan 20, 2025 1:30:00,500 PM UTC>> <Notice> afternoon", T(2025, 1, 20, 13, 30, 0, 500000)),
    ("01/20/2025 12:45:00 AM - job(7) queued", T(2025, 1, 20, 0, 45)),
    ("01/20/2025 12:45:00 PM - job(7) queued", T(2025, 1, 20, 12, 45)),
    # month first, two-digit year, one-digit month and hour, a colon before the ms, a zone
    ("[1/9/25 7:05:09:031 EST] 0000002a Svc  I  started", T(2025, 1, 9, 12, 5, 9, 31000)),
    ("[12/31/24 21:30:00:999 PST] 0000002a Svc  W  late", T(2025, 1, 1, 5, 30, 0, 999000)),
    # a comma and a space between the date and the time, then a zone name
    ("[2025-01-20, 23:59:59 UTC] {runner.py:12} INFO - tick", T(2025, 1, 20, 23, 59, 59)),
    ("[2025-01-20, 08:00:00 CET] {runner.py:12} INFO - tick", T(2025, 1, 20, 7, 0)),
    # yyyymmdd:hhmmss.mmm glued after a pid and a colon
    ("  4242:20250120:071500.042 poller #3 started", T(2025, 1, 20, 7, 15, 0, 42000)),
    ("4242123:20250120:071500.042 seven-digit pid", T(2025, 1, 20, 7, 15, 0, 42000)),
])
def test_layouts_added_for_unknown_formats(con, line: str, want: T) -> None:
    assert _first(con, line) == want


def test_the_zone_table_is_data_and_every_offset_is_a_real_one() -> None:
    """Zones are a line of JSON each; the loaded table is that file, every offset within
    -12:00..+14:00, and every ambiguous abbreviation says which reading it takes."""
    text = resources.files(ts.__package__).joinpath(ts.ZONE_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    assert TZ_ABBREV_MINUTES == {k: int(v) for k, v in data["zones"].items()}
    assert all(-12 * 60 <= v <= 14 * 60 for v in TZ_ABBREV_MINUTES.values())
    for abbrev, why in data["ambiguous"].items():
        assert abbrev in TZ_ABBREV_MINUTES and why, abbrev
    assert {"UTC", "GMT", "CET", "CEST", "EST", "EDT", "PST", "PDT", "IST"} <= set(TZ_ABBREV_MINUTES)


def test_a_word_that_is_no_zone_is_not_read_as_one(con) -> None:
    """Only listed abbreviations shift a time: a level word after the time is text."""
    assert _first(con, "2025-01-20 07:15:00 WARN disk low") == T(2025, 1, 20, 7, 15)
    assert _first(con, "2025-01-20 07:15:00 INFO ok") == T(2025, 1, 20, 7, 15)


def test_the_time_in_a_record_s_first_line_beats_one_in_its_indented_details(con) -> None:
    """Entries whose indented detail lines repeat the time in another layout (as many
    times as there are entries): the layout of the lines at the margin is the record's."""
    lines = []
    for k in range(3):
        lines += [f"01/2{k}/2025 09:00:0{k} PM - Job({k}) Owner(ops)",
                  f"        Stamp(2025-01-2{k}T21:00:0{k}.125Z) Slot({k})",
                  "        Note(nothing)"]
    hits = find_layouts(con, lines, ref=REF)
    assert hits[0].layout.name == "month_first_slash", hits[0].layout.name
    assert hits[0].position == 0


@pytest.mark.parametrize("tod,ref,want", [
    ("08:00:00.500", T(2025, 1, 20, 23, 59, 59), T(2025, 1, 20, 8, 0, 0, 500000)),  # morning, mtime at night
    ("23:59:58", T(2025, 1, 21, 0, 5), T(2025, 1, 20, 23, 59, 58)),  # just before a midnight mtime
    ("00:01:00", T(2025, 1, 21, 0, 5), T(2025, 1, 21, 0, 1)),
    ("13:00:00", T(2025, 1, 21, 1, 0), T(2025, 1, 21, 13, 0)),  # a writer up to 14 h ahead of UTC
    ("16:00:00", T(2025, 1, 21, 1, 0), T(2025, 1, 20, 16, 0)),
])
def test_a_time_of_day_alone_takes_the_mtime_s_day_unless_it_is_after_it(con, tod: str, ref: T, want: T) -> None:
    fmts = ["%H:%M:%S", "%H:%M:%S.%f"]
    got = con.execute(f"SELECT {parse_text_sql(fmts, 't', ref)} FROM (SELECT ?::VARCHAR AS t)", [tod]).fetchone()[0]
    assert got == want
