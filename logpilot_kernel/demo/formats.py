"""Line formats of the demo estate: time tables, static vocabularies, line builders.

Generating tens of millions of lines in pure Python only works if a line costs a few
string concatenations. So every time prefix is precomputed once per minute of the span
(``Clock``) and per-line work is an index into a table plus an f-string. The builders
here are also used with ``<*>`` as arguments to derive the Drain-style templates written
to the ground truth, so a template can never drift from the text it describes.
"""

from __future__ import annotations

import datetime as dt
import json

# Normalised severities as small ints (index into SEVERITIES).
TRACE, DEBUG, INFO, WARN, ERROR, FATAL = range(6)
SEVERITIES: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
S2 = [f"{i:02d}" for i in range(60)]
MS3 = [f"{i:03d}" for i in range(1000)]

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000


class Clock:
    """Timestamp renderers for every format, O(1) per call via per-minute tables.

    Times are integer milliseconds since the Unix epoch (UTC). The tables cover the span
    plus a spare hour so that events spilling past the last minute still render.
    """

    def __init__(self, start: dt.date, days: int) -> None:
        t0 = dt.datetime(start.year, start.month, start.day, tzinfo=dt.timezone.utc)
        self.start_dt = t0
        self.start_ms = int(t0.timestamp()) * 1000
        self.end_ms = self.start_ms + days * DAY_MS
        minutes = days * 1440 + 60
        self._iso: list[str] = []
        self._ngx: list[str] = []
        self._pg: list[str] = []
        self._sys: list[str] = []
        d = t0
        step = dt.timedelta(minutes=1)
        for _ in range(minutes):
            ymd = f"{d.year:04d}-{d.month:02d}-{d.day:02d}"
            hm = f"{d.hour:02d}:{d.minute:02d}:"
            mon = MONTHS[d.month - 1]
            self._iso.append(f"{ymd}T{hm}")
            self._pg.append(f"{ymd} {hm}")
            self._ngx.append(f"{d.day:02d}/{mon}/{d.year:04d}:{hm}")
            self._sys.append(f"{mon} {d.day:2d} {hm}")
            d += step

    def iso(self, ts: int) -> str:
        """``2024-05-30T10:00:00.123Z`` (JSON services)."""
        i = ts - self.start_ms
        return self._iso[i // MINUTE_MS] + S2[(i // 1000) % 60] + "." + MS3[i % 1000] + "Z"

    def ngx(self, ts: int) -> str:
        """``30/May/2024:10:00:00 +0000`` (nginx $time_local, second precision)."""
        i = ts - self.start_ms
        return self._ngx[i // MINUTE_MS] + S2[(i // 1000) % 60] + " +0000"

    def pg(self, ts: int) -> str:
        """``2024-05-30 10:00:00.123 UTC`` (PostgreSQL %m)."""
        i = ts - self.start_ms
        return self._pg[i // MINUTE_MS] + S2[(i // 1000) % 60] + "." + MS3[i % 1000] + " UTC"

    def log4j(self, ts: int) -> str:
        """``2024-05-30 10:00:00,123`` (Log4j %d{yyyy-MM-dd HH:mm:ss,SSS})."""
        i = ts - self.start_ms
        return self._pg[i // MINUTE_MS] + S2[(i // 1000) % 60] + "," + MS3[i % 1000]

    def sys(self, ts: int) -> str:
        """``Jun  1 10:00:00`` (RFC 3164: no year, space-padded day)."""
        i = ts - self.start_ms
        return self._sys[i // MINUTE_MS] + S2[(i // 1000) % 60]

    def day(self, ts: int) -> int:
        """Index of the UTC day of ``ts`` since the start."""
        return (ts - self.start_ms) // DAY_MS

    def iso_s(self, ts: int) -> str:
        """Second-precision ISO with Z, for ground-truth windows."""
        return dt.datetime.fromtimestamp(ts / 1000, dt.timezone.utc).strftime(
            "%Y-%m-%dT%H:%M:%S.") + MS3[ts % 1000] + "Z"


# --------------------------------------------------------------------------- builders

def _jv(v: object) -> str:
    if isinstance(v, str):
        if '"' in v or "\\" in v:
            return json.dumps(v)
        return '"' + v + '"'
    if isinstance(v, bool):
        return "true" if v else "false"
    return repr(v)


JSON_LEVEL = {DEBUG: "debug", INFO: "info", WARN: "warn", ERROR: "error"}


def json_line(iso: str, level: int, service: str, trace_id: str, msg: str,
              fields: dict[str, object]) -> str:
    """One JSON-lines record; fields keep insertion order so output is deterministic."""
    extra = "".join(f',"{k}":{_jv(v)}' for k, v in fields.items())
    return (f'{{"ts":"{iso}","level":"{JSON_LEVEL[level]}","service":"{service}",'
            f'"trace_id":"{trace_id}","msg":{_jv(msg)}{extra}}}\n')


def nginx_line(stamp: str, ip: str, method: str, path: str, status: int, size: int,
               referer: str, ua: str) -> str:
    """nginx ``combined`` log format, nothing appended."""
    return f'{ip} - - [{stamp}] "{method} {path} HTTP/1.1" {status} {size} "{referer}" "{ua}"\n'


def http_severity(status: int) -> int:
    """Gateway convention: >=500 ERROR, >=400 WARN, else INFO."""
    return ERROR if status >= 500 else WARN if status >= 400 else INFO


PG_LEVEL = {INFO: "LOG", WARN: "WARNING", ERROR: "ERROR", FATAL: "FATAL"}


def pg_line(stamp: str, pid: int, level: int, msg: str) -> str:
    """PostgreSQL stderr, log_line_prefix '%m [%p] ', two spaces after the level colon."""
    return f"{stamp} [{pid}] {PG_LEVEL[level]}:  {msg}\n"


def ufw_msg(action: str, iface: str, mac: str, src: str, dst: str, length: object,
            ttl: object, ident: object, proto: str, spt: object, dpt: object,
            window: object, flags: str) -> str:
    """The part of a UFW kernel line after the uptime stamp."""
    if proto == "TCP":
        tail = f"PROTO=TCP SPT={spt} DPT={dpt} WINDOW={window} RES=0x00 {flags} URGP=0"
    else:
        tail = f"PROTO=UDP SPT={spt} DPT={dpt} LEN={length}"
    df = "DF " if proto == "TCP" else ""
    return (f"[UFW {action}] IN={iface} OUT= MAC={mac} SRC={src} DST={dst} LEN={length} "
            f"TOS=0x00 PREC=0x00 TTL={ttl} ID={ident} {df}{tail}")


def kernel_line(stamp: str, host: str, uptime: str, msg: str) -> str:
    """RFC 3164 kernel line as written by rsyslog: ``May 30 10:00:00 fw01 kernel: [..] ..``."""
    return f"{stamp} {host} kernel: [{uptime}] {msg}\n"


def syslog_line(stamp: str, host: str, prog: str, pid: int, msg: str) -> str:
    """RFC 3164 program line: ``May 30 10:00:00 web01 sshd[2231]: msg``."""
    return f"{stamp} {host} {prog}[{pid}]: {msg}\n"


def sshd_severity(msg: str) -> int:
    """Syslog has no level: failed/invalid/error/denied/refused -> ERROR, warn/block -> WARN."""
    low = msg.lower()
    for w in ("failed", "invalid", "error", "denied", "refused"):
        if w in low:
            return ERROR
    if "warn" in low or "block" in low:
        return WARN
    return INFO


L4J_LEVEL = {DEBUG: "DEBUG", INFO: "INFO ", WARN: "WARN ", ERROR: "ERROR"}


def log4j_line(stamp: str, level: int, thread: str, logger: str, msg: str,
               stack: str = "") -> str:
    """Log4j ``%d %-5p [%t] %c - %m%n``; ``stack`` is the continuation block (with newlines)."""
    return f"{stamp} {L4J_LEVEL[level]} [{thread}] {logger} - {msg}\n{stack}"


# ------------------------------------------------------------------------ vocabularies

USER_AGENTS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4.1 Safari/605.1.15",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.6367.179 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:125.0) Gecko/20100101 Firefox/125.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0.0.0 Safari/537.36 Edg/124.0.2478.80",
    "Mozilla/5.0 (iPad; CPU OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1",
    "ShopApp/3.12.0 (Android 13; SM-S911B)",
    "ShopApp/3.12.0 (iOS 17.5; iPhone15,2)",
)
BOT_AGENTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "python-requests/2.31.0",
    "curl/8.5.0",
    "Mozilla/5.0 zgrab/0.x",
)
SCAN_PATHS = ("/wp-login.php", "/.env", "/phpmyadmin/index.php", "/admin/config.php",
              "/.git/config", "/cgi-bin/luci", "/xmlrpc.php", "/vendor/phpunit/eval-stdin.php",
              "/actuator/health", "/server-status")
CATEGORIES = ("shoes", "jackets", "bags", "accessories", "kids", "outdoor", "sale",
              "new-in", "sport", "home")
REFERERS = ("-", "https://shop.example.com/", "https://www.google.com/",
            "https://shop.example.com/cart", "https://shop.example.com/category/shoes",
            "https://www.bing.com/", "https://shop.example.com/search?q=boots")
STATIC = ("/static/js/app.4f3c2a.js", "/static/css/main.9b1d7e.css", "/static/img/logo.svg",
          "/favicon.ico", "/static/js/vendor.77aa01.js", "/static/fonts/inter.woff2")
STATIC_SIZES = dict(zip(STATIC, (184_233, 61_870, 4_112, 15_086, 402_977, 48_256)))
PROVIDERS = ("paybridge", "cardstream")
DECLINE_REASONS = ("insufficient_funds", "card_declined", "expired_card", "do_not_honor")
THREADS = tuple(f"http-nio-8080-exec-{i}" for i in range(1, 41))
SSH_BAD_USERS = ("admin", "test", "oracle", "ubuntu", "pi", "git", "postgres", "user",
                 "ftpuser", "support", "guest", "administrator", "ansible", "jenkins")
SSH_GOOD_USERS = ("deploy", "ops", "backup")
# Fixed key fingerprints, chosen to contain none of the severity keywords.
SSH_KEYS = ("ED25519 SHA256:q3M7nZxYpT1kLa9cVbR2sHd5fGj8wKe4uNo6iPz0yXc",
            "RSA SHA256:Zk2PmQv8xTn4LbC7sYa1hJd9fRg3uWe5oKi6nVz0qEc",
            "ED25519 SHA256:Hp5LxT8mQa2sVn7bKc4yRd1fZg9jWu3eNo6iMz0tYq")
TABLES = ("orders", "order_items", "payments", "stock", "carts", "products")

# Hosts of the estate (all internal addresses are RFC 1918, public ones documentation ranges).
GATEWAY_IP = "10.0.1.5"
CHECKOUT_IPS = ("10.0.1.20", "10.0.1.21", "10.0.1.22")
INVENTORY_IP = "10.0.1.30"
INVENTORY_PORT = 8081
PAYMENT_IPS = ("10.0.1.40", "10.0.1.41")
CATALOG_IP = "10.0.1.50"
POSTGRES_IP = "10.0.2.15"
POSTGRES_HOST = "db01"
TLS_PEER = "api.paybridge.example:443"

NPE_MESSAGE = ('java.lang.NullPointerException: Cannot invoke "com.shop.catalog.Price.amount()" '
               'because "price" is null')

FRAMES_TAIL = (
    "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)\n"
    "\tat jakarta.servlet.http.HttpServlet.service(HttpServlet.java:658)\n"
    "\tat org.apache.catalina.core.ApplicationFilterChain.doFilter(ApplicationFilterChain.java:"
    "174)\n"
    "\tat org.apache.tomcat.util.threads.TaskThread$WrappingRunnable.run(TaskThread.java:61)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)\n"
)
NPE_STACK = (
    NPE_MESSAGE + "\n"
    "\tat com.shop.catalog.PriceFormatter.format(PriceFormatter.java:42)\n"
    "\tat com.shop.catalog.ProductService.toView(ProductService.java:131)\n"
    "\tat com.shop.catalog.ProductController.get(ProductController.java:57)\n"
    + FRAMES_TAIL
)
ISE_STACK_HEAD = "java.lang.IllegalStateException: Product {pid} has no active variant\n"
ISE_STACK_BODY = (
    "\tat com.shop.catalog.ProductService.load(ProductService.java:118)\n"
    "\tat com.shop.catalog.ProductController.get(ProductController.java:57)\n"
    + FRAMES_TAIL +
    "Caused by: com.shop.catalog.VariantNotFoundException: no active variant in repository\n"
    "\tat com.shop.catalog.VariantRepository.active(VariantRepository.java:74)\n"
    "\tat com.shop.catalog.ProductService.load(ProductService.java:112)\n"
    "\t... 12 more\n"
)
IOE_STACK = (
    "java.io.IOException: No space left on device\n"
    "\tat java.base/java.io.FileOutputStream.writeBytes(Native Method)\n"
    "\tat java.base/java.io.FileOutputStream.write(FileOutputStream.java:367)\n"
    "\tat com.shop.catalog.ImageCache.store(ImageCache.java:88)\n"
    "\tat com.shop.catalog.ImageCache.thumbnail(ImageCache.java:61)\n"
    "\tat com.shop.catalog.ThumbnailJob.run(ThumbnailJob.java:33)\n"
    "\tat java.base/java.util.concurrent.ThreadPoolExecutor.runWorker(ThreadPoolExecutor.java:"
    "1144)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:1583)\n"
)
