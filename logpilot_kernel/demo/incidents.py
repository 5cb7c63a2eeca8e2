"""The five injected incidents: schedule, window-level events and ground-truth metadata.

Each incident opens with its root-cause record at exactly ``start`` (so the root cause is
the first-occurring, most upstream signal) and closes with a recovery record at ``end``.
Requests that fail because of it are simulated in :mod:`.traffic` and only start inside
``[fail_from, fail_until)``, chosen so every consequence lands inside the window. The
schedule uses its own seeded generator: the traffic volume never moves an incident.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from . import formats as F
from .extra_incidents import EXTRA_META, EXTRA_SCHEDULE, close_extra, open_extra, tick_extra
from .formats import ERROR, FATAL, INFO

MIN = 60_000

# kind, slot (spread over the days), minute of day before jitter
SCHEDULE = (("firewall_block", 0, 9 * 60 + 10), ("tls_expired", 1, 17 * 60 + 25),
            ("pool_exhaustion", 2, 11 * 60 + 5), ("disk_full", 3, 15 * 60 + 40),
            ("bad_deploy", 4, 13 * 60 + 20))

UFW_TEMPLATE = F.ufw_msg("BLOCK", "eth0", "<*>", "<*>", "<*>", 60, 64, "<*>", "TCP",
                                    "<*>", "<*>", "<*>", "SYN")

META: dict[str, dict] = {
    "pool_exhaustion": {
        "title": "Payment database connection pool exhausted",
        "root": ("payment", "payment/payment.jsonl",
                 "connection pool exhausted pool=<*> waited_ms=<*>",
                 ["connection pool exhausted"]),
        "affected": ["payment", "postgres", "checkout", "gateway"],
        "symptoms": ["payment service returned <*>", "order failed",
                     "sorry, too many clients already",
                     "remaining connection slots are reserved for non-replication "
                     "superuser connections"],
        "http": {"method": "POST", "path": "/api/checkout", "status": [503]},
        "static_entities": {"pool": "payments-db", "db_host": F.POSTGRES_HOST},
        "p_fail": 0.85,
        "questions": ["why is checkout failing?", "why are customers getting 503 on checkout?",
                      "what caused the spike of payment errors?",
                      "why did orders fail during the payment outage?"],
    },
    "firewall_block": {
        "title": "Firewall rule blocks the inventory service port",
        "root": ("firewall", "firewall/syslog", UFW_TEMPLATE,
                 ["[UFW BLOCK]", f"DST={F.INVENTORY_IP} ", f"DPT={F.INVENTORY_PORT} "]),
        "affected": ["firewall", "inventory", "checkout", "gateway"],
        "symptoms": ["upstream inventory timed out", "order failed"],
        "http": {"method": "POST", "path": "/api/checkout", "status": [504]},
        "static_entities": {"dst_ip": F.INVENTORY_IP, "dst_port": F.INVENTORY_PORT,
                            "firewall_host": "inv01"},
        "p_fail": 0.9,
        "questions": ["why is checkout timing out?", "why can't checkout reach inventory?",
                      "what is causing the gateway 504 errors?",
                      "why did inventory stop receiving reservations?"],
    },
    "tls_expired": {
        "title": "Expired TLS certificate of the external payment provider",
        "root": ("checkout", "checkout/checkout.jsonl",
                 "SSL handshake failed with <*> x509: certificate has expired or is not yet "
                 "valid", ["x509: certificate has expired"]),
        "affected": ["checkout", "gateway"],
        "symptoms": ["order failed"],
        "http": {"method": "POST", "path": "/api/checkout", "status": [502]},
        "static_entities": {"peer": F.TLS_PEER},
        "p_fail": 0.9,
        "questions": ["why are checkouts returning 502?", "why is checkout failing?",
                      "what is wrong with the payment provider connection?",
                      "are there any TLS or certificate errors?"],
    },
    "disk_full": {
        "title": "Disk full on the database node db01",
        "root": ("postgres", "postgres/postgresql.log",
                 "could not extend file <*> No space left on device",
                 ["could not extend file", "No space left on device"]),
        "affected": ["postgres", "catalog", "checkout", "gateway"],
        "symptoms": ["failed to persist order", "order failed",
                     "Failed to write thumbnail cache for product <*>"],
        "http": {"method": "POST", "path": "/api/checkout", "status": [500]},
        "static_entities": {"host": F.POSTGRES_HOST},
        "p_fail": 0.8,
        "questions": ["why are orders failing to save?", "why is the database returning errors?",
                      "what does 'No space left on device' affect?",
                      "why did checkout return 500 errors?"],
    },
    "bad_deploy": {
        "title": "Bad deploy of catalog 2.4.1 introduces a NullPointerException",
        "root": ("catalog", "catalog/catalog.log", "Failed to compute price for product <*>",
                 ["Failed to compute price for product"]),
        "affected": ["catalog", "gateway"],
        "symptoms": [],
        "http": {"method": "GET", "path": "/api/products/<*>", "status": [500]},
        "static_entities": {"version": "2.4.1", "previous_version": "2.4.0",
                            "exception": "java.lang.NullPointerException"},
        "p_fail": 0.35,
        "questions": ["why are product pages failing?", "what changed before the catalog errors?",
                      "is there a new exception since the last deploy?",
                      "why is the product API returning 500?"],
    },
}


@dataclass
class Incident:
    """One injected incident; counters are filled while the estate is generated."""

    id: str
    kind: str
    start_ms: int
    end_ms: int
    fail_from_ms: int
    fail_until_ms: int
    p_fail: float
    root_count: int = 0
    root_example: str | None = None
    entities: dict = field(default_factory=dict)
    failed_orders: int = 0
    http_errors: int = 0
    extra: dict = field(default_factory=dict)

    def root_hit(self, msg: str | None, ts: int, entities: dict | None = None) -> None:
        """Record one root-cause record (and the first failing request's entities)."""
        self.root_count += 1
        if self.root_example is None and msg is not None:
            self.root_example = msg
        if entities and not self.entities:
            self.entities = dict(entities)

    def to_dict(self, clock: F.Clock) -> dict:
        meta = META[self.kind] if self.kind in META else EXTRA_META[self.kind]
        svc, path, template, contains = meta["root"]
        out = {
            "id": self.id, "kind": self.kind, "title": meta["title"],
            "start": clock.iso_s(self.start_ms), "end": clock.iso_s(self.end_ms),
            "root_cause": {"service": svc, "file": "logs/" + path, "template": template,
                           "message_example": self.root_example, "records": self.root_count,
                           "line_contains": contains},
            "affected_services": list(meta["affected"]),
            "symptom_templates": list(meta["symptoms"]),
            "http_symptom": dict(meta["http"]),
            "questions": list(meta["questions"]),
            "entities": dict(self.entities, **meta["static_entities"]),
            "impact": {"failed_orders": self.failed_orders, "http_errors": self.http_errors},
        }
        out.update(self.extra)
        return out


def schedule(seed: int, days: int, start_ms: int, extra: bool = False) -> list[Incident]:
    """Deterministic, non-overlapping windows of 12-38 minutes spread across the days.

    With ``extra`` the incidents of :mod:`.extra_incidents` follow, numbered after the
    default five, from a generator of their own: the five keep their windows and ids.
    """
    out = _windows(random.Random(seed * 7919 + 17), SCHEDULE, 5, days, start_ms, META)
    if extra:
        out += _windows(random.Random(seed * 7919 + 29), EXTRA_SCHEDULE, 3, days, start_ms,
                        EXTRA_META, first=len(out) + 1)
    return out


def _windows(rng: random.Random, table, slots: int, days: int, start_ms: int, meta: dict,
             first: int = 1) -> list[Incident]:
    out = []
    for kind, slot, minute in table:
        day = slot * days // slots
        start = (start_ms + day * F.DAY_MS + (minute + rng.randint(0, 20)) * MIN
                 + rng.randint(0, 59_999))
        end = start + rng.randint(12, 38) * MIN + rng.randint(0, 59_999)
        fail_from = start + (20_000 + rng.randint(0, 40_000) if kind == "bad_deploy" else 1)
        out.append(Incident("", kind, start, end, fail_from, end - 12_000,
                            meta[kind]["p_fail"]))
    out.sort(key=lambda i: i.start_ms)
    for n, inc in enumerate(out, first):
        inc.id = f"INC-{n}"
    return out


def tick(inc: Incident, tr, m0: int, m1: int) -> None:
    """Window-level events of ``inc`` that fall in the minute ``[m0, m1)``."""
    if m1 <= inc.start_ms or m0 > inc.end_ms:
        return
    r = tr.r
    kind = inc.kind
    if m0 <= inc.start_ms < m1:
        _open(inc, tr)
    lo, hi = max(m0, inc.start_ms + 1), min(m1, inc.end_ms)
    if kind == "pool_exhaustion":
        t = lo + int(r() * 4000)
        while t < hi:
            msg = ("sorry, too many clients already" if r() < 0.6 else
                   "remaining connection slots are reserved for non-replication "
                   "superuser connections")
            tr.pgl(t, 20000 + int(r() * 40000), FATAL, msg)
            t += 2000 + int(r() * 6000)
    elif kind == "firewall_block":
        # checkout's health probe of inventory, every 10 s from the first checkout node
        t = lo + (10_000 - (lo - inc.start_ms) % 10_000) % 10_000
        while t < hi:
            tr.ufw(t, "BLOCK", F.CHECKOUT_IPS[0], F.INVENTORY_IP, F.INVENTORY_PORT,
                   host="inv01")
            inc.root_hit(None, t)
            t += 10_000
    elif kind == "disk_full":
        t = lo + int(r() * 30_000)
        while t < hi:
            pid = 1000 + int(r() * 4000)
            tr.catl(t, ERROR, "ImageCache", f"Failed to write thumbnail cache for product {pid}",
                    F.IOE_STACK, thread="thumbnail-worker-2")
            t += 20_000 + int(r() * 40_000)
    elif kind in EXTRA_META:
        tick_extra(inc, tr, lo, hi)
    if m0 <= inc.end_ms < m1:
        _close(inc, tr)


def _open(inc: Incident, tr) -> None:
    t = inc.start_ms
    if inc.kind in EXTRA_META:
        open_extra(inc, tr)
    elif inc.kind == "pool_exhaustion":
        msg = "connection pool exhausted pool=payments-db waited_ms=5000"
        tr.j(tr.pay, t, ERROR, "payment", tr.tid(), msg, pool="payments-db", waited_ms=5000,
             job="settlement-batch")
        inc.root_hit(msg, t)
    elif inc.kind == "firewall_block":
        tr.ufw(t, "BLOCK", F.CHECKOUT_IPS[0], F.INVENTORY_IP, F.INVENTORY_PORT, host="inv01")
        # message scope: after the kernel's "[uptime] " stamp, i.e. from "[UFW BLOCK]" on
        inc.root_example = tr.fw[-1][1].split("] ", 1)[1].rstrip("\n")
        inc.root_hit(None, t)
    elif inc.kind == "tls_expired":
        msg = (f"SSL handshake failed with {F.TLS_PEER}: x509: certificate has expired or "
               "is not yet valid")
        tr.j(tr.co, t, ERROR, "checkout", tr.tid(), msg, peer=F.TLS_PEER, probe="provider-health")
        inc.root_hit(msg, t)
    elif inc.kind == "disk_full":
        msg = tr.disk_msg()
        tr.pgl(t, 61, ERROR, msg)
        inc.root_hit(msg, t)
    elif inc.kind == "bad_deploy":
        msg = "Deployed version 2.4.1 (build 8c1f2e7)"
        tr.catl(t, INFO, "Bootstrap", msg, thread="main")
        inc.extra["trigger"] = {"service": "catalog",
                                "template": "Deployed version <*> (build <*>)",
                                "message_example": msg, "at": tr.ck.iso_s(t)}
        inc.extra["new_exception"] = F.NPE_MESSAGE


def _close(inc: Incident, tr) -> None:
    t = inc.end_ms
    if inc.kind in EXTRA_META:
        msg = close_extra(inc, tr)
    elif inc.kind == "pool_exhaustion":
        msg = "connection pool recovered pool=payments-db active=12 idle=8"
        tr.j(tr.pay, t, INFO, "payment", tr.tid(), msg, pool="payments-db")
    elif inc.kind == "firewall_block":
        msg = "connection to inventory restored"
        tr.j(tr.co, t, INFO, "checkout", tr.tid(), msg, upstream="inventory")
    elif inc.kind == "tls_expired":
        msg = f"TLS handshake with {F.TLS_PEER} succeeded after certificate renewal"
        tr.j(tr.co, t, INFO, "checkout", tr.tid(), msg, peer=F.TLS_PEER)
    elif inc.kind == "disk_full":
        msg = "Disk usage on /var/lib/postgresql back to 71%"
        tr.catl(t, INFO, "DiskMonitor", msg, thread="scheduling-1")
    else:
        msg = "Rolled back to version 2.4.0 (build 3b9a0d4)"
        tr.catl(t, INFO, "Bootstrap", msg, thread="main")
    inc.extra["resolution"] = {"message_example": msg, "at": tr.ck.iso_s(t)}
