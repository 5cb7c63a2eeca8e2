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

import dataclasses
import datetime as dt
import difflib
import re
from dataclasses import dataclass
from typing import Any

from ..errors import LogPilotError
from . import nl_grammar as g
from . import nl_link as L
from . import nl_quantity as Q
from .lexicon import Lexicon
from .nl_time import Text as _Text
from .nl_time import label_of, legacy_times, parse_date, shared_reader
from .nl_filters import Words as _Words
from .nl_filters import check_against_lexicon as _check_against_lexicon
from .nl_filters import filters as _filters
from .nl_compare import (_OPERATOR, _compare_named, _lead_period, _period_label,
                         _parts_on_one_day, _share_year)
from .nl_dims import _scope
from .nl_parts import _PIVOT, _best_dims, _groups, _measures, _order
from .nl_sql import build_sql, reading_of
from .nl_outcomes import _other_template, _outcomes, _ratio_parts

Vocabulary = Lexicon  # the older name: callers build one with services/hosts/keys

__all__ = ["Intent", "NotUnderstood", "Parsed", "Vocabulary", "build_sql",
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
    not_services: list[str] = dataclasses.field(default_factory=list)  # "leaving X aside"
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
    ratio: bool = False  # the difference is a / b instead of a - b ("ratio of X in A to B")
    minus: bool = False  # "(A minus B)" between two periods: their difference
    ratio_values: tuple[str, str, str] | None = None  # (key, a, b): "ratio of 4xx to 5xx"
    by_metric: bool = False  # compared periods ranked by the measure ("more on A or on B?")
    key_services: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    top: int | None = None
    direction: str = "desc"
    share: list[str] = dataclasses.field(default_factory=list)
    compare: list[tuple[str, dt.datetime | None, dt.datetime | None]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    alternatives: list[str] = dataclasses.field(default_factory=list)
    distinct_slot: str | None = None
    #: "successful ...": rows not at these levels and whose template has none of these words
    exclude: tuple[tuple[str, ...], tuple[str, ...]] | None = None
    ungrounded: tuple[str, str] | None = None  # (statistic, why no numeric field): refuse
    #: (id key, failure levels, failure template words): a sum by meaning ("revenue") counts
    #: each transaction once, at its last record with the field, if none of its records failed
    once_per: tuple[str, tuple[str, ...], tuple[str, ...]] | None = None
    special: str | None = None
    requests: bool = False
    #: a number inside message text (:mod:`nl_quantity`): what the measure is taken of
    quantity: Any = None
    #: (quantity, operator, value in the family's base unit): "requests over 2s"
    qty_filters: list[tuple[Any, str, float]] = dataclasses.field(default_factory=list)
    #: a share of one outcome: the (service, template id, body) of every outcome it is among
    outcome_base: list[tuple[str, str, str]] = dataclasses.field(default_factory=list)
    ratio_parts: "tuple[Intent, Intent] | None" = None  # "ratio of A to B": count(A) / count(B)
    #: (word, [(service, template id, index, value)]): rows whose message holds the
    #: value in that parameter ("logins by deploy")
    slot_filters: list[tuple[str, list[tuple[str, str, int, str]]]] = dataclasses.field(
        default_factory=list)
    #: groupings by a template parameter ("slot:N" in ``group``): "which categories ..."
    slot_dims: dict[str, Any] = dataclasses.field(default_factory=dict)


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
        # a NUL ends DuckDB's SQL text (the statement after it would vanish): shown as \x00
        return "\n".join(x.replace("\n", " ").replace("\x00", "\\x00") for x in lines) + "\n" + self.sql


def _times(t: _Text, intent: Intent, now: dt.datetime, q: str) -> None:
    """The parser's own time grammar (kept for the pilot's and why-engine's helpers)."""
    def setter(lo: dt.datetime, hi: dt.datetime) -> None:
        if intent.lo is not None or intent.hi is not None:
            raise NotUnderstood(q, [], g.SUPPORTED_FORMS[:4], "two time ranges")
        intent.lo, intent.hi = lo, hi
    legacy_times(t, now, setter)


def _drop_container(spans: list) -> list:
    """"On Tuesday, how many more in the afternoon than in the early hours": the first
    period holds every later one (two or more), so it only dates them: the comparison is
    between the others."""
    first, rest = spans[0], spans[1:]
    if len(rest) >= 2 and first.start is not None and first.end is not None and all(
            sp.start is not None and sp.end is not None and first.start <= sp.start
            and sp.end <= first.end and (sp.start, sp.end) != (first.start, first.end) for sp in rest):
        return rest
    return spans


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
                spans = _parts_on_one_day(spans, intent.notes)
                spans = _drop_container(spans)
                lead = _lead_period(text, spans, t, intent)
                seen: set = set()  # "on A than on B (A minus B)": a period named again is one
                spans = [sp for sp in spans if not ((sp.start, sp.end) in seen
                                                    or seen.add((sp.start, sp.end)))]
                between = [text[a.stop + 1:b.begin + 1] for a, b in zip(spans, spans[1:])]
                before = text[:spans[0].begin + 1]
                if (len(spans) == 2 and re.search(r"\b(?:between|from)\s*$", before)
                        and re.fullmatch(r"\s*(?:and|to|until|till|through)\s*", between[0])):
                    lo, hi = spans[0].start, spans[1].end  # "between July 30 and August 1"
                    t.take(r"\b(?:between|from)\b")
                    intent.lo, intent.hi = lo, hi
                    intent.time_label = label_of(lo, hi)
                    return
                joiners = r"vs|versus|compared\s+(?:to|with)|against|and|or|than|minus" + (
                    r"|to" if re.search(r"\bratio\b", text) else "")  # "ratio of X in A to B"
                if not all(re.search(rf"\b(?:{joiners})\b", x) or _OPERATOR.fullmatch(x)
                           for x in between):
                    raise NotUnderstood(q, [], g.SUPPORTED_FORMS[:4], "two time ranges")
                t.take_all(r"\b(?:vs|versus|compared\s+(?:to|with)|against|compare|minus)\b")
                if lead is not None and len(spans) == 2 and (spans[1].start, spans[1].end) == lead:
                    spans = [spans[1], spans[0]]  # "B vs A, how many more on A?": A first
                intent.compare = [(_period_label(sp.start, sp.end, sp.label), sp.start, sp.end)
                                  for sp in spans]
            else:
                sp = spans[0]
                intent.lo, intent.hi, intent.time_label = sp.start, sp.end, sp.label
            return
    _times(t, intent, now, q)
    intent.time_label = label_of(intent.lo, intent.hi)


#: "leaving X aside", "except X", "other than X", "excluding X", "apart from X", "not
#: counting X", "X aside": a service named there is left out, not scoped to.
_EXCEPT = re.compile(r"\b(?:leaving|setting|putting|leave|set|put)\s+(?:the\s+)?([a-z][\w.-]*)\s+aside\b|"
                     r"\b(?:except(?:\s+for)?|other\s+than|excluding|exclude|apart\s+from|"
                     r"aside\s+from|besides|not\s+counting|ignoring|without)\s+(?:the\s+)?"
                     r"([a-z][\w.-]*)\b")


def _excluded_services(t: _Text, intent: Intent, lex: Lexicon) -> None:
    """Consume the services a question leaves out; only a word naming a service counts."""
    pos = 0
    while (m := _EXCEPT.search(t.s, pos)) is not None:
        word = m.group(1) or m.group(2)
        hit = L.link_service(word, lex)
        names = [hit[0]] if hit and hit[1] != "fuzzy" else L.services_named(word, lex)
        if not names:
            pos = m.end()
            continue
        intent.not_services += [n for n in names if n not in intent.not_services]
        t.blank(m.start(), m.end())
        pos = m.end()


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


def _level_compound(m: re.Match) -> str:
    """"error-level", "warning-severity": a severity word joined to a word naming the
    severity column (the table's ``dimensions``) is that severity, not one unknown word."""
    sev, dim = m.group(1), m.group(2)
    return sev if L.severity_of(sev) and L.builtin_dimension(dim) == "severity" else m.group(0)


#: "Of X, what share Y?": the whole named first, then the part's share.
_OF_WHOLE = re.compile(r"^\s*(?:of|among|out\s+of)\s+(?:all\s+)?(?:the\s+)?(.+?)\s+"
                       r"(what|which)\s+(share|percentage|percent|fraction|proportion)\s+"
                       r"(?:of\s+(?:them|those|these)\s+)?(?=\S)")


def _whole_first(text: str) -> str:
    """"of the X that were Y, what share went Z" as "what share of the X Y went Z": the
    share's own phrasing, with the relative clause's verb dropped (it would read as the
    point where the part begins)."""
    m = _OF_WHOLE.match(text)
    if not m:
        return text
    whole = re.sub(r"\b(?:that|which|who)\s+(?:were|was|are|is|had\s+been|have\s+been)\s+", "",
                   m.group(1))
    return f" {m.group(2)} {m.group(3)} of {whole} {text[m.end():]}"


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
    rest = re.sub(r"\b([1-5]\d\d)\s+ok\b", r"\1", rest)  # "200 OK": the code and its status text
    rest = re.sub(r"\b(\w+)\s+by\s+\1\b", r"by \1", rest)  # "hour by hour", "day by day"
    rest = _whole_first(rest)
    rest = re.sub(r"\b(?:log|logs|logged|logging)\s+(?:in|on)\b(?=\s+(?:successfully|"
                  r"unsuccessfully|as|over|via|using|with|from)\b|\s*$)", "login", rest)  # a sign-in
    rest = re.sub(rf"\b({g.COMPARATOR_WORDS})\s+(\d+(?:\.\d+)?)({Q.unit_rx()})(?![\w%])",
                  r"\1 \2 \3", rest)  # "over 2s": the number and its unit
    rest = re.sub(r"\b([a-z]+)-([a-z]+)\b", _level_compound, rest)  # "error-level": error
    t = _Text(rest)
    _read_time(t, intent, now, lex, question)
    if len(intent.compare) == 2 and t.take(r"\b(?:as\s+)?(?:an?\s+)?ratio\b(?!\s+of\b)"):
        intent.ratio = True  # "A compared with B, as a ratio": A / B
    elif len(intent.compare) == 2 and (t.take(r"\b(?:the\s+)?difference(?:\s+(?:in|of|between))?\b")
                                       or re.search(r"\bminus\b", rest)):
        intent.minus = True  # "A vs B: difference in X", "X on A minus those on B": A - B
    _excluded_services(t, intent, lex)
    scope = forced or _scope(t.s, lex)
    _measures(t, intent, lex, scope)
    if intent.ungrounded is not None and intent.field is None and intent.quantity is None:
        raise NotUnderstood(question, [intent.ungrounded[0]], g.SUPPORTED_FORMS[:3],
                            intent.ungrounded[1])
    t.take(rf"\bacross\s+(?:all|every)\s+(?:the\s+)?(?:{g._NUM}\s+)?[a-z]+\b")  # a total, not a grouping
    t.take(rf"\b(?:over\s+|during\s+|in\s+|for\s+)?(?:all|the\s+whole|the\s+entire)\s+(?:the\s+)?"
           rf"(?:{g._NUM}\s+)?(?:days|weeks|months|hours)\b(?:\s+of\s+data)?")  # the whole range
    t.take(rf"\b(?:over|during|in|for|across)\s+the\s+{g._NUM}\s+(?:days|weeks|months)\b")
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
    if intent.measure == "rate" and _ratio_parts(t, intent, lex, scope, question):
        pass
    elif intent.measure == "rate":
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
    # "who" needs a field naming the doers: grouped by, or counted ("customers who ...")
    if re.search(r"\bwho\b", question.lower()) and not intent.group and not (
            intent.measure == "distinct" and intent.field):
        raise NotUnderstood(question, ["who"], g.SUPPORTED_FORMS[:3],
                            "no field of these rows names who did it ('who')")
    _compare_named(intent, question, lex)
    if ("service" in intent.group or intent.field == "service") and len(intent.services) == 1 \
            and not intent.sources:  # "which 3 X components": X has no such field
        keys = sorted({ki.name for ki in lex.key_infos(intent.services)})[:8]
        raise NotUnderstood(question, [], g.SUPPORTED_FORMS[:3],
                            f"{intent.services[0]} is one service and none of its fields names "
                            f"that grouping (its fields: {', '.join(keys) or 'none'})")
    if intent.measure == "rate" and not intent.share and intent.numerator is None and not (
            intent.severities or intent.filters or intent.words or intent.texts or intent.exclude):
        intent.share.append("severity:ERROR,FATAL")
    _outcomes(intent, lex, question)
    _other_template(intent, lex, question)
    _check_against_lexicon(intent, lex)
    return Parsed(question, intent, build_sql(intent, lex), reading_of(intent, lex))
