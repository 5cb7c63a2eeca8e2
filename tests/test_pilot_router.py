"""The deterministic router and the conversation state, with no workspace (both are pure).

The labelled set (``tests/data/pilot_routes.json``) asks every intent several ways; the
router must route at least 95% of it right, and an ambiguous question must come back as
its two readings, never as a guess.
"""

from __future__ import annotations

import collections
import datetime as dt
import json
from pathlib import Path

import pytest

from logpilot_kernel.errors import LogPilotError
from logpilot_kernel.pilot import router
from logpilot_kernel.pilot.conversation import Conversation, Scope, Turn, extract_scope
from logpilot_kernel.pilot.engines import DashboardPlan, period_of, unknown_services

DATA = json.loads((Path(__file__).parent / "data" / "pilot_routes.json").read_text())
SERVICES = DATA["services"]
NOW = dt.datetime.fromisoformat(DATA["now"])


def _correct(item: dict, r: router.Route) -> bool:
    if "ambiguous" in item:
        return r.ambiguous and {a["intent"] for a in r.alternatives} == set(item["ambiguous"])
    return r.intent == item["intent"] and not r.ambiguous


def test_labelled_set_is_big_and_covers_every_intent_several_ways():
    labels = collections.Counter(i.get("intent", "ambiguous") for i in DATA["routes"])
    assert len(DATA["routes"]) >= 60
    for intent in router.INTENTS:
        assert labels[intent] >= 6, (intent, labels)
    assert labels["ambiguous"] >= 3
    assert len({i["q"].lower() for i in DATA["routes"]}) == len(DATA["routes"]), "duplicates"


def test_router_routes_at_least_95_percent_of_the_labelled_set():
    wrong = []
    for item in DATA["routes"]:
        r = router.route(item["q"], SERVICES, now=NOW)
        if not _correct(item, r):
            wrong.append((item["q"], item.get("intent", item.get("ambiguous")), r.intent,
                          r.ambiguous, r.scores))
    score = 1 - len(wrong) / len(DATA["routes"])
    assert score >= 0.95, f"{score:.1%} routed right; wrong: {wrong}"


def test_a_route_explains_itself():
    r = router.route("how many errors by service in May", SERVICES, now=NOW)
    assert (r.intent, r.engine) == ("report", "sql")
    assert "asks for a number" in r.reason and "breakdown" in r.reason
    assert "offline SQL parser" in r.reason
    assert 0.5 < r.confidence <= 1.0
    d = r.to_dict()
    assert set(d) >= {"intent", "engine", "reason", "confidence", "alternatives"}
    w = router.route("why is checkout failing?", SERVICES, now=NOW)
    assert (w.intent, w.engine) == ("why", "why") and "asks 'why'" in w.reason
    # The same words without the cue are a count: the cue, not the topic, decides.
    assert router.route("checkout failures", SERVICES, now=NOW).intent == "report"


def test_ambiguous_questions_offer_two_readings_of_different_engines():
    r = router.route("payment errors spike", SERVICES, now=NOW)
    assert r.ambiguous
    assert len(r.alternatives) == 2
    assert len({a["engine"] for a in r.alternatives}) == 2
    assert r.confidence < 0.6


def test_same_engine_readings_are_not_ambiguous():
    # why + entity and trace + entity both go to the why-engine: no question to ask back.
    r = router.route("why did order ORD-1234 fail?", SERVICES, now=NOW)
    assert r.intent == "why" and not r.ambiguous and r.entity == "ORD-1234"


def test_forcing_an_intent_and_refusing_an_unknown_one():
    r = router.route("payment errors spike", SERVICES, now=NOW, force="why")
    assert (r.intent, r.engine, r.forced, r.ambiguous) == ("why", "why", True, False)
    with pytest.raises(LogPilotError, match="unknown intent"):
        router.route("x", SERVICES, force="sql")


def test_nothing_recognised_goes_to_help_with_zero_confidence():
    r = router.route("banana", SERVICES, now=NOW)
    assert (r.intent, r.confidence) == ("schema", 0.0)


def test_followup_without_a_cue_keeps_the_previous_intent():
    r = router.route("and only payment?", SERVICES, now=NOW, previous="report", followup=True)
    assert (r.intent, r.followup) == ("report", True) and "follow-up" in r.reason
    r = router.route("why?", SERVICES, now=NOW, previous="report", followup=True)
    assert r.intent == "why"  # a strong cue of its own wins over the previous intent


def test_entities_by_shape():
    assert router.find_entity("trace 5ce6e47af625f38c44841ec32bf7f869 please") == \
        "5ce6e47af625f38c44841ec32bf7f869"
    assert router.find_entity("follow user u105144") == "u105144"
    assert router.find_entity("requests from 10.0.1.20") == "10.0.1.20"
    assert router.find_entity("errors by service") is None


# ------------------------------------------------------------ conversation
def _turn(q: str, intent: str, scope: Scope) -> Turn:
    return Turn(q, intent, router.ENGINE[intent], scope, q)


def test_scope_from_a_question():
    scope, _ = extract_scope("errors of payments and the db in May 2024", SERVICES, NOW)
    assert scope.services == ["payment", "postgres"]
    assert (scope.since, scope.until) == (dt.datetime(2024, 5, 1), dt.datetime(2024, 6, 1))
    scope, _ = extract_scope("how many errors in 2019", SERVICES, NOW)
    assert (scope.since, scope.until) == (dt.datetime(2019, 1, 1), dt.datetime(2020, 1, 1))


def test_followups_inherit_what_they_do_not_name():
    conv = Conversation()
    first = conv.resolve("errors by service in May", SERVICES, NOW)
    assert not first.followup
    conv.record(_turn("errors by service in May", "report", first.scope))
    res = conv.resolve("and only payment?", SERVICES, NOW)
    assert res.followup and res.base == "errors by service in May"
    assert res.scope.services == ["payment"]
    assert res.scope.since == dt.datetime(2024, 5, 1)  # the window is inherited
    conv.record(Turn("and only payment?", "report", "sql", res.scope, res.base))
    why = conv.resolve("why?", SERVICES, NOW)
    assert why.followup and why.scope.services == ["payment"]
    assert why.scope.until == dt.datetime(2024, 6, 1)
    too = conv.resolve("and checkout too", SERVICES, NOW)
    assert too.scope.services == ["payment", "checkout"]  # additive wording
    other = conv.resolve("what about checkout yesterday?", SERVICES, NOW)
    assert other.scope.services == ["checkout"]
    assert other.scope.since == dt.datetime(2024, 5, 30)


def test_a_new_question_is_not_a_followup():
    conv = Conversation()
    conv.record(_turn("errors by service in May", "report",
                      Scope([], dt.datetime(2024, 5, 1), dt.datetime(2024, 6, 1))))
    res = conv.resolve("why is checkout failing?", SERVICES, NOW)
    assert not res.followup and res.scope.since is None and res.scope.services == ["checkout"]


def test_context_is_visible_and_reset_forgets():
    conv = Conversation(max_turns=3)
    for i in range(5):
        conv.record(_turn(f"q{i}", "report", Scope(["payment"])))
    ctx = conv.context()
    assert ctx["turns"] == 3 and ctx["history"] == ["q2", "q3", "q4"]
    assert ctx["scope"]["services"] == ["payment"]
    conv.reset()
    assert conv.context()["turns"] == 0
    assert not conv.resolve("and only payment?", SERVICES, NOW).followup


# -------------------------------------------------------------- helpers
def test_dashboard_period_from_a_window():
    assert period_of(Scope()) == "all"
    assert period_of(Scope([], dt.datetime(2024, 5, 1), dt.datetime(2024, 6, 1))) == "2024-05"
    assert period_of(Scope([], dt.datetime(2024, 5, 30), dt.datetime(2024, 5, 31))) == "2024-05-30"
    assert period_of(Scope([], dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1))) == "2024"
    lo, hi = dt.datetime(2024, 5, 30, 9), dt.datetime(2024, 5, 30, 12)
    assert period_of(Scope([], lo, hi)) == (lo, hi)
    plan = DashboardPlan((lo, hi), ["payment"])
    assert plan.command == "%logpilot dashboard --period 2024-05-30T09:00..2024-05-30T12:00 --service payment"


def test_unknown_service_words():
    assert unknown_services("errors for the billing service", SERVICES) == ["billing"]
    assert unknown_services("kafka logs by hour", SERVICES) == ["kafka"]
    assert unknown_services("errors for the payment service", SERVICES) == []
    assert unknown_services("which service failed most", SERVICES) == []
