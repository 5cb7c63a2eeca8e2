"""Write questions_blind.json and why_questions_blind.json from a freshly generated demo estate.

The questions were written as an SRE would ask them, without looking at how LogPilot's
parser or why-engine read anything. Every expected answer is computed here from the raw
files of the estate, parsed by this script's own regexes (and, for incidents, from the
generator's ground_truth.json); nothing goes through LogPilot's SQL or parser.

Words a seeded rename changes are written as placeholders (``{svc:checkout}``,
``{key:order_id}``, ``{val:BLOCK}``, ``{word:orders}``); ``logpilot_kernel.demo.render_question``
fills them for the plain estate (their own text) or for a renamed one (``renames`` of its
ground truth), and ``render_answer`` does the same for expected answers.

    python tests/data/make_questions_blind.py            # rewrites both files beside this one
    python tests/data/make_questions_blind.py --check    # exits 1 if they would change
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the sibling modules, however this script is started

from blind_estate import PARTS, Rec, crosscheck, parse_estate  # noqa: E402
from blind_why import why_questions  # noqa: E402

from logpilot_kernel.demo import generate  # noqa: E402

ESTATE = {"days": 3, "seed": 7, "start": "2024-05-30"}

# ----------------------------------------------------------------------------- helpers
def day(d: int) -> dt.date:
    return dt.date(2024, 5, 30) + dt.timedelta(days=d)


def on(r: Rec, d: int) -> bool:
    return r.ts.date() == day(d)


def hours(r: Rec, lo: int, hi: int) -> bool:
    return lo <= r.ts.hour < hi


def pct(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (numpy's default, DuckDB quantile_cont)."""
    v = sorted(values)
    k = (len(v) - 1) * q
    f = math.floor(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def scalar(v, tol: float | None = None) -> dict:
    a = {"type": "scalar", "value": v}
    return (a, tol)


def value(v: str) -> tuple:
    return ({"type": "value", "value": v}, None)


def rows(columns: list[str], rs: list[list], ordered: bool) -> tuple:
    return ({"type": "rows", "columns": columns, "rows": rs, "ordered": ordered}, None)


def ranked(counter: Counter, n: int) -> bool:
    """Whether the order of a top-N is defined (no two of its counts are equal)."""
    vals = [v for _k, v in counter.most_common(n)]
    return len(set(vals)) == len(vals)


def top(counter: Counter, n: int) -> list[list]:
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    # a tie at the cut would make the top-N ambiguous: the set avoids such questions
    if len(items) > n and items[n - 1][1] == items[n][1]:
        raise SystemExit(f"tie at the cut of a top-{n}: {items[n - 1]} {items[n]}")
    return [[k, v] for k, v in items[:n]]


def toprows(columns: list[str], counter: Counter, n: int) -> tuple:
    """A top-N answer; ordered unless two of its counts tie (then compared as a set)."""
    return rows(columns, top(counter, n), ranked(counter, n))


def argmax(counter: Counter) -> str:
    (k1, v1), (k2, v2) = counter.most_common(2)
    if v1 == v2:
        raise SystemExit(f"tie for the maximum: {k1} {k2}")
    return k1


SVC = {s: "{svc:%s}" % s for s in ("gateway", "checkout", "payment", "inventory", "postgres",
                                   "firewall", "sshd", "catalog")}


# --------------------------------------------------------------------------- questions
def quantitative(recs: list[Rec]) -> list[dict]:
    """(question, answer, reading) triples; each answer computed from ``recs`` only."""
    by = defaultdict(list)
    for r in recs:
        by[r.svc].append(r)
    gw, co, pay, inv = by["gateway"], by["checkout"], by["payment"], by["inventory"]
    pg, fw, ssh, cat = by["postgres"], by["firewall"], by["sshd"], by["catalog"]
    blocks = [r for r in fw if r.f["action"] == "BLOCK"]
    failed_pw = [r for r in ssh if r.msg.startswith("Failed password")]
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    declined = [r for r in pay if r.msg == "payment declined"]
    authorized = [r for r in pay if r.msg == "payment authorized"]
    qs: list[tuple[str, tuple, str]] = []

    def q(text: str, ans: tuple, reading: str) -> None:
        qs.append((text, ans, reading))

    def n(it) -> int:
        return sum(1 for _ in it)

    # ---- plain counts, varied verbs and dates
    q("How many requests did the {svc:gateway} serve on 31 May?",
      scalar(n(r for r in gw if on(r, 1))), "count of gateway records on 2024-05-31")
    q("How many 5xx responses came out of the {svc:gateway} on June 1st?",
      scalar(n(r for r in gw if on(r, 2) and r.f["status"] >= 500)),
      "gateway records with status >= 500 on 2024-06-01")
    q("how many 404s were there in total?",
      scalar(n(r for r in gw if r.f["status"] == 404)), "gateway records with status 404")
    q("How many packets did the {svc:firewall} block over the whole period?",
      scalar(len(blocks)), "firewall records with action BLOCK")
    q("how many connection attempts to port 22 were dropped?",
      scalar(n(r for r in blocks if r.f["DPT"] == "22")),
      "firewall BLOCK records with destination port 22")
    q("How many {val:BLOCK} events did the {svc:firewall} log between 13:00 and 16:00 on 30 May?",
      scalar(n(r for r in blocks if on(r, 0) and hours(r, 13, 16))),
      "firewall BLOCK records in [13:00, 16:00) on 2024-05-30")
    q("how many packets were denied on Friday?",
      scalar(n(r for r in blocks if on(r, 1))), "firewall BLOCK records on 2024-05-31 (Friday)")
    q("How many {word:orders} were {word:placed} on the 30th of May?",
      scalar(n(r for r in placed if on(r, 0))), "checkout 'order placed' records on 2024-05-30")
    q("how many {word:orders} failed on Friday",
      scalar(n(r for r in failed if on(r, 1))), "checkout 'order failed' records on 2024-05-31")
    q("How many {word:orders} failed in total?", scalar(len(failed)),
      "checkout 'order failed' records")
    q("How many {word:payments} were declined on 2024-06-01?",
      scalar(n(r for r in declined if on(r, 2))),
      "payment 'payment declined' records on 2024-06-01")
    q("How many failed password attempts did {svc:sshd} log on Saturday?",
      scalar(n(r for r in failed_pw if on(r, 2))),
      "sshd records starting 'Failed password' on 2024-06-01 (Saturday)")
    by_ip = Counter(re.search(r" from (\S+) port", r.msg)[1] for r in failed_pw)
    q("how many failed ssh logins came from {ip}?".format(ip=argmax(by_ip)),
      scalar(by_ip.most_common(1)[0][1]),
      "sshd 'Failed password' records from the most frequent source IP")
    q("How many FATAL messages did {svc:postgres} log?",
      scalar(n(r for r in pg if r.sev == "FATAL")),
      "postgres records with severity FATAL")
    q("how many records did {svc:catalog} write on 30 May?",
      scalar(n(r for r in cat if on(r, 0))),
      "catalog records (a Log4j record is the header line plus its stack trace) on 2024-05-30")
    q("How many ERROR records did {svc:catalog} log in the 14:00 hour on June 1st?",
      scalar(n(r for r in cat if on(r, 2) and r.sev == "ERROR" and hours(r, 14, 15))),
      "catalog ERROR records in [14:00, 15:00) on 2024-06-01")
    q("how many warnings did {svc:inventory} log before noon on 30 May?",
      scalar(n(r for r in inv if on(r, 0) and r.sev == "WARN" and r.ts.hour < 12)),
      "inventory WARN records in [00:00, 12:00) on 2024-05-30")
    q("In the early hours of June 1st, how many requests did the {svc:gateway} get?",
      scalar(n(r for r in gw if on(r, 2) and hours(r, *PARTS["early hours"]))),
      "gateway records in [00:00, 06:00) on 2024-06-01")
    q("how many errors did the {svc:gateway} log on the afternoon of 31 May?",
      scalar(n(r for r in gw if on(r, 1) and r.sev == "ERROR" and hours(r, 12, 18))),
      "gateway ERROR records (status >= 500) in [12:00, 18:00) on 2024-05-31")
    q("How many {svc:gateway} requests were there between 1pm and 4pm on 1 June?",
      scalar(n(r for r in gw if on(r, 2) and hours(r, 13, 16))),
      "gateway records in [13:00, 16:00) on 2024-06-01")
    q("how many requests did the {svc:gateway} handle after 18:00 on May 31st?",
      scalar(n(r for r in gw if on(r, 1) and r.ts.hour >= 18)),
      "gateway records in [18:00, 24:00) on 2024-05-31")
    q("How many requests did Googlebot make?",
      scalar(n(r for r in gw if "Googlebot" in r.f["ua"])),
      "gateway records whose user agent contains 'Googlebot'")
    q("how many POST requests to /api/login got a 401?",
      scalar(n(r for r in gw if r.f["method"] == "POST" and r.f["path"] == "/api/login"
               and r.f["status"] == 401)), "gateway POST /api/login with status 401")
    q("How many times did scanners hit /wp-login.php?",
      scalar(n(r for r in gw if r.f["path"] == "/wp-login.php")),
      "gateway records with path /wp-login.php")
    q("how many 504s did customers get from /api/{svc:checkout}?",
      scalar(n(r for r in gw if r.f["path"] == "/api/checkout" and r.f["status"] == 504)),
      "gateway records for /api/checkout with status 504")
    q("How many 499 responses were logged on Thursday?",
      scalar(n(r for r in gw if r.f["status"] == 499 and on(r, 0))),
      "gateway records with status 499 on 2024-05-30 (Thursday)")
    q("how many products were not found?",
      scalar(n(r for r in cat if re.fullmatch(r"Product \d+ not found", r.msg))),
      "catalog records 'Product <id> not found'")
    q("How many GC pauses went over the threshold on Friday?",
      scalar(n(r for r in cat if on(r, 1) and r.msg.startswith("GC pause of"))),
      "catalog 'GC pause of <n>ms exceeded threshold 200ms' records on 2024-05-31")
    q("how many low {word:stock} warnings did {svc:inventory} raise?",
      scalar(n(r for r in inv if r.msg == "low stock")), "inventory 'low stock' records")
    q("How many statements did {svc:postgres} cancel because of the statement timeout?",
      scalar(n(r for r in pg if r.msg == "canceling statement due to statement timeout")),
      "postgres 'canceling statement due to statement timeout' records")
    q("How many {svc:postgres} connections were authorized for the {svc:payment} application?",
      scalar(n(r for r in pg if r.msg.startswith("connection authorized")
               and r.msg.endswith("application_name=payment"))),
      "postgres 'connection authorized' records with application_name=payment")
    q("How many times did {svc:checkout} report that {svc:inventory} timed out?",
      scalar(n(r for r in co if r.msg == "upstream inventory timed out")),
      "checkout 'upstream inventory timed out' records")
    q("how many slow queries over 5 seconds did {svc:postgres} log?",
      scalar(n(r for r in pg if r.msg.startswith("duration: ")
               and float(r.msg.split()[1]) > 5000)),
      "postgres 'duration: <ms> ms statement: ...' records with ms > 5000")
    q("How many {word:orders} failed with {key:reason} {val:payment_declined} on 31 May?",
      scalar(n(r for r in failed if on(r, 1) and r.f.get("reason") == "payment_declined")),
      "checkout 'order failed' records with reason payment_declined on 2024-05-31")
    q("how many errors did {svc:checkout} log in May?",
      scalar(n(r for r in co if r.sev == "ERROR" and r.ts.month == 5)),
      "checkout ERROR records in May 2024 (2024-05-30 and 2024-05-31)")

    # ---- distinct counts
    q("How many distinct customers {word:placed} an {word:order} on 31 May?",
      scalar(len({r.f["user_id"] for r in placed if on(r, 1)})),
      "distinct user_id of checkout 'order placed' records on 2024-05-31")
    q("how many unique {key:user_id} values did {svc:checkout} log?",
      scalar(len({r.f["user_id"] for r in co if "user_id" in r.f})),
      "distinct user_id over all checkout records")
    q("How many distinct IPs failed to log in over ssh?",
      scalar(len({re.search(r" from (\S+) port", r.msg)[1] for r in failed_pw})),
      "distinct source IPs of sshd 'Failed password' records")
    q("how many different source addresses did the {svc:firewall} block on 30 May?",
      scalar(len({r.f["SRC"] for r in blocks if on(r, 0)})),
      "distinct SRC of firewall BLOCK records on 2024-05-30")

    # ---- ratios
    fw0 = [r for r in fw if on(r, 0)]
    q("What fraction of {svc:firewall} events on 30 May were blocked?",
      scalar(round(n(r for r in fw0 if r.f["action"] == "BLOCK") / len(fw0), 4), 0.0005),
      "firewall BLOCK records / all firewall records, 2024-05-30")
    att2 = [r for r in placed + failed if on(r, 2)]
    q("what fraction of {svc:checkout} attempts failed on 1 June?",
      scalar(round(n(r for r in att2 if r.msg == "order failed") / len(att2), 4), 0.0005),
      "'order failed' / ('order placed' + 'order failed') checkout records, 2024-06-01")
    gw1 = [r for r in gw if on(r, 1)]
    q("What share of {svc:gateway} responses were 5xx on May 31st?",
      scalar(round(n(r for r in gw1 if r.f["status"] >= 500) / len(gw1), 4), 0.0005),
      "gateway records with status >= 500 / all gateway records, 2024-05-31")
    q("what percentage of failed ssh logins targeted root?",
      scalar(round(100 * n(r for r in failed_pw if r.msg.startswith("Failed password for root "))
                   / len(failed_pw), 2), 0.05),
      "100 * 'Failed password for root' / all 'Failed password' sshd records")
    carts = [r for r in inv if r.msg in ("stock checked", "out of stock")]
    q("What fraction of add-to-cart {word:stock} checks came back out of {word:stock}?",
      scalar(round(n(r for r in carts if r.msg == "out of stock") / len(carts), 4), 0.0005),
      "inventory 'out of stock' / ('stock checked' + 'out of stock') records")
    pay_all = authorized + declined
    q("what fraction of {word:payments} were declined?",
      scalar(round(len(declined) / len(pay_all), 4), 0.0005),
      "payment 'payment declined' / ('payment authorized' + 'payment declined') records")

    # ---- aggregates and percentiles
    p0 = [r.f["duration_ms"] for r in pay if on(r, 0) and "duration_ms" in r.f]
    q("What was the p95 {key:duration_ms} of {svc:payment} on May 30?",
      scalar(round(pct(p0, 0.95), 2), 1.0),
      "95th percentile (linear interpolation) of duration_ms over payment records on 2024-05-30")
    stock_d = [r.f["duration_ms"] for r in inv if r.msg == "stock checked"]
    q("p99 latency of {svc:inventory} {word:stock} checks?",
      scalar(round(pct(stock_d, 0.99), 2), 1.0),
      "99th percentile (linear interpolation) of duration_ms of inventory 'stock checked' records")
    q("What was the median {key:duration_ms} of {word:placed} {word:orders}?",
      scalar(round(pct([r.f["duration_ms"] for r in placed], 0.5), 2), 1.0),
      "median of duration_ms of checkout 'order placed' records")
    q("what was the p90 {key:duration_ms} of {word:orders} {word:placed} on Saturday?",
      scalar(round(pct([r.f["duration_ms"] for r in placed if on(r, 2)], 0.9), 2), 1.0),
      "90th percentile (linear interpolation) of duration_ms of 'order placed' on 2024-06-01")
    am2 = [r.f["amount"] for r in placed if on(r, 2)]
    q("What was the average {key:amount} of {word:orders} {word:placed} on June 1st?",
      scalar(round(sum(am2) / len(am2), 2), 0.01),
      "mean amount of checkout 'order placed' records on 2024-06-01")
    q("What was the total {key:amount} of {word:placed} {word:orders} on the 31st of May?",
      scalar(round(sum(r.f["amount"] for r in placed if on(r, 1)), 2), 0.05),
      "sum of amount of checkout 'order placed' records on 2024-05-31")
    q("what was the largest {key:amount} anyone paid?",
      scalar(max(r.f["amount"] for r in authorized)),
      "max amount of payment 'payment authorized' records")
    q("What was the longest {key:waited_ms} of the {svc:payment} connection pool?",
      scalar(max(r.f["waited_ms"] for r in pay if "waited_ms" in r.f)),
      "max waited_ms over payment records")

    # ---- top-N and argmax
    q("Which service logged the most errors?",
      value(SVC[argmax(Counter(r.svc for r in recs if r.sev == "ERROR"))]),
      "service with the most ERROR records")
    q("which service was noisiest on Saturday?",
      value(SVC[argmax(Counter(r.svc for r in recs if on(r, 2)))]),
      "service with the most records on 2024-06-01")
    q("Top 5 source IPs blocked by the {svc:firewall}",
      toprows(["src_ip", "blocked"], Counter(r.f["SRC"] for r in blocks), 5),
      "SRC of firewall BLOCK records, count, descending, first 5")
    q("what are the three most blocked destination ports?",
      toprows(["port", "blocked"], Counter(int(r.f["DPT"]) for r in blocks), 3),
      "DPT of firewall BLOCK records, count, descending, first 3")
    q("top three decline {key:reason}s for {word:payments}",
      toprows(["reason", "declined"], Counter("{val:%s}" % r.f["reason"] for r in declined), 3),
      "reason of payment 'payment declined' records, count, descending, first 3")
    q("Which {key:provider} authorized the most {word:payments}?",
      value("{val:%s}" % argmax(Counter(r.f["provider"] for r in authorized))),
      "provider with the most payment 'payment authorized' records")
    q("which user name was targeted most by failed ssh logins?",
      value(argmax(Counter(re.match(r"Failed password for (?:invalid user )?(\S+)", r.msg)[1]
                           for r in failed_pw))),
      "user of sshd 'Failed password for [invalid user] <user>' records, most frequent")
    q("Who logged in over ssh most often?",
      value(argmax(Counter(r.msg.split()[3] for r in ssh if r.msg.startswith("Accepted ")))),
      "user of sshd 'Accepted publickey for <user>' records, most frequent")
    q("What were the seven busiest client IPs of the {svc:gateway} on 31 May?",
      toprows(["ip", "requests"], Counter(r.f["ip"] for r in gw if on(r, 1)), 7),
      "client IP of gateway records on 2024-05-31, count, descending, first 7")
    q("what was the busiest day for the {svc:gateway}?",
      value(argmax(Counter(r.ts.date().isoformat() for r in gw))),
      "day (YYYY-MM-DD) with the most gateway records")
    q("Top two {word:order} failure {key:reason}s on 30 May",
      toprows(["reason", "failed"],
              Counter("{val:%s}" % r.f["reason"] for r in failed if on(r, 0)), 2),
      "reason of checkout 'order failed' records on 2024-05-30, descending, first 2")

    # ---- grouped: per hour, per day, per weekday, per service
    def per_hour(rs, d, lo, hi):
        c = Counter(r.ts.strftime("%Y-%m-%d %H:00") for r in rs if on(r, d) and hours(r, lo, hi))
        return [[h, c[h]] for h in sorted(c)]

    q("{svc:catalog} errors per hour on June 1st from 1pm to 4pm",
      rows(["hour", "errors"], per_hour([r for r in cat if r.sev == "ERROR"], 2, 13, 16), True),
      "catalog ERROR records per hour (hour start, UTC) in [13:00, 16:00) on 2024-06-01; "
      "hours with none are absent")
    q("how many requests did the {svc:gateway} get per hour in the early hours of 31 May?",
      rows(["hour", "requests"], per_hour(gw, 1, 0, 6), True),
      "gateway records per hour in [00:00, 06:00) on 2024-05-31")
    q("How many 404s did the {svc:gateway} return per day?",
      rows(["day", "n"], sorted([[d, c] for d, c in Counter(
          r.ts.date().isoformat() for r in gw if r.f["status"] == 404).items()]), True),
      "gateway status-404 records per day")
    q("{svc:gateway} requests by weekday",
      rows(["weekday", "requests"], [[d, c] for d, c in sorted(
          Counter(r.ts.strftime("%A") for r in gw).items())], False),
      "gateway records per weekday name (Thursday, Friday, Saturday)")
    q("errors by service on May 31",
      rows(["service", "errors"], sorted([[SVC[s], c] for s, c in Counter(
          r.svc for r in recs if r.sev == "ERROR" and on(r, 1)).items()]), False),
      "ERROR records per service on 2024-05-31 (services with none are absent)")
    q("{svc:firewall} blocks per day",
      rows(["day", "blocked"], sorted([[d, c] for d, c in Counter(
          r.ts.date().isoformat() for r in blocks).items()]), True),
      "firewall BLOCK records per day")
    q("{svc:payment} warnings per day",
      rows(["day", "warnings"], sorted([[d, c] for d, c in Counter(
          r.ts.date().isoformat() for r in pay if r.sev == "WARN").items()]), True),
      "payment WARN records per day")
    q("How many {word:orders} were {word:placed} each day?",
      rows(["day", "placed"], sorted([[d, c] for d, c in Counter(
          r.ts.date().isoformat() for r in placed).items()]), True),
      "checkout 'order placed' records per day")
    q("how many 5xx did the {svc:gateway} return per day?",
      rows(["day", "n"], sorted([[d, c] for d, c in Counter(
          r.ts.date().isoformat() for r in gw if r.f["status"] >= 500).items()]), True),
      "gateway records with status >= 500 per day")
    q("{svc:checkout} errors on 30 May vs 31 May",
      rows(["day", "errors"], [[day(d).isoformat(),
                                n(r for r in co if on(r, d) and r.sev == "ERROR")]
                               for d in (0, 1)], False),
      "checkout ERROR records on 2024-05-30 and on 2024-05-31")
    q("{svc:postgres} records by severity",
      rows(["severity", "n"], sorted([[s, c] for s, c in Counter(r.sev for r in pg).items()]),
           False), "postgres records per severity (FATAL, ERROR, WARN, INFO)")
    q("How many requests per HTTP method did the {svc:gateway} see on Saturday morning?",
      rows(["method", "requests"], sorted([[m, c] for m, c in Counter(
          r.f["method"] for r in gw if on(r, 2) and hours(r, 6, 12)).items()]), False),
      "gateway records per method in [06:00, 12:00) on 2024-06-01")
    q("{svc:inventory} records by severity on Thursday evening",
      rows(["severity", "n"], sorted([[s, c] for s, c in Counter(
          r.sev for r in inv if on(r, 0) and hours(r, 18, 24)).items()]), False),
      "inventory records per severity in [18:00, 24:00) on 2024-05-30")

    # ---- first / last seen
    def stamp(ts: dt.datetime) -> str:
        return ts.strftime("%Y-%m-%d %H:%M:%S.") + f"{ts.microsecond // 1000:03d}"

    q("When did {svc:postgres} log its first FATAL?",
      value(stamp(min(r.ts for r in pg if r.sev == "FATAL"))),
      "earliest timestamp (UTC, ms) of a postgres FATAL record")
    q("when was the last 'No space left on device' error?",
      value(stamp(max(r.ts for r in recs if "No space left on device" in r.msg
                      and r.sev == "ERROR"))),
      "latest timestamp (UTC, ms) of an ERROR record whose message contains "
      "'No space left on device'")

    out = []
    for i, (text, (ans, tol), reading) in enumerate(qs, 1):
        item = {"id": f"q{i:03d}", "question": text, "answer": ans, "reading": reading}
        if tol is not None:
            item["tolerance"] = tol
        out.append(item)
    return out


# ------------------------------------------------------------------------------ main
CONVENTIONS = {
    "time": "all times UTC; a date without a year is in 2024 (the estate's range)",
    "intervals": "'between 13:00 and 16:00', 'from 1pm to 4pm' = [13:00, 16:00); "
                 "'in the 14:00 hour' = [14:00, 15:00); 'before noon' = [00:00, 12:00); "
                 "'after 18:00' = [18:00, 24:00) of that day",
    "parts_of_day": {p: f"[{lo:02d}:00, {hi:02d}:00)" for p, (lo, hi) in PARTS.items()},
    "weekdays": "2024-05-30 Thursday, 2024-05-31 Friday, 2024-06-01 Saturday",
    "counts": "records, not physical lines (a Log4j record with its stack trace is one)",
    "errors": "severity ERROR (FATAL not included); gateway severity follows HTTP status "
              "(>= 500 ERROR, >= 400 WARN)",
    "requests": "gateway access-log records",
    "blocked": "firewall records whose UFW action is BLOCK (blocked = dropped = denied)",
    "failed ssh logins": "sshd records starting 'Failed password'",
    "percentiles": "linear interpolation between closest ranks (DuckDB quantile_cont)",
    "ratios": "fractions as 0..1 rounded to 4 places, percentages as 0..100; "
              "compare with 'tolerance' when given",
    "rows": "'ordered': false means compare as a set; hour labels 'YYYY-MM-DD HH:00', "
            "days 'YYYY-MM-DD', timestamps 'YYYY-MM-DD HH:MM:SS.mmm'",
}
PLACEHOLDERS = ("{svc:x}, {key:x}, {val:x}, {word:x}, {text:x}: words a seeded rename "
                "changes; fill with logpilot_kernel.demo.render_question(text, renames) "
                "and render_answer(answer, renames), renames = the estate's "
                "ground_truth.json 'renames' ({} for the plain estate)")


def build() -> tuple[dict, dict]:
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "plain"
        generate(plain, days=ESTATE["days"], seed=ESTATE["seed"],
                 start=dt.date.fromisoformat(ESTATE["start"]))
        recs = parse_estate(plain)
        crosscheck(recs, json.loads((plain / "ground_truth.json").read_text(encoding="utf-8")))
        qs = quantitative(recs)
        extra = Path(tmp) / "extra"
        generate(extra, days=ESTATE["days"], seed=ESTATE["seed"],
                 start=dt.date.fromisoformat(ESTATE["start"]), extra_incidents=True)
        truth = json.loads((extra / "ground_truth.json").read_text(encoding="utf-8"))
        whys = why_questions(truth)
    quant = {
        "about": "Quantitative questions over the demo estate, written without looking at "
                 "LogPilot's parser; answers computed by tests/data/make_questions_blind.py "
                 "from the raw files",
        "estate": dict(ESTATE, command="logpilot demo-data --out estate --days 3 --seed 7"),
        "placeholders": PLACEHOLDERS,
        "conventions": CONVENTIONS,
        "answer_types": {"scalar": {"type": "scalar", "value": "N"},
                         "value": {"type": "value", "value": "text"},
                         "rows": {"type": "rows", "columns": ["..."], "rows": [["..."]],
                                  "ordered": "bool"}},
        "questions": qs,
    }
    why = {
        "about": "Why-questions about every incident of the demo estate with extra incidents, "
                 "one per time-phrase style; most do not name the root service. Expected "
                 "answers from ground_truth.json (tests/data/make_questions_blind.py)",
        "estate": dict(ESTATE, extra_incidents=True,
                       command="logpilot demo-data --out estate --days 3 --seed 7 "
                               "--extra-incidents"),
        "placeholders": PLACEHOLDERS,
        "conventions": {"time": CONVENTIONS["time"],
                        "parts_of_day": CONVENTIONS["parts_of_day"],
                        "around": "'around HH:MM' is the middle of the incident window, "
                                  "rounded to 5 minutes",
                        "now": "questions with 'yesterday' carry the 'now' they are asked at"},
        "questions": whys,
    }
    return quant, why


def _dump(obj: dict) -> str:
    return json.dumps(obj, indent=1, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="exit 1 if a file would change")
    args = ap.parse_args(argv)
    quant, why = build()
    stale = []
    for name, obj in (("questions_blind.json", quant), ("why_questions_blind.json", why)):
        path, text = HERE / name, _dump(obj)
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {len(obj['questions'])} questions to {name}")
    if stale:
        print("stale: " + ", ".join(stale), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
