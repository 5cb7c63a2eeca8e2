"""Record boundaries an induced rule must see before it reads fields: which reading of
the time starts a record, and which lines are no record at all.

* **The longer reading at the record's column**: of two timestamp layouts found at the
  same column, the one that reads more of the text there (a date-time and its UTC
  offset, against the date-time alone) is the record's time when it parses every line
  where the shorter one is at that column. The shorter one may count more lines only
  because it also matches a time inside a body line (a path holding a date), which is
  not a record start; without this the offset was left in the header as text and the
  header pattern failed on every record.
* **Frame lines**: a flush-left line that is one punctuation character repeated (``*****``,
  ``=====``, ``-----``) frames records; it is layout, never a record nor a message line.

Nothing here knows a product: every decision is a statistic over the sample.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Sequence

from ..timestamps import LayoutHit

#: A frame line: at least this many of one punctuation character, nothing else.
MIN_FRAME_RUN = 5
FRAME_RE = re.compile(r"^([^\w\s])\1{%d,}[ \t]*$" % (MIN_FRAME_RUN - 1))


def _column(hit: LayoutHit) -> int | None:
    """The commonest start column of the hit's texts (None when it reads nothing)."""
    starts = Counter(s for s, t in zip(hit.starts, hit.texts) if t is not None and s is not None)
    return starts.most_common(1)[0][0] if starts else None


def longer_reading(hits: list[LayoutHit]) -> list[LayoutHit]:
    """``hits`` with the first one replaced by a longer reading of the same text, when
    one reads every line the first reads at its own column (see the module doc)."""
    if len(hits) < 2:
        return hits
    top = hits[0]
    col = _column(top)
    if col is None:
        return hits
    at_col = [i for i, (s, t) in enumerate(zip(top.starts, top.texts)) if t is not None and s == col]
    for h in hits[1:]:
        if h.layout.is_epoch or h.parsed < 0.5 * top.parsed:
            continue
        if all(h.texts[i] is not None and h.starts[i] == col and len(h.texts[i] or "") > len(top.texts[i] or "")
               and (h.texts[i] or "").startswith(top.texts[i] or "") for i in at_col):
            return [h] + [x for x in hits if x is not h]
    return hits


def frame_line(line: str) -> bool:
    """Whether ``line`` is a frame line (one punctuation character repeated)."""
    return bool(FRAME_RE.match(line))


#: At least this many frame lines in the sample (and fewer than half of its lines) for
#: them to be taken as the file's layout.
MIN_FRAMES = 3


def frame_pattern(sample: Sequence[str]) -> str | None:
    """The RE2-safe regex of the sample's frame lines (the characters seen), or None when
    the sample has fewer than :data:`MIN_FRAMES` of them or they are half of it."""
    frames = [ln for ln in sample if frame_line(ln)]
    if len(frames) < MIN_FRAMES or len(frames) >= 0.5 * len(sample):
        return None
    chars = sorted({FRAME_RE.match(ln).group(1) for ln in frames})  # type: ignore[union-attr]
    return r"^(?:" + "|".join(re.escape(c) + "{%d,}" % MIN_FRAME_RUN for c in chars) + r")[ \t]*$"


def frame_lines_out(sample: list[str], comment: str | None,
                    notes: list[str]) -> tuple[list[str], str | None]:
    """(the sample without its frame lines, the comment pattern extended to them): a file
    that frames its records with runs of one punctuation character has those lines
    quarantined as layout, so they neither start a record nor join a message. The
    pattern names the characters seen (RE2 has no back-references)."""
    rx = frame_pattern(sample)
    if rx is None:
        return sample, comment
    frames = [ln for ln in sample if frame_line(ln)]
    comment = rx if comment is None else "^(?:" + comment[1:] + "|" + rx[1:] + ")"
    notes.append(f"{len(frames)} frame line(s) (one punctuation character repeated): layout, not records")
    return [ln for ln in sample if not frame_line(ln)], comment


__all__ = ["longer_reading", "frame_line", "frame_lines_out", "frame_pattern", "FRAME_RE", "MIN_FRAME_RUN"]
