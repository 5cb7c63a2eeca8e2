"""Comparisons in a question: two periods ("Friday vs Monday", "A minus B", "A / B", "how
many more on A"), two services or sources, and "A per B" of two values of one field.

Why a module of its own: the reader of a question (:mod:`nl`) finds the periods and the
filters; which of them is the first term and whether the answer is a difference, a ratio
or one row each is decided here, from the wording alone.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import TYPE_CHECKING

from . import nl_link as L
from .lexicon import Lexicon
from .nl_time import Text as _Text

if TYPE_CHECKING:
    from .nl import Intent

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


#: "A minus B", "A / B", "A divided by B" between two time phrases: A is the first term.
_OPERATOR = re.compile(r"\s*(?:minus|/|divided\s+by)\s*")
#: The operator followed by words the question already said ("blocks in A minus blocks in B").
_OPERATOR_AGAIN = re.compile(r"\s*(?:minus|divided\s+by)\s+((?:[a-z0-9_-]+\s+){1,5})")
_LINKS = frozenset("in on at during of the for from".split())


def _repeats_before(text: str, begin: int, mid: str) -> bool:
    """"X in A minus X in B": the operator, then only words said before A (and links)."""
    m = _OPERATOR_AGAIN.fullmatch(mid)
    if m is None:
        return False
    said = set(re.findall(r"[a-z0-9_-]+", text[:begin]))
    words = [w for w in m.group(1).split() if w not in _LINKS]
    return bool(words) and all(w in said for w in words)


def _parts_on_one_day(spans: list, notes: list[str]) -> list:
    """"Wednesday afternoon vs morning": a part of the day named alone, after a period that
    names its day, is on that day (not the latest such part); said in a note."""
    out, day = [], None
    for sp in spans:
        bare = sp.kind == "part_of_day" and re.fullmatch(r"(?:(?:in|during)\s+)?(?:the\s+)?(?:early\s+|small\s+|late\s+)?[a-z]+",
                                                         sp.text.strip())
        if bare and day is not None and sp.start is not None and sp.end is not None \
                and sp.start.date() != day:
            start = dt.datetime.combine(day, sp.start.time())
            new = dataclasses.replace(sp, start=start, end=start + (sp.end - sp.start),
                                      label=sp.label.replace(str(sp.start.date()), str(day)))
            note = f"'{sp.text.strip()}' read on {day}, the day named before it"
            if note not in notes:
                notes.append(note)
            sp = new
        elif not bare and sp.start is not None and sp.end is not None \
                and sp.end - sp.start <= dt.timedelta(days=1):
            day = sp.start.date()
        out.append(sp)
    return out


def _lead_period(text: str, spans: list, t: _Text, intent: Intent) -> tuple | None:
    """The period a comparison puts first when the wording says so, else None: the left
    term of an explicit "A minus B" / "A / B" (the operator is consumed; "/" and "divided
    by" make it a ratio), or the period right after "how many more" ("Tuesday vs Monday:
    how many more on Monday?"). Without either, the periods stay as they are named, first to last."""
    for a, b in zip(spans, spans[1:]):
        mid = text[a.stop + 1:b.begin + 1]
        if (a.start, a.end) != (b.start, b.end) and (
                _OPERATOR.fullmatch(mid) or _repeats_before(text, a.begin + 1, mid)):
            t.blank(a.stop + 1, b.begin + 1)
            intent.ratio, intent.minus = "minus" not in mid, "minus" in mid
            return (a.start, a.end)
    m = re.search(r"\bhow\s+(?:many|much)\s+more\b", text)
    after = [sp for sp in spans if m is not None and sp.begin + 1 >= m.end()]
    if after and not re.search(r"\bthan\b", text[m.end():after[0].begin + 1]):
        return (after[0].start, after[0].end)
    return None


def _period_label(lo: dt.datetime | None, hi: dt.datetime | None, label: str) -> str:
    """A compared period as data: its day or month when it is one, else its label."""
    if lo is not None and hi is not None and lo.time() == dt.time() and hi.time() == dt.time():
        if hi - lo == dt.timedelta(days=1):
            return f"{lo:%Y-%m-%d}"
        if lo.day == 1 and hi.day == 1 and (hi.month - lo.month) % 12 == 1:
            return f"{lo:%Y-%m}"
    return label


_CMP = re.compile(r"\b(?:vs\.?|versus|compare[ds]?|comparison|or|than|between|against)\b")
_MORE = re.compile(r"\b(?:more|most|fewer|less|higher|lower|bigger|larger)\b")


#: "A per B", "A for every B": a rate of one kind of row to another
_PER = re.compile(r"\b([a-z][\w-]*)\s+(?:per|for\s+every|for\s+each|to\s+every)\s+"
                  r"(?:an?\s+|each\s+|every\s+|single\s+)?([a-z][\w-]*)\b")


def _per_values(intent: Intent, low: str, lex: Lexicon) -> tuple[str, str, str] | None:
    """(field, A, B) when the question asks "A per B" and A and B are the two values of one
    field it filters by ("blocks per allow"); None otherwise ("errors per hour" groups)."""
    keys = [k for k, _ in intent.filters]
    two = [k for k in dict.fromkeys(keys) if keys.count(k) == 2]
    if len(two) != 1:
        return None
    values = [v for k, v in intent.filters if k == two[0]]
    for m in _PER.finditer(low):
        named = []
        for word in (m[1], m[2]):
            hit = [x.value for x in L.link_value(word, lex) if x.info.name == two[0]
                   and x.value in values]
            named.append(hit[0] if len(hit) == 1 else None)
        if None not in named and named[0] != named[1]:
            return two[0], named[0], named[1]
    return None


def _compare_named(intent: Intent, question: str, lex: Lexicon | None = None) -> None:
    """Two services or sources named with a comparison: one row each (or their difference)."""
    low = question.lower()
    if intent.compare and _MORE.search(low):
        intent.by_metric = True
    if (intent.measure == "rate" and intent.numerator is None and not intent.share
            and not intent.compare and re.search(r"\bratio\s+of\b.*\bto\b", low)):
        keys = [k for k, _ in intent.filters]
        two = [k for k in dict.fromkeys(keys) if keys.count(k) == 2]
        if len(two) == 1:  # "ratio of A to B", two values of one field: count(A) / count(B)
            a, b = [v for k, v in intent.filters if k == two[0]]
            intent.filters = [(k, v) for k, v in intent.filters if k != two[0]]
            intent.measure, intent.share_at, intent.ratio_values = "count", 0, (two[0], a, b)
            if two[0] not in intent.present:
                intent.present.append(two[0])
            return
    if intent.measure == "count" and not intent.group and not intent.compare and lex is not None:
        per = _per_values(intent, low, lex)
        if per is not None:  # "blocks per allow": count(A) / count(B), two values of one field
            key, a, b = per
            intent.filters = [(k, v) for k, v in intent.filters if k != key]
            intent.ratio_values = per
            if key not in intent.present:
                intent.present.append(key)
            return
    if (len(intent.compare) == 2 and not intent.group and intent.measure == "rate"
            and intent.numerator is None and not intent.share and re.search(r"\bratio\s+of\b", low)):
        intent.measure, intent.share_at, intent.ratio = "count", 0, True  # A / B, as one number
        intent.difference = ("period", intent.compare[0][0], intent.compare[1][0])
        return
    if len(intent.compare) == 2 and not intent.group and intent.ratio and intent.measure != "rate":
        intent.difference = ("period", intent.compare[0][0], intent.compare[1][0])  # A / B
        return
    if (len(intent.compare) == 2 and not intent.group
            and (intent.minus or re.search(r"\bhow\s+(?:many|much)\s+more\b", low))):  # A - B
        intent.difference = ("period", intent.compare[0][0], intent.compare[1][0])
        return
    many, dim = ((intent.services, "service") if len(intent.services) >= 2 else
                 (intent.sources, "source") if len(intent.sources) >= 2 else ([], ""))
    if not many or intent.group or intent.compare or not _CMP.search(low):
        return
    if len(many) == 2 and re.search(r"\bhow\s+(?:many|much)\s+more\b", low) and " than " in low:
        intent.difference = (dim, many[0], many[1])
    else:
        intent.group.append(dim)
