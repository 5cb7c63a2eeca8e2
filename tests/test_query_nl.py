"""The offline parser's slots without a database: times relative to ``now``, refusals."""

from __future__ import annotations

import datetime as dt

import pytest

from logpilot_kernel.query.lexicon import KeyInfo
from logpilot_kernel.query.nl import NotUnderstood, Vocabulary, parse, parse_date

NOW = dt.datetime(2024, 6, 2, 0, 0)
VOCAB = Vocabulary(services=["checkout", "payment", "firewall", "postgres", "sshd"],
                   hosts=["fw01"], keys={"firewall": {"SRC": 10, "DPT": 10},
                                         "checkout": {"order_id": 5, "user_id": 5}},
                   info={("firewall", "action"): KeyInfo("firewall", "action", 10, 2, "categorical",
                                                         {"BLOCK": 6, "ALLOW": 4})})


def intent(q: str, now: dt.datetime = NOW):
    return parse(q, VOCAB, now=now).intent


def test_relative_times_follow_the_injected_now() -> None:
    i = intent("errors in the last 24 hours")
    assert (i.lo, i.hi) == (dt.datetime(2024, 6, 1), NOW)
    i = intent("errors yesterday")
    assert (i.lo, i.hi) == (dt.datetime(2024, 6, 1), NOW)
    i = intent("errors today", now=dt.datetime(2024, 6, 1, 15, 30))
    assert (i.lo, i.hi) == (dt.datetime(2024, 6, 1), NOW)
    # "since 10:00" is the latest 10:00 at or before now
    assert intent("errors since 10:00").lo == dt.datetime(2024, 6, 1, 10)
    assert intent("errors since 10:00", now=dt.datetime(2024, 6, 1, 15)).lo == dt.datetime(2024, 6, 1, 10)


def test_calendar_ranges() -> None:
    i = intent("errors between May 30 and May 31")
    assert (i.lo, i.hi) == (dt.datetime(2024, 5, 30), dt.datetime(2024, 6, 1))  # end day included
    i = intent("errors between 2024-05-30 10:00 and 2024-05-30 12:30")
    assert (i.lo, i.hi) == (dt.datetime(2024, 5, 30, 10), dt.datetime(2024, 5, 30, 12, 30))
    i = intent("errors in May")
    assert (i.lo, i.hi) == (dt.datetime(2024, 5, 1), dt.datetime(2024, 6, 1))
    assert intent("errors in December").lo == dt.datetime(2023, 12, 1)  # latest December before now
    assert intent("errors in May 2023").lo == dt.datetime(2023, 5, 1)
    assert parse_date("31st of May", NOW) == (dt.datetime(2024, 5, 31), False)


def test_slots_filters_and_grouping() -> None:
    i = intent("top 3 source ips blocked by the firewall on fw01")
    assert i.filters == [("action", "BLOCK")] and i.top == 3 and i.group == ["ctx:SRC"]
    assert i.hosts == ["fw01"] and i.services == ["firewall"]
    sql = parse("how many fatal errors for payment", VOCAB, now=NOW).sql
    assert "severity IN ('FATAL')" in sql and "service_name IN ('payment')" in sql
    sql = parse("which service failed most", VOCAB, now=NOW).sql
    assert sql.endswith("LIMIT 1") and "severity IN ('ERROR', 'FATAL')" in sql
    sql = parse('count checkout logs containing "order failed"', VOCAB, now=NOW).sql
    assert "ILIKE '%order failed%'" in sql
    sql = parse("how many unique users per day", VOCAB, now=NOW).sql
    assert "count(DISTINCT (context->>'user_id'))" in sql and "GROUP BY ALL" in sql


@pytest.mark.parametrize("q,unknown", [
    ("how many errors not in payment", "not"),
    ("average duration by service", "average"),
    ("which service failed on blue moons", "moons"),
])
def test_words_it_cannot_place_make_it_refuse(q: str, unknown: str) -> None:
    with pytest.raises(NotUnderstood) as info:
        parse(q, VOCAB, now=NOW)
    assert unknown in info.value.unknown and len(info.value.suggestions) == 3


def test_two_time_ranges_are_refused() -> None:
    with pytest.raises(NotUnderstood, match="two time ranges"):
        parse("errors yesterday in May", VOCAB, now=NOW)
