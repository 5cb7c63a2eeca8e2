"""Structural timestamp inference: a layout for a file whose times no known layout reads.

The layout table (``timestamps.json``) finds the layouts someone has written down; a new
format that writes its time another way would lose every line's time. This module
infers a layout from the *structure* of the sample lines instead, with no format names:
each line's head is cut into digit groups, month/day names (a data table), AM/PM and
separators; the runs of them that could be a time are typed by value ranges over the
whole sample (month 1-12, day 1-31, hour 0-23, minute/second 0-59, a 4-digit year
1970-2100, epoch numbers of 10/13/16/19 digits), and every reading that fits is turned
into a concrete layout (a regex and a strptime format, like a line of the table). The
finder (:func:`..timestamps.find_layouts`) then scores those layouts with the same
vectorised SQL as the known ones, and among readings that parse as many lines, the one
whose times run in order with the smallest steps wins (day-first vs month-first, an
epoch vs a counter), then the one nearest the file's mtime. The chosen layout is applied
to the whole file like a known one (the rule compiler never sees a difference).
"""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Sequence

#: The structural vocabulary lives beside the layouts (data, not code).
TABLE_FILE = "timestamps.json"

#: A candidate time must be found in at least this share of the sample lines (and in
#: two of them): records may span many lines, only the first one dated.
MIN_SHARE = 0.05
#: At most this many inferred layouts are handed to the finder (best supported first).
MAX_LAYOUTS = 12
#: At most this many elements (digit groups, names) in one timestamp.
MAX_ELEMENTS = 9


@dataclass(frozen=True)
class Vocabulary:
    """Month and day names, AM/PM marks, zone words that may sit inside a time, year range."""

    months: dict[str, int]
    days: frozenset[str]
    ampm: frozenset[str]
    inner_zones: frozenset[str]
    year_min: int
    year_max: int
    date_seps: tuple[str, ...]
    clock_seps: tuple[str, ...]
    fraction_seps: tuple[str, ...]
    order_preference: tuple[str, ...]
    #: digit count -> orders of the parts of a date-time written as one run of digits
    compact: dict[str, tuple[str, ...]]


@lru_cache(maxsize=1)
def vocabulary() -> Vocabulary:
    """The ``structure`` section of ``timestamps.json``."""
    text = resources.files(__package__).joinpath(TABLE_FILE).read_text(encoding="utf-8")
    s = json.loads(text)["structure"]
    months: dict[str, int] = {}
    for i, names in enumerate(s["months"], start=1):
        for n in names:
            months[n.lower()] = i
    return Vocabulary(months=months, days=frozenset(d.lower() for ds in s["days"] for d in ds),
                      ampm=frozenset(a.lower() for a in s["ampm"]),
                      inner_zones=frozenset(s["inner_zones"]),
                      year_min=int(s["year_range"][0]), year_max=int(s["year_range"][1]),
                      date_seps=tuple(s["date_separators"]), clock_seps=tuple(s["date_clock_separators"]),
                      fraction_seps=tuple(s["fraction_separators"]),
                      order_preference=tuple(s["date_order_preference"]),
                      compact={str(k): tuple(v) for k, v in (s.get("compact_date_times") or {}).items()})


@dataclass(frozen=True)
class InferredLayout:
    """A layout inferred from a sample: regex and formats as in the table, plus the
    preference rank of its date order (to break ties between equally good readings)."""

    name: str
    regex: str
    formats: tuple[str, ...]
    preference: int


_TOKEN_RE = re.compile(r"\d+|[A-Za-z]+|[ \t]+|.")


def _kind(tok: str, voc: Vocabulary) -> str:
    if tok.isdigit():
        return "num"
    if tok.isalpha():
        low = tok.lower()
        if low in voc.months:
            return "mon"
        if low in voc.days:
            return "dow"
        if low in voc.ampm:
            return "ampm"
        if tok in voc.inner_zones:
            return "zone"
        if tok == "T":
            return "T"
        return "word"
    if tok[0] in " \t":
        return "space"
    return "punct"


@dataclass
class _Chain:
    """A run of time-like elements in one line: elements, the separators between them
    (``seps[i]`` precedes ``elems[i + 1]``), each element's start in the line."""

    elems: list[tuple[str, str]]
    seps: list[str]
    starts: list[int]


_ELEMENT_KINDS = ("num", "mon", "dow", "ampm", "zone")


def _chains(head: str, limit: int, voc: Vocabulary) -> list[_Chain]:
    """Maximal runs of elements joined by short separators, starting within ``limit``."""
    toks = [(m.group(0), m.start()) for m in _TOKEN_RE.finditer(head)]
    kinds = [_kind(t, voc) for t, _ in toks]
    out: list[_Chain] = []
    i = 0
    n = len(toks)
    while i < n:
        if kinds[i] not in ("num", "mon", "dow") or toks[i][1] > limit:
            i += 1
            continue
        ch = _Chain([(kinds[i], toks[i][0])], [], [toks[i][1]])
        j = i + 1
        while j < n and len(ch.elems) < MAX_ELEMENTS + 3:
            # a separator: up to two punctuation/space tokens, or a 'T' between digits
            k, sep = j, ""
            while k < n and kinds[k] in ("punct", "space") and k - j < 2 and len(toks[k][0]) <= 2:
                sep += toks[k][0]
                k += 1
            if k == j and kinds[k] == "T" and ch.elems[-1][0] == "num" and k + 1 < n and kinds[k + 1] == "num":
                sep, k = "T", k + 1
            if k < n and kinds[k] in _ELEMENT_KINDS and (sep or kinds[k] != ch.elems[-1][0]):
                if kinds[k] == "num" and ch.elems[-1][0] == "num" and not sep:
                    break
                ch.seps.append(sep)
                ch.elems.append((kinds[k], toks[k][0]))
                ch.starts.append(toks[k][1])
                j = k + 1
                continue
            break
        out.append(ch)
        i = j
    return out


def _norm_sep(sep: str) -> str:
    """Separator class: runs of spaces are one class (their widths vary with padding)."""
    return re.sub(r" +", " ", sep)


def _is_fraction(ch: _Chain, e: int, voc: Vocabulary) -> bool:
    """Whether number ``e`` is a fraction: after a seconds field (``:SS.fff``, or a
    compact ``HHMMSS.fff`` after a compact date; a ``:`` before it only with 3+ digits,
    else it is a clock part) or after an epoch's seconds
    or milliseconds (``1709634133.25``). Its width is then no part of the shape: writers
    trim fractions (``.5``, ``.250``), and lines of one format must share a shape."""
    if e < 1 or ch.elems[e][0] != "num" or ch.seps[e - 1] not in voc.fraction_seps:
        return False
    prev = ch.elems[e - 1][1]
    if ch.seps[e - 1] == "." and prev.isdigit() and len(prev) in (10, 13):
        return True
    if e < 2 or ch.seps[e - 1] == ":" and len(ch.elems[e][1]) < 3:
        return False
    if len(prev) == 6 and len(ch.elems[e - 2][1]) in (6, 8):  # a compact clock: yyyymmdd:HHMMSS.fff
        return True
    return len(prev) == 2 and ch.seps[e - 2] == ":" and ch.elems[e - 2][0] == "num"


def _element_keys(ch: _Chain, voc: Vocabulary) -> tuple:
    """The chain's shape: element keys (kinds, digit widths with 1-2 as one class, a
    fraction as one class) interleaved with separator classes; a window of it is the
    shape of a candidate time."""
    key: list[tuple[str, str]] = []
    for e, (kind, text) in enumerate(ch.elems):
        if e:
            key.append(("sep", _norm_sep(ch.seps[e - 1])))
        if kind == "num" and _is_fraction(ch, e, voc):
            key.append(("num", "frac"))
        elif kind == "num":
            key.append(("num", "1-2" if len(text) <= 2 else str(len(text))))
        elif kind in ("mon", "dow"):
            key.append((kind, "abbr" if len(text) == 3 else "full"))
        else:
            key.append((kind, text if kind == "zone" else ""))
    return tuple(key)


def _windows(chain_key: tuple, voc: Vocabulary, cache: dict[tuple, list[tuple[int, int, tuple]]]
             ) -> list[tuple[int, int, tuple]]:
    """Every (first element, end element, shape) window of a chain shape that has a
    structurally valid reading, longest first: computed once per chain shape (the lines
    of one format share it)."""
    hit = cache.get(chain_key)
    if hit is not None:
        return hit
    n = (len(chain_key) + 1) // 2
    out = []
    for a in range(n):
        for b in range(min(n, a + MAX_ELEMENTS), a, -1):
            key = chain_key[2 * a:2 * b - 1]
            if key[0][0] not in ("num", "mon", "dow"):
                break
            if b - a > 3 and not any(k == ("sep", ":") or k == ("sep", "::") for k in key[1::2]):
                continue  # only an epoch or a compact date-time goes without a ':'
            if _readings(key, voc):
                out.append((a, b, key))
    cache[chain_key] = out
    return out


# --- the grammar: which roles a shape's elements can take ------------------------------

#: Roles of a number by its digit count (a date or time part, or a glued run of them).
_NUM_ROLES: dict[str, tuple[tuple[str, ...], ...]] = {
    "1-2": (("d",), ("m",), ("y",)),
    "4": (("Y",), ("m", "d")),
    "6": (("y", "m", "d"), ("d", "m", "y")),
    "8": (("Y", "m", "d"), ("d", "m", "Y"), ("m", "d", "Y")),
}
_RANGES = {"d": (1, 31), "m": (1, 12), "y": (0, 99), "H": (0, 23), "I": (1, 12), "M": (0, 59), "S": (0, 60)}
_WIDTH = {"d": 2, "m": 2, "y": 2, "Y": 4, "H": 2, "M": 2, "S": 2}


@dataclass
class _Reading:
    """One reading of a shape: a role per element (a tuple of roles for glued numbers)."""

    roles: list[tuple[str, ...]]
    order: str  # the date order, for the preference table ("Ymd", "mdY", ...)


def _clock_at(shape: tuple, voc: Vocabulary) -> tuple[int, int, bool] | None:
    """(first element, element after the clock, has a fraction) of the H:M[:S][.f] run."""
    elems = shape[0::2]
    seps = [s[1] for s in shape[1::2]]
    for i in range(len(elems) - 1):
        if elems[i] == ("num", "1-2") and seps[i] == ":" and elems[i + 1] == ("num", "1-2"):
            j = i + 2
            if j < len(elems) and seps[j - 1] == ":" and elems[j] == ("num", "1-2"):
                j += 1
            frac = False
            if j - i == 3 and j < len(elems) and elems[j] == ("num", "frac"):
                frac, j = True, j + 1
            return i, j, frac
    return None


def _readings(shape: tuple, voc: Vocabulary) -> list[_Reading]:
    """Every structurally valid reading of a shape (values are checked afterwards)."""
    elems = shape[0::2]
    seps = [s[1] for s in shape[1::2]]
    n = len(elems)
    out: list[_Reading] = []
    # an epoch number (seconds may carry a fraction)
    if elems[0][0] == "num" and elems[0][1] in ("10", "13", "16", "19"):
        if n == 2 and seps[0] == "." and elems[0][1] in ("10", "13") and elems[1] == ("num", "frac"):
            return [_Reading([("epoch" + elems[0][1],), ("efrac",)], "epoch")]
        if n != 1:
            return []
        out.append(_Reading([("epoch" + elems[0][1],)], "epoch"))
    if n == 1 and elems[0][0] == "num":
        # a date and time glued into one run of digits: the orders writers use (data)
        for order in voc.compact.get(elems[0][1], ()):
            out.append(_Reading([tuple(order)], "".join(c for c in order if c in "dmyY")))
        return out
    clock = _clock_at(shape, voc)
    if clock is None:  # a compact clock (HHMMSS) after a numeric date: 'yyyymmdd hhmmss'
        if n in (2, 3) and elems[0][0] == "num" and elems[0][1] in ("6", "8") and elems[1] == ("num", "6") \
                and seps[0] in voc.clock_seps + ("T",):
            if n == 3 and elems[2] != ("num", "frac"):
                return []
            for date in _NUM_ROLES[elems[0][1]]:
                tail = [("f",)] if n == 3 else []
                out.append(_Reading([date, ("H", "M", "S")] + tail, "".join(date)))
        return out
    c0, c1, frac = clock
    clock_roles: list[tuple[str, ...]] = [("H",), ("M",)] + ([("S",)] if c1 - c0 - frac >= 3 else [])
    if frac:
        clock_roles.append(("f",))
    after = elems[c1:]
    after_roles: list[tuple[str, ...]] = []
    k = 0
    if after and after[0][0] == "ampm" and seps[c1 - 1] in (" ", ""):
        after_roles.append(("p",))
        k = 1
    tail_year = False
    rest = after[k:]
    if rest and rest[0][0] == "zone" and len(rest) >= 2 and rest[1] == ("num", "4"):
        after_roles += [("zone",), ("Y",)]
        tail_year = True
    elif rest and rest[0] == ("num", "4") and seps[c1 + k - 1] == " ":
        after_roles.append(("Y",))
        tail_year = True
    elif rest:
        return []
    if "p" in {r[0] for r in after_roles}:
        clock_roles[0] = ("I",)
    before = elems[:c0]
    if c0 and seps[c0 - 1] not in voc.clock_seps:
        return []
    if any(s not in voc.date_seps for s in seps[: max(0, c0 - 1)]):
        return []
    if not before:
        return [] if tail_year else [_Reading(clock_roles + after_roles, "")]
    options: list[list[tuple[str, ...]]] = []
    for kind, width in before:
        if kind == "num":
            if width not in _NUM_ROLES:
                return []
            options.append(list(_NUM_ROLES[width]))
        elif kind == "mon":
            options.append([("b",)])
        elif kind == "dow":
            options.append([("a",)])
        else:
            return []
    if before[0][0] == "dow" and len(before) == 1:
        return []
    for combo in itertools.product(*options):
        flat = [r for roles in combo for r in roles]
        if tail_year:
            flat_y = flat + ["Y"]
        else:
            flat_y = flat
        c = Counter(flat_y)
        if any(v > 1 for v in c.values()) or c["a"] > 1:
            continue
        months = c["m"] + c["b"]
        years = c["Y"] + c["y"]
        if months != 1 or c["d"] != 1 or years > 1:
            continue
        order = "".join(r for r in flat_y if r in "dmbyY").replace("b", "m")
        if order not in voc.order_preference:  # a date order no writer uses (year-day-month)
            continue
        out.append(_Reading(list(combo) + clock_roles + after_roles, order))
    return out


def _values_ok(reading: _Reading, shape: tuple, values: list[list[str]], voc: Vocabulary) -> bool:
    """Whether every observed text fits its role's range (epochs: 2000..2100)."""
    from .timestamps import EPOCH_MAX_S, EPOCH_MIN_S

    for roles, col in zip(reading.roles, zip(*values)):
        for text in col:
            if roles[0].startswith("epoch"):
                digits = int(roles[0][5:])
                scale = 10 ** (digits - 10)
                if not EPOCH_MIN_S * scale <= int(text) <= EPOCH_MAX_S * scale:
                    return False
                continue
            if roles[0] in ("f", "efrac", "p", "zone", "a"):
                continue
            if roles[0] == "b":
                continue
            if len(roles) > 1:  # glued digits: each part its width
                pos = 0
                for r in roles:
                    w = _WIDTH[r]
                    part = text[pos:pos + w]
                    pos += w
                    if not _in_range(r, part, voc):
                        return False
                continue
            if not _in_range(roles[0], text, voc):
                return False
    return True


def _in_range(role: str, text: str, voc: Vocabulary) -> bool:
    if not text.isdigit():
        return False
    v = int(text)
    if role == "Y":
        return len(text) == 4 and voc.year_min <= v <= voc.year_max
    lo, hi = _RANGES[role]
    return lo <= v <= hi


def _num_rx(widths: set[int]) -> str:
    lo, hi = min(widths), max(widths)
    return rf"\d{{{lo}}}" if lo == hi else rf"\d{{{lo},{hi}}}"


def _sep_rx(seps: set[str]) -> str:
    """Regex of a separator class seen as ``seps`` (space runs of varying widths)."""
    spaces = {len(s) for s in seps if set(s) == {" "}}
    if spaces and len(spaces) == len(seps) or len(seps) == 1 and spaces:
        # space runs pad a narrow field to a column: one or two wherever one is seen
        return f" {{1,{max(2, max(spaces))}}}"
    if len(seps) == 1:
        return re.escape(next(iter(seps))).replace("\\ ", " ")
    stripped = {s.strip() for s in seps}
    if len(stripped) == 1:
        core = re.escape(next(iter(stripped)))
        return f" *{core} *"
    return "(?:" + "|".join(re.escape(s).replace("\\ ", " ") for s in sorted(seps)) + ")"


def _sep_fmt(sep: str) -> str:
    """The strptime literal for a separator (space runs are one space: strptime skips
    whitespace runs)."""
    return re.sub(r" +", " ", sep).replace("%", "%%")


def _name_rx(texts: set[str]) -> str:
    if all(t.isupper() for t in texts):
        return "[A-Z]{3}" if all(len(t) == 3 for t in texts) else "[A-Z]{3,9}"
    if all(t[:1].isupper() and t[1:].islower() for t in texts):
        return "[A-Z][a-z]{2}" if all(len(t) == 3 for t in texts) else "[A-Z][a-z]{2,8}"
    return "[A-Za-z]{3}" if all(len(t) == 3 for t in texts) else "[A-Za-z]{3,9}"


_DIRECTIVE = {"d": "%d", "m": "%m", "y": "%y", "Y": "%Y", "H": "%H", "I": "%I", "M": "%M", "S": "%S",
              "f": "%f", "p": "%p"}


def _build(shape: tuple, reading: _Reading, texts: list[list[str]], seps: list[list[str]],
           lead_boundary: bool, voc: Vocabulary) -> tuple[str, tuple[str, ...]]:
    """(regex, formats) of a reading, from the texts seen in the sample (with and without
    its fraction when it has one)."""
    from .timestamps import TZ_SUFFIX

    elems = shape[0::2]
    rx: list[str] = [r"\b" if lead_boundary else ""]
    fmt: list[str] = []
    frac_at = -1
    for e, (kind_w, roles) in enumerate(zip(elems, reading.roles)):
        col = {t[e] for t in texts}
        kind = kind_w[0]
        if e:
            seen = {s[e - 1] for s in seps}
            rx.append(_sep_rx(seen))
            fmt.append(_sep_fmt(next(iter(seen))) if len(seen) == 1 else
                       _sep_fmt(Counter(s[e - 1] for s in seps).most_common(1)[0][0]))
        if roles[0].startswith("epoch"):
            digits = roles[0][5:]
            rx.append(rf"\d{{{digits}}}")
            fmt.append({"10": "epoch", "13": "epoch_ms", "16": "epoch_us", "19": "epoch_ns"}[digits])
        elif roles[0] in ("efrac", "f"):
            # a fraction: any number of digits (writers trim them), or none in some lines
            sep_rx, sep_fmt = rx.pop(), fmt.pop()
            rx.append(f"(?:{sep_rx}\\d{{1,9}})?")
            frac_at = len(fmt)
            fmt.append("" if roles[0] == "efrac" else sep_fmt + "%f")
        elif kind == "num":
            # a 1-2 digit part is either width in other lines (a day, an hour unpadded)
            rx.append(r"\d{1,2}" if kind_w[1] == "1-2" else _num_rx({len(t) for t in col}))
            fmt.append("".join(_DIRECTIVE[r] for r in roles))
        elif kind == "mon":
            rx.append(_name_rx(col))
            fmt.append("%b" if kind_w[1] == "abbr" else "%B")
        elif kind == "dow":
            rx.append(_name_rx(col))
            fmt.append("%a" if kind_w[1] == "abbr" else "%A")
        elif kind == "ampm":
            rx.append("(?:" + "|".join(sorted(re.escape(t) for t in col | {_flip_ampm(t) for t in col})) + ")")
            fmt.append("%p")
        elif kind == "zone":
            z = next(iter(col))
            rx.append(re.escape(z))
            fmt.append(z)
    if reading.order == "epoch":
        # epoch formats are whole: the number (and its fraction) is the text
        return "".join(rx) + r"\b", (fmt[0],)
    full = "".join(fmt)
    if frac_at < 0:
        return "".join(rx) + TZ_SUFFIX, (full,)
    return "".join(rx) + TZ_SUFFIX, (full, "".join(fmt[:frac_at] + fmt[frac_at + 1:]))


def _flip_ampm(t: str) -> str:
    table = {"am": "pm", "pm": "am", "AM": "PM", "PM": "AM", "a.m.": "p.m.", "p.m.": "a.m."}
    return table.get(t, t)


def infer_layouts(heads: Sequence[str], *, search_chars: int) -> list[InferredLayout]:
    """Layouts inferred from the structure of the sample line heads, best supported
    first (the finder scores and ranks them with the known ones' SQL)."""
    voc = vocabulary()
    # shape -> per-line (texts, separators, start, boundary before)
    seen: dict[tuple, dict[int, tuple[list[str], list[str], int, bool]]] = {}
    cache: dict[tuple, list[tuple[int, int, tuple]]] = {}
    for i, head in enumerate(heads):
        for ch in _chains(head, search_chars, voc):
            for a, b, key in _windows(_element_keys(ch, voc), voc, cache):
                start = ch.starts[a]
                if start > search_chars:
                    continue
                per = seen.setdefault(key, {})
                if i in per:
                    continue
                before = head[start - 1] if start else " "
                per[i] = ([t for _, t in ch.elems[a:b]], ch.seps[a:b - 1], start,
                          not (before.isalnum() or before == "_"))
    need = min(len(heads), max(2, int(MIN_SHARE * len(heads))))
    ranked = sorted(((k, v) for k, v in seen.items() if len(v) >= need),
                    key=lambda kv: (-len(kv[1]), -len(kv[0])))
    out: list[InferredLayout] = []
    made: set[tuple[str, tuple[str, ...]]] = set()
    for key, per in ranked:
        rows = list(per.values())
        texts = [r[0] for r in rows]
        seps = [r[1] for r in rows]
        boundary = sum(r[3] for r in rows) >= 0.5 * len(rows)
        for reading in _readings(key, voc):
            if not _values_ok(reading, key, texts, voc):
                continue
            if reading.order == "epoch" and _counter_like(texts):
                continue
            rx, fmts = _build(key, reading, texts, seps, boundary, voc)
            if (rx, fmts) in made:
                continue
            made.add((rx, fmts))
            pref = voc.order_preference.index(reading.order) if reading.order in voc.order_preference \
                else len(voc.order_preference)
            out.append(InferredLayout(f"inferred:{fmts[0]}", rx, fmts, pref))
        if len(out) >= MAX_LAYOUTS:
            break
    return out[:MAX_LAYOUTS]


def _counter_like(texts: list[list[str]]) -> bool:
    """Epoch-sized numbers that step by exactly one from line to line are a counter."""
    vals = [int(t[0]) for t in texts]
    if len(vals) < 4:
        return False
    steps = [b - a for a, b in zip(vals, vals[1:])]
    return sum(1 for s in steps if s == 1) >= 0.8 * len(steps)


def order_score(values: Sequence[dt.datetime | None]) -> tuple[int, float]:
    """(steps against the file's direction, median absolute step in seconds) of readings
    in line order: the right reading of a date runs one way in small steps; the wrong
    day/month order jumps by months both ways. The direction is the one most steps take:
    a report printed newest first (an error log summary) runs backwards all along, and
    its right reading must not lose to a wrong one for it."""
    seq = [v for v in values if isinstance(v, dt.datetime)]
    if len(seq) < 2:
        return 0, 0.0
    steps = [(b - a).total_seconds() for a, b in zip(seq, seq[1:])]
    back = min(sum(1 for s in steps if s < -3600), sum(1 for s in steps if s > 3600))
    absolute = sorted(abs(s) for s in steps)
    return back, sum(absolute) / len(absolute)


__all__ = ["InferredLayout", "infer_layouts", "order_score", "vocabulary"]
