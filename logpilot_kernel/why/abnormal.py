""""What is abnormal?" with no symptom: rank templates and windows that deviate most.

Why these signals: with no named symptom there is no baseline to contrast, so a template
is suspicious when it is (1) grave - its severity, (2) bursty - its occurrences are packed
into a short span rather than spread like steady background noise (a Poisson scan
statistic: the densest bucket against the template's own mean rate, and the share of its
rows beyond the first in each active bucket), (3) a *lead* event -
its rows start an episode instead of following another template's row on the same host
within seconds (a crash is one event followed by many detail lines: register dumps,
addresses, stack frames; the event is the thing to look at, the same "first occurrence"
idea the why-engine uses), and (4) rare. Windows come from change-points on all errors.
Everything aggregates in DuckDB; Python sees one row per (template, bucket) at most.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from .contrast import SEV_RANK

WEIGHTS = {"severity": 0.35, "burst": 0.30, "lead": 0.25, "rarity": 0.10}
#: Rows of another template on the same host this close before a row make it a follower.
FOLLOW_SECONDS = 2.0
SEV_SCORE = {"FATAL": 1.0, "ERROR": 0.85, "WARN": 0.5, "INFO": 0.15, "DEBUG": 0.05, "TRACE": 0.0}


@dataclass
class Abnormal:
    """One template's abnormality with its components."""

    template_id: str
    template: str
    service: str
    severity: str
    count: int
    first: dt.datetime
    last: dt.datetime
    peak_bucket: dt.datetime
    peak_count: int
    peak_first: dt.datetime | None = None
    score: float = 0.0
    components: dict[str, float] = field(default_factory=dict)
    evidence_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        c = self.components
        return {"template_id": self.template_id, "template": self.template,
                "service": self.service, "severity": self.severity, "count": self.count,
                "first_seen": self.first.isoformat(), "last_seen": self.last.isoformat(),
                "peak_bucket": self.peak_bucket.isoformat(), "peak_count": self.peak_count,
                "score": round(self.score, 3),
                "score_components": {k: round(v, 3) for k, v in c.items()},
                "score_explained": " + ".join(f"{k} {c[k]:.2f} x {WEIGHTS[k]:.2f}" for k in WEIGHTS)
                + f" = {self.score:.3f}" + (f"; #{int(c['episode_rank'])} of its burst episode"
                                            if "episode_rank" in c else "")
                + (f"; root-cause candidate #1 of detected window {int(c['window_rank'])}"
                   if "window_rank" in c else ""),
                "evidence_id": self.evidence_id}


def scan(cur: Any, lo: dt.datetime, hi: dt.datetime, where: str = "TRUE",
         bucket_seconds: int = 3600, limit: int | None = 25) -> list[Abnormal]:
    """Templates of the scope ranked by severity, rarity and burstiness (highest first)."""
    total = cur.execute(
        f"SELECT count(*) FROM logs WHERE timestamp >= ? AND timestamp < ? AND ({where})",
        [lo, hi]).fetchone()[0]
    if not total:
        return []
    span_buckets = max(1.0, (hi - lo).total_seconds() / bucket_seconds)
    rows = cur.execute(
        f"""
        WITH b AS (
            SELECT template_id, CAST(floor(epoch(timestamp - ?::TIMESTAMP) / {int(bucket_seconds)})
                   AS BIGINT) AS k, count(*) AS n, min(timestamp) AS t0, max(timestamp) AS t1,
                   arg_max(severity, {SEV_RANK}) AS sev, mode(service_name) AS svc
            FROM logs WHERE timestamp >= ? AND timestamp < ? AND ({where}) GROUP BY 1, 2
        )
        SELECT b.template_id, any_value(t.template), mode(b.svc), arg_max(b.sev, b.n),
               sum(b.n), min(b.t0), max(b.t1), arg_max(b.k, b.n), max(b.n), count(*),
               arg_max(b.t0, b.n)
        FROM b LEFT JOIN templates t USING (template_id) GROUP BY 1
        """, [lo, lo, hi]).fetchall()
    lead = _lead_fractions(cur, lo, hi, where)
    out = []
    log_total = math.log(total + 1)
    llrs = {}
    for tid, _tpl, _svc, _sev, n, _f, _l, _k, peak, _nb, _pf in rows:
        mean = int(n) / span_buckets
        llrs[tid] = (int(peak) * math.log(int(peak) / mean) - (int(peak) - mean)
                     if int(peak) > mean > 0 else 0.0)
    top_llr = math.log1p(max(llrs.values(), default=0.0)) or 1.0
    for tid, tpl, svc, sev, n, first, last, k, peak, active, peak_first in rows:
        n, peak = int(n), int(peak)
        rarity = 1.0 - math.log(n + 1) / log_total if log_total > 0 else 0.0
        # Poisson LLR of the peak bucket against the template's mean rate, relative to the
        # burstiest template of the scope (log scale: a 60-row burst beats a 7-row one)
        # ... and concentration: few active buckets for many rows (a chronic template
        # that recurs in every period is background, however grave it sounds)
        concentration = 1.0 - int(active) / n if n > 1 else 0.0
        burst = 0.5 * math.log1p(llrs[tid]) / top_llr + 0.5 * concentration
        comp = {"severity": SEV_SCORE.get(sev or "", 0.15), "burst": burst,
                "lead": lead.get(tid, 0.5), "rarity": max(0.0, rarity)}
        a = Abnormal(tid, tpl or "", svc or "", sev or "", n, first, last,
                     lo + dt.timedelta(seconds=int(k) * bucket_seconds), peak)
        a.components = comp
        a.peak_first = peak_first
        a.score = sum(WEIGHTS[key] * v for key, v in comp.items())
        out.append(a)
    out.sort(key=lambda a: (-a.score, a.first))
    return diversify(out)[:limit] if limit else diversify(out)


def lead_with(ranked: list[Abnormal], leaders: list[str]) -> list[Abnormal]:
    """Put the templates that lead detected windows (in window order) before the rest."""
    by_id = {a.template_id: a for a in ranked}
    front = []
    for i, tid in enumerate(dict.fromkeys(leaders), 1):
        if tid in by_id:
            by_id[tid].components["window_rank"] = float(i)
            front.append(by_id[tid])
    chosen = {a.template_id for a in front}
    return front + [a for a in ranked if a.template_id not in chosen]


def diversify(ranked: list[Abnormal]) -> list[Abnormal]:
    """One template per episode first, then the second of each, and so on.

    An episode is the set of templates whose densest bucket is the same: a crash logs
    one event and many detail lines in the same burst, and a list of ten lines from one
    dump hides the other nine anomalies. Order inside each round keeps the score order.
    """
    episodes: dict[dt.datetime, list[Abnormal]] = {}
    for a in ranked:
        episodes.setdefault(a.peak_bucket, []).append(a)
    out: list[Abnormal] = []
    depth = 0
    while len(out) < len(ranked):
        layer = [members[depth] for members in episodes.values() if len(members) > depth]
        layer.sort(key=lambda a: (-a.score, a.first))
        for a in layer:
            a.components["episode_rank"] = float(depth + 1)
        out += layer
        depth += 1
    return out


def _lead_fractions(cur: Any, lo: dt.datetime, hi: dt.datetime, where: str) -> dict[str, float]:
    """Per template (warnings and worse): the share of its rows that no row of another
    template on the same host (or service, when no host) precedes by <= FOLLOW_SECONDS."""
    rows = cur.execute(
        f"""
        WITH r AS (
            SELECT template_id, timestamp AS t,
                   lag(template_id) OVER w AS ptid, lag(timestamp) OVER w AS pt
            FROM logs WHERE timestamp >= ? AND timestamp < ? AND ({where})
              AND severity IN ('WARN', 'ERROR', 'FATAL')
            WINDOW w AS (PARTITION BY coalesce(host, service_name) ORDER BY timestamp, origin,
                         origin_offset)
        )
        SELECT template_id, avg(CASE WHEN ptid IS NOT NULL AND ptid <> template_id AND
               epoch(t - pt) <= {FOLLOW_SECONDS} THEN 0.0 ELSE 1.0 END)
        FROM r GROUP BY 1
        """, [lo, hi]).fetchall()
    return {tid: float(v) for tid, v in rows}
