"""Seeded renames of the demo estate, so a benchmark can ask the same questions of an estate
whose words nobody tuned a parser to.

A renamed estate is the plain estate of the same seed with every service name, context key
and distinctive message word or value replaced, token by token, at write time: counts,
times and incidents cannot differ, because nothing upstream of the bytes changes. A token
is a maximal run of letters and digits (so ``order_id``, ``inventory_timeout`` and
``payments-db`` are renamed part by part, consistently with the words they contain).

The alternatives are a data table. Terms of one ``group`` share the choice (BLOCK and ALLOW
become DROP and ACCEPT together, order and orders purchase and purchases), so the renamed
estate stays self-consistent English. No alternative equals, or contains as a token, any
term or another term's alternative (a test checks the table), so a single left-to-right
pass is unambiguous and no original name survives.
"""

from __future__ import annotations

import random
import re
from typing import Any

# category, term, alternatives, group (terms of a group take the same alternative index)
TABLE: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    # services (and the file names derived from them)
    ("svc", "gateway", ("edge", "ingress", "frontdoor"), "gateway"),
    ("svc", "checkout", ("storefront", "webshop", "basket"), "checkout"),
    ("svc", "payment", ("billing", "ledger", "tender"), "payment"),
    ("word", "payments", ("billings", "ledgers", "tenders"), "payment"),
    ("svc", "inventory", ("warehouse", "depot", "fulfilment"), "inventory"),
    ("svc", "postgres", ("maindb", "sqlstore", "dbcore"), "postgres"),
    ("word", "postgresql", ("maindbserver", "sqlstoreserver", "dbcoreserver"), "postgres"),
    ("svc", "firewall", ("packetfilter", "netguard", "perimeter"), "firewall"),
    ("svc", "sshd", ("shellgate", "secshd", "loginsvc"), "sshd"),
    ("svc", "catalog", ("listing", "merch", "assortment"), "catalog"),
    # context keys
    ("key", "order_id", ("purchase_ref", "txn_ref", "sale_no"), "order_id"),
    ("key", "user_id", ("customer_id", "account_id", "member_id"), "user_id"),
    ("key", "sku", ("article_no", "item_code", "part_no"), "sku"),
    ("key", "amount", ("grand_total", "charged", "price_sum"), "amount"),
    ("key", "duration_ms", ("latency_ms", "elapsed_ms", "response_ms"), "duration_ms"),
    ("key", "provider", ("acquirer", "processor", "psp"), "provider"),
    ("key", "reason", ("fault_code", "failure_code", "error_cause"), "reason"),
    ("key", "upstream", ("dependency", "backend", "callee"), "upstream"),
    ("key", "items", ("line_count", "units", "pieces"), "items"),
    ("key", "qty", ("quantity", "pcs", "nitems"), "qty"),
    ("key", "waited_ms", ("wait_ms", "queued_ms", "pending_ms"), "waited_ms"),
    ("key", "timeout_ms", ("deadline_ms", "limit_ms", "cutoff_ms"), "timeout_ms"),
    ("key", "available", ("on_hand", "leftover", "spare"), "available"),
    ("key", "score", ("rating", "grade", "points"), "score"),
    # values
    ("val", "BLOCK", ("DROP", "DENY", "REJECT"), "fw_action"),
    ("val", "ALLOW", ("ACCEPT", "PERMIT", "PASS"), "fw_action"),
    ("val", "paybridge", ("paynova", "cardhub", "payvault"), "paybridge"),
    ("val", "cardstream", ("swiftpay", "clearcard", "moneta"), "cardstream"),
    # message words
    ("word", "order", ("purchase", "booking", "deal"), "order"),
    ("word", "orders", ("purchases", "bookings", "deals"), "order"),
    ("word", "placed", ("confirmed", "settled", "finalised"), "placed"),
    ("word", "exhausted", ("depleted", "saturated", "drained"), "exhausted"),
    ("word", "stock", ("supply", "holdings", "goods"), "stock"),
    ("word", "fraud", ("risk", "abuse", "trust"), "fraud"),
)

#: Ground-truth keys that are part of its schema, not data: never renamed, although they
#: contain a renamable token (``http_checkout_status_by_day``).
SCHEMA_KEYS = frozenset({
    "http_checkout_status_by_day", "firewall_blocks_by_src_ip", "firewall_blocks_by_dpt",
    "firewall_actions_by_day", "orders", "failed_orders", "renames", "rename_seed",
})
#: Ground-truth keys whose values are identifiers of LogPilot formats, not estate words.
#: (``kind`` stays too, so an incident is found by the same kind in every estate).
VERBATIM_VALUES = frozenset({"format", "kind"})

_PLACEHOLDER = re.compile(r"\{(svc|key|val|word|text):([^{}]+)\}")


def choose(seed: int) -> dict[str, str]:
    """The rename mapping of ``seed``: one alternative per group, the same for every run."""
    rng = random.Random(f"logpilot-demo-renames-{seed}")
    sizes: dict[str, int] = {}
    for _cat, _term, alts, group in TABLE:
        sizes.setdefault(group, len(alts))
    pick = {g: rng.randrange(n) for g, n in sorted(sizes.items())}
    return {term: alts[pick[group]] for _cat, term, alts, group in TABLE}


def categories() -> dict[str, str]:
    """term -> category (svc, key, val, word), for renderers and tests."""
    return {term: cat for cat, term, _alts, _group in TABLE}


class Renamer:
    """Applies one mapping to text, paths and ground-truth structures."""

    def __init__(self, mapping: dict[str, str]) -> None:
        self.mapping = dict(mapping)
        # Capitalised forms follow ("Firewall rule blocks ..." in an incident title); the
        # all-capitals forms do not, they are other words ("ORDER BY").
        self._all = dict(self.mapping)
        for term, alt in self.mapping.items():
            if term.islower():
                self._all.setdefault(term.capitalize(), alt.capitalize())
        terms = sorted(self._all, key=lambda t: (-len(t), t))
        self._rx = re.compile(r"(?<![A-Za-z0-9])(?:" + "|".join(re.escape(t) for t in terms)
                              + r")(?![A-Za-z0-9])") if terms else None

    def sub(self, text: str) -> str:
        """``text`` with every term replaced where it stands as a whole token."""
        if self._rx is None:
            return text
        m = self._all
        return self._rx.sub(lambda x: m[x.group(0)], text)

    def truth(self, obj: Any, key: str | None = None) -> Any:
        """A ground-truth value renamed recursively: strings, and dict keys that are data."""
        if isinstance(obj, str):
            return obj if key in VERBATIM_VALUES else self.sub(obj)
        if isinstance(obj, dict):
            return {(k if k in SCHEMA_KEYS else self.sub(k)): self.truth(v, k)
                    for k, v in obj.items()}
        if isinstance(obj, list):
            return [self.truth(v, key) for v in obj]
        return obj


def has_placeholders(text: str) -> bool:
    """Whether a question marks its renamable words (``{svc:...}``); the blind sets do not,
    and are re-rendered word by word instead (question_accuracy)."""
    return _PLACEHOLDER.search(text) is not None


def render_question(text: str, renames: dict[str, str] | None = None) -> str:
    """Fill ``{svc:checkout}``-style placeholders with the estate's names.

    A placeholder is renamed token by token like the estate itself, so compound values
    (``{val:inventory_timeout}``, ``{svc:/api/checkout}``) follow their parts. With no
    renames (the plain estate) a placeholder becomes its own text, so one question file
    serves the plain and every renamed estate.
    """
    renamer = Renamer(renames or {})
    return _PLACEHOLDER.sub(lambda m: renamer.sub(m.group(2)), text)


def render_answer(answer: Any, renames: dict[str, str] | None = None) -> Any:
    """The expected answer of a question with its placeholders filled (strings anywhere)."""
    if isinstance(answer, str):
        return render_question(answer, renames)
    if isinstance(answer, dict):
        return {k: render_answer(v, renames) for k, v in answer.items()}
    if isinstance(answer, list):
        return [render_answer(v, renames) for v in answer]
    return answer
