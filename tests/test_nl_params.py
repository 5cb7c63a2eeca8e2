"""Values inside message text, comparisons of two days, and "A per B" over an invented estate
(issue 15, the classes of the fifth blind set's misses).

Service "turnstile" logs badge scans, rejections and doors opened for an operator, each
with a ``verdict`` field (KEEP or TOSS); the people are only in the message text ("Badge
scanned for quill at door 3"). None of these words is the demo's. Each test checks one
capability against SQL or Python over the same rows: a value held only in a template
parameter ("scans by quill"); the word a template writes before that parameter describing
it ("for operator marlow"); another form of an everyday verb ("returning"); short weekday
names after the full ones ("(Wed minus Mon)"); the order "A minus B" / "A / B" states;
"as a ratio"; "tosses per keep" as the ratio of two values of one field.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask
from logpilot_kernel.query import nl_link as L
from logpilot_kernel.query.nl import NotUnderstood
from logpilot_kernel.query.timephrase import find_time

START = dt.datetime(2024, 3, 4)  # a Monday
NOW = START + dt.timedelta(days=4)
N = 4 * 24 * 6  # every 10 minutes over four days
NAMES = ["ferris", "quill", "marlow"]


def _day(i: int) -> int:
    return (10 * i) // (24 * 60)


def _row(i: int) -> dict:
    who, door = NAMES[i % 3], i % 7
    if i % 5 == 0 or (_day(i) == 2 and i % 10 == 3):  # more rejections on Wednesday
        return dict(level="error", msg=f"Badge rejected for {who} at door {door}", verdict="TOSS")
    if i % 5 == 1:
        return dict(level="info", msg=f"Door {door} opened for operator {who}", verdict="KEEP")
    return dict(level="info", msg=f"Badge scanned for {who} at door {door}",
                verdict="KEEP" if i % 4 else "TOSS")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("params")
    lines = []
    for i in range(N):
        ts = START + dt.timedelta(minutes=10 * i, seconds=i % 7)
        lines.append(json.dumps({"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                                 "service": "turnstile", **_row(i)}))
    (root / "in" / "turnstile").mkdir(parents=True)
    (root / "in" / "turnstile" / "app.jsonl").write_text("\n".join(lines) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / "turnstile")], progress=False, parquet=False)
    yield w
    w.close()


def _n(pred) -> int:
    return sum(1 for i in range(N) if pred(i))


def _one(ws, q: str):
    res = ask(ws, q, now=NOW, model=None)
    return res.frame.iloc[0, -1], res


def test_a_value_held_only_in_a_template_parameter(ws) -> None:
    got, res = _one(ws, "how many badge scans by quill on Tuesday?")
    assert got == _n(lambda i: _row(i)["msg"].startswith("Badge scanned for quill")
                     and _day(i) == 1) > 0
    assert "'quill' as the value marked [*]" in res.notes[0]


def test_the_word_before_the_parameter_describes_the_value(ws) -> None:
    got, _ = _one(ws, "how many doors opened for operator marlow?")
    assert got == _n(lambda i: _row(i)["msg"].endswith("operator marlow")) > 0


def test_a_name_nobody_logged_is_refused(ws) -> None:
    with pytest.raises(NotUnderstood):
        ask(ws, "how many badge scans by zebedee?", now=NOW, model=None)


def test_another_form_of_an_everyday_verb_is_skipped(ws) -> None:
    assert L.is_skip_form("returning") and L.is_skip_form("serving")
    assert not L.is_skip_form("timing")  # "times" is a skip word; the stem is too short to tell
    got, _ = _one(ws, "how many tosses was the turnstile returning on Monday?")
    assert got == _n(lambda i: _row(i)["verdict"] == "TOSS" and _day(i) == 0) > 0


def test_short_weekday_names_after_the_full_ones() -> None:
    spans = find_time("friday vs monday (fri minus mon)", now=NOW,
                      data_range=(START, NOW))
    assert [s.start.date() for s in spans] == [dt.date(2024, 3, 8), dt.date(2024, 3, 4)] * 2
    assert find_time("fri errors", now=NOW) == []  # alone, a short form is not read as a day


def _errors(day: int) -> int:
    return _n(lambda i: _row(i)["level"] == "error" and _day(i) == day)


@pytest.mark.parametrize("q", [
    "Monday vs Wednesday: how many more turnstile errors on Wednesday? (Wed minus Mon)",
    "Monday vs Wednesday: how many more turnstile errors on Wednesday?",
    "turnstile errors on Wednesday compared with Monday (Wed minus Mon)"])
def test_the_difference_takes_the_order_the_question_states(ws, q) -> None:
    got, res = _one(ws, q)
    assert got == _errors(2) - _errors(0) > 0
    assert "2024-03-06 minus 2024-03-04" in res.notes[0]


@pytest.mark.parametrize("q", ["turnstile errors on Wednesday compared with Tuesday, as a ratio",
                               "errors on Tuesday vs Wednesday (Wed / Tue)"])
def test_a_ratio_of_two_days(ws, q) -> None:
    got, res = _one(ws, q)
    assert got == pytest.approx(_errors(2) / _errors(1))
    assert "divided by" in res.notes[0]


def test_a_per_b_of_two_values_of_one_field(ws) -> None:
    got, res = _one(ws, "turnstile on Tuesday: tosses per keep?")
    toss = _n(lambda i: _row(i)["verdict"] == "TOSS" and _day(i) == 1)
    keep = _n(lambda i: _row(i)["verdict"] == "KEEP" and _day(i) == 1)
    assert got == pytest.approx(toss / keep)
    assert "ratio of rows where verdict is TOSS to rows where verdict is KEEP" in res.notes[0]
    res = ask(ws, "turnstile errors per hour on Tuesday", now=NOW, model=None)
    assert len(res.frame) == 24  # "per" before a time bucket still groups
