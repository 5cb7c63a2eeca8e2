"""Shares of an outcome, on an estate of invented words (issue 15, item 2).

Service "kiln" fires pottery batches: each attempt ends in "batch fired" or "batch failed"
(the two templates differ by the outcome word only); it also logs lines that are no
attempt ("firing started", "glaze sensor failed"). "What fraction of batches failed" is
failed / (fired + failed), not failed / every kiln line; a fail verb read as a severity
becomes the template word when the service's templates use it; with no sibling template
the share stays over the rows named. Expected values are counted here, not by LogPilot.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask

NOW = dt.datetime(2024, 7, 4)
N = 700


def _kiln(i: int) -> dict:
    kind = i % 10
    if kind in (0, 7):
        return dict(level="error", msg="batch failed", batch_ref=f"BT-{i}")
    if kind == 1:
        return dict(level="error", msg="glaze sensor failed", sensor=f"s{i % 4}")
    if kind == 2:
        return dict(level="info", msg="firing started", batch_ref=f"BT-{i}")
    return dict(level="info", msg="batch fired", batch_ref=f"BT-{i}")


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("outcomes")
    start = dt.datetime(2024, 7, 1)
    lines = []
    for i in range(N):
        ts = start + dt.timedelta(minutes=5 * i)
        rec = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "service": "kiln",
               "trace_id": f"tr{i % 37:04d}"}
        rec.update(_kiln(i))
        lines.append(json.dumps(rec))
    (root / "in" / "kiln").mkdir(parents=True)
    (root / "in" / "kiln" / "app.jsonl").write_text("\n".join(lines) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / "kiln")], progress=False, parquet=False)
    yield w
    w.close()


def _counts() -> dict[str, int]:
    out: dict[str, int] = {}
    for i in range(N):
        out[_kiln(i)["msg"]] = out.get(_kiln(i)["msg"], 0) + 1
    return out


@pytest.mark.parametrize("question", ["what fraction of batches failed?",
                                      "what percentage of kiln attempts failed?",
                                      "share of failed batches"])
def test_the_share_of_an_outcome_is_taken_among_the_attempts(ws, question):
    res = ask(ws, question, now=NOW, model=None)
    c = _counts()
    want = c["batch failed"] / (c["batch failed"] + c["batch fired"])
    assert float(res.frame.iloc[0, -1]) == pytest.approx(want)
    assert "among the outcomes" in res.notes[0]


def test_a_share_of_errors_stays_a_share_of_every_line(ws):
    res = ask(ws, "what share of kiln's lines are errors?", now=NOW, model=None)
    c = _counts()
    assert float(res.frame.iloc[0, -1]) == pytest.approx(
        (c["batch failed"] + c["glaze sensor failed"]) / N)


def test_an_outcome_without_a_sibling_template_keeps_its_base(ws):
    res = ask(ws, "what fraction of kiln lines contain 'glaze sensor'?", now=NOW, model=None)
    assert float(res.frame.iloc[0, -1]) == pytest.approx(_counts()["glaze sensor failed"] / N)
    assert "among the outcomes" not in res.notes[0]


@pytest.mark.parametrize("question", ["ratio of failed batches to fired batches",
                                      "ratio of failed to successful batches"])
def test_a_ratio_of_two_outcomes_counts_each_side(ws, question):
    res = ask(ws, question, now=NOW, model=None)
    c = _counts()
    assert float(res.frame.iloc[0, -1]) == pytest.approx(c["batch failed"] / c["batch fired"])
    assert res.notes[0].startswith("reading: ratio of rows")


def test_a_ratio_of_two_levels(ws):
    res = ask(ws, "ratio of errors to infos in kiln", now=NOW, model=None)
    c = _counts()
    errors = c["batch failed"] + c["glaze sensor failed"]
    assert float(res.frame.iloc[0, -1]) == pytest.approx(errors / (N - errors))


@pytest.mark.parametrize("question", ["what fraction of kiln attempts succeeded?",
                                      "what fraction of kiln batches were successful?"])
def test_the_share_of_success_is_the_other_outcome(ws, question):
    res = ask(ws, question, now=NOW, model=None)
    c = _counts()
    want = c["batch fired"] / (c["batch failed"] + c["batch fired"])
    assert float(res.frame.iloc[0, -1]) == pytest.approx(want)


def test_distinct_trace_ids_is_the_trace_column(ws):
    res = ask(ws, "how many distinct trace ids had an error in kiln?", now=NOW, model=None)
    want = len({i % 37 for i in range(N) if _kiln(i)["level"] == "error"})
    assert float(res.frame.iloc[0, -1]) == want
    assert "distinct trace" in res.notes[0]
