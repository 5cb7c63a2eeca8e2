"""Header fields that open the message: what an induced rule left at the start of (nearly)
every record's text, read off the messages of its own sample.

Column typing splits a header at blanks and stops at the first column whose type is
unstable, so fields written after it stay in the message: a source location in
brackets (``[file.c:120:fn]``), an id glued to the text by a closing parenthesis
(``cpu3:2201)text``), a name before the separator the header already used
(``... - name - text``), an identifier and ``: `` after such a field. When the same kind of
token opens STABLE of the sample's messages (:data:`BRACKET_LEAD_SHARE` for a bracketed one;
and the text goes on after it), it is a header field, and the rule reads it as one; at most :data:`MAX_LEAD_FIELDS` of them, one
kind at a time, each looked for in the messages the previous one left. A field that
opens most messages but not all is optional (a format that writes a message id on
some lines only).

Nothing here knows a product: every decision is a share of the sample's messages.
"""

from __future__ import annotations

import re
from typing import Callable, Sequence

from .induce_columns import STABLE
from .induce_phrase import MESSAGE_TAG_MIN, _MESSAGE_TAIL, _sample_messages

#: At most this many fields are taken from the start of the messages.
MAX_LEAD_FIELDS = 3
#: A field in brackets or closed by ')' (punctuation no sentence opens with) is a field
#: when it opens this share of the messages (a bracketed id the columns took for this
#: one in the lines that lack it leaves the others' field in the message).
BRACKET_LEAD_SHARE = 0.8

#: (kind, regex of the lead with NAME for its group - the separator after it included,
#: names to try; an id glued to the text by a closing parenthesis has no separator, the
#: blanks after it are the text's). A lead must leave text after it; the regexes are RE2-safe.
_LEADS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("bracketed field", r"\[(?P<NAME>[^\]\n]*)\]\s+", ("source", "location", "tag")),
    ("id closed by ')'", r"(?P<NAME>[^\s()]+)\)", ("context", "tag")),
    ("name before the header's ' - '", r"(?P<NAME>\S+) - ", ("subsystem", "component", "tag")),
    ("name before ': '", r"(?P<NAME>\S+):\s+", ("component", "source", "tag")),
    ("name padded before ' : '", r"(?P<NAME>\S+) +: +", ("logger", "component", "source")),
)
#: A bracketed field followed by a padded ``name : `` opens a run of header fields even
#: when the header before it does not end with a bracket (a thread in brackets, then a
#: class column, after a ``---`` separator): a request tag of the text is not followed
#: by a spaced colon in nearly every message.
_BRACKET_THEN_NAME_RE = re.compile(r"\[[^\]\n]*\]\s+\S+ +: +\S")
_BRACKETED = ("bracketed field", "id closed by ')'")
#: A ``name: `` lead is a field only when STABLE of its names are identifiers (a digit or
#: punctuation in them: ``0-io``, ``net.rx``); a plain word before a colon (``Error:``,
#: ``Loader:``) is the message's own opening.
_IDENT_RE = re.compile(r"\S*[^A-Za-z\s]\S*")


def _opens(rx: re.Pattern[str], msgs: Sequence[str]) -> int:
    return sum(1 for m in msgs if (h := rx.match(m)) and h.end() < len(m))


def _header_shape(pattern: str, lines: Sequence[str]) -> tuple[bool, bool]:
    """(the header before the message uses ' - ' between its fields, it ends with a
    bracketed field), each in STABLE of the lines."""
    try:
        rx = re.compile(pattern)
    except re.error:
        return False, False
    heads = [m.string[: m.start("message")] for m in (rx.match(ln) for ln in lines) if m]
    need = STABLE * len(heads)
    return (bool(heads) and sum(1 for h in heads if " - " in h) >= need,
            bool(heads) and sum(1 for h in heads if h.rstrip().endswith("]")) >= need)


def message_lead_fields(pattern: str, lines: list[str],
                        accept: Callable[[str], bool] | None = None) -> tuple[str, list[tuple[str, str]]] | None:
    """(``pattern`` with the header fields that open its messages, [(field, kind)]), or
    None when no field opens them. ``accept`` may veto a new pattern (the caller's check
    that the rule still parses its sample)."""
    added: list[tuple[str, str]] = []
    dash, bracketed = _header_shape(pattern, lines)
    for _ in range(MAX_LEAD_FIELDS):
        msgs = _sample_messages(pattern, lines)
        if not msgs or len(msgs) < MESSAGE_TAG_MIN:
            break
        for kind, lead, names in _LEADS:
            if kind.startswith("name before the header") and not dash:
                continue
            if kind == "bracketed field" and not bracketed and \
                    _opens(_BRACKET_THEN_NAME_RE, msgs) < STABLE * len(msgs):
                continue  # a bracket after a ':' or a '--' is the text's (a request tag)
            if kind == "name before ': '" and not added:
                continue  # 'source.c: text' right after the header is the text's
            n = next((c for c in names if f"(?P<{c}>" not in pattern), None)
            if n is None:
                continue
            rx = re.compile(lead.replace("NAME", n))
            hits = _opens(rx, msgs)
            if hits < (BRACKET_LEAD_SHARE if kind in _BRACKETED else STABLE) * len(msgs):
                continue
            if kind in ("name before ': '", "name padded before ' : '") and sum(
                    1 for m in msgs if (h := rx.match(m)) and _IDENT_RE.fullmatch(h.group(n))) < STABLE * len(msgs):
                continue
            body = lead.replace("NAME", n)
            new = pattern[: -len(_MESSAGE_TAIL)] + (body if hits == len(msgs) else f"(?:{body})?") + _MESSAGE_TAIL
            if accept is not None and not accept(new):
                continue
            pattern = new
            added.append((n, kind))
            if kind.startswith("name before the header"):
                dash = False  # one such name: later ' - ' belong to the text
            break
        else:
            break
    return (pattern, added) if added else None


__all__ = ["message_lead_fields", "MAX_LEAD_FIELDS"]
