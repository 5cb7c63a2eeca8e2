"""Template mining: bulk masking in DuckDB, Drain3 over distinct masked messages only.

Why this shape: plain Drain3 costs a Python call per line (6-40k lines/s).  Real logs
repeat a few thousand shapes millions of times, so we (1) replace variables by a
placeholder for the whole batch in one vectorised RE2 pass (DuckDB ``regexp_replace``)
and pull the replaced values out in the same pass (``regexp_extract_all``),
(2) deduplicate the masked text with Arrow's hash-based ``dictionary_encode``,
(3) run Drain only once per distinct masked message, and not at all for one that fits a
template it already built (``known_templates``: a compiled ``fullmatch`` instead of
Drain's search, with the answer Drain would give), and (4) map the results back to
every row with ``take``.  Template parameters are rebuilt per row from a small per-
distinct-message "recipe" evaluated in DuckDB, so no Python loop touches every row.

Tokenisation (``mining_tokens``): Drain sees words split on whitespace *and*
punctuation such as ``=``, ``:``, ``,``, quotes, brackets and dot leaders (``uid=0``
gives ``uid`` and ``0``), but the separators of each message are remembered so template
text keeps the original punctuation (``uid=<*>``).  Structured messages (request lines,
JSON and key=value records) are re-tokenised by their shape first (``mining_structured``).

Similarity: Drain's, except that two different *value-looking* tokens (a digit, a
masked value, or empty) in the same slot count as agreeing, so a strict threshold keeps
``startup``/``shutdown`` apart and still gathers messages that differ only in values.
Words that are values (hosts, users, file names) are left to a second pass over the
batch's templates (``mining_merge``): a position that takes many values among templates
agreeing elsewhere is a variable.  Every tunable (``SETTINGS``) is chosen by a
leave-one-system-out search on Loghub-2k (``tests/benchmarks/mining_accuracy.py
--loso``; figures in docs/benchmarks.md).

Ids: a cluster gets ``"T" + 10 hex of sha1(template text at creation)`` once; later
generalisation changes its text (reported in ``changed_templates``), never its id.  A
merge keeps the oldest id; ids returned by earlier calls are never retired by a later
call (the oldest of them takes the new members, the others stay); ``templates_remine``
merges those through an explicit, recorded mapping.
State (Drain prefix tree, clusters, ids, mask set) is saved as plain JSON by our own
serializer, so a reloaded miner routes exactly like the one that was saved.

Empty (and null) messages get the template ``""`` (one shared cluster, no
parameters).  The private-use characters U+E000..U+E003 serve as internal markers; if
they occur in a message they are replaced by U+FFFD before mining.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import os
import pathlib
import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from drain3.drain import Drain, LogCluster

from logpilot_kernel.ingest.known_templates import HOLE, PARAM, KnownTemplates, recipe_of
from logpilot_kernel.ingest.masks import MASKS, Mask, combined_pattern
from logpilot_kernel.ingest.mining_arrow import query as _query
from logpilot_kernel.ingest.mining_arrow import strings as _strings
from logpilot_kernel.ingest.mining_arrow import to_array
from logpilot_kernel.ingest.mining_budget import DEFAULT_BUDGET, CoarseTemplates, MiningBudget
from logpilot_kernel.ingest.mining_merge import Unit, combine, merge_units
from logpilot_kernel.ingest.mining_state import load_state, save_state
from logpilot_kernel.ingest.mining_tokens import split as _split
from logpilot_kernel.ingest.mining_structured import (REQUEST_SHAPE, SHAPE, maybe_structured, request_masks,
                                                      split_request, structure)

__all__ = ["Mask", "MASKS", "MiningBudget", "TemplateMiner", "MineResult", "mine_file"]

_HOLE = HOLE  # private-use char: placeholder for a masked value in masked text
_SEP = "\ue001"  # private-use char: separates parameters inside a recipe
_GROUP = "\ue002"  # private-use char: ends the group key in front of a masked message
_STATE_FORMAT = "logpilot.template_miner"
_STATE_VERSION = 2
# Drain settings, chosen by measurement on Loghub-2k (see tests/benchmarks/mining_accuracy.py).
DRAIN_CONFIG: dict[str, Any] = {"depth": 4, "sim_th": 0.75, "max_children": 100}
#: Every tunable of the miner (the LOSO benchmark searches them): Drain's two, and the
#: merge pass's (``mining_merge``: ``var_min`` distinct values make a position variable,
#: 0 turns the pass off; ``lit_min`` share of a merged template stays literal).
#: Defaults: what the leave-one-system-out search picks on 7 of 8 folds (docs/benchmarks.md).
#: ``kv_share``: share of a message's tokens in key=value pairs that makes it a record
#: templated by its keys (``mining_structured``; above 1 turns it off).  ``glue``: a token
#: made of several masked values and punctuation only (``1##7##5``, ``3/5``) is one value.
#: ``exact_words``: two different words in one slot never match in Drain (only the merge
#: pass's statistics make a word a variable).  ``bind``: a word right after ``=`` is a
#: variable once it takes two values (the merge pass's ``bind``).
SETTINGS: dict[str, Any] = {"sim_th": 0.75, "depth": 4, "var_min": 3, "lit_min": 0.67, "kv_share": 1.0,
                            "glue": False, "exact_words": True, "bind": False}



class _TokenDrain(Drain):
    """Drain fed with ready-made token lists (we tokenise ourselves, keeping separators)."""

    #: words never generalise by similarity (``exact_words`` setting): the merge pass's
    #: statistics decide which words are variables
    exact_words = False
    #: tokens compared by ``fast_match`` since the counter was last reset (the budget's measure)
    compared = 0

    def fast_match(self, cluster_ids, tokens, sim_th: float, include_params: bool):  # noqa: D102
        self.compared += len(cluster_ids) * len(tokens)
        return super().fast_match(cluster_ids, tokens, sim_th, include_params)

    def get_content_as_tokens(self, content: Any) -> list[str]:  # noqa: D102
        return content

    def get_seq_distance(self, seq1, seq2, include_params: bool):
        """Drain's similarity, except two *different values* in one slot count as a match.

        Why: with a strict threshold (which keeps ``startup``/``shutdown`` apart) a
        message whose only differences are values (``host8.net`` vs ``()``, ``tty2``
        vs ``:0``) should still join its cluster; a token is a value if it holds a
        digit, a masked value, or is empty.
        """
        if not seq1:
            return 1.0, 0
        if seq1[0][:1] == SHAPE or (len(seq1) > 1 and seq1[1][:1] == SHAPE):
            return _exact_literals(seq1, seq2)
        sim = params = 0
        exact = self.exact_words
        for a, b in zip(seq1, seq2):
            if a == PARAM:
                params += 1
                if _is_value(b):
                    sim += 1
            elif a == b or (_is_value(a) and _is_value(b)):
                sim += 1
            elif exact and not _is_value(a) and not _is_value(b):
                return 0.0, params  # two different words: two events unless statistics say otherwise
        return sim / len(seq1), params


def _exact_literals(seq1, seq2) -> tuple[float, int]:
    """Structured messages: every literal must agree (a route segment or a key is never
    generalised by similarity; the merge pass does that by statistics)."""
    params = 0
    for a, b in zip(seq1, seq2):
        if a == PARAM:
            params += 1
        elif a != b and not (_is_value(a) and _is_value(b)):
            return 0.0, params
    return 1.0, params


@dataclass
class MineResult:
    """Per-message results (same order as the input) and the template changes of one call."""

    template_id: pa.Array
    template: pa.Array
    params: pa.Array
    new_templates: dict[str, str] = field(default_factory=dict)
    changed_templates: dict[str, str] = field(default_factory=dict)
    #: ids returned by earlier calls that this call merged into another (old -> survivor)
    merged_templates: dict[str, str] = field(default_factory=dict)
    #: per message: grouped by the coarse rule (``mining_budget``); None when no row was
    coarse: pa.Array | None = None
    #: which limit of the budget this call passed (a sentence), or None
    budget_hit: str | None = None
    #: what Drain spent in this call: clusters created, tokens compared
    spent: dict[str, int] = field(default_factory=dict)


_DIGIT = re.compile(r"\d")
_MARKERS = f"[{_HOLE}{_SEP}{_GROUP}{SHAPE}]"
# A token of several masked values glued by punctuation only (``1##7##5``, ``3/5``, ``2-7``).
_GLUED = re.compile(r"(?:<\*>|[^\w<>*])+")


@functools.lru_cache(maxsize=1 << 16)
def _is_value(tok: str) -> bool:
    """A value-looking token: holds a digit or a masked value, or is an empty value."""
    return tok == "" or PARAM in tok or _DIGIT.search(tok) is not None


def _render(template_tokens: Sequence[str], seps: Sequence[str], lead: str) -> str:
    return lead + "".join(t + s for t, s in zip(template_tokens, seps))


class TemplateMiner:
    """One per thread (Drain3 has no locks).  Mines incrementally across calls.

    ``budget`` bounds what one ``mine`` call spends in Drain (``mining_budget``); None
    means no bound (the quadratic worst case on free text).
    """

    def __init__(self, state_path: pathlib.Path | None = None, settings: dict[str, Any] | None = None,
                 budget: MiningBudget | None = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._coarse = CoarseTemplates()
        self.state_path = pathlib.Path(state_path) if state_path is not None else None
        self.masks: tuple[Mask, ...] = MASKS
        unknown = set(settings or {}) - set(SETTINGS)
        if unknown:
            raise ValueError(f"unknown miner settings: {sorted(unknown)}")
        self.settings: dict[str, Any] = {**SETTINGS, **(settings or {})}
        self._drain = _TokenDrain(**self._drain_config())
        self._drain.exact_words = bool(self.settings["exact_words"])
        self._tid: dict[int, str] = {}   # drain cluster id -> stable id
        self._text: dict[str, str] = {}  # stable id -> current template text
        self._units: dict[str, Unit] = {}  # stable id -> template tokens and shape (merge pass)
        self._merged: dict[str, str] = {}  # merged stable id -> survivor, kept for the workspace
        if self.state_path is not None and self.state_path.exists():
            self._load(self.state_path)
        self._pattern = combined_pattern(self.masks)
        self._req_pattern = combined_pattern(request_masks(self.masks))
        self._index = KnownTemplates(1, self._drain.sim_th)  # rebuilt by Drain's own results; never persisted

    def _drain_config(self) -> dict[str, Any]:
        return {**DRAIN_CONFIG, "depth": self.settings["depth"], "sim_th": self.settings["sim_th"]}

    def rename(self, mapping: dict[str, str]) -> None:
        """Give templates other stable ids (``{current: new}``), e.g. the ids a workspace
        already stores for them after a re-mine; ids not in ``mapping`` stay."""
        if set(mapping.values()) & (set(self._text) - set(mapping)):
            raise ValueError("a new id is already taken by another template")
        self._tid = {cid: mapping.get(sid, sid) for cid, sid in self._tid.items()}
        self._text = {mapping.get(sid, sid): t for sid, t in self._text.items()}
        self._units = {mapping.get(sid, sid): u for sid, u in self._units.items()}
        self._merged = {mapping.get(o, o): mapping.get(n, n) for o, n in self._merged.items()}

    def merged(self) -> dict[str, str]:
        """Every stable id a merge retired -> the id that now stands for it."""
        return dict(self._merged)

    # ------------------------------------------------------------------ mining
    def templates(self) -> dict[str, str]:
        """Stable id -> current template text."""
        return dict(self._text)

    def mine(self, messages: "pa.Array | pa.ChunkedArray | Sequence[str]",
             con: "duckdb.DuckDBPyConnection | None" = None,
             groups: "pa.Array | pa.ChunkedArray | Sequence[str] | None" = None,
             coarse: bool = False) -> MineResult:
        """Mine a batch; results are per message, ids stay stable across calls and runs.

        ``groups`` (one key per message, e.g. the severity) keeps messages of different
        groups in different templates: ``payment accepted for order <*>`` (INFO) and
        ``payment declined for order <*>`` (ERROR) differ by one word, which Drain would
        merge, yet an analyst counts them apart. The key leads the token list, so Drain's
        prefix tree routes each group separately; it never appears in the template text.

        ``coarse``: group every message that fits no known template by the coarse rule
        from the start (a caller whose earlier batch of the same source passed the budget).
        """
        arr = to_array(messages, _MARKERS)
        own = con is None
        con = duckdb.connect() if own else con
        name = f"_lp_mine_{id(self):x}_{os.getpid()}"
        cols = {"msg": arr}
        # request lines get their own masks (route and status readable: mining_structured)
        masked_expr = (f"CASE WHEN rq THEN regexp_replace(msg, $pr, '{_HOLE}', 'g') "
                       f"ELSE regexp_replace(msg, $p, '{_HOLE}', 'g') END")
        values_expr = "CASE WHEN rq THEN regexp_extract_all(msg, $pr) ELSE regexp_extract_all(msg, $p) END"
        if groups is not None:
            cols["grp"] = to_array(groups, _MARKERS)
            masked_expr = f"grp || '{_GROUP}' || {masked_expr}"
        try:
            masked_tbl = _query(con, name, cols,
                                f"{masked_expr} AS m, {values_expr} AS v",
                                {"p": self._pattern, "pr": self._req_pattern, "rq": REQUEST_SHAPE},
                                source="(SELECT *, regexp_matches(msg, $rq) AS rq FROM {name})")
            enc = pc.dictionary_encode(masked_tbl.column("m").combine_chunks())
            distinct = enc.dictionary.to_pylist()
            before = dict(self._text)
            touched: set[str] = set()
            merged: dict[str, str] = {}
            spent: dict[str, Any] = {"coarse": coarse}
            per_distinct = self._cluster(distinct, touched, set(before), merged, spent)
            merged.update(self._merge_pass(touched, frozen=set(before)))
            tids, texts, recipes = self._finalise(per_distinct)
            idx = enc.indices
            flags = None
            if len(per_distinct) < len(distinct):  # the budget ran out (or ``coarse``)
                r_ids, r_texts, r_recipes, r_flags = self._past_budget(
                    con, name, enc.dictionary.slice(len(per_distinct)), groups is not None)
                tids = pa.concat_arrays([pa.array(tids, pa.string()), r_ids])
                texts = pa.concat_arrays([pa.array(texts, pa.string()), r_texts])
                recipes = pa.concat_arrays([pa.array(recipes, pa.string()), r_recipes])
                flags = pa.concat_arrays([pa.array([False] * len(per_distinct), pa.bool_()), r_flags]).take(idx)
            result_ids = _strings(tids).take(idx)
            result_text = _strings(texts).take(idx)
            params = self._params(con, name, masked_tbl.column("v"), idx, recipes)
            params = params.cast(pa.list_(pa.string()))  # canonical list<item: string>
        finally:
            if own:
                con.close()
        new = {t: self._text[t] for t in self._text if t not in before}
        changed = {t: s for t, s in self._text.items() if t in before and before[t] != s}
        hit = spent.pop("hit", None)
        spent.pop("coarse", None)
        return MineResult(result_ids, result_text, params, new, changed, merged, flags, hit, spent)

    def _merge_pass(self, touched: set[str], frozen: set[str]) -> dict[str, str]:
        """Merge templates that differ only where values vary (``mining_merge``).

        Templates that earlier calls already returned are ``frozen``: at most one of them
        takes part in a merge, as its survivor (the others stay), so ids the caller stored
        stay valid (a re-mine, ``remine_workspace``, merges those through a mapping).
        """
        if not touched or not self.settings["var_min"]:
            return {}
        mapping = merge_units(self._units, self.settings["var_min"], self.settings["lit_min"],
                              touched=touched, frozen=frozen, bind=self.settings["bind"])
        if not mapping:
            return {}
        for cid, sid in self._tid.items():
            if sid in mapping:
                self._tid[cid] = mapping[sid]
        for old, new in mapping.items():
            self._text.pop(old, None)
            self._merged[old] = new
        for m in list(self._merged):
            while self._merged[m] in self._merged:
                self._merged[m] = self._merged[self._merged[m]]
        for sid in sorted(set(mapping.values())):
            self._text[sid] = self._render_unit(sid)
            self._teach_drain(sid)
        return {old: new for old, new in mapping.items() if old in frozen}

    def _teach_drain(self, sid: str) -> None:
        """Give the survivor's own Drain cluster the merged template, so the next message
        with another value of a merged word matches it (in Drain and on the fast path)
        instead of opening one more cluster per value."""
        u = self._units[sid]
        cl = self._drain.id_to_cluster.get(u.age)
        if cl is None or self._tid.get(cl.cluster_id) != sid or len(cl.log_template_tokens) != len(u.tokens):
            return
        # Drain's tree routes on the first tokens: a word generalised there would not be
        # found by Drain's search (the fast path would, and the two must agree)
        if any(a != b for a, b in zip(cl.log_template_tokens[:self._drain.max_node_depth],
                                      u.tokens[:self._drain.max_node_depth])):
            return
        cl.log_template_tokens = tuple(u.tokens)
        u.tokens = cl.log_template_tokens  # one object again: the fast path compares identity
        if u.fixed == self._index.skip and not (u.tokens[u.fixed - 1:u.fixed] or ("",))[0].startswith(SHAPE):
            key = u.tokens[0][len(_GROUP):] if u.fixed else None
            self._index.learn(key, cl, u.shape[0], u.shape[1])

    def _render_unit(self, sid: str) -> str:
        u = self._units[sid]
        seps, lead = u.shape
        return _render(u.tokens[u.fixed:], seps, lead)

    def _note(self, sid: str, cluster: LogCluster, seps: Sequence[str], lead: str, skip: int,
              created: bool) -> None:
        """Record a cluster's new or changed template under its stable id."""
        tokens = cluster.log_template_tokens
        if created:
            self._units[sid] = Unit(tokens, (tuple(seps), lead), cluster.cluster_id, skip)
            self._text[sid] = _render(tokens[skip:], seps, lead)
            return
        u = self._units.get(sid)
        if u is None or u.tokens is tokens or len(u.tokens) != len(tokens):
            self._text[sid] = _render(tokens[skip:], seps, lead)
            if u is not None:
                u.tokens = tokens
            return
        u.tokens = combine(u.tokens, tokens)
        self._text[sid] = _render(u.tokens[skip:], seps, lead) if u.tokens is tokens else self._render_unit(sid)

    def _cluster(self, distinct: list[str], touched: set[str], frozen: set[str] | None = None,
                 merged: dict[str, str] | None = None,
                 spent: dict[str, Any] | None = None) -> list[tuple[LogCluster, Any, Any]]:
        """Run Drain over each distinct masked message (first-seen order, for determinism).

        A message that fits a known template exactly takes the index's fast path (the
        cluster Drain would pick, without Drain's search); see ``known_templates``.
        Each entry is ``(cluster, raw tokens, None)`` or ``(cluster, None, (slots, entry))``.
        Past the budget (``mining_budget``), or with ``spent["coarse"]``, a message that
        misses the fast path takes a coarse cluster instead of Drain's search.
        """
        out: list[tuple[LogCluster, Any, Any]] = []
        drain, index = self._drain, self._index
        glue = self.settings["glue"]
        spent = spent if spent is not None else {}
        budget = self.budget
        over = "coarse from the start (an earlier batch of this source passed the budget)" \
            if spent.get("coarse") else None
        drain.compared = created = 0
        for masked in distinct:
            key = None
            if _GROUP in masked:
                key, masked = masked.split(_GROUP, 1)
            skip = 0 if key is None else 1
            if index.skip != skip:  # grouped and ungrouped calls route differently
                index = self._index = KnownTemplates(skip, drain.sim_th)
            shaped = maybe_structured(masked)
            hit = None if shaped else index.match(key, masked)  # structured: Drain sees other tokens
            if hit is not None:
                cluster, slots, entry = hit
                cluster.size += 1
                out.append((cluster, None, (slots, entry)))
                continue
            req = split_request(masked) if shaped else None
            raw, seps, lead = req if req is not None else _split(masked)
            toks = [t.replace(_HOLE, PARAM) for t in raw] if _HOLE in masked else raw
            if glue and masked.count(_HOLE) > 1:
                toks = [PARAM if t.count(PARAM) > 1 and _GLUED.fullmatch(t) else t for t in toks]
            fixed = skip
            if shaped:
                found = structure(toks, seps, lead, self.settings["kv_share"], request=req is not None)
                if found is not None:  # the shape token leads (after the group key)
                    raw, toks, fixed = [found[0]] + raw, [found[0]] + found[1], skip + 1
                else:
                    shaped = False
            if key is not None:  # the group key leads; it is a fixed token, never a value
                raw, toks = [_GROUP + key] + raw, [_GROUP + key] + toks
            if over is None and budget is not None:
                over = budget.exceeded(created, drain.compared)
            if over is not None:  # this message and every later one: ``_past_budget``
                break
            cluster, change = drain.add_log_message(toks)
            if change == "cluster_created":
                created += 1
                sid = self._new_id(_render(cluster.log_template_tokens[fixed:], seps, lead))
                self._tid[cluster.cluster_id] = sid
                self._note(sid, cluster, seps, lead, fixed, True)
                touched.add(sid)
                if len(touched) >= max(64, len(self._units) // 8):
                    # merge while the batch runs, so the next values of a merged word find
                    # the merged template instead of each opening a cluster
                    found = self._merge_pass(touched, frozen if frozen is not None else set())
                    if merged is not None:
                        merged.update(found)
                    touched.clear()
            elif change == "cluster_template_changed":
                sid = self._tid[cluster.cluster_id]
                self._note(sid, cluster, seps, lead, fixed, False)
                touched.add(sid)
            if not shaped:
                index.learn(key, cluster, seps, lead)
            out.append((cluster, raw, None))
        spent.update(templates_created=created, tokens_compared=drain.compared, hit=over)
        return out

    def _past_budget(self, con, name: str, rest: pa.Array, grouped: bool):
        """Distinct messages past the budget: the fast path where a known template may fit
        (picked in one vectorised pass), the coarse rule (``mining_budget``) for the others.

        Returns per message: ids, texts, recipes (Arrow) and the coarse flags.
        """
        if grouped:
            parts = pc.split_pattern(rest, _GROUP, max_splits=1)
            keys, bodies = pc.list_element(parts, 0), pc.list_element(parts, 1)
        else:
            keys, bodies = pa.nulls(len(rest), pa.string()), rest
        t = _query(con, name, {"k": keys, "b": bodies}, CoarseTemplates.SELECT, CoarseTemplates.select_params(),
                   source="(SELECT k, b, regexp_extract_all(b, $n) AS runs, regexp_split_to_array(b, $n) AS seps "
                          "FROM {name})")
        names = pc.binary_join_element_wise(pc.fill_null(keys, ""), pc.fill_null(t.column("first"), ""),
                                            pc.cast(t.column("n"), pa.string()), "\x00")
        candidates = pc.fill_null(pc.and_(pc.is_in(names, pa.array(self._index.bucket_names(), pa.string())),
                                          pc.invert(pc.match_substring(bodies, ".."))), False)
        hits, hit_at = [], []
        for i in np.flatnonzero(candidates.to_numpy(zero_copy_only=False)).tolist():
            key, body = keys[i].as_py(), bodies[i].as_py()
            found = None if maybe_structured(body) else self._index.match(key, body)
            if found is not None:
                found[0].size += 1
                hits.append((found[0], None, (found[1], found[2])))
                hit_at.append(i)
        coarse = pc.invert(pc.is_in(pa.array(range(len(rest)), pa.int64()), pa.array(hit_at, pa.int64())))
        cap = self.budget.coarse_max if self.budget is not None else DEFAULT_BUDGET.coarse_max
        c_ids, c_texts, c_recipes, made = self._coarse.assign(t.filter(coarse), cap, self._new_id)
        self._text.update(made)
        h_ids, h_texts, h_recipes = self._finalise(hits)
        order = np.empty(len(rest), np.int64)  # position in [hits..., coarse...] of each message
        order[np.asarray(hit_at, np.int64)] = np.arange(len(hit_at))
        order[coarse.to_numpy(zero_copy_only=False)] = np.arange(len(hit_at), len(rest))
        take = pa.array(order)
        ids = pa.concat_arrays([pa.array(h_ids, pa.string()), c_ids.cast(pa.string())]).take(take)
        texts = pa.concat_arrays([pa.array(h_texts, pa.string()), c_texts.cast(pa.string())]).take(take)
        recipes = pa.concat_arrays([pa.array(h_recipes, pa.string()), c_recipes.cast(pa.string())]).take(take)
        return ids, texts, recipes, coarse

    def _new_id(self, text: str) -> str:
        salt = 0
        while True:
            key = text if salt == 0 else f"{text}\x00{salt}"
            tid = "T" + hashlib.sha1(key.encode("utf-8", "surrogatepass")).hexdigest()[:10]
            if tid not in self._text:
                return tid
            salt += 1

    def _finalise(self, per_distinct: list[tuple[LogCluster, Any, Any]]):
        """Per distinct message: id, final text, and the parameter recipe.

        The recipe (see ``_params``) is ``None`` in the common case where every
        ``<*>`` of the template covers exactly one masked value: the parameters are
        then the masked values as extracted, no per-row work at all.
        """
        tids, texts, recipes = [], [], []
        slots: dict[int, tuple[tuple[str, ...], list[int]]] = {}  # cluster -> (template, <*> positions)
        for cluster, raw, fast in per_distinct:
            tid = self._tid[cluster.cluster_id]
            tids.append(tid)
            texts.append(self._text[tid])
            unit = self._units.get(tid)
            tpl = cluster.log_template_tokens if unit is None or len(unit.tokens) != len(
                cluster.log_template_tokens) else unit.tokens
            if fast is not None:
                values, entry = fast
                if entry.template is tpl:  # not generalised later in this batch
                    recipes.append(recipe_of(values, entry.plan, _SEP))
                    continue
                raw = self._tokens_again(entry, values)
            cached = slots.get(cluster.cluster_id)
            if cached is None or cached[0] is not tpl:
                cached = (tpl, [i for i, t in enumerate(tpl) if t == PARAM])
                slots[cluster.cluster_id] = cached
            if all(raw[i] == _HOLE for i in cached[1]):
                recipes.append(None)
                continue
            items: list[str] = []
            for tok, t in zip(raw, tpl):
                if t == PARAM:
                    items.append(tok)
                elif _HOLE in tok:
                    items.extend(_HOLE * tok.count(_HOLE))
            recipes.append("".join(_SEP + it for it in items))
        return tids, texts, recipes

    @staticmethod
    def _tokens_again(entry: Any, values: tuple[str, ...]) -> list[str]:
        """The raw tokens of a fast-path message, rebuilt from the template it matched
        (literal tokens as they were, slots as captured): needed only when Drain
        generalised that template later in the same batch."""
        it = iter(values)
        return [next(it) if t == PARAM else t.replace(PARAM, _HOLE) for t in entry.template]

    @staticmethod
    def _params(con, name: str, values: pa.ChunkedArray, idx: pa.Array, recipes: list) -> pa.Array:
        """Per-row parameters from per-row masked values and per-distinct recipes, in DuckDB.

        Recipe: one string, each parameter prefixed by ``_SEP``, with ``_HOLE`` where a
        masked value goes; filling the holes in order and splitting on ``_SEP`` gives
        the row's parameters.  ``None`` (common) means "the masked values as they are".
        """
        values = values.combine_chunks()
        recipes = _strings(recipes)
        if recipes.null_count == len(recipes):
            return values
        cols = {"v": values, "r": recipes.take(idx)}
        sql = (f"CASE WHEN r IS NULL THEN v WHEN strpos(r, '{_HOLE}') = 0 THEN string_split(r, '{_SEP}')[2:] "
               "ELSE string_split(array_to_string(list_transform("
               f"string_split(r, '{_HOLE}'), (piece, j) -> piece || coalesce(v[j], '')), ''), '{_SEP}')[2:] "
               "END AS params")
        return _query(con, name, cols, sql).column(0).combine_chunks()

    # ------------------------------------------------------------- persistence
    def save(self, path: pathlib.Path | None = None) -> None:
        """Write the state as plain JSON, atomically (``mining_state``)."""
        path = pathlib.Path(path) if path is not None else self.state_path
        if path is None:
            raise ValueError("no state path given")
        save_state(self, path)

    def _load(self, path: pathlib.Path) -> None:
        load_state(self, path)


def mine_file(input_path: str | os.PathLike, output_csv: str | os.PathLike) -> int:
    """Mine a one-message-per-line file with a fresh miner; write ``LineId,EventTemplate``.

    Uses exactly ``TemplateMiner.mine`` (the ingestion code path); returns the line count.
    """
    # Split on "\n" only: a stray "\r" or U+2028 inside a message must not shift LineIds.
    with open(input_path, "rb") as f:
        lines = f.read().decode("utf-8", errors="replace").split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    lines = [line[:-1] if line.endswith("\r") else line for line in lines]
    result = TemplateMiner().mine(pa.array(lines, pa.large_string()))
    with open(output_csv, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f)
        w.writerow(["LineId", "EventTemplate"])
        w.writerows(zip(range(1, len(lines) + 1), result.template.to_pylist()))
    return len(lines)
