"""Follow causality: trace-id correlation across services and an explained ranking.

Why these signals: a root cause is (1) a significant change, (2) among the first changes to
appear in the window, and (3) upstream - when a request fails, the row that explains it
is logged by another service *earlier in the same trace* (checkout's "payment returned
503" follows payment's "pool exhausted"), and (4) novel - a warning never seen before in
the workspace, in another service than the symptom's, that leads the window ("alarm set"
one line a minute before the publish failures) is evidence even as a single row, which
no count test can find significant. "First" is when a template's change began, not its
first row: a background template has ordinary rows in any lead. Each signal is a number
in [0, 1]; the score is their weighted sum, and every candidate carries its components so
the ranking can be read and argued with. Weights are fixed constants; novelty's was
chosen by leave-one-out over the why sets (docs/benchmarks.md, Why-engine).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from scipy.stats import poisson

from ..sqltext import placeholders
from .contrast import TemplateChange

WEIGHTS = {"significance": 0.30, "onset": 0.25, "upstream": 0.20, "change": 0.15,
           "severity": 0.10, "novelty": 0.15}
#: A template's rows in the lead before the symptom are its burst only when they are
#: more than its background rate explains (Poisson tail below this); otherwise its onset
#: is its first row from the symptom's start on (a connection closed every few minutes
#: all week has one in any five-minute lead, and that row leads nothing).
LEAD_EXCESS_P = 0.01
#: Warnings and worse never seen before in the workspace that start at most this long
#: after the symptom's detected onset join the pool even with a single row.
NOVEL_GRACE = dt.timedelta(seconds=60)
NOVEL_MAX = 12
WARNING_OR_WORSE = ("WARN", "ERROR", "FATAL")
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
                    min_ratio: float = 1.5, limit: int = 40,
                    onset: dt.datetime | None = None) -> list[TemplateChange]:
    """Templates whose rate went up significantly in the window (the root-cause pool).

    With ``onset`` (the symptom's detected start), also the novel warnings: templates at
    warning or above never seen before in the workspace whose first row is at most
    ``NOVEL_GRACE`` after the onset. One such row ("alarm set", "quota exceeded") is no
    significant rate, yet the first of its kind right before a burst is evidence a count
    test cannot see; :func:`rank` decides whether it leads.
    """
    pool = [c for c in changes if c.during >= min_count and c.p_value <= max_p
            and c.ratio >= min_ratio]
    pool.sort(key=lambda c: -c.g)
    pool = pool[:limit]
    if onset is not None:
        chosen = {c.template_id for c in pool}
        novel = [c for c in changes if c.new and c.template_id not in chosen
                 and c.severity in WARNING_OR_WORSE and c.first_in_window is not None
                 and c.first_in_window <= onset + NOVEL_GRACE]
        novel.sort(key=lambda c: c.first_in_window or onset)
        pool += novel[:NOVEL_MAX]
    return pool


def onset_time(c: TemplateChange) -> dt.datetime | None:
    """When a template's change began: its first row in the window, unless it has a
    background rate and its rows in the lead are no more than that rate explains, in
    which case its first row from the symptom's start (the mark) on.

    With the lead's rows known (``lead_times``), the burst may begin anywhere in the lead:
    the row from which the rows up to the mark are most in excess (at least two, the
    smallest Poisson tail, below ``LEAD_EXCESS_P``: a scan statistic) is the onset. A single row is never a burst of a
    template that has rows every few minutes anyway.
    """
    t = c.first_in_window
    # no rows before the window: whatever its baseline holds after, it has no background
    # to mistake for its start (a disk that stays full logs on past the window)
    if t is None or c.before <= 0 or c.rate_before <= 0 or c.lead <= 0 or c.lead_s <= 0:
        return t
    lam = c.rate_before
    if c.lead_times is None or c.mark is None:
        return t if poisson.sf(c.lead - 1, lam * c.lead_s) <= LEAD_EXCESS_P \
            else c.first_after_mark
    n, best, best_p = len(c.lead_times), None, LEAD_EXCESS_P
    for i, ti in enumerate(c.lead_times):
        k = n - i
        p = poisson.sf(k - 1, lam * max(1.0, (c.mark - ti).total_seconds()))
        if k >= 2 and p <= best_p:
            best, best_p = ti, p
    return best if best is not None else c.first_after_mark


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
         hi: dt.datetime, entity_templates: set[str] | None = None,
         symptoms: list[str] | None = None) -> list[Candidate]:
    """Score every candidate; highest first. Ties break on earlier onset, then on G.

    ``symptoms``: the services whose rows the window was detected on (novelty is for the
    others); without them, the service of the pool's largest burst.
    """
    if not pool:
        return []
    gmax = max(c.g for c in pool) or 1.0
    starts = {c.template_id: onset_time(c) for c in pool}
    onset0 = min((_mid(t) for t in starts.values() if t), default=lo)
    scale = max(ONSET_SCALE_MIN_S, ONSET_SCALE_SHARE * (hi - lo).total_seconds())
    # novelty counts for another service than the symptom's: the services the window was
    # found on, else the service of the window's largest burst
    symptom = set(symptoms or [max(pool, key=lambda c: c.during).service])
    out = []
    for c in pool:
        link = links.get(c.template_id, {})
        shared, first = int(link.get("shared", 0)), int(link.get("first", 0))
        comp = {"significance": math.log1p(c.g) / math.log1p(gmax)}
        delay = (_mid(starts[c.template_id] or hi) - onset0).total_seconds()
        comp["onset"] = math.exp(-max(0.0, delay) / scale)
        comp["upstream"] = (first / shared) if shared >= 3 else 0.5
        comp["change"] = 1.0 if c.new or c.rate_before == 0 else min(1.0, math.log10(max(c.ratio, 1.0)) / 2)
        comp["severity"] = SEVERITY_WEIGHT.get(c.severity, 0.3)
        # never seen before, a warning or worse, in another service than the symptom's,
        # and leading: as strong as evidence gets, even for a single row
        # and leading: as strong as evidence gets, even for a single row. It credits what
        # the count test cannot see, so a large novel burst (already significant) gets little
        # (and not the first of a template that then recurs after the window: a GC pause
        # logged every hour from then on is a new background, not an event)
        novel = c.new and c.severity in WARNING_OR_WORSE and c.service not in symptom \
            and c.after == 0
        comp["novelty"] = comp["onset"] * (1.0 - comp["significance"]) if novel else 0.0
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
