"""Normal shop traffic and background noise, plus the request-level effect of incidents.

One HTTP request is simulated end to end: the gateway access line, and for API calls the
records of catalog / checkout / inventory / payment that share one trace id. Background
streams (firewall scans, ssh brute force, PostgreSQL housekeeping, catalog jobs) are drawn
per minute in proportion to traffic, so every normal error type exists at a low rate and
incidents have to be found by contrast. All randomness comes from one seeded ``Random``.
"""

from __future__ import annotations

import random

from . import extra_incidents as X
from . import formats as F
from .formats import DEBUG, ERROR, INFO, WARN

PUBLIC_FIRST_OCTETS = (24, 31, 37, 45, 62, 68, 73, 77, 81, 86, 88, 92, 95, 104, 109, 151,
                       176, 178, 185, 188, 212, 217)
#: application_name of PostgreSQL sessions, aligned with the client hosts below
APPS = ("checkout", "checkout", "checkout", "payment", "payment", "catalog")


class Traffic:
    """Appends events for requests and background noise to the estate's buffers."""

    def __init__(self, estate, clock: F.Clock, seed: int, target_lines: int, incidents) -> None:
        self.ck = clock
        self.rng = random.Random(seed)
        self.r = self.rng.random
        self.bits = self.rng.getrandbits
        self.c = estate.counters
        b = estate.buf
        self.gw, self.co, self.pay = b["gateway"], b["checkout"], b["payment"]
        self.inv, self.pg, self.fw = b["inventory"], b["postgres"], b["firewall"]
        self.auth, self.cat = b["auth"], b["catalog"]
        self.incidents = incidents
        r = self.r
        n_users = max(300, min(20_000, target_lines // 40))
        self.user_ids = [f"u{100000 + i * 7 + int(r() * 7):06d}" for i in range(n_users)]
        self.user_ip = [self._public_ip() for _ in range(n_users)]
        self.user_ua = [F.USER_AGENTS[int(r() * len(F.USER_AGENTS))] for _ in range(n_users)]
        self.scanners = [self._public_ip() for _ in range(300)]
        self.attackers = [self._public_ip() for _ in range(120)]
        self.crawlers = [self._public_ip() for _ in range(16)]
        self.order_seq = 100_000 + seed % 1000 * 1000
        self.boot_ms = clock.start_ms - 3_456_789_000 - int(r() * 10**9)

    # ----------------------------------------------------------------------- helpers
    def _public_ip(self) -> str:
        r = self.r
        return (f"{PUBLIC_FIRST_OCTETS[int(r() * len(PUBLIC_FIRST_OCTETS))]}."
                f"{int(r() * 256)}.{int(r() * 256)}.{1 + int(r() * 254)}")

    def tid(self) -> str:
        return "%032x" % self.bits(128)

    def pick(self, seq):
        return seq[int(self.r() * len(seq))]

    def skewed(self, seq, power: float = 2.5):
        """Zipf-like pick: a few members (top offenders) dominate."""
        return seq[int(len(seq) * self.r() ** power)]

    def j(self, buf: list, ts: int, level: int, svc: str, tid: str, msg: str, **fields) -> None:
        buf.append((ts, F.json_line(self.ck.iso(ts), level, svc, tid, msg, fields), level, 1))

    def http(self, ts: int, ip: str, method: str, path: str, status: int, size: int,
             ua: str, ref: str = "-") -> None:
        sev = F.http_severity(status)
        line = F.nginx_line(self.ck.ngx(ts), ip, method, path, status, size, ref, ua)
        self.gw.append((ts, line, sev, 1))
        day = self.ck.day(ts)
        self.c.http[(day, status)] += 1
        if path == "/api/checkout":
            self.c.http_checkout[(day, status)] += 1

    def pgl(self, ts: int, pid: int, level: int, msg: str) -> None:
        self.pg.append((ts, F.pg_line(self.ck.pg(ts), pid, level, msg), level, 1))

    def ufw(self, ts: int, action: str, src: str, dst: str, dpt: int, host: str = "fw01",
            iface: str = "eth0", spt: int | None = None, proto: str = "TCP") -> None:
        r = self.r
        us = (ts - self.boot_ms) * 1000 + int(r() * 1000)
        mac = "52:54:00:3a:7c:01:52:54:00:9e:21:0f:08:00"
        msg = F.ufw_msg(action, iface, mac, src, dst, 60 if proto == "TCP" else 76,
                        64 if src.startswith("10.") else 40 + int(r() * 20),
                        int(r() * 65535), proto, spt or 32768 + int(r() * 28000), dpt,
                        64240 if src.startswith("10.") else 1024 + int(r() * 64000), "SYN")
        line = F.kernel_line(self.ck.sys(ts), host, f"{us // 1_000_000:5d}.{us % 1_000_000:06d}",
                             msg)
        if action == "BLOCK":
            self.fw.append((ts, line, WARN, 1))
            self.c.fw_src[src] += 1
            self.c.fw_dpt[dpt] += 1
        else:
            self.fw.append((ts, line, INFO, 1))
        self.c.fw_action_day[(self.ck.day(ts), action)] += 1

    def sshd(self, ts: int, pid: int, msg: str, src: str | None = None) -> None:
        self.auth.append((ts, F.syslog_line(self.ck.sys(ts), "web01", "sshd", pid, msg),
                          F.sshd_severity(msg), 1))
        if src is not None and msg.startswith("Failed "):
            self.c.ssh_failed[src] += 1

    def catl(self, ts: int, level: int, logger: str, msg: str, stack: str = "",
             thread: str | None = None) -> None:
        text = F.log4j_line(self.ck.log4j(ts), level, thread or self.pick(F.THREADS),
                            "com.shop.catalog." + logger, msg, stack)
        self.cat.append((ts, text, level, 1 + stack.count("\n")))

    def active(self, kind: str, t0: int):
        """The incident of ``kind`` whose failure window contains ``t0``, if any."""
        for inc in self.incidents:
            if inc.kind == kind and inc.fail_from_ms <= t0 < inc.fail_until_ms:
                return inc
        return None

    # ---------------------------------------------------------------------- requests
    def request(self, t0: int) -> None:
        r = self.r
        x = r()
        u = int(len(self.user_ids) * r() ** 1.3)
        ip, ua = self.user_ip[u], self.user_ua[u]
        dur = 2 + int(r() ** 3 * 400)
        if x < 0.20:
            path = ("/", f"/category/{self.pick(F.CATEGORIES)}",
                    f"/product/{1000 + int(r() ** 1.5 * 4000)}")[int(r() * 3)]
            self.http(t0 + dur, ip, "GET", path, 200, 8000 + int(r() * 30000), ua,
                      self.pick(F.REFERERS))
        elif x < 0.40:
            path = self.pick(F.STATIC)
            if r() < 0.3:
                self.http(t0 + 1, ip, "GET", path, 304, 0, ua, "https://shop.example.com/")
            else:
                self.http(t0 + dur // 4, ip, "GET", path, 200, F.STATIC_SIZES[path],
                          ua, "https://shop.example.com/")
        elif x < 0.64:
            self.product(t0, u, ip, ua, dur)
        elif x < 0.74:
            cat = self.pick(F.CATEGORIES)
            page = 1 + int(r() ** 2 * 6)
            n = 24 if r() < 0.9 else int(r() * 24)
            self.catl(t0 + dur - 1, INFO, "CategoryController",
                      f"Listed {n} products in category {cat} page {page} in {dur}ms")
            self.http(t0 + dur, ip, "GET", f"/api/products?category={cat}&page={page}", 200,
                      900 + n * 410, ua, "https://shop.example.com/category/" + cat)
        elif x < 0.83:
            self.cart_add(t0, u, ip, ua)
        elif x < 0.88:
            self.http(t0 + dur // 3, ip, "GET", "/api/cart", 200, 300 + int(r() * 2000), ua,
                      "https://shop.example.com/cart")
        elif x < 0.935:
            self.checkout(t0, u, ip, ua)
        elif x < 0.955:
            ok = r() < 0.92
            self.http(t0 + 30 + dur // 4, ip, "POST", "/api/login", 200 if ok else 401,
                      412 if ok else 96, ua, "https://shop.example.com/login")
        elif x < 0.975:
            bot = self.pick(F.BOT_AGENTS[:2])
            y = r()
            status = 200 if y < 0.85 else 301 if y < 0.93 else 404
            path = f"/product/{1000 + int(r() * 6000)}"
            self.http(t0 + dur, self.pick(self.crawlers), "GET", path, status,
                      0 if status == 301 else 9000 + int(r() * 20000), bot)
        elif x < 0.985:
            y = r()
            status = 404 if y < 0.85 else 403 if y < 0.95 else 400
            self.http(t0 + 1, self.skewed(self.scanners), "GET" if y < 0.9 else "POST",
                      self.pick(F.SCAN_PATHS), status, 153 if status == 404 else 146,
                      self.pick(F.BOT_AGENTS[2:]))
        else:
            q = self.pick(("boots", "rain+jacket", "backpack", "sneakers", "scarf", "gloves"))
            hits = int(r() * 200)
            self.catl(t0 + dur - 1, INFO, "SearchController",
                      f"Search query={q} hits={hits} took {dur}ms")
            self.http(t0 + dur, ip, "GET", f"/api/search?q={q}", 200, 700 + hits * 37, ua)

    def product(self, t0: int, u: int, ip: str, ua: str, dur: int) -> None:
        r = self.r
        pid = 1000 + int(r() ** 1.5 * 4000)
        path = f"/api/products/{pid}"
        ref = f"https://shop.example.com/product/{pid}"
        inc = self.active("bad_deploy", t0)
        if inc is not None and r() < inc.p_fail:
            ts = t0 + 3 + int(r() * 20)
            msg = f"Failed to compute price for product {pid}"
            self.catl(ts, ERROR, "ProductService", msg, F.NPE_STACK)
            inc.root_hit(msg, ts, {"product_id": pid, "user_id": self.user_ids[u],
                                   "client_ip": ip})
            self.http(ts + 2, ip, "GET", path, 500, 169, ua, ref)
            inc.http_errors += 1
            return
        inc = self.active("heap_pressure", t0)
        if inc is not None and r() < inc.p_fail:
            X.product_timeout(self, inc, t0, u, ip, ua, path, ref, pid)
            return
        y = r()
        if y < 0.0005:
            ts = t0 + dur
            self.catl(ts, ERROR, "ProductService", f"Failed to load product {pid}",
                      F.ISE_STACK_HEAD.format(pid=pid) + F.ISE_STACK_BODY)
            self.http(ts + 1, ip, "GET", path, 500, 169, ua, ref)
        elif y < 0.003:
            self.http(t0 + dur + 5000, ip, "GET", path, 499, 0, ua, ref)
        elif y < 0.012:
            self.catl(t0 + 2, WARN, "ProductController", f"Product {pid} not found")
            self.http(t0 + 3, ip, "GET", path, 404, 58, ua, ref)
        elif y < 0.55:
            self.catl(t0 + 1, DEBUG, "CacheManager", f"Cache hit for product {pid}")
            self.http(t0 + 2 + dur // 20, ip, "GET", path, 200, 2100 + pid % 900, ua, ref)
        else:
            self.catl(t0 + dur - 1, INFO, "ProductController",
                      f"Served product {pid} in {dur}ms")
            self.http(t0 + dur, ip, "GET", path, 200, 2100 + pid % 900, ua, ref)

    def cart_add(self, t0: int, u: int, ip: str, ua: str) -> None:
        r = self.r
        tid, sku = self.tid(), f"SKU-{10000 + int(r() ** 1.5 * 4000)}"
        d = 2 + int(r() ** 2 * 40)
        inc = self.active("stock_feed_outage", t0)
        if inc is not None and r() < inc.p_fail:
            status = X.cart_out_of_stock(self, inc, t0, d, tid, sku, self.user_ids[u])
            self.http(t0 + d + 3, ip, "POST", "/api/cart/items", status, 87, ua,
                      "https://shop.example.com/cart")
            return
        if r() < 0.02:
            self.j(self.inv, t0 + d, WARN, "inventory", tid, "out of stock", sku=sku,
                   user_id=self.user_ids[u], duration_ms=d)
            self.http(t0 + d + 3, ip, "POST", "/api/cart/items", 409, 87, ua,
                      "https://shop.example.com/cart")
            return
        self.j(self.inv, t0 + d, INFO, "inventory", tid, "stock checked", sku=sku,
               available=1 + int(r() * 300), duration_ms=d)
        self.http(t0 + d + 3, ip, "POST", "/api/cart/items", 201, 240, ua,
                  "https://shop.example.com/cart")

    def checkout(self, t0: int, u: int, ip: str, ua: str) -> None:
        """The traced request path: gateway -> checkout -> inventory, payment, postgres."""
        r, j, co = self.r, self.j, self.co
        tid, uid = self.tid(), self.user_ids[u]
        self.order_seq += 1
        oid = f"ORD-{self.order_seq}"
        items = 1 + int(r() ** 2 * 5)
        amount = round(9.99 + r() ** 2 * 400 * items, 2)
        ref = "https://shop.example.com/cart"
        t = t0 + 1 + int(r() * 3)
        j(co, t, INFO, "checkout", tid, "checkout started", order_id=oid, user_id=uid,
          items=items, amount=amount, currency="EUR")
        chk_ip = F.CHECKOUT_IPS[self.order_seq % 3]
        ents = {"order_id": oid, "user_id": uid, "trace_id": tid, "client_ip": ip}

        def fail(ts: int, reason: str, status: int, inc, level: int = ERROR) -> None:
            j(co, ts, level, "checkout", tid, "order failed", order_id=oid, user_id=uid,
              reason=reason)
            self.http(ts + 2, ip, "POST", "/api/checkout", status, 64, ua, ref)
            self.c.orders[(self.ck.day(ts), reason)] += 1
            self.c.order_users[self.ck.day(ts)].add(u)
            if inc is not None:
                inc.failed_orders += 1
                inc.http_errors += 1

        inc = self.active("firewall_block", t0)
        if inc is not None and r() < inc.p_fail:
            spt = 40000 + int(r() * 20000)
            for k, delay in enumerate((2, 1003, 3004)):
                self.ufw(t + delay, "BLOCK", chk_ip, F.INVENTORY_IP, F.INVENTORY_PORT,
                         host="inv01", spt=spt)
                inc.root_hit(None, t + delay, dict(ents, src_ip=chk_ip))
            te = t + 3010
            j(co, te, ERROR, "checkout", tid, "upstream inventory timed out",
              order_id=oid, upstream="inventory", timeout_ms=3000)
            fail(te + 1, "inventory_timeout", 504, inc)
            return
        t += 3 + int(r() ** 2 * 30)
        j(self.inv, t, INFO, "inventory", tid, "stock reserved", order_id=oid,
          sku=f"SKU-{10000 + int(r() ** 1.5 * 4000)}", qty=items, duration_ms=t - t0)
        if r() < 0.3:
            j(self.inv, t + 1, DEBUG, "inventory", tid, "reservation cache updated",
              order_id=oid)
        inc = self.active("tls_expired", t0)
        if inc is not None and r() < inc.p_fail:
            t += 20 + int(r() * 60)
            msg = (f"SSL handshake failed with {F.TLS_PEER}: x509: certificate has expired or "
                   "is not yet valid")
            j(co, t, ERROR, "checkout", tid, msg, order_id=oid, peer=F.TLS_PEER)
            inc.root_hit(msg, t, ents)
            fail(t + 1, "provider_tls_error", 502, inc)
            return
        inc = self.active("pool_exhaustion", t0)
        if inc is not None and r() < inc.p_fail:
            waited = 5000 + int(r() * 40)
            t += waited
            msg = f"connection pool exhausted pool=payments-db waited_ms={waited}"
            j(self.pay, t, ERROR, "payment", tid, msg, order_id=oid, pool="payments-db",
              waited_ms=waited)
            inc.root_hit(msg, t, ents)
            j(co, t + 2, ERROR, "checkout", tid, "payment service returned 503",
              order_id=oid, upstream="payment", status=503)
            fail(t + 3, "payment_unavailable", 503, inc)
            return
        t += 2 + int(r() * 6)
        j(self.pay, t, DEBUG, "payment", tid, "fraud score computed", order_id=oid,
          score=round(r() ** 3, 3))
        pd = 80 + int(r() ** 2 * 900)
        t += pd
        provider = F.PROVIDERS[0] if r() < 0.8 else F.PROVIDERS[1]
        if r() < 0.04:
            reason = self.pick(F.DECLINE_REASONS)
            j(self.pay, t, WARN, "payment", tid, "payment declined", order_id=oid,
              provider=provider, reason=reason, duration_ms=pd)
            fail(t + 2, "payment_declined", 402, None, level=WARN)
            return
        if r() < 0.01:
            j(self.pay, t - pd // 2, WARN, "payment", tid, "provider slow, retrying",
              order_id=oid, provider=provider, attempt=2)
        j(self.pay, t, INFO, "payment", tid, "payment authorized", order_id=oid,
          amount=amount, currency="EUR", provider=provider, duration_ms=pd)
        inc = self.active("db_lock", t0)
        if inc is not None and r() < inc.p_fail:
            X.checkout_db_lock(self, inc, t, oid, tid, fail)
            return
        inc = self.active("disk_full", t0)
        if inc is not None and r() < inc.p_fail:
            t += 4
            msg = self.disk_msg()
            self.pgl(t, 20000 + int(r() * 40000), ERROR, msg)
            inc.root_hit(msg, t, dict(ents, host=F.POSTGRES_HOST))
            j(co, t + 2, ERROR, "checkout", tid, "failed to persist order", order_id=oid,
              db="orders", error="could not extend file: No space left on device")
            fail(t + 3, "db_write_error", 500, inc)
            return
        if r() < 0.002:
            self.pgl(t + 3, 20000 + int(r() * 40000), ERROR,
                     'duplicate key value violates unique constraint "orders_pkey"')
            j(co, t + 5, WARN, "checkout", tid, "order insert conflict, retrying",
              order_id=oid, db="orders")
        t += 5 + int(r() * 20)
        j(co, t, INFO, "checkout", tid, "order placed", order_id=oid, user_id=uid,
          amount=amount, duration_ms=t - t0)
        self.c.orders[(self.ck.day(t), "placed")] += 1
        self.c.order_users[self.ck.day(t)].add(u)
        self.http(t + 2, ip, "POST", "/api/checkout", 201, 212, ua, ref)

    def disk_msg(self) -> str:
        seg = int(self.r() * 4)
        return (f'could not extend file "base/16384/2461{seg}.{1 + seg}": '
                "No space left on device")

    # -------------------------------------------------------------------- background
    def background(self, m0: int, base: float, span: int = 60_000) -> None:
        """Per-minute noise proportional to the minute's budget ``base`` (in lines)."""
        r = self.r
        n = int(base * 0.05 + r())
        for _ in range(n):
            ts = m0 + int(r() * span)
            y = r()
            if y < 0.62:
                dpt = (22, 23, 3389, 445, 5900, 1433, 8080, 6379, 9200, 21)[int(r() ** 2 * 10)]
                self.ufw(ts, "BLOCK", self.skewed(self.scanners), F.GATEWAY_IP, dpt)
            elif y < 0.9:
                self.ufw(ts, "ALLOW", self.pick(self.user_ip), F.GATEWAY_IP, 443)
            else:
                self.ufw(ts, "ALLOW", self.pick(F.CHECKOUT_IPS + F.PAYMENT_IPS), F.POSTGRES_IP,
                         5432, iface="eth1")
        budget = base * 0.02 - r() * 3.0
        while budget > 0:
            budget -= self.ssh_session(m0 + int(r() * (span - 6000)))
        n = int(base * 0.025 + r())
        for _ in range(n):
            self.pg_connection(m0 + int(r() * (span - 1500)))
        if (m0 // 60000) % 5 == 0:
            self.pg_checkpoint(m0 + 1500 + int(r() * 500))
        for _ in range(int(base * 0.008 + r())):
            ts = m0 + int(r() * span)
            y = r()
            pid = 20000 + int(r() * 40000)
            if y < 0.7:
                ms = 1000 + r() ** 2 * 9000
                table = self.pick(F.TABLES)
                self.pgl(ts, pid, INFO, f"duration: {ms:.3f} ms  statement: SELECT * FROM "
                         f"{table} WHERE id = ANY($1) ORDER BY updated_at DESC LIMIT 50")
            elif y < 0.95:
                self.pgl(ts, pid, INFO, f"automatic vacuum of table \"shop.public."
                         f"{self.pick(F.TABLES)}\": index scans: {int(r() * 3)}")
            elif y < 0.985:
                self.pgl(ts, pid, ERROR, "canceling statement due to statement timeout")
            else:
                self.pgl(ts, pid, WARN, "there is no transaction in progress")
        for _ in range(int(base * 0.01 + r())):
            ts = m0 + int(r() * span)
            y = r()
            if y < 0.5:
                self.catl(ts, INFO, "PriceCache", f"Refreshed {int(200 + r() * 3000)} prices in "
                          f"{int(20 + r() * 300)}ms", thread="scheduling-1")
            elif y < 0.8:
                self.j(self.inv, ts, INFO, "inventory", self.tid(), "stock sync completed",
                       skus=int(1000 + r() * 3000), duration_ms=int(50 + r() * 900))
            elif y < 0.93:
                self.j(self.pay, ts, INFO, "payment", self.tid(), "settlement batch sent",
                       provider=self.pick(F.PROVIDERS), payments=int(r() * 80))
            elif y < 0.98:
                self.catl(ts, WARN, "GcMonitor", f"GC pause of {int(250 + r() * 700)}ms "
                          "exceeded threshold 200ms", thread="gc-monitor")
            else:
                self.j(self.inv, ts, WARN, "inventory", self.tid(), "low stock",
                       sku=f"SKU-{10000 + int(r() * 4000)}", available=int(r() * 5))

    def ssh_session(self, ts: int) -> int:
        """One sshd conversation; returns the number of lines written."""
        r = self.r
        pid = 1000 + int(r() * 60000)
        port = 1024 + int(r() * 64000)
        y = r()
        if y < 0.75:
            src = self.skewed(self.attackers)
            user = self.pick(F.SSH_BAD_USERS)
            n = 1 + int(r() * 3)
            if r() < 0.5:
                self.sshd(ts, pid, f"Invalid user {user} from {src} port {port}")
                for k in range(n):
                    self.sshd(ts + 400 + k * 2100, pid, f"Failed password for invalid user "
                              f"{user} from {src} port {port} ssh2", src)
                self.sshd(ts + 500 + n * 2100, pid, f"Disconnected from invalid user {user} "
                          f"{src} port {port} [preauth]")
                return n + 2
            user = "root"
            for k in range(n):
                self.sshd(ts + 300 + k * 2100, pid, f"Failed password for {user} from {src} "
                          f"port {port} ssh2", src)
            self.sshd(ts + 400 + n * 2100, pid, f"Connection closed by authenticating user "
                      f"{user} {src} port {port} [preauth]")
            return n + 1
        user = self.pick(F.SSH_GOOD_USERS)
        src = "10.0.0." + str(5 + int(r() * 4))
        self.sshd(ts, pid, f"Accepted publickey for {user} from {src} port {port} ssh2: "
                  f"{self.pick(F.SSH_KEYS)}")
        self.sshd(ts + 15, pid, f"pam_unix(sshd:session): session opened for user {user}"
                  f"(uid={1000 + F.SSH_GOOD_USERS.index(user)}) by (uid=0)")
        later = ts + 2000 + int(r() * 3000)
        self.sshd(later, pid, f"Disconnected from user {user} {src} port {port}")
        self.sshd(later + 3, pid, f"pam_unix(sshd:session): session closed for user {user}")
        return 4

    def pg_connection(self, ts: int) -> None:
        r = self.r
        pid = 20000 + int(r() * 40000)
        k = int(r() * 6)
        src, app = (F.CHECKOUT_IPS + F.PAYMENT_IPS + (F.CATALOG_IP,))[k], APPS[k]
        port = 30000 + int(r() * 30000)
        self.pgl(ts, pid, INFO, f"connection received: host={src} port={port}")
        self.pgl(ts + 2, pid, INFO, "connection authorized: user=shop database=shop "
                 "application_name=" + app)
        dur = 500 + int(r() * 900)
        self.pgl(ts + dur, pid, INFO, f"disconnection: session time: 0:00:{dur // 1000:02d}."
                 f"{dur % 1000:03d} user=shop database=shop host={src} port={port}")

    def pg_checkpoint(self, ts: int) -> None:
        r = self.r
        bufs = 200 + int(r() * 3000)
        self.pgl(ts, 61, INFO, "checkpoint starting: time")
        w = 20 + int(r() * 200)
        self.pgl(ts + w * 10, 61, INFO, f"checkpoint complete: wrote {bufs} buffers "
                 f"({bufs / 163.84:.1f}%); 0 WAL file(s) added, 0 removed, 1 recycled; "
                 f"write={w / 100:.3f} s, sync=0.004 s, total={w / 100 + 0.01:.3f} s")

