"""Second pass of the miner: merge templates whose differences sit in positions that vary.

Why: Drain decides one message at a time against a similarity threshold, so a variable
that looks like a word (a host, user, component or file name) keeps its messages in as
many clusters as it has values, while a threshold low enough to gather them also merges
events that differ by one real word (``startup`` / ``shutdown``).  A position's
statistics over the whole batch tell the two apart, as in the statistic-based parsers
(PIPLUP's position statistics, Brain's longest common pattern by token frequency): a
token is a variable when, among templates that agree everywhere else, it takes many
values (``var_min`` or more distinct ones), and stays literal when it takes few.

The pass works on templates (one per distinct cluster), not on messages, so it costs
nothing per row.  It only merges templates of the same token count and the same
separators; the merged template keeps the tokens all members share and has ``<*>``
where they differ.  The survivor of a merge is its oldest member (stable ids); the
others map to it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from logpilot_kernel.ingest.known_templates import PARAM

__all__ = ["Unit", "combine", "merge_units"]


@dataclass
class Unit:
    """One template as the merge pass sees it."""

    tokens: tuple[str, ...]
    shape: tuple            # (separators, lead): only templates of one shape merge
    age: int                # creation order: the oldest member of a merge survives
    fixed: int = 0          # leading tokens that never vary (the group key)


def combine(a: Sequence[str], b: Sequence[str]) -> Sequence[str]:
    """Tokens both share, ``<*>`` where they differ; ``b`` itself when nothing changes
    (callers compare by identity to know a template did not move)."""
    if len(a) != len(b):
        return b
    out = tuple(x if x == y else PARAM for x, y in zip(a, b))
    return b if out == tuple(b) else out


def _literal_enough(members: list[Unit], lit_min: float) -> bool:
    """The merged template must keep a share of its tokens literal, one of them a word:
    otherwise unrelated events of one length would melt into ``<*> <*> <*>``."""
    first = members[0]
    n = len(first.tokens) - first.fixed
    lit = 0
    word = False
    for p in range(first.fixed, len(first.tokens)):
        t = first.tokens[p]
        if t != PARAM and all(m.tokens[p] == t for m in members):
            lit += 1
            word = word or any(c.isalpha() for c in t)
    return word and lit >= lit_min * n


def _split(members: list[Unit], var: frozenset[int], var_min: int, lit_min: float,
           out: list[list[Unit]]) -> None:
    """Bucket ``members`` by their tokens outside ``var``; a bucket merges when every
    position of ``var`` in it is constant or takes ``var_min`` values (or holds ``<*>``);
    a position with only a few values is a literal after all: it joins the key."""
    n = len(members[0].tokens)
    keyed = [p for p in range(n) if p not in var]
    buckets: dict[tuple, list[Unit]] = {}
    for m in members:
        buckets.setdefault(tuple(m.tokens[p] for p in keyed), []).append(m)
    for bucket in buckets.values():
        if len(bucket) < 2:
            continue
        few = []
        for p in var:
            vals = {m.tokens[p] for m in bucket}
            if 1 < len(vals) < var_min and PARAM not in vals:
                few.append(p)
        if few:
            if len(few) < len(var):
                _split(bucket, var - frozenset(few), var_min, lit_min, out)
            continue
        if _literal_enough(bucket, lit_min):
            out.append(bucket)


def merge_units(units: dict[str, Unit], var_min: int, lit_min: float = 0.5,
                touched: set[str] | None = None, frozen: set[str] | None = None) -> dict[str, str]:
    """Merge templates (see the module docstring); returns ``{merged id: survivor id}``
    and updates ``units`` in place (merged ids removed, survivors' tokens combined).

    ``touched``: only shapes holding one of these ids are looked at (the templates a
    batch created or changed); ``None`` looks at all.  ``frozen``: ids that must not
    disappear (already stored elsewhere); a merge may keep at most one of them, which
    survives.  ``var_min`` 0 turns the pass off.
    """
    mapping: dict[str, str] = {}
    if var_min <= 0 or len(units) < 2:
        return mapping
    frozen = frozen or set()
    for _round in range(3):
        groups: dict[tuple, list[str]] = {}
        for sid, u in units.items():
            key = (len(u.tokens), u.shape, u.tokens[:u.fixed])
            groups.setdefault(key, []).append(sid)
        merged_any = False
        for key, sids in groups.items():
            if len(sids) < 2 or (touched is not None and not touched.intersection(sids)):
                continue
            members = [units[s] for s in sids]
            ids = {id(u): s for s, u in zip(sids, members)}
            fixed = members[0].fixed
            var = frozenset(p for p in range(fixed, key[0])
                            if _varies(members, p, var_min))
            if not var:
                continue
            found: list[list[Unit]] = []
            _split(members, var, var_min, lit_min, found)
            for bucket in found:
                bsids = [ids[id(u)] for u in bucket]
                if sum(1 for s in bsids if s in frozen) > 1:
                    continue
                bsids.sort(key=lambda s: (s not in frozen, units[s].age))
                survivor = bsids[0]
                tokens: Sequence[str] = units[survivor].tokens
                for s in bsids[1:]:
                    tokens = tuple(combine(tokens, units[s].tokens))
                units[survivor].tokens = tuple(tokens)
                for s in bsids[1:]:
                    mapping[s] = survivor
                    del units[s]
                if touched is not None:
                    touched.add(survivor)
                merged_any = True
        if not merged_any:
            break
    for s in list(mapping):  # chains of rounds: a survivor later merged again
        t = mapping[s]
        while t in mapping:
            t = mapping[t]
        mapping[s] = t
    return mapping


def _varies(members: list[Unit], p: int, var_min: int) -> bool:
    vals = {m.tokens[p] for m in members}
    return len(vals) >= var_min or (len(vals) > 1 and PARAM in vals)
