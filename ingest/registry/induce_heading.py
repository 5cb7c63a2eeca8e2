"""A column heading line that names the fields of a fixed-width report.

A report printed in columns (``ID  TIME  KIND  NAME  TEXT``) opens with a heading whose
names start at the columns where every record's fields start. When the records' fields
start at those columns too, the heading says where the header fields end: the last
heading names the free-text column, which is the message, however many words it holds;
the columns between the time and it are fields, named after their headings. Without
this, a padded field and a few one-letter columns before a message in capitals are
read as part of the message (their types alone do not say where the header stops).

The same columns show in the gap after the time: when (nearly) every line leaves one
width there and no line less, that width is the separator and the blanks past it in
the other lines are the message's own indentation (a report's nested detail lines),
kept with it (:func:`fixed_gap`).

Nothing here knows a product: the names come from the file's own heading line.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

from .induce_columns import STABLE

#: A heading names at least this many columns (the time, a field, the message).
MIN_HEADINGS = 3
#: A heading name: a word without digits only, letters, '_', '-', '/', '.' (no value).
_HEADING_NAME = re.compile(r"[A-Za-z][A-Za-z_./-]*")


@dataclass
class Heading:
    """The heading's columns after the time: their names (the fields) and the message's."""

    fields: list[str]            # names of the columns between the time and the message
    message: str                 # name of the message's column ('' when no heading names it)
    values: list[list[str]]      # per field, its values in the lines that fit the heading


def _starts(line: str) -> list[tuple[int, str]]:
    return [(m.start(), m.group(0)) for m in re.finditer(r"\S+", line)]


def _field_name(heading: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", heading.lower()).strip("_") or "field"


def heading_columns(heading: str | None, lines: Sequence[str], ts_starts: Sequence[int | None],
                    ts_texts: Sequence[str | None]) -> Heading | None:
    """The heading's columns after the time (None when the line is no such heading).

    Needs a heading of :data:`MIN_HEADINGS` names or more (words, no digits), one of them
    starting at the time's column, at least one after the time's before the last; and in
    STABLE of the timestamped lines each heading column after the time starting a field
    (a blank before it, text at it) and the columns between the time and the last one
    single tokens (no blank inside: a padded field, not text). When the last column's
    value is, in STABLE of those lines, one token and then a gap of two blanks or more,
    it is a field too and the message is the unnamed text after it (a heading that names
    the fields only)."""
    if not heading:
        return None
    cols = _starts(heading)
    if len(cols) < MIN_HEADINGS or not all(_HEADING_NAME.fullmatch(name) for _, name in cols):
        return None
    dated = [(ln, s, t) for ln, s, t in zip(lines, ts_starts, ts_texts) if t is not None and s is not None]
    if len(dated) < 2:
        return None
    starts = {s for _, s, _ in dated}
    if len(starts) != 1:
        return None
    at = next(iter(starts))
    pos = [p for p, _ in cols]
    if at not in pos:
        return None
    k = pos.index(at)
    after = cols[k + 1:]
    if len(after) < 2:
        return None  # the time and the message only: nothing to learn
    ok = 0
    values: list[list[str]] = [[] for _ in after[:-1]]
    for ln, s, t in dated:
        end = s + len(t)
        good = True
        bounds = [p for p, _ in after] + [len(ln) + 1]
        for j, (p, _) in enumerate(after):
            if p < end or (p < len(ln) and (not ln[p - 1].isspace() or ln[p].isspace())):
                good = False
                break
            if j < len(after) - 1 and " " in ln[p:bounds[j + 1]].strip():
                good = False
                break
        ok += good
        if good:
            for j, (p, _) in enumerate(after[:-1]):
                values[j].append(ln[p:bounds[j + 1]].strip())
    if ok < STABLE * len(dated):
        return None
    lasts = [ln[after[-1][0]:] for ln, _, _ in dated]
    if sum(1 for v in lasts if re.match(r"\S+ {2,}\S", v)) >= STABLE * len(lasts):
        values.append([v.split(None, 1)[0] for v in lasts if v.strip()])
        return Heading(fields=[_field_name(name) for _, name in after], message="", values=values)
    return Heading(fields=[_field_name(name) for _, name in after[:-1]], message=_field_name(after[-1][1]),
                   values=values)


#: Share of the lines (at least) whose gap after the header has the one width for it to
#: be the separator: the rest, all wider, are the indented detail lines of a record.
FIXED_GAP_SHARE = 0.5


def fixed_gap(gaps: Sequence[str]) -> int | None:
    """The width of the blanks between the header and the message when it is fixed
    (None otherwise): every gap spaces only, the commonest width in FIXED_GAP_SHARE of the lines,
    no gap narrower, and some wider (else a plain blank run reads the same). The lines
    with a wider gap indent their message by the difference."""
    if not gaps or any(not g or set(g) != {" "} for g in gaps):
        return None
    widths = [len(g) for g in gaps]
    mode = max(set(widths), key=widths.count)
    if min(widths) != mode or widths.count(mode) < FIXED_GAP_SHARE * len(widths) or max(widths) == mode:
        return None
    return mode


__all__ = ["Heading", "heading_columns", "fixed_gap"]
