"""Optional incidents whose root cause sits in a service the symptom does not name.

The five default incidents mostly show their root cause in the service a user would ask
about. These three do not: a lock on the orders table in the database shows up as
checkout timeouts at the gateway, a failing supplier feed in inventory shows up as
customers unable to add to their cart, and a JVM heap problem in the catalog shows up
only as gateway 504s on product pages (the catalog writes nothing for those requests).
A why-engine that ranks only the services a question names cannot find them.

They are injected only with ``generate(..., extra_incidents=True)``: the plain estate
stays byte-identical. Their schedule uses its own seeded generator, and their times of
day (early hours, evening, morning) never overlap the default five.
"""

from __future__ import annotations

from . import formats as F
from .formats import ERROR, INFO, WARN

MIN = 60_000

# kind, slot (spread over the days in thirds), minute of day before jitter
EXTRA_SCHEDULE = (("stock_feed_outage", 0, 2 * 60 + 40), ("db_lock", 1, 20 * 60 + 30),
                  ("heap_pressure", 2, 7 * 60 + 25))

DB_LOCK_MSG = 'could not obtain lock on relation "orders"'
FEED_MSG = "stock sync failed: supplier feed returned 503"

EXTRA_META: dict[str, dict] = {
    "db_lock": {
        "title": "Long-running migration locks the orders table in the database",
        "root": ("postgres", "postgres/postgresql.log", DB_LOCK_MSG, [DB_LOCK_MSG]),
        "symptom_service": "gateway",
        "affected": ["postgres", "checkout", "gateway"],
        "symptoms": ["database timeout while saving order", "order failed"],
        "http": {"method": "POST", "path": "/api/checkout", "status": [504]},
        "static_entities": {"host": F.POSTGRES_HOST, "table": "orders"},
        "p_fail": 0.75,
        "questions": ["why are checkouts timing out?", "why did orders fail in the evening?",
                      "what is behind the 504 errors on checkout?"],
    },
    "stock_feed_outage": {
        "title": "Supplier stock feed fails, inventory marks items out of stock",
        "root": ("inventory", "inventory/inventory.jsonl", FEED_MSG, [FEED_MSG]),
        "symptom_service": "gateway",
        "affected": ["inventory", "gateway"],
        "symptoms": ["out of stock"],
        "http": {"method": "POST", "path": "/api/cart/items", "status": [409]},
        "static_entities": {"feed": "supplier-a"},
        "p_fail": 0.9,
        "questions": ["why can't customers add items to their cart?",
                      "why are there so many 409 responses?",
                      "what explains the cart errors in the early hours?"],
    },
    "heap_pressure": {
        "title": "Catalog JVM heap nearly full, product requests time out at the gateway",
        "root": ("catalog", "catalog/catalog.log",
                 "Full GC took <*> heap <*> of 4096MB still in use",
                 ["Full GC took", "of 4096MB still in use"]),
        "symptom_service": "gateway",
        "affected": ["catalog", "gateway"],
        "symptoms": [],
        "http": {"method": "GET", "path": "/api/products/<*>", "status": [504]},
        "static_entities": {"heap_max_mb": 4096},
        "p_fail": 0.45,
        "questions": ["why are product pages timing out?",
                      "why did the gateway return 504 for products?",
                      "what made product pages slow this morning?"],
    },
}


def gc_msg(tr) -> str:
    r = tr.r
    return (f"Full GC took {int(1800 + r() * 2400)}ms heap {int(3900 + r() * 180)}MB "
            "of 4096MB still in use")


def open_extra(inc, tr) -> None:
    """The root-cause record at exactly ``start``."""
    t = inc.start_ms
    if inc.kind == "db_lock":
        tr.pgl(t, 4711, ERROR, DB_LOCK_MSG)
        inc.root_hit(DB_LOCK_MSG, t)
    elif inc.kind == "stock_feed_outage":
        tr.j(tr.inv, t, ERROR, "inventory", tr.tid(), FEED_MSG, feed="supplier-a", status=503)
        inc.root_hit(FEED_MSG, t)
    elif inc.kind == "heap_pressure":
        msg = gc_msg(tr)
        tr.catl(t, ERROR, "GcMonitor", msg, thread="gc-monitor")
        inc.root_hit(msg, t)
    inc.extra["symptom_service"] = EXTRA_META[inc.kind]["symptom_service"]


def tick_extra(inc, tr, lo: int, hi: int) -> None:
    """Window-level events in ``[lo, hi)`` (the root cause keeps recurring)."""
    r = tr.r
    if inc.kind == "db_lock":
        t = lo + int(r() * 20_000)
        while t < hi:
            tr.pgl(t, 20000 + int(r() * 40000), INFO,
                   f"process {20000 + int(r() * 40000)} still waiting for RowExclusiveLock on "
                   f"relation 16411 of database 16384 after {1000 + r() * 4:.3f} ms")
            t += 15_000 + int(r() * 30_000)
    elif inc.kind == "stock_feed_outage":
        t = lo + int(r() * 30_000)
        while t < hi:
            tr.j(tr.inv, t, ERROR, "inventory", tr.tid(), FEED_MSG, feed="supplier-a",
                 status=503)
            inc.root_hit(FEED_MSG, t)
            t += 30_000 + int(r() * 30_000)
    elif inc.kind == "heap_pressure":
        t = lo + int(r() * 15_000)
        while t < hi:
            msg = gc_msg(tr)
            tr.catl(t, ERROR, "GcMonitor", msg, thread="gc-monitor")
            inc.root_hit(msg, t)
            t += 10_000 + int(r() * 12_000)


def close_extra(inc, tr) -> str:
    """The recovery record at ``end``; returns its message."""
    t = inc.end_ms
    if inc.kind == "db_lock":
        msg = 'lock on relation "orders" released: migration finished'
        tr.pgl(t, 4711, INFO, msg)
    elif inc.kind == "stock_feed_outage":
        msg = "stock sync recovered"
        tr.j(tr.inv, t, INFO, "inventory", tr.tid(), msg, feed="supplier-a")
    else:
        msg = "Heap usage back to 1730MB of 4096MB after cache eviction"
        tr.catl(t, INFO, "GcMonitor", msg, thread="gc-monitor")
    return msg


# ------------------------------------------------------------------ request-level effects
def checkout_db_lock(tr, inc, t: int, oid: str, tid: str, fail) -> None:
    """A checkout whose order insert waits for the lock, then gives up."""
    r = tr.r
    ts = t + 5000 + int(r() * 20)
    tr.pgl(ts, 20000 + int(r() * 40000), ERROR, DB_LOCK_MSG)
    inc.root_hit(DB_LOCK_MSG, ts)
    tr.j(tr.co, ts + 2, ERROR, "checkout", tid, "database timeout while saving order",
         order_id=oid, db="orders", timeout_ms=5000)
    fail(ts + 3, "db_timeout", 504, inc)


def cart_out_of_stock(tr, inc, t0: int, d: int, tid: str, sku: str, uid: str) -> int:
    """The inventory's answer while the feed is down; returns the gateway status."""
    tr.j(tr.inv, t0 + d, WARN, "inventory", tid, "out of stock", sku=sku, user_id=uid,
         duration_ms=d)
    inc.http_errors += 1
    if not inc.entities:
        inc.entities = {"sku": sku, "user_id": uid}
    return 409


def product_timeout(tr, inc, t0: int, u: int, ip: str, ua: str, path: str, ref: str,
                    pid: int) -> None:
    """The gateway gives up on the catalog after 10 s; the catalog writes nothing."""
    tr.http(t0 + 10_000, ip, "GET", path, 504, 167, ua, ref)
    inc.http_errors += 1
    if not inc.entities:
        inc.entities = {"product_id": pid, "user_id": tr.user_ids[u], "client_ip": ip}
