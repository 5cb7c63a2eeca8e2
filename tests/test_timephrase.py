"""The one time-phrase reader: many phrasings, fixed ``now`` and data range, and numbers
that must not be read as times.

Clock: ``NOW`` is Wednesday 2024-07-03 12:00 UTC; the data covers 2024-06-28 00:00 ..
2024-07-03 11:59 (``DATA``). Expected windows are written out by hand from the rules in
the module docstring, not computed by the module.
"""

from __future__ import annotations

import datetime as dt

import pytest

from logpilot_kernel.query.timephrase import TimeSpan, blank_time, find_time, resolve_time

NOW = dt.datetime(2024, 7, 3, 12, 0)
DATA = (dt.datetime(2024, 6, 28, 0, 0), dt.datetime(2024, 7, 3, 11, 59))


def T(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s)


# question, expected start, expected end, kind
CASES = [
    # absolute dates in every common form
    ("errors on 2 July 2024", "2024-07-02", "2024-07-03", "day"),
    ("what failed July 2nd", "2024-07-02", "2024-07-03", "day"),
    ("logs from the 30th of June", None, None, None),  # "from X" alone: since (checked below)
    ("warnings on the 30th of June", "2024-06-30", "2024-07-01", "day"),
    ("errors on 2024-07-02", "2024-07-02", "2024-07-03", "day"),
    ("errors on 7/2", "2024-07-02", "2024-07-03", "day"),
    ("how many errors July 2", "2024-07-02", "2024-07-03", "day"),
    ("count of warnings on Jul 2", "2024-07-02", "2024-07-03", "day"),
    ("errors on 30 June 2024", "2024-06-30", "2024-07-01", "day"),
    ("errors on June 30, 2024", "2024-06-30", "2024-07-01", "day"),
    ("errors on the second of July", "2024-07-02", "2024-07-03", "day"),
    # intra-day ranges (no date: the latest such window in the data)
    ("errors between 13:00 and 16:00 UTC", "2024-07-02 13:00", "2024-07-02 16:00", "range"),
    ("errors from 1pm to 4pm", "2024-07-02 13:00", "2024-07-02 16:00", "range"),
    ("errors 14:00-15:00", "2024-07-02 14:00", "2024-07-02 15:00", "range"),
    ("errors in the 14:00 hour", "2024-07-02 14:00", "2024-07-02 15:00", "range"),
    ("errors before noon", "2024-07-03 00:00", "2024-07-03 12:00", "range"),
    ("errors after 18:00", "2024-07-02 18:00", "2024-07-03 00:00", "range"),
    ("errors between 1 and 4pm", "2024-07-02 13:00", "2024-07-02 16:00", "range"),
    # parts of day
    ("errors in the early hours", "2024-07-03 00:00", "2024-07-03 06:00", "part_of_day"),
    ("errors in the morning", "2024-07-03 06:00", "2024-07-03 12:00", "part_of_day"),
    ("errors in the afternoon", "2024-07-02 12:00", "2024-07-02 18:00", "part_of_day"),
    ("errors in the evening", "2024-07-02 18:00", "2024-07-03 00:00", "part_of_day"),
    ("errors at night", "2024-07-02 22:00", "2024-07-03 06:00", "part_of_day"),
    # around / at
    ("what happened around 14:30", "2024-07-02 14:15", "2024-07-02 14:45", "around"),
    ("what happened at 14:30", "2024-07-02 14:15", "2024-07-02 14:45", "around"),
    # composed
    ("why did checkout fail in the early hours of 2 July", "2024-07-02 00:00", "2024-07-02 06:00",
     "part_of_day"),
    ("what broke around 14:30 UTC on July 1st", "2024-07-01 14:15", "2024-07-01 14:45", "around"),
    ("errors on July 1st between 13:00 and 16:00", "2024-07-01 13:00", "2024-07-01 16:00", "range"),
    ("errors between 13:00 and 16:00 on 2024-07-01", "2024-07-01 13:00", "2024-07-01 16:00", "range"),
    ("errors 14:00 - 15:00 on 1 July", "2024-07-01 14:00", "2024-07-01 15:00", "range"),
    ("errors on the 30th of June at 2pm", "2024-06-30 13:45", "2024-06-30 14:15", "around"),
    ("errors between 22:00 and 02:00 on July 1", "2024-07-01 22:00", "2024-07-02 02:00", "range"),
    ("errors from 13:00 until 14:30 on July 1", "2024-07-01 13:00", "2024-07-01 14:30", "range"),
    ("errors on Tuesday, July 2 in the morning", "2024-07-02 06:00", "2024-07-02 12:00",
     "part_of_day"),
    # weekdays, against the data's range
    ("errors on Tuesday", "2024-07-02", "2024-07-03", "weekday"),
    ("errors last Saturday", "2024-06-29", "2024-06-30", "weekday"),
    ("errors on Friday afternoon", "2024-06-28 12:00", "2024-06-28 18:00", "part_of_day"),
    # months
    ("errors in May 2024", "2024-05-01", "2024-06-01", "month"),
    ("errors in June", "2024-06-01", "2024-07-01", "month"),
    ("errors in 2024", "2024-01-01", "2025-01-01", "year"),
    # relative to now
    ("errors yesterday", "2024-07-02", "2024-07-03", "relative"),
    ("errors yesterday afternoon", "2024-07-02 12:00", "2024-07-02 18:00", "part_of_day"),
    ("errors in the last 24 hours", "2024-07-02 12:00", "2024-07-03 12:00", "relative"),
    ("errors over the past 3 days", "2024-06-30 12:00", "2024-07-03 12:00", "relative"),
    ("errors this week", "2024-07-01", "2024-07-08", "relative"),
    ("FATAL entries over the whole week", "2024-07-01", "2024-07-08", "relative"),
    ("failed orders by reason for the week", "2024-07-01", "2024-07-08", "relative"),
    ("errors on 2/7", "2024-07-02", "2024-07-03", "day"),  # 7 Feb has no data; 2 July has
    ("errors on 1/7/2024", "2024-07-01", "2024-07-02", "day"),
    ("errors last week", "2024-06-24", "2024-07-01", "relative"),
    ("errors today", "2024-07-03", "2024-07-04", "relative"),
    ("errors in the last three hours", "2024-07-03 09:00", "2024-07-03 12:00", "relative"),
    ("errors last night", "2024-07-02 22:00", "2024-07-03 06:00", "part_of_day"),
    ("errors between 10:00 and 11:00 yesterday", "2024-07-02 10:00", "2024-07-02 11:00", "range"),
    # zones: converted to UTC
    ("errors around 14:00 CET on July 1", "2024-07-01 12:45", "2024-07-01 13:15", "around"),
    ("errors around 14:00+02:00 on July 1", "2024-07-01 11:45", "2024-07-01 12:15", "around"),
    ("errors at 9am PST on July 1", "2024-07-01 16:45", "2024-07-01 17:15", "around"),
    ("errors on July 1 CEST", "2024-06-30 22:00", "2024-07-01 22:00", "day"),
    ("errors between 13:00 and 16:00 UTC+2 on July 1", "2024-07-01 11:00", "2024-07-01 14:00",
     "range"),
    ("errors at 2024-07-01T14:30:00Z", "2024-07-01 14:15", "2024-07-01 14:45", "around"),
]


@pytest.mark.parametrize("q,start,end,kind", [c for c in CASES if c[1]])
def test_phrase_reads_as_expected(q: str, start: str, end: str, kind: str) -> None:
    spans = find_time(q, now=NOW, data_range=DATA)
    assert len(spans) == 1, (q, spans)
    s = spans[0]
    assert (s.start, s.end, s.kind) == (T(start), T(end), kind), (q, s)
    assert q[s.begin:s.stop] == s.text and s.text.strip()
    assert s.label.endswith(("UTC", ")")), s.label


@pytest.mark.parametrize("q", [
    "top 5 services by errors", "errors of 2 services", "traffic on port 8080",
    "how many HTTP 500 responses", "error 404 by path", "errors in version 1.2.3",
    "what did 10.0.0.1 do", "blocked 10.0.0.1:8080", "release v2.10 errors",
    "1/2 of the requests failed", "why may checkout fail", "at 5 services", "top 10",
    "errors from checkout", "between checkout and payment", "mac 12:34:56:78:9a:bc",
    "status 503 between 9 and 5", "what is the p99 latency", "count 2024 errors",
])
def test_numbers_that_are_not_times(q: str) -> None:
    assert find_time(q, now=NOW, data_range=DATA) == [], q


def test_year_less_dates_resolve_in_the_data_then_before_now() -> None:
    old = (dt.datetime(2023, 6, 1), dt.datetime(2023, 7, 10))
    s = resolve_time("errors on July 2", now=NOW, data_range=old)
    assert (s.start, s.end) == (T("2023-07-02"), T("2023-07-03"))
    # nothing in range: the latest July 2 at or before now
    s = resolve_time("errors on July 2", now=NOW, data_range=(T("2022-01-01"), T("2022-02-01")))
    assert s.start == T("2024-07-02")
    # no data range at all: relative to now (December 31 is last year's)
    assert resolve_time("errors on Dec 31", now=NOW).start == T("2023-12-31")
    assert resolve_time("errors in May", now=NOW).start == T("2024-05-01")
    assert resolve_time("errors in August", now=NOW).start == T("2023-08-01")
    s = resolve_time("errors on Tuesday", now=NOW)
    assert s.start == T("2024-07-02") and s.label == "on Tuesday 2024-07-02 UTC"
    s = resolve_time("errors around 14:30", now=NOW)
    assert s.around == T("2024-07-02 14:30")  # 14:30 today is after now


def test_open_ranges() -> None:
    s = resolve_time("errors since 10:00", now=NOW, data_range=DATA)
    assert (s.start, s.end, s.kind) == (T("2024-07-03 10:00"), None, "open")
    s = resolve_time("errors since July 1", now=NOW, data_range=DATA)
    assert (s.start, s.end) == (T("2024-07-01"), None)
    s = resolve_time("logs from the 30th of June", now=NOW, data_range=DATA)
    assert (s.start, s.end, s.text) == (T("2024-06-30"), None, "from the 30th of June")
    s = resolve_time("errors before July 1", now=NOW, data_range=DATA)
    assert (s.start, s.end) == (None, T("2024-07-01"))
    s = resolve_time("errors since yesterday", now=NOW)
    assert (s.start, s.end) == (T("2024-07-02"), None)


def test_date_ranges_include_the_last_day() -> None:
    s = resolve_time("errors between July 1 and July 2", now=NOW, data_range=DATA)
    assert (s.start, s.end) == (T("2024-07-01"), T("2024-07-03"))
    s = resolve_time("from 2024-07-01 10:00 to 2024-07-02 12:00", now=NOW)
    assert (s.start, s.end) == (T("2024-07-01 10:00"), T("2024-07-02 12:00"))
    s = resolve_time("errors between June and July", now=NOW, data_range=DATA)
    assert (s.start, s.end) == (T("2024-06-01"), T("2024-08-01"))


def test_two_phrases_that_do_not_compose_are_two_spans() -> None:
    spans = find_time("errors in June vs July", now=NOW, data_range=DATA)
    assert [(s.start, s.end, s.kind) for s in spans] == [
        (T("2024-06-01"), T("2024-07-01"), "month"), (T("2024-07-01"), T("2024-08-01"), "month")]
    hull = resolve_time("errors in June vs July", now=NOW, data_range=DATA)
    assert (hull.start, hull.end, hull.kind) == (T("2024-06-01"), T("2024-08-01"), "multi")


def test_labels_are_canonical_english() -> None:
    def label(q: str) -> str:
        return resolve_time(q, now=NOW, data_range=DATA).label

    assert label("errors on July 1st") == "on 2024-07-01 UTC"
    assert label("errors on July 1st between 14:00 and 16:00") == "2024-07-01 14:00-16:00 UTC"
    assert label("around 14:30 UTC on July 1st") == "around 2024-07-01 14:30 UTC (±15 min)"
    assert label("in the early hours of 2 July") == "2024-07-02 00:00-06:00 UTC (early hours)"
    assert label("in May 2024") == "in May 2024 UTC"
    assert label("around 14:00 CET on July 1") == "around 2024-07-01 13:00 UTC (±15 min) (asked in CET)"


def test_offsets_let_a_parser_remove_the_time_words() -> None:
    q = "how many WARN from inventory around 14:30 UTC on July 1st?"
    spans = find_time(q, now=NOW, data_range=DATA)
    assert [s.text for s in spans] == ["around 14:30 UTC on July 1st"]
    rest = blank_time(q, spans)
    assert len(rest) == len(q) and rest.split() == ["how", "many", "WARN", "from", "inventory", "?"]
    assert isinstance(spans[0], TimeSpan) and spans[0].around == T("2024-07-01 14:30")
    q = "errors in the early hours of 2 July for payment"
    (s,) = find_time(q, now=NOW, data_range=DATA)
    assert s.text == "in the early hours of 2 July"


def test_case_and_may_as_a_verb() -> None:
    assert resolve_time("Errors In MAY 2024", now=NOW).start == T("2024-05-01")
    assert resolve_time("why may payment fail in May", now=NOW).text == "in May"
    assert find_time("what may have failed", now=NOW) == []
    assert find_time("", now=NOW) == [] and resolve_time("no time here", now=NOW) is None


def test_future_words_are_not_read_as_the_past() -> None:
    assert find_time("errors next Tuesday", now=NOW, data_range=DATA) == []
    assert find_time("the coming friday", now=NOW) == []


def test_the_dashboard_period_box_reads_the_same_phrases() -> None:
    from logpilot_kernel.widgets import dashboard_data as D

    ext = D.Extent(10, dt.datetime(2024, 5, 30), dt.datetime(2024, 5, 31, 12), [])
    assert D.parse_period("yesterday afternoon", ext) == (T("2024-05-30 12:00"), T("2024-05-30 18:00"))
    assert D.parse_period("between 13:00 and 16:00 on May 30", ext) == (
        T("2024-05-30 13:00"), T("2024-05-30 16:00"))
    assert D.parse_period("on Thursday", ext) == (T("2024-05-30"), T("2024-05-31"))
    assert D.parse_period("since 10:00", ext) == (T("2024-05-31 10:00"), T("2024-05-31 12:00:01"))
    assert D.parse_period("2024-05-30") == (T("2024-05-30"), T("2024-05-31"))  # the old forms stay
    for bad in ("next tuesday", "errors yesterday", "port 8080"):
        with pytest.raises(D.PeriodError, match="yesterday afternoon"):
            D.parse_period(bad, ext)


@pytest.mark.parametrize("q,start,end", [
    ("errors July 1-3", "2024-07-01", "2024-07-04"),
    ("errors on May 30th-31st 2024", "2024-05-30", "2024-06-01"),
    ("errors between the 1st and the 3rd of July", "2024-07-01", "2024-07-04"),
    ("errors from the 29th to the 1st of July", "2024-06-29", "2024-07-02"),
    ("errors from the 30th of June to the 2nd", "2024-06-30", "2024-07-03"),
    ("errors on the 30th", "2024-06-30", "2024-07-01"),
    ("errors on 02.07.2024", "2024-07-02", "2024-07-03"),
    ("errors over the weekend", "2024-06-29", "2024-07-01"),
    ("errors at 3 in the afternoon on July 1", "2024-07-01 14:45", "2024-07-01 15:15"),
])
def test_more_date_forms(q: str, start: str, end: str) -> None:
    s = resolve_time(q, now=NOW, data_range=DATA)
    assert s is not None and (s.start, s.end) == (T(start), T(end)), (q, s)


def test_more_numbers_that_are_not_times() -> None:
    for q in ("errors in version 1.2.2024", "top 3 in the morning", "status 500-503 by hour"):
        spans = find_time(q, now=NOW, data_range=DATA)
        assert all(not any(c.isdigit() for c in s.text) for s in spans), (q, spans)


def test_one_named_year_serves_every_date_of_the_question() -> None:
    s = resolve_time("warnings between July 30 and August 1, 2015", now=NOW, data_range=DATA)
    assert (s.start, s.end) == (T("2015-07-30"), T("2015-08-02"))
    spans = find_time("HDFS lines on Nov 10 or on Nov 11, 2008", now=NOW, data_range=DATA)
    assert [x.start for x in spans] == [T("2008-11-10"), T("2008-11-11")]
    spans = find_time("FATAL counts for June and July 2005", now=NOW, data_range=DATA)
    assert [x.start for x in spans] == [T("2005-06-01"), T("2005-07-01")]
    s = resolve_time("errors in the 10 o'clock hour on November 10, 2008", now=NOW)
    assert (s.start, s.end) == (T("2008-11-10 10:00"), T("2008-11-10 11:00"))
    assert resolve_time("errors in 2024 on July 2", now=NOW).start == T("2024-07-02")


def test_a_weekday_and_an_ordinal_day_are_one_day() -> None:
    """"the evening of Monday the 1st": the part of day, the weekday and the day of the
    month are one time (a span, not "two time ranges")."""
    spans = find_time("how many on the evening of Monday the 1st?", now=NOW, data_range=DATA)
    assert len(spans) == 1
    assert (spans[0].start, spans[0].end) == (T("2024-07-01 18:00"), T("2024-07-02 00:00"))
    spans = find_time("errors from Monday through Tuesday", now=NOW, data_range=DATA)
    assert len(spans) == 1 and (spans[0].start, spans[0].end) == (T("2024-07-01"), T("2024-07-03"))
