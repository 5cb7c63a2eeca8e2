"""JSON records whose time, message or level sit under keys no rule names as written.

Why: a JSON rule reads its golden fields from the keys it knows (``time``, ``message``,
``level``, ...), literally. A format that writes the time as an epoch number under a
longer key (``event_epoch_ms``, ``__WALL_TIME``), or the known keys in another case
(``MESSAGE``, ``Priority``), got no time and no message: every record took the file's
time and its whole object as text. Over the sample:

* the **time key** is a top-level key whose value is an epoch number (a number or a
  decimal string, 10/13/16/19 digits, in the 2000-2100 range) in STABLE of the records,
  ranked by the words of its name (:file:`json_keys.json`: a clock since boot or a
  duration is not the record's time), then by presence, then by its place in the object
  (the first time-like key a writer puts down is its record time);
* a **message / level / service / host key** is a key that equals one of the rule's
  aliases but for case;
* a level key whose values are the digits 0-7 only is read on the syslog scale.

The result is an induced copy of the JSON rule with those keys as aliases (data, saved
and streamed like any induced rule). Nothing here knows a product.
"""

from __future__ import annotations

import dataclasses
import json
import pathlib
import re
from collections import Counter
from typing import Any, Mapping, Sequence

from ..timestamps import EPOCH_MAX_S, EPOCH_MIN_S, EPOCH_UNITS
from .induce import STABLE, Induction, induced_name
from .induce_blocks import NUMERIC_LEVEL_SCALES
from .model import Rule

_HINTS: dict[str, Any] = json.loads(
    (pathlib.Path(__file__).with_name("json_keys.json")).read_text(encoding="utf-8"))
TIME_WORDS: frozenset[str] = frozenset(_HINTS["time_words"])
NOT_TIME_WORDS: frozenset[str] = frozenset(_HINTS["not_time_words"])
#: Golden fields whose keys are matched regardless of case.
CASED_FIELDS = ("message", "severity", "service", "host", "trace_id")
_SCALE = {"epoch": 1, "epoch_ms": 1_000, "epoch_us": 1_000_000, "epoch_ns": 1_000_000_000}


def key_words(key: str) -> set[str]:
    """The words of a key's name: split at punctuation and at camelCase humps, lower case."""
    parts = re.split(r"[^A-Za-z0-9]+", re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key))
    return {p.lower() for p in parts if p}


def epoch_unit(value: Any) -> str | None:
    """The epoch format (``epoch``, ``epoch_ms``, ...) a JSON value is written in, by its
    digits and range; None for anything else (a boolean, a port, a 12-digit counter)."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        return None
    text = str(value).strip() if not isinstance(value, float) else repr(value)
    m = re.fullmatch(r"(\d+)(?:\.\d+)?", text)
    if not m:
        return None
    for fmt, digits, frac, _sql in EPOCH_UNITS:
        if len(m.group(1)) != digits or (not frac and "." in text):
            continue
        scale = _SCALE.get(fmt)
        if scale and EPOCH_MIN_S * scale <= float(text) <= EPOCH_MAX_S * scale:
            return fmt
    return None


def epoch_time_key(objs: Sequence[Mapping[str, Any]], taken: set[str] = frozenset()) -> tuple[str, str] | None:
    """(key, epoch format) of the top-level key holding the record time as an epoch
    number, or None. A candidate holds an in-range epoch of one unit in STABLE of the
    records; its name must not be a :data:`NOT_TIME_WORDS` key unless it also has a
    :data:`TIME_WORDS` word. Best: a time word, then present in more records, then the
    earlier place in the objects."""
    units: dict[str, Counter[str]] = {}
    place: dict[str, list[int]] = {}
    for obj in objs:
        for i, (k, v) in enumerate(obj.items()):
            if k in taken:
                continue
            u = epoch_unit(v)
            if u is not None:
                units.setdefault(k, Counter())[u] += 1
                place.setdefault(k, []).append(i)
    cands = []
    for k, c in units.items():
        fmt, n = c.most_common(1)[0]
        if n < STABLE * len(objs):
            continue
        words = key_words(k)
        good, bad = bool(words & TIME_WORDS), bool(words & NOT_TIME_WORDS)
        if bad:
            continue
        cands.append((good, n, -sum(place[k]) / len(place[k]), k, fmt))
    if not cands:
        return None
    best = max(cands)
    return best[3], best[4]


def cased_key(objs: Sequence[Mapping[str, Any]], aliases: Sequence[str]) -> str | None:
    """A key present in STABLE of the records that equals one of ``aliases`` but for case
    (none when some alias is written as it stands)."""
    if any(a in o for o in objs for a in aliases):
        return None
    lower = {a.lower() for a in aliases}
    seen = Counter(k for o in objs for k in o if k.lower() in lower)
    hits = [(n, k) for k, n in seen.items() if n >= STABLE * len(objs)]
    return max(hits)[1] if hits else None


def _objects(lines: Sequence[str]) -> tuple[list[str], list[dict[str, Any]]]:
    sample = [ln.strip() for ln in lines if ln and ln.strip().startswith("{")]
    objs: list[dict[str, Any]] = []
    for ln in sample:
        try:
            obj = json.loads(ln)
        except ValueError:
            continue
        if isinstance(obj, dict):
            objs.append(obj)
    return sample, objs


def induce_json_keys(rule: Rule, lines: Sequence[str], *, stem: str) -> Induction | None:
    """A copy of the JSON ``rule`` that reads the sample's own time / message / level keys
    (see the module doc), named ``induced:<stem>``; None when it would read nothing new."""
    if rule.kind != "json":
        return None
    sample, objs = _objects(lines)
    if not objs or len(objs) < STABLE * len([ln for ln in lines if ln and ln.strip()]):
        return None
    aliases = {g: list(v) for g, v in rule.key_aliases.items()}
    fields: list[dict[str, Any]] = []
    notes: list[str] = []
    formats = list(rule.timestamp_formats)
    levels: dict[str, str] = {}
    for g in CASED_FIELDS:
        key = cased_key(objs, rule.aliases(g))
        if key is not None:
            aliases[g] = aliases.get(g, []) + [key]
            fields.append({"field": g, "kind": "known key in another case", "key": key})
    ts_keys = rule.aliases("timestamp")
    if not any(k in o for o in objs for k in ts_keys):
        taken = {k for g, ks in aliases.items() if g != "timestamp" for k in ks}
        found = epoch_time_key(objs, taken)
        if found is not None:
            key, fmt = found
            aliases["timestamp"] = [key] + aliases.get("timestamp", [])
            formats = formats + ([fmt] if fmt not in formats else [])
            fields.append({"field": "timestamp", "kind": "epoch number", "key": key, "format": fmt})
            notes.append(f"no known time key in the sample: {key!r} holds an epoch number ({fmt}) "
                         "in nearly every record, read as the time")
    sev = next((f["key"] for f in fields if f["field"] == "severity"), None)
    if sev is not None:
        vals = {str(o[sev]).strip() for o in objs if sev in o}
        scale = NUMERIC_LEVEL_SCALES["syslog"]
        if vals and vals <= set(scale) and not (vals & set(rule.severity_map)):
            levels = {v: scale[v] for v in vals}
            notes.append(f"level key {sev!r} holds the digits 0-7 only: read on the syslog scale")
    if not fields:
        return None
    new = dataclasses.replace(
        rule, name=induced_name(stem), key_aliases=aliases, builtin=False, examples=sample[:3],
        timestamp_formats=formats, severity_map={**rule.severity_map, **levels},
        description=f"{rule.name} with the file's own keys ({', '.join(f['key'] for f in fields)}; "
                    "induced from a sample of the file)")
    return Induction(rule=new, confidence=0.0, fields=fields, notes=notes)


__all__ = ["induce_json_keys", "epoch_time_key", "epoch_unit", "cased_key", "key_words"]
