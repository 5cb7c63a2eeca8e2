"""Grounding the parser in the workspace, on an estate of invented words (issue 15 classes).

Services "kiln" (firings of pottery batches, with a wait in ms) and "webtier" (requests
with paths such as /api/kiln) are not the demo's: each test checks a capability that reads
the data, not a list of answers: a statistic of something that is not a number is refused
naming the numeric fields (never a row count instead), the head noun of a measured phrase,
"successful" as the opposite of failing, template phrases that hold function words, a path
that names a service without scoping the question to it, a verb of a template read as
message text rather than a severity, and weekday grouping.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask
from logpilot_kernel.query.nl import NotUnderstood

NOW = dt.datetime(2024, 7, 4)


def _kiln(i: int, ts: dt.datetime) -> dict:
    kind = i % 10
    if kind in (0, 1):  # a failed firing: WARN, template "batch failed"
        return dict(level="warn", msg="batch failed", batch_ref=f"BT-{i // 3}", wait_ms=900 + i % 7)
    if kind == 2:
        return dict(level="error", msg="glaze sensor failed", sensor=f"s{i % 4}")
    if kind == 3:
        return dict(level="info", msg="ran out of clay", batch_ref=f"BT-{i // 3}")
    if kind == 4:
        return dict(level="info", msg="clay level checked", batch_ref=f"BT-{i // 3}")
    return dict(level="info", msg="batch fired", batch_ref=f"BT-{i // 3}", wait_ms=100 + i % 50)


def _web(i: int) -> dict:
    path = ["/api/kiln", "/index", "/api/shelf"][i % 3]
    return dict(level="info", msg=f"GET {path}", path=path, method=["GET", "PUT"][i % 2],
                code=[200, 200, 503][i % 3], size=300 + i)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("ground")
    start = dt.datetime(2024, 7, 1)
    for svc in ("kiln", "webtier"):
        lines = []
        for i in range(600):
            ts = start + dt.timedelta(minutes=7 * i)
            rec = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "service": svc}
            rec.update(_kiln(i, ts) if svc == "kiln" else _web(i))
            lines.append(json.dumps(rec))
        (root / "in" / svc).mkdir(parents=True)
        (root / "in" / svc / "app.jsonl").write_text("\n".join(lines) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / "kiln"), str(root / "in" / "webtier")], progress=False,
           parquet=False)
    yield w
    w.close()


def _one(ws, q: str):
    res = ask(ws, q, now=NOW, model=None)
    return res.frame.iloc[0, -1], res


def _count(ws, sql: str):
    cur = ws.cursor()
    try:
        return cur.execute(sql).fetchone()[0]
    finally:
        cur.close()


@pytest.mark.parametrize("q", ["p90 of kiln clay", "median clay level", "average glaze sensor"])
def test_a_statistic_of_something_not_numeric_is_refused_naming_numeric_fields(ws, q) -> None:
    with pytest.raises(NotUnderstood) as info:
        ask(ws, q, now=NOW, model=None)
    msg = str(info.value)
    assert "needs a numeric field" in msg and "wait_ms" in msg
    assert "\n" not in msg.split(" in '")[0]  # one line, no row count answered instead


def test_the_head_noun_of_the_measured_phrase_is_the_field(ws) -> None:
    got, res = _one(ws, "p50 of kiln batch wait (wait_ms)")
    want = _count(ws, "SELECT quantile_cont(TRY_CAST(context->>'wait_ms' AS DOUBLE), 0.5) "
                      "FROM logs WHERE service_name = 'kiln' AND (context->>'wait_ms') IS NOT NULL")
    assert got == pytest.approx(want)
    # "median time" is a duration: the numeric field whose name says milliseconds
    got, _ = _one(ws, "median time of fired batches")
    want = _count(ws, "SELECT quantile_cont(TRY_CAST(context->>'wait_ms' AS DOUBLE), 0.5) "
                      "FROM logs WHERE body ILIKE '%batch fired%'")
    assert got == pytest.approx(want)


def test_successful_means_the_rows_that_did_not_fail(ws) -> None:
    got, res = _one(ws, "average wait of successful batches")
    want = _count(ws, "SELECT avg(TRY_CAST(context->>'wait_ms' AS DOUBLE)) FROM logs "
                      "WHERE message = 'batch fired'")
    assert got == pytest.approx(want)
    assert "did not fail" in res.frame.attrs.get("reading", "") or any(
        "did not fail" in n for n in res.notes)


def test_a_template_phrase_keeps_its_function_words(ws) -> None:
    got, _ = _one(ws, "how many distinct batches ran out of clay?")
    want = _count(ws, "SELECT count(DISTINCT context->>'batch_ref') FROM logs "
                      "WHERE message = 'ran out of clay'")
    assert got == want and want > 0
    assert want != _count(ws, "SELECT count(DISTINCT context->>'batch_ref') FROM logs "
                              "WHERE message ILIKE '%clay%'")


def test_a_path_naming_a_service_does_not_scope_the_question_to_it(ws) -> None:
    got, _ = _one(ws, "how many requests PUT to /api/kiln")
    want = _count(ws, "SELECT count(*) FROM logs WHERE service_name = 'webtier' AND "
                      "(context->>'method') = 'PUT' AND (context->>'path') = '/api/kiln'")
    assert got == want and want > 0


def test_a_verb_of_the_rows_templates_is_message_text_not_a_level(ws) -> None:
    got, res = _one(ws, "how many distinct batches ended up failing?")
    want = _count(ws, "SELECT count(DISTINCT context->>'batch_ref') FROM logs "
                      "WHERE message = 'batch failed'")
    assert got == want and want > 0  # the failures are WARN: a severity reading would give 0
    assert any("as severity" in n for n in res.notes)  # the other reading is offered


def test_day_of_the_week_groups_by_weekday(ws) -> None:
    res = ask(ws, "failed batches by day of the week", now=NOW, model=None)
    assert list(res.frame.columns)[0] == "weekday"
    assert set(res.frame["weekday"]) <= {"Monday", "Tuesday", "Wednesday", "Thursday"}


def test_the_benchmark_compares_utc_suffixed_times_as_instants() -> None:
    sys.path.insert(0, str(Path(__file__).parent / "benchmarks"))
    import question_accuracy as qa

    assert qa.same("2024-07-01T13:00:00", "2024-07-01T13:00:00Z")
    assert not qa.same("2024-07-01T14:00:00", "2024-07-01T13:00:00Z")
