"""Follow causality: trace-id correlation across services and an explained ranking.

Why these signals: a root cause is (1) a significant change, (2) among the first changes to
appear in the window, and (3) upstream - when a request fails, the row that explains it
is logged by another service *earlier in the same trace* (checkout's "payment returned
503" follows payment's "pool exhausted"). Each signal is a number in [0, 1]; the score is
their weighted sum, and every candidate carries its components so the ranking can be read
and argued with. Weights are fixed constants here, not fitted to any data set.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from ..sqltext import placeholders
from .contrast import TemplateChange

WEIGHTS = {"significance": 0.30, "onset": 0.25, "upstream": 0.20, "change": 0.15,
           "severity": 0.10}
#: Onset decays with the delay after the first change over this scale (seconds): a share
#: of the window, at least the minimum.
ONSET_SCALE_MIN_S = 10.0
ONSET_SCALE_SHARE = 0.01
SEVERITY_WEIGHT = {"FATAL": 1.0, "ERROR": 1.0, "WARN": 0.7, "INFO": 0.3, "DEBUG": 0.1,
                   "TRACE": 0.05}


@dataclass
class Candidate:
    """A ranked root-cause candidate: the change, its score and why."""

    change: TemplateChange
    score: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    traces: int = 0
    shared_traces: int = 0
    first_in_shared: int = 0
    downstream_services: list[str] = field(default_factory=list)
    evidence_id: str = ""
    in_entity_traces: bool = False

    def explanation(self) -> str:
        c = self.components
        parts = [f"{k} {c[k]:.2f} x {WEIGHTS[k]:.2f}" for k in WEIGHTS if k in c]
        return " + ".join(parts) + f" = {self.score:.3f}"

    def to_dict(self) -> dict[str, Any]:
        d = self.change.to_dict()
        d.update({"score": round(self.score, 3),
                  "score_components": {k: round(v, 3) for k, v in self.components.items()},
                  "score_explained": self.explanation(), "traces": self.traces,
                  "shared_traces": self.shared_traces,
                  "first_in_shared_traces": self.first_in_shared,
                  "downstream_services": self.downstream_services,
                  "on_entity_traces": self.in_entity_traces,
                  "evidence_id": self.evidence_id})
        return d


def _mid(t: dt.datetime) -> dt.datetime:
    """A whole-second stamp stands for the middle of its second: access logs truncate, so a
    500 stamped 13:40:43 did not happen before the exception logged at 13:40:43.486."""
    return t + dt.timedelta(milliseconds=500) if t.microsecond == 0 else t


def candidates_from(changes: list[TemplateChange], max_p: float = 1e-3, min_count: int = 2,
                    min_ratio: float = 1.5, limit: int = 40) -> list[TemplateChange]:
    """Templates whose rate went up significantly in the window (the root-cause pool)."""
    pool = [c for c in changes if c.during >= min_count and c.p_value <= max_p
            and c.ratio >= min_ratio]
    pool.sort(key=lambda c: -c.g)
    return pool[:limit]


def trace_links(cur: Any, lo: dt.datetime, hi: dt.datetime,
                template_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Per template: traces holding it, traces it shares with *another service's*
    candidate rows, how often it comes first there, and which services follow it.

    One DuckDB query over the window's traced rows of the candidate templates.
    """
    if not template_ids:
        return {}
    ids = placeholders(len(template_ids))  # bound: template ids are data
    rows = cur.execute(
        f"""
        WITH r AS (
            SELECT trace_id, template_id, any_value(service_name) AS svc, min(timestamp) AS t
            FROM logs WHERE timestamp >= ? AND timestamp < ? AND trace_id IS NOT NULL
              AND trace_id <> '' AND template_id IN ({ids})
            GROUP BY 1, 2
        ), f AS (
            SELECT trace_id, count(DISTINCT svc) AS nsvc, min(t) AS t0 FROM r GROUP BY 1
        )
        SELECT r.template_id, count(DISTINCT r.trace_id),
               count(DISTINCT r.trace_id) FILTER (WHERE f.nsvc > 1),
               count(DISTINCT r.trace_id) FILTER (WHERE f.nsvc > 1 AND r.t = f.t0),
               list(DISTINCT o.svc) FILTER (WHERE o.svc <> r.svc AND o.t >= r.t)
        FROM r JOIN f USING (trace_id) JOIN r o ON o.trace_id = r.trace_id
        GROUP BY 1
        """, [lo, hi, *template_ids]).fetchall()
    out: dict[str, dict[str, Any]] = {}
    for tid, traces, shared, first, after in rows:
        out[tid] = {"traces": traces, "shared": shared, "first": first,
                    "after": sorted(x for x in (after or []) if x)}
    return out


def rank(pool: list[TemplateChange], links: dict[str, dict[str, Any]], lo: dt.datetime,
         hi: dt.datetime, entity_templates: set[str] | None = None) -> list[Candidate]:
    """Score every candidate; highest first. Ties break on earlier onset, then on G."""
    if not pool:
        return []
    gmax = max(c.g for c in pool) or 1.0
    onset0 = min((_mid(c.first_in_window) for c in pool if c.first_in_window), default=lo)
    scale = max(ONSET_SCALE_MIN_S, ONSET_SCALE_SHARE * (hi - lo).total_seconds())
    out = []
    for c in pool:
        link = links.get(c.template_id, {})
        shared, first = int(link.get("shared", 0)), int(link.get("first", 0))
        comp = {"significance": math.log1p(c.g) / math.log1p(gmax)}
        delay = (_mid(c.first_in_window or hi) - onset0).total_seconds()
        comp["onset"] = math.exp(-max(0.0, delay) / scale)
        comp["upstream"] = (first / shared) if shared >= 3 else 0.5
        comp["change"] = 1.0 if c.new or c.rate_before == 0 else min(1.0, math.log10(max(c.ratio, 1.0)) / 2)
        comp["severity"] = SEVERITY_WEIGHT.get(c.severity, 0.3)
        score = sum(WEIGHTS[k] * v for k, v in comp.items())
        cand = Candidate(c, score, comp, int(link.get("traces", 0)), shared, first,
                         list(link.get("after", [])))
        if entity_templates is not None and c.template_id in entity_templates:
            # shown, not scored: the entity's failure is often explained by a row that
            # carries no trace id (a firewall, a disk), so its traces must not outrank it
            cand.in_entity_traces = True
        out.append(cand)
    out.sort(key=lambda k: (-round(k.score, 6), k.change.first_in_window or hi, -k.change.g))
    return out
