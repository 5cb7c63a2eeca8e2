"""Everyday phrasing over an invented estate (issue 15, the fourth blind set's classes).

Services "mill" (grain lots milled, with a weight and a fee, and "Lot <n> not sifted"
warnings) and "dock" (shipments with a crate size and a code) are not the demo's. Each
test checks one capability, with answers computed here from the same rows by SQL or by
Python: compound number words in relative times and top-N; a period "before that"; the
difference and ratio of two periods; the ratio of two values of one field; a service left
out ("leaving X aside"); a sum asked as "how many UNITS in total"; "cheapest" as the min of
a price field; "what time did ... first"; a quoted phrase that skips a template's slot;
"how many different ADJ FIELD" refusing rather than counting rows; "hour by hour".
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask
from logpilot_kernel.query.nl import NotUnderstood
from logpilot_kernel.query.timephrase import find_time

START = dt.datetime(2024, 3, 4)  # a Monday
NOW = START + dt.timedelta(days=4)


def _mill(i: int) -> dict:
    if i % 9 == 0:
        return dict(level="warn", msg=f"Lot {1000 + i} not sifted")
    if i % 13 == 0:
        return dict(level="error", msg="roller jammed")
    return dict(level="info", msg=f"lot milled weight {40 + i % 17}", weight=40 + i % 17,
                price=round(3.5 + (i % 23) * 0.25, 2))


def _dock(i: int) -> dict:
    return dict(level="error" if i % 11 == 0 else "info", msg="shipment loaded",
                crate=[12, 25, 40][i % 3], code=[201, 201, 404, 503, 409][i % 5])


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("phrasing")
    for svc, make in (("mill", _mill), ("dock", _dock)):
        lines = []
        for i in range(4 * 24 * 6):  # every 10 minutes over four days
            ts = START + dt.timedelta(minutes=10 * i, seconds=i % 7)
            lines.append(json.dumps({"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "service": svc,
                                     **make(i)}))
        (root / "in" / svc).mkdir(parents=True)
        (root / "in" / svc / "app.jsonl").write_text("\n".join(lines) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / "mill"), str(root / "in" / "dock")], progress=False, parquet=False)
    yield w
    w.close()


def _q(ws, sql: str):
    cur = ws.cursor()
    try:
        return cur.execute(sql).fetchall()
    finally:
        cur.close()


def _one(ws, q: str):
    res = ask(ws, q, now=NOW, model=None)
    return res.frame.iloc[0, -1], res


def test_compound_number_words_in_relative_times() -> None:
    sp = find_time("in the past seventy-two hours", now=NOW)
    assert [(s.start, s.end) for s in sp] == [(NOW - dt.timedelta(hours=72), NOW)]
    sp = find_time("over the last twenty four hours", now=NOW)
    assert [(s.start, s.end) for s in sp] == [(NOW - dt.timedelta(hours=24), NOW)]


def test_a_period_before_that_is_the_same_length_just_before() -> None:
    spans = find_time("in the last 6 hours to the 6 hours before that", now=NOW)
    assert [(s.start, s.end) for s in spans] == [
        (NOW - dt.timedelta(hours=6), NOW), (NOW - dt.timedelta(hours=12), NOW - dt.timedelta(hours=6))]


def test_seventy_two_hours_count(ws) -> None:
    got, _ = _one(ws, "how many dock errors in the past seventy-two hours?")
    lo = NOW - dt.timedelta(hours=72)
    want = _q(ws, f"SELECT count(*) FROM logs WHERE service_name='dock' AND severity IN ('ERROR','FATAL') "
                  f"AND timestamp >= TIMESTAMP '{lo}' AND timestamp < TIMESTAMP '{NOW}'")[0][0]
    assert got == want > 0


def test_ratio_of_two_periods(ws) -> None:
    got, res = _one(ws, "Ratio of dock errors in the last 24 hours to the 24 hours before that?")
    def n(lo, hi):
        return _q(ws, f"SELECT count(*) FROM logs WHERE service_name='dock' AND severity IN "
                      f"('ERROR','FATAL') AND timestamp >= TIMESTAMP '{lo}' AND timestamp < TIMESTAMP '{hi}'")[0][0]
    d = dt.timedelta(hours=24)
    assert got == pytest.approx(n(NOW - d, NOW) / n(NOW - 2 * d, NOW - d))
    assert "divided by" in res.notes[0]


def test_difference_of_two_weekdays_named_twice(ws) -> None:
    got, _ = _one(ws, "How many more mill errors on Monday than on Wednesday? (Monday minus Wednesday)")
    def day(k):
        lo = START + dt.timedelta(days=k)
        return _q(ws, f"SELECT count(*) FROM logs WHERE service_name='mill' AND severity IN "
                      f"('ERROR','FATAL') AND timestamp >= TIMESTAMP '{lo}' AND timestamp < "
                      f"TIMESTAMP '{lo + dt.timedelta(days=1)}'")[0][0]
    assert got == day(0) - day(2)


def test_ratio_of_two_values_of_one_field(ws) -> None:
    got, res = _one(ws, "ratio of 4xx to 5xx codes on the dock")
    codes = [[201, 201, 404, 503, 409][i % 5] for i in range(4 * 24 * 6)]
    assert got == pytest.approx(sum(400 <= c < 500 for c in codes) / sum(c >= 500 for c in codes))


@pytest.mark.parametrize("q", ["Leaving dock aside, which service logged the most errors?",
                               "which service other than dock logged the most errors?",
                               "which service, excluding dock, logged the most errors?"])
def test_a_service_left_out(ws, q) -> None:
    res = ask(ws, q, now=NOW, model=None)
    assert list(res.frame.iloc[:, 0]) == ["mill"]  # dock has more errors, but is left out
    assert "not from service dock" in res.notes[0]


def test_how_many_units_in_total_is_a_sum(ws) -> None:
    got, _ = _one(ws, "How many crates did the dock load in total?")
    assert got == sum([12, 25, 40][i % 3] for i in range(4 * 24 * 6))


def test_cheapest_is_the_minimum_of_a_price_field(ws) -> None:
    got, _ = _one(ws, "cheapest lot milled on Tuesday - what was the price?")
    want = _q(ws, "SELECT min(TRY_CAST(context->>'price' AS DOUBLE)) FROM logs WHERE service_name='mill' "
                  f"AND timestamp >= TIMESTAMP '{START + dt.timedelta(days=1)}' AND timestamp < "
                  f"TIMESTAMP '{START + dt.timedelta(days=2)}'")[0][0]
    assert got == pytest.approx(want)


def test_what_time_did_it_first(ws) -> None:
    got, _ = _one(ws, "What time did the mill log its first jam?")
    want = _q(ws, "SELECT min(timestamp) FROM logs WHERE message ILIKE '%jammed%'")[0][0]
    assert got == want


def test_a_quoted_phrase_without_the_slot_of_its_template(ws) -> None:
    got, _ = _one(ws, "Count of mill 'lot not sifted' warnings on Tuesday?")
    want = _q(ws, "SELECT count(*) FROM logs WHERE message ILIKE 'Lot % not sifted' AND timestamp >= "
                  f"TIMESTAMP '{START + dt.timedelta(days=1)}' AND timestamp < "
                  f"TIMESTAMP '{START + dt.timedelta(days=2)}'")[0][0]
    assert got == want > 0


def test_distinct_of_no_field_is_refused_not_counted(ws) -> None:
    with pytest.raises(NotUnderstood) as info:
        ask(ws, "how many different pallets did the mill see?", now=NOW, model=None)
    assert "names no field to count distinct values of" in str(info.value)


def test_distinct_of_a_template_parameter_counts_its_values(ws) -> None:
    """"Lot <*> not sifted": the lots are the parameter after the noun, not rows."""
    got, res = _one(ws, "how many different unsifted lots did the mill see?")
    assert got == len({1000 + i for i in range(576) if i % 9 == 0})
    assert "Lot [*] not sifted" in res.notes[0]


def test_hour_by_hour_and_which_three(ws) -> None:
    res = ask(ws, "Show dock logs hour by hour for Tuesday from midnight to 4 am.", now=NOW, model=None)
    assert len(res.frame) == 4 and "per hour" in res.notes[0]
    res = ask(ws, "Which three codes turned up least often on the dock?", now=NOW, model=None)
    assert len(res.frame) == 3 and {str(x) for x in res.frame.iloc[:, 0]} == {"404", "503", "409"}


def test_average_number_of_a_numeric_field_is_its_mean(ws) -> None:
    got, _ = _one(ws, "average number of crates per shipment loaded on the dock")
    assert got == pytest.approx(sum([12, 25, 40][i % 3] for i in range(576)) / 576)


def test_a_superlative_that_ranks_nothing_is_the_max_of_the_field_named(ws) -> None:
    got, _ = _one(ws, "biggest single lot milled ever - price?")
    assert got == pytest.approx(max(round(3.5 + (i % 23) * 0.25, 2) for i in range(576)
                                    if i % 9 and i % 13))
    res = ask(ws, "which service logged the most errors?", now=NOW, model=None)
    assert list(res.frame.columns)[-1] == "records"  # a ranking stays a ranking
