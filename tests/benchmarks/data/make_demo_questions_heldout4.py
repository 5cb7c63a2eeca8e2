"""Held-out question set 4 for LogPilot's plain-English parser, computed blind.

Estate: `logpilot demo-data --out ESTATE --days 4 --seed 23 --start 2024-08-12`
(generator used only as a black box through its CLI). Answers come only from the raw files,
read by the independent reader tests/data/blind_estate.py (crosschecked against the
generator's counters) plus this script's own regexes over message text.
Usage: python tests/benchmarks/data/make_demo_questions_heldout4.py ESTATE  -> writes demo_questions_heldout4.json beside it
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
from blind_estate import crosscheck, parse_estate  # noqa: E402

ROOT = Path(sys.argv[1] if len(sys.argv) > 1 else "estate")
OUT = Path(__file__).with_name("demo_questions_heldout4.json")
UTC = dt.timezone.utc
NOW = dt.datetime(2024, 8, 16, 8, 30, tzinfo=UTC)  # Friday morning, after the estate ends
MON, TUE, WED, THU = (dt.date(2024, 8, d) for d in (12, 13, 14, 15))
ERR = ("ERROR", "FATAL")
H = dt.timedelta(hours=1)


def T(d: dt.date, h: int = 0, m: int = 0) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=UTC) + dt.timedelta(hours=h, minutes=m)


def within(r, lo, hi) -> bool:
    return lo <= r.ts < hi


def on(r, d: dt.date) -> bool:
    return r.ts.date() == d


def pct(vals, q):
    """Linear interpolation, as DuckDB quantile_cont / numpy default."""
    v = sorted(vals)
    pos = (len(v) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def top(counter: Counter, n: int, reverse=False):
    items = sorted(counter.items(), key=lambda kv: (kv[1], kv[0]) if reverse else (-kv[1], kv[0]))
    if len(items) > n:
        assert items[n - 1][1] != items[n][1], f"tie at cut: {items[:n + 1]}"
    vals = [c for _, c in items[:n]]
    assert len(set(vals)) == len(vals), f"tie inside top: {items[:n]}"
    return [[k, c] for k, c in items[:n]]


def argmax(counter: Counter):
    (k1, c1), (k2, c2) = counter.most_common(2)
    assert c1 != c2, "tie for first"
    return k1


def hour_iso(ts: dt.datetime) -> str:
    return ts.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00:00Z")


def sec_iso(ts: dt.datetime) -> str:
    assert ts.microsecond == 0, "first/last-seen answers only from second-resolution sources"
    return ts.strftime("%Y-%m-%dT%H:%M:%SZ")


SSH_FAIL_USER = re.compile(r"^Failed password for (?:invalid user )?(\S+) from (\S+) port \d+")
SERVED = re.compile(r"^Served product \d+ in (\d+)ms$")
LISTED = re.compile(r"^Listed \d+ products in category (\S+) page \d+ in \d+ms$")
NOT_FOUND = re.compile(r"^Product (\d+) not found$")
PG_DUR = re.compile(r"^duration: ([\d.]+) ms  statement: ")
INVALID = re.compile(r"^Invalid user (\S+) from ")


def build(recs) -> list[dict]:
    qs: list[dict] = []

    def q(kind, text, answer, notes):
        qs.append({"id": f"t-{len(qs) + 1:03d}", "kind": kind, "question": text,
                   "answer": answer, "notes": notes})

    def scalar(v, tol=None):
        a = {"type": "scalar", "value": v}
        if tol is not None:
            a["tolerance"] = tol
        return a

    def value(v):
        return {"type": "value", "value": v}

    def rows(cols, rs, ordered):
        return {"type": "rows", "columns": cols, "rows": rs, "ordered": ordered}

    n = lambda it: sum(1 for _ in it)  # noqa: E731
    gw = [r for r in recs if r.svc == "gateway"]
    co = [r for r in recs if r.svc == "checkout"]
    pay = [r for r in recs if r.svc == "payment"]
    inv = [r for r in recs if r.svc == "inventory"]
    cat = [r for r in recs if r.svc == "catalog"]
    pg = [r for r in recs if r.svc == "postgres"]
    ssh = [r for r in recs if r.svc == "sshd"]
    fw = [r for r in recs if r.svc == "firewall"]
    fw_block = [r for r in fw if r.f["action"] == "BLOCK"]
    ssh_fail = [r for r in ssh if r.msg.startswith("Failed password")]
    assert all(SSH_FAIL_USER.match(r.msg) for r in ssh_fail)
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    declined = [r for r in pay if r.msg == "payment declined"]
    authorized = [r for r in pay if r.msg == "payment authorized"]
    last24 = (NOW - 24 * H, NOW)
    last48 = (NOW - 48 * H, NOW)
    last72 = (NOW - 72 * H, NOW)

    # ------------------------------------------------------------------ counts
    q("count", "how many 404s has the gateway served in the past seventy-two hours?",
      scalar(n(r for r in gw if r.f["status"] == 404 and within(r, *last72))),
      "nginx status 404 in [2024-08-13T08:30Z, 2024-08-16T08:30Z)")
    q("count", "Count of catalog 'product not found' warnings the day before yesterday?",
      scalar(n(r for r in cat if NOT_FOUND.match(r.msg) and on(r, WED))),
      "now=2024-08-16T08:30Z so day before yesterday=2024-08-14; catalog msg 'Product <id> not found'")
    q("count", "How many payments were declined yesterday between 9am and noon?",
      scalar(n(r for r in declined if within(r, T(THU, 9), T(THU, 12)))),
      "payment msg 'payment declined' in [2024-08-15T09:00Z, 12:00Z)")
    q("count", "how many times did the ops account log in successfully over ssh?",
      scalar(n(r for r in ssh if r.msg.startswith("Accepted publickey for ops from"))),
      "sshd 'Accepted publickey for ops from ...' lines, all time (publickey is the only accepted method)")
    q("count", "Tally up the requests to /wp-login.php across the whole estate.",
      scalar(n(r for r in gw if r.f["path"] == "/wp-login.php")),
      "nginx request path exactly /wp-login.php, all time, any method/status")
    q("count", "How many orders has customer u100006 placed in total?",
      scalar(n(r for r in placed if r.f["user_id"] == "u100006")),
      "checkout 'order placed' with user_id u100006, all time")
    # ------------------------------------------------------------------ distinct counts
    users = {INVALID.match(r.msg)[1] for r in ssh if INVALID.match(r.msg)}
    users2 = {SSH_FAIL_USER.match(r.msg)[1] for r in ssh_fail if "invalid user" in r.msg}
    assert users == users2
    q("distinct_count", "How many different non-existent usernames did people try on ssh?",
      scalar(len(users)),
      "distinct X in sshd 'Invalid user X from' lines (same set as 'Failed password for invalid user X'), all time")
    q("distinct_count", "how many unique client IPs did the gateway see on Tuesday",
      scalar(len({r.f["ip"] for r in gw if on(r, TUE)})),
      "distinct nginx client IP on 2024-08-13")
    q("distinct_count", "How many distinct product IDs did the catalog fail to find over the four days?",
      scalar(len({NOT_FOUND.match(r.msg)[1] for r in cat if NOT_FOUND.match(r.msg)})),
      "distinct <id> in catalog 'Product <id> not found', all time")
    q("distinct_count", "In the last 24 hours, how many distinct source addresses got blocked on port 22?",
      scalar(len({r.f["SRC"] for r in fw_block if r.f["DPT"] == "22" and within(r, *last24)})),
      "distinct SRC of [UFW BLOCK] with DPT=22 in [2024-08-15T08:30Z, 2024-08-16T08:30Z)")

    # ------------------------------------------------------------------ top / bottom N
    q("top_n", "top five client IPs by number of requests to the gateway, overall",
      rows(["ip", "requests"], top(Counter(r.f["ip"] for r in gw), 5), True),
      "nginx records grouped by client IP, all time, descending")
    q("top_n", "What are the three most common reasons orders failed at checkout?",
      rows(["reason", "orders"], top(Counter(r.f["reason"] for r in failed), 3), True),
      "checkout 'order failed' (warn and error levels) grouped by field reason, all time")
    q("top_n", "Which three product categories did the catalog list most often?",
      rows(["category", "listings"], top(Counter(LISTED.match(r.msg)[1] for r in cat
                                                  if LISTED.match(r.msg)), 3), True),
      "catalog 'Listed N products in category <c> page P in Tms' grouped by <c>, all time")
    q("top_n", "SSH brute force: the 3 usernames most targeted by failed password attempts, with counts",
      rows(["user", "attempts"], top(Counter(SSH_FAIL_USER.match(r.msg)[1] for r in ssh_fail), 3), True),
      "sshd 'Failed password for [invalid user ]<u> from' grouped by <u>, all time")
    q("bottom_n", "Which three HTTP status codes turned up least often in the gateway logs?",
      rows(["status", "requests"], top(Counter(r.f["status"] for r in gw), 3, reverse=True), True),
      "nginx status code counts ascending, all time, first three (codes that occur at least once)")

    # ------------------------------------------------------------------ group by
    c = Counter(r.f["host"] for r in ssh + fw)
    q("group_by", "How many lines did each host contribute to the syslog-format logs (auth.log and the firewall syslog)?",
      rows(["host", "lines"], [[k, v] for k, v in sorted(c.items())], False),
      "records of logs/auth/auth.log and logs/firewall/syslog grouped by the syslog hostname field")
    c = Counter(r.svc for r in recs if r.sev == "WARN" and on(r, THU))
    q("group_by", "warnings per service yesterday",
      rows(["service", "warnings"], [[k, v] for k, v in sorted(c.items())], False),
      "severity WARN on 2024-08-15 grouped by service (services with zero omitted)")
    c = Counter(r.f["status"] for r in gw if 400 <= r.f["status"] < 500 and on(r, TUE))
    q("group_by", "Break Tuesday's 4xx responses on the gateway down by status code.",
      rows(["status", "requests"], [[k, v] for k, v in sorted(c.items())], False),
      "nginx 400<=status<500 on 2024-08-13 grouped by status")

    # ------------------------------------------------------------------ argmax
    q("argmax", "During which hour on Thursday did the gateway throw the most 5xx errors?",
      value(argmax(Counter(hour_iso(r.ts) for r in gw if r.f["status"] >= 500 and on(r, THU)))),
      "status>=500 on 2024-08-15 bucketed by hour start; the argmax, ISO hour start")
    q("argmax", "which IP address was the busiest gateway client on Wednesday?",
      value(argmax(Counter(r.f["ip"] for r in gw if on(r, WED)))),
      "nginx records on 2024-08-14 grouped by client IP; the argmax")
    q("argmax", "Leaving sshd aside, which service logged the most errors on Tuesday?",
      value(argmax(Counter(r.svc for r in recs if r.sev in ERR and on(r, TUE) and r.svc != "sshd"))),
      "ERROR+FATAL on 2024-08-13 grouped by service, sshd excluded; the argmax")

    # ------------------------------------------------------------------ numeric aggregates
    v = [int(SERVED.match(r.msg)[1]) for r in cat if SERVED.match(r.msg)]
    q("average", "On average, how long did the catalog take to serve a product (the 'Served product ... in Nms' lines)?",
      scalar(round(sum(v) / len(v), 4), 0.01),
      "mean of N in catalog 'Served product <id> in Nms', all time, ms")
    v = [r.f["items"] for r in co if r.msg == "checkout started" and on(r, THU)]
    q("average", "average number of items per checkout started yesterday",
      scalar(round(sum(v) / len(v), 4), 0.001), "mean items of checkout 'checkout started' on 2024-08-15")
    v = [float(PG_DUR.match(r.msg)[1]) for r in pg if PG_DUR.match(r.msg)]
    q("percentile", "What's the p90 of the statement durations Postgres logged, in milliseconds?",
      scalar(round(pct(v, 0.90), 4), 0.05),
      "quantile_cont 0.90 of X in postgres 'duration: X ms  statement: ...' lines, all time")
    v = [r.f["size"] for r in gw if r.f["status"] == 200 and on(r, TUE)]
    q("percentile", "median body size in bytes of the gateway's 200 OK responses on Tuesday",
      scalar(round(pct(v, 0.5), 4), 0.5), "quantile_cont 0.5 of nginx bytes, status 200, 2024-08-13")
    v = [r.f["duration_ms"] for r in authorized if within(r, *last48)]
    q("percentile", "95th percentile payment authorization time (duration_ms) over the last forty-eight hours?",
      scalar(round(pct(v, 0.95), 4), 0.5),
      "quantile_cont 0.95 of duration_ms, payment 'payment authorized', [2024-08-14T08:30Z, 2024-08-16T08:30Z)")
    q("max", "When the payments DB pool ran dry, what was the longest wait (waited_ms) anyone hit?",
      scalar(max(r.f["waited_ms"] for r in pay if "waited_ms" in r.f)),
      "max waited_ms of payment 'connection pool exhausted' records, all time")
    q("min", "cheapest order placed on Tuesday — what was the amount?",
      scalar(min(r.f["amount"] for r in placed if on(r, TUE)), 0.005),
      "min amount of checkout 'order placed' on 2024-08-13")
    q("sum", "How many bytes did the gateway send in total on Thursday?",
      scalar(sum(r.f["size"] for r in gw if on(r, THU))),
      "sum of nginx body bytes on 2024-08-15")

    # ------------------------------------------------------------------ shares
    q("share", "What fraction of the failed SSH password attempts were aimed at root?",
      scalar(round(n(r for r in ssh_fail if SSH_FAIL_USER.match(r.msg)[1] == "root")
                   / len(ssh_fail), 6), 0.0001),
      "'Failed password for root' / all 'Failed password' sshd lines, all time")
    mon = [r for r in fw if on(r, MON)]
    q("share", "On Monday, what proportion of firewall log entries were blocks?",
      scalar(round(n(r for r in mon if r.f["action"] == "BLOCK") / len(mon), 6), 0.0001),
      "[UFW BLOCK] / all UFW lines (BLOCK+ALLOW, all firewall hosts) on 2024-08-12")
    thu = [r for r in gw if on(r, THU)]
    q("share", "What share of yesterday's gateway traffic was POST requests?",
      scalar(round(n(r for r in thu if r.f["method"] == "POST") / len(thu), 6), 0.0001),
      "POST / all nginx requests on 2024-08-15")

    # ------------------------------------------------------------------ breakdowns
    c = Counter(hour_iso(r.ts) for r in ssh_fail if within(r, T(WED, 0), T(WED, 4)))
    assert len(c) == 4
    q("per_hour", "Show failed ssh logins hour by hour for Wednesday from midnight to 4 am.",
      rows(["hour", "failed_logins"], sorted([k, v] for k, v in c.items()), True),
      "'Failed password' sshd lines in [2024-08-14T00:00Z, 04:00Z) by hour start")
    c = Counter(r.ts.date().isoformat() for r in fw_block)
    q("per_day", "daily totals of firewall blocks, please",
      rows(["day", "blocks"], sorted([k, v] for k, v in c.items()), True),
      "[UFW BLOCK] by UTC day, all firewall hosts")
    c = Counter(r.ts.strftime("%A") for r in declined)
    q("per_weekday", "payment declines split by day of week",
      rows(["weekday", "declines"], [[k, v] for k, v in c.items()], False),
      "payment 'payment declined' grouped by weekday name (Mon 12 .. Thu 15 Aug)")

    # ------------------------------------------------------------------ comparisons
    f = Counter(r.ts.date() for r in failed)
    q("compare_days", "How many more failed orders were there on Monday than on Wednesday? (Monday minus Wednesday)",
      scalar(f[MON] - f[WED]), "checkout 'order failed' count 2024-08-12 minus 2024-08-14 (may be negative)")
    a = n(r for r in gw if r.f["status"] >= 500 and within(r, *last24))
    b = n(r for r in gw if r.f["status"] >= 500 and within(r, NOW - 48 * H, NOW - 24 * H))
    q("compare_periods", "Ratio of gateway 5xx in the last 24 hours to the 24 hours before that?",
      scalar(round(a / b, 6), 0.001),
      "status>=500 in [2024-08-15T08:30Z, 2024-08-16T08:30Z) / in [2024-08-14T08:30Z, 2024-08-15T08:30Z)")

    # ------------------------------------------------------------------ first / last seen
    q("first_seen", "When did 86.44.180.250 first fail an SSH login?",
      value(sec_iso(min(r.ts for r in ssh_fail if SSH_FAIL_USER.match(r.msg)[2] == "86.44.180.250"))),
      "earliest 'Failed password ... from 86.44.180.250' sshd line, ISO UTC to the second")
    q("last_seen", "when was the last time the gateway returned a 504?",
      value(sec_iso(max(r.ts for r in gw if r.f["status"] == 504))),
      "latest nginx status 504, ISO UTC to the second")
    q("first_seen", "What time did the firewall on host inv01 log its first block?",
      value(sec_iso(min(r.ts for r in fw_block if r.f["host"] == "inv01"))),
      "earliest [UFW BLOCK] line with syslog hostname inv01, ISO UTC to the second")
    return qs


def main() -> int:
    truth = json.loads((ROOT / "ground_truth.json").read_text(encoding="utf-8"))
    assert (truth["days"], truth["seed"], truth["start"][:10]) == (4, 23, "2024-08-12")
    recs = parse_estate(ROOT)
    crosscheck(recs, truth)
    assert max(r.ts for r in recs) < NOW
    qs = build(recs)
    doc = {
        "doc": "Held-out set 4: quantitative questions over `logpilot demo-data --days 4 --seed 23 "
               "--start 2024-08-12`, written blind to the parser. Conventions: all times UTC; 'now' is "
               "the stated now (Friday 2024-08-16T08:30Z, after the estate ends); ranges half-open "
               "[lo, hi); 'yesterday' = 2024-08-15, 'day before yesterday' = 2024-08-14; 'last N hours' = "
               "[now - N h, now); weekdays: 2024-08-12 Monday, 08-13 Tuesday, 08-14 Wednesday, 08-15 "
               "Thursday; morning = 06:00-12:00, afternoon = 12:00-18:00, evening = 18:00-24:00; "
               "severities as the generator's conventions (gateway status>=500 ERROR, >=400 WARN; "
               "[UFW BLOCK] WARN; sshd lines with failed/invalid ERROR; postgres LOG/WARNING as INFO/WARN; "
               "JSON level field; Log4j level); errors = ERROR+FATAL; warnings = WARN; failed SSH logins = sshd 'Failed password' lines; "
               "firewall blocks = [UFW BLOCK] lines; 5xx = status>=500; percentiles by linear "
               "interpolation (DuckDB quantile_cont); shares and ratios as fractions (0..1 for shares); "
               "hour buckets as ISO hour starts; first/last-seen as ISO timestamps to the second; "
               "rows with ordered=false compare as sets. Answers computed from the raw files by "
               "tests/data/blind_estate.py's reader (crosschecked with the generator counts) plus "
               "message regexes; script tests/benchmarks/data/make_demo_questions_heldout4.py.",
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "estate": {"days": 4, "seed": 23, "start": "2024-08-12"},
        "questions": qs,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(len(qs), dict(Counter(x["kind"] for x in qs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
