"""The one timestamp helper: finding a time in a line and parsing it, vectorised in DuckDB.

Layouts are data (``timestamps.json``: a regex to find the text, strptime formats to
parse it), like the masks, so adding a layout is a line of JSON, and the rule compiler,
rule induction and the benchmarks all read the same table. Nothing here loops over lines
in Python: finding is ``regexp_extract`` over a sample relation, parsing is
``try_strptime`` with a constant format list, epoch numbers are range-checked in SQL, and
the year of year-less layouts is inferred with window functions over the chunk, and
the date of layouts with a time of day only comes from the file's mtime, a day being
added at each midnight the file's order crosses.

The table holds the layouts someone wrote down; when none of them reads a sample well,
the finder falls back on layouts inferred from the sample's structure
(:mod:`.timestamps_infer`: digit groups, names, separators, value ranges, the order of
the lines), scored and applied exactly like the table's. A UTC offset written in minutes (east, or a
bias) and TAI64N labels are read by :mod:`.timestamps_notations`, selected by the
layout's formats; a layout marked ``anywhere`` is looked for in the whole line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from . import timestamps_notations as _notes
from . import zones as _zones

#: Special "formats" for epoch numbers and TAI64N labels (UTC by definition).
EPOCH_FORMATS: tuple[str, ...] = ("epoch", "epoch_ms", "epoch_us", "epoch_ns", _notes.TAI64N_FORMAT)

#: Digits of the integer part of each epoch unit: its magnitude says the unit, so a
#: 12-digit number (a year-9999 time in seconds, an id) is never read as milliseconds.
#: (format, digits, fraction allowed, SQL turning the text into a TIMESTAMP)
EPOCH_UNITS: tuple[tuple[str, int, bool, str], ...] = (
    ("epoch", 10, True, "make_timestamp(CAST(round(CAST({t} AS DOUBLE) * 1000000) AS BIGINT))"),
    ("epoch_ms", 13, True, "make_timestamp(CAST(round(CAST({t} AS DOUBLE) * 1000) AS BIGINT))"),
    ("epoch_us", 16, False, "make_timestamp(CAST({t} AS BIGINT))"),
    ("epoch_ns", 19, False, "make_timestamp(CAST(CAST({t} AS HUGEINT) // 1000 AS BIGINT))"),
)
#: Scale of each epoch unit to seconds (for the range check).
_EPOCH_SCALE = {"epoch": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000, "epoch_ns": 1_000_000_000}

#: UTC offsets beyond these are not a zone (the widest real ones are -12:00 and +14:00):
#: a time with such an offset is rejected for its line, never shifted by it.
MAX_OFFSET_HOURS = 14

#: Epoch values are accepted only between these instants (2000-01-01 .. 2100-01-01),
#: so a 10-digit id or byte count is not read as a time.
EPOCH_MIN_S = 946_684_800
EPOCH_MAX_S = 4_102_444_800

ZONE_FILE = "timezones.json"


def _zone_table() -> dict[str, int]:
    """Zone abbreviations honoured after a timestamp (minutes east of UTC), from
    ``timezones.json``: data, like the layouts, so a zone is a line of JSON. Ambiguous
    ones (IST, CST, BST) take the reading the file documents as the common one."""
    text = resources.files(__package__).joinpath(ZONE_FILE).read_text(encoding="utf-8")
    return {str(k): int(v) for k, v in json.loads(text)["zones"].items()}


#: Zone abbreviation -> minutes east of UTC (see :func:`_zone_table`).
TZ_ABBREV_MINUTES: dict[str, int] = _zone_table()

#: Longest first, so an alternation never stops at a shorter abbreviation.
_ABBREVS = "|".join(sorted((k for k in TZ_ABBREV_MINUTES if k != "Z"), key=lambda k: (-len(k), k)))

#: Splits "<time> <offset>" so formats never need %z: group 1 the local time (it must
#: end in a clock time, compact or not, with an optional AM/PM, so a date's "-02" is
#: never read as an offset), group 2 the zone.
TZ_SPLIT_RE = (
    r"^(.*(?:\d{1,2}:\d{2}(?::\d{2})?|T\d{6})(?:[.,:]\d+)?(?: [AaPp][Mm])?(?: \d{4})?)\s*(Z|[+-]\d{2}(?::?\d{2})?|"
    + _ABBREVS + r")$"
)

#: Cheap test on the last 6 characters before running the zone-splitting regex.
TZ_TAIL_RE = r"(?:Z|[+-]\d{2}(?::?\d{2})?|[A-Z]{3,4})$"

#: The optional zone suffix a layout regex may end with (``{TZ}`` in the table).
TZ_SUFFIX = r"(?: ?(?:Z|[+-]\d{2}:?\d{2}|" + _ABBREVS + r")\b)?"

#: How far into a line a timestamp may start (characters).
SEARCH_CHARS = 64
#: How much of a line a layout found ``anywhere`` is looked for in (characters).
ANYWHERE_CHARS = 4096

LAYOUT_FILE = "timestamps.json"


@dataclass(frozen=True)
class Layout:
    """One way of writing a time: how to find it and how to parse it."""

    name: str
    regex: str
    formats: tuple[str, ...]
    #: found anywhere in the line, not only in its first SEARCH_CHARS characters (a
    #: layout distinctive enough, such as a time and a date in named attributes, that a
    #: message of any length may precede it)
    anywhere: bool = False

    @property
    def is_epoch(self) -> bool:
        return all(f in EPOCH_FORMATS for f in self.formats)

    @property
    def is_time_only(self) -> bool:
        return all(is_time_only(f) for f in self.formats)


@lru_cache(maxsize=1)
def layouts() -> tuple[Layout, ...]:
    """The layout table, in tie-break order."""
    text = resources.files(__package__).joinpath(LAYOUT_FILE).read_text(encoding="utf-8")
    out = []
    for item in json.loads(text)["layouts"]:
        out.append(Layout(item["name"], item["regex"].replace("{TZ}", TZ_SUFFIX), tuple(item["formats"]),
                          anywhere=bool(item.get("anywhere", False))))
    return tuple(out)


def lit(value: str | None) -> str:
    """A DuckDB string literal (standard SQL quoting; backslashes are literal)."""
    from ..sqltext import literal  # the one literal helper (issue 17)

    return literal(None if value is None else str(value))


def has_year(fmt: str) -> bool:
    return fmt in EPOCH_FORMATS or "%Y" in fmt or "%y" in fmt


def is_time_only(fmt: str) -> bool:
    """A format with a time of day and no date at all (``%H:%M:%S``): the date is the file's."""
    return fmt not in EPOCH_FORMATS and not re.search(r"%[dejmbByYaAU]", fmt)


def strip_zone_formats(formats: Sequence[str]) -> list[str]:
    """Drop trailing %z/%Z/Z/UTC from formats: zones are split off the text beforehand.

    Fractions longer than ``%f``'s six digits are cut in the text instead (see
    :func:`_frac6`): a ``%n`` format would turn the result into TIMESTAMP_NS, which
    cannot hold years past 2262.
    """
    out: list[str] = []
    for fmt in formats:
        if fmt in EPOCH_FORMATS:
            if fmt not in out:
                out.append(fmt)
            continue
        f = re.sub(r"\s*(%z|%Z|Z|UTC|GMT)$", "", _notes.strip_notation(fmt))
        if f not in out:
            out.append(f)
    return out


def _fmt_list(fmts: Sequence[str]) -> str:
    return "[" + ", ".join(lit(f) for f in fmts) + "]"


def _frac6(base: str, fmts: Sequence[str]) -> str:
    """``base`` with a fraction of more than 6 digits cut to 6 (``%f``'s limit)."""
    if not any("%f" in f for f in fmts):
        return base
    return (f"(CASE WHEN regexp_matches({base}, '[0-9]{{7}}') THEN "
            f"regexp_replace({base}, '([.,:][0-9]{{6}})[0-9]+', '\\1') ELSE {base} END)")


def with_year_sql(formats: Sequence[str], base: str) -> str | None:
    """Naive local TIMESTAMP from ``base`` for the formats that carry a year."""
    fmts = [f for f in strip_zone_formats(formats) if f not in EPOCH_FORMATS and has_year(f)]
    return f"try_strptime({_frac6(base, fmts)}, {_fmt_list(fmts)})" if fmts else None


def month_day_sql(formats: Sequence[str], base: str) -> str | None:
    """Year-less formats parsed into the leap year 2000 (so Feb 29 survives)."""
    fmts = [f for f in strip_zone_formats(formats) if not has_year(f) and not is_time_only(f)]
    if not fmts:
        return None
    return f"try_strptime('2000 ' || {_frac6(base, fmts)}, {_fmt_list(['%Y ' + f for f in fmts])})"


def time_of_day_sql(formats: Sequence[str], base: str) -> str | None:
    """Date-less formats parsed onto 2000-01-01 (the date is added later, from ref)."""
    fmts = [f for f in strip_zone_formats(formats) if is_time_only(f)]
    if not fmts:
        return None
    return f"try_strptime('2000-01-01 ' || {_frac6(base, fmts)}, {_fmt_list(['%Y-%m-%d ' + f for f in fmts])})"


def _tod_on_ref_day(tod: str, ref: dt.datetime) -> str:
    """``tod`` (a time on 2000-01-01) put on the day of ``ref``, or on the day before when
    that would put it later than ref by more than any zone's offset
    (:data:`MAX_OFFSET_HOURS`). A file's mtime is its last write, so its last record is
    not after it; a writer's local clock may run up to 14 hours ahead of the (UTC) mtime,
    hence the slack. Not "the nearest day": a morning record in a file last written in
    the evening is that evening's day, not the next one."""
    day = lit(ref.strftime("%Y-%m-%d"))
    at = f"(DATE {day} + ({tod} - TIMESTAMP '2000-01-01'))"
    r = f"TIMESTAMP {lit(ref.strftime('%Y-%m-%d %H:%M:%S'))}"
    return f"(CASE WHEN {at} > {r} + INTERVAL {MAX_OFFSET_HOURS} HOUR THEN {at} - INTERVAL 1 DAY ELSE {at} END)"


#: A time of day this much before the previous record's is the next day (midnight crossed),
#: not threads writing slightly out of order.
DAY_ROLLBACK_HOURS = 1
DAY_ROLLBACK = f"INTERVAL {DAY_ROLLBACK_HOURS} HOUR"


def time_of_day_ctes(src: str, ref: dt.datetime) -> str:
    """Two CTE bodies (``ta``, ``tb``) over ``src`` (columns ``rn``, ``tod``) giving
    ``tod_ts``: each date-less time on its day. The last record's day is the one of
    ``ref`` (the file's mtime), or the day before when it would be after ref (see :func:`_tod_on_ref_day`); walking
    back, each point where the time of day went backwards (more than
    :data:`DAY_ROLLBACK`) is a midnight, so the records before it are a day earlier."""
    last = _tod_on_ref_day("last_tod", ref)
    return (
        f"ta AS (SELECT *, CASE WHEN tod < last_value(tod IGNORE NULLS) OVER (ORDER BY rn ROWS BETWEEN "
        f"UNBOUNDED PRECEDING AND 1 PRECEDING) - {DAY_ROLLBACK} THEN 1 ELSE 0 END AS droll, "
        f"last_value(tod IGNORE NULLS) OVER (ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND "
        f"UNBOUNDED FOLLOWING) AS last_tod FROM {src}),\n"
        f"    tb AS (SELECT *, CAST({last} AS DATE) - CAST(coalesce(sum(droll) OVER (ORDER BY rn ROWS BETWEEN "
        f"1 FOLLOWING AND UNBOUNDED FOLLOWING), 0) AS INTEGER) + (tod - TIMESTAMP '2000-01-01') AS tod_ts FROM ta)"
    )


def ref_year_sql(md: str, ref: dt.datetime) -> str:
    """Year for a year-less time ``md`` (in 2000) seen in a file written at ``ref``: the
    year of ref, or the one before when that would put it more than a day after ref."""
    limit = lit((ref + dt.timedelta(days=1)).strftime("%Y-%m-%d %H:%M:%S"))
    y = ref.year
    return f"(CASE WHEN {md} + to_years({y - 2000}) > TIMESTAMP {limit} THEN {y - 1} ELSE {y} END)"


def local_time_sql(formats: Sequence[str], base: str, ref: dt.datetime) -> str:
    """Per-record naive local TIMESTAMP (year-less forms get their year from ``ref``)."""
    parts = []
    wy = with_year_sql(formats, base)
    if wy:
        parts.append(wy)
    md = month_day_sql(formats, base)
    if md:
        parts.append(f"{md} + to_years({ref_year_sql(md, ref)} - 2000)")
    tod = time_of_day_sql(formats, base)
    if tod:  # one record alone: the day of ref (rules use time_of_day_ctes)
        parts.append(_tod_on_ref_day(tod, ref))
    return "coalesce(" + ", ".join(parts) + ")" if parts else "CAST(NULL AS TIMESTAMP)"


def monotone_year_ctes(src: str, ref: dt.datetime) -> str:
    """Two CTE bodies (``ya``, ``yb``) over ``src`` (columns ``rn``, ``md``) giving
    ``year_md``: the year of each year-less time. The first record's year comes from
    ``ref`` (the file's mtime: its year, or the one before when the record would be
    more than a day after ref); each New Year rollover after it (a time more than 30
    days before the previous one) adds a year, so a file spanning December to January
    stays in order whether its mtime is in the old year or the new one."""
    anchor = ref_year_sql("first_md", ref)
    return (
        f"ya AS (SELECT *, CASE WHEN md < last_value(md IGNORE NULLS) OVER (ORDER BY rn ROWS BETWEEN "
        f"UNBOUNDED PRECEDING AND 1 PRECEDING) - INTERVAL 30 DAY THEN 1 ELSE 0 END AS roll, "
        f"first_value(md IGNORE NULLS) OVER (ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND "
        f"UNBOUNDED FOLLOWING) AS first_md FROM {src}),\n"
        f"    yb AS (SELECT *, {anchor} + sum(roll) OVER (ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING "
        f"AND CURRENT ROW) AS year_md FROM ya)"
    )


def epoch_sql(formats: Sequence[str], base: str) -> str:
    """Epoch seconds / ms / us / ns (already UTC): the unit from the number of digits
    (:data:`EPOCH_UNITS`), the value range-checked (2000..2100), so neither an id nor a
    number of another unit is read as a time."""
    arms = []
    for fmt, digits, frac, conv in EPOCH_UNITS:
        if fmt not in formats:
            continue
        rx = f"[0-9]{{{digits}}}" + ("(?:\\.[0-9]+)?" if frac else "")
        scale = _EPOCH_SCALE[fmt]
        num = f"TRY_CAST({base} AS DOUBLE)" if frac else f"TRY_CAST({base} AS HUGEINT)"
        arms.append(f"WHEN regexp_full_match({base}, '{rx}') AND {num} BETWEEN {EPOCH_MIN_S * scale} "
                    f"AND {EPOCH_MAX_S * scale} THEN {conv.format(t=base)}")
    if _notes.TAI64N_FORMAT in formats:
        arms.append(f"WHEN starts_with({base}, '@') THEN {_notes.tai64n_sql(base, EPOCH_MIN_S, EPOCH_MAX_S)}")
    return f"(CASE {' '.join(arms)} END)" if arms else "CAST(NULL AS TIMESTAMP)"


def offset_minutes_sql(tz: str, formats: Sequence[str] = ()) -> str:
    """Minutes east of UTC for a zone text (``Z``, ``+0200``, ``-05:30``, ``CET``); NULL
    for an impossible offset (``+99:99``: hours past :data:`MAX_OFFSET_HOURS`, minutes
    past 59), so the time is rejected rather than shifted by it. Formats marked with a
    minutes notation (:mod:`.timestamps_notations`) read ``tz`` as minutes instead."""
    sign = _notes.notation_sign(formats)
    if sign is not None:
        return _notes.minutes_offset_sql(tz, sign)
    abbrev = " ".join(f"WHEN {tz} = '{k}' THEN {v}" for k, v in TZ_ABBREV_MINUTES.items())
    digits = f"replace({tz}, ':', '')"
    hh = f"CAST(substr({digits}, 2, 2) AS INTEGER)"
    mm = f"coalesce(TRY_CAST(nullif(substr({digits}, 4, 2), '') AS INTEGER), 0)"
    numeric = (f"CASE WHEN {hh} <= {MAX_OFFSET_HOURS} AND {mm} < 60 THEN "
               f"(CASE WHEN left({tz}, 1) = '-' THEN -1 ELSE 1 END) * ({hh} * 60 + {mm}) END")
    # a signed offset first: no abbreviation starts with a sign, and most zones written
    # in logs are numeric, which otherwise fell through every abbreviation's comparison
    signed = (f"WHEN starts_with({tz}, '+') OR starts_with({tz}, '-') THEN {numeric}"
              if not any(k[:1] in "+-" for k in TZ_ABBREV_MINUTES) else "")
    return f"(CASE WHEN {tz} IS NULL THEN NULL {signed} {abbrev} ELSE {numeric} END)"


def zone_split_sql(text: str, formats: Sequence[str] = ()) -> str:
    """STRUCT(tzb, tzz) splitting a trailing zone off ``text`` (NULL when it has none);
    for formats marked with a minutes notation, the minutes offset after the fraction."""
    if _notes.notation_sign(formats) is not None:
        return _notes.minutes_split_sql(text)
    return (f"CASE WHEN regexp_matches(right({text}, 6), {lit(TZ_TAIL_RE)}) "
            f"THEN regexp_extract({text}, {lit(TZ_SPLIT_RE)}, ['tzb', 'tzz']) END")


def parse_text_sql(formats: Sequence[str], text: str, ref: dt.datetime, timezone: str = "UTC") -> str:
    """UTC TIMESTAMP for a timestamp text in one expression (no monotone year): for
    callers that parse found text outside a rule (induction, benchmarks)."""
    zs = zone_split_sql(text, formats)
    base = f"(CASE WHEN ({zs}).tzz <> '' THEN ({zs}).tzb ELSE {text} END)"
    tz = f"nullif(({zs}).tzz, '')"
    local = local_time_sql(formats, base, ref)
    to_utc = _zones.to_utc_sql(local, timezone)
    return (f"coalesce({epoch_sql(formats, text)}, CASE WHEN {tz} IS NOT NULL THEN {local} - "
            f"to_minutes(CAST({offset_minutes_sql(tz, formats)} AS BIGINT)) ELSE {to_utc} END)")


def rule_timestamp_regex(pattern: str | None) -> str | None:
    """The text of a regex rule's ``timestamp`` group (its layout), or None."""
    if not pattern:
        return None
    start = pattern.find("(?P<timestamp>")
    if start < 0:
        return None
    depth, i, body = 0, start, start + len("(?P<timestamp>")
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            i += 2
            continue
        if c == "[":  # a class: its brackets and parentheses are literal
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                return pattern[body:i]
        i += 1
    return None


def anywhere_pattern(file_rule: Any = None) -> tuple[str, list[str]]:
    """(regex, formats) that find a calendar timestamp of any layout in the first
    :data:`SEARCH_CHARS` characters of a line: the text before it is the ``header``
    group, the rest the message. For the lines no rule of their file takes (a rotated
    file whose layout changed, a level the rule did not see in its sample): they keep
    their own time. ``file_rule``'s own timestamp layout is tried first. Epoch and time-of-day-only
    layouts are left out (a bare number or clock in an unknown line is more often an id
    or a duration than its time)."""
    # a minutes-offset notation is the file's whole reading of its zones: not mixed in here
    table = [lay for lay in known_layouts() if not lay.is_epoch and not lay.is_time_only
             and not any(_notes.is_notation_format(f) for f in lay.formats)]
    own = rule_timestamp_regex(getattr(file_rule, "pattern", None)) if getattr(file_rule, "kind", "") == "regex" else None
    own_fmts = [f for f in (getattr(file_rule, "timestamp_formats", None) or [])
                if f not in EPOCH_FORMATS and not is_time_only(f) and not _notes.is_notation_format(f)] if own else []
    if own_fmts:  # the file's own layout (inferred or not) first: its lines' time
        table = [Layout("file rule", own, tuple(own_fmts))] + table
    alts = "|".join(f"(?:{lay.regex})" for lay in table) or r"\b\B"  # no table: nothing found
    fmts: list[str] = []
    for lay in table:
        fmts.extend(f for f in lay.formats if f not in fmts)
    rx = (rf"^(?P<header>.{{0,{SEARCH_CHARS}}}?)\[?(?P<timestamp>{alts})\]?[\s,:|\-]*(?P<message>.*)$")
    return rx, fmts


@dataclass
class LayoutHit:
    """How one layout fared on a sample: found where, parsed how often, with which formats."""

    layout: Layout
    found: int
    parsed: int
    position: int
    length: int
    formats: list[str]
    texts: list[str | None]
    starts: list[int | None]
    #: each sample line's parsed time (naive; year-less ones in 2000), for the order test
    values: list[Any] = field(default_factory=list)
    #: place in the table tried (known layouts first)
    index: int = 0
    #: tie-breaks of an inferred layout: (backward steps, mean step, years from ref,
    #: date-order preference); empty for a known layout, so it stays first at a tie
    tie: tuple = ()

    def to_dict(self) -> dict[str, Any]:
        return {"layout": self.layout.name, "found": self.found, "parsed": self.parsed,
                "position": self.position, "formats": self.formats}


def known_layouts() -> tuple[Layout, ...]:
    """The layouts the finder tries first: the table, or none when
    :data:`STRUCTURAL_ONLY_ENV` is set (a measurement of the structural inference alone,
    the figure that predicts formats nobody has written a layout for)."""
    return () if os.environ.get(STRUCTURAL_ONLY_ENV, "") not in ("", "0") else layouts()


#: Set to 1 to switch the known-layout table off (the benchmark's ``--structural-only``).
STRUCTURAL_ONLY_ENV = "LOGPILOT_TS_STRUCTURAL_ONLY"

#: The structural inference runs when the known layouts parse fewer sample lines than
#: this share, or only a time of day or an epoch number (a date may sit around it).
INFER_BELOW_SHARE = 0.5


def find_layouts(con: Any, lines: Sequence[str], *, ref: dt.datetime | None = None,
                 search_chars: int = SEARCH_CHARS) -> list[LayoutHit]:
    """Every layout that parses at least one sample line, best first.

    One DuckDB query: each layout's regex over the first :data:`SEARCH_CHARS` characters
    of every line (``regexp_extract``), each of its formats tried with ``try_strptime``
    and counted. Best = parses most lines, then a calendar layout before an epoch one
    (an epoch number beside a date is usually a duplicate or an id), then the longer
    text, then the earlier position, then table order. ``search_chars`` widens the
    window for a caller that found nothing in the default one (a time after a long header).

    When the known layouts read too little of the sample (see :data:`INFER_BELOW_SHARE`),
    layouts inferred from the lines' structure (:mod:`.timestamps_infer`) are scored the
    same way and ranked with them; at equal support a known layout stays first, and of
    two inferred readings of the same text the one whose times run forward in the
    smallest steps wins (day-first vs month-first), then the one nearest ``ref``.
    """
    ref = ref or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    heads = [ln[: search_chars + 48] for ln in lines]
    if not heads:
        return []
    full = [ln[:ANYWHERE_CHARS] for ln in lines]
    hits = _score_layouts(con, heads, known_layouts(), ref, search_chars, full=full)
    best = _rank(hits, heads)
    if not best or best[0].parsed < INFER_BELOW_SHARE * len(heads) or best[0].layout.is_time_only \
            or best[0].layout.is_epoch:
        from .timestamps_infer import infer_layouts, order_score

        inferred = infer_layouts(heads, search_chars=search_chars)
        table = tuple(Layout(lay.name, lay.regex, lay.formats) for lay in inferred)
        extra = _score_layouts(con, heads, table, ref, search_chars, base=len(hits) + 1000)
        for h in extra:
            vals = [None if t is None else v for t, v in zip(h.texts, h.values)]
            back, step = order_score(vals)
            h.tie = (back, step, _distance(ref, vals, h.formats[0]) if h.formats else 0.0,
                     inferred[h.index - len(hits) - 1000].preference)
        best = _rank(hits + extra, heads)
        if best and best[0].tie:  # equally good readings of the same text are fallbacks
            alts = [f for h in best[1:] if h.tie and h.layout.regex == best[0].layout.regex
                    and h.parsed == best[0].parsed and h.tie[:2] == best[0].tie[:2]
                    for f in h.formats if f not in best[0].formats]
            best[0].formats = best[0].formats + alts
    return best


def _rank(hits: list[LayoutHit], heads: Sequence[str]) -> list[LayoutHit]:
    indented = {id(h): _mostly_indented(h, heads) for h in hits}
    hits = sorted(hits, key=lambda h: (-h.parsed, h.layout.is_epoch, indented[id(h)], -h.length, h.position,
                                       h.tie, h.index))
    if hits and hits[0].layout.is_time_only:
        # a time of day alone is the line's time only when no date is in as many lines:
        # a clock in the message of dated lines (or their continuations) is not it
        dated = [h for h in hits if not h.layout.is_time_only and h.parsed >= 0.5 * hits[0].parsed]
        hits = dated + [h for h in hits if h not in dated]
    return hits


def _score_layouts(con: Any, heads: list[str], table: Sequence[Layout], ref: dt.datetime,
                   search_chars: int, base: int = 0, full: list[str] | None = None) -> list[LayoutHit]:
    """A :class:`LayoutHit` for each layout of ``table`` that parses a sample line (one
    query). A layout marked ``anywhere`` is looked for in ``full`` (the whole lines, up to
    :data:`ANYWHERE_CHARS`), at any position."""
    import pyarrow as pa

    if not table:
        return []
    name = "_lp_ts_sample"
    con.register(name, pa.table({"i": list(range(len(heads))), "h": heads, "f": full or heads}))
    try:
        sels = []
        for k, lay in enumerate(table):
            oks = ", ".join(f"{_parsed_sql(f, 't')}" for f in lay.formats)
            col, limit = ("f", "") if lay.anywhere and full else ("h", f" AND strpos(h, t) - 1 <= {search_chars}")
            sels.append(
                f"SELECT {k} AS k, i, t, strpos({col}, t) - 1 AS pos, [{oks}] AS ok FROM ("
                f"SELECT i, h, f, nullif(regexp_extract({col}, {lit(lay.regex)}), '') AS t FROM {name}) "
                f"WHERE t IS NOT NULL{limit}")
        rows = con.execute(" UNION ALL ".join(sels)).fetchall()
    finally:
        con.unregister(name)
    by_k: dict[int, list[tuple]] = {}
    for r in rows:
        by_k.setdefault(r[0], []).append(r)
    hits: list[LayoutHit] = []
    for k, rs in sorted(by_k.items()):
        lay = table[k]
        counts = {f: sum(1 for r in rs if r[4][j] is not None) for j, f in enumerate(lay.formats)}
        far = {f: _distance(ref, [r[4][j] for r in rs], f) for j, f in enumerate(lay.formats)}
        ok_formats = [f for f in sorted(lay.formats, key=lambda f: (-counts.get(f, 0), far[f])) if counts.get(f, 0)]
        parsed_lines = [r for r in rs if any(v is not None for v in r[4])]
        if not parsed_lines:
            continue
        texts: list[str | None] = [None] * len(heads)
        starts: list[int | None] = [None] * len(heads)
        values: list[Any] = [None] * len(heads)
        for r in parsed_lines:
            texts[r[1]], starts[r[1]] = r[2], r[3]
            values[r[1]] = next(v for v in r[4] if v is not None)
        positions = [r[3] for r in parsed_lines]
        position = max(set(positions), key=positions.count)
        length = max(len(r[2]) for r in parsed_lines)
        hits.append(LayoutHit(lay, len(rs), len(parsed_lines), position, length,
                              _pick_formats(ok_formats, counts), texts, starts, values=values, index=base + k))
    return hits


def _mostly_indented(hit: LayoutHit, heads: Sequence[str]) -> bool:
    """Whether most lines a layout parsed start with whitespace while some sample lines
    do not: then its time sits in a record's indented detail lines."""
    idx = [i for i, t in enumerate(hit.texts) if t is not None]
    if all(h[:1].isspace() for h in heads if h):
        return False
    return sum(1 for i in idx if heads[i][:1].isspace()) > 0.5 * len(idx)


def _parsed_sql(fmt: str, text: str) -> str:
    """``text`` parsed with ``fmt`` alone (NULL when it does not parse), for the finder
    (zone cut off by regex; year-less formats land in 2000)."""
    if fmt in EPOCH_FORMATS:
        return epoch_sql([fmt], text)
    if _notes.is_notation_format(fmt):  # the minutes offset cut out, wherever it sits
        zs = _notes.minutes_split_sql(text)
        base = f"coalesce(({zs}).tzb, {text})"
        fmt = _notes.strip_notation(fmt)
    else:
        base = f"regexp_replace({text}, {lit(TZ_SUFFIX + '$')}, '')"
    if has_year(fmt):
        return f"try_strptime({_frac6(base, [fmt])}, {lit(fmt)})"
    return f"try_strptime('2000 ' || {_frac6(base, [fmt])}, {lit('%Y ' + fmt)})"


def _distance(ref: dt.datetime, values: Sequence[dt.datetime | None], fmt: str) -> float:
    """Median distance in whole years of a format's readings from ``ref`` (the file's mtime): of
    two readings of an ambiguous date (``03/05/24`` as 2024-03-05 or 2003-05-24) that
    parse the same lines, the one near the file's own time is the one meant. 0 for
    formats without a year (nothing to compare)."""
    if not has_year(fmt) or fmt in EPOCH_FORMATS:
        return 0.0
    ds = sorted(abs((v - ref).total_seconds()) / 86400 for v in values if isinstance(v, dt.datetime))
    # whole years: readings in the same year (day-first or month-first) stay in table order
    return float(int(ds[len(ds) // 2] // 365)) if ds else float("inf")


def _pick_formats(ok: list[str], counts: dict[str, int]) -> list[str]:
    """Formats worth keeping: day-first vs month-first (and the like) are decided by the
    sample, so a format that parses fewer lines than the best one is dropped when both
    read the same text (an ambiguous date keeps the better-supported reading)."""
    if not ok:
        return ok
    best = counts[ok[0]]
    return [f for f in ok if counts[f] == best or not _same_shape(f, ok[0])]


def _same_shape(a: str, b: str) -> bool:
    norm = lambda f: re.sub(r"%[dmyY]", "%D", f)  # noqa: E731
    return norm(a) == norm(b) and a != b


__all__ = ["Layout", "LayoutHit", "layouts", "find_layouts", "local_time_sql", "epoch_sql",
           "offset_minutes_sql", "strip_zone_formats", "monotone_year_ctes", "parse_text_sql",
           "time_of_day_sql", "time_of_day_ctes", "is_time_only", "known_layouts", "STRUCTURAL_ONLY_ENV",
           "zone_split_sql", "EPOCH_FORMATS", "TZ_ABBREV_MINUTES", "TZ_SPLIT_RE", "TZ_TAIL_RE"]
