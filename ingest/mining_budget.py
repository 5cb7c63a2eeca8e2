"""The miner's budget per batch, and the cheap linear grouping used past it.

Why: Drain compares a new message with every cluster of its prefix-tree leaf.  Real logs
repeat a few thousand shapes, so leaves stay small; free text (chat messages, user
agents, six random words) makes one cluster per line, every line lands in the same
``<*>`` leaf once the tree's fan-out is used up, and the cost grows with the square of
the lines (measured: 46 s for 5,000 such lines, one template each).  So each ``mine``
call counts what Drain spends, clusters created and tokens compared, and past either
limit (``MiningBudget``) a message that fits no known template is grouped by a rule that
costs one dictionary lookup (``CoarseTemplates``): its group key, its separators and its
first word, capped per group so the number of templates stays bounded too.  Rows so
grouped carry ``context.template_quality = "coarse"``.

The limits were chosen by measurement (``tests/benchmarks/mining_budget.py``; figures in
docs/benchmarks.md).  Normal logs spend little, because the known-template fast path
answers most messages: Loghub-2k spends at most 122 clusters and 1,033 tokens compared
per system (2,000 lines), a synthetic 200k-line batch of mixed systems 20 clusters and
23,000 tokens.  Free text spends about 1.3 us per token compared and 0.6 ms per cluster
made, so 1,000 clusters and 500,000 tokens (about a second) bound a batch; the budget
trips within the first thousand lines of such a file, and the rest of the file is
grouped coarsely from the start of its next batch (``bulk``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import pyarrow as pa
import pyarrow.compute as pc

from logpilot_kernel.ingest.known_templates import PARAM, SEP_CHARS
from logpilot_kernel.ingest.mining_arrow import first_positions

_SEP_MARK = "\ue001"  # the miner's recipe separator (``mining._SEP``)
_ALL = "\ue003"  # key of a group's catch-all template (a private marker never in masked text)

__all__ = ["MiningBudget", "DEFAULT_BUDGET", "CoarseTemplates"]


@dataclass(frozen=True)
class MiningBudget:
    """What one ``mine`` call may spend in Drain before new shapes are grouped coarsely.

    ``templates``: clusters Drain creates; ``comparisons``: tokens Drain compares (leaf
    size times message length, summed over the call); ``coarse_max``: coarse templates
    per group key that keep their first word (as many again without it, then one
    catch-all ``<*>`` per group).
    """

    templates: int = 1_000
    comparisons: int = 500_000
    coarse_max: int = 100

    def exceeded(self, created: int, compared: int) -> str | None:
        """Which limit ``created``/``compared`` passed (for the report), or None."""
        if created >= self.templates:
            return f"{self.templates:,} new templates in one batch"
        if compared >= self.comparisons:
            return f"{self.comparisons:,} tokens compared in one batch"
        return None


#: The default: above anything Loghub-2k or the demo estate spends (see the docstring).
DEFAULT_BUDGET = MiningBudget()


class CoarseTemplates:
    """Coarse templates keyed by (group, text): assigned to a whole batch at once.

    The rule is one vectorised pass over the batch's distinct masked messages (Arrow's RE2
    kernels) and a Python loop over the distinct *keys* only: every run of non-separator
    characters becomes ``<*>``, the separators stay, and a plain first word (no digit, no
    masked value) stays literal while its group has fewer than ``cap`` coarse templates.
    Past ``cap`` the first word is ``<*>`` too; past twice ``cap`` the whole message is one
    ``<*>``, so a group never holds more than ``2 * cap + 1`` coarse templates.  Coarse
    templates never change once made, so ids and texts are stable like Drain's.
    """

    def __init__(self) -> None:
        self.by_key: dict[str, str] = {}      # group + NUL + template text -> stable id
        self.per_group: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.by_key)

    #: DuckDB select over ``(k, b)`` (group key, masked body): what ``assign`` needs.  Runs
    #: (``$n``: non-separator characters) and the separators between them come from
    #: ``regexp_extract_all``/``regexp_split_to_array``, which cost a tenth of a global
    #: ``regexp_replace``: the template is the separators joined by ``<*>``.
    SELECT = ("k, b, runs, len(runs) AS n, runs[1] AS first, "
              "coalesce(runs[1], '') <> '' AND NOT regexp_matches(coalesce(runs[1], ''), '[0-9\ue000]') AS literal, "
              "array_to_string(seps, $param) AS text2, "
              "seps[1] || coalesce(runs[1], '') || array_to_string(seps[2:], $param) AS text1, "
              "CASE WHEN len(runs) = 0 THEN NULL ELSE $mark || array_to_string(runs, $mark) END AS recipe2, "
              "CASE WHEN len(runs) < 2 THEN '' ELSE $mark || array_to_string(runs[2:], $mark) END AS recipe1, "
              "$mark || b AS recipe3")

    @staticmethod
    def select_params() -> dict[str, str]:
        return {"n": f"[^{SEP_CHARS}]+", "param": PARAM, "mark": _SEP_MARK}

    def assign(self, t: pa.Table, cap: int,
               new_id: Callable[[str], str]) -> tuple[pa.Array, pa.Array, pa.Array, dict[str, str]]:
        """Per message of ``t`` (columns of ``SELECT``): stable id, template text and
        parameter recipe (see ``TemplateMiner._params``), and the templates made now."""
        literal = pc.fill_null(t.column("literal").combine_chunks(), False)
        text2 = t.column("text2").combine_chunks()
        text1 = pc.if_else(literal, t.column("text1").combine_chunks(), text2)
        groups = pc.fill_null(t.column("k").combine_chunks(), "")
        enc = pc.dictionary_encode(pc.binary_join_element_wise(groups, text1, "\x00"))
        uniq = enc.dictionary.to_pylist()
        seconds = pc.take(text2, first_positions(enc.indices, len(uniq))).to_pylist()
        tier: list[int] = []
        ids: list[str] = []
        made: dict[str, str] = {}
        for key, t2 in zip(uniq, seconds):
            group, t1 = key.split("\x00", 1)
            level, sid = 0, None
            for level, (k, text) in enumerate(((key, t1), (f"{group}\x00{t2}", t2), (f"{group}\x00{_ALL}", PARAM))):
                sid = self.by_key.get(k)
                if sid is None and (level == 2 or self.per_group.get(group, 0) < cap * (level + 1)):
                    sid = self.by_key[k] = new_id(text)
                    self.per_group[group] = self.per_group.get(group, 0) + 1
                    made[sid] = text
                if sid is not None:
                    break
            tier.append(level)
            ids.append(sid)
        idx = enc.indices
        tiers = pa.array(tier, pa.int8()).take(idx)
        tids = pa.array(ids, pa.string()).take(idx)
        texts = pc.choose(tiers, text1, text2, pa.array([PARAM] * len(t), pa.string()))
        recipe2 = t.column("recipe2").combine_chunks()
        recipe1 = pc.if_else(literal, t.column("recipe1").combine_chunks(), recipe2)
        recipes = pc.choose(tiers, recipe1, recipe2, t.column("recipe3").combine_chunks())
        return tids, texts, recipes, made

    # ------------------------------------------------------------- persistence
    def dump(self) -> list[list[str]]:
        return [[k, sid] for k, sid in self.by_key.items()]

    @classmethod
    def load(cls, items: list[list[str]]) -> "CoarseTemplates":
        out = cls()
        for key, sid in items:
            out.by_key[str(key)] = str(sid)
            group = str(key).split("\x00", 1)[0]
            out.per_group[group] = out.per_group.get(group, 0) + 1
        return out

    def text_of(self, key: str) -> str:
        text = key.split("\x00", 1)[1]
        return PARAM if text == _ALL else text
