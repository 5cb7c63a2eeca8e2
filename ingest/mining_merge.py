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

import re
from dataclasses import dataclass
from typing import Sequence

from logpilot_kernel.ingest.known_templates import PARAM

__all__ = ["Unit", "combine", "merge_units"]

_DIGIT = re.compile(r"\d")


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
    """The merged template must keep a share of its words literal, one of them a word:
    otherwise unrelated events of one length would melt into ``<*> <*> <*>``.  Positions
    that are values in every member already (``<*>``, digits) do not count either way."""
    first = members[0]
    n = lit = 0
    word = False
    for p in range(first.fixed, len(first.tokens)):
        toks = {m.tokens[p] for m in members}
        if all(t == "" or PARAM in t or _DIGIT.search(t) for t in toks):
            continue  # values everywhere (as Drain's similarity sees them): neither side
        n += 1
        if len(toks) == 1:
            lit += 1
            word = word or any(c.isalpha() for c in first.tokens[p])
    return word and lit >= lit_min * n


def _split(members: list[Unit], var: frozenset[int], need: Sequence[int], lit_min: float,
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
            if 1 < len(vals) < need[p] and PARAM not in vals:
                few.append(p)
        if few:
            if len(few) < len(var):
                _split(bucket, var - frozenset(few), need, lit_min, out)
            continue
        if _literal_enough(bucket, lit_min):
            out.append(bucket)


def _single_position(members: list[Unit], var: frozenset[int], need: Sequence[int],
                     lit_min: float) -> list[list[Unit]]:
    """Templates that agree on every token but one, where that one takes ``var_min``
    values (or holds ``<*>``): the plainest evidence of a variable, looked at first so
    unrelated templates of the same length cannot hide it."""
    out: list[list[Unit]] = []
    used: set[int] = set()
    for p in sorted(var):
        buckets: dict[tuple, list[Unit]] = {}
        for m in members:
            if id(m) not in used:
                buckets.setdefault(m.tokens[:p] + m.tokens[p + 1:], []).append(m)
        for bucket in buckets.values():
            if len(bucket) < 2:
                continue
            vals = {m.tokens[p] for m in bucket}
            if (len(vals) >= need[p] or PARAM in vals) and _literal_enough(bucket, lit_min):
                out.append(bucket)
                used.update(id(m) for m in bucket)
    return out


def merge_units(units: dict[str, Unit], var_min: int, lit_min: float = 0.5,
                touched: set[str] | None = None, frozen: set[str] | None = None,
                bind: bool = False) -> dict[str, str]:
    """Merge templates (see the module docstring); returns ``{merged id: survivor id}``
    and updates ``units`` in place (merged ids removed, survivors' tokens combined).

    ``touched``: only shapes holding one of these ids are looked at (the templates a
    batch created or changed); ``None`` looks at all.  ``frozen``: ids that must not
    disappear (already stored elsewhere): the oldest of them survives and takes the new
    members, the others stay as they are.  ``var_min`` 0 turns the pass off.  ``bind``: a token bound to a key
    (right after ``=``: ``user=root``) is declared a value by its syntax, so two values
    are enough there.
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
            need = _needs(members[0], var_min, bind)
            var = frozenset(p for p in range(fixed, key[0])
                            if _varies(members, p, need[p]))
            if not var:
                continue
            found = _single_position(members, var, need, lit_min)
            done = {id(u) for bucket in found for u in bucket}
            rest = [u for u in members if id(u) not in done]
            if len(rest) > 1:
                _split(rest, var, need, lit_min, found)
            for bucket in found:
                bsids = sorted((ids[id(u)] for u in bucket), key=lambda s: (s not in frozen, units[s].age))
                if len(bsids) > 1 and bsids[1] in frozen:  # several stored ids: the oldest takes
                    bsids = bsids[:1] + [s for s in bsids if s not in frozen]  # the new ones, the rest stay
                    if len(bsids) < 2:
                        continue
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


def _needs(unit: Unit, var_min: int, bind: bool) -> list[int]:
    """Per token position: how many distinct values make it a variable."""
    seps, lead = unit.shape
    need = [var_min] * len(unit.tokens)
    if bind:
        for q in range(len(unit.tokens) - unit.fixed):
            before = lead if q == 0 else seps[q - 1]
            if before.endswith("="):
                need[unit.fixed + q] = min(2, var_min)
    return need


def _varies(members: list[Unit], p: int, var_min: int) -> bool:
    vals = {m.tokens[p] for m in members}
    return len(vals) >= var_min or (len(vals) > 1 and PARAM in vals)
