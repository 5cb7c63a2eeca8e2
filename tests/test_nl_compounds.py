"""Compound words, a noun a number counts, one instant after "since", and parts of one day
over an invented estate (issue 15, the classes of the sixth blind set's misses).

Service "kiln" logs trays baked ("tray done: baked 41 loaves (63%); oven 2 cooled", with a
``cook_ms`` field) and jams at error level. None of these words is the demo's. Each test
checks one capability against Python over the same rows: a severity joined to "level"
("error-level"); the number the question's noun counts ("wrote <*> loaves", not the
percent written after the noun), the other number offered in a note; "since DAY at
CLOCK" as one instant; "processing time" as a duration and "in ms" as the answer's unit of
a field named in ms; a part of the day named alone after a day ("Tuesday afternoon vs
morning") on that day, said in a note; "difference in" between two periods.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask
from logpilot_kernel.query import nl_link as L
from logpilot_kernel.query.timephrase import find_time

START = dt.datetime(2024, 3, 4)  # a Monday
NOW = START + dt.timedelta(days=3)
N = 3 * 24 * 6  # every 10 minutes over three days


def _at(i: int) -> dt.datetime:
    return START + dt.timedelta(minutes=10 * i)


def _row(i: int) -> dict:
    if i % 4 == 0 or (_at(i).weekday() == 1 and 12 <= _at(i).hour < 18 and i % 4 == 1):
        return dict(level="error", msg=f"Oven {i % 3} jammed at rack {i % 5}")
    return dict(level="info", msg=f"tray done: baked {20 + i % 37} loaves ({i % 90}%); "
                                  f"oven {i % 3} cooled", cook_ms=100 + i % 50)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("compounds")
    lines = [json.dumps({"ts": (_at(i) + dt.timedelta(seconds=i % 7)).strftime(
        "%Y-%m-%dT%H:%M:%S.000Z"), "service": "kiln", **_row(i)}) for i in range(N)]
    (root / "in" / "kiln").mkdir(parents=True)
    (root / "in" / "kiln" / "app.jsonl").write_text("\n".join(lines) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / "kiln")], progress=False, parquet=False)
    yield w
    w.close()


def _rows(pred) -> list[dict]:
    return [_row(i) for i in range(N) if pred(i)]


def _one(ws, q: str):
    res = ask(ws, q, now=NOW, model=None)
    return res.frame.iloc[0, -1], res


def _tuesday(i: int) -> bool:
    return _at(i).weekday() == 1


def test_a_severity_joined_to_level_is_that_severity(ws) -> None:
    got, _ = _one(ws, "how many error-level lines did kiln write on Tuesday?")
    assert got == len(_rows(lambda i: _tuesday(i) and _row(i)["level"] == "error")) > 0
    got, _ = _one(ws, "how many info-level kiln lines on Tuesday?")
    assert got == len(_rows(lambda i: _tuesday(i) and _row(i)["level"] == "info")) > 0


def test_the_number_the_question_noun_counts(ws) -> None:
    got, res = _one(ws, "total loaves baked by kiln on Tuesday")
    want = sum(20 + i % 37 for i in range(N) if _tuesday(i) and _row(i)["level"] == "info")
    assert got == want
    assert "[*] loaves" in res.notes[0]
    assert any("another reading" in n and "loaves ([*]%)" in n for n in res.notes)


def test_since_a_day_at_a_clock_time_is_one_instant() -> None:
    spans = find_time("jams since yesterday at noon", now=NOW)
    assert [(s.start, s.end, s.kind) for s in spans] == [(dt.datetime(2024, 3, 6, 12), None, "open")]
    spans = find_time("jams before tuesday at 3pm", now=NOW)
    assert [(s.start, s.end) for s in spans] == [(None, dt.datetime(2024, 3, 5, 15))]
    spans = find_time("jams yesterday at noon", now=NOW)  # without "since": around the time
    assert spans[0].kind == "around"


def test_processing_time_in_ms_of_a_field_named_in_ms(ws) -> None:
    got, res = _one(ws, "mean kiln processing time on Tuesday, in ms")
    vals = [r["cook_ms"] for r in _rows(lambda i: _tuesday(i) and "cook_ms" in _row(i))]
    assert got == pytest.approx(sum(vals) / len(vals))
    assert "mentions" not in res.notes[0]  # "in ms" is the unit, not a text filter


def test_a_database_statement_is_a_query() -> None:
    assert L.stem("statement") in L.synonyms("queries")


def test_a_part_of_the_day_named_alone_is_on_the_day_named_before(ws) -> None:
    got, res = _one(ws, "Tuesday afternoon vs morning for kiln: difference in errors "
                        "(afternoon minus morning)")

    def part(lo: int, hi: int) -> int:
        return len(_rows(lambda i: _tuesday(i) and lo <= _at(i).hour < hi
                         and _row(i)["level"] == "error"))
    assert got == part(12, 18) - part(6, 12) > 0
    assert any("'morning' read on 2024-03-05" in n for n in res.notes)
