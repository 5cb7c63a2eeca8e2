"""Failure-aware ranking of a semantic template search ("checkout failing").

Why: an embedding puts "checkout started" closer to "checkout failing" than "order
failed", because the subject word dominates a short text. An analyst who types a failure
word wants the failures of that subject first. Which words mean failure comes from the
synonym table (``synonyms.json``: the severity words that map to ERROR/FATAL and the
synonym group they belong to), so no product vocabulary lives in code; a template carries
failure semantics when its own text has such a word or most of its rows are ERROR/FATAL.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any, Iterable

from .nl_link import stem, table

#: How much closer (in embedding distance) a failure template counts for a failure
#: query: enough to pass a same-subject non-failure template (typically 0.1-0.2 apart),
#: not enough to lift an unrelated failure above the subject's own templates.
FAILURE_BONUS = 0.2
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]+")


@lru_cache(maxsize=1)
def failure_stems() -> frozenset[str]:
    """Stems of the words the synonym table reads as ERROR/FATAL, with their groups."""
    t = table()
    words = {w for w, levels in t.get("severity", {}).items()
             if levels and set(levels) <= {"ERROR", "FATAL"}}
    for group in t.get("groups", []):
        if words & set(group):
            words |= set(group)
    return frozenset(stem(w) for w in words)


def has_failure_word(text: str) -> bool:
    """True when ``text`` holds a word the synonym table reads as a failure."""
    stems = failure_stems()
    return any(stem(w) in stems for w in _WORD.findall(text or ""))


def rerank(query: str, hits: list[dict[str, Any]], error_share: dict[str, float],
           n: int) -> list[dict[str, Any]]:
    """``hits`` (nearest first, with ``distance``) re-ordered for a failure query.

    A query without a failure word keeps the embedding's order. ``error_share``:
    template_id -> share of its rows that are ERROR/FATAL. Each hit gains ``failure``.
    """
    wants = has_failure_word(query)
    out = []
    for h in hits:
        failing = has_failure_word(h.get("template", "")) or error_share.get(h["template_id"], 0.0) > 0.5
        out.append(dict(h, failure=bool(failing)))
    if wants:
        out.sort(key=lambda h: h["distance"] - (FAILURE_BONUS if h["failure"] else 0.0))
    return out[:n]


def error_shares(cur: Any, ids: Iterable[str]) -> dict[str, float]:
    """template_id -> share of ERROR/FATAL rows (the ``template_stats`` view)."""
    ids = list(ids)
    if not ids:
        return {}
    marks = ", ".join("?" for _ in ids)
    rows = cur.execute(f"SELECT template_id, error_records / greatest(records, 1) FROM template_stats "
                       f"WHERE template_id IN ({marks})", ids).fetchall()
    return {tid: float(share or 0.0) for tid, share in rows}
