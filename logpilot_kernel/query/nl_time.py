"""Time phrases for the offline parser: the shared time-phrase module when it is there,
the parser's own small grammar otherwise.

Why both: ``timephrase`` (owned with the why-engine) is the one reader every surface must
agree on; until it lands, and for the older helpers the pilot and the why-engine call
(``_Text``, ``_times``, ``parse_date``), the grammar below keeps answering the forms it
always did. Relative times are relative to ``now`` (naive UTC); "since 10:00" is the latest
10:00 at or before ``now``; a date without a year is its latest occurrence at or before
``now``; a date-only end bound ("between May 30 and May 31") includes that whole day.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Callable

from . import nl_grammar as g


def _year_for(month: int, day: int, now: dt.datetime) -> int:
    year = now.year
    return year if dt.datetime(year, month, day) <= now else year - 1


def parse_date(text: str, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """A DATETIME phrase -> (naive UTC datetime, has_time_of_day)."""
    text = text.strip().lower().replace(",", " ")
    tm = re.search(g.TIME, text)
    t = dt.time(*map(int, tm.group(0).split(":"))) if tm else None
    body = (text[:tm.start()] + text[tm.end():]).replace(" at ", " ").strip() if tm else text
    if not body:
        base = dt.datetime.combine(now.date(), t or dt.time())
        return (base if base <= now else base - dt.timedelta(days=1)), True
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", body)
    if m:
        d = dt.date(int(m[1]), int(m[2]), int(m[3]))
    else:
        words = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", body).replace(" of ", " ").split()
        month = next(g.MONTHS[w] for w in words if w in g.MONTHS)
        nums = [int(w) for w in words if w.isdigit()]
        day = next(n for n in nums if n <= 31)
        year = next((n for n in nums if n > 31), None) or _year_for(month, day, now)
        d = dt.date(year, month, day)
    return dt.datetime.combine(d, t or dt.time()), t is not None


def month_range(month: int, year: int | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if year is None:
        year = now.year if dt.datetime(now.year, month, 1) <= now else now.year - 1
    lo = dt.datetime(year, month, 1)
    hi = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return lo, hi


_UNITS = {"minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1),
          "day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}


class Text:
    """The question being consumed: matched spans are blanked out (offsets never move)."""

    def __init__(self, s: str) -> None:
        self.s = f" {s} "

    def blank(self, start: int, end: int) -> None:
        self.s = self.s[:start] + " " * (end - start) + self.s[end:]

    def take(self, pattern: str, flags: int = 0) -> re.Match[str] | None:
        m = re.search(pattern, self.s, flags)
        if m:
            self.blank(m.start(), m.end())
        return m

    def take_all(self, pattern: str) -> list[re.Match[str]]:
        out = []
        while (m := self.take(pattern)) is not None:
            out.append(m)
        return out


class TwoRanges(ValueError):
    """The question names two time ranges that do not combine."""


def legacy_times(t: Text, now: dt.datetime, setter: Callable[[dt.datetime, dt.datetime], None]) -> None:
    """The parser's own time grammar: consumes the phrases from ``t``, calls ``setter``."""
    D = g.DATETIME
    m = t.take(rf"\b(?:between|from)\s+({D})\s+(?:and|to|until)\s+({D})\b")
    if m:
        lo, _ = parse_date(m[1], now)
        hi, has_t = parse_date(m[2], now)
        setter(lo, hi if has_t else hi + dt.timedelta(days=1))
    m = t.take(rf"\b(?:since|after|from)\s+({D})\b")
    if m:
        setter(parse_date(m[1], now)[0], now)
    m = t.take(rf"\b(?:in|during|over|for|within)?\s*(?:the\s+)?(?:last|past|previous)\s+"
               rf"(?:({g._NUM})\s+)?(minute|hour|day|week)s?\b")
    if m:
        n = g.number(m[1]) if m[1] else 1
        setter(now - n * _UNITS[m[2]], now)
    m = t.take(r"\b(yesterday|today)\b")
    if m:
        day = dt.datetime.combine(now.date(), dt.time())
        lo = day - dt.timedelta(days=1) if m[1] == "yesterday" else day
        setter(lo, lo + dt.timedelta(days=1))
    m = t.take(rf"\b(?:on|for|at)?\s*({g.DATE})\b")
    if m:
        lo, _ = parse_date(m[1], now)
        setter(lo, lo + dt.timedelta(days=1))
    m = t.take(rf"\b(?:in|during|for|of)?\s*({g._MON})(?:\s+(\d{{4}}))?\b")
    if m:
        year = int(m[2]) if m[2] else None
        setter(*month_range(g.MONTHS[m[1]], year, now))


def label_of(lo: dt.datetime | None, hi: dt.datetime | None) -> str:
    """Canonical English for a window: "on 2024-07-01 UTC", "2024-07-01 14:00-16:00 UTC"."""
    if lo is None and hi is None:
        return ""
    if lo is not None and hi is not None:
        if lo.time() == dt.time() and hi.time() == dt.time():
            if hi - lo == dt.timedelta(days=1):
                return f"on {lo:%Y-%m-%d} UTC"
            if lo.day == 1 and hi.day == 1 and (hi.month - lo.month) % 12 == 1:
                return f"in {lo:%Y-%m} UTC"
            return f"from {lo:%Y-%m-%d} to {hi - dt.timedelta(days=1):%Y-%m-%d} UTC"
        if lo.date() == hi.date():
            return f"on {lo:%Y-%m-%d} {lo:%H:%M}-{hi:%H:%M} UTC"
        return f"from {lo:%Y-%m-%d %H:%M} to {hi:%Y-%m-%d %H:%M} UTC"
    if lo is not None:
        return f"since {lo:%Y-%m-%d %H:%M} UTC"
    return f"before {hi:%Y-%m-%d %H:%M} UTC"


def shared_reader() -> Any:
    """``timephrase.find_time`` when the shared module is installed, else None."""
    try:
        from . import timephrase
    except ImportError:
        return None
    return getattr(timephrase, "find_time", None)
