"""The pieces of time phrases: dates, clock times, parts of day, zones, relative phrases.

Why pieces and not whole phrases: analysts order the parts of a time freely ("early hours
of 2 July", "2 July in the early hours", "14:00 UTC on July 1st"); :mod:`timephrase` joins
neighbouring pieces. Each pattern claims its characters, in priority order, so a date's
digits are never read again as a clock time or a year. A number is never a time on its
own: a clock time needs a colon or am/pm, a day number needs a month word (or the ``M/D``
shape), a year needs a month or a word such as "in"/"during" before it ("port 8080",
"HTTP 500", "top 5", "10.0.0.1" and "v2.1.3" are not times).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Callable

from . import timewords as w
from .timewords import AROUND_MINUTES

DAY = dt.timedelta(days=1)

_MON = "(?:" + "|".join(sorted(w.MONTHS, key=len, reverse=True)) + r")\.?"
_ORD = "(?:" + "|".join(sorted(w.ORDINAL_WORDS, key=len, reverse=True)) + ")"
_MER = r"(?:am|pm|a\.m\.|p\.m\.)(?![a-z])"
#: A clock time: needs a colon or am/pm (a bare number is never a time), or a named instant.
_TCORE = (rf"(?:\d{{1,2}}:\d{{2}}(?::\d{{2}})?(?:\.\d+)?(?:\s*{_MER})?|\d{{1,2}}\s*{_MER}|"
          rf"\d{{1,2}}\s*o['’]?clock\b|noon|midday|midnight)")
_NUMW = "(?:" + "|".join(sorted(w.NUMBER_WORDS, key=len, reverse=True)) + ")"
_OPEN = r"(?:(?P<p>since|after|before|until|till|by|up\s+to|prior\s+to)\s+)"
_WD = "(?:" + "|".join(sorted(list(w.WEEKDAYS) + list(w.WEEKDAYS_SHORT), key=len, reverse=True)) + ")"
_PART = "(?:" + "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in sorted(
    w.PARTS_OF_DAY, key=len, reverse=True)) + ")"
_ZONES = "(?:" + "|".join(sorted(w.ZONES, key=len, reverse=True)) + ")"
#: Words a month name that is also an English word ("may", "march") must follow.
_MONTH_CUE = frozenset({"on", "in", "of", "since", "until", "till", "before", "after", "from",
                        "between", "and", "to", "during", "early", "late", "mid", "vs",
                        "versus", "the", "for", "through", "or", "with", "against", "than"})
_AMBIGUOUS_MONTHS = frozenset({"may", "march", "mar"})


# --------------------------------------------------------------------------- atoms
@dataclass
class Atom:
    b: int
    e: int
    comps: dict[str, Any]
    prefix: str | None = None
    between: str | None = None  # "between" / "from": the start of a range


@dataclass
class Ctx:
    now: dt.datetime | None
    data_range: tuple[dt.datetime, dt.datetime] | None
    text: str   # lower-cased question, same offsets
    orig: str

    @property
    def ref(self) -> dt.datetime:
        return self.now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)


def _clock(text: str) -> tuple[int, bool] | None:
    """'14:30' / '2pm' / 'noon' -> (minutes after midnight, is_midnight), or None."""
    t = re.sub(r"o['’]?clock$", ":00", text.strip().replace(".", "").replace(" ", ""))
    if t in w.NAMED_TIMES:
        return w.NAMED_TIMES[t], t == "midnight"
    m = re.fullmatch(r"(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?(?:\d+)?(am|pm)?", t)
    if not m:
        return None
    h, mi = int(m[1]), int(m[2] or 0)
    if m[4]:
        if not 1 <= h <= 12:
            return None
        h = (h % 12) + (12 if m[4] == "pm" else 0)
    if h > 24 or mi > 59 or (h == 24 and mi):
        return None
    return h * 60 + mi, False


def _valid(y: int, mo: int, d: int) -> bool:
    try:
        dt.date(y, mo, d)
    except ValueError:
        return False
    return True


def _month_ok(ctx: Ctx, m: re.Match[str], word: str, has_year: bool) -> bool:
    """'may'/'march' are verbs too: read them as months only with a cue."""
    word = word.rstrip(".")
    if word not in _AMBIGUOUS_MONTHS or has_year:
        return True
    start = m.start() + ctx.text[m.start():m.end()].find(word)
    if ctx.orig[start:start + 1].isupper():
        return True
    before = re.findall(r"[a-z]+", ctx.text[max(0, start - 12):start])
    return bool(before) and before[-1] in _MONTH_CUE


Handler = Callable[[re.Match[str], Ctx], "list[Atom] | None"]


def _h_iso(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    y, mo, d = int(m["y"]), int(m["mo"]), int(m["d"])
    if not _valid(y, mo, d) or not 1970 <= y <= 2100:
        return None
    comps: dict[str, Any] = {"day": ("date", y, mo, d)}
    if m["h"]:
        h, mi = int(m["h"]), int(m["mi"])
        if h > 23 or mi > 59:
            return None
        comps["clock"] = ("point", h * 60 + mi, False, int(m["sec"] or 0))
        if m["z"]:
            comps["zone"] = _zone_of(m["z"])
    return [Atom(m.start(), m.end(), comps, _norm_prefix(m["p"]))]


def _zone_of(z: str) -> tuple[str, int]:
    z = z.strip()
    if z.lower() == "z":
        return "UTC", 0
    mm = re.fullmatch(r"(?:utc|gmt)?\s*([+-])(\d{1,2})(?::?(\d{2}))?", z.lower())
    if mm:
        off = int(mm[2]) * 60 + int(mm[3] or 0)
        return (f"UTC{mm[1]}{int(mm[2]):02d}:{int(mm[3] or 0):02d}",
                off if mm[1] == "+" else -off)
    return z.upper(), w.ZONES[z.lower()]


def _norm_prefix(p: str | None) -> str | None:
    if not p:
        return None
    p = re.sub(r"\s+", " ", p)
    return {"till": "until", "up to": "until", "by": "until", "prior to": "before"}.get(p, p)


def _h_zone_offset(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    name, off = _zone_of(m.group(0))
    if abs(off) > 14 * 60:
        return None
    return [Atom(m.start(), m.end(), {"zone": (name, off)})]


def _h_bare_offset(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    if not re.search(rf"(?:\d|{_MER})\s*$", ctx.text[:m.start()]):
        return None
    return _h_zone_offset(m, ctx)


def _h_zone_name(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    return [Atom(m.start(), m.end(), {"zone": (m[1].upper(), w.ZONES[m[1]])})]


def _h_hour_range(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'1-4pm', 'between 1 and 4pm': the meridiem of the end applies to the start."""
    mer = m["mer"].replace(".", "")
    end = _clock(f"{m['h2']}:{m['m2'] or '00'}{mer}")
    start = _clock(f"{m['h1']}:{m['m1'] or '00'}{mer}")
    if end is None or start is None:
        return None
    s0 = start[0]
    if s0 > end[0] and mer == "pm":  # "11-2pm": the start is before noon
        s0 -= 720
    word = m["bw"]
    if word == "between" and m["sep"] not in ("and", "-", "–", "to"):
        return None
    return [Atom(m.start(), m.end(), {"clock": ("range", s0, end[0])})]


def _h_hour_of(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    c = _clock(m["t"])
    if c is None or c[0] % 60 or c[0] >= 1440:
        return None
    return [Atom(m.start(), m.end(), {"clock": ("range", c[0], c[0] + 60)})]


def _h_day_month(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    d = w.ORDINAL_WORDS[m["ow"]] if m["ow"] else int(m["d"])
    mo = w.MONTHS[m["mon"].rstrip(".")]
    y = int(m["y"]) if m["y"] else None
    if not _valid(y or 2000, mo, d) or not _month_ok(ctx, m, m["mon"], bool(y or m["suf"])):
        return None
    return [Atom(m.start(), m.end(), {"day": ("date", y, mo, d)}, _norm_prefix(m["p"]))]


def _h_month_days(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'July 1-3': two day pieces around the dash, so the range reader joins them."""
    mo = w.MONTHS[m["mon"].rstrip(".")]
    y = int(m["y"]) if m["y"] else None
    d1, d2 = int(m["d1"]), int(m["d2"])
    if not (_valid(y or 2000, mo, d1) and _valid(y or 2000, mo, d2)) or d2 <= d1:
        return None
    if not _month_ok(ctx, m, m["mon"], bool(y)):
        return None
    return [Atom(m.start(), m.start("dash"), {"day": ("date", y, mo, d1)}, _norm_prefix(m["p"])),
            Atom(m.start("d2"), m.end(), {"day": ("date", y, mo, d2)})]


def _h_day_of_month(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'on the 30th': a day of the month the data (or now) supplies."""
    d = int(m["d"])
    if not 1 <= d <= 31:
        return None
    return [Atom(m.start(), m.end(), {"day": ("dom", d)}, _norm_prefix(m["p"]))]


def _h_dotted(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'02.07.2024': day first; only with a four-digit year (versions have none)."""
    d, mo, y = int(m["d"]), int(m["mo"]), int(m["y"])
    if not _valid(y, mo, d) or not 1970 <= y <= 2100:
        return None
    before = re.findall(r"[a-z]+", ctx.text[max(0, m.start() - 10):m.start()])
    if not m["p"] and not (before and before[-1] in _MONTH_CUE) and ctx.text[:m.start()].strip():
        return None  # "version 1.2.2024": a dotted number needs a time word before it
    return [Atom(m.start(), m.end(), {"day": ("date", y, mo, d)}, _norm_prefix(m["p"]))]


def _h_weekend(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'over the weekend': Saturday 00:00 to Monday 00:00, the latest in the data."""
    ref = ctx.data_range[1] if ctx.data_range else ctx.ref
    sat = ref.date() - dt.timedelta(days=(ref.weekday() - 5) % 7)
    if m["rel"] and ctx.data_range is None and sat + dt.timedelta(days=2) > ctx.ref.date():
        sat -= dt.timedelta(days=7)  # "last weekend" when this one is not over
    lo = dt.datetime.combine(sat, dt.time())
    if ctx.data_range and lo + 2 * DAY <= ctx.data_range[0]:
        return None
    return [Atom(m.start(), m.end(), {"rel": (lo, lo + 2 * DAY)})]


def _h_hour_of_part(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'at 3 in the afternoon': a bare hour made a clock time by its part of the day."""
    h, mi = int(m["h"]), int(m["mi"] or 0)
    part = m["part"]
    if not 1 <= h <= 12 or mi > 59:
        return None
    if part in ("afternoon", "evening", "night") and h < 12:
        h += 12
    elif part == "morning" and h == 12:
        h = 0
    p = "around" if m["p"] in ("at", "around", "about") else _norm_prefix(m["p"])
    return [Atom(m.start(), m.end(), {"clock": ("point", h * 60 + mi, False, 0)}, p)]


def _h_us_date(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    mo, d = int(m["mo"]), int(m["d"])
    if mo > 12 >= d >= 1:  # "31/05": no month 31, so day first (the European order)
        mo, d = d, mo
    y = int(m["y"]) if m["y"] else None
    if y is None and not m["p"]:  # "1/2 of the requests" is a fraction: a date needs a cue
        before = re.findall(r"[a-z]+", ctx.text[max(0, m.start() - 10):m.start()])
        after = ctx.text[m.end():]
        if not ((before and before[-1] in _MONTH_CUE) or re.match(r"[\s?.!,]*(?:$|at\b|\d)", after)):
            return None
    if y is not None and y < 100:
        y += 2000
    if not _valid(y or 2000, mo, d):
        return None
    if d <= 12 and mo != d and not _in_data(ctx, y, mo, d) and _in_data(ctx, y, d, mo):
        mo, d = d, mo  # "10/06" over June data is 10 June: the order the data can answer
    return [Atom(m.start(), m.end(), {"day": ("date", y, mo, d)}, _norm_prefix(m["p"]))]


def _in_data(ctx: Ctx, y: int | None, mo: int, d: int) -> bool:
    """Whether day ``mo``/``d`` (of year ``y``, else of any year the data spans) has data."""
    if ctx.data_range is None:
        return False
    lo, hi = (t.date() for t in ctx.data_range)
    for year in ([y] if y is not None else range(lo.year, hi.year + 1)):
        if _valid(year, mo, d) and lo <= dt.date(year, mo, d) <= hi:
            return True
    return False


def _h_time(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    c = _clock(m["t"])
    if c is None:
        return None
    p = "~" if m["tl"] else m["p"]
    p = "around" if p in ("about", "approximately", "approx", "approx.", "roughly", "circa",
                          "near", "~", "at") else _norm_prefix(p)
    return [Atom(m.start(), m.end(), {"clock": ("point", c[0], c[1], 0)}, p)]


def _h_part(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    name, a, b = w.PARTS_OF_DAY[re.sub(r"\s+", " ", m["part"])]
    comps: dict[str, Any] = {"clock": ("part", name, a, b)}
    rel = m["rel"]
    if rel == "last":
        comps["day"] = ("rel", -1)
    elif rel == "this":
        comps["day"] = ("rel", 0)
    return [Atom(m.start(), m.end(), comps, _norm_prefix(m["p"]))]


def _h_tonight(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    return [Atom(m.start(), m.end(), {"day": ("rel", 0), "clock": ("part", "night", 1320, 1800)})]


def _h_relday(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    off = {"day before yesterday": -2, "yesterday": -1, "today": 0, "tomorrow": 1}[
        re.sub(r"\s+", " ", m["w"])]
    return [Atom(m.start(), m.end(), {"day": ("rel", off)}, _norm_prefix(m["p"]))]


def _h_weekday(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    word = m["wd"]
    if re.search(r"\b(?:next|coming)\s+$", ctx.text[:m.start()]):
        return None  # logs hold no future: "next Tuesday" is not read as the last one
    if word in w.WEEKDAYS_SHORT:
        before = re.findall(r"[a-z]+", ctx.text[max(0, m.start() - 6):m.start()])
        wd = w.WEEKDAYS_SHORT[word]
        # "(Fri minus Mon)" after "Friday vs Monday": a short form of a weekday the
        # question spells out elsewhere is that weekday, not an everyday word
        named = re.search(rf"\b{w.WEEKDAY_NAMES[wd]}\b", ctx.text)
        if not (m["rel"] or (before and before[-1] == "on") or named):
            return None
    else:
        wd = w.WEEKDAYS[word]
    return [Atom(m.start(), m.end(), {"day": ("weekday", wd, m["rel"] in ("last", "previous", "past"))},
                  _norm_prefix(m["p"]))]


def _add_months(t: dt.datetime, n: int) -> dt.datetime:
    k = t.year * 12 + t.month - 1 + n
    return t.replace(year=k // 12, month=k % 12 + 1, day=1)


def _h_last_n(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    now = ctx.ref
    unit = m["unit"]
    n = (int(m["n"]) if m["n"].isdigit() else w.NUMBER_WORDS[re.sub(r"\s+", " ", m["n"])]) \
        if m["n"] else None
    if n == 0:
        return None
    calendar = (n is None and m["w"] in ("last", "previous") and unit in ("week", "month", "year")
                and not m["the"])  # "last week" is the calendar week, "the last week" 7 days
    if calendar:
        if unit == "week":
            mon = dt.datetime.combine(now.date() - dt.timedelta(days=now.weekday()), dt.time())
            lo, hi = mon - dt.timedelta(days=7), mon
        elif unit == "month":
            hi = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            lo = _add_months(hi, -1)
        else:
            hi = dt.datetime(now.year, 1, 1)
            lo = dt.datetime(now.year - 1, 1, 1)
    else:
        n = n or 1
        if unit == "month":
            lo = now - dt.timedelta(days=30 * n)
        elif unit == "year":
            lo = now - dt.timedelta(days=365 * n)
        else:
            lo = now - dt.timedelta(minutes=n * w.UNIT_MINUTES[unit])
        hi = now
    return [Atom(m.start(), m.end(), {"rel": (lo, hi)})]


def _h_this(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    now = ctx.ref
    day = dt.datetime.combine(now.date(), dt.time())
    if m["unit"] == "week":
        lo = day - dt.timedelta(days=now.weekday())
        hi = lo + dt.timedelta(days=7)
    elif m["unit"] == "month":
        lo = day.replace(day=1)
        hi = _add_months(lo, 1)
    else:
        lo, hi = dt.datetime(now.year, 1, 1), dt.datetime(now.year + 1, 1, 1)
    return [Atom(m.start(), m.end(), {"rel": (lo, hi)})]


def _h_ago(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    n = int(m["n"]) if m["n"].isdigit() else w.NUMBER_WORDS[re.sub(r"\s+", " ", m["n"])]
    if m["unit"] in ("day", "week"):
        days = n * (7 if m["unit"] == "week" else 1)
        d = ctx.ref.date() - dt.timedelta(days=days)
        return [Atom(m.start(), m.end(), {"day": ("date", d.year, d.month, d.day)})]
    t = ctx.ref - dt.timedelta(minutes=n * w.UNIT_MINUTES[m["unit"]])
    return [Atom(m.start(), m.end(), {"rel": (t - dt.timedelta(minutes=AROUND_MINUTES),
                                               t + dt.timedelta(minutes=AROUND_MINUTES)),
                                       "point": t})]


def _h_month(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    y = int(m["y"]) if m["y"] else None
    if not _month_ok(ctx, m, m["mon"], y is not None):
        return None
    return [Atom(m.start(), m.end(), {"month": (y, w.MONTHS[m["mon"].rstrip(".")])},
                  _norm_prefix(m["p"]))]


def _h_year(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    y = int(m["y"])
    if not 1970 <= y <= 2100:
        return None
    p = m["w"] if m["w"] in ("since", "after", "before", "until") else None
    return [Atom(m.start(), m.end(), {"year": y}, p)]


def _h_the_week(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    """'over the whole week', 'for the week': Monday to Monday of the latest week with data
    (as 'the weekend'); without data, the week of now."""
    ref = ctx.data_range[1] if ctx.data_range else ctx.ref
    lo = dt.datetime.combine(ref.date() - dt.timedelta(days=ref.weekday()), dt.time())
    return [Atom(m.start(), m.end(), {"rel": (lo, lo + 7 * DAY)})]


def _h_between(m: re.Match[str], ctx: Ctx) -> list[Atom] | None:
    return [Atom(m.start(), m.end(), {}, between=m[1])]


#: (pattern, handler) in priority order: earlier patterns claim their characters first.
PATTERNS: list[tuple[re.Pattern[str], Handler]] = [(re.compile(p), h) for p, h in [
    (rf"(?:\b{_OPEN})?(?<![\w./:-])(?P<y>\d{{4}})[-/](?P<mo>\d{{1,2}})[-/](?P<d>\d{{1,2}})"
     rf"(?:(?:t|\s+(?:at\s+)?)(?P<h>\d{{1,2}}):(?P<mi>\d{{2}})(?::(?P<sec>\d{{2}})(?:\.\d+)?)?"
     rf"(?P<z>z|[+-]\d{{2}}:?\d{{2}})?)?(?![\w/:]|\.\d|-\d)", _h_iso),
    (r"\b(?:utc|gmt)\s*[+-]\d{1,2}(?::?\d{2})?(?![\d:])", _h_zone_offset),
    (rf"(?:\b(?P<bw>between|from)\s+)?(?<![\w:.])(?P<h1>\d{{1,2}})(?::(?P<m1>\d{{2}}))?\s*"
     rf"(?P<sep>-|–|—|to|and|until|till)\s*(?P<h2>\d{{1,2}})(?::(?P<m2>\d{{2}}))?\s*"
     rf"(?P<mer>{_MER})", _h_hour_range),
    (rf"(?:\b(?:in|during|within|for|over)\s+)?\bthe\s+(?P<t>{_TCORE})\s+hour\b", _h_hour_of),
    (rf"(?:\b{_OPEN})?\b(?P<mon>{_MON})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\s*(?P<dash>-|–|—)\s*"
     rf"(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?(?![\d:a-z])(?:,?\s+(?P<y>\d{{4}})\b)?", _h_month_days),
    (rf"(?:\b{_OPEN})?\b(?:the\s+)?(?:(?P<ow>{_ORD})\s+of|(?P<d>\d{{1,2}})(?P<suf>st|nd|rd|th)?"
     rf"(?:\s+of)?)\s+(?P<mon>{_MON})(?![a-z])(?:,?\s+(?P<y>\d{{4}})\b)?", _h_day_month),
    (rf"(?:\b{_OPEN})?\b(?P<mon>{_MON})\s+(?:the\s+)?(?:(?P<ow>{_ORD})|(?P<d>\d{{1,2}})"
     rf"(?P<suf>st|nd|rd|th)?)(?![\d:a-z])(?:,?\s+(?P<y>\d{{4}})\b)?", _h_day_month),
    (rf"(?:\b{_OPEN})?(?<![\w./:-])(?P<mo>\d{{1,2}})/(?P<d>\d{{1,2}})(?:/(?P<y>\d{{4}}|\d{{2}}))?"
     rf"(?![\w/:]|\.\d|-\d)", _h_us_date),
    (rf"(?:\b{_OPEN})?(?<![\w./:-])(?P<d>\d{{1,2}})\.(?P<mo>\d{{1,2}})\.(?P<y>\d{{4}})(?![\w.:-])",
     _h_dotted),
    (r"\b(?P<p>at|around|about|before|after|since|until|by)\s+(?P<h>\d{1,2})(?::(?P<mi>\d{2}))?"
     r"\s+in\s+the\s+(?P<part>morning|afternoon|evening|night)\b", _h_hour_of_part),
    (rf"(?:\b(?P<p>around|about|approximately|approx\.?|roughly|circa|near|at|since|after|"
     rf"before|until|till|by|up\s+to|prior\s+to)\s+|(?P<tl>~)\s*)?(?<![\w:.+])(?P<t>{_TCORE})"
     rf"(?![\w:]|\.\d)", _h_time),
    (r"(?<=[\d\sm.])[+-]\d{2}:?\d{2}(?![\d:])", _h_bare_offset),
    (rf"\b({_ZONES})\b", _h_zone_name),
    (r"\btonight\b", _h_tonight),
    (rf"(?:\b{_OPEN})?\b(?:(?P<rel>this|last)\s+)?(?:(?:in|during|at)\s+)?(?:the\s+)?"
     rf"(?P<part>{_PART})\b(?:\s+of\s+the\s+morning\b)?", _h_part),
    (rf"(?:\b{_OPEN})?\b(?:the\s+)?(?P<w>day\s+before\s+yesterday|yesterday|today|tomorrow)\b",
     _h_relday),
    (rf"(?:\b{_OPEN})?\b(?:(?P<rel>last|this|past|previous)\s+)?(?P<wd>{_WD})\b", _h_weekday),
    (rf"\b(?:(?:in|during|over|for|within)\s+)?(?P<the>the\s+)?(?P<w>last|past|previous|recent)\s+"
     rf"(?:(?P<n>\d+|{_NUMW})\s+)?(?P<unit>minute|min|hour|hr|day|week|month|year)s?\b",
     _h_last_n),
    (r"\b(?:this|current)\s+(?P<unit>week|month|year)\b", _h_this),
    (r"\b(?:(?:over|during|for|in|across|throughout|within)\s+)?(?<!of\s)(?<!per\s)the\s+(?:(?:whole|entire|full)\s+)?week\b"
     r"(?!\s*(?:before|after|of|ending|starting)\b)|\ball\s+week(?:\s+long)?\b", _h_the_week),
    (rf"\b(?P<n>\d+|{_NUMW})\s+(?P<unit>minute|min|hour|hr|day|week)s?\s+ago\b", _h_ago),
    (rf"(?:\b{_OPEN})?\b(?P<mon>{_MON})(?![a-z])(?:,?\s+(?:of\s+)?(?P<y>\d{{4}})\b)?", _h_month),
    (r"\b(?P<w>in|during|for|of|year|since|after|before|until)\s+(?P<y>\d{4})\b(?![:/.-]\d)",
     _h_year),
    (r"\b(?:(?:over|during|on|at|for|in)\s+)?(?:the\s+)?(?:(?P<rel>last|past|previous|this)\s+)?"
     r"weekend\b", _h_weekend),
    (rf"(?:\b{_OPEN})?\b(?:on\s+)?the\s+(?P<d>\d{{1,2}})(?:st|nd|rd|th)\b(?!\s*(?:of\s+)?{_MON})",
     _h_day_of_month),
    (r"\b(between|from)\b(?=\s)", _h_between),
]]


def atoms(ctx: Ctx) -> list[Atom]:
    taken = bytearray(len(ctx.text))
    out: list[Atom] = []
    for rx, handler in PATTERNS:
        for m in rx.finditer(ctx.text):
            if m.end() <= m.start() or any(taken[m.start():m.end()]):
                continue
            got = handler(m, ctx)
            if not got:
                continue
            for a in got:
                taken[a.b:a.e] = b"\x01" * (a.e - a.b)
            out.extend(got)
    return sorted(out, key=lambda a: a.b)


