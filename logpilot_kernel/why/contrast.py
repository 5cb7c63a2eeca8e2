"""Contrast the window with its baseline: per-template rate change and significant terms.

The idea follows log-rate analysis as published for Kibana: compare a deviation period with
a baseline period, and report which message kinds and which field values explain the
difference, each with a p-value. Here the unit is the template (mined once at ingestion),
so one GROUP BY in DuckDB yields every template's counts before, during and after.

Test: the counts of one template in the window (``a``, over ``Tw`` seconds) and in the
baseline (``b``, over ``Tb``) are two Poisson counts; given ``a + b`` the window's share is
binomial with ``p = Tw / (Tw + Tb)`` under "no change". The log-likelihood ratio
``G = 2 Σ o ln(o / e)`` is chi-squared with one degree of freedom (Wilks), which stays
usable for the zero counts that new templates have (Pearson's chi-squared does not).
Rates per second rather than shares of all rows: an outage that silences a service must
not make every other template look over-represented.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from typing import Any

from scipy.stats import chi2

from ..schema import NOTE_KEYS
from ..sqltext import json_key_path, json_key_path_sql, literal_list, placeholders

#: Context keys that are parse notes (:data:`..schema.NOTE_KEYS`) or per-record noise
#: (a message or time a JSON source repeats in its fields), never an explanation.
SKIP_KEYS = NOTE_KEYS + ("msg", "message", "timestamp", "time", "ts", "level")


def g_test(a: float, b: float, tw: float, tb: float) -> tuple[float, float]:
    """(G, p) for window count ``a`` over ``tw`` vs baseline ``b`` over ``tb``."""
    n = a + b
    if n <= 0 or tw <= 0 or tb <= 0:
        return 0.0, 1.0
    p = tw / (tw + tb)
    ea, eb = n * p, n * (1 - p)
    g = 0.0
    if a > 0:
        g += a * math.log(a / ea)
    if b > 0:
        g += b * math.log(b / eb)
    g = max(0.0, 2 * g)
    return g, float(chi2.sf(g, 1))


@dataclass
class TemplateChange:
    """One template's behaviour in the window against the baseline."""

    template_id: str
    template: str
    service: str
    severity: str
    before: int
    during: int
    after: int
    rate_before: float
    rate_during: float
    g: float
    p_value: float
    first_seen: dt.datetime | None
    first_in_window: dt.datetime | None
    last_in_window: dt.datetime | None
    ever_before: bool
    new: bool = False
    disappeared: bool = False
    traced: int = 0
    #: rows before ``mark`` (the symptom's detected onset), the span of that lead in
    #: seconds, and the first row at or after the mark: whether a template's first row
    #: in the lead is its burst or one of its ordinary rows (see causality.onset_time)
    lead: int = 0
    lead_s: float = 0.0
    first_after_mark: dt.datetime | None = None
    #: the mark and the lead's last rows (oldest first), when :func:`lead_rows` filled them
    mark: dt.datetime | None = None
    lead_times: list[dt.datetime] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float:
        if self.rate_before <= 0:
            return math.inf if self.rate_during > 0 else 1.0
        return self.rate_during / self.rate_before

    def to_dict(self) -> dict[str, Any]:
        r = self.ratio
        return {"template_id": self.template_id, "template": self.template,
                "service": self.service, "severity": self.severity,
                "count_before": self.before, "count_during": self.during,
                "count_after": self.after,
                "rate_before_per_min": round(self.rate_before * 60, 3),
                "rate_during_per_min": round(self.rate_during * 60, 3),
                "ratio": None if math.isinf(r) else round(r, 2),
                "g": round(self.g, 1), "p_value": float(f"{self.p_value:.3g}"),
                "first_seen": _iso(self.first_seen), "first_in_window": _iso(self.first_in_window),
                "new": self.new, "disappeared": self.disappeared}


def _iso(t: dt.datetime | None) -> str | None:
    return t.isoformat() if t else None


SEV_RANK = "CASE severity WHEN 'FATAL' THEN 5 WHEN 'ERROR' THEN 4 WHEN 'WARN' THEN 3 " \
           "WHEN 'INFO' THEN 2 WHEN 'DEBUG' THEN 1 ELSE 0 END"


def template_changes(cur: Any, lo: dt.datetime, hi: dt.datetime, base_lo: dt.datetime,
                     base_hi: dt.datetime, where: str = "TRUE",
                     mark: dt.datetime | None = None) -> list[TemplateChange]:
    """Every template seen in ``[base_lo, base_hi)`` with counts before/during/after ``[lo, hi)``.

    One aggregate query over the scope; ``first_seen`` comes from the ``templates`` table
    so "new" means never seen in the whole workspace before the window, not just in scope.
    ``mark`` (inside ``[lo, hi)``: where the symptom was detected, after the lead the
    contrast starts from) splits the window's rows into the lead and the rest.
    """
    mark = min(max(mark or lo, lo), hi)
    rows = cur.execute(
        f"""
        SELECT l.template_id, any_value(t.template), mode(l.service_name),
               arg_max(l.severity, {SEV_RANK}),
               count(*) FILTER (WHERE l.timestamp < ?),
               count(*) FILTER (WHERE l.timestamp >= ? AND l.timestamp < ?),
               count(*) FILTER (WHERE l.timestamp >= ?),
               min(l.timestamp) FILTER (WHERE l.timestamp >= ? AND l.timestamp < ?),
               max(l.timestamp) FILTER (WHERE l.timestamp >= ? AND l.timestamp < ?),
               any_value(t.first_seen),
               count(*) FILTER (WHERE l.timestamp >= ? AND l.timestamp < ?),
               min(l.timestamp) FILTER (WHERE l.timestamp >= ? AND l.timestamp < ?)
        FROM logs l LEFT JOIN templates t USING (template_id)
        WHERE l.timestamp >= ? AND l.timestamp < ? AND ({where})
        GROUP BY l.template_id
        """, [lo, lo, hi, hi, lo, hi, lo, hi, lo, mark, mark, hi, base_lo, base_hi]).fetchall()
    tw = max(1.0, (hi - lo).total_seconds())
    tb = max(1.0, (lo - base_lo).total_seconds() + (base_hi - hi).total_seconds())
    out = []
    lead_s = (mark - lo).total_seconds()
    for tid, tpl, svc, sev, before, during, after, f_in, l_in, first, n_lead, f_mark in rows:
        base = before + after
        g, p = g_test(during, base, tw, tb)
        ever_before = first is not None and first < lo
        out.append(TemplateChange(
            tid, tpl or "", svc or "", sev or "", before, during, after, base / tb, during / tw,
            g, p, first, f_in, l_in, ever_before,
            new=during > 0 and before == 0 and not ever_before,
            disappeared=during == 0 and before > 0 and before / tb * tw >= 3,
            lead=n_lead, lead_s=lead_s, first_after_mark=f_mark, mark=mark))
    return out


def lead_rows(cur: Any, lo: dt.datetime, changes: list[TemplateChange],
              cap: int = 200) -> None:
    """Fill ``lead_times`` (the last ``cap`` rows before the mark) of the templates with
    a background rate and rows in the lead: only those need their burst's start told
    from their ordinary rows. One query for all of them."""
    want = [c for c in changes if c.rate_before > 0 and c.lead > 0 and c.mark is not None]
    if not want:
        return
    mark = want[0].mark
    rows = cur.execute(
        f"SELECT template_id, list(timestamp ORDER BY timestamp DESC)[1:{int(cap)}] FROM logs "
        f"WHERE timestamp >= ? AND timestamp < ? AND template_id IN "
        f"({placeholders(len(want))}) GROUP BY 1",
        [lo, mark, *[c.template_id for c in want]]).fetchall()
    got = {tid: sorted(ts) for tid, ts in rows}
    for c in want:
        c.lead_times = got.get(c.template_id, [])


def significant_terms(cur: Any, lo: dt.datetime, hi: dt.datetime, base_lo: dt.datetime,
                      base_hi: dt.datetime, template_ids: list[str], limit: int = 12,
                      max_values: int = 5000) -> list[dict[str, Any]]:
    """Context field values (and hosts) over-represented in the window's rows of the
    changed templates, against the same templates in the baseline.

    Restricting to the changed templates keeps the JSON unnesting bounded whatever the
    estate size and asks the useful question: *which* host, port or user inside the
    anomalous message kinds. The test is the 2x2 G-test of the value's share.
    """
    if not template_ids:
        return []
    ids = placeholders(len(template_ids))  # bound: template ids are data
    skip = literal_list(SKIP_KEYS)
    rows = cur.execute(
        f"""
        WITH r AS (
            SELECT template_id, host, context, (timestamp >= ? AND timestamp < ?) AS inw
            FROM logs WHERE template_id IN ({ids}) AND timestamp >= ? AND timestamp < ?
        ), kv AS (
            SELECT template_id, inw, k, json_extract_string(context, {json_key_path_sql('k')}) AS v
            FROM (SELECT template_id, inw, context, unnest(json_keys(context)) AS k FROM r)
            WHERE k NOT IN ({skip})
            UNION ALL SELECT template_id, inw, 'host', host FROM r WHERE host IS NOT NULL
        )
        SELECT template_id, k, v, count(*) FILTER (WHERE inw), count(*) FILTER (WHERE NOT inw)
        FROM kv WHERE v IS NOT NULL AND length(v) <= 120 GROUP BY ALL
        ORDER BY count(*) FILTER (WHERE inw) DESC LIMIT {int(max_values)}
        """, [lo, hi, *template_ids, base_lo, base_hi]).fetchall()
    totals: dict[tuple[str, str], list[int]] = {}
    for tid, k, _v, a, b in rows:
        t = totals.setdefault((tid, k), [0, 0])
        t[0] += a
        t[1] += b
    fresh = {k for (tid, k), (na, nb) in totals.items() if nb == 0}
    overall = _baseline_values(cur, lo, hi, base_lo, base_hi, fresh) if fresh else {}
    out = []
    for tid, k, v, a, b in rows:
        na, nb = totals[(tid, k)]
        if a < 3 or na == 0:
            continue
        before_of = "this template"
        if nb == 0:
            # The template has no baseline rows: its own "before" share is undefined, so
            # the contrast is against every baseline row carrying the field (is this
            # host over-represented in the new template compared with the host mix before?).
            b, nb = overall.get((k, v), 0), overall.get((k, None), 0)
            before_of = "all rows"
            if nb == 0:
                continue  # nothing to contrast with: no p-value to show
        share_w, share_b = a / na, b / nb
        if share_w <= share_b or share_w < 0.2:
            continue
        g, p = _g2x2(a, na - a, b, nb - b)
        out.append({"template_id": tid, "field": k, "value": v, "count_during": a,
                    "count_before": b, "share_during": round(share_w, 3),
                    "share_before": round(share_b, 3), "before_of": before_of,
                    "g": round(g, 1), "p_value": float(f"{p:.3g}")})
    out.sort(key=lambda d: (d["p_value"], -d["g"]))
    return out[:limit]


def _baseline_values(cur: Any, lo: dt.datetime, hi: dt.datetime, base_lo: dt.datetime,
                     base_hi: dt.datetime, keys: set[str]) -> dict[tuple[str, Any], int]:
    """``{(key, value): rows, (key, None): rows with the key}`` over the baseline's rows
    of every template, for the fields of templates that have no baseline rows of their own."""
    out: dict[tuple[str, Any], int] = {}
    for k in sorted(keys):
        expr = "host" if k == "host" else \
            "json_extract_string(context, ?)"
        params = [] if k == "host" else [json_key_path(k)]
        rows = cur.execute(
            f"SELECT v, count(*) FROM (SELECT {expr} AS v FROM logs WHERE "
            f"((timestamp >= ? AND timestamp < ?) OR (timestamp >= ? AND timestamp < ?))) "
            f"WHERE v IS NOT NULL GROUP BY 1", params + [base_lo, lo, hi, base_hi]).fetchall()
        for v, n in rows:
            out[(k, v)] = n
        out[(k, None)] = sum(n for _v, n in rows)
    return out


def _g2x2(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """G-test of independence on a 2x2 table [[a, b], [c, d]]."""
    n = a + b + c + d
    if n == 0:
        return 0.0, 1.0
    g = 0.0
    for o, row, col in ((a, a + b, a + c), (b, a + b, b + d), (c, c + d, a + c), (d, c + d, b + d)):
        if o > 0:
            g += o * math.log(o * n / (row * col))
    g = max(0.0, 2 * g)
    return g, float(chi2.sf(g, 1))
