"""The why-engine over the demo estate, judged against the generator's ground truth.

Every injected incident is asked in each of its ground-truth phrasings, scoped to a
six-hour range around it (an analyst's "this afternoon"), and the true root-cause template
must come first in ``root_causes`` for >= 80% of questions, in the top 3 for >= 95%, with
the detected window within 2 minutes of the truth. The true template id is found from the
truth's ``line_contains`` in the truth's file, never from the engine.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import importlib.util
import io
import json
import re
from pathlib import Path
from typing import Any

import pytest

from logpilot_kernel.why import WhyAnswer, why

TOLERANCE_S = 120.0


def _why_questions() -> Any:
    """The time-style question set of the benchmark (one definition for both)."""
    path = Path(__file__).parent / "benchmarks" / "why_questions.py"
    spec = importlib.util.spec_from_file_location("why_questions", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


WQ = _why_questions()


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("tmp")
    truth = generate(root / "estate", days=3, seed=7).to_dict()
    ws = Workspace(root / "ws")
    ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    yield ws, truth
    ws.close()


def _ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).replace(tzinfo=None)


def true_template(ws: Any, inc: dict[str, Any]) -> str:
    """The template id of the truth's root-cause lines (majority over matching rows)."""
    rc = inc["root_cause"]
    conds = " AND ".join("message LIKE ?" for _ in rc["line_contains"])
    row = ws.cursor().execute(
        f"SELECT template_id, count(*) FROM logs WHERE origin LIKE ? AND {conds} "
        f"GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        ["%" + rc["file"].split("/", 1)[1]] + [f"%{x}%" for x in rc["line_contains"]]).fetchone()
    assert row is not None, rc
    return row[0]


def _scope(inc: dict[str, Any]) -> tuple[dt.datetime, dt.datetime]:
    return _ts(inc["start"]) - dt.timedelta(hours=3), _ts(inc["end"]) + dt.timedelta(hours=3)


def test_every_incident_phrasing_ranks_the_true_root_cause(estate) -> None:
    ws, truth = estate
    results = []
    for inc in truth["incidents"]:
        want = true_template(ws, inc)
        since, until = _scope(inc)
        assert len(inc["questions"]) >= 3
        for q in inc["questions"]:
            ans = why(ws, q, since=since, until=until)
            ids = [r["template_id"] for r in ans.root_causes]
            w = ans.window
            err = (max(abs((w.start - _ts(inc["start"])).total_seconds()),
                       abs((w.end - _ts(inc["end"])).total_seconds())) if w else float("inf"))
            results.append((inc["kind"], q, ids[:1] == [want], want in ids[:3], err))
    n = len(results)
    top1 = sum(r[2] for r in results) / n
    top3 = sum(r[3] for r in results) / n
    worst = max(r[4] for r in results)
    print(f"\nwhy over {n} questions: top-1 {top1:.0%}, top-3 {top3:.0%}, worst window error {worst:.0f} s")
    detail = "\n".join(f"{k}: {q} top1={a} top3={b} window_err={e:.0f}s" for k, q, a, b, e in results)
    assert top1 >= 0.8, detail
    assert top3 >= 0.95, detail
    assert worst <= TOLERANCE_S, detail


def test_the_answer_shows_its_evidence_and_passes_its_own_number_check(estate) -> None:
    from logpilot_kernel.why.narrative import check

    ws, truth = estate
    inc = next(i for i in truth["incidents"] if i["kind"] == "pool_exhaustion")
    ans = why(ws, "why are customers getting 503 on checkout?", since=_scope(inc)[0],
              until=_scope(inc)[1])
    d = json.loads(ans.to_json())
    assert {"window", "root_causes", "evidence", "narrative"} <= set(d)
    top = d["root_causes"][0]
    assert {"template", "service", "score", "count_before", "count_during", "p_value",
            "first_in_window", "score_explained"} <= set(top)
    assert top["p_value"] < 1e-6 and top["count_during"] > top["count_before"]
    # trace correlation: payment's row comes first in traces shared with checkout
    assert top["shared_traces"] >= 3 and top["first_in_shared_traces"] == top["shared_traces"]
    assert "checkout" in top["downstream_services"]
    cand = next(e for e in d["evidence"] if e["kind"] == "root_cause_candidate")
    assert cand["samples"] and {"origin", "origin_offset", "message"} <= set(cand["samples"][0])
    assert ans.narrative_source == "deterministic" and f"[{cand['id']}]" in ans.narrative
    assert check(ans.narrative, ans.evidence, d["window"]) == []
    html = ans._repr_html_()
    assert top["template"][:20] in html and "Window" in html
    rate, timeline = ans.figures()
    assert len(rate.data) == 1 and sum(rate.data[0].y) > 0 and len(timeline.data) >= 2


def test_significant_terms_and_new_templates_come_from_the_window(estate) -> None:
    ws, truth = estate
    inc = next(i for i in truth["incidents"] if i["kind"] == "firewall_block")
    ans = why(ws, "why can't checkout reach inventory?", since=_scope(inc)[0], until=_scope(inc)[1])
    top = ans.candidates[0].change.template_id
    terms = {(t["field"], t["value"]) for t in ans.terms if t["template_id"] == top}
    ents = inc["entities"]
    # the firewall's blocked destination is what distinguishes the window's blocks
    assert {(k, str(ents[v])) for k, v in (("DST", "dst_ip"), ("DPT", "dst_port"))} & terms, ans.terms
    deploy = next(i for i in truth["incidents"] if i["kind"] == "bad_deploy")
    ans = why(ws, "what changed before the catalog errors?", since=_scope(deploy)[0],
              until=_scope(deploy)[1])
    news = [e for e in ans.evidence if e["kind"] in ("new_template", "root_cause_candidate")
            and e.get("new") is not False]
    assert any(deploy["trigger"]["message_example"].split()[0] in e["template"] for e in news), news


def test_entity_questions_follow_the_entity_through_its_traces(estate) -> None:
    from logpilot_kernel.why.narrative import check

    ws, truth = estate
    done = 0
    for inc in truth["incidents"]:
        ents = inc["entities"]
        if "trace_id" not in ents:
            continue
        want = true_template(ws, inc)
        for q in (f"why did user {ents['user_id']} fail?", f"why did order {ents['order_id']} fail?"):
            ans = why(ws, q)
            assert ans.mode == "why" and ans.entity is not None, q
            rows = ans.entity.rows
            assert [r["timestamp"] for r in rows] == sorted(r["timestamp"] for r in rows)
            assert ents["trace_id"] in ans.entity.trace_ids, q
            assert ans.window.start - dt.timedelta(seconds=TOLERANCE_S) <= ans.entity.failure_at
            assert want in [r["template_id"] for r in ans.root_causes[:3]], q
            assert check(ans.narrative, ans.evidence, ans.window.to_dict()) == [], ans.narrative
            done += 1
        ans = why(ws, "what happened?", entity=ents["trace_id"])
        assert ans.entity is not None and ans.entity.direct >= 2
    assert done >= 6


def test_what_is_abnormal_finds_the_incidents_with_no_symptom(estate) -> None:
    ws, truth = estate
    ans = why(ws, "what is abnormal?")
    assert ans.mode == "abnormal"
    hit = 0
    for inc in truth["incidents"]:
        s, e = _ts(inc["start"]), _ts(inc["end"])
        hit += any(w.start < e and w.end > s for w in ans.windows)
    assert hit >= 4, [w.to_dict() for w in ans.windows]
    roots = {true_template(ws, inc) for inc in truth["incidents"]}
    top10 = [r["template_id"] for r in ans.root_causes[:10]]
    assert len(roots & set(top10)) >= 3, top10


def test_no_match_says_what_was_searched_and_suggests_scopes(estate) -> None:
    ws, truth = estate
    ans = why(ws, "why is the quantum flux capacitor overheating?")
    assert ans.mode == "no_match" and ans.root_causes == []
    assert "Searched" in ans.narrative and "quantum" in ans.narrative
    assert ans.suggestions
    services = {r[0] for r in ws.cursor().execute("SELECT DISTINCT service_name FROM logs").fetchall()}
    assert all(s["service"] in services and s["rows"] > 0 for s in ans.suggestions)
    ans = why(ws, "why is checkout failing?", since="2023-01-01", until="2023-01-02")
    assert ans.mode == "no_match" and "data covers" in ans.reason
    ans = why(ws, "why is it failing?", service="no-such-service")
    assert ans.mode == "no_match" and "no-such-service" in ans.reason and ans.suggestions
    ans = why(ws, "why did user u999999999 fail?")
    assert ans.mode == "no_match" and "u999999999" in ans.reason


def test_a_short_given_range_is_the_window_explain_this_spike(estate) -> None:
    ws, truth = estate
    inc = next(i for i in truth["incidents"] if i["kind"] == "disk_full")
    s, e = _ts(inc["start"]), _ts(inc["end"])
    ans = why(ws, "", since=s - dt.timedelta(minutes=2), until=e + dt.timedelta(minutes=2))
    assert isinstance(ans, WhyAnswer) and ans.window.how == "given"
    assert ans.root_causes[0]["template_id"] == true_template(ws, inc)


def test_cli_json_contract(estate) -> None:
    from logpilot_kernel.why.cli import add_subcommands

    ws, truth = estate
    parser = argparse.ArgumentParser(prog="logpilot")
    add_subcommands(parser.add_subparsers(dest="command"))
    inc = next(i for i in truth["incidents"] if i["kind"] == "tls_expired")
    args = parser.parse_args(["why", "are there any TLS or certificate errors?", "--workspace",
                              str(ws.path), "--since", _scope(inc)[0].isoformat(), "--until",
                              _scope(inc)[1].isoformat(), "--format", "json"])
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert args.func(args) == 0
    d = json.loads(out.getvalue())
    assert {"window", "root_causes", "evidence", "narrative"} <= set(d)
    assert all({"template", "service", "score"} <= set(r) for r in d["root_causes"])
    assert d["root_causes"][0]["template_id"] == true_template(ws, inc)


def test_quoted_text_finds_its_incident_without_a_time_range(estate) -> None:
    ws, truth = estate
    asked = 0
    for inc in truth["incidents"]:
        for q in inc["questions"]:
            if "'" in q.replace("can't", "").replace("n't", "") or '"' in q:
                ans = why(ws, q)
                assert ans.root_causes[0]["template_id"] == true_template(ws, inc), q
                assert ans.window.start <= _ts(inc["start"]) + dt.timedelta(seconds=TOLERANCE_S)
                asked += 1
    assert asked >= 1


def test_symptom_questions_in_every_time_style_find_the_root_cause_elsewhere(estate) -> None:
    """No since/until: the question's time phrase alone bounds the search, and the
    question names only the symptom's service, never the root cause's."""
    ws, truth = estate
    for k, inc in enumerate(truth["incidents"]):
        for _style, q, _now in WQ.styled_questions(inc, k):
            assert not re.search(rf"\b{re.escape(inc['root_cause']['service'])}\b", q.lower()), q
    rows = WQ.evaluate(ws, truth)
    s = WQ.summary(rows)
    print("\n" + json.dumps(s))
    detail = "\n".join(f"{r['style']:12} hit1={r['hit1']} hit3={r['hit3']} "
                       f"err={r['window_error_min']} min {r['question']} -> {r['top']}" for r in rows)
    styles = {"around", "part_of_day", "between", "yesterday", "weekday"}
    assert {r["style"] for r in rows} == styles and len(rows) == 5 * len(truth["incidents"])
    assert s["all"]["hit1"] >= 0.85 and s["all"]["hit3"] >= 0.9, detail
    assert s["all"]["window_within_2min"] >= 0.85, detail
    # a weekday may hold two incidents; every other style names one
    for style in styles - {"weekday"}:
        assert s[style]["hit1"] >= 0.9 and s[style]["window_within_2min"] >= 0.9, (style, detail)


def _quiet_early_hours(truth: dict[str, Any]) -> tuple[dt.date, dict[str, Any]]:
    """A day whose early hours hold no incident, and an incident later that day."""
    for inc in truth["incidents"]:
        day = _ts(inc["start"]).date()
        lo, hi = dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, dt.time(6))
        if _ts(inc["start"]) >= hi and not any(
                _ts(i["start"]) < hi + dt.timedelta(hours=2) and _ts(i["end"]) > lo
                for i in truth["incidents"]):
            return day, inc
    raise AssertionError("the demo estate has no incident after quiet early hours")


def test_the_time_phrase_bounds_the_search_a_later_incident_is_not_taken(estate) -> None:
    ws, truth = estate
    day, later = _quiet_early_hours(truth)
    svc, sym = WQ.symptom(later)
    ans = why(ws, f"what caused the {sym} in the early hours of {day.day} {day:%B}?")
    assert ans.scope.time is not None and ans.scope.time.kind == "part_of_day"
    assert ans.scope.time.label.startswith(f"{day:%Y-%m-%d} 00:00-06:00")
    lo, hi = dt.datetime.combine(day, dt.time()), dt.datetime.combine(day, dt.time(6))
    for w in [ans.window] + list(ans.windows):
        if w is not None:
            assert w.start < hi and w.end > lo, w  # inside the early hours, if anything
            assert not (w.start < _ts(later["end"]) and w.end > _ts(later["start"])), w
    if ans.window is None:
        assert ans.mode in ("abnormal", "no_match")


def test_around_centres_the_search_on_its_point(estate) -> None:
    ws, truth = estate
    for inc in truth["incidents"]:
        s0, e0 = _ts(inc["start"]), _ts(inc["end"])
        svc, sym = WQ.symptom(inc)
        # two hours before the incident: the incident is no answer to that question
        t = (s0 - dt.timedelta(hours=2)).replace(second=0, microsecond=0)
        ans = why(ws, f"what explains the {sym} around {t:%H:%M} UTC on {t:%B} {t.day}?")
        assert ans.scope.time.around == t
        if ans.window is not None:
            assert not (ans.window.start < e0 and ans.window.end > s0), (inc["kind"], ans.window)
            assert ans.window.start - dt.timedelta(minutes=20) <= t <= \
                ans.window.end + dt.timedelta(minutes=20), ans.window
        # at the incident: its window, to the minute
        t = s0 + dt.timedelta(minutes=5)
        ans = why(ws, f"what explains the {sym} around {t:%H:%M} UTC on {t:%B} {t.day}?")
        label = f"around {t:%Y-%m-%d %H:%M} UTC (±15 min)"
        assert ans.scope.time.label == label and label in ans.searched["time"]
        assert "<b>Time</b> " + label in ans._repr_html_()
        assert abs((ans.window.start - s0).total_seconds()) <= TOLERANCE_S, (inc["kind"], ans.window)
        assert ans.root_causes[0]["template_id"] == true_template(ws, inc), inc["kind"]


def test_a_day_with_two_incidents_explains_one_and_names_the_other(estate) -> None:
    ws, truth = estate
    by_day: dict[dt.date, list[dict[str, Any]]] = {}
    for inc in truth["incidents"]:
        by_day.setdefault(_ts(inc["start"]).date(), []).append(inc)
    day, incs = next((d, v) for d, v in sorted(by_day.items()) if len(v) >= 2)
    svc = WQ.symptom(incs[0])[0]
    ans = why(ws, f"what broke {svc} on {day:%A}?")
    assert ans.scope.time.kind == "weekday" and ans.scope.time.start.date() == day
    hit = [i for i in incs if ans.window.start < _ts(i["end"]) and ans.window.end > _ts(i["start"])]
    assert len(hit) == 1, ans.window
    others = [i for i in incs if i is not hit[0]]
    named = [w for w in ans.warnings if w.startswith("another burst in that time")]
    assert any(f"{_ts(o['start']):%Y-%m-%d %H}" in w for o in others for w in named), ans.warnings
