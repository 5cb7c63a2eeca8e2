"""Entity questions: follow one user, order, IP or trace id through the services.

Why traces: an entity (user 42) is usually named on one or two rows only - the checkout
record carries ``user_id`` - but the failure that hit it is logged by other services under
the same trace id. So the entity's rows give the trace ids, and the traces give the story,
in time order. The failure instant then anchors window detection (the window must contain
it), which is how "why did this user fail?" and "why is checkout failing?" share one engine.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..sqltext import literal_list
from .scope import entity_predicate

SEVERE = ("ERROR", "FATAL")


@dataclass
class EntityTrail:
    """An entity's rows and the rows of its traces, in time order."""

    entity: str
    rows: list[dict[str, Any]] = field(default_factory=list)
    trace_ids: list[str] = field(default_factory=list)
    direct: int = 0
    failure_at: dt.datetime | None = None
    services: list[str] = field(default_factory=list)
    templates: set[str] = field(default_factory=set)

    def to_dict(self) -> dict[str, Any]:
        return {"entity": self.entity, "direct_rows": self.direct, "trace_ids": self.trace_ids,
                "failure_at": self.failure_at.isoformat() if self.failure_at else None,
                "services": self.services,
                "rows": [dict(r, timestamp=r["timestamp"].isoformat()) for r in self.rows]}


def follow(cur: Any, entity: str, lo: dt.datetime | None, hi: dt.datetime | None,
           max_traces: int = 25, max_rows: int = 120) -> EntityTrail:
    """The entity's own rows plus every row sharing their trace ids (bounded)."""
    trail = EntityTrail(entity)
    time = []
    params: list[Any] = []
    if lo is not None:
        time.append("timestamp >= ?")
        params.append(lo)
    if hi is not None:
        time.append("timestamp < ?")
        params.append(hi)
    tw = (" AND " + " AND ".join(time)) if time else ""
    pred = entity_predicate(cur, entity)
    trail.direct = cur.execute(f"SELECT count(*) FROM logs WHERE {pred}{tw}", params).fetchone()[0]
    if not trail.direct:
        return trail
    # traces of the entity's rows, failing ones first: those are the ones to explain
    trail.trace_ids = [r[0] for r in cur.execute(
        f"SELECT trace_id FROM logs WHERE {pred}{tw} AND trace_id IS NOT NULL AND trace_id <> '' "
        f"GROUP BY 1 ORDER BY max(CASE WHEN severity IN ('ERROR','FATAL') THEN 1 ELSE 0 END) DESC, "
        f"min(timestamp) LIMIT {int(max_traces)}", params).fetchall()]
    traces = (literal_list(trail.trace_ids) if trail.trace_ids else "NULL")
    rows = cur.execute(
        f"SELECT timestamp, service_name, severity, template_id, body, message, trace_id, origin, "
        f"origin_offset FROM logs WHERE (({pred}{tw}) OR trace_id IN ({traces})) "
        f"ORDER BY timestamp, service_name LIMIT {int(max_rows)}", params).fetchall()
    names = ("timestamp", "service", "severity", "template_id", "template", "message", "trace_id",
             "origin", "origin_offset")
    trail.rows = [dict(zip(names, r)) for r in rows]
    for r in trail.rows:
        r["message"] = r["message"][:300]
    bad = [r for r in trail.rows if r["severity"] in SEVERE] or \
          [r for r in trail.rows if r["severity"] == "WARN"]
    trail.failure_at = (bad or trail.rows or [{"timestamp": None}])[0]["timestamp"]
    trail.services = list(dict.fromkeys(r["service"] for r in trail.rows))
    trail.templates = {r["template_id"] for r in trail.rows}
    return trail
