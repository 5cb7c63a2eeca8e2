"""MySQL, RabbitMQ, notifier and sshd/sudo builders of estate 2, plus the incident edges.

Why split out: keeps each estate module under the size limit; see generate.py for the plan.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from generate import MON, diurnal, pick, poisson

Rec = dict[str, Any]
DB_USERS = [("dispatch", 50, "10.20.1."), ("telemetry", 25, "10.20.2."), ("notifier", 15, "10.20.3."),
            ("reporting", 10, "10.20.5.")]


# ---------------------------------------------------------------- MySQL 8 error log
def mysql(est: Any, t: datetime) -> None:
    rng = est.rng
    if t == est.start:
        est.add("mysql", t + timedelta(seconds=2), "boot", "System", thread=0, code="MY-010116", sub="Server",
                text="/usr/sbin/mysqld (mysqld 8.0.36) starting as process 1")
        est.add("mysql", t + timedelta(seconds=9), "boot", "System", thread=0, code="MY-010931", sub="Server",
                text="/usr/sbin/mysqld: ready for connections. Version: '8.0.36'  socket: "
                     "'/var/run/mysqld/mysqld.sock'  port: 3306  MySQL Community Server - GPL.")
    est.conn_id = getattr(est, "conn_id", 1000) + poisson(rng, 6)
    for _ in range(poisson(rng, 0.07 * (0.5 + diurnal(t.hour)))):
        user, _, net = pick(rng, [((u, w, n), w) for u, w, n in DB_USERS])
        host = net + str(rng.randint(10, 14))
        est.add("mysql", est.at(t), "aborted", "Note", thread=est.conn_id, code="MY-010914", sub="Server",
                user=user, host=host,
                text=f"Aborted connection {est.conn_id} to db: 'fleet' user: '{user}' host: '{host}' "
                     f"(Got an error reading communication packets).")
    if rng.random() < 0.02:
        ip = f"10.20.{pick(rng, [(7, 6), (8, 3), (6, 1)])}.{rng.randint(2, 60)}"
        est.add("mysql", est.at(t), "unresolved", "Warning", thread=est.conn_id, code="MY-010055", sub="Server",
                host=ip, text=f"IP address '{ip}' could not be resolved: Name or service not known")
    if rng.random() < 0.012:
        host = f"10.20.5.{rng.randint(10, 14)}"
        est.add("mysql", est.at(t), "denied", "Note", thread=est.conn_id, code="MY-010926", sub="Server",
                user="reporting", host=host, text=f"Access denied for user 'reporting'@'{host}' (using password: YES)")
    if rng.random() < 0.008 * (0.3 + diurnal(t.hour)):
        ms = rng.randint(4000, 9000)
        est.add("mysql", est.at(t), "page_cleaner", "Note", thread=0, code="MY-011953", sub="InnoDB", took_ms=ms,
                text=f"Page cleaner took {ms}ms to flush {rng.randint(60, 400)} and evict 0 pages")


def r_mysql(r: Rec) -> str:
    t = r["ts"]
    return (f"{t:%Y-%m-%dT%H:%M:%S}.{t.microsecond:06d}Z {r['thread']} [{r['level']}] [{r['code']}] "
            f"[{r['sub']}] {r['text']}")


# ---------------------------------------------------------------- RabbitMQ
MQ_USERS = [("telemetry", 45, "10.20.2."), ("notifier", 35, "10.20.3."), ("dispatch", 20, "10.20.1.")]


def rabbitmq(est: Any, t: datetime) -> None:
    rng = est.rng
    inc = est.active(t)
    lam = 0.1 * (0.5 + diurnal(t.hour)) + (0.6 if inc == "broker_memory_alarm" else 0)
    for _ in range(poisson(rng, lam)):
        user, _, net = pick(rng, [((u, w, n), w) for u, w, n in MQ_USERS])
        pid, ts = est.proc(), est.at(t)
        peer = f"{net}{rng.randint(10, 14)}:{rng.randint(32768, 60999)} -> 10.20.0.30:5672"
        est.add("rabbitmq", ts, "accept", "info", pid=pid, user=user,
                text=f"accepting AMQP connection {pid} ({peer})")
        est.add("rabbitmq", ts + timedelta(milliseconds=rng.randint(3, 30)), "auth", "info", pid=pid, user=user,
                text=f"connection {pid} ({peer}): user '{user}' authenticated and granted access to vhost 'fleet'")
        end = ts + timedelta(seconds=rng.randint(20, 3000))
        if end >= est.end:
            continue
        lost = rng.random() < (0.7 if inc == "broker_memory_alarm" else 0.15)
        est.add("rabbitmq", end, "closed_lost" if lost else "closed", "warning" if lost else "info", pid=pid,
                user=user, text=f"closing AMQP connection {pid} ({peer}, vhost: 'fleet', user: '{user}')"
                                + (": client unexpectedly closed TCP connection" if lost else ""))


def r_rabbitmq(r: Rec) -> str:
    t = r["ts"]
    return f"{t:%Y-%m-%d %H:%M:%S}.{t.microsecond:06d}+00:00 [{r['level']}] {r['pid']} {r['text']}"


# ---------------------------------------------------------------- notifier (Python logging)
CHANNELS = [("push", 50), ("email", 30), ("sms", 20)]
PROVIDERS = {"push": [("fcm", 70), ("apns", 30)], "email": [("ses", 1)], "sms": [("twilio", 65), ("messagebird", 35)]}
TEMPLATES = [("eta_update", 45), ("out_for_delivery", 25), ("delivered", 20), ("failed_attempt", 10)]
FAIL = {"push": "invalid_token", "email": "bounced", "sms": "unreachable_number"}


def notifier(est: Any, t: datetime) -> None:
    rng = est.rng
    inc = est.active(t)
    for _ in range(poisson(rng, 3.0 * diurnal(_hour(t), 15, 4) * (0.55 if t.weekday() >= 5 else 1))):
        ts, sid = est.at(t), est.shipment()
        ch = pick(rng, CHANNELS)
        prov, tpl = pick(rng, PROVIDERS[ch]), pick(rng, TEMPLATES)
        f = {"channel": ch, "provider": prov, "shipment": sid}
        if inc == "db_pool_exhausted" and tpl == "eta_update" and rng.random() < 0.8:
            est.add("notifier", ts, "eta_fetch_failed", "ERROR", logger="notifier.eta", shipment=sid,
                    text=f"ETA fetch failed shipment={sid} status=503 "
                         f"url=http://dispatch-service:8080/api/v1/shipments/{sid}/eta")
            continue
        x = rng.random()
        if x < 0.03:
            why = pick(rng, [("provider_throttled", 70), ("timeout", 30)])
            est.add("notifier", ts, "retry", "WARNING", logger="notifier.send", reason=why, **f,
                    text=f"retrying channel={ch} provider={prov} shipment={sid} attempt={rng.randint(2, 4)} reason={why}")
        elif x < 0.045:
            est.add("notifier", ts, "failed", "ERROR", logger="notifier.send", reason=FAIL[ch], **f,
                    text=f"delivery failed channel={ch} provider={prov} shipment={sid} reason={FAIL[ch]}")
        else:
            lat = int(rng.lognormvariate({"push": 4.2, "email": 5.0, "sms": 5.6}[ch], 0.5))
            est.add("notifier", ts, "sent", "INFO", logger="notifier.send", template=tpl, latency_ms=lat, **f,
                    text=f"sent channel={ch} provider={prov} shipment={sid} template={tpl} latency_ms={lat}")
            if inc == "broker_memory_alarm" and rng.random() < 0.7:
                est.add("notifier", ts + timedelta(milliseconds=rng.randint(5000, 5100)), "receipt_failed", "ERROR",
                        logger="notifier.receipts", shipment=sid,
                        text=f"publish of delivery receipt failed: ConnectionBlockedTimeout() shipment={sid}")
    if t.minute % 5 == 0:
        n = poisson(rng, 15 * diurnal(_hour(t), 15, 4))
        est.add("notifier", t + timedelta(milliseconds=rng.randint(1, 999)), "consumed", "INFO",
                logger="notifier.consumer", text=f"consumed {n} messages from queue=notify.events in "
                                                 f"{rng.uniform(0.05, 2.5):.2f}s")


def _hour(t: datetime) -> float:
    return t.hour + t.minute / 60


def r_notifier(r: Rec) -> str:
    t = r["ts"]
    return f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} - {r['logger']} - {r['level']} - {r['text']}"


# ---------------------------------------------------------------- sshd / sudo
BAD_USERS = [("admin", 30), ("ubuntu", 14), ("test", 12), ("user", 9), ("oracle", 7), ("git", 6), ("pi", 5),
             ("ftpuser", 4), ("guest", 3), ("support", 3), ("hadoop", 2), ("minecraft", 1)]
STAFF = {"alice": 1001, "bogdan": 1002, "chen": 1003, "priya": 1004, "deploy": 1005}
SUDO = [("/usr/bin/systemctl status dispatch-service", 30), ("/usr/bin/journalctl -u rabbitmq-server", 20),
        ("/usr/bin/systemctl restart notifier", 15), ("/usr/bin/tail -n 200 /var/log/mysql/error.log", 15),
        ("/usr/sbin/rabbitmqctl list_queues", 10), ("/usr/bin/df -h", 10)]


def _ssh(est: Any, ts: datetime, pid: int, ev: str, text: str, **f: Any) -> None:
    if ts < est.end:
        est.add("auth", ts, ev, None, prog=f"sshd[{pid}]", text=text, **f)


def auth(est: Any, t: datetime) -> None:
    rng = est.rng
    burst = getattr(est, "burst", None)
    if burst is None:
        d = min(1, est.days - 1)
        est.burst = burst = (est.start + timedelta(days=d, hours=21, minutes=7), "185.220.101.47")
    sessions = poisson(rng, 0.08)
    extra = burst[0] <= t < burst[0] + timedelta(minutes=38)
    for s in range(sessions + (3 if extra else 0)):
        ip = burst[1] if s >= sessions else pick(rng, est.attackers)
        pid, ts = rng.randint(20000, 65000), est.at(t)
        port = rng.randint(30000, 65000)
        for _ in range(1 if extra and s >= sessions else rng.randint(1, 6)):
            user = "root" if (ip == burst[1] or rng.random() < 0.3) else pick(rng, BAD_USERS)
            if user == "root":
                _ssh(est, ts, pid, "failed_root", f"Failed password for root from {ip} port {port} ssh2", ip=ip, user=user)
            else:
                _ssh(est, ts, pid, "invalid_user", f"Invalid user {user} from {ip} port {port}", ip=ip, user=user)
                ts += timedelta(milliseconds=rng.randint(900, 2500))
                _ssh(est, ts, pid, "failed_invalid",
                     f"Failed password for invalid user {user} from {ip} port {port} ssh2", ip=ip, user=user)
            ts += timedelta(milliseconds=rng.randint(1500, 4000))
        kind = "authenticating user root" if user == "root" else f"invalid user {user}"
        _ssh(est, ts, pid, "closed", f"Connection closed by {kind} {ip} port {port} [preauth]", ip=ip)
    if rng.random() < 0.012 * diurnal(_hour(t), 11, 4, 0.05) * (0.3 if t.weekday() >= 5 else 1):
        user = pick(rng, [("alice", 35), ("chen", 25), ("bogdan", 20), ("priya", 12), ("deploy", 8)])
        ip, pid, port, ts = f"10.20.9.{rng.randint(5, 40)}", rng.randint(20000, 65000), rng.randint(40000, 65000), est.at(t)
        fp = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") for _ in range(43))
        _ssh(est, ts, pid, "accepted", f"Accepted publickey for {user} from {ip} port {port} ssh2: ED25519 SHA256:{fp}",
             ip=ip, user=user)
        _ssh(est, ts + timedelta(milliseconds=40), pid, "session_open",
             f"pam_unix(sshd:session): session opened for user {user}(uid={STAFF[user]}) by (uid=0)", user=user)
        for k in range(pick(rng, [(0, 5), (1, 3), (2, 2)])):
            st = ts + timedelta(seconds=rng.randint(10, 900))
            if st < est.end:
                cmd = pick(rng, SUDO)
                est.add("auth", st, "sudo", None, prog="sudo", user=user, command=cmd,
                        text=f"   {user} : TTY=pts/{rng.randint(0, 3)} ; PWD=/srv/ops ; USER=root ; COMMAND={cmd}")
        _ssh(est, ts + timedelta(seconds=rng.randint(960, 5400)), pid, "session_close",
             f"pam_unix(sshd:session): session closed for user {user}", user=user)


def r_auth(r: Rec) -> str:
    t = r["ts"]
    return f"{MON[t.month - 1]} {t.day:2d} {t:%H:%M:%S} bastion01 {r['prog']}: {r['text']}"


# ---------------------------------------------------------------- incident edges
def incident_edges(est: Any, inc: dict[str, Any]) -> None:
    """Lines written once at an incident's start or end (alarms, health checks, disk full)."""
    rng, t0, t1, kind = est.rng, inc["start"], inc["end"], inc["kind"]
    ms = lambda a, b: timedelta(microseconds=rng.randint(a * 1000, b * 1000))  # noqa: E731
    if kind == "db_disk_full":
        n = rng.randint(40, 90)
        t = t0 - ms(2000, 9000)
        while t < t1:
            est.add("mysql", t, "disk_full", "ERROR", thread=rng.randint(8, 40), code="MY-000035", sub="Server",
                    text=f"Disk is full writing './binlog.{n:06d}' (OS errno 28 - No space left on device). "
                         f"Waiting for someone to free space... Retry in 60 secs. Message reprinted in 600 secs.")
            est.add("mysql", t + ms(5, 400), "innodb_write", "ERROR", thread=0, code="MY-012639", sub="InnoDB",
                    text="Write to file ./fleet/shipment_event.ibd failed at offset 1073741824, 16384 bytes should "
                         "have been written, only 0 were written. Operating system error number 28. Check that "
                         "your OS and file system support files of this size. Check also that the disk is not "
                         "full or there is not enough disk space.")
            t += timedelta(seconds=600)
    elif kind == "broker_memory_alarm":
        used = 3435973836 + rng.randint(1, 90000000)
        pid = est.proc()
        est.add("rabbitmq", t0 - ms(500, 1500), "watermark", "warning", pid=pid,
                text=f"vm_memory_high_watermark set. Memory used:{used} allowed:3435973836")
        est.add("rabbitmq", t0 - ms(10, 400), "alarm_set", "warning", pid=pid,
                text="memory resource limit alarm set on node rabbit@mq01.")
        est.add("rabbitmq", t0 - ms(1, 9), "blocked", "warning", pid=pid,
                text="Publishers will be blocked until this alarm clears")
        est.add("rabbitmq", t1 - ms(500, 1500), "watermark_clear", "info", pid=pid,
                text=f"vm_memory_high_watermark clear. Memory used:{3435973836 - rng.randint(10**8, 5 * 10**8)} "
                     f"allowed:3435973836")
        est.add("rabbitmq", t1 - ms(10, 400), "alarm_clear", "info", pid=pid,
                text="memory resource limit alarm cleared on node rabbit@mq01.")
        est.add("telemetry", t0 + ms(50, 900), "blocked", "warn", logger="ingest.amqp", caller="ingest/publish.go:41",
                msg="amqp connection blocked by broker", reason="low on memory")
        est.add("telemetry", t1 + ms(50, 900), "unblocked", "info", logger="ingest.amqp", caller="ingest/publish.go:44",
                msg="amqp connection unblocked")
    elif kind == "db_pool_exhausted":
        for k in range(3):
            est.add("dispatch", t0 - timedelta(seconds=90 - 25 * k) + ms(0, 900), "leak", "WARN",
                    thread="HikariPool-1 housekeeper", logger="com.zaxxer.hikari.pool.ProxyLeakTask",
                    text=f"Connection leak detection triggered for com.mysql.cj.jdbc.ConnectionImpl@"
                         f"{rng.randrange(16**8):08x} on thread scheduling-1, stack trace follows")
    elif kind == "fd_exhaustion":
        for k, fds in enumerate((61200, 63100, 64900)):
            est.add("telemetry", t0 - timedelta(minutes=9 - 4 * k) + ms(0, 900), "fd_high", "warn", logger="ingest",
                    caller="ingest/health.go:77", msg="open file descriptors near limit", fds=fds, limit=65536)
        for k, srv in enumerate(("tel2", "tel4", "tel1")):
            left = 3 - k
            est.add("haproxy", t0 + timedelta(seconds=20 + 40 * k) + ms(0, 900), "health", None, server=srv,
                    text=f"Server be_telemetry/{srv} is DOWN, reason: Layer4 timeout, check duration: 2001ms. "
                         f"{left} active and 0 backup servers left. 0 sessions active, 0 requeued, 0 remaining in queue.")
        for k, srv in enumerate(("tel2", "tel4", "tel1")):
            est.add("haproxy", t1 + timedelta(seconds=5 + 10 * k) + ms(0, 900), "health", None, server=srv,
                    text=f"Server be_telemetry/{srv} is UP, reason: Layer7 check passed, code: 200, check duration: "
                         f"3ms. {2 + k} active and 0 backup servers online. 0 sessions requeued, 0 total in queue.")


SOURCE_MORE = [mysql, rabbitmq, notifier, auth]
RENDER_MORE = {"mysql": r_mysql, "rabbitmq": r_rabbitmq, "notifier": r_notifier, "auth": r_auth}
