"""Records whose message comes first, framed by constant marks, with the time after it.

Why: the usual induction reads the text before the timestamp as header fields and the
text after it as the message. Some formats write it the other way round: a constant
opening mark, the free-text message, a constant closing mark, then the time, the date
and the other fields as ``key="value"`` attributes to the end of the line (so the time
sits past any fixed window; the finder looks for such layouts anywhere, see
``anywhere`` in ``timestamps.json``). Seen in the statistics of the sample: the texts
before the time share a prefix ending in an opening mark and a suffix starting with a
closing one, and what lies between varies and is text (has spaces). The attributes every
line carries become fields; one named in ``induce_attrs.json``'s ``level_keys`` whose
values read as levels (words, or a numeric scale of that table) is the level.

Nothing here knows a product: the attribute names and scales are data.
"""

from __future__ import annotations

import json
import os
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from ..timestamps import LayoutHit
from .induce_columns import LEVEL_SHARE, STABLE, _Names
from .model import GOLDEN_GROUPS, Rule

#: A frame's opening mark ends in one of these, its closing mark starts with one.
OPENERS = "[<({\"'|:="
CLOSERS = "]>)}\"'|"
#: Share of the framed texts that must hold a space (free text, not a field).
FREE_TEXT_SHARE = 0.5
_ATTR_RE = re.compile(r"([A-Za-z_][A-Za-z0-9_.\-]*)=\"([^\"]*)\"")


@lru_cache(maxsize=1)
def attribute_vocabulary() -> dict[str, Any]:
    """``induce_attrs.json``: level keys and numeric level scales."""
    text = resources.files(__package__).joinpath("induce_attrs.json").read_text(encoding="utf-8")
    return json.loads(text)


def _common_suffix(texts: Sequence[str]) -> str:
    return os.path.commonprefix([t[::-1] for t in texts])[::-1]


def message_frame(best: LayoutHit, sample: Sequence[str]) -> tuple[str, str] | None:
    """(opening, closing) marks around a free-text message before the timestamp, or
    None when the text before the time is not so framed (see module doc)."""
    idx = [i for i, t in enumerate(best.texts) if t is not None]
    if len(idx) < 2:
        return None
    pres = [sample[i][: best.starts[i]] for i in idx]
    head = os.path.commonprefix(pres)
    while head and head[-1] not in OPENERS:
        head = head[:-1]
    tail = _common_suffix(pres)
    while tail and tail[0] not in CLOSERS:
        tail = tail[1:]
    if not head or not tail or any(len(p) < len(head) + len(tail) for p in pres):
        return None
    middles = [p[len(head): len(p) - len(tail)] for p in pres]
    if len(set(middles)) < 2 or sum(1 for m in middles if " " in m.strip()) < FREE_TEXT_SHARE * len(middles):
        return None
    return head, tail


def _group_name(key: str, names: _Names) -> str | None:
    base = re.sub(r"[^A-Za-z0-9_]", "_", key).strip("_").lower()
    if not base or base[0].isdigit() or base in ("message", "timestamp", "severity"):
        return None
    return names.take(base)


def _level_map(key: str, values: Sequence[str], words: dict[str, str]) -> dict[str, str] | None:
    """{value: level} when attribute ``key`` is a level key whose values read as levels."""
    vocab = attribute_vocabulary()
    how = vocab["level_keys"].get(key.lower())
    if how is None or not values:
        return None
    if how == "words":
        ok = sum(1 for v in values if v.lower() in words)
        return {} if ok >= LEVEL_SHARE * len(values) else None
    scale = vocab["numeric_scales"].get(how, {})
    return dict(scale) if all(v in scale for v in values) else None


def attribute_fields_rx(rests: Sequence[str], words: dict[str, str], names: _Names,
                        info: list[dict[str, Any]]) -> tuple[str, dict[str, str] | None]:
    """(regex of the ``key="value"`` attributes after the time, level map or None): each
    attribute present in STABLE of the lines, in the order of the first line, as an
    optional group; the level key (see :func:`_level_map`) as ``severity``."""
    per_line = [dict(_ATTR_RE.findall(r)) for r in rests]
    order = [k for k, _ in _ATTR_RE.findall(rests[0])] if rests else []
    parts: list[str] = []
    level: dict[str, str] | None = None
    for key in order:
        vals = [d[key] for d in per_line if key in d]
        if len(vals) < STABLE * len(rests):
            continue
        lmap = None if level is not None else _level_map(key, vals, words)
        if lmap is not None:
            level, n = lmap, "severity"
            info.append({"field": "severity", "kind": f"attribute {key!r}"})
        else:
            n = _group_name(key, names)  # type: ignore[assignment]
            if n is None:
                continue
            info.append({"field": n, "kind": f"attribute {key!r}"})
        parts.append(rf"(?:.*?\b{re.escape(key)}=\"(?P<{n}>[^\"]*)\")?")
    return "".join(parts), level


def framed_induction(name: str, best: LayoutHit, sample: Sequence[str], comment: str | None,
                     words: dict[str, str]) -> tuple[Rule, list[dict[str, Any]], list[str]] | None:
    """(rule, fields, notes) for records framed as in the module doc, or None."""
    frame = message_frame(best, sample)
    if frame is None:
        return None
    head, tail = frame
    names = _Names()
    names.used.update(GOLDEN_GROUPS)
    info: list[dict[str, Any]] = [{"field": "message", "kind": "framed text before the timestamp"}]
    idx = [i for i, t in enumerate(best.texts) if t is not None]
    rests = [sample[i][(best.starts[i] or 0) + len(best.texts[i] or ""):] for i in idx]
    attrs, level = attribute_fields_rx(rests, words, names, info)
    pattern = (f"^{re.escape(head)}(?P<message>.*?){re.escape(tail)}(?P<timestamp>{best.layout.regex})"
               f"{attrs}.*$")
    rule = Rule(name=name, pattern=pattern, timestamp_formats=list(best.formats), comment_start=comment,
                description=f"Induced from a sample of the file: the message framed by {head!r} and "
                f"{tail!r}, then the timestamp {best.layout.name} and attributes "
                + ", ".join(f["field"] for f in info[1:]))
    rule.examples = [sample[i] for i in idx[:3]]
    if level:
        rule.severity_map = dict(level)
    notes = [f"the message comes first, between {head!r} and {tail!r}; the time and "
             f"{len(info) - 1} attribute field(s) follow it"]
    if level is None:
        notes.append("no level in the format: severity is inferred from the message words")
    return rule, info, notes


__all__ = ["message_frame", "attribute_fields_rx", "framed_induction", "attribute_vocabulary"]
