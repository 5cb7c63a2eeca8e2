"""Estate 2: a fleet-telematics and parcel-dispatch platform, written as real software writes it.

Why this exists: the question parser's held-out sets so far all sit on one demo estate. This
generator writes a second, independent estate (another domain, other formats, other field
names) so that generalisation can be measured on data its team has never seen. It is
standalone (stdlib only) and deterministic for a given (seed, days, start).

Sources (logs/<dir>/<file>):
  haproxy/haproxy.log            HAProxy 2.x HTTP log lines through syslog (host lb01)
  telemetry/telemetry-ingest.log Go service, zap JSON encoder (ISO8601 ts)
  dispatch/dispatch-service.log  Java/Spring service, logback pattern
  mysql/error.log                MySQL 8.0 error log
  rabbitmq/rabbit@mq01.log       RabbitMQ 3.12 log
  notifier/notifier.log          Python service, logging '%(asctime)s - %(name)s - %(levelname)s - %(message)s'
  auth/auth.log                  sshd and sudo through syslog (host bastion01)

Every line comes from an in-memory record (dict with ts, src, ev, level and the fields the
line writes); make_questions.py computes its answers from those records.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the sibling estate2_sources module

UTC = timezone.utc
MON = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

SOURCES: dict[str, dict[str, str]] = {
    "haproxy": {"dir": "haproxy", "file": "haproxy.log", "format": "haproxy HTTP log via syslog (RFC3164)", "service": "haproxy"},
    "telemetry": {"dir": "telemetry", "file": "telemetry-ingest.log", "format": "zap JSON (production encoder, ISO8601 ts)", "service": "telemetry-ingest"},
    "dispatch": {"dir": "dispatch", "file": "dispatch-service.log", "format": "logback pattern '%d [%thread] %-5level %logger{36} - %msg'", "service": "dispatch-service"},
    "mysql": {"dir": "mysql", "file": "error.log", "format": "MySQL 8.0 error log", "service": "mysql"},
    "rabbitmq": {"dir": "rabbitmq", "file": "rabbit@mq01.log", "format": "RabbitMQ 3.12 log", "service": "rabbitmq"},
    "notifier": {"dir": "notifier", "file": "notifier.log", "format": "Python logging '%(asctime)s - %(name)s - %(levelname)s - %(message)s'", "service": "notifier"},
    "auth": {"dir": "auth", "file": "auth.log", "format": "sshd/sudo via syslog (RFC3164)", "service": "sshd"},
}

# incident id -> (kind, day fraction of the estate, start hour, start minute, length minutes)
INCIDENTS = [
    ("INC-1", "db_disk_full", 1, 14, 12, 26),
    ("INC-2", "broker_memory_alarm", 3, 3, 5, 34),
    ("INC-3", "db_pool_exhausted", 4, 10, 20, 24),
    ("INC-4", "fd_exhaustion", 5, 19, 31, 23),
]


def pick(rng: random.Random, table: list[tuple[Any, float]]) -> Any:
    """A weighted choice from (value, weight) pairs: the skewed categorical values."""
    x = rng.random() * sum(w for _, w in table)
    for v, w in table:
        x -= w
        if x < 0:
            return v
    return table[-1][0]


def zipf_table(items: list[Any], s: float = 1.1) -> list[tuple[Any, float]]:
    """Rank-weighted table: a few heavy hitters and a long tail, as real clients are."""
    return [(it, 1.0 / (i + 1) ** s) for i, it in enumerate(items)]


def poisson(rng: random.Random, lam: float) -> int:
    """Poisson draw (Knuth below 30, normal above): per-minute event counts."""
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, int(round(rng.gauss(lam, math.sqrt(lam)))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


def diurnal(hour: float, peak: float = 14.0, width: float = 4.5, floor: float = 0.12) -> float:
    """Traffic shape over the day (UTC): quiet nights, a broad afternoon peak."""
    return floor + (1 - floor) * math.exp(-((hour - peak) / width) ** 2)


class Estate:
    """Records of every source plus the incident windows, built deterministically."""

    def __init__(self, seed: int, days: int, start: str) -> None:
        self.seed, self.days = seed, days
        self.start = datetime.strptime(start, "%Y-%m-%d").replace(tzinfo=UTC)
        self.end = self.start + timedelta(days=days)
        self.rng = random.Random(seed)
        self.records: dict[str, list[dict[str, Any]]] = {k: [] for k in SOURCES}
        self.incidents: list[dict[str, Any]] = []
        self._place_incidents()
        r = random.Random(seed * 7 + 1)
        self.vehicles = {}
        devices = [("tcu-x3", 55), ("obd-lite", 25), ("cam-dash", 12), ("trailer-tag", 8)]
        regions = [("eu-west", 45), ("eu-central", 30), ("us-east", 18), ("ap-south", 7)]
        fws = {"tcu-x3": ["4.2.1", "4.3.0"], "obd-lite": ["2.9.7"], "cam-dash": ["1.14.2", "1.15.0"], "trailer-tag": ["0.8.3"]}
        for n in range(1000, 1600):
            dev = pick(r, devices)
            self.vehicles[f"VH-{n}"] = (dev, pick(r, regions), r.choice(fws[dev]))
        self.vehicle_table = zipf_table(list(self.vehicles), 0.6)
        self.device_ips = zipf_table([f"100.64.{r.randint(0, 63)}.{r.randint(1, 254)}" for _ in range(300)], 0.7)
        self.client_ips = zipf_table([f"{r.choice(['198.51.100', '203.0.113'])}.{r.randint(1, 254)}" for _ in range(220)], 1.05)
        self.attackers = zipf_table([f"{r.choice(['45.', '91.', '185.', '103.'])}{r.randint(10, 250)}.{r.randint(0, 255)}.{r.randint(1, 254)}" for _ in range(140)], 1.2)
        self.customers = zipf_table([f"CUST-{n:04d}" for n in r.sample(range(1, 9999), 300)], 1.0)
        self.next_shipment = 400000
        self.recent: list[str] = []
        self.pid = 300

    def _place_incidents(self) -> None:
        rng = random.Random(self.seed * 13 + 5)
        for iid, kind, day, hh, mm, length in INCIDENTS:
            d = min(day, self.days - 1) if self.days > 1 else 0
            t0 = self.start + timedelta(days=d, hours=hh, minutes=mm + rng.randint(-3, 3))
            t1 = t0 + timedelta(minutes=length + rng.randint(-2, 2))
            self.incidents.append({"id": iid, "kind": kind, "start": t0, "end": t1})

    def active(self, t: datetime) -> str | None:
        """The incident running at t, if any."""
        for inc in self.incidents:
            if inc["start"] <= t < inc["end"]:
                return inc["kind"]
        return None

    def add(self, src: str, t: datetime, ev: str, level: str | None, **fields: Any) -> None:
        self.records[src].append({"ts": t, "src": src, "ev": ev, "level": level, **fields})

    def shipment(self) -> str:
        if not self.recent or self.rng.random() < 0.1:
            return f"SHP-{self.rng.randint(300000, 399999)}"
        return self.rng.choice(self.recent[-400:])

    def proc(self) -> str:
        self.pid += self.rng.randint(1, 40)
        return f"<0.{self.pid}.0>"

    def build(self) -> "Estate":
        from estate2_sources import SOURCE_BUILDERS, incident_edges  # noqa: PLC0415 (sibling module)
        for minute in range(self.days * 1440):
            t = self.start + timedelta(minutes=minute)
            for fn in SOURCE_BUILDERS:
                fn(self, t)
        for inc in self.incidents:
            incident_edges(self, inc)
        for recs in self.records.values():
            recs.sort(key=lambda r: r["ts"])
        return self

    def at(self, t: datetime) -> datetime:
        """A random instant inside the minute starting at t (microsecond precision)."""
        return t + timedelta(microseconds=self.rng.randrange(60_000_000))


def render(rec: dict[str, Any]) -> str:
    """The log line of one record, in its source's format."""
    from estate2_sources import RENDER  # noqa: PLC0415
    return RENDER[rec["src"]](rec)


def ground_truth(est: Estate) -> dict[str, Any]:
    """Sources, incidents (with their root-cause lines) and line counts."""
    roots = {
        "db_disk_full": ("mysql", "mysql/error.log", ["Disk is full writing"], ["dispatch-service", "haproxy"]),
        "broker_memory_alarm": ("rabbitmq", "rabbitmq/rabbit@mq01.log", ["memory resource limit alarm set"], ["telemetry-ingest", "notifier", "haproxy"]),
        "db_pool_exhausted": ("dispatch-service", "dispatch/dispatch-service.log", ["HikariPool-1 - Connection is not available"], ["haproxy", "notifier"]),
        "fd_exhaustion": ("telemetry-ingest", "telemetry/telemetry-ingest.log", ["accept4: too many open files"], ["haproxy", "dispatch-service"]),
    }
    z = lambda t: t.strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    incs = []
    for inc in est.incidents:
        svc, f, contains, sym = roots[inc["kind"]]
        incs.append({"id": inc["id"], "kind": inc["kind"], "start": z(inc["start"]), "end": z(inc["end"]),
                     "root_service": svc, "root_cause": {"file": f, "line_contains": contains},
                     "symptom_services": sym})
    return {"generator": "estate2", "seed": est.seed, "days": est.days, "start": est.start.strftime("%Y-%m-%d"),
            "end": z(est.end), "timezone": "UTC",
            "sources": {k: {**v, "lines": len(est.records[k])} for k, v in SOURCES.items()},
            "lines_total": sum(len(v) for v in est.records.values()),
            "incidents": incs}


def write(est: Estate, out: Path) -> dict[str, Any]:
    """Write every source file and ground_truth.json under out; returns the truth."""
    for key, info in SOURCES.items():
        d = out / "logs" / info["dir"]
        d.mkdir(parents=True, exist_ok=True)
        with open(d / info["file"], "w", encoding="utf-8", newline="\n") as fh:
            for rec in est.records[key]:
                fh.write(render(rec) + "\n")
        if est.records[key]:
            # As a real file's: last modified when its last record was written (a reader that
            # dates year-less syslog lines by the file's mtime then gets the estate's year).
            last = max(r["ts"] for r in est.records[key]).replace(tzinfo=timezone.utc).timestamp()
            os.utime(d / info["file"], (last, last))
    truth = ground_truth(est)
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=2) + "\n")
    return truth


def build(seed: int, days: int, start: str) -> Estate:
    """The estate in memory (same records as the files write)."""
    return Estate(seed, days, start).build()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--seed", type=int, default=2207)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--start", default="2025-10-06")
    a = ap.parse_args()
    truth = write(build(a.seed, a.days, a.start), a.out)
    print(json.dumps({k: v["lines"] for k, v in truth["sources"].items()} | {"total": truth["lines_total"]}))


if __name__ == "__main__":
    main()
