"""The cluster ingest's template merge, on the client (issue 16).

Every shard mined with its own copy of the workspace miner, so shards agree wherever the
workspace already knew a template (same id, same text) and may disagree on what they
learnt: two shards that met the same new event give it the same id when they created it
from the same text (ids hash the text), but may generalise it differently, and two shards
may each keep apart what one miner over all their lines would have merged.

So, in order:

1. a shard template whose id and text are the workspace's keeps its id (nothing to merge);
2. the others with equal text (and severity group) are one template;
3. near-duplicates are merged by mining the template texts again
   (:func:`~.templates_remine.merge_template_sets`, the reduce step of Loki's pattern
   querier and Elasticsearch's ``categorize_text``);
4. each merged group keeps the id of its first member, a workspace id first (a changed
   workspace template keeps its id and takes the merged text); a second group claiming the
   same id gets a new one from its text.

The result maps every ``(shard_id, template_id)`` a segment row carries to its final id;
the client applies it when it loads the rows and writes it to the lake beside the segments.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from .templates_remine import merge_template_sets

__all__ = ["TemplateMerge", "merge_shard_templates"]


@dataclass
class TemplateMerge:
    """The merge's outcome (see the module docstring)."""

    ids: dict[tuple[str, str], str] = field(default_factory=dict)  # (shard, shard id) -> final id
    texts: dict[str, str] = field(default_factory=dict)            # final id -> text
    services: dict[str, str] = field(default_factory=dict)         # final id -> first service seen
    new: set[str] = field(default_factory=set)                     # final ids the workspace lacked
    changed: set[str] = field(default_factory=set)                 # workspace ids whose text changed
    shard_templates: int = 0
    remined: int = 0        # distinct (group, text) pairs mined again
    renamed: int = 0        # (shard, id) pairs whose final id is another
    seconds: float = 0.0


def _fresh_id(text: str, taken: set[str]) -> str:
    salt = 0
    while True:
        key = text if salt == 0 else f"{text}\x00{salt}"
        tid = "T" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        if tid not in taken:
            return tid
        salt += 1


def merge_shard_templates(seed: Mapping[str, str],
                          shards: Sequence[tuple[str, Mapping[str, Mapping[str, Any]]]],
                          settings: dict[str, Any] | None = None) -> TemplateMerge:
    """Merge the templates of ``shards`` (``[(shard_id, {id: {"text", "group", "service"}})]``,
    in plan order) against the workspace's ``seed`` (``{id: text}``)."""
    t0 = time.perf_counter()
    out = TemplateMerge()
    rest: list[tuple[str, str, Mapping[str, Any]]] = []
    for sid, temps in shards:
        for tid, t in temps.items():
            out.shard_templates += 1
            if seed.get(tid) == t["text"]:
                out.ids[(sid, tid)] = tid
                out.texts[tid] = t["text"]
                out.services.setdefault(tid, t.get("service") or "")
            else:
                rest.append((sid, tid, t))
    # a workspace id first, so a changed workspace template survives under its own id
    rest.sort(key=lambda r: r[1] not in seed)
    keys: dict[tuple[str, str], str] = {}      # (group, text) -> key of its first member
    key_tid: dict[str, str] = {}
    reps: dict[str, str] = {}
    groups: dict[str, str] = {}
    member_key: dict[tuple[str, str], str] = {}
    for sid, tid, t in rest:
        gt = (t.get("group") or "", t["text"])
        key = keys.get(gt)
        if key is None:
            key = f"k{len(reps)}"
            keys[gt] = key
            key_tid[key] = tid
            reps[key] = t["text"]
            groups[key] = gt[0]
        member_key[(sid, tid)] = key
        out.services.setdefault(key, t.get("service") or "")
    out.remined = len(reps)
    merged_texts, mapping = merge_template_sets([reps], groups=groups, settings=settings) if reps else ({}, {})
    taken = set(seed) | set(out.texts)
    final_of: dict[str, str] = {}
    claimed: set[str] = set()
    for key in reps:  # input order: the survivor of a group is its first key
        surv = mapping.get(key, key)
        if surv in final_of:
            continue
        tid = key_tid[surv]
        # a workspace id takes its generalised text for every shard's rows (as one miner
        # would have generalised it); an id a second group claims is renamed
        if tid in claimed or (tid not in seed and tid in out.texts):
            tid = _fresh_id(merged_texts[surv], taken | claimed)
        claimed.add(tid)
        final_of[surv] = tid
        out.texts[tid] = merged_texts[surv]
        out.services.setdefault(tid, out.services.get(surv, ""))
        if tid in seed:
            if seed[tid] != merged_texts[surv]:
                out.changed.add(tid)
        else:
            out.new.add(tid)
    for (sid, tid), key in member_key.items():
        final = final_of[mapping.get(key, key)]
        out.ids[(sid, tid)] = final
        if final != tid:
            out.renamed += 1
    out.services = {k: v for k, v in out.services.items() if k in out.texts}
    out.seconds = time.perf_counter() - t0
    return out
