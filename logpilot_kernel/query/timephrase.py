"""The one reader of time phrases, shared by ``%%logsql``, ``%%logwhy``, the pilot and the
dashboard: ``find_time`` lists a question's time phrases, ``resolve_time`` gives its one
window.

Why one module: "around 14:30 UTC on July 1st" must bound the SQL filter, the why-engine's
change-point search and the pilot's follow-up scope identically; separate grammars drift
(one read that phrase as nothing at all). Pieces are found by :mod:`timeatoms`; here
neighbouring pieces whose gap holds only connective words ("on", "of", "the", ",") are
joined into one time, and "between/from X and/to Y" into one range.

Resolution rules (tested in ``tests/test_timephrase.py``):

- all results are naive UTC, ``[start, end)``; clock times are UTC unless the question
  names a zone ("14:00 CET", "+02:00", "PST"), which converts them;
- a date, clock time, weekday or month without a year (or day) resolves to its latest
  occurrence that overlaps ``data_range``; without a data range, or when none overlaps,
  to its latest occurrence at or before ``now``;
- relative phrases ("yesterday", "last 24 hours", "this week") are relative to ``now``
  (the real clock when ``now`` is None); "last week/month/year" are calendar periods,
  "past/last N units" rolling ones;
- "around/at HH:MM" is a window of :data:`AROUND_MINUTES` either side and keeps the point
  in ``TimeSpan.around``; parts of day use the bounds of :data:`timewords.PARTS_OF_DAY`
  (early hours 00-06, morning 06-12, afternoon 12-18, evening 18-24, night 22-06);
- "before/after HH:MM" are intra-day ("before noon" = 00:00-12:00 of that day); "since X"
  and "before/after/until <date>" leave the other end open (``None``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any

from ..isotime import to_utc
from . import timewords as w
from .timeatoms import Atom, Ctx, atoms
from .timewords import AROUND_MINUTES

__all__ = ["TimeSpan", "find_time", "resolve_time", "blank_time", "AROUND_MINUTES"]

DAY = dt.timedelta(days=1)
#: Words allowed between two pieces of one time ("early hours *of* 2 July").
JOIN_WORDS = frozenset({"on", "of", "at", "in", "the", "during", ","})
#: Words between the two ends of a range.
SEP_WORDS = frozenset({"and", "to", "until", "till", "through", "thru", "-", "–", "—"})
_LEAD = re.compile(r"(?:\b(?:on|in|during|for|over|within|at)\s+)?(?:\bthe\s+)?$")


@dataclass(frozen=True)
class TimeSpan:
    """One time phrase of a question and the ``[start, end)`` it means (naive UTC)."""

    start: dt.datetime | None
    end: dt.datetime | None
    text: str
    begin: int
    stop: int
    label: str
    kind: str
    around: dt.datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat() if self.start else None,
                "end": self.end.isoformat() if self.end else None, "text": self.text,
                "begin": self.begin, "stop": self.stop, "label": self.label,
                "kind": self.kind, "around": self.around.isoformat() if self.around else None}


@dataclass
class _Group:
    atoms: list[Atom]
    comps: dict[str, Any] = field(default_factory=dict)
    prefix: str | None = None
    prefix_on_clock: bool = False
    between: str | None = None

    @property
    def b(self) -> int:
        return self.atoms[0].b

    @property
    def e(self) -> int:
        return self.atoms[-1].e


# --------------------------------------------------------------------------- composing
def _gap(ctx: Ctx, a: int, b: int) -> tuple[str, str | None]:
    """('join' | 'sep' | 'break', the separator word) for the text between two pieces."""
    toks = re.findall(r"[a-z']+|[^\sa-z]", ctx.text[a:b])
    rest = [t for t in toks if t not in JOIN_WORDS]
    if not rest:
        return "join", None
    if len(rest) == 1 and rest[0] in SEP_WORDS:
        return "sep", rest[0]
    return "break", None


_CONFLICTS = {
    "day": ("month", "rel", "abs"), "clock": ("month", "year", "rel", "abs"),
    "month": ("day", "month", "year", "clock", "rel", "abs"),
    "rel": ("day", "month", "year", "clock", "rel", "abs"),
    "abs": ("day", "month", "year", "clock", "rel", "abs"),
}


def _merge(comps: dict[str, Any], new: dict[str, Any]) -> dict[str, Any] | None:
    """``comps`` with ``new`` added, or None when the two pieces cannot be one time."""
    out = dict(comps)
    for k, v in new.items():
        if k == "point":
            out[k] = v
        elif k == "zone":
            if "zone" in out:
                return None
            out[k] = v
        elif k == "year":
            if "day" in out and out["day"][0] == "date" and out["day"][1] in (None, v):
                out["day"] = ("date", v, out["day"][2], out["day"][3])
            elif "month" in out and out["month"][0] in (None, v):
                out["month"] = (v, out["month"][1])
            elif any(x in out for x in ("day", "month", "year", "clock", "rel", "abs")):
                return None
            else:
                out["year"] = v
        elif any(x in out for x in _CONFLICTS[k]):
            return None
        elif k == "day" and "day" in out:
            if {out["day"][0], v[0]} not in ({"weekday", "date"}, {"weekday", "dom"}):
                return None  # "Tuesday, July 2", "Monday the 1st": the date wins
            out["day"] = out["day"] if out["day"][0] != "weekday" else v
        elif k == "day":
            if "year" in out:
                if v[0] != "date" or v[1] not in (None, out["year"]):
                    return None
                v = ("date", out.pop("year"), v[2], v[3])
            out["day"] = v
        elif k == "clock" and "clock" in out:
            if out["clock"][0] == "part":
                out["clock"] = v  # "around 14:30 in the afternoon": the clock time wins
            elif v[0] != "part":
                return None
        else:
            out[k] = v
    return out


def _content(g: _Group) -> bool:
    return any(k in g.comps for k in ("day", "clock", "month", "year", "rel", "abs"))


def _clock_only(g: _Group) -> bool:
    return "clock" in g.comps and not any(k in g.comps for k in ("day", "month", "year", "rel", "abs"))


def _join(ctx: Ctx, units: list[_Group]) -> list[_Group]:
    """Greedy left-to-right join of neighbours that form one time."""
    out: list[_Group] = []
    for u in units:
        g = out[-1] if out else None
        if g is not None and u.between is None and not (u.prefix and g.prefix
                                                        and not _at_clock(ctx, g, u)) \
                and _gap(ctx, g.e, u.b)[0] == "join":
            merged = _merge(g.comps, u.comps)
            if merged is not None:
                g.atoms.extend(u.atoms)
                g.comps = merged
                if u.prefix and not g.prefix:
                    g.prefix, g.prefix_on_clock = u.prefix, u.prefix_on_clock
                continue
        out.append(_Group(list(u.atoms), dict(u.comps), u.prefix, u.prefix_on_clock, u.between))
    return out


def _at_clock(ctx: Ctx, g: _Group, u: _Group) -> bool:
    """"since yesterday at noon": "at" a clock time after a day that opens or closes a
    range is that day's instant (the range's end), not a second time around the clock."""
    return (g.prefix in ("since", "after", "before", "until") and "clock" not in g.comps
            and u.prefix == "around" and _clock_only(u)
            and ctx.text[u.b:u.b + 3].lower() == "at ")


def _unit(a: Atom) -> _Group:
    on_clock = bool(a.prefix) and "clock" in a.comps and "day" not in a.comps
    return _Group([a], dict(a.comps), a.prefix, on_clock, a.between)


def _clock_start(c: tuple) -> int:
    return c[1] if c[0] == "point" else (c[1] if c[0] == "range" else c[2])


def _clock_end(c: tuple) -> int:
    if c[0] == "point":
        return 1440 if c[2] and c[1] == 0 else c[1]
    return c[2] if c[0] == "range" else c[3]


def _try_range(ctx: Ctx, x: _Group, y: _Group) -> _Group | None:
    """``x`` .. ``y`` as one range group, or None when they are not two ends of a range."""
    if not (_content(x) and _content(y)) or y.between or "rel" in x.comps or "rel" in y.comps:
        return None
    kind, sep = _gap(ctx, x.e, y.b)
    closing = y.prefix in ("until", "before")
    if kind == "sep" and (not y.prefix or closing):
        if x.between == "between" and sep not in ("and", "-", "–", "—"):
            return None
        if x.between is None and (sep == "and" or x.prefix):
            return None
    elif not (kind == "join" and closing and (x.between == "from" or x.prefix in ("since", "after"))):
        return None
    xc, yc = dict(x.comps), dict(y.comps)
    for a, b in ((xc, yc), (yc, xc)):  # "between the 1st and the 3rd of July": July's too
        if a.get("day", ("",))[0] == "dom" and b.get("day", ("",))[0] == "date":
            _, yr, mo, dd = b["day"]
            if a is xc and a["day"][1] > dd:  # "from the 29th to the 1st of July": June 29
                yr, mo = (yr - 1 if yr else None, 12) if mo == 1 else (yr, mo - 1)
            if a is yc and a["day"][1] < dd:  # "from the 30th of June to the 2nd": July 2
                yr, mo = (yr + 1 if yr else None, 1) if mo == 12 else (yr, mo + 1)
            a["day"] = ("date", yr, mo, a["day"][1])
    for a, b in ((xc, yc), (yc, xc)):
        if "day" in a and not any(k in b for k in ("day", "month", "year")):
            b["day"] = a["day"]
        if "zone" in a and "zone" not in b:
            b["zone"] = a["zone"]
    atoms_ = x.atoms + y.atoms
    if "clock" in xc and "clock" in yc and not any(
            k in xc for k in ("day", "month", "year")):
        comps = {"clock": ("range", _clock_start(xc["clock"]), _clock_end(yc["clock"]))}
        if "zone" in xc:
            comps["zone"] = xc["zone"]
        return _Group(atoms_, comps)
    xs, ys = _resolve(xc, None, False, ctx, exact=True), _resolve(yc, None, False, ctx, exact=True)
    if xs is None or ys is None or xs[0] is None or ys[1] is None:
        return None
    start, end = xs[0], ys[1]
    if end <= start and "clock" in yc and "day" in xc and xc.get("day") == yc.get("day"):
        end += DAY  # "between 22:00 and 02:00 on July 1" runs past midnight
    if end <= start:
        return None
    return _Group(atoms_, {"abs": (start, end)})


def _ranges(ctx: Ctx, groups: list[_Group]) -> list[_Group]:
    out: list[_Group] = []
    i = 0
    while i < len(groups):
        r = _try_range(ctx, groups[i], groups[i + 1]) if i + 1 < len(groups) else None
        if r is not None:
            out.append(r)
            i += 2
            continue
        g = groups[i]
        i += 1
        if g.between:  # no second end: "from X" means since X; a lone "between" is no time
            word, g.between = g.between, None
            rest = [a for a in g.atoms if a.between is None]
            if word == "from" and not g.prefix and _content(g):
                g.prefix, g.prefix_on_clock = "since", _clock_only(g)
            else:
                g.atoms = rest
        if g.atoms and _content(g):
            out.append(g)
            continue
    return out


# --------------------------------------------------------------------------- resolving
def _overlaps(ctx: Ctx, s: dt.datetime, e: dt.datetime) -> bool:
    lo, hi = ctx.data_range  # type: ignore[misc]
    return s <= hi and e > lo


def _day_candidates(ctx: Ctx) -> list[dt.date]:
    lo, hi = ctx.data_range  # type: ignore[misc]
    n = (hi.date() - lo.date()).days + 2
    return [hi.date() - dt.timedelta(days=i) for i in range(min(n, 800))]


def _pick_day(ctx: Ctx, day: tuple, m0: int, m1: int, off: int) -> dt.date | None:
    """The date a day piece means (see the module docstring for the rules)."""
    def fits(d: dt.date) -> bool:
        base = dt.datetime.combine(d, dt.time()) - dt.timedelta(minutes=off)
        return _overlaps(ctx, base + dt.timedelta(minutes=m0), base + dt.timedelta(minutes=m1))

    if day[0] == "rel":
        return ctx.ref.date() + dt.timedelta(days=day[1])
    if day[0] == "dom":  # "the 30th": the latest 30th in the data, else before now
        if ctx.data_range:
            for d in _day_candidates(ctx):
                if d.day == day[1] and fits(d):
                    return d
        ref = ctx.ref.date()
        for back in range(0, 400):
            d = ref - dt.timedelta(days=back)
            if d.day == day[1]:
                return d
        return None
    if day[0] == "date":
        _, y, mo, d = day
        if y is not None:
            return dt.date(y, mo, d)
        if ctx.data_range:
            lo, hi = ctx.data_range
            for yy in range(hi.year, lo.year - 2, -1):
                try:
                    cand = dt.date(yy, mo, d)
                except ValueError:
                    continue
                if fits(cand):
                    return cand
        ref = ctx.now or (ctx.data_range[1] if ctx.data_range else ctx.ref)
        for yy in range(ref.year, ref.year - 8, -1):
            try:
                cand = dt.date(yy, mo, d)
            except ValueError:
                continue
            if cand <= ref.date():
                return cand
        return None
    _, wd, last = day
    if ctx.data_range:
        for d in _day_candidates(ctx):
            if d.weekday() == wd and fits(d) and not (last and ctx.now and d >= ctx.now.date()):
                return d
    ref = ctx.ref.date()
    d = ref - dt.timedelta(days=(ref.weekday() - wd) % 7)
    return d - dt.timedelta(days=7) if last and d == ref else d


def _latest_clock(ctx: Ctx, m0: int, m1: int, off: int) -> dt.date:
    """The day of a clock-only time: its latest occurrence in the data, else before now."""
    if ctx.data_range:
        for d in _day_candidates(ctx):
            base = dt.datetime.combine(d, dt.time()) - dt.timedelta(minutes=off)
            if _overlaps(ctx, base + dt.timedelta(minutes=m0), base + dt.timedelta(minutes=m1)):
                return d
    ref = ctx.ref
    d = ref.date()
    if dt.datetime.combine(d, dt.time()) + dt.timedelta(minutes=m0 - off) > ref:
        d -= DAY
    return d


def _pick_month(ctx: Ctx, mo: int, off: int) -> int:
    if ctx.data_range:
        lo, hi = ctx.data_range
        for y in range(hi.year, lo.year - 2, -1):
            s = dt.datetime(y, mo, 1) - dt.timedelta(minutes=off)
            e = dt.datetime(y + (mo == 12), mo % 12 + 1, 1) - dt.timedelta(minutes=off)
            if _overlaps(ctx, s, e):
                return y
    ref = ctx.now or (ctx.data_range[1] if ctx.data_range else ctx.ref)
    return ref.year if dt.datetime(ref.year, mo, 1) <= ref else ref.year - 1


def _resolve(comps: dict[str, Any], prefix: str | None, on_clock: bool, ctx: Ctx,
             exact: bool = False) -> tuple | None:
    """(start, end, kind, around, detail) of one composed time, in naive UTC."""
    name, off = comps.get("zone", ("UTC", 0))
    shift = dt.timedelta(minutes=off)
    if "abs" in comps:
        s, e = comps["abs"]
        return s, e, "range", None, {}
    if "rel" in comps:
        s, e = comps["rel"]
        pt = comps.get("point")
        return s, e, "around" if pt else "relative", pt, {}
    if "year" in comps:
        y = comps["year"]
        s, e, kind, det = dt.datetime(y, 1, 1) - shift, dt.datetime(y + 1, 1, 1) - shift, "year", {"year": y}
    elif "month" in comps:
        y, mo = comps["month"]
        y = y if y is not None else _pick_month(ctx, mo, off)
        s = dt.datetime(y, mo, 1) - shift
        e = dt.datetime(y + (mo == 12), mo % 12 + 1, 1) - shift
        kind, det = "month", {"month": f"{w.MONTH_NAMES[mo - 1].title()} {y}"}
    else:
        c = comps.get("clock")
        pt = None
        kind, det = None, {}
        if c is None:
            m0, m1 = 0, 1440
        elif c[0] == "point":
            t, midnight = c[1], c[2]
            p = prefix if on_clock else None
            pt = t
            if exact or (prefix and not on_clock):
                m0, m1, kind = t, t, "range"
            elif p in (None, "around"):
                m0, m1, kind = t - AROUND_MINUTES, t + AROUND_MINUTES, "around"
            elif p in ("before", "until"):
                m0, m1, kind, pt = 0, 1440 if midnight else t, "range", None
            elif p == "after":
                m0, m1, kind, pt = t, 1440, "range", None
            else:  # since
                m0, m1, kind, pt = t, 1440, "open", None
        elif c[0] == "range":
            m0, m1 = c[1], c[2] if c[2] > c[1] else c[2] + 1440
            kind = "range"
        else:
            m0, m1, kind, det = c[2], c[3], "part_of_day", {"part": c[1]}
        day = comps.get("day")
        d = _pick_day(ctx, day, m0, m1, off) if day else _latest_clock(ctx, m0, m1, off)
        if d is None:
            return None
        base = dt.datetime.combine(d, dt.time()) - shift
        s, e = base + dt.timedelta(minutes=m0), base + dt.timedelta(minutes=m1)
        if c is not None and c[0] == "point" and len(c) > 3 and c[3]:
            s += dt.timedelta(seconds=c[3])
        if kind is None:
            kind = {"date": "day", "dom": "day", "weekday": "weekday", "rel": "relative"}[day[0]]
            det = {"weekday": d.strftime("%A")} if day[0] == "weekday" else {}
        if kind == "open":
            return s, None, "open", None, {"zone": name}
        if pt is not None and kind == "around":
            det["point"] = base + dt.timedelta(minutes=pt)
            return s, e, kind, base + dt.timedelta(minutes=pt), dict(det, zone=name)
        if exact and pt is not None:
            return s, s, "range", None, {}
    det["zone"] = name
    if prefix and not on_clock:
        if prefix == "since":
            return s, None, "open", None, det
        if prefix == "after":
            return (s if "clock" in comps and comps["clock"][0] == "point" else e), None, "open", None, det
        if prefix == "before":
            return None, s, "open", None, det
        return None, (s if "clock" in comps and comps["clock"][0] == "point" else e), "open", None, det
    return s, e, kind, None, det


def _fmt(t: dt.datetime) -> str:
    return t.strftime("%Y-%m-%d %H:%M:%S" if t.second else "%Y-%m-%d %H:%M")


def _range_words(s: dt.datetime, e: dt.datetime) -> str:
    if s.time() == dt.time() and e.time() == dt.time():
        days = (e - s).days
        return f"on {s:%Y-%m-%d}" if days == 1 else f"{s:%Y-%m-%d} to {e - DAY:%Y-%m-%d}"
    if e - s <= DAY and (e.date() == s.date() or e == dt.datetime.combine(s.date() + DAY, dt.time())):
        return f"{_fmt(s)}-{'24:00' if e.date() != s.date() else e.strftime('%H:%M')}"
    return f"{_fmt(s)} to {_fmt(e)}"


def _label(s: dt.datetime | None, e: dt.datetime | None, kind: str, around: dt.datetime | None,
           det: dict[str, Any], text: str) -> str:
    zone = det.get("zone", "UTC")
    note = f" (asked in {zone})" if zone != "UTC" else ""
    if kind == "around" and around is not None:
        return f"around {_fmt(around)} UTC (±{AROUND_MINUTES} min){note}"
    if kind == "open":
        return (f"since {_fmt(s)} UTC" if s else f"before {_fmt(e)} UTC") + note  # type: ignore[arg-type]
    assert s is not None and e is not None
    if kind == "month" and not note:
        return f"in {det['month']} UTC"
    if kind == "year" and not note:
        return f"in {det['year']} UTC"
    words = _range_words(s, e)
    if kind == "weekday" and words.startswith("on "):
        words = f"on {det['weekday']} {words[3:]}"
    extra = f" ({det['part']})" if kind == "part_of_day" else (
        f" ({text.strip()})" if kind == "relative" else "")
    return f"{words} UTC{extra}{note}"


# --------------------------------------------------------------------------- API
def find_time(question: str, *, now: dt.datetime | None = None,
              data_range: tuple[dt.datetime, dt.datetime] | None = None) -> list[TimeSpan]:
    """All time phrases of the question, combined where they compose ("on July 1st between
    13:00 and 16:00" -> one span), in question order.

    ``now`` anchors relative phrases; ``data_range`` (first, last timestamp of the data)
    gives year-less dates, weekdays and clock-only times their day.
    """
    if not question:
        return []
    low = "".join(ch.lower() if len(ch.lower()) == 1 else ch for ch in question)
    ctx = Ctx(_naive(now), _range(data_range), low, question)
    units = [_unit(a) for a in atoms(ctx)]
    _share_year(units)
    groups = _join(ctx, _ranges(ctx, _join(ctx, units)))
    out: list[TimeSpan] = []
    prev = 0
    for g in groups:
        if not _content(g):
            continue
        r = _resolve(g.comps, g.prefix, g.prefix_on_clock, ctx)
        if r is None:
            continue
        s, e, kind, around, det = r
        b = g.b
        lead = _LEAD.search(low, prev, b)
        if lead and lead.start() < b:
            b = lead.start()
        text = question[b:g.e]
        out.append(TimeSpan(s, e, text, b, g.e, _label(s, e, kind, around, det, text), kind, around))
        prev = g.e
    return _before_that(low, question, out)


_NUMW = "|".join(sorted(w.NUMBER_WORDS, key=len, reverse=True))
#: "the 24 hours before that", "the preceding two days": a period just before the one named.
_BEFORE_THAT = re.compile(
    rf"\b(?:(?:to|and|with|vs\.?|versus|than|in|on|over|during)\s+)?(?:the\s+)?"
    rf"(?:(?P<pre>preceding|prior|previous)\s+)?(?P<n>\d+|{_NUMW})\s+"
    rf"(?P<unit>minute|min|hour|hr|day|week)s?(?(pre)|\s+(?:before|prior\s+to|preceding)\s+"
    rf"(?:that|then|it|those|this))\b")


def _before_that(low: str, question: str, spans: list[TimeSpan]) -> list[TimeSpan]:
    """Spans that refer back to the span before them ("in the last 24 hours vs the 24
    hours before that"): the same length of time ending where that one starts."""
    out = list(spans)
    for m in _BEFORE_THAT.finditer(low):
        prior = [sp for sp in out if sp.stop <= m.start() and sp.start is not None]
        if not prior or any(sp.begin < m.end() and m.start() < sp.stop for sp in out):
            continue
        ref = prior[-1].start
        n = int(m["n"]) if m["n"].isdigit() else w.NUMBER_WORDS[re.sub(r"\s+", " ", m["n"])]
        lo = ref - dt.timedelta(minutes=n * w.UNIT_MINUTES[m["unit"]])
        b = m.start() + (len(m.group(0)) - len(m.group(0).lstrip()))
        lead = re.match(r"(?:to|and|with|vs\.?|versus|than)\s+", low[b:m.end()])
        b += lead.end() if lead else 0
        out.append(TimeSpan(lo, ref, question[b:m.end()],
                            b, m.end(), f"{_fmt(lo)} to {_fmt(ref)} UTC ({question[b:m.end()].strip()})",
                            "relative"))
    return sorted(out, key=lambda sp: sp.begin)


def resolve_time(question: str, *, now: dt.datetime | None = None,
                 data_range: tuple[dt.datetime, dt.datetime] | None = None) -> TimeSpan | None:
    """The single combined window of the question, or None.

    Several phrases that do not compose ("June vs July") give their hull, kind ``multi``
    (use :func:`find_time` to compare them).
    """
    spans = find_time(question, now=now, data_range=data_range)
    if not spans:
        return None
    if len(spans) == 1:
        return spans[0]
    starts = [s.start for s in spans]
    ends = [s.end for s in spans]
    lo = None if None in starts else min(starts)  # type: ignore[type-var]
    hi = None if None in ends else max(ends)  # type: ignore[type-var]
    b, e = spans[0].begin, spans[-1].stop
    return TimeSpan(lo, hi, question[b:e], b, e, " and ".join(s.label for s in spans), "multi")


def blank_time(question: str, spans: list[TimeSpan]) -> str:
    """``question`` with every span replaced by spaces (offsets of the rest unchanged)."""
    chars = list(question)
    for s in spans:
        chars[s.begin:s.stop] = " " * (s.stop - s.begin)
    return "".join(chars)


def _share_year(units: list[_Group]) -> None:
    """A question that names one year gives it to its year-less dates and months
    ("between July 30 and August 1, 2015", "June vs July 2005")."""
    years = {u.comps["day"][1] for u in units if u.comps.get("day", ("",))[0] == "date"
             and u.comps["day"][1] is not None}
    years |= {u.comps["month"][0] for u in units if "month" in u.comps and u.comps["month"][0]}
    years |= {u.comps["year"] for u in units if "year" in u.comps}
    if len(years) != 1:
        return
    (year,) = years
    for u in units:
        day = u.comps.get("day")
        if day and day[0] == "date" and day[1] is None:
            try:
                dt.date(year, day[2], day[3])
            except ValueError:
                continue
            u.comps["day"] = ("date", year, day[2], day[3])
        if "month" in u.comps and u.comps["month"][0] is None:
            u.comps["month"] = (year, u.comps["month"][1])


def _naive(t: dt.datetime | None) -> dt.datetime | None:
    return to_utc(t)


def _range(r: Any) -> tuple[dt.datetime, dt.datetime] | None:
    if not r or r[0] is None or r[1] is None:
        return None
    return _naive(r[0]), _naive(r[1])  # type: ignore[return-value]
