"""Plain English -> read-only SQL with no model: a composable reader grounded in the lexicon.

Why a reader and not a model: the product must answer the questions analysts ask most
offline, exactly, and say so when it does not understand instead of guessing. A question
is read as parts that compose, not as one of a list of intents: a *measure* (count, count
distinct FIELD, sum/avg/min/max, p50..p99, share "what fraction of", first/last seen),
*filters* (service, host, severity, field = value, template text, an entity such as an IP
or an id, a time window), *grouping* (any lexicon dimension, time buckets, weekday) and
*ranking and limit* (top/bottom N). Every content word must link to the workspace lexicon
(:mod:`lexicon`, via :mod:`nl_link`); function words and everyday verbs are skipped; a
content word that links to nothing makes the parser refuse, naming the nearest entries.

Each parse carries its *reading*: one canonical English sentence of what will be counted
(shown above the SQL), and notes when a filter names something the workspace does not
hold, or when another reading was plausible. Relative times are relative to ``now``.

Conventions: "errors" means severity ERROR or FATAL (at least ERROR); "warnings" WARN.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import dataclasses
from dataclasses import dataclass
from typing import Any

from ..errors import LogPilotError
from . import nl_grammar as g
from . import nl_link as L
from .lexicon import KeyInfo, Lexicon
from .nl_time import Text as _Text
from .nl_time import TwoRanges, label_of, legacy_times, parse_date, shared_reader
from .nl_filters import Words as _Words
from .nl_filters import check_against_lexicon as _check_against_lexicon
from .nl_filters import filters as _filters
from .nl_filters import key_services as _key_services
from .nl_sql import build_sql, reading_of

Vocabulary = Lexicon  # the older name: callers build one with services/hosts/keys

__all__ = ["Intent", "NotUnderstood", "Parsed", "Vocabulary", "answer_kind", "build_sql",
           "parse", "parse_date"]


class NotUnderstood(LogPilotError):
    """The question has words the parser cannot place; nothing was guessed."""

    def __init__(self, question: str, unknown: list[str], suggestions: list[str],
                 reason: str = "", nearest: dict[str, list[str]] | None = None) -> None:
        self.question = question
        self.unknown = unknown
        self.suggestions = suggestions
        self.nearest = nearest or {}
        what = reason or ("I do not understand " + ", ".join(repr(w) for w in unknown))
        near = "; ".join(f"{w!r} is not in this workspace (nearest: {', '.join(n)})"
                         for w, n in self.nearest.items() if n)
        forms = "; ".join(suggestions)
        super().__init__(f"{what} in {question!r}{'. ' + near if near else ''}. Questions I can "
                         f"answer look like: {forms}. Or write SQL, or configure a model "
                         "(%config LogPilot.llm).")


@dataclass
class Intent:
    """The meaning of a question, part by part; :func:`build_sql` turns it into SQL.

    ``filters`` are ``(key, value)`` pairs on ``context`` (a value ``5xx`` is a class);
    ``key_services`` says which services a key is read from; ``group`` holds built-in
    dimensions (service, severity, host, source, template, minute..month, weekday) or
    ``ctx:KEY``; ``share`` holds the conditions of the numerator of a share.
    """

    measure: str = "count"  # count | rate | distinct | sum | avg | min | max | pNN | first | last
    field: str | None = None
    severities: tuple[str, ...] = ()
    services: list[str] = dataclasses.field(default_factory=list)
    hosts: list[str] = dataclasses.field(default_factory=list)
    group: list[str] = dataclasses.field(default_factory=list)
    lo: dt.datetime | None = None
    hi: dt.datetime | None = None
    time_label: str = ""
    texts: list[str] = dataclasses.field(default_factory=list)
    words: list[str] = dataclasses.field(default_factory=list)
    filters: list[tuple[str, str]] = dataclasses.field(default_factory=list)
    present: list[str] = dataclasses.field(default_factory=list)
    entities: list[str] = dataclasses.field(default_factory=list)
    origins: list[str] = dataclasses.field(default_factory=list)
    sources: list[str] = dataclasses.field(default_factory=list)
    level_names: frozenset[str] = frozenset()  # level names written in capitals
    numerator: "Intent | None" = None  # a share's "... were X" part, when it has one
    share_at: int = 0  # where "what fraction of" ended in the question
    difference: tuple[str, str, str] | None = None  # (dimension, a, b): "how many more in a than b"
    by_metric: bool = False  # compared periods ranked by the measure ("more on A or on B?")
    key_services: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    top: int | None = None
    direction: str = "desc"
    share: list[str] = dataclasses.field(default_factory=list)
    compare: list[tuple[str, dt.datetime | None, dt.datetime | None]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    alternatives: list[str] = dataclasses.field(default_factory=list)
    distinct_slot: str | None = None
    special: str | None = None
    requests: bool = False


@dataclass
class Parsed:
    """A parsed question: its intent, the SQL that answers it, and how it was read."""

    question: str
    intent: Intent
    sql: str
    reading: str = ""

    @property
    def notes(self) -> list[str]:
        return self.intent.notes + [f"another reading: {a}" for a in self.intent.alternatives]

    @property
    def annotated_sql(self) -> str:
        """The SQL with the reading and notes above it, as SQL comments."""
        lines = [f"-- reading: {self.reading}"] + [f"-- note: {n}" for n in self.notes]
        return "\n".join(x.replace("\n", " ") for x in lines) + "\n" + self.sql


def _times(t: _Text, intent: Intent, now: dt.datetime, q: str) -> None:
    """The parser's own time grammar (kept for the pilot's and why-engine's helpers)."""
    def setter(lo: dt.datetime, hi: dt.datetime) -> None:
        if intent.lo is not None or intent.hi is not None:
            raise NotUnderstood(q, [], g.SUPPORTED_FORMS[:4], "two time ranges")
        intent.lo, intent.hi = lo, hi
    legacy_times(t, now, setter)


def _share_year(spans: list) -> list:
    """Spans of one list share the year one of them names ("July 29 vs July 30, 2015")."""
    years = {sp.start.year for sp in spans if sp.start is not None and re.search(r"\d{4}", sp.text)}
    if len(years) != 1:
        return spans
    year = years.pop()
    out = []
    for sp in spans:
        if sp.start is not None and not re.search(r"\d{4}", sp.text) and sp.start.year != year:
            try:
                start = sp.start.replace(year=year)
                end = sp.end.replace(year=year + (sp.end.year - sp.start.year)) if sp.end else None
            except ValueError:
                out.append(sp)
                continue
            sp = dataclasses.replace(sp, start=start, end=end,
                                     label=sp.label.replace(str(sp.start.year), str(year)))
        out.append(sp)
    return out


def _period_label(lo: dt.datetime | None, hi: dt.datetime | None, label: str) -> str:
    """A compared period as data: its day or month when it is one, else its label."""
    if lo is not None and hi is not None and lo.time() == dt.time() and hi.time() == dt.time():
        if hi - lo == dt.timedelta(days=1):
            return f"{lo:%Y-%m-%d}"
        if lo.day == 1 and hi.day == 1 and (hi.month - lo.month) % 12 == 1:
            return f"{lo:%Y-%m}"
    return label


def _read_time(t: _Text, intent: Intent, now: dt.datetime, lex: Lexicon, q: str) -> None:
    """Time phrases: the shared module's spans when installed (blanked by offset), else ours."""
    find_time = shared_reader()
    if find_time is not None:
        rng = (lex.first, lex.last) if lex.first is not None and lex.last is not None else None
        try:
            spans = find_time(t.s[1:-1], now=now, data_range=rng)
        except (ValueError, KeyError, StopIteration):
            spans = []
        if spans:
            text = t.s
            for sp in spans:
                t.blank(sp.begin + 1, sp.stop + 1)
            if len(spans) > 1:
                spans = _share_year(sorted(spans, key=lambda sp: sp.begin))
                between = [text[a.stop + 1:b.begin + 1] for a, b in zip(spans, spans[1:])]
                before = text[:spans[0].begin + 1]
                if (len(spans) == 2 and re.search(r"\b(?:between|from)\s*$", before)
                        and re.fullmatch(r"\s*(?:and|to|until|till|through)\s*", between[0])):
                    lo, hi = spans[0].start, spans[1].end  # "between July 30 and August 1"
                    t.take(r"\b(?:between|from)\b")
                    intent.lo, intent.hi = lo, hi
                    intent.time_label = label_of(lo, hi)
                    return
                if not all(re.search(r"\b(?:vs|versus|compared\s+(?:to|with)|against|and|or)\b",
                                     x) for x in between):
                    raise NotUnderstood(q, [], g.SUPPORTED_FORMS[:4], "two time ranges")
                t.take_all(r"\b(?:vs|versus|compared\s+(?:to|with)|against|compare)\b")
                intent.compare = [(_period_label(sp.start, sp.end, sp.label), sp.start, sp.end)
                                  for sp in spans]
            else:
                sp = spans[0]
                intent.lo, intent.hi, intent.time_label = sp.start, sp.end, sp.label
            return
    _times(t, intent, now, q)
    intent.time_label = label_of(intent.lo, intent.hi)


# ---------------------------------------------------------------- the reader
_WORDS = r"([a-z0-9_][a-z0-9_./:@-]*(?:\s+[a-z0-9_][a-z0-9_./:@-]*){0,2})"


def _dim(words: list[str], lex: Lexicon, scope: list[str], counting: bool = False
         ) -> tuple[str, int, list[KeyInfo]] | None:
    """The longest prefix (3..1 words) that names a dimension: (dim, words used, keys).

    ``counting``: the dimension is counted distinct, so id-like fields come first."""
    for k in range(min(3, len(words)), 0, -1):
        phrase = " ".join(words[:k])
        if k == 1 and words[0] in L.skip_words() and L.builtin_dimension(phrase) is None:
            continue
        b = L.builtin_dimension(phrase)
        if b and L.stem(phrase) != L.stem(b):  # "component": a field of that name wins
            own = [m for m in L.link_key(phrase, lex, scope) if m.how == "exact"
                   and m.info.name.lower() in (phrase, phrase.rstrip("s")) and m.info.distinct != 1]
            if own:
                return "ctx:" + own[0].info.name, k, [m.info for m in own]
        if b:
            return b, k, []
        if k == 1 and L.severity_of(words[0]):
            continue
        keys = [m for m in L.link_key(phrase, lex, scope, counting) if m.info.distinct != 1]
        if keys:
            return "ctx:" + keys[0].info.name, k, [m.info for m in keys if m.info.name == keys[0].info.name]
        stems = {L.stem(x) for x in words[:k]}
        if stems <= _IP_WORDS and stems & {"ip", "address", "addr"}:
            return "msgip", k, []  # no field holds it here: the first IP of the message
    return None


def _blank_words(t: _Text, start: int, n: int) -> None:
    """Blank the next ``n`` words of ``t`` from offset ``start``."""
    pos = start
    for _ in range(n):
        m = re.compile(r"\S+").search(t.s, pos)
        if not m:
            break
        t.blank(m.start(), m.end())
        pos = m.end()


def _take_dim(t: _Text, cue: str, intent: Intent, lex: Lexicon, scope: list[str]
              ) -> list[tuple[str, bool]]:
    """Find ``cue`` followed by a dimension; consume both; return (dimension, plural)s.

    Between the cue and the dimension may stand "the", a number ("which two components":
    the limit) and the name of a service or source ("which HDFS component": left for the
    filters)."""
    out = []
    pos = 0
    rx = re.compile(rf"\b(?:{cue})\s+")
    while (m := rx.search(t.s, pos)) is not None:
        toks = list(re.compile(r"\S+").finditer(t.s, m.end()))[:6]
        j, n, named = 0, None, []
        while j < len(toks) and j < 3:
            word = toks[j].group(0)
            if word in ("the", "a", "all", "its", "their"):
                j += 1
            elif re.fullmatch(g._NUM, word) and n is None and not named:
                n = j
                j += 1
            elif L.link_service(word, lex) or L.services_named(word, lex) or L.sources_named(
                    word, lex):
                named.append(j)
                j += 1
            else:
                break
        got = _dim([x.group(0) for x in toks[j:]], lex, scope) if j < len(toks) else None
        if got is None:
            pos = m.end()
            continue
        dim, k, infos = got
        t.blank(m.start(), m.end())
        for idx, tok in enumerate(toks[:j + k]):
            if idx not in named:
                t.blank(tok.start(), tok.end())
        if n is not None:
            intent.top = g.number(toks[n].group(0))
        _add_group(intent, dim, infos)
        last = toks[j + k - 1].group(0)
        out.append((dim, last.endswith("s") and not last.endswith(("ss", "us"))))
        pos = m.start()
    return out


def _add_group(intent: Intent, dim: str, infos: list[KeyInfo]) -> None:
    if dim not in intent.group:
        intent.group.append(dim)
    if infos:
        intent.key_services[dim[4:]] = _key_services(infos)


def _scope(s: str, lex: Lexicon) -> list[str]:
    """Services the question names or implies (by a value only they hold); not consumed."""
    found: list[str] = []
    for w in re.findall(r"[a-z][a-z0-9_-]*", s):
        if w in L.skip_words():
            continue
        hit = L.link_service(w, lex)
        if hit and hit[1] != "fuzzy":
            found.append(hit[0])
        elif not hit:
            src = L.sources_named(w, lex)
            found += ([x for x, s2 in lex.sources.items() if s2 in src] or L.services_named(w, lex)
                      or list(L.files_named(w, lex)))
        if hit and L.sources_named(w, lex):
            found += [x for x, s2 in lex.sources.items() if s2 in L.sources_named(w, lex)]
    if not found:
        for w in re.findall(r"[a-z][a-z0-9_-]*", s):
            if w in L.skip_words() or L.severity_of(w):
                continue
            vals = L.link_value(w, lex)
            if vals and len({v.info.service for v in vals}) == 1 and vals[0].how != "synonym":
                found.append(vals[0].info.service)
    return list(dict.fromkeys(found))


_AGG = {"average": "avg", "avg": "avg", "mean": "avg", "median": "p50", "total": "sum",
        "sum": "sum", "max": "max", "maximum": "max", "highest": "max", "largest": "max",
        "longest": "max", "slowest": "max", "peak": "max", "biggest": "max", "min": "min",
        "minimum": "min", "lowest": "min", "smallest": "min", "shortest": "min", "fastest": "min"}
_AGG_RE = (r"\b(average|avg|mean|median|total|sum|max|maximum|highest|largest|longest|"
           r"slowest|peak|biggest|min|minimum|lowest|smallest|shortest|fastest|"
           r"p(?:50|75|90|95|99)|(?:50|75|90|95|99)(?:th)?\s+percentile)\s+(?:of\s+)?(?:the\s+)?")


def _measures(t: _Text, intent: Intent, lex: Lexicon, scope: list[str]) -> None:
    if t.take(r"\b(?:error|failure|fail)\s+(?:rate|ratio|percentage|share|proportion)s?\b|"
              r"\b(?:rate|ratio|percentage|share|proportion)\s+of\s+(?:errors|failures)\b"):
        intent.measure = "rate"
        intent.share.append("severity:ERROR,FATAL")
    m = t.take(r"\b(?:what|which)?\s*(?:fraction|percentage|percent|share|proportion|ratio|%)\s+"
               r"of\b(?:\s+(?:the|all))?|\bhow\s+much\s+of\b")
    if m:
        intent.measure = "rate"
        intent.share_at = m.end()
    pos = 0
    while (m := re.compile(_AGG_RE + _WORDS).search(t.s, pos)):
        words = m.group(2).split()
        got = None
        if words[0] in _NOT_A_FIELD:
            pos = m.end(1)
            continue
        for k in range(min(3, len(words)), 0, -1):
            keys = [x for x in L.link_key(" ".join(words[:k]), lex, scope) if x.info.numeric]
            if keys:
                got = (keys, k)
                break
        if got is None:
            pos = m.end(1)
            continue
        keys, k = got
        word = m.group(1)
        pm = re.match(r"p?(\d\d)", word)
        intent.measure = f"p{pm.group(1)}" if pm else _AGG[word]
        intent.field = keys[0].info.name
        intent.key_services[intent.field] = _key_services(
            [x.info for x in keys if x.info.name == intent.field])
        t.blank(m.start(), m.start(2))
        _blank_words(t, m.start(2), k)
        break
    m = t.take(r"\b(?:how\s+many|number\s+of|count\s+of|count)?\s*(?:unique|distinct|different)\s+")
    if m:
        pos = m.start()
        words = t.s[m.end():].split()[:3]
        got = _dim(words, lex, scope, counting=True) if words else None
        if got:
            dim, k, infos = got
            _blank_words(t, m.end(), k)
            intent.measure, intent.field = "distinct", dim
            if infos:
                intent.key_services[dim[4:]] = _key_services(infos)
    else:
        m = re.search(r"\b(?:how\s+many|number\s+of)\s+" + _WORDS, t.s)
        if m:
            words = m.group(1).split()
            got = _dim(words, lex, scope, counting=True)
            rest = t.s[m.end(1):].split()[:2]
            phrase = got is not None and any(_in_one_template(words[got[1] - 1], x, lex)
                                             for x in (words[got[1]:] + rest)[:2])
            head = words[got[1] - 1] if got else ""
            plural = head.endswith("s") and not head.endswith(("ss", "us"))
            if got and not phrase and (got[2] and (got[2][0].kind in ("id", "ip") or plural)
                                       or got[0] in ("service", "host", "source")):
                dim, k, infos = got
                t.blank(m.start(), m.start(1))
                _blank_words(t, m.start(1), k)
                intent.measure, intent.field = "distinct", dim
                if infos:
                    intent.key_services[dim[4:]] = _key_services(infos)
                intent.alternatives.append("count of rows instead of distinct values")
    for measure, rx in _FIRST_LAST:
        m = re.search(rx, t.s)
        if m:
            intent.measure = measure
            for tok in re.finditer(r"\S+", m.group(0)):
                if tok.group(0) in _WHEN_WORDS or tok.group(0).startswith(
                        ("appear", "occur", "report", "happen")):
                    t.blank(m.start() + tok.start(), m.start() + tok.end())
            break


#: "when did X first ...", "first seen", "the latest ...": the cue words only are consumed.
_FIRST_LAST = [
    ("first", r"\bwhen\s+(?:was|were|is|did)\s+the\s+(?:first|earliest)\b|"
              r"\b(?:when\s+(?:was|were|did|is)\b[^?]*?\b)?(?:first\s+(?:seen|logged|appear\w*|"
              r"occur\w*|time|reported|happen\w*)|earliest)\b|\bwhen\s+did\b[^?]*\bfirst\b|"
              r"\bwhen\s+did\b[^?]*\b(?:start|begin|began)\b"),
    ("last", r"\bwhen\s+(?:was|were|is|did)\s+the\s+(?:last|latest|most\s+recent)\b|"
             r"\b(?:when\s+(?:was|were|did|is)\b[^?]*?\b)?(?:last\s+(?:seen|logged|appear\w*|"
             r"occur\w*|time|reported|happen\w*)|latest|most\s+recent(?:ly)?)\b|"
             r"\bwhen\s+did\b[^?]*\blast\b|\bwhen\s+did\b[^?]*\b(?:stop|end)\b"),
]
_WHEN_WORDS = frozenset("when was were is did the first earliest last latest most recent recently "
                        "seen time start begin began stop end".split())


#: The verb that splits a share into its base and its part ("of X were Y").
_PIVOT = re.compile(r"\b(?:are|were|was|is|got|get|returned|return|came|come|ended|had|have|has|"
                    r"targeted|resulted|went|hit|gave|produced|carried|contained|showed)\b")
_NOT_A_FIELD = frozenset("number count of rows records logs lines entries events messages".split())
_IP_WORDS = frozenset(L.stem(w) for w in ("ip", "ips", "address", "addr", "source", "src", "client", "remote"))

_DESC = r"most|busiest|noisiest|loudest|biggest|largest|highest|heaviest|worst|chattiest"
_ASC = r"least|fewest|quietest|smallest|lowest|rarest"
#: Superlatives that name the dimension after them ("the busiest day"), not the thing counted.
_BEST = (r"busiest|noisiest|quietest|loudest|chattiest|most\s+active|least\s+active|"
         r"least\s+busy|most\s+talkative")


def _order(t: _Text, intent: Intent) -> int | None:
    """Top/bottom N and superlatives; the offset right after "top N" (its dimension follows)."""
    N = g._NUM
    after = None
    m = t.take(rf"\b(top|first|highest|bottom|lowest)\s+({N})\b")
    if m:
        intent.top = g.number(m[2])
        intent.direction = "asc" if m[1] in ("bottom", "lowest") else "desc"
        after = m.end()
    m = t.take(rf"\b(?:the\s+)?({N})\s+(?:(?:{_DESC})|(?:{_ASC}))\b(?:\s+(?:common|frequent|active|"
               rf"noisy|often))?|\b({N})\s+(?:(?:{_DESC})|(?:{_ASC}))\b")
    if m:
        n = m.group(1) or m.group(2)
        intent.top = g.number(n)
        intent.direction = "asc" if re.search(rf"\b(?:{_ASC})\b", m.group(0)) else "desc"
        after = m.end()
    m = t.take(rf"\b(?:the\s+)?(?:{_ASC})\b(?:\s+(?:common|frequent|often|active))?")
    if m:
        intent.direction = "asc"
        intent.special = intent.special or "superlative"
    m = t.take(rf"\b(?:the\s+)?(?:{_DESC})\b(?:\s+(?:common|frequent|often|active|noisy))?")
    if m:
        intent.special = intent.special or "superlative"
    return after


def _in_one_template(a: str, b: str, lex: Lexicon) -> bool:
    """Both words occur in one template ("jobs stalled" -> "job stalled")."""
    if a in L.skip_words() or b in L.skip_words():
        return False
    fa, fb = set(L.template_forms_wide(a, lex)), set(L.template_forms_wide(b, lex))
    if not fa or not fb:
        return False
    for tpls in lex.templates.values():
        for _tid, body, _n in tpls:
            low = set(re.findall(r"[a-z][a-z0-9]*", body.lower()))
            if low & fa and low & fb:
                return True
    return False


def _dim_after(t: _Text, pos: int, intent: Intent, lex: Lexicon, scope: list[str]) -> None:
    """The dimension of "top N [adjectives] X": up to two words may sit between; the head
    noun (the last word before a function word) is preferred ("job failure reasons")."""
    toks = list(re.compile(r"\S+").finditer(t.s, pos))[:5]
    words = [m.group(0) for m in toks]
    np_len = next((n for n, x in enumerate(words) if x in L.skip_words()), len(words))
    for j in range(1, min(3, np_len)):
        got = _dim(words[j:np_len], lex, scope)
        if got and j + got[1] == np_len:
            dim, k, infos = got
            for m in toks[j:j + k]:
                t.blank(m.start(), m.end())
            _add_group(intent, dim, infos)
            return
    for j in range(0, min(3, len(words))):
        if j and words[j - 1] in ("by", "per"):
            return
        got = _dim(words[j:], lex, scope)
        if got:
            dim, k, infos = got
            for m in toks[j:j + k]:
                t.blank(m.start(), m.end())
            _add_group(intent, dim, infos)
            return


def _best_dims(t: _Text, intent: Intent, lex: Lexicon, scope: list[str]) -> None:
    """"the busiest day", "the quietest services": a superlative naming its dimension."""
    m = re.search(rf"\b(?:({g._NUM})\s+)?({_BEST})\s+\S", t.s)
    if not m:
        return
    best = _take_dim(t, re.escape(m.group(2)).replace("\\ ", r"\s+"), intent, lex, scope)
    if best:
        if m.group(1):
            intent.top = g.number(m.group(1))
            t.blank(m.start(1), m.end(1))
        elif intent.top is None:
            intent.top = 10 if best[0][1] else 1
        if re.fullmatch(rf"{_ASC}|least\s+active|least\s+busy", m.group(2)):
            intent.direction = "asc"


def _groups(t: _Text, intent: Intent, lex: Lexicon, scope: list[str],
            after_top: int | None = None) -> None:
    if after_top is not None:
        _dim_after(t, after_top, intent, lex, scope)
    by = _take_dim(t, r"grouped\s+by|broken\s+down\s+by|split\s+by|by|per|for\s+each|for\s+every|"
                 r"in\s+each|each|every|across|among|distribution\s+of|breakdown\s+of|"
                 r"rank|ranked|sort|sorted|list", intent, lex, scope)
    topped = _take_dim(t, r"top", intent, lex, scope)
    bottomed = _take_dim(t, r"bottom", intent, lex, scope)
    if (topped or bottomed) and intent.top is None:
        intent.top = 10
    if bottomed:
        intent.direction = "asc"
    which = _take_dim(t, r"which|what", intent, lex, scope)

    for m in t.take_all(r"\b(minutely|hourly|daily|weekly|monthly)\b"):
        _add_group(intent, g.PERIOD_ADVERBS[m[1]], [])
    if t.take(r"\bday\s+of\s+(?:the\s+)?week\b|\bweekdays?\b"):
        _add_group(intent, "weekday", [])
    if t.take(r"\btrend\b|\bover\s+time\b|\btimeline\b|\bhour\s+by\s+hour\b"):
        _add_group(intent, "hour", [])
    pos = 0
    while (m := re.compile(r"\b" + _WORDS + r"\s+(?:breakdown|distribution|counts|totals)\b"
                           ).search(t.s, pos)):
        words = m.group(1).split()
        got = None
        for i in range(len(words)):
            got = _dim(words[i:], lex, scope)
            if got and got[1] == len(words) - i:
                _blank_words(t, m.start(1) + len(" ".join(words[:i])) + (1 if i else 0), got[1])
                _add_group(intent, got[0], got[2])
                break
        if got:
            t.take(r"\b(?:breakdown|distribution|counts|totals)\b")
        pos = m.end()
    if intent.top is None and which and intent.special == "superlative":
        intent.top = 10 if which[0][1] else 1
    elif intent.top is None and intent.special == "superlative" and intent.group:
        intent.top = 10 if by and by[0][1] else 1
    if intent.special == "superlative":
        intent.special = None
    tb = [d for d in intent.group if d in ("minute", "hour", "day", "week", "month")]
    if len(tb) > 1:
        intent.group = [d for d in intent.group if d != "hour"] if "hour" in tb else intent.group


def parse(question: str, vocab: Lexicon, now: dt.datetime | None = None) -> Parsed:
    """Parse ``question`` into SQL over ``logs``; raise :class:`NotUnderstood` otherwise.

    When the template words of the question occur in other services than the fields it
    groups or filters by, it is read once more scoped to the services of those templates
    ("top five ips by failed logins": the IPs of the service that logs failed logins).
    """
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    first = _parse(question, vocab, now, None)
    i = first.intent
    if i.words and not i.services:
        implied = _word_services(i, vocab)
        keyed = {s for k in _keys_of(i) for s in i.key_services.get(k, [])}
        if implied and (keyed and not keyed & implied or "msgip" in i.group
                        or i.field == "msgip"):
            try:
                return _parse(question, vocab, now, sorted(implied))
            except NotUnderstood:
                return first
    return first


_CMP = re.compile(r"\b(?:vs\.?|versus|compare[ds]?|comparison|or|than|between|against)\b")
_MORE = re.compile(r"\b(?:more|most|fewer|less|higher|lower|bigger|larger)\b")


def _compare_named(intent: Intent, question: str) -> None:
    """Two services or sources named with a comparison: one row each (or their difference)."""
    low = question.lower()
    if intent.compare and _MORE.search(low):
        intent.by_metric = True
    many, dim = ((intent.services, "service") if len(intent.services) >= 2 else
                 (intent.sources, "source") if len(intent.sources) >= 2 else ([], ""))
    if not many or intent.group or intent.compare or not _CMP.search(low):
        return
    if len(many) == 2 and re.search(r"\bhow\s+(?:many|much)\s+more\b", low) and " than " in low:
        intent.difference = (dim, many[0], many[1])
    else:
        intent.group.append(dim)


def _keys_of(i: Intent) -> list[str]:
    keys = [k for k, _ in i.filters] + i.present + [d[4:] for d in i.group if d.startswith("ctx:")]
    return keys + ([i.field[4:] if i.field.startswith("ctx:") else i.field] if i.field else [])


def _word_services(i: Intent, lex: Lexicon) -> set[str]:
    """Services with a template holding every template-word filter of the intent."""
    out = set()
    for svc, tpls in lex.templates.items():
        for _tid, body, _n in tpls:
            low = body.lower()
            if all(any(f in low for f in forms.split("|")) for forms in i.words):
                out.add(svc)
                break
    return out


def _parse(question: str, lex: Lexicon, now: dt.datetime, forced: list[str] | None) -> Parsed:
    intent = Intent()
    intent.level_names = frozenset(re.findall(r"\b(ERROR|WARN|WARNING|FATAL|INFO|DEBUG|TRACE)S?\b",
                                              question))
    quoted = [next(x for x in m.groups() if x) for m in g.QUOTED.finditer(question)]
    intent.texts = quoted
    rest = g.QUOTED.sub(" ", question).lower().replace("’", "'")
    rest = re.sub(r"(\w)\(([\w.-]+)\)", "\\1\x00\\2\x01", rest)  # name(part) stays one word
    rest = re.sub(r"[?!;(),]", " ", rest).replace("\x00", "(").replace("\x01", ")")
    rest = re.sub(r"'s\b", " ", rest)
    rest = re.sub(r"(?<=\w)\.(?=\s|$)", " ", rest)
    rest = re.sub(r"\b(\d{3}|\dxx)'?s\b", r"\1", rest)  # "404s", "5xxs"
    t = _Text(rest)
    _read_time(t, intent, now, lex, question)
    scope = forced or _scope(t.s, lex)
    _measures(t, intent, lex, scope)
    t.take(rf"\bacross\s+all\s+(?:the\s+)?(?:{g._NUM}\s+)?[a-z]+\b")  # a total, not a grouping
    _best_dims(t, intent, lex, scope)
    after_top = _order(t, intent)
    _groups(t, intent, lex, scope, after_top)
    if intent.texts:  # the quoted text was lifted out already; its verb stays behind
        t.take_all(r"\b(?:containing|contains|contain|mentioning|mention|matching|with text|"
                   r"saying|say|says|like|about|text)\b")
    for m in t.take_all(r"\b(?:containing|mentioning|matching|with text|saying)\s+"
                        r"([a-z0-9_./-]+)"):
        intent.texts.append(m[1])
    unknown: list[str] = []
    if intent.measure == "rate":
        m = _PIVOT.search(t.s, intent.share_at) if intent.share_at else None
        content = [x for x in re.findall(r"[\w/.-]+", t.s[intent.share_at or 0:m.start()] if m else "")
                   if x not in L.skip_words()]
        if m and content and [x for x in re.findall(r"[\w/.-]+", t.s[m.end():])
                              if x not in L.skip_words()]:
            part = _Text(t.s[m.end():-1])
            t.blank(m.start(), len(t.s))
            num = Intent(level_names=intent.level_names)
            unknown += _filters(_Words(part), num, lex, scope, question)
            intent.numerator = num
    w = _Words(t)
    unknown += _filters(w, intent, lex, scope, question)
    if unknown:
        near = {u: L.nearest(u, lex) for u in unknown}
        forms = difflib.get_close_matches(question.lower(), g.SUPPORTED_FORMS, n=3, cutoff=0.0)
        raise NotUnderstood(question, unknown, forms, nearest=near)
    if re.search(r"\bwho\b", question.lower()) and not intent.group:
        raise NotUnderstood(question, ["who"], g.SUPPORTED_FORMS[:3],
                            "no field of these rows names who did it ('who')")
    _compare_named(intent, question)
    if ("service" in intent.group or intent.field == "service") and len(intent.services) == 1 \
            and not intent.sources:  # "which 3 X components": X has no such field
        keys = sorted({ki.name for ki in lex.key_infos(intent.services)})[:8]
        raise NotUnderstood(question, [], g.SUPPORTED_FORMS[:3],
                            f"{intent.services[0]} is one service and none of its fields names "
                            f"that grouping (its fields: {', '.join(keys) or 'none'})")
    if intent.measure == "rate" and not intent.share and intent.numerator is None and not (
            intent.severities or intent.filters or intent.words or intent.texts):
        intent.share.append("severity:ERROR,FATAL")
    _check_against_lexicon(intent, lex)
    return Parsed(question, intent, build_sql(intent, lex), reading_of(intent, lex))


def answer_kind(parsed: Parsed) -> dict[str, Any]:
    """How the question was read, for display under the SQL (slots that were filled)."""
    i = parsed.intent
    out: dict[str, Any] = {"measure": i.measure, "reading": parsed.reading}
    for name in ("field", "severities", "services", "hosts", "group", "texts", "words", "filters",
                 "entities", "top", "notes", "alternatives"):
        value = getattr(i, name)
        if value:
            out[name] = list(value) if isinstance(value, (tuple, list)) else value
    if i.lo or i.hi:
        out["time"] = [x.isoformat() if x else None for x in (i.lo, i.hi)]
    return out
