"""Rule induction: an ordinary registry :class:`Rule` for a format nobody wrote a rule for.

From a sample of lines: the timestamp's layout and position come from the one finder
(:mod:`..timestamps`); the text before and after it is cut into tokens, and each token
column is typed by statistics over the sample (a level word in most lines, a number, a
``program[pid]:``, a bracketed field, a constant separator...). The header is the run of
columns that are stable across the sample and end in something that ends a header (a
level, a ``name:``, a closing bracket, a ``-`` separator); the message is the rest. The
result is a regex rule like any other, so it is shown, tested, saved and streamed the
same way. A level may also be a short phrase before a ':' ("Fatal error:"), read whole
after the tokens every line shares. A JSON rule that fits a file but finds none of its
level keys there gets, as data, the key whose sample values are all level spellings.
Nothing here knows a product: level spellings come from the shared alias table
and a small table of level symbols.

The concerns live in their own modules: token columns (:mod:`.induce_columns`), levels
written over several tokens or lines (:mod:`.induce_phrase`), record shapes over several
lines or fields - a header line of its own with the message below it, a preamble before
the first record, delimited fields, a padded column, a numeric level
(:mod:`.induce_blocks`) - records whose framed message comes before the time and its
``key="value"`` attributes (:mod:`.induce_attrs`), and JSON level keys
(:mod:`.induce_json`); this module finds
the timestamp, reads the text before it and puts the rule together.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from ..timestamps import SEARCH_CHARS, LayoutHit, find_layouts, is_time_only
from ..timestamps_days import header_date
from .induce_columns import (ENUM_LEVEL_SHARE, ENUM_LEVEL_VALUES, LEVEL_EXTRA, LEVEL_KINDS, LETTER_LEVEL_EXTRA, LEVEL_SHARE, LEVEL_SYMBOLS, MAX_COLUMNS, STABLE, _column_rx,
                             _header_end, _kind, _level_spellings, _Names, _sep_rx, _tokens,
                             _typed_columns, enum_level_column, level_family, level_words)
from .induce_blocks import (NUMERIC_LEVEL_SCALES, ANGLE_MESSAGE_RX, CONTINUATION_RE, MAX_HEADER_TOKENS, HeaderBody, angle_fields_to_the_end, delimited_lead, delimiter_after_time, header_body, literal_lines_rx,
                            numeric_level_scale, optional_bracket_level, quoted_last_field, header_column_names, optional_glued_bracket, padded_first_column,
                            preamble, timed_block, timed_block_pattern)
from .induce_attrs import framed_induction
from .induce_heading import fixed_gap, heading_columns
from .induce_lead import message_lead_fields
from .induce_records import frame_lines_out, frame_pattern, longer_reading
from .induce_phrase import (message_level_tag, message_paren_field, _level_line_pairs, _level_phrase, _phrase_rx, _tag_after_level, wrapped_level,
                             wrapped_level_rx)
from .model import Rule

#: How far into a line a timestamp is looked for when most sample lines have none in
#: the finder's usual window (:data:`..timestamps.SEARCH_CHARS`).
WIDE_SEARCH_CHARS = 160
#: Field names a header column may not take (they mean something else in a rule).
GOLDEN = ("timestamp", "severity", "message", "service", "host", "trace_id", "program", "pid")
#: Lines starting like this, in a file whose other lines do not, are header/comment lines.
COMMENT_RE = r"^#"


@dataclass
class Induction:
    """An induced rule, how well it parses its own sample, and what was found."""

    rule: Rule
    confidence: float
    fields: list[dict[str, Any]] = field(default_factory=list)
    timestamp: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.name, "confidence": round(self.confidence, 3),
                "timestamp": self.timestamp, "fields": self.fields, "notes": self.notes,
                "pattern": self.rule.pattern}


#: A level column before the timestamp may hold words the alias table lacks (a report
#: kind) when at least ENUM_LEVEL_SHARE of its values are level words and it has few
#: values (the same thresholds as such a column after it, in :mod:`.induce_columns`).


def _enum_level(toks: list[str], words: dict[str, str]) -> bool:
    """A column of a few capitalised words, most of them level words: the level column
    (the other words get a level inferred from the message)."""
    cores = [re.sub(r"^[\[<(#=]*|[\]>),:;=]*$", "", t) for t in toks]
    if not all(re.fullmatch(r"[A-Za-z]{2,}", c) for c in cores) or len(set(cores)) > ENUM_LEVEL_VALUES:
        return False
    return sum(1 for c in cores if c.lower() in words) >= ENUM_LEVEL_SHARE * len(cores)


def _prefix(best: LayoutHit, sample: list[str], words: dict[str, str], names: _Names,
            info: list[dict[str, Any]]) -> tuple[str, list[int], int, bool]:
    """Regex of the text before the timestamp (``^`` included), the sample lines it
    describes (those with the modal number of tokens there), open brackets, level found."""
    idx = [i for i, t in enumerate(best.texts) if t is not None]
    pre_toks = [_tokens(sample[i][: best.starts[i]]) for i in idx]
    k = Counter(len(t) for t in pre_toks).most_common(1)[0][0]
    keep = [j for j, t in enumerate(pre_toks) if len(t) == k]
    idx = [idx[j] for j in keep]
    rows = [pre_toks[j] for j in keep]
    parts = ["^"]
    opened = 0
    have_level = False
    for c in range(k):
        toks = [r[c][1] for r in rows]
        seps = [r[c][0] for r in rows]
        parts.append(_sep_rx(seps) if c else (r"\s*" if any(seps) else ""))
        kind, cnt = Counter(_kind(t, words) for t in toks).most_common(1)[0]
        if len(set(toks)) == 1 and not re.search(r"[A-Za-z0-9]", toks[0]) and toks[0] != "-":
            parts.append(re.escape(toks[0]))  # constant punctuation: '[', '<', ...
            opened += toks[0].count("[") - toks[0].count("]")
        elif kind == "level" and cnt >= LEVEL_SHARE * len(toks) and not have_level \
                and (cnt == len(toks) or not _enum_level(toks, words)):
            rx, have_level = _column_rx(kind, toks, names, have_level, info, words)
            parts.append(rx)
        elif not have_level and _enum_level(toks, words):
            pre = re.match(r"[\[<(#=]*", toks[0]).group(0)  # type: ignore[union-attr]
            suf = re.search(r"[\]>),:;=]*$", toks[0]).group(0)  # type: ignore[union-attr]
            info.append({"field": "severity", "kind": "word column, mostly level words"})
            parts.append(re.escape(pre) + r"(?P<severity>[A-Za-z]+)" + re.escape(suf))
            have_level = True
        elif kind in ("number", "bracket", "prog_pid", "colon_end") and cnt == len(toks):
            parts.append(_column_rx(kind, toks, names, have_level, info, words)[0])
        else:
            n = names.take("field")
            info.append({"field": n, "kind": "token before the timestamp"})
            parts.append(rf"(?P<{n}>[^\s|]+)")
    between = [sample[i][: best.starts[i]][len("".join(s + t for s, t in r)):] for r, i in zip(rows, idx)]
    parts.append(_sep_rx(between) if k else "")
    return "".join(parts), idx, opened, have_level


def _continuation(best: LayoutHit, hits: list[LayoutHit], sample: list[str]) -> tuple[bool, str | None]:
    """Whether the lines without the file's timestamp continue the record above them:
    shaped like a stack trace, or neither JSON nor dated another way (and a minority)."""
    other_ts = [any(h.texts[i] is not None for h in hits[1:]) for i in range(len(sample))]
    without = [(ln, o) for ln, t, o in zip(sample, best.texts, other_ts) if t is None]
    cont = sum(1 for ln, o in without if CONTINUATION_RE.match(ln)
               or (not o and not ln.lstrip().startswith("{")))
    if without and cont >= 0.5 * len(without) and (len(without) <= 0.5 * len(sample)
                                                   or indented_body(best, sample)):
        return True, (f"{len(without)} sample line(s) without a timestamp, {cont} shaped like a "
                      "continuation: read as continuation lines")
    return False, None



#: Share of the lines without the time that must be indented (or stack-trace shaped)
#: for timestamped lines in a minority to still start the records.
INDENTED_BODY_SHARE = 0.95


def indented_body(hit: LayoutHit, sample: list[str]) -> bool:
    """Timestamped lines at the margin, every other line indented: records whose
    continuation lines outnumber their first lines (a pretty-printed property block,
    a long stack trace under each entry) still start at each timestamp."""
    dated = [ln for ln, t in zip(sample, hit.texts) if t is not None]
    without = [ln for ln, t in zip(sample, hit.texts) if t is None]
    if len(dated) < 2 or any(ln[:1].isspace() for ln in dated):
        return False
    cont = sum(1 for ln in without if ln[:1].isspace() or CONTINUATION_RE.match(ln))
    return cont >= INDENTED_BODY_SHARE * len(without)


def induced_name(stem: str) -> str:
    """``induced:<stem>`` with the stem cut to the characters a rule name allows."""
    return "induced:" + (re.sub(r"[^A-Za-z0-9_.\-]+", "_", stem).strip("_.-") or "file")


def induce(con: Any, lines: Sequence[str], *, stem: str, ref: dt.datetime | None = None) -> Induction | None:
    """An induced rule for ``lines`` (None when the sample has no text at all).

    ``con`` is a DuckDB connection (the timestamp finder runs there); ``ref`` the file's
    mtime, for year-less layouts. The rule's confidence is left to the caller, who
    scores it with the real parser (:meth:`Registry.detect_file`). A rule of times of
    day only takes the date its file writes in the header lines before the first record.
    """
    ind = _induce(con, lines, stem=stem, ref=ref)
    rule = ind.rule if ind is not None else None
    frames = frame_pattern([ln.rstrip("\r\n") for ln in lines if ln and ln.strip()])
    if rule is not None and frames and frames[1:] in (rule.comment_start or ""):
        rule.message_drop = frames  # frame lines inside a record are layout, not its text
    if rule is not None and rule.kind == "regex" and rule.pattern:
        field = message_paren_field(rule.pattern, [ln.rstrip("\r\n") for ln in lines])
        if field is not None:
            rule.pattern = field[0]
            ind.fields.append({"field": field[1], "kind": "in parentheses before the message"})
    if rule is not None and rule.kind == "regex" and rule.pattern and not rule.default_severity:
        tagged = message_level_tag(rule.pattern, [ln.rstrip("\r\n") for ln in lines], level_words())
        if tagged is not None and "(?P<severity>" not in (rule.multiline_start or ""):
            rule.pattern = tagged
            ind.fields.append({"field": "severity", "kind": "optional 'Level:' tag before the message"})
            ind.notes = [n for n in ind.notes if not n.startswith("no level in the format")]
            ind.notes.append("the message opens with a level tag ('Word: ') on many lines: read as the level")
    if rule is not None and rule.kind == "regex" and rule.pattern:
        lead = message_lead_fields(rule.pattern, [ln.rstrip("\r\n") for ln in lines])
        if lead is not None:  # header fields the columns left at the start of every message
            rule.pattern = lead[0]
            ind.fields += [{"field": n, "kind": kind + ", opening the message"} for n, kind in lead[1]]
    if rule is None or not rule.timestamp_formats or not all(is_time_only(f) for f in rule.timestamp_formats):
        return ind
    start = re.compile(rule.multiline_start or rule.pattern or "^$")
    head = []
    for ln in lines:
        if start.match(ln.rstrip("\r\n")):
            break
        head.append(ln)
    day = header_date(head) if len(head) < len(lines) else None
    if day is not None:
        rule.file_date = day
        ind.notes.append(f"times of day only: the records start on {day}, the date in the file's header lines")
        # the lines that date the file are its header, not records (kept as such, not lost)
        head_rx = literal_lines_rx([h.rstrip("\r\n") for h in head if h.strip()])
        rule.comment_start = head_rx if not rule.comment_start else \
            "^(?:" + rule.comment_start[1:] + "|" + head_rx[1:] + ")"
    return ind


def _induce(con: Any, lines: Sequence[str], *, stem: str, ref: dt.datetime | None = None) -> Induction | None:
    """:func:`induce` before the header's date."""
    words = level_words()
    sample = [ln.rstrip("\r\n") for ln in lines if ln and ln.strip()]
    if not sample:
        return None
    notes: list[str] = []
    commented = [ln for ln in sample if re.match(COMMENT_RE, ln)]
    comment = COMMENT_RE if commented and len(commented) < len(sample) / 2 else None
    if comment:
        sample = [ln for ln in sample if not re.match(COMMENT_RE, ln)]
        notes.append(f"{len(commented)} header/comment line(s) starting with '#' in the sample")
    sample, comment = frame_lines_out(sample, comment, notes)
    name = induced_name(stem)
    hits = longer_reading(find_layouts(con, sample, ref=ref))
    k = preamble(hits[0], sample) if hits else 0
    header_line = sample[k - 1] if k else None
    if k:  # a title / legend block before the records: the file's header lines
        head_rx = literal_lines_rx(sample[:k])
        comment = "^(?:" + ("#|" if comment else "") + head_rx[1:] + ")"
        notes.append(f"{k} line(s) before the first record (a title, a legend, a column header): "
                     "header lines of the file, not records")
        sample = sample[k:]
        hits = longer_reading(find_layouts(con, sample, ref=ref))
    wide_ts = False
    best: LayoutHit | None = hits[0] if hits and hits[0].parsed >= 0.5 * len(sample) else None
    pair_levels: list[str] | None = None
    if hits:
        # two-line records: the timestamped lines are half the sample or fewer
        pair_levels = _level_line_pairs(hits[0], sample, words)
        if pair_levels is not None and hits[0].parsed + len(pair_levels) >= 0.5 * len(sample):
            best = hits[0]
        else:
            pair_levels = None
    # blocks started by a title line, the time on a later line of each (before the
    # header+body reading: its header would be the time line, the title a body line)
    tb = timed_block(hits, sample) if hits and pair_levels is None and best is None else None
    if tb is not None:
        return _timed_block_induction(name, tb, comment, sample, notes)
    hb: HeaderBody | None = None
    if hits and pair_levels is None and hits[0].parsed <= 0.5 * len(sample):
        hb = header_body(hits[0], sample, words)  # a header line of its own, the message below it
        if hb is not None:
            best = hits[0]
    if best is None and hb is None and pair_levels is None and hits and indented_body(hits[0], sample):
        best = hits[0]  # few timestamped lines, each followed by an indented block
    if best is None:  # a time after a long header (a request log's fields before it)
        wide = find_layouts(con, sample, ref=ref, search_chars=WIDE_SEARCH_CHARS)
        if wide and wide[0].parsed >= 0.5 * len(sample):
            hits, best, wide_ts = wide, wide[0], True
            notes.append(f"no timestamp in the first {SEARCH_CHARS} characters of most lines: "
                         f"found at column {best.position} (searched {WIDE_SEARCH_CHARS})")
    if best is not None and best.layout.anywhere and hb is None and pair_levels is None:
        framed = framed_induction(name, best, sample, comment, words)
        if framed is not None:  # the message first, then the time and attributes
            ts_info = {"layout": best.layout.name, "formats": list(best.formats), "position": best.position,
                       "parsed": best.parsed, "of": len(sample)}
            return Induction(rule=framed[0], confidence=0.0, fields=framed[1], timestamp=ts_info,
                             notes=notes + framed[2])
    info: list[dict[str, Any]] = []
    names = _Names()
    multiline: str | None = None
    ts_info: dict[str, Any] = {}
    if best is None:
        pattern, fmts, open_brackets, have_level = None, [], 0, False
        rest_rows = [_tokens(r) for r in sample]
        notes.append("no timestamp layout fits the sample: records take the previous record's or the file's time")
    else:
        prefix_rx, idx, open_brackets, have_level = _prefix(best, sample, words, names, info)
        fmts = list(best.formats)
        rest_rows = [_tokens(sample[i][best.starts[i] + len(best.texts[i] or ""):]) for i in idx]
        ts_info = {"layout": best.layout.name, "formats": fmts, "position": best.position,
                   "parsed": best.parsed, "of": len(sample)}
        pattern = prefix_rx + f"(?P<timestamp>{best.layout.regex})"
        joined, note = _continuation(best, hits, sample) if hb is None else (False, None)
        if joined:
            multiline = pattern
            notes.append(note or "")
    if pair_levels is not None and pattern is not None and not have_level:
        # two-line records: time (and source) on line 1, 'LEVEL: message' on line 2
        alts = "|".join(_level_spellings(pair_levels, words))
        info.append({"field": "source", "kind": "rest of the first line"})
        info.append({"field": "severity", "kind": "level word before ':' on the second line"})
        notes.append(f"{len(pair_levels)} timestamped line(s) without a level, each followed by a "
                     "'LEVEL: ' line: read as one record (time from line 1, level and message from line 2)")
        rule = Rule(name=name, pattern=pattern + r"(?:[ \t]+(?P<source>[^\n]*?))?[ \t]*\n[ \t]*(?P<severity>"
                    + alts + r")[ \t]*:[ \t]*(?P<message>.*)$",
                    timestamp_formats=fmts, multiline_start=pattern, comment_start=comment,
                    description=f"Induced from a sample of the file: timestamp {ts_info['layout']} at column "
                    f"{ts_info['position']}, source, then a second line with the level and the message")
        rule.examples = sample[:2]
        seen = {w.lower() for w in pair_levels}
        rule.severity_map.update({k: v for k, v in LEVEL_EXTRA.items() if k in seen})
        return Induction(rule=rule, confidence=0.0, fields=info, timestamp=ts_info, notes=notes)
    if hb is not None and pattern is not None:
        return _header_body_induction(name, pattern, hb, rest_rows, open_brackets, have_level, fmts,
                                      comment, sample, words, names, info, ts_info, notes)
    phrase = None if (have_level or wide_ts) else _level_phrase(rest_rows, words)
    parts = []
    delim = None if (wide_ts or phrase is not None or best is None) else \
        delimiter_after_time(["".join(a + b for a, b in r) for r in rest_rows])
    padded = wrapped = angle = headed = False
    quoted = quoted_last_field(["".join(a + b for a, b in r) for r in rest_rows], delim) \
        if delim is not None else None
    if delim is not None:  # a delimited format: the fields after the time are the message
        d_rx = re.escape(delim) if delim != "\t" else r"\t"
        parts.append(d_rx)
        end, cols, msg_sep = 0, [], ""
        if quoted is not None:  # fixed fields, then the quoted text: that text is the message
            before = sample[idx[0]][: best.starts[idx[0]]].count(delim) if best is not None else 0
            for j, col in enumerate(header_column_names(header_line, delim, before, quoted)):
                n = names.take(*(c for c in (col,) if c and c not in GOLDEN), "field")
                info.append({"field": n, "kind": "delimited field before the quoted text"})
                parts.append(rf"(?P<{n}>[^{re.escape(delim)}\n\"]*)" + d_rx)
            parts.append('"')
            info.append({"field": "message", "kind": "the quoted last field"})
        else:
            d_cls = r"\t" if delim == "\t" else re.escape(delim)
            lead_level, lead_name = delimited_lead(["".join(a + b for a, b in r) for r in rest_rows], delim, words)
            if lead_level:  # time|LEVEL|logger|text: a header of fields, then the message
                parts.append(rf"\s*(?P<severity>[^{d_cls}\n]*?)\s*" + d_rx)
                info.append({"field": "severity", "kind": f"level, the first field delimited by {delim!r}"})
                have_level = True
                if lead_name:
                    n = names.take("logger", "component")
                    parts.append(rf"(?P<{n}>[^{d_cls}\s]+)" + d_rx)
                    info.append({"field": n, "kind": f"name, the second field delimited by {delim!r}"})
            info.append({"field": "message", "kind": f"fields after the time, delimited by {delim!r}"})
    elif wide_ts:
        # a time after a long header: the header is the fields, the text after the time
        # (past the bracket closing it) the message
        cols = _typed_columns(rest_rows, words, 1)
        end = 1 if cols and cols[0][0] == "sep" and cols[0][1][0] == "]" and open_brackets > 0 else 0
    elif phrase is not None:
        rx, msg_sep = _phrase_rx(phrase, rest_rows, names, info, words)
        parts.append(rx)
        have_level, end, cols = True, 0, []
    elif (heading := heading_columns(header_line, sample, best.starts, best.texts) if best is not None else None):
        # a column heading names the fields: those between the time and the last heading
        for f, vals in zip(heading.fields, heading.values):
            if not have_level and sum(1 for v in vals if _kind(v, words) == "level") >= LEVEL_SHARE * len(vals):
                rx, have_level = _column_rx("level", vals, names, have_level, info, words)
            elif not have_level and enum_level_column(vals, words):
                rx, have_level = _column_rx("enum_level", vals, names, have_level, info, words)
            else:
                n = names.take(*(c for c in (f,) if c not in GOLDEN), "field")
                info.append({"field": n, "kind": "column named by the heading line"})
                rx = rf"(?P<{n}>\S+)"
            parts.append(r"\s+" + rx)
        end, cols, headed = 0, [], True
        notes.append(f"a column heading line: the fields after the time are {', '.join(heading.fields)}, "
                     f"then the message" + (f" (column {heading.message})" if heading.message else ""))
    else:
        cols = _typed_columns(rest_rows, words, MAX_COLUMNS)
        end = _header_end(cols, open_brackets)
        wl = None if (have_level or best is None or any(c[0] in LEVEL_KINDS for c in cols[:end])) \
            else wrapped_level(["".join(a + b for a, b in r) for r in rest_rows], words)
        if wl is not None:  # '(level):' / '[level]' behind a source of varying width
            parts.append(wrapped_level_rx(wl[0], wl[1], words, names, info))
            have_level, end, cols, wrapped = True, 0, [], True
        opt = None if (have_level or wrapped or end or best is None) else optional_bracket_level(rest_rows, words)
        if opt is not None:  # '[Level]' after the time in some lines only (others untagged)
            alts = "|".join(_level_spellings(opt, words))
            info.append({"field": "severity", "kind": "optional bracketed level word", "values": opt})
            parts.append(rf"(?:\s*\[(?P<severity>{alts})\])?")
            have_level, wrapped = True, False
        padded = end == 0 and best is not None and not wrapped and opt is None and padded_first_column(rest_rows)
        angle = best is not None and not wrapped and \
            angle_fields_to_the_end(["".join(a + b for a, b in r) for r in rest_rows])
    for j in range(end):
        kind, toks, seps = cols[j]
        rx, lvl = _column_rx(kind, toks, names, have_level, info, words)
        have_level = have_level or lvl
        parts.append(_sep_rx(seps) + rx)
    if padded:  # a field padded so the message starts at one column: a header field
        n = names.take("component", "source")
        info.append({"field": n, "kind": "padded column"})
        parts.append(_sep_rx([r[0][0] for r in rest_rows if r]) + rf"(?P<{n}>\S+)")
        end = 1
    glued = end > 0 and end == len(cols) and delim is None and optional_glued_bracket(rest_rows, end)
    if glued:  # a bracketed field glued to the header's last one in some lines only
        n = names.take("tag", "field")
        info.append({"field": n, "kind": "optional bracketed field"})
        parts.append(rf"(?:\[(?P<{n}>[^\]]*)\])?")
    if phrase is None and delim is None:
        after = [(r[end + 1][0] if glued and len(r) > end + 1 and r[end][0] == "" and r[end][1].startswith("[")
                  else r[end][0]) for r in rest_rows if len(r) > end]  # an empty message has no gap
        msg_sep = "" if wrapped else (r"\s*" if not after or any(s == "" for s in after) else r"\s+")
        gap = fixed_gap(after) if msg_sep == r"\s+" and not headed else None
        if gap:  # one blank width after the header: more is the message's indentation
            msg_sep = rf"(?: {{{gap}}}|[ \t]*$)"
        elif msg_sep == r"\s+" and len(after) < len(rest_rows):
            msg_sep = r"(?:\s+|\s*$)"  # a line with the header only (an empty message)
    if end and cols[end - 1][0] == "sep" and cols[end - 1][1][0] == "|":
        # a delimited format: the message starts right after the delimiter (and the one
        # blank every line puts after it)
        msg_sep = " " if all(len(r) > end and r[end][0] == " " for r in rest_rows) else ""
    if have_level and end and cols[end - 1][0] in LEVEL_KINDS and _tag_after_level(rest_rows, end):
        n = names.take("tag", "component")
        info.append({"field": n, "kind": "name before ': '"})
        parts.append(msg_sep + rf"(?P<{n}>[^\s:\[\](){{}}](?:[^:\[\](){{}}]{{0,30}}?[^\s:\[\](){{}}])?)\s*:")
        msg_sep = " "
    if angle:  # the message is the last angle-bracket field
        info.append({"field": "message", "kind": "last field in angle brackets"})
    body = "".join(parts)
    loose = (pattern + (r"\]?" if open_brackets > 0 else "") + r"\s*(?P<message>.*)$") \
        if (pattern is not None and body) else None
    if pattern is None:
        pattern = "^" + body.lstrip() if body else "^"
    else:
        pattern += body
    pattern += ANGLE_MESSAGE_RX if angle else (msg_sep if (body or best is not None) else "") + "(?P<message>.*)$"
    rule = Rule(name=name, pattern=pattern, timestamp_formats=fmts, multiline_start=multiline,
                fallback_pattern=loose, comment_start=comment, message_close=">" if angle else None,
                message_quote='"' if quoted is not None else None,
                description="Induced from a sample of the file: " + (
                    f"timestamp {ts_info['layout']} at column {ts_info['position']}" if ts_info else "no timestamp")
                + (", " + ", ".join(f["field"] for f in info) if info else ""))
    try:
        rx = re.compile(pattern)
        rule.examples = [ln for ln in sample if rx.match(ln)][:3] or sample[:1]
    except re.error:
        rule.examples = sample[:1]
    for f in info:
        if f.get("kind") == "level symbols":
            rule.severity_map = dict(f["values"])
        if f.get("kind") == "level letter column":  # initials of trace, notice, critical...
            rule.severity_map.update({c.lower(): LETTER_LEVEL_EXTRA[c.lower()] for c in f["values"]
                                      if c.lower() in LETTER_LEVEL_EXTRA and c.lower() not in words})
        if f.get("kind") == "syslog priority in parentheses":  # the priority's severity, on the syslog scale
            rule.severity_field = "pri"
            rule.severity_map = dict(NUMERIC_LEVEL_SCALES["syslog"])
        if f.get("kind") == "level phrase before ':'":  # phrases the alias table lacks whole
            rule.severity_map.update({k.lower(): v for k, v in f["values"].items() if k.lower() not in words})
    if have_level:  # spellings the shared alias table lacks, when the sample uses them
        seen = {w.lower() for ln in sample[:100] for w in re.findall(r"[A-Za-z]+", ln[:96])}
        rule.severity_map.update({k: v for k, v in LEVEL_EXTRA.items() if k in seen})
        rule.severity_map.update({k: v for k, v in level_family(seen).items()
                                  if k in LEVEL_EXTRA})
    else:
        notes.append("no level in the format: severity is inferred from the message words")
    return Induction(rule=rule, confidence=0.0, fields=info, timestamp=ts_info, notes=notes)


def _header_level_column(rows: list[list[tuple[str, str]]], start: int, words: dict[str, str]) -> int | None:
    """The header line's level column at or after ``start`` (None: none): a column
    present in STABLE of the header lines, a level word in LEVEL_SHARE of them (or a few
    capitalised words, most of them levels: a format's own kinds beside them), within
    the header's few tokens (a record id and a ``LEVEL:`` label may come first)."""
    for c in range(start, start + MAX_HEADER_TOKENS):
        toks = [r[c][1] for r in rows if len(r) > c]
        if len(toks) < STABLE * len(rows):
            return None
        if sum(1 for t in toks if _kind(t, words) == "level") >= LEVEL_SHARE * len(toks) \
                or enum_level_column(toks, words):  # a few words, most of them levels
            return c
    return None


def _header_body_induction(name: str, pattern: str, hb: HeaderBody, rows: list[list[tuple[str, str]]],
                           open_brackets: int, have_level: bool, fmts: list[str], comment: str | None,
                           sample: list[str], words: dict[str, str], names: _Names,
                           info: list[dict[str, Any]], ts_info: dict[str, Any], notes: list[str]) -> Induction:
    """The rule for records whose header is a line of its own: ``pattern`` (text before
    the timestamp and the timestamp) plus the header line's fields after it (constant
    punctuation, a level word, a small number in the timestamp's brackets as a numeric
    level), the rest of the line as ``source``; the message is the body lines."""
    parts: list[str] = []
    level_map: dict[str, str] | None = None
    opened = open_brackets
    j = 0
    while True:
        toks = [r[j][1] for r in rows if len(r) > j]
        if not toks or len(toks) < STABLE * len(rows):
            break
        seps = [r[j][0] for r in rows if len(r) > j]
        kind = Counter(_kind(t, words) for t in toks).most_common(1)[0][0]
        digits = [t.rstrip("]") for t in toks]
        scale = numeric_level_scale(digits) if (opened > 0 and all(t.endswith("]") for t in toks)
                                                 and not have_level) else None
        if len(set(toks)) == 1 and not re.search(r"[A-Za-z0-9]", toks[0]):
            parts.append(_sep_rx(seps) + re.escape(toks[0]))
            opened -= toks[0].count("]")
        elif scale is not None:
            info.append({"field": "severity", "kind": "number in the timestamp's brackets",
                         "values": {v: scale[v] for v in sorted(set(digits), key=int)}})
            parts.append(_sep_rx(seps) + r"(?P<severity>\d+)\]")
            level_map, have_level, opened = scale, True, opened - 1
        elif kind == "level" and not have_level:
            rx, have_level = _column_rx(kind, toks, names, have_level, info, words)
            parts.append(_sep_rx(seps) + rx)
        else:
            break
        j += 1
    lvl = None if have_level else _header_level_column(rows, j, words)
    if lvl is not None:  # fields (a record id, 'LEVEL:') then the level word
        for c in range(j, lvl + 1):
            toks = [r[c][1] for r in rows if len(r) > c]
            seps = _sep_rx([r[c][0] for r in rows if len(r) > c])
            if c == lvl:
                full = sum(1 for t in toks if _kind(t, words) == "level") >= LEVEL_SHARE * len(toks)
                rx, have_level = _column_rx("level" if full else "enum_level", toks, names, have_level, info, words)
                parts.append(seps + rx)
            elif len(set(toks)) == 1:
                parts.append(seps + re.escape(toks[0]))
            else:
                n = names.take("record", "field")
                info.append({"field": n, "kind": "header field before the level"})
                parts.append(seps + rf"(?P<{n}>\S+)")
        j = lvl + 1
    if any(len(r) > j for r in rows):
        info.append({"field": "source", "kind": "rest of the header line"})
        parts.append(r"(?:[ \t]+(?P<source>[^\n]*?))?")
    full = pattern + "".join(parts) + r"[ \t]*(?P<message>)$"
    notes.append(f"{len(hb.headers)} header line(s) with the timestamp, each followed by body line(s) "
                 f"({hb.body_lines} in the sample): one record each, the message is the body"
                 + (f" (less the indentation {hb.body_indent[1:]!r} every body line has)" if hb.body_indent else ""))
    rule = Rule(name=name, pattern=full, timestamp_formats=fmts, multiline_start=pattern,
                fallback_pattern=pattern + r"[^\n]*?(?P<message>)$", comment_start=comment,
                body_indent=hb.body_indent,
                description=f"Induced from a sample of the file: a header line with the timestamp "
                f"{ts_info['layout']}" + (", " + ", ".join(f["field"] for f in info) if info else "")
                + ", the message on the lines below it")
    rule.examples = ["\n".join(sample[hb.headers[0]:(hb.headers[1] if len(hb.headers) > 1 else None)])]
    if level_map:
        rule.severity_map = level_map
    elif have_level:
        seen = {w.lower() for ln in sample[:100] for w in re.findall(r"[A-Za-z]+", ln[:96])}
        rule.severity_map.update({k: v for k, v in LEVEL_EXTRA.items() if k in seen})
    else:
        notes.append("no level in the format: severity is inferred from the message words")
    return Induction(rule=rule, confidence=0.0, fields=info, timestamp=ts_info, notes=notes)


def _timed_block_induction(name: str, tb: Any, comment: str | None, sample: list[str],
                           notes: list[str]) -> Induction:
    """The rule for blocks whose time is on a later line (:func:`.induce_blocks.timed_block`):
    a record starts at the block's title line, the pattern spans the lines down to the
    time, and the whole block is the message."""
    fmts = list(tb.hit.formats)
    ts_info = {"layout": tb.hit.layout.name, "formats": fmts, "position": tb.hit.position,
               "parsed": tb.hit.parsed, "of": len(sample), "line_in_block": tb.offset + 1}
    notes.append(f"blocks between blank lines, each starting with a line matching {tb.start_rx!r}, "
                 f"the time on line {tb.offset + 1} of the block: one record per block, the block its message")
    notes.append("no level in the format: severity is inferred from the message words")
    if tb.preamble:  # lines before the first block: the file's header lines
        head_rx = literal_lines_rx(sample[:tb.preamble])
        comment = "^(?:" + (comment[1:] + "|" if comment else "") + head_rx[1:] + ")"
        notes.append(f"{tb.preamble} line(s) before the first block: header lines of the file, not records")
    rule = Rule(name=name, pattern=timed_block_pattern(tb), timestamp_formats=fmts,
                multiline_start=tb.start_rx, comment_start=comment,
                description=f"Induced from a sample of the file: blocks of lines, the timestamp "
                f"{ts_info['layout']} on line {tb.offset + 1} of each, the block the message")
    rule.examples = ["\n".join(sample[tb.preamble:tb.preamble + tb.offset + 1])]
    return Induction(rule=rule, confidence=0.0, fields=[{"field": "message", "kind": "the whole block"}],
                     timestamp=ts_info, notes=notes)


__all__ = ["Induction", "induce", "induced_name", "LEVEL_SYMBOLS", "level_words"]
