"""Record shapes an unknown format shows over several lines or across its fields.

* **Header line, then body lines**: the timestamp is on a line of its own (with at
  most a few header fields: a level, a source location), the message on the lines
  below it. Seen in the statistics of the sample: the timestamped lines are a minority
  and nearly every one of them is followed by a line without one. The record is the
  header with its body; the message is the body, less the indentation every body line
  of the sample shares (that indentation is layout, not text).
* **Blocks with the time on a later line**: blocks of lines (blank lines between them are
  dropped), each started by a title line without a time (its first token constant), the time on the
  same later line of every block: one record per block, the whole block its message.
* **A preamble**: free-text lines before the first record (a title, a legend of codes,
  a CSV header) are the file's header lines, not records: they are kept out of the
  layout statistics and quarantined with that reason (like ``#Fields:`` lines).
* **A delimiter right after the timestamp** (``|``, ``,``, ``;``, a tab): a delimited
  format; its fields after the time are the message, unless the field count is
  constant and only the last field is free text (then the fields before it are a header).
* **Fixed fields, then a quoted text** (a CSV export: ``level,time,source,id,"text"``):
  the fields after the time are header fields (named after the file's column header
  line when it has one), the quoted last field the message, without its quotes and with
  doubled quotes undone; a quoted text may run over several lines.
* **A padded column**: a first field after the time padded with spaces so the message
  starts at one column in (nearly) every line: that field is a header field.
* **An optional bracketed level** (``[Level]`` after the time in some lines, untagged text
  in the others): the level where written, inferred from the message elsewhere.
* **An optional glued bracket** (``LEVEL[pid][tag]`` in some lines only): a header field.
* **Fields in angle brackets to the end of the line** (``<a> <b> <<c>> <message``): the
  message is the last field, without its brackets; a multi-line one ends at a ``>``
  alone on the record's last line.
* **A small number in the timestamp's brackets** (``[time, 3]``): a numeric level, read
  on the scale its values show (see :data:`NUMERIC_LEVEL_SCALES`).

Nothing here knows a product; every decision is a statistic over the sample.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from ..timestamps import LayoutHit
from .induce_columns import STABLE, _tokens

#: The header line of a header+body record carries at most this many tokens after the
#: timestamp (fields, no message).
MAX_HEADER_TOKENS = 5
#: At most this many leading lines are read as a preamble.
MAX_PREAMBLE = 60
#: Share of lines after a preamble the layout must parse for the block to be a preamble.
PREAMBLE_PARSED = 0.9
#: With fewer parsed lines after it, a leading block is still a preamble when the layout
#: parses this share of the lines after it and the block's first line does not look like
#: the tail of a record (indented, a stack frame): no record precedes it to belong to.
PREAMBLE_PARSED_MIN = 0.5
#: Lines shaped like the continuation of a record (indented, or a stack trace's lines).
CONTINUATION_RE = re.compile(
    r"^(?:\s|at |Caused by|Suppressed:|\.\.\. \d+|Traceback|File \"|[\w$.]+(?:Exception|Error|Throwable)\b)")
#: Characters that delimit the fields of a delimited format.
DELIMITERS = "|,;\t"
#: Share of lines whose last delimited field has a space for it to be the free-text message
#: (short messages have none); the fields before it must (nearly) never have one.
FREE_TEXT_SHARE = 0.5
#: Share of lines whose message must start at the same column for a padded first field.
PADDED_SHARE = 0.8

#: Numeric levels, by scale. ``syslog`` (RFC 5424: 0 emergency .. 7 debug) and
#: ``verbosity`` (a debug level: 0 errors only, 1 warnings, higher = chattier). A column
#: with a value above 7 cannot be syslog; otherwise the commonest value decides (syslog
#: files are mostly 5-6, debug-level files mostly 0-3).
NUMERIC_LEVEL_SCALES: dict[str, dict[str, str]] = {
    "syslog": {"0": "FATAL", "1": "FATAL", "2": "FATAL", "3": "ERROR", "4": "WARN", "5": "INFO",
               "6": "INFO", "7": "DEBUG"},
    "verbosity": {"0": "ERROR", "1": "WARN", "2": "INFO", "3": "INFO", "4": "INFO", "5": "INFO",
                  **{str(k): "DEBUG" for k in range(6, 11)}},
}
#: Largest value a numeric level column may hold.
MAX_NUMERIC_LEVEL = 10


@dataclass
class HeaderBody:
    """Records whose header (with the timestamp) is a line of its own."""

    headers: list[int]           # sample indexes of the header lines
    body_indent: str | None      # indentation every body line of the sample starts with
    body_lines: int


#: Two plain words in a row ("connection refused") are message text, not header fields.
_PLAIN_WORD = re.compile(r"[A-Za-z][a-z']+[,.;:!?]?")


def _has_words(tokens: Sequence[str], words: dict[str, str]) -> bool:
    """Whether header tokens hold text (two plain non-level words in a row)."""
    run = 0
    for t in tokens:
        plain = bool(_PLAIN_WORD.fullmatch(t)) and t.rstrip(",.;:!?").lower() not in words
        run = run + 1 if plain else 0
        if run >= 2:
            return True
    return False


def header_body(best: LayoutHit, sample: Sequence[str], words: dict[str, str]) -> HeaderBody | None:
    """The sample's records as header line + body lines, or None when it is not so.

    Needs: at least two timestamped lines, at most half of the sample timestamped;
    STABLE of them followed by a line without the timestamp (every record has a body);
    and header lines that carry fields only (at most :data:`MAX_HEADER_TOKENS` tokens
    after the timestamp, no two plain words in a row), so records with a message on
    their first line and continuation lines (a stack trace) are never read this way.
    """
    n = len(sample)
    ts = [i for i, t in enumerate(best.texts) if t is not None]
    if len(ts) < 2 or len(ts) > 0.5 * n:
        return None
    followed = sum(1 for i in ts if i + 1 < n and best.texts[i + 1] is None)
    if followed < STABLE * len(ts):
        return None
    tails = [[t for _, t in _tokens(sample[i][(best.starts[i] or 0) + len(best.texts[i] or ""):])] for i in ts]
    short = sum(1 for t in tails if len(t) <= MAX_HEADER_TOKENS and not _has_words(t, words))
    if short < STABLE * len(ts):
        return None
    first = ts[0]
    body = [sample[i] for i in range(first, n) if best.texts[i] is None]
    indents = [re.match(r"[ \t]*", ln).group(0) for ln in body]  # type: ignore[union-attr]
    common = indents[0] if indents else ""
    for ind in indents[1:]:
        k = 0
        while k < min(len(common), len(ind)) and common[k] == ind[k]:
            k += 1
        common = common[:k]
    indent = None
    if common:
        indent = "^" + common.replace("\t", r"\t")
    return HeaderBody(headers=ts, body_indent=indent, body_lines=len(body))


def preamble(best: LayoutHit, sample: Sequence[str]) -> int:
    """How many leading sample lines are a preamble (0: none): the lines before the first
    line the layout parses, when the layout parses PREAMBLE_PARSED of the lines after
    them (a consistent record layout follows a block of other text), or
    PREAMBLE_PARSED_MIN of them (multi-line records follow) and the block does not start
    with a line shaped like a record's continuation (an environment banner, a column
    header, a status report whose own lines are indented)."""
    first = next((i for i, t in enumerate(best.texts) if t is not None), None)
    if not first or first > MAX_PREAMBLE:
        return 0
    after = best.texts[first:]
    parsed = sum(1 for t in after if t is not None)
    if parsed >= PREAMBLE_PARSED * len(after):
        return first
    # a file cut inside a record starts with that record's tail; a status or title block
    # that merely indents some of its own lines starts flush left
    tail_like = bool(CONTINUATION_RE.match(sample[0]))
    return first if parsed >= PREAMBLE_PARSED_MIN * len(after) and not tail_like else 0


_ANGLE_FIELD = r"<(?:[^<>]|<[^<>]*>)*>"
#: At least this many angle-bracket fields after the time for the last one to be the message.
MIN_ANGLE_FIELDS = 3
_ANGLE_LINE = re.compile(r"^[\]>]?(?:\s*" + _ANGLE_FIELD + r"){%d,}\s*<.*$" % (MIN_ANGLE_FIELDS - 1))
#: Regex tail of a rule whose message is the last angle-bracket field (open when the
#: message goes on below the line).
ANGLE_MESSAGE_RX = r"(?:\s*" + _ANGLE_FIELD + r")*\s*<(?P<message>.*?)>?\s*$"


def angle_fields_to_the_end(rests: Sequence[str]) -> bool:
    """Whether (nearly) every line is, after its time, only fields in angle brackets,
    the last one (the message: it may hold a '>' itself) running to the end of the line
    or left open (its message goes on below)."""
    return bool(rests) and sum(1 for r in rests if _ANGLE_LINE.match(r)) >= STABLE * len(rests)


def literal_lines_rx(lines: Sequence[str]) -> str:
    """A regex matching exactly these lines (trailing blanks allowed), alone or joined
    into one block, for ``comment_start``."""
    def esc(s: str) -> str:
        out = []
        for ch in s.rstrip():
            if ch == "\t":
                out.append(r"\t")
            elif ch.isalnum() or ch == " " or ord(ch) > 127:
                out.append(ch)
            elif ch.isprintable():
                out.append("\\" + ch)
            else:
                out.append(f"\\x{{{ord(ch):x}}}")
        return "".join(out)
    alts = "|".join(sorted({esc(ln) for ln in lines if ln.strip()}, key=lambda a: (-len(a), a)))
    # a multi-line rule's reader joins the lines before the first record into one block
    # (blank lines kept): the block matches when each of its lines is one of them
    return rf"^(?:{alts})[ \t]*(?:\r?\n(?:(?:{alts})[ \t]*)?)*$"


def delimiter_after_time(rests: Sequence[str]) -> str | None:
    """The delimiter every line puts right after its timestamp, when the format is
    delimited and the fields after the time are its message (see module doc)."""
    if not rests or not rests[0] or rests[0][0] not in DELIMITERS:
        return None
    d = rests[0][0]
    if any(not r.startswith(d) for r in rests):
        return None
    fields = [r[1:].split(d) for r in rests]
    counts = {len(f) for f in fields}
    if len(counts) == 1 and counts.pop() >= 2:
        free = [sum(1 for f in fields if " " in f[j].strip()) for j in range(len(fields[0]))]
        if free[-1] >= FREE_TEXT_SHARE * len(fields) and all(c <= (1 - STABLE) * len(fields) for c in free[:-1]):
            return None  # fixed fields then free text: the fields before it are a header
    return d


def delimited_lead(rests: Sequence[str], delim: str, words: dict[str, str]) -> tuple[bool, bool]:
    """(level, name): whether the first delimited field after the time is a level word and
    the second a name without blanks (a logger, a category) in STABLE of the lines that
    have a field after them. Why: a delimited layout ``time|LEVEL|logger|text`` is a header
    of fields before a free-text message, not fields that are all the message; the text
    may hold the delimiter itself (an exception after it), so only the lead is read."""
    rows = [r[1:].split(delim) for r in rests if r.startswith(delim)]
    if not rows or len(rows) < STABLE * len(rests):
        return False, False
    level = sum(1 for f in rows if len(f) >= 2 and f[0].strip().lower() in words) >= STABLE * len(rows)
    name = level and sum(1 for f in rows if len(f) >= 3 and re.fullmatch(r"\S{1,160}", f[1])) >= STABLE * len(rows)
    return level, bool(name)


def padded_first_column(rows: Sequence[list[tuple[str, str]]]) -> bool:
    """Whether the first field after the time is padded so the next one starts at the
    same column in PADDED_SHARE of the lines, by two spaces or more in half of them."""
    offs, wide = [], 0
    for r in rows:
        if len(r) < 2:
            continue
        offs.append(len(r[0][0]) + len(r[0][1]) + len(r[1][0]))
        wide += len(r[1][0]) >= 2
    if len(offs) < max(2, STABLE * len(rows)):
        return False
    top = Counter(offs).most_common(1)[0][1]
    vals = {r[0][1] for r in rows if r}
    return top >= PADDED_SHARE * len(offs) and wide >= 0.5 * len(offs) and len(vals) > 1


#: Share of lines (at least, at most) with a bracketed field glued to the header's last
#: token for it to be an optional header field.
GLUED_SHARE = (0.1, 0.9)


def optional_glued_bracket(rows: Sequence[list[tuple[str, str]]], end: int) -> bool:
    """Whether some lines (not all) carry a ``[...]`` field glued, with no space, to the
    last header token (``LEVEL[pid][call-id]``): an optional header field, so those lines'
    messages start after it like the others'."""
    if not rows:
        return False
    hit = sum(1 for r in rows if len(r) > end and r[end][0] == "" and r[end][1].startswith("[")
              and r[end][1].endswith("]") and r[end - 1][1].endswith("]"))
    return GLUED_SHARE[0] * len(rows) <= hit <= GLUED_SHARE[1] * len(rows)


#: Share of the lines (at least) whose first token after the time is a bracketed level
#: word for it to be an optional level field (lines without one: untagged text).
OPTIONAL_LEVEL_SHARE = 0.25


def optional_bracket_level(rows: Sequence[list[tuple[str, str]]], words: dict[str, str]) -> list[str] | None:
    """The level words of a ``[Level]`` first token after the time that only some lines
    carry (None when it is not so): in OPTIONAL_LEVEL_SHARE of the lines and at least
    two, and no bracketed first token that is not a level word (then it is a field)."""
    firsts = [r[0][1] for r in rows if r]
    bracketed = [t[1:-1] for t in firsts if len(t) > 2 and t[0] == "[" and t[-1] == "]"]
    if len(bracketed) < max(2, OPTIONAL_LEVEL_SHARE * len(rows)) or len(bracketed) == len(rows):
        return None
    if any(b.lower() not in words for b in bracketed):
        return None
    return sorted(set(bracketed))


def numeric_level_scale(values: Sequence[str]) -> dict[str, str] | None:
    """The level map of a column of small numbers (None when it is not one)."""
    if not values or not all(v.isdigit() for v in values):
        return None
    nums = [int(v) for v in values]
    if max(nums) > MAX_NUMERIC_LEVEL or len(set(nums)) < 2:
        return None
    mode = Counter(nums).most_common(1)[0][0]
    scale = "verbosity" if max(nums) > 7 or mode <= 3 else "syslog"
    return dict(NUMERIC_LEVEL_SCALES[scale])


__all__ = ["HeaderBody", "header_body", "preamble", "literal_lines_rx", "delimiter_after_time",
           "padded_first_column", "optional_glued_bracket", "optional_bracket_level", "numeric_level_scale", "NUMERIC_LEVEL_SCALES"]


#: Blocks a sample must show for a block-with-a-later-time shape.
MIN_BLOCKS = 3
#: The line after a block's first line that holds the time may be at most this far in.
MAX_TIME_LINE = 5


@dataclass
class TimedBlock:
    """Records that are blocks of lines (often between blank lines), started by a header line
    without a time, the time on a later line of the block (always the same one)."""

    hit: LayoutHit               # the layout found on the time line
    start_rx: str                # regex of a block's first line (its constant first token)
    offset: int                  # the time line's index in the block (1 = second line)
    at_margin: bool              # the time starts its line
    preamble: int = 0            # sample lines before the first block (the file's header)


def timed_block(hits: Sequence[LayoutHit], sample: Sequence[str]) -> TimedBlock | None:
    """The sample read as blocks whose time is on a later line, or None. Why: a
    multi-line alert or report whose first line is a title (``[**] ... [**]``) and whose
    time comes on line 2 or 3 gives one row per line with no time otherwise.

    Needs, for one of the best layouts and one offset k (1 .. :data:`MAX_TIME_LINE`): at
    least :data:`MIN_BLOCKS` lines starting with one first token, and no other line
    starting so (the reader starts a record there); the sample's first line one of them
    (else a constant line inside the block, below its title, would pass); none holding the time; in
    STABLE of them the time k lines below, with no other block start nor time between.
    Blank lines between blocks are dropped by the reader before this is asked.

    Blocks written in braces (a title line ending in ``{``, each block closed by a ``}``
    line before the next title) say where they start by themselves: lines before the
    first one are then a preamble of the file (settings, a version line), counted in
    :attr:`TimedBlock.preamble`, not a block's tail."""
    firsts = [ln.split(None, 1)[0] if ln.strip() else "" for ln in sample]
    for hit in hits[:MAX_TIME_LINE]:
        ts = [i for i, t in enumerate(hit.texts) if t is not None]
        if len(ts) < MIN_BLOCKS:
            continue
        for k in range(1, MAX_TIME_LINE + 1):
            tok, cnt = Counter(firsts[i - k] for i in ts if i >= k).most_common(1)[0] if ts[-1] >= k else ("", 0)
            if not tok:
                continue
            starts = [i for i, f in enumerate(firsts) if f == tok]
            # braced blocks may hold several times (the one k lines in is the record's)
            braced = braced_blocks(sample, starts)
            if cnt < STABLE * len(ts) and not braced:
                continue
            lead = 0 if firsts[0] == tok else starts[0] if braced else None
            if lead is None or lead > MAX_PREAMBLE or any(hit.texts[i] is not None for i in range(lead)):
                continue  # the sample's first line starts a block (a line above it may too)
            if any(hit.texts[i] is not None for i in starts):
                break
            ok = sum(1 for s in starts if s + k < len(sample) and hit.texts[s + k] is not None
                     and all(hit.texts[j] is None and firsts[j] != tok for j in range(s + 1, s + k)))
            if ok < STABLE * len(starts):
                continue
            start_rx = "^" + re.escape(tok) + r"(?:\s|$)"
            margin = all(hit.starts[s + k] == 0 for s in starts if s + k < len(sample) and hit.texts[s + k])
            return TimedBlock(hit=hit, start_rx=start_rx, offset=k, at_margin=margin, preamble=lead)
    return None


def braced_blocks(sample: Sequence[str], starts: Sequence[int]) -> bool:
    """Whether the blocks starting at ``starts`` are written in braces: every start line
    ends with ``{`` and every one after the first follows a line that is only ``}``
    (``};``), the last block closed the same way."""
    if len(starts) < MIN_BLOCKS or any(not sample[i].rstrip().endswith("{") for i in starts):
        return False
    closing = re.compile(r"\s*\};?\s*")
    before = [sample[i - 1] for i in starts[1:]]
    return all(closing.fullmatch(ln) for ln in before) and any(closing.fullmatch(ln) for ln in sample[starts[-1]:])


def timed_block_pattern(tb: TimedBlock) -> str:
    """The rule's pattern: the block's first lines down to the time line, all of them the
    message (the rest of the block follows as continuation lines), the time in it."""
    lines = tb.start_rx.replace(r"(?:\s|$)", r"(?:[ \t][^\n]*)?") + r"\n"
    lines += r"[^\n]*\n" * (tb.offset - 1)
    before = "" if tb.at_margin else r"[^\n]*?"
    return "^(?P<message>" + lines[1:] + before + f"(?P<timestamp>{tb.hit.layout.regex})" + r"[^\n]*)"


def quoted_last_field(rests: Sequence[str], d: str) -> int | None:
    """How many fixed fields come after the time before a quoted free-text field that
    ends the line (or runs on to the next ones), the same number in STABLE of the lines;
    None when the lines are not so. Why: a CSV export quotes its description, which may
    hold the delimiter, so splitting at every delimiter gives a varying field count and
    the whole row read as the message."""
    counts = []
    for r in rests:
        body = r[1:] if r[:1] == d else r
        at = 0 if body.startswith('"') else body.find(d + '"') + 1
        if at <= 0 and not body.startswith('"'):
            return None
        head = body[:at]
        if '"' in head or not re.fullmatch(r'"(?:[^"]|"")*(?:"[ \t]*)?', body[at:]):
            return None  # a quote before it, or text after its closing quote
        counts.append(head.count(d))
    n, cnt = Counter(counts).most_common(1)[0]
    return n if rests and cnt >= STABLE * len(rests) and cnt == len(rests) else None


def header_column_names(header: str | None, d: str, before: int, n: int) -> list[str | None]:
    """Names for ``n`` fields after the time from the file's column header line (``None``
    where it names none): its columns after the ``before`` ones up to the time's."""
    cols = header.split(d) if header else []
    out: list[str | None] = []
    for j in range(n):
        c = before + 1 + j
        name = re.sub(r"[^a-z0-9]+", "_", cols[c].strip().lower()).strip("_") if c < len(cols) else ""
        out.append(name if re.fullmatch(r"[a-z][a-z0-9_]{0,40}", name) else None)
    return out
