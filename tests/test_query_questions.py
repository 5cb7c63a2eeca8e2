"""The offline parser over the demo estate: answers checked against the generator's truth.

Expected answers come from ``ground_truth.json`` (its ``counts``), evaluated from the
declarative ``expect`` of each question in ``tests/data/questions.json``, never from the
parser's SQL. The parser must answer at least 90% exactly and never answer wrongly: what
it does not understand it refuses.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from logpilot_kernel.query import ask, to_sql
from logpilot_kernel.query.nl import NotUnderstood

QUESTIONS = json.loads((Path(__file__).parent / "data" / "questions.json").read_text())
NOW = dt.datetime.fromisoformat(QUESTIONS["now"])


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("estate")
    truth = generate(root / "estate", **QUESTIONS["estate"]).to_dict()
    ws = Workspace(root / "ws")
    dirs = sorted({s["dir"] for s in truth["services"].values()})
    ingest(ws, [str(root / "estate" / d) for d in dirs], progress=False, parquet=False)
    # Which workspace service holds each truth service: by provenance (the files' folder).
    alias = {}
    for svc, info in truth["services"].items():
        names = [r[0] for r in ws.cursor().execute(
            "SELECT DISTINCT service_name FROM logs WHERE origin LIKE ?",
            [f"%/{info['dir']}/%"]).fetchall()]
        assert len(names) == 1, (svc, names)
        alias[names[0]] = svc
    yield ws, truth, alias
    ws.close()


# ------------------------------------------------------------ expectations
def _volume(counts: dict[str, Any], spec: dict[str, Any]) -> Any:
    totals: dict[str, float] = collections.Counter()
    errors: dict[str, float] = collections.Counter()
    for r in counts["by_service_severity_hour"]:
        hour = r["hour"]
        if spec.get("lo") and hour < spec["lo"] or spec.get("hi") and hour >= spec["hi"]:
            continue
        if spec.get("svc") and r["service"] not in spec["svc"]:
            continue
        by = spec.get("by")
        key = {"service": r["service"], "severity": r["severity"], "day": hour[:10],
               "hour": hour, "month": hour[:7], None: "*"}[by]
        if spec.get("rate"):
            totals[key] += r["records"]
            if r["severity"] in ("ERROR", "FATAL"):
                errors[key] += r["records"]
            continue
        if spec.get("sev") and r["severity"] not in spec["sev"]:
            continue
        totals[key] += r["records"]
    if spec.get("rate"):
        totals = {k: errors[k] / v for k, v in totals.items()}
    return dict(totals) if spec.get("by") else totals.get("*", 0)


def expected(truth: dict[str, Any], spec: dict[str, Any]) -> tuple[Any, int | None]:
    """(answer, top): a number, or {key: number}; top N means the N largest of that dict."""
    counts = truth["counts"]
    if "volume" in spec:
        v = spec["volume"]
        return _volume(counts, v), v.get("top")
    if "table" in spec:
        table = {str(k): v for k, v in counts[spec["table"]].items()}
        return (sum(table.values()), None) if spec.get("total") else (table, spec.get("top"))
    if "http_status" in spec:
        by: dict[str, int] = collections.Counter()
        for day in counts["http_status_by_day"].values():
            for status, n in day.items():
                by[status] += n
        return (by[spec["http_status"]], None) if spec["http_status"] else (dict(by), None)
    if "firewall_by_day" in spec:
        return {d: a[spec["firewall_by_day"]] for d, a in counts["firewall_actions_by_day"].items()}, None
    if "orders_failed" in spec:
        return sum(d["failed"] for d in counts["orders"]["by_day"].values()), None
    raise AssertionError(f"unknown expectation {spec}")


def _key(v: Any, alias: dict[str, str]) -> str:
    if hasattr(v, "hour") and hasattr(v, "minute"):
        return v.strftime("%Y-%m-%dT%H")
    if hasattr(v, "isoformat"):
        return v.isoformat()
    return alias.get(str(v), str(v))


def _same(a: Any, b: Any) -> bool:
    return abs(float(a) - float(b)) <= 1e-9 * max(1.0, abs(float(b)))


def judge(frame, want: Any, top: int | None, alias: dict[str, str]) -> bool:
    """True when the result frame is exactly the expected answer."""
    if not isinstance(want, dict):
        return frame.shape[0] == 1 and _same(frame.iloc[0, -1], want)
    got = {_key(k, alias): v for k, v in zip(frame.iloc[:, 0], frame.iloc[:, -1])}
    if len(got) != len(frame):
        return False
    if top is None:
        return set(got) == set(want) and all(_same(got[k], want[k]) for k in want)
    best = sorted(want.values(), reverse=True)[:top]
    return (len(got) == len(best) and all(k in want and _same(v, want[k]) for k, v in got.items())
            and sorted(map(float, got.values()), reverse=True) == list(map(float, best)))


# ------------------------------------------------------------------- tests
def test_the_question_set_has_paraphrases_and_enough_questions() -> None:
    per_intent = collections.Counter(q["intent"] for q in QUESTIONS["questions"])
    assert len(QUESTIONS["questions"]) >= 60
    assert min(per_intent.values()) >= 3


def test_expectations_are_consistent_with_the_truth_totals(estate) -> None:
    ws, truth, alias = estate
    assert expected(truth, {"volume": {}})[0] == truth["counts"]["records_total"]
    per_service = expected(truth, {"volume": {"by": "service"}})[0]
    assert per_service == truth["counts"]["records_by_service"]


def test_offline_parser_answers_at_least_90_percent_exactly_and_never_wrongly(estate) -> None:
    ws, truth, alias = estate
    exact, refused, wrong = [], [], []
    for q in QUESTIONS["questions"]:
        want, top = expected(truth, q["expect"])
        try:
            res = ask(ws, q["question"], now=NOW)
        except NotUnderstood as exc:
            refused.append((q["question"], str(exc)))
            continue
        (exact if judge(res.frame, want, top, alias) else wrong).append((q["question"], res.sql))
    total = len(QUESTIONS["questions"])
    print(f"\nquestion set: {len(exact)}/{total} exact, {len(refused)} refused, {len(wrong)} wrong")
    assert not wrong, "answered wrongly:\n" + "\n\n".join(f"{q}\n{sql}" for q, sql in wrong)
    assert len(exact) >= 0.9 * total, "refused:\n" + "\n".join(q for q, _ in refused)


def test_unsupported_questions_are_refused_with_the_nearest_forms(estate) -> None:
    ws, truth, alias = estate
    for q in ("why is checkout slow?", "what is the weather in Paris", "which service failed most on blue moons"):
        with pytest.raises(NotUnderstood) as info:
            to_sql(ws, q, now=NOW)
        msg = str(info.value)
        assert "I do not understand" in msg and "Questions I can answer look like" in msg
        assert info.value.suggestions


# ------------------------------------------- the blind set, plain and renamed
def _bench():
    import importlib.util

    path = Path(__file__).parent / "benchmarks" / "question_accuracy.py"
    spec = importlib.util.spec_from_file_location("question_accuracy", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_a_blind_question_set_is_answered_as_well_on_a_renamed_estate(estate, tmp_path) -> None:
    """The same questions, re-rendered for an estate whose services, keys and words were
    renamed, must be answered as often: the parser reads the workspace, not the demo."""
    from logpilot_kernel.demo import render_answer, render_question

    bench = _bench()
    blind = json.loads((Path(__file__).parent / "data" / "questions_blind.json").read_text())
    assert blind["estate"]["days"] == QUESTIONS["estate"]["days"]
    assert blind["estate"]["seed"] == QUESTIONS["estate"]["seed"]
    end = NOW
    ws, _truth, _alias = estate
    plain = bench.ask_all(ws, [dict(q, question=render_question(q["question"], {}),
                                    answer=render_answer(q["answer"], {}))
                               for q in blind["questions"]], now=end)
    renamed_ws, truth = bench._demo_workspace(tmp_path, blind["estate"], rename_seed=1)
    try:
        renames = truth["renames"]
        assert renames  # the estate really is renamed
        qs = [dict(q, question=render_question(q["question"], renames),
                   answer=render_answer(q["answer"], renames)) for q in blind["questions"]]
        renamed = bench.ask_all(renamed_ws, qs, now=end)
    finally:
        renamed_ws.close()
    n = len(blind["questions"])
    print(f"\nblind set: plain {len(plain['exact'])}/{n}, renamed {len(renamed['exact'])}/{n}")
    assert len(plain["exact"]) >= 0.85 * n
    assert len(renamed["exact"]) >= len(plain["exact"]) - 1
    assert not plain["error"] and not renamed["error"]
