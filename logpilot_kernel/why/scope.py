"""Scope a why-question: which services, which time range, which entities, which templates.

Why a scope first: every later step (window detection, contrast, causality) aggregates in
DuckDB over a slice of ``logs``; the slice must come from the question *and* from what the
workspace holds, never from a fixed list. Services are matched against the workspace's own
``service_name`` values (plus the query layer's synonyms), time phrases are read by the one
time-phrase module (:mod:`logpilot_kernel.query.timephrase`, so "around 14:30 UTC on July
1st" means the same in ``%%logsql``, ``%%logwhy``, the pilot and the dashboard),
entities are recognised by shape (trace ids, IPs, order and user ids) and then looked up
in ``context``, and templates are retrieved twice - by meaning from Chroma and by words in
DuckDB - because "checkout failing" must find "payment gateway returned 503" with no
shared word, while an exact phrase the analyst quotes must always be found.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..query import nl_grammar as g
from ..query.timephrase import TimeSpan, blank_time, find_time, resolve_time
from ..sqltext import literal

#: Words that carry no retrieval meaning in a why-question (on top of the SQL filler).
STOP = frozenset("""
why what whats how when where who is are was were did does do done doing the a an of in on
at to for from by with and or not no any there this that these those it its be been being
happen happened happening cause caused causing causes wrong problem problems issue issues
going get getting got stop stopped start started since before after during about my our
your their can cant can't could would should will just very many much more most some than
abnormal unusual anomaly anomalies pattern patterns here now today yesterday last past
fail failing failed failure failures error errors affect affects affected spike spikes
explain explains explained explaining behind made make makes broke break breaks broken
everything anything something around between utc
""".split())

TRACE_RE = re.compile(r"\b[0-9a-f]{16,32}\b|\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-"
                      r"[0-9a-f]{12}\b", re.IGNORECASE)
IP_RE = re.compile(r"(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}(?![\d.])")
#: "user 42", "order ORD-1", "customer u1023", "request abc": the noun names the kind.
NOUN_RE = re.compile(r"\b(user|customer|order|account|session|request|trace|ip|host|product)"
                     r"\s*(?:id\s*)?[#:=]?\s*([A-Za-z0-9][\w.:-]*\d[\w.:-]*)", re.IGNORECASE)
#: Identifier-shaped tokens without a noun: letters then digits joined (ORD-1234, u102415).
ID_RE = re.compile(r"\b(?=[A-Za-z]*\d)[A-Za-z]{1,6}[-_]?\d{3,}\b")
QUOTED = re.compile(r"\"([^\"]+)\"|'([^']{3,})'|`([^`]+)`")
ABNORMAL_RE = re.compile(r"\b(abnormal|unusual|anomal\w*|weird|strange|odd|outliers?)\b|"
                         r"\bwhat(?:'s| is)\s+(?:going\s+on|happening)\b", re.IGNORECASE)
STATUS_RE = re.compile(r"\b([1-5]\d\d)(?:'?s)?\b")  # "504", "the 504s"
#: What a why-question asks for, not what it is about: "the root cause of", "the common cause".
ASKED_FOR = re.compile(r"\b(?:root|common|underlying|main|real)[\s-]+(?:cause|reason)s?\b")


@dataclass
class Scope:
    """What a question is about; every field says where it came from in ``notes``."""

    question: str
    services: list[str] = field(default_factory=list)
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    entities: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    numbers: list[str] = field(default_factory=list)
    templates: list[dict[str, Any]] = field(default_factory=list)
    abnormal: bool = False
    notes: list[str] = field(default_factory=list)
    #: The question's own time phrase (None when the times came from arguments).
    time: TimeSpan | None = None

    @property
    def template_ids(self) -> list[str]:
        return [t["template_id"] for t in self.templates]

    def to_dict(self) -> dict[str, Any]:
        return {
            "services": self.services, "entities": self.entities, "keywords": self.keywords,
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
            "templates": [{k: t[k] for k in ("template_id", "template", "service", "how", "score")}
                          for t in self.templates],
            "abnormal": self.abnormal, "notes": self.notes,
            "time": self.time.label if self.time else None,
        }


def read_time(question: str, now: dt.datetime | None,
              data_range: tuple[dt.datetime, dt.datetime] | None = None
              ) -> tuple[TimeSpan | None, str]:
    """(the question's time span, the question with its time words blanked)."""
    span = resolve_time(question, now=now, data_range=data_range)
    return span, blank_time(question, find_time(question, now=now, data_range=data_range))


def parse_question(question: str, known_services: list[str], now: dt.datetime | None,
                   data_range: tuple[dt.datetime, dt.datetime] | None = None) -> Scope:
    """Services, times, entities, keywords and numbers named in ``question`` (no data read
    except ``data_range``, which gives year-less dates and weekdays their day)."""
    scope = Scope(question=question)
    span, rest = read_time(question, now, data_range)
    if span is not None:
        scope.time, scope.since, scope.until = span, span.start, span.end
        scope.notes.append(f"time from the question: {span.text!r} = {span.label}")
    quoted = [next(x for x in m.groups() if x) for m in QUOTED.finditer(question)]
    scope.keywords.extend(quoted)
    unquoted = QUOTED.sub(" ", rest)
    rest = rest.lower()
    ents: list[str] = []
    for m in NOUN_RE.finditer(unquoted):
        ents.append(m.group(2).rstrip(".:"))
    ents += TRACE_RE.findall(unquoted) + IP_RE.findall(unquoted)
    ents += [m.group(0) for m in ID_RE.finditer(unquoted)]
    scope.entities = list(dict.fromkeys(e for e in ents if e))
    scope.services = g.services_in(QUOTED.sub(" ", rest), known_services)
    scope.abnormal = bool(ABNORMAL_RE.search(question))
    scope.numbers = [n for n in STATUS_RE.findall(unquoted) if n not in scope.entities]
    words = re.findall(r"[a-z][a-z0-9_.-]{2,}", ASKED_FOR.sub(" ", QUOTED.sub(" ", rest).lower()))
    ent_low = {e.lower() for e in scope.entities}
    svc_low = {s.lower() for s in scope.services}
    scope.keywords += [w for w in dict.fromkeys(words)
                       if w not in STOP and w not in g.FILLER and w not in ent_low
                       and w.rstrip("s") not in svc_low and w not in svc_low]
    return scope


def retrieve_templates(ws: Any, cur: Any, scope: Scope, n_semantic: int = 12,
                       max_distance: float = 0.75) -> list[dict[str, Any]]:
    """Hybrid retrieval: Chroma neighbours of the question plus DuckDB text matches.

    Semantic hits are kept when their cosine distance is below ``max_distance``; text
    hits are templates containing a keyword (or a quoted phrase) of the question. The
    score is ``1 - distance`` for semantic hits and 1.0 for quoted phrases, so exact
    phrases the analyst typed always rank first.
    """
    hits: dict[str, dict[str, Any]] = {}
    text = " ".join(scope.keywords + scope.numbers) or scope.question
    if scope.keywords or scope.services:
        try:
            for h in ws.search_templates(text, n=n_semantic, failure_first=False):
                if h["distance"] <= max_distance:
                    hits[h["template_id"]] = dict(h, how="semantic", score=round(1 - h["distance"], 3))
        except Exception as exc:  # a broken store must not stop DuckDB's half
            scope.notes.append(f"semantic search unavailable: {str(exc).splitlines()[0][:120]}")
    for kw in scope.keywords:
        if len(kw) < 4 and kw not in scope.question.split('"'):
            continue
        rows = cur.execute(
            "SELECT template_id, template, first_service FROM templates "
            "WHERE template ILIKE ? ORDER BY count DESC LIMIT 20", [f"%{kw}%"]).fetchall()
        for tid, tpl, svc in rows:
            quoted = kw in re.findall(r"\"([^\"]+)\"|'([^']{3,})'", scope.question) or \
                f"'{kw}'" in scope.question or f'"{kw}"' in scope.question
            prev = hits.get(tid)
            score = 1.0 if quoted else 0.6
            if prev is None or prev["score"] < score:
                hits[tid] = {"template_id": tid, "template": tpl, "service": svc,
                             "distance": None, "how": "text" if prev is None else "both",
                             "score": score}
    return sorted(hits.values(), key=lambda h: -h["score"])


def entity_predicate(cur: Any, entity: str) -> str:
    """SQL predicate selecting the rows that mention ``entity``.

    Exact matches on the trace id, host and every top-level context value are cheap in
    DuckDB (one JSON scan); the raw message is searched too, so an id that no parser
    extracted into a field is still found.
    """
    e = literal(entity)
    ctx = f"list_contains(json_extract_string(context, '$.*'), {e})"
    if json.dumps(entity)[1:-1] == entity:
        # a substring test on the JSON text is a cheap prefilter (the JSON parse runs only
        # on hits), exact only when the value is written unescaped in that text: a quote,
        # backslash, newline or non-ASCII character may be escaped there, so such values
        # skip the prefilter rather than miss rows
        ctx = f"(contains(CAST(context AS VARCHAR), {e}) AND {ctx})"
    # contains(), not LIKE: an entity holding % or _ is text, not a pattern
    return f"(trace_id = {e} OR host = {e} OR {ctx} OR contains(message, {e}))"
