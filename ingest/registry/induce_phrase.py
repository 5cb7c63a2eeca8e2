"""Levels an unknown format writes in more than one token: a short phrase before a ':'
("Fatal error:"), a ``name:`` tag after the level, or a second line that starts with the
level ("INFO: ...") under a timestamped first line. Split from :mod:`.induce`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ..timestamps import LayoutHit
from .induce_columns import (LEVEL_SHARE, MAX_COLUMNS, STABLE, _Names, _sep_rx, _tokens, _wrap)

#: A level written as a phrase before a ':' ("Fatal error:") has at most this many words.
MAX_PHRASE_WORDS = 3
#: Constant tokens (a program name, a closing bracket) allowed before such a phrase.
MAX_PHRASE_LEAD = 3


@dataclass
class _Phrase:
    """A level column written as a short phrase ending in ':' (found by :func:`_level_phrase`)."""

    lead: int                     # constant tokens before the phrase (header fields / punctuation)
    ends: list[int | None]        # per row, index of the token ending in ':' (None: no phrase)
    levels: dict[str, str]        # each phrase as seen (words joined by one space) -> level


def _phrase_level(phrase: list[str], words: dict[str, str]) -> str | None:
    """Level of a phrase: the whole phrase in the alias table ("fatal error"), else the
    first of its words that is a level word (one letter does not count: "a", "e")."""
    key = " ".join(w.lower() for w in phrase)
    if key in words:
        return words[key]
    for w in phrase:
        if len(w) >= 3 and w.lower() in words:
            return words[w.lower()]
    return None


def _level_phrase(rows: list[list[tuple[str, str]]], words: dict[str, str]) -> _Phrase | None:
    """A level of several words before a ':' after a constant lead, in most rows.

    Column typing sees one token per column, so "Warning:" in one line and "Fatal error:"
    in the next look like a level column that misses some lines. Here each row's phrase
    is read whole: after the tokens every row shares (a program name, punctuation), up
    to :data:`MAX_PHRASE_WORDS` plain words, the last ending in ':', naming a level in
    LEVEL_SHARE of the rows. Only used when some phrase has two words or more: a single
    word is what column typing reads already, and a constant word before it may be a host.
    """
    n = len(rows)
    if not n:
        return None
    lead = 0
    while lead < MAX_PHRASE_LEAD and all(len(r) > lead for r in rows) \
            and len({r[lead][1] for r in rows}) == 1 and not rows[0][lead][1].endswith(":"):
        lead += 1
    ends: list[int | None] = []
    levels: dict[str, str] = {}
    multi = False
    for r in rows:
        end = None
        for c in range(lead, min(len(r), lead + MAX_PHRASE_WORDS)):
            sep, tok = r[c]
            if (c > lead and sep != " ") or not re.fullmatch(r"[A-Za-z]+:?", tok):
                break
            if tok.endswith(":"):
                end = c
                break
        if end is not None:
            phrase = [t.rstrip(":") for _, t in r[lead:end + 1]]
            level = _phrase_level(phrase, words)
            if level is None:
                end = None
            else:
                levels[" ".join(phrase)] = level
                multi = multi or len(phrase) > 1
        ends.append(end)
    found = sum(1 for e in ends if e is not None)
    if not multi or found < LEVEL_SHARE * n or len(levels) > max(6, n // 2):
        return None
    return _Phrase(lead=lead, ends=ends, levels=levels)


def _phrase_rx(ph: _Phrase, rows: list[list[tuple[str, str]]], names: _Names,
               info: list[dict[str, Any]], words: dict[str, str]) -> tuple[str, str]:
    """(regex of the constant lead and the level phrase with its ':', separator before
    the message). The alternation holds the phrases seen and every level spelling of the
    alias table (a rare level may be missing from the sample), matched case-insensitively."""
    parts = []
    for j in range(ph.lead):
        tok = rows[0][j][1]
        seps = [r[j][0] for r in rows]
        if re.search(r"[A-Za-z0-9]", tok):
            n = names.take("component", "tag", "field")
            info.append({"field": n, "kind": "constant word before the level"})
            parts.append(_sep_rx(seps) + rf"(?P<{n}>[^\s|:]+)")
        else:
            parts.append(_sep_rx(seps) + re.escape(tok))
    spellings = {w.lower() for w in ph.levels} | {w for w in words if len(w) >= 3 and re.fullmatch(r"[a-z]+(?: [a-z]+)*", w)}
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+")
                    for w in sorted(spellings, key=lambda w: (-len(w), w)))
    seps = [r[ph.lead][0] for r, e in zip(rows, ph.ends) if e is not None]
    parts.append(_sep_rx(seps) + r"(?P<severity>(?i:" + alts + r"))\s*:")
    info.append({"field": "severity", "kind": "level phrase before ':'", "values": dict(ph.levels)})
    after = [r[e + 1][0] if len(r) > e + 1 else "" for r, e in zip(rows, ph.ends) if e is not None]
    return "".join(parts), (r"\s*" if any(s == "" for s in after) else r"\s+")


#: How far after the timestamp a wrapped level (``(info):``, ``[warn]``) may sit behind a
#: free-form source field (characters).
WRAPPED_LEVEL_WITHIN = 160
#: Wrappings of a level at a varying column: (name, regex of the wrapper around the
#: word; ``{w}`` is the word).
WRAPPED_LEVELS: tuple[tuple[str, str], ...] = (
    ("parenthesised level before ':'", r"\({w}\):"),
    ("bracketed level", r"\[{w}\]"),
    ("angle-bracketed level", r"<{w}>"),
)


def wrapped_level(rests: list[str], words: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """A level word in parentheses before ':' or in brackets, at a column that varies
    (after a source path, optional metadata) but is the first such wrapped word in
    LEVEL_SHARE of the lines: (wrapper regex, spelling -> level). Column typing sees one
    token per column, so a level behind a field of varying width is invisible to it."""
    if not rests:
        return None
    for _name, wrap in WRAPPED_LEVELS:
        rx = re.compile(r"(?:^|\s)" + wrap.format(w=r"([A-Za-z]{2,12})") + r"(?:\s|$)")
        seen: dict[str, str] = {}
        hits = 0
        for t in rests:
            m = rx.search(t[:WRAPPED_LEVEL_WITHIN])
            if m and m.group(1).lower() in words:
                hits += 1
                seen[m.group(1)] = words[m.group(1).lower()]
        if hits >= LEVEL_SHARE * len(rests):
            return wrap, seen
    return None


def wrapped_level_rx(wrap: str, seen: dict[str, str], words: dict[str, str], names: _Names,
                     info: list[dict[str, Any]]) -> str:
    """Regex after the timestamp: an optional free source field, the wrapped level
    (the sample's spellings and the alias table's, case-insensitive), then the message."""
    spellings = {w.lower() for w in seen} | {w for w in words if len(w) >= 3 and re.fullmatch(r"[a-z]+", w)}
    alts = "|".join(re.escape(w) for w in sorted(spellings, key=lambda w: (-len(w), w)))
    n = names.take("source", "component")
    info.append({"field": n, "kind": "text before a wrapped level"})
    info.append({"field": "severity", "kind": "wrapped level at a varying column", "values": dict(seen)})
    return rf"\s*(?:(?P<{n}>[^\n]*?)\s+)??" + wrap.format(w="(?P<severity>(?i:" + alts + "))") + r"[ \t]*"


def _tag_after_level(rest_rows: list[list[tuple[str, str]]], end: int) -> bool:
    """'LEVEL tag: message' with tags of varying shape (spaces, padding): true when the
    first ': ' close after the level is in nearly every line."""
    tails = ["".join(a + b for a, b in r[end:]).lstrip() for r in rest_rows]
    tag_rx = re.compile(r"[^\s:\[\](){}](?:[^:\[\](){}\n]{0,30}?[^\s:\[\](){}])?\s*: ")
    return bool(tails) and sum(1 for t in tails if tag_rx.match(t)) >= STABLE * len(tails)


#: A record's second line starting with a level word and ':' ("INFO: Starting ...").
_LEVEL_LINE_RE = re.compile(r"^[ \t]*([A-Za-z]+)[ \t]*:(?:[ \t]|$)")


def _level_line_pairs(best: LayoutHit, sample: list[str], words: dict[str, str]) -> list[str] | None:
    """Level words of the second lines when records are two-line headers: timestamped
    lines carrying no level word, each followed (in STABLE of them) by a line without
    the timestamp that starts with a level word and ':'. None when the sample is not so."""
    ts = [i for i, t in enumerate(best.texts) if t is not None and i + 1 < len(sample)]
    if len(ts) < 2:
        return None
    levels: list[str] = []
    with_level = 0
    for i in ts:
        after = sample[i][best.starts[i] + len(best.texts[i] or ""):]
        if any(_wrap(t)[1].strip().lower() in words and len(_wrap(t)[1].strip()) > 1
               for _, t in _tokens(after)[:MAX_COLUMNS]):
            with_level += 1
        m = _LEVEL_LINE_RE.match(sample[i + 1])
        if best.texts[i + 1] is None and m and m.group(1).lower() in words and len(m.group(1)) > 1:
            levels.append(m.group(1))
    if with_level > (1 - STABLE) * len(ts) or len(levels) < STABLE * len(ts):
        return None
    return levels



#: A ``Word:`` tag opening the message is a level tag when it opens at least this share
#: of the sample's records (and MESSAGE_TAG_MIN of them), takes at most
#: MESSAGE_TAG_VALUES values, at least two of them level words, and level words open at
#: least half of the tagged records.
MESSAGE_TAG_SHARE = 0.2
MESSAGE_TAG_MIN = 3
MESSAGE_TAG_VALUES = 8
_TAG_RE = re.compile(r"([A-Za-z][A-Za-z0-9]{1,15}):\s+\S")
_MESSAGE_TAIL = "(?P<message>.*)$"


def _sample_messages(pattern: str, lines: list[str]) -> list[str] | None:
    """The message part of each sample line ``pattern`` matches; None when the pattern does
    not end with the message or does not compile (the two message readers below share it)."""
    if not pattern.endswith(_MESSAGE_TAIL):
        return None
    try:
        rx = re.compile(pattern)
    except re.error:
        return None
    return [m.group("message") for m in (rx.match(ln) for ln in lines) if m]


def message_level_tag(pattern: str, lines: list[str], words: dict[str, str]) -> str | None:
    """``pattern`` with an optional level tag before its message (``Warning: text``,
    ``debug2: text``), or None when the messages do not open with one.

    Why: many formats put the level as a word and a colon at the start of the text, and
    some only on the lines that are not plain information (no tag: the level is read from
    the words). Column typing misses it when the tag is absent from many lines or has
    values that are no level (a category such as ``Auth:`` among ``Info:``/``Error:``);
    those get the level read from the message words, and keep the tag in the message
    unless the tag opens (nearly) every line (then it is a column of the format)."""
    if "(?P<severity>" in pattern or (msgs := _sample_messages(pattern, lines)) is None:
        return None
    tags = [t.group(1) for t in (_TAG_RE.match(m) for m in msgs) if t]
    if len(tags) < max(MESSAGE_TAG_MIN, MESSAGE_TAG_SHARE * len(msgs)):
        return None
    values = sorted(set(tags), key=lambda t: (-len(t), t))
    levels = {t for t in values if t.lower() in words}
    if len(values) > MESSAGE_TAG_VALUES or len(levels) < 2 \
            or sum(1 for t in tags if t in levels) < 0.5 * len(tags):
        return None
    # a tag on (nearly) every line is a column of the format, all its values the tag;
    # on some lines only, the level words are: a category among them ('sched:') is text
    column = len(tags) >= STABLE * len(msgs)
    alts = "|".join(re.escape(t) for t in values if column or t in levels)
    return pattern[: -len(_MESSAGE_TAIL)] + f"(?:(?P<severity>{alts}):\\s+)?" + _MESSAGE_TAIL


#: A field in parentheses opens the message of at least this share of the sample's records.
PAREN_FIELD_SHARE = 0.9
_PAREN_RE = re.compile(r"\(([^()\n]{1,80})\)\s+\S")


def message_paren_field(pattern: str, lines: list[str]) -> tuple[str, str] | None:
    """(``pattern`` with a ``(field)`` header field before its message, the field's name),
    or None.

    Why: a thread or context name in parentheses after the other header fields (``(main)``,
    ``(worker pool-3)``) may hold blanks, so column typing, which splits at blanks, leaves
    it in the message. When (nearly) every record's message opens with one, it is a field."""
    if (msgs := _sample_messages(pattern, lines)) is None:
        return None
    if len(msgs) < MESSAGE_TAG_MIN or sum(1 for m in msgs if _PAREN_RE.match(m)) < PAREN_FIELD_SHARE * len(msgs):
        return None
    name = next((n for n in ("thread", "context", "paren_field") if f"(?P<{n}>" not in pattern), None)
    if name is None:
        return None
    return pattern[: -len(_MESSAGE_TAIL)] + rf"\((?P<{name}>[^()\n]*)\)\s+" + _MESSAGE_TAIL, name
