"""The deterministic router: which engine a question needs, with the reasons, no model.

Why cues with weights and not a classifier: the route must be explainable ("asks for a
number (+3.5)") and testable on a labelled set, and it must work offline with nothing
configured. Each intent has phrase cues; every cue that matches adds its weight and its
reason. One more signal is the SQL engine's own offline parser: a question it reads
completely *is* a report, so that counts for the report intent (pure: the parser runs on
the workspace's service names, nothing is queried).

Intents and their engines:

- ``report``    quantitative question -> the SQL engine (:func:`logpilot_kernel.query.ask`)
- ``dashboard`` "show me the dashboard / an overview" -> the dashboard widget
- ``why``       qualitative why / what is abnormal -> the why-engine
- ``trace``     follow one entity (order, user, trace id, IP) -> the why-engine's trail
- ``schema``    what is loaded, tables, fields, what can I ask -> the workspace's summary

When the two best intents lead to different engines and score within :data:`MARGIN`, the
route is *ambiguous*: the caller is offered both readings instead of a guess.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

INTENTS = ("report", "dashboard", "why", "trace", "schema")
ENGINE = {"report": "sql", "dashboard": "dashboard", "why": "why", "trace": "why",
          "schema": "schema"}
ENGINE_LABEL = {"sql": "SQL engine", "why": "why-engine", "dashboard": "dashboard",
                "schema": "workspace summary", "templates": "template retriever"}
#: Two readings closer than this (and leading to different engines) are offered, not picked.
MARGIN = 1.0
#: Below this best score nothing was recognised: the help answer, with examples.
MIN_SCORE = 1.0
#: A question the offline SQL parser reads completely counts this much for ``report``.
PARSER_WEIGHT = 3.0
PARSER_WEIGHT_CONTESTED = 1.5
PARSER_REASON = "the offline SQL parser reads every word"


@dataclass(frozen=True)
class Cue:
    """A phrase that votes for an intent: its pattern, weight and the reason shown."""

    intent: str
    pattern: re.Pattern[str]
    weight: float
    reason: str


def _cue(intent: str, pattern: str, weight: float, reason: str) -> Cue:
    return Cue(intent, re.compile(pattern, re.IGNORECASE), weight, reason)


_DIMS = (r"services?|hosts?|hours?|days?|dates?|months?|severit(?:y|ies)|levels?|templates?|"
         r"status(?: codes?)?|(?:source )?ips?|ports?|users?|paths?|endpoints?|sources?|minutes?|"
         r"weekdays?|weeks?|(?:day|days) of (?:the )?week|reasons?|codes?|types?|kinds?")
#: A statistic of a number: the SQL engine's, never a cause.
_STATS = (r"\bp(?:50|75|90|95|99)\b|\b\d{2}(?:st|nd|rd|th)?\s+percentile\b|\bpercentiles?\b|"
          r"\bmedian\b|\b(?:max|min|maximum|minimum)\b|\b(?:longest|shortest|slowest|fastest|"
          r"quickest|biggest|smallest|largest|highest|lowest|cheapest|priciest|heaviest)\b|"
          r"\bfraction\b|\bproportion\b|\bhow long\b")

CUES: tuple[Cue, ...] = (
    # --- why: a cause, an explanation, something abnormal
    _cue("why", r"^\W*why\b|\bhow come\b|\bwhy\s+(?:is|are|did|do|does|was|were|has|have|can'?t|cannot|"
                r"won'?t|would|so)\b", 4.0, "asks 'why': a cause, not a count"),
    _cue("why", r"\bwhy\s*\?+\s*$|(?<!most\s)(?<!least\s)\b(?:common|underlying|main|real)\s+(?:cause|reason)s?\b",
         4.0, "asks 'why' at the end, or for the common cause"),
    _cue("why", r"\broot[- ]?causes?\b|\bwhat\s+(?:caused|causes|is causing|was causing|"
                r"triggered|broke|led to)\b|\bcause of\b|\bwhat went wrong\b|\bwhat'?s wrong\b|"
                r"\bwrong with\b|\bculprit\b|\bresponsible for\b", 4.0, "asks for a cause"),
    _cue("why", r"\bwhat(?:'s| is| was| were| are)?\s+(?:explains?|explained|made|makes|"
                r"behind|brought\s+down|took\s+down|set\s+off|sets\s+off|is\s+to\s+blame|"
                r"went\s+wrong)\b|\bwhat\s+(?:broke|breaks|killed)\b", 5.0,
         "asks what explains a symptom"),
    _cue("why", r"\bexplain(?:s|ed)?\b|\bdiagnos\w*|\binvestigate\b|\bmake sense of\b", 3.0,
         "asks for an explanation"),
    _cue("why", r"\b(?:abnormal|unusual|anomal\w*|weird|strange|odd|outliers?|suspicious|"
                r"unexpected)\b", 3.5, "asks what is abnormal"),
    _cue("why", r"\bwhat(?:'s| is| was)\s+(?:going on|happening)\b|\banything\s+(?:wrong|off)\b",
         3.0, "asks what is going on"),
    _cue("why", r"\b(?:spikes?|spiked|surges?|jumps?|bursts?|outages?|incidents?|degraded|"
                r"degradation|timing out|time ?outs?|slow(?:er|ness)?|broken|down)\b", 1.5,
         "names a symptom"),
    # --- report: a number, a breakdown, a ranking
    _cue("report", r"\bhow\s+(?:many|much|often)\b|\bcount(?:s|ed)?\b|\bnumber\s+of\b|"
                   r"\btotals?\b|\bvolume\b", 3.5, "asks for a number"),
    _cue("report", rf"\b(?:by|per|for each|for every|grouped by|broken down by|split by)\s+"
                   rf"(?:{_DIMS})\b|\bbreakdown\b|\bbreak(?:s|ing)?\s+(?:it\s+)?down\b|"
                   r"\bbroken\s+down\b|\bhourly\b|\bdaily\b|\b(?:per|each|every)\s+(?:hour|day|"
                   r"weekday|week|month|minute)\b", 2.5, "asks for a breakdown"),
    _cue("report", _STATS, 3.5, "asks for a statistic of a number"),
    _cue("report", r"\b(?:when|what\s+time)\s+(?:did|was|were|is)\b.*\b(?:first|last)\b|"
                   r"\b(?:first|last)\s+(?:time|seen|occurrence)\b", 3.0,
         "asks when something first or last happened"),
    _cue("report", r"\btop\s+(?:\d+|ten|five|three)\b|\btop\b|\bmost\b|\bleast\b|\bfewest\b|\brarest\b|\bwhich\s+\w+\s+"
                   r"(?:failed|had|has|have|logged|produced|sent|saw)\b|\brank\w*|\bbusiest\b|"
                   r"\bnoisiest\b", 2.0, "asks for a ranking"),
    _cue("report", r"\b(?:rate|ratio|percentage|share|average|avg|mean|trend|distinct|unique)\b",
         2.0, "asks for a measure"),
    _cue("report", r"\b(?:errors?|warnings?|failures?|requests?|logins?|fatals?|status \d{3}|"
                   r"\d{3}s?)\b", 1.0, "names something countable"),
    _cue("report", r"^\W*(?:list|show|give me|get)\b", 0.5, "asks for rows"),
    # --- dashboard: a visual overview
    _cue("dashboard", r"\bdash\s?boards?\b", 5.0, "names the dashboard"),
    _cue("dashboard", r"\boverview\b|\bat a glance\b|\bkpis?\b|\bbig picture\b|\bhealth of\b|"
                      r"\bbird'?s[- ]eye\b|\bsummary view\b|\bcockpit\b|\bpanel\b", 3.5,
         "asks for an overview"),
    _cue("dashboard", r"\bvisuali[sz]e\b|\bcharts?\b|\bgraphs?\b|\bplots?\b", 1.5,
         "asks for a picture"),
    _cue("dashboard", r"^\W*(?:open|launch|bring up|pull up)\b", 1.5, "asks to open something"),
    # --- trace: follow one entity
    _cue("trace", r"\btrace\b(?!\s+messages)|\bfollow\b|\btrack\b|\bjourney\b|\btrail\b|"
                  r"\bend[- ]to[- ]end\b|\bacross (?:the )?services\b|\bhistory of\b|"
                  r"\btimeline (?:of|for)\b|\bwhat happened to\b|\bwhere did\b", 3.0,
         "asks to follow something across services"),
    # --- schema / help
    _cue("schema", r"\bschema\b|\btables?\b|\bcolumns?\b|\bfields?\b|\bjson keys?\b|"
                   r"\bcontext keys?\b|\battributes\b", 3.0, "asks about the data's structure"),
    _cue("schema", r"^\W*help\b|\bhelp me\b|\bwhat can (?:i|you)\b|\bhow do i\b|\bexamples?\b|"
                   r"\bwhat (?:kind of )?questions\b|\bwhat should i ask\b|\bhow does this work\b",
         4.0, "asks for help"),
    _cue("schema", r"\bwhat (?:data|logs|sources)\b|\bwhich (?:sources|logs)\b|"
                   r"\btime range\b|\bdate range\b|\bwhat(?:'s| is) (?:loaded|in (?:the|this) "
                   r"workspace)\b|\bloaded\b|\bcover(?:s|ed|age)?\b|\bavailable\b|"
                   r"\b(?:services|sources) (?:are|do you|exist)\b|\bwhat services\b",
         3.5, "asks what the workspace holds"),
)

#: Entity shapes: the thing a trace follows (kept here so routing needs no engine).
ENTITY_RES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("trace_id", re.compile(r"\b[0-9a-f]{16,32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-"
                            r"[0-9a-f]{4}-[0-9a-f]{12}\b", re.IGNORECASE)),
    ("ip", re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")),
    ("order", re.compile(r"\bORD-\d+\b", re.IGNORECASE)),
    ("id", re.compile(r"\b(?:user|customer|order|request|session|account|trace)\s*(?:id\s*)?"
                      r"[#:=]?\s*([A-Za-z]{0,4}[-_]?\d{3,})\b", re.IGNORECASE)),
    ("user", re.compile(r"\bu\d{4,}\b", re.IGNORECASE)),
)


@dataclass
class Route:
    """A routing decision: the intent, its engine, why, how sure, and the runner-up readings."""

    intent: str
    engine: str
    confidence: float
    reasons: list[str] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    alternatives: list[dict[str, Any]] = field(default_factory=list)
    ambiguous: bool = False
    entity: str | None = None
    followup: bool = False
    forced: bool = False

    @property
    def reason(self) -> str:
        """One line: the reasons that counted for the chosen intent."""
        return "; ".join(self.reasons) or "no cue matched"

    def to_dict(self) -> dict[str, Any]:
        """The ``route`` of an answer: intent, engine, reason, confidence, alternatives."""
        return {"intent": self.intent, "engine": self.engine, "reason": self.reason,
                "confidence": self.confidence, "alternatives": self.alternatives,
                "ambiguous": self.ambiguous, "followup": self.followup,
                "entity": self.entity, "scores": self.scores}


def find_entity(question: str) -> str | None:
    """The first entity-shaped token (trace id, IP, order id, user id), or None."""
    for _kind, rx in ENTITY_RES:
        m = rx.search(question)
        if m:
            return (m.group(1) if m.groups() and m.group(1) else m.group(0)).strip()
    return None


def _parser_reads(question: str, services: Iterable[str], now: dt.datetime | None,
                  vocabulary: Any = None) -> bool:
    """True when the SQL engine's offline parser places every word of ``question``: against
    the workspace's own lexicon when the caller has one (its fields, values and template
    words: "p95 of duration_ms" reads), else against the service names only."""
    from ..errors import LogPilotError
    from ..query.nl import NotUnderstood, Vocabulary, parse

    try:
        vocab = vocabulary if vocabulary is not None else Vocabulary(services=list(services))
        parse(question, vocab, now=now)  # None: the parser's own clock
    except NotUnderstood:
        return False
    except LogPilotError:
        return True  # every word was placed; only the SQL needs a field this vocabulary lacks
    except (StopIteration, ValueError, KeyError):
        return False
    return True


def score(question: str, services: Iterable[str] = (), now: dt.datetime | None = None,
          vocabulary: Any = None) -> tuple[dict[str, float], dict[str, list[str]], str | None]:
    """Scores and reasons per intent, and the entity named (pure; nothing is queried;
    ``vocabulary``: the workspace's lexicon, already loaded, for the parser cue)."""
    scores = {i: 0.0 for i in INTENTS}
    reasons: dict[str, list[str]] = {i: [] for i in INTENTS}
    text = question.strip()
    for cue in CUES:
        m = cue.pattern.search(text)
        if m:
            scores[cue.intent] += cue.weight
            reasons[cue.intent].append(f"{cue.reason}: {m.group(0).strip()!r} (+{cue.weight:g})")
    entity = find_entity(text)
    if entity:
        scores["trace"] += 2.0
        reasons["trace"].append(f"names an entity: {entity!r} (+2)")
        if not re.sub(r"[\W_]+", "", text.replace(entity, "")):
            scores["trace"] += 2.5
            reasons["trace"].append("the question is only that entity (+2.5)")
    if text and _parser_reads(text, services, now, vocabulary):
        # the parser skips function words, so reading a question whole is strong evidence
        # only when no other engine is named by a cue of its own ("an overview of errors")
        rival = max(v for k, v in scores.items() if k != "report")
        weight = PARSER_WEIGHT if rival < 3.0 else PARSER_WEIGHT_CONTESTED
        scores["report"] += weight
        reasons["report"].append(f"{PARSER_REASON} (+{weight:g})")
    if scores["why"] >= 3.0 and entity:
        # "why did order X fail" asks for a cause; the entity anchors it (same engine).
        scores["trace"] = min(scores["trace"], scores["why"] - 0.5)
    return scores, reasons, entity


def _reading(intent: str, value: float) -> dict[str, Any]:
    return {"intent": intent, "engine": ENGINE[intent], "score": round(value, 2)}


def route(question: str, services: Iterable[str] = (), *, now: dt.datetime | None = None,
          previous: str | None = None, followup: bool = False, force: str | None = None,
          vocabulary: Any = None) -> Route:
    """Decide the route of ``question`` (pure).

    ``previous`` is the intent of the conversation's last turn; with ``followup`` a
    question with no strong cue of its own ("and only payment?") keeps that intent.
    ``force`` picks an intent outright (the analyst chose one of two offered readings).
    """
    scores, reasons, entity = score(question, services, now, vocabulary)
    ranked = sorted(INTENTS, key=lambda i: (-scores[i], INTENTS.index(i)))
    if force:
        if force not in ENGINE:
            from ..errors import LogPilotError

            raise LogPilotError(f"unknown intent {force!r} (one of {', '.join(INTENTS)})")
        return Route(force, ENGINE[force], 1.0, [f"chosen by the analyst ({force})"],
                     _rounded(scores), [_reading(i, scores[i]) for i in ranked if i != force][:2],
                     entity=entity, followup=followup, forced=True)
    best, second = ranked[0], ranked[1]
    # a follow-up's own cues decide; the parser reading "and only payment?" is no cue
    own = max(scores[i] - sum(float(r.rsplit("(+", 1)[1].rstrip(")")) for r in reasons[i]
                              if r.startswith(PARSER_REASON)) for i in INTENTS)
    if followup and previous in ENGINE and own < 3.0:
        return Route(previous, ENGINE[previous], 0.9,
                     [f"follow-up: refines the previous {previous} question"]
                     + reasons[previous], _rounded(scores),
                     [_reading(i, scores[i]) for i in ranked if i != previous and scores[i] > 0][:2],
                     entity=entity, followup=True)
    top = scores[best]
    if top < MIN_SCORE:
        return Route("schema", "schema", 0.0, ["no cue matched: showing what can be asked"],
                     _rounded(scores), [], entity=entity, followup=followup)
    # Readings of the same engine are not a real choice ("why did order X fail": why/trace).
    rival = next((i for i in ranked[1:] if ENGINE[i] != ENGINE[best]), second)
    confidence = round(top / (top + scores[rival] + 1.0), 2)
    ambiguous = (ENGINE[rival] != ENGINE[best] and scores[rival] >= MIN_SCORE
                 and top - scores[rival] < MARGIN)
    alternatives = [_reading(i, scores[i]) for i in ranked[1:] if scores[i] > 0][:2]
    if ambiguous:
        alternatives = [_reading(best, top), _reading(rival, scores[rival])]
    return Route(best, ENGINE[best], confidence, reasons[best], _rounded(scores), alternatives,
                 ambiguous=ambiguous, entity=entity, followup=followup)


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {k: round(v, 2) for k, v in scores.items() if v}
