"""Phrase patterns of the offline English parser: dates, numbers, cue words.

Kept apart from :mod:`nl` so the phrases analysts use can grow without touching the
reader. No word here names a product, a service or a field: those are learned from the
workspace (:mod:`lexicon`) or live in the synonym table (``synonyms.json``).
"""

from __future__ import annotations

import re
from typing import Iterable

from . import nl_link
from .timewords import CARDINALS

MONTHS: dict[str, int] = {
    m: i + 1 for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"])
}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})
MONTHS["sept"] = 9
_MON = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"

NUMBERS: dict[str, int] = {**CARDINALS, "a dozen": 12, "dozen": 12}
_NUM = r"(?:\d+|" + "|".join(sorted(NUMBERS, key=len, reverse=True)) + ")"

#: A calendar date in the forms analysts type: 2024-05-31, May 31(st) [2024], 31 May [2024].
DATE = (rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MON}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}(?:,?\s+\d{{4}})?)")
TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
DATETIME = rf"(?:{DATE}(?:\s+(?:at\s+)?{TIME})?|{TIME})"

#: Severity words -> normalised levels ("errors" means ERROR and FATAL: at least ERROR).
SEVERITY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (r"(?:fatals?|critical)(?:\s+(?:errors?|failures?))?", ("FATAL",)),
    (r"errors?|failures?|failed|failing|fails?|error[- ]level", ("ERROR", "FATAL")),
    (r"warnings?|warns?|warn[- ]level", ("WARN",)),
    (r"info(?:rmational)?(?: messages)?", ("INFO",)),
    (r"debug(?: messages)?", ("DEBUG",)),
    (r"traces? messages", ("TRACE",)),
]

#: Built-in grouping dimensions (phrase -> name), from the synonym table.
DIMENSIONS: list[tuple[str, str]] = [
    (re.escape(w) + "(?:s|es)?", dim) for w, dim in
    sorted(((w, d) for d, ws in nl_link.table()["dimensions"].items() for w in ws),
           key=lambda p: -len(p[0]))]
_DIM_ALT = "|".join(p for p, _ in DIMENSIONS)

#: Adverbs that mean "group by time".
PERIOD_ADVERBS = {"minutely": "minute", "hourly": "hour", "daily": "day", "weekly": "week",
                  "monthly": "month"}


class _Pairs(dict):
    """word -> word of the same synonym group; iterating yields every pair of a group."""

    def items(self):  # type: ignore[override]
        for group in nl_link.table()["groups"]:
            for a in group:
                for b in group:
                    if a != b:
                        yield a, b


#: Other names of things (from the synonym table), for callers that look service names up.
SERVICE_SYNONYMS: dict[str, str] = _Pairs(
    {a: b for a, b in _Pairs().items()})


def services_in(text: str, services: Iterable[str]) -> list[str]:
    """Workspace services named in ``text``: their names, plural forms, or synonyms.

    Shared by the why-engine's scope and the pilot's follow-up context, so a service a
    question names is found the same way by both (and by the SQL parser's linking).
    """
    low = text.lower()
    known = list(services)
    found: list[str] = []
    for svc in sorted(known, key=len, reverse=True):
        if re.search(rf"\b{re.escape(svc.lower())}(?:s|es)?\b", low):
            found.append(svc)
    words = re.findall(r"[a-z][a-z0-9_-]*", low)
    for svc in known:
        if svc in found:
            continue
        syn = nl_link.synonyms(svc.lower())
        if len(syn) > 1 and any(nl_link.stem(w) in syn for w in words):
            found.append(svc)
    return found


#: Words that carry no meaning for the query once the slots are taken.
FILLER: frozenset[str] = nl_link.skip_words()

#: Shapes of the questions the parser reads (shown when it refuses, next to the nearest
#: names of the workspace).
SUPPORTED_FORMS: list[str] = [
    "how many errors in May 2024",
    "how many errors yesterday",
    "how many warnings in the last 24 hours",
    "errors since 10:00",
    "errors between May 30 and May 31",
    "errors by service",
    "which service failed most",
    "log volume per hour for SERVICE",
    "error rate by service",
    "top 5 templates for SERVICE errors",
    "average FIELD per hour",
    "p95 FIELD by service",
    "how many distinct FIELD",
    "what fraction of SERVICE logs are errors",
    "top 3 FIELD values where FIELD is VALUE",
    'how many logs containing "some text"',
    "count records by severity",
]

#: Words before a threshold ("over 2s", "more than 500 ms"), for splitting "2s" in two.
COMPARATOR_WORDS = r"over|above|exceeding|than|under|below|least|most|beyond"

QUOTED = re.compile(r"\"([^\"]+)\"|'([^']{2,})'(?!\w)|“([^”]+)”")
IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"


def number(text: str) -> int:
    """``"5"`` or ``"five"`` -> 5."""
    return int(text) if text.isdigit() else NUMBERS[text]


def dim_phrase() -> str:
    """Alternation of every built-in dimension phrase."""
    return _DIM_ALT
