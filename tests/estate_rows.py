"""A small hand-made estate written straight into a real workspace: rows whose every count,
gap and neighbour is known, for the dashboard and Discover data layers.

Why not the demo generator: these tests check exact numbers (zero buckets, the neighbours
of a line), which must not move when the generator or the miner changes.

Layout (2024-03-01, UTC):
  a.log  api  10:00..10:09 INFO "request ok" (status 200, GET), lines 1-10;
              11:00..11:04 ERROR "request failed" (status 500, POST), lines 11-15;
              11:05 FATAL "worker crashed", line 16
  b.log  db   10:00..10:27 every 3 min WARN "slow query" (table orders), lines 1-10;
              10:30 ERROR "deadlock", line 11
  c.log  api  12:00 INFO "request ok" (status 200, GET), line 1
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

DAY = dt.datetime(2024, 3, 1)
TEMPLATES = {
    "T_ok": ("request ok <*>", "api"), "T_fail": ("request failed <*>", "api"),
    "T_crash": ("worker crashed", "api"), "T_slow": ("slow query <*>", "db"),
    "T_dead": ("deadlock <*>", "db"),
}


def rows() -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []

    def add(t: dt.datetime, sev: str, svc: str, tid: str, msg: str, ctx: dict, origin: str, line: int) -> None:
        out.append(dict(timestamp=t, severity=sev, service_name=svc, body=TEMPLATES[tid][0],
                        template_id=tid, message=msg, context=json.dumps({"_rule": "test", **ctx}),
                        source="test", origin=origin, origin_offset=line))

    for i in range(10):
        add(DAY.replace(hour=10, minute=i), "INFO", "api", "T_ok", f"request ok id={i}",
            {"status": 200, "method": "GET"}, "logs/a.log", i + 1)
    for i in range(5):
        add(DAY.replace(hour=11, minute=i), "ERROR", "api", "T_fail", f"request failed id={i}",
            {"status": 500, "method": "POST"}, "logs/a.log", 11 + i)
    add(DAY.replace(hour=11, minute=5), "FATAL", "api", "T_crash", "worker crashed", {},
        "logs/a.log", 16)
    for i in range(10):
        add(DAY.replace(hour=10, minute=3 * i), "WARN", "db", "T_slow", f"slow query {i}s",
            {"table": "orders"}, "logs/b.log", i + 1)
    add(DAY.replace(hour=10, minute=30), "ERROR", "db", "T_dead", "deadlock on orders",
        {"table": "orders"}, "logs/b.log", 11)
    add(DAY.replace(hour=12), "INFO", "api", "T_ok", "request ok id=99",
        {"status": 200, "method": "GET"}, "logs/c.log", 1)
    return out


def load(ws: Any) -> list[dict[str, Any]]:
    """Write the estate (rows and templates) into workspace ``ws``; return the rows."""
    import pandas as pd

    data = rows()
    frame = pd.DataFrame(data)  # noqa: F841 - read by DuckDB's replacement scan
    cols = ", ".join(data[0])
    ws.con.execute(f"INSERT INTO logs ({cols}) SELECT {cols} FROM frame")
    for tid, (text, svc) in TEMPLATES.items():
        mine = [r for r in data if r["template_id"] == tid]
        ws.con.execute("INSERT INTO templates (template_id, template, first_service, first_seen, "
                       "last_seen, count) VALUES (?, ?, ?, ?, ?, ?)",
                       [tid, text, svc, min(r["timestamp"] for r in mine),
                        max(r["timestamp"] for r in mine), len(mine)])
    return data
