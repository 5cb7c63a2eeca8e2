"""Short conversation state: a follow-up refines the previous question instead of starting over.

"errors by service in May" -> "and only payment?" -> "why?" must mean: the same report
restricted to payment, then the cause of payment's errors in May. So each turn keeps its
*scope* (services, time window, entity) and the *base* question that later refinements
rebuild from; a follow-up contributes only what it names (a service, a window, an entity)
and inherits the rest. The state is small on purpose (the last few turns) and visible as
a plain dict (:meth:`Conversation.context`, ``%pilot context``), so an analyst can always
see what "and only payment?" will be applied to; :meth:`Conversation.reset` forgets it.

Everything here is pure: scopes are read from the text with the one time-phrase reader
(:mod:`logpilot_kernel.query.timephrase`, so "in May" means the same everywhere) and the
workspace's service names.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Iterable

from ..query import nl_grammar as g
from ..query.nl_grammar import services_in
from ..query.timephrase import blank_time, find_time, resolve_time
from .router import find_entity

#: Openings that mark a refinement of the previous question.
FOLLOWUP_START = re.compile(
    r"^\W*(?:and|but|also|plus|what about|how about|same (?:for|but|with)|now|only|just|then|"
    r"ok(?:ay)?|instead|except|again)\b", re.IGNORECASE)
#: Words that point back at the previous answer ("why did that happen?").
DEICTIC = re.compile(r"\b(?:that|this|it|those|these|them|there|then)\b", re.IGNORECASE)
#: Words a follow-up may carry besides its scope; anything else makes it a new question.
_FOLLOWUP_WORDS = frozenset("""
and but also plus what about how same only just now then ok okay instead except again too
well why so that this it those these them there explain cause caused causing happen happened
dashboard overview trace follow service services app please same window instead rather
""".split())
ADDITIVE = re.compile(r"\b(?:too|as well|also|plus|add)\b", re.IGNORECASE)
MAX_TURNS = 8
#: A bare year ("errors in 2019"): the SQL grammar reads months and dates, not years alone.
YEAR = re.compile(r"\b(?:in|during|for|of|from)?\s*((?:19|20)\d{2})\b(?![-/:])", re.IGNORECASE)


@dataclass
class Scope:
    """What a question is about: services, a ``[since, until)`` window, one entity."""

    services: list[str] = field(default_factory=list)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    entity: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"services": list(self.services),
                "since": self.since.isoformat() if self.since else None,
                "until": self.until.isoformat() if self.until else None,
                "entity": self.entity}

    @property
    def empty(self) -> bool:
        return not (self.services or self.since or self.until or self.entity)


def _times(text: str, now: dt.datetime) -> tuple[dt.datetime | None, dt.datetime | None, str]:
    """(since, until, rest) from the one time-phrase reader; rest has the phrases blanked."""
    spans = find_time(text, now=now)
    span = resolve_time(text, now=now)
    rest = blank_time(text, spans).lower()
    if span is None:
        m = YEAR.search(rest)
        if m:
            year = int(m.group(1))
            rest = rest[:m.start()] + " " * (m.end() - m.start()) + rest[m.end():]
            return dt.datetime(year, 1, 1), dt.datetime(year + 1, 1, 1), rest
        return None, None, rest
    return span.start, span.end, rest


def extract_scope(question: str, services: Iterable[str], now: dt.datetime) -> tuple[Scope, str]:
    """The scope a question names, and its words that are not scope (for follow-up tests)."""
    known = list(services)
    since, until, rest = _times(question, now)
    found = services_in(rest, known)
    entity = find_entity(question)
    for svc in found:
        rest = re.sub(rf"\b{re.escape(svc.lower())}(?:s|es)?\b", " ", rest)
    for word, svc in g.SERVICE_SYNONYMS.items():
        if svc in found:
            rest = re.sub(rf"\b{re.escape(word)}\b", " ", rest)
    if entity:
        rest = rest.replace(entity.lower(), " ")
    return Scope(found, since, until, entity), rest


def leftover_words(rest: str) -> list[str]:
    """Words of ``rest`` that are neither filler nor follow-up words."""
    words = re.findall(r"[a-z0-9_'-]+", rest.lower())
    return [w for w in words if w not in g.FILLER and w not in _FOLLOWUP_WORDS]


@dataclass
class Turn:
    """One answered question: as asked, how it was routed, its scope and its base question."""

    question: str
    intent: str
    engine: str
    scope: Scope
    base: str
    sql: str | None = None
    effective: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {"question": self.question, "intent": self.intent, "engine": self.engine,
                "scope": self.scope.to_dict(), "base_question": self.base, "sql": self.sql,
                "effective_question": self.effective or self.question}


@dataclass
class Resolved:
    """A question read against the conversation: is it a follow-up, and its merged scope."""

    question: str
    followup: bool
    scope: Scope
    own: Scope
    base: str
    previous: Turn | None
    changes: list[str] = field(default_factory=list)


class Conversation:
    """The last few turns of one analyst's questions (one per kernel, on ``pilot``)."""

    def __init__(self, max_turns: int = MAX_TURNS) -> None:
        self.max_turns = max_turns
        self.turns: list[Turn] = []

    @property
    def last(self) -> Turn | None:
        return self.turns[-1] if self.turns else None

    def reset(self) -> None:
        """Forget every turn: the next question starts from nothing."""
        self.turns.clear()

    def record(self, turn: Turn) -> None:
        self.turns.append(turn)
        del self.turns[:-self.max_turns]

    def context(self) -> dict[str, Any]:
        """The visible state: what a follow-up would refine (``%pilot context``)."""
        last = self.last
        return {
            "turns": len(self.turns),
            "intent": last.intent if last else None,
            "engine": last.engine if last else None,
            "base_question": last.base if last else None,
            "last_question": last.question if last else None,
            "scope": last.scope.to_dict() if last else Scope().to_dict(),
            "sql": last.sql if last else None,
            "history": [t.question for t in self.turns],
        }

    def resolve(self, question: str, services: Iterable[str], now: dt.datetime) -> Resolved:
        """Read ``question`` against the last turn: a follow-up inherits what it does not name.

        A follow-up opens with "and / what about / only ...", or points back ("why did
        that happen?"), or names nothing but scope ("in June?", "payment?", "why?").
        Services are replaced ("only payment", "what about checkout") unless the wording
        adds ("payment too"); a new window or entity replaces the old one.
        """
        known = list(services)
        own, rest = extract_scope(question, known, now)
        last = self.last
        if last is None:
            return Resolved(question, False, own, own, question, None)
        starts = bool(FOLLOWUP_START.search(question))
        bare = not leftover_words(rest)
        points_back = bool(DEICTIC.search(rest)) and own.empty
        if not (starts or bare or points_back):
            return Resolved(question, False, own, own, question, last)
        prev = last.scope
        merged = Scope(list(prev.services), prev.since, prev.until, prev.entity)
        changes: list[str] = []
        if own.services:
            if ADDITIVE.search(question):
                merged.services = list(dict.fromkeys(prev.services + own.services))
                changes.append("services + " + ", ".join(own.services))
            else:
                merged.services = list(own.services)
                changes.append("services = " + ", ".join(own.services))
        if own.since or own.until:
            merged.since, merged.until = own.since, own.until
            changes.append(f"window = {_fmt(own.since)} .. {_fmt(own.until)}")
        if own.entity:
            merged.entity = own.entity
            changes.append(f"entity = {own.entity}")
        return Resolved(question, True, merged, own, last.base, last, changes)


def _fmt(t: dt.datetime | None) -> str:
    return t.isoformat(sep=" ", timespec="minutes") if t else "?"
