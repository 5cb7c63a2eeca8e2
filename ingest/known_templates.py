"""Known templates as regular expressions: the miner's fast path for a message Drain would
file under an existing template without changing it.

Why: mining runs Drain once per *distinct masked* message, about 20 us each in Python.
Values the masks do not know (``pay_a6a36513270e``, ``ch_3MmlLr...``, pod names) make
almost every message distinct, so a stream of such logs paid Drain for nearly every
line even though it kept landing in the same few templates. Once Drain has built a
template, a message that fits it exactly needs no similarity search: one compiled
``fullmatch`` (about 1-2 us) names the cluster and captures the values.

What "fits exactly" means is chosen so the answer is the one Drain itself would give
(measured: identical templates, ids and parameters with and without this index on
all of Loghub-2k and on the test corpora):

* same group key and same first token, which is all Drain's prefix tree routes on
  besides the token count (``depth`` 4 leaves two prefix levels: the group token or,
  without groups, the first word); templates whose first token is ``<*>`` are not
  indexed; the count of non-empty tokens narrows the candidates further;
* every literal token and every separator run equal, every ``<*>`` slot one
  non-empty token, and Drain's similarity (a word in a slot scores nothing, a value
  does) at least its threshold. Every literal agrees, so the template does not change,
  and another cluster of the leaf could only win where its own literals are values
  the message's differ from (Drain scores value-against-value as a match); a test
  compares both paths on corpora built to provoke such cases. Among several matching templates
  the higher similarity, then more ``<*>``, then the older cluster wins, as in
  Drain's ``fast_match``;
* a literal that is itself a value (``pay_5e1``) takes any value in the regex, and a
  match where it differs is declined: Drain scores value against value as agreeing and
  would generalise that template, so the message goes to Drain (since the merge pass
  teaches merged templates to Drain, such look-alike templates share buckets often);
* messages with a dot leader (``..``, itself a separator) are not tried.

Anything else (too many words in slots, an empty value, an unseen shape) goes to
Drain as before, and what Drain creates or changes is indexed again right away.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Sequence

#: Drain's wildcard token and our private marker for a masked value (see ``mining``).
PARAM = "<*>"
HOLE = "\ue000"
#: Templates longer than this many tokens are left to Drain: a regex per such template
#: costs more to compile than Drain's search of the few messages that long.
MAX_TOKENS = 256

#: The characters that separate Drain's tokens (with dot leaders, ``..``): ``mining``'s
#: tokeniser is built from this same class, so the two cannot drift apart.
SEP_CHARS = r"\s=:,;()\[\]{}<>\"'|"
_FIRST = re.compile(rf"[{SEP_CHARS}]*([^{SEP_CHARS}]+)")
_TOKEN = re.compile(rf"[^{SEP_CHARS}]+")
# One token in a <*> slot (empty values are left to Drain: their tokenisation differs),
# captured by the first group if it is what Drain's similarity counts as a value (a digit
# or a masked value, ``mining._is_value``), else by the second: a word scores nothing.
_SLOT = rf"(?:([^{SEP_CHARS}]*[\d{HOLE}][^{SEP_CHARS}]*)|([^{SEP_CHARS}]+))"
# A literal that is itself a value (``pay_5e1``, ``blk_<*>``): Drain scores any value there
# as a match and would then generalise the literal, so the regex takes any value and
# ``match`` declines unless it is the literal itself (Drain must make that change).
_VALUE_LIT = rf"([^{SEP_CHARS}]*[\d{HOLE}][^{SEP_CHARS}]*)"
_IS_VALUE = re.compile(rf"[\d{HOLE}]")


@dataclass
class _Entry:
    cluster: Any                  # drain3 LogCluster
    template: tuple[str, ...]     # the template tokens the regex was built from (identity)
    regex: re.Pattern[str]
    params: int                   # number of <*> slots (Drain's tie-break)
    size: int                     # number of tokens Drain compares (group token included)
    plan: tuple[int, ...]         # per parameter in order: 0 = the next slot's capture, 1 = a masked value
    layout: tuple[int, ...] = ()  # per group run: 0 = a <*> slot (two groups), 1 = a value literal (one)
    expect: tuple[str, ...] = ()  # the value literals, in order


class KnownTemplates:
    """Cluster templates indexed by (group key, first token, number of non-empty tokens).

    Why the count: messages that start with a masked value (an access log's client
    address) share their first token, and one bucket per first token would hold
    thousands of templates, each tried in turn; Drain's own tree routes on the count.
    """

    def __init__(self, skip: int, sim_th: float) -> None:
        self.sim_th = sim_th
        self.skip = skip  # leading group token in the cluster's tokens (1 with groups, else 0)
        self._buckets: dict[tuple[str | None, str, int], dict[int, _Entry]] = {}
        self._where: dict[int, tuple[str | None, str, int]] = {}

    def learn(self, key: str | None, cluster: Any, seps: Sequence[str], lead: str) -> None:
        """(Re)index ``cluster`` after Drain filed a message with these separators under it."""
        cid = cluster.cluster_id
        tpl = cluster.log_template_tokens
        old = self._where.get(cid)
        if old is not None:
            entry = self._buckets[old].get(cid)
            if entry is not None and entry.template is tpl:
                return
            self._buckets[old].pop(cid, None)
            del self._where[cid]
        toks = tpl[self.skip:]
        if not toks or toks[0] in (PARAM, "") or len(toks) != len(seps) or len(toks) > MAX_TOKENS:
            return
        first = toks[0].replace(PARAM, HOLE)
        m = _FIRST.fullmatch(lead + first)
        if m is None or m.group(1) != first:  # the first token must read back as itself
            return
        parts, plan, layout, expect = [re.escape(lead)], [], [], []
        for tok, sep in zip(toks, seps):
            if tok == PARAM:
                parts.append(_SLOT)
                plan.append(0)
                layout.append(0)
            else:
                lit = tok.replace(PARAM, HOLE)
                if _IS_VALUE.search(lit):
                    parts.append(_VALUE_LIT)
                    layout.append(1)
                    expect.append(lit)
                else:
                    parts.append(re.escape(lit))
                plan.extend([1] * lit.count(HOLE))
            parts.append(re.escape(sep))
        bucket = (key, first, sum(1 for t in toks if t != ""))  # a slot is never empty
        self._buckets.setdefault(bucket, {})[cid] = _Entry(
            cluster, tpl, re.compile("".join(parts), re.DOTALL), toks.count(PARAM), len(tpl), tuple(plan),
            tuple(layout) if expect else (), tuple(expect))
        self._where[cid] = bucket

    def match(self, key: str | None, body: str) -> tuple[Any, tuple[str, ...], _Entry] | None:
        """The cluster Drain would choose for ``body`` without changing it, or None."""
        if ".." in body:
            return None
        m = _FIRST.match(body)
        if m is None:
            return None
        bucket = self._buckets.get((key, m.group(1), len(_TOKEN.findall(body))))
        if not bucket:
            return None
        best, best_key, best_changes = None, None, False
        for entry in bucket.values():
            found = entry.regex.fullmatch(body)
            if found is None:
                continue
            groups = found.groups()
            changes = False
            if entry.expect:
                groups, changes = _split_groups(groups, entry.layout, entry.expect)
            slots = groups[0::2]
            words = slots.count(None)
            if words:
                slots = tuple(v if v is not None else w for v, w in zip(slots, groups[1::2]))
            sim = (entry.size - words) / entry.size
            if sim < self.sim_th:
                continue
            rank = (sim, entry.params, -entry.cluster.cluster_id)
            if best_key is None or rank > best_key:
                best, best_key, best_changes = (entry.cluster, slots, entry), rank, changes
        return None if best_changes else best  # Drain would generalise that template: its call


    def bucket_names(self) -> list[str]:
        """``key NUL first token NUL token count`` of every non-empty bucket: a batch past
        the miner's budget calls ``match`` only for messages named here (one vectorised
        ``is_in`` instead of a Python call per message)."""
        return [f"{k or ''}\x00{f}\x00{n}" for (k, f, n), b in self._buckets.items() if b]


def _split_groups(groups: tuple, layout: tuple[int, ...], expect: tuple[str, ...]) -> tuple[tuple, bool]:
    """The slot groups of a match whose template has value literals, and whether one of
    those literals differs from the message (Drain would then change the template)."""
    out: list = []
    i = k = 0
    changes = False
    for kind in layout:
        if kind == 0:
            out.extend(groups[i:i + 2])
            i += 2
        else:
            changes = changes or groups[i] != expect[k]
            i += 1
            k += 1
    return tuple(out), changes


def recipe_of(slots: tuple[str, ...], plan: tuple[int, ...], sep: str) -> str | None:
    """The parameter recipe (see ``TemplateMiner._params``) of a matched message.

    ``None`` when every slot holds exactly one masked value: the row's parameters are
    then its masked values as extracted.
    """
    if slots.count(HOLE) == len(slots):
        return None
    items, it = [], iter(slots)
    for step in plan:
        if step == 0:
            items.append(next(it))
        else:
            items.append(HOLE)
    return "".join(sep + x for x in items)


__all__ = ["KnownTemplates", "recipe_of"]
