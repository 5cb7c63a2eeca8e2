"""JSON records whose level sits under a key no rule names: found by its values.

Why: a JSON rule reads the level from keys it knows (``level``, ``severity``, ...); a
format that writes it under another key (a one-letter ``s``) would get every level
inferred from the words. Over the sample, the key present in nearly every record whose
values are all level spellings (words or letters) is taken, as data: an induced copy of
the JSON rule with that key as a severity alias. Split from :mod:`.induce`, which reads
text layouts.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, Mapping, Sequence

from logpilot_kernel.schema import SEVERITIES, SEVERITY_ALIASES

from .induce import STABLE, Induction, induced_name, level_words
from .model import Rule


#: A JSON value longer than this is text, not a level.
MAX_LEVEL_VALUE = 16


def _has_key(obj: Mapping[str, Any], key: str) -> bool:
    """Whether a JSON object has ``key``, literally or as the nested path 'a.b'."""
    if key in obj:
        return True
    if "." not in key or key.startswith("@"):
        return False
    node: Any = obj
    for part in key.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return False
        node = node[part]
    return True


def json_level_key(objs: Sequence[Mapping[str, Any]], taken: set[str],
                   words: dict[str, str]) -> tuple[str, dict[str, str]] | None:
    """(key, {value: level}) of the top-level key that holds a level, by column statistics:
    present in STABLE of the records, every value a short text that is a level spelling
    (a word or a letter such as ``I``/``W``/``D1``); None when no key qualifies.

    Digits do not count (an id or a port of 3 would read as a syslog level), nor do keys
    already read as another golden field. Of several keys, the one with more distinct
    values wins (a constant word is weaker evidence), then the shorter name.
    """
    values: dict[str, list[str]] = {}
    bad: set[str] = set()
    for obj in objs:
        for k, v in obj.items():
            if k in taken or k in bad:
                continue
            text = v.strip() if isinstance(v, str) else ""
            if not text or text.isdigit() or len(text) > MAX_LEVEL_VALUE or text.lower() not in words:
                bad.add(k)
                continue
            values.setdefault(k, []).append(text)
    cands = [(len({v.lower() for v in vs}), -len(k), k) for k, vs in values.items()
             if k not in bad and len(vs) >= STABLE * len(objs)]
    if not cands:
        return None
    key = max(cands)[2]
    return key, {v.lower(): words[v.lower()] for v in values[key]}


def induce_json_level(rule: Rule, lines: Sequence[str], *, stem: str) -> Induction | None:
    """A JSON rule that fits a file but finds no level in it, given the file's level key.

    A JSON format with a level under a key no rule names (a one-letter ``s``) would
    otherwise get levels guessed from the message words. When no sample record has any of
    the rule's level keys, :func:`json_level_key` picks one from the values; the result is
    the same rule with that key as an alias of the severity field (data, saved and
    streamed like any induced rule), named ``induced:<stem>``. None when nothing changes.
    """
    if rule.kind != "json":
        return None
    sample = [ln.strip() for ln in lines if ln and ln.strip().startswith("{")]
    objs: list[dict[str, Any]] = []
    for ln in sample:
        try:
            obj = json.loads(ln)
        except ValueError:
            continue
        if isinstance(obj, dict):
            objs.append(obj)
    if not objs or any(_has_key(o, k) for o in objs for k in rule.aliases("severity")):
        return None
    taken = {k.split(".")[0] if "." in k and not k.startswith("@") else k
             for g in ("timestamp", "message", "service", "host", "trace_id") for k in rule.aliases(g)}
    words = level_words()
    found = json_level_key(objs, taken, words)
    if found is None:
        return None
    key, levels = found
    shared = {k.lower() for k in SEVERITY_ALIASES} | {s.lower() for s in SEVERITIES}
    aliases = {g: list(v) for g, v in rule.key_aliases.items()}
    aliases["severity"] = aliases.get("severity", []) + [key]
    new = dataclasses.replace(
        rule, name=induced_name(stem), key_aliases=aliases, builtin=False, examples=sample[:3],
        severity_map={**rule.severity_map, **{v: lvl for v, lvl in levels.items() if v not in shared}},
        description=f"{rule.name} with the level read from key {key!r} (induced from a sample of the file)")
    spelled = ", ".join(f"{v}={lvl}" for v, lvl in sorted(levels.items()))
    return Induction(rule=new, confidence=0.0,
                     fields=[{"field": "severity", "kind": "level key", "key": key, "values": levels}],
                     notes=[f"no known level key in the sample: {key!r} holds only level spellings "
                            f"({spelled}), read as the level (rule {rule.name} otherwise)"])


__all__ = ["induce_json_level", "json_level_key"]
