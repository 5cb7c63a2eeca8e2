"""Held-out question set 3 for LogPilot's plain-English parser, computed blind.

Answers come only from the raw files of generate(days=3, seed=7), read by the independent
reader tests/data/blind_estate.py (crosschecked against the generator's counters).
Usage: python tests/benchmarks/data/make_demo_questions_heldout3.py  -> writes demo_questions_heldout3.json beside it
"""
from __future__ import annotations

import datetime as dt
import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from blind_estate import crosscheck, parse_estate  # noqa: E402
from logpilot_kernel.demo import generate  # noqa: E402

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 6, 2, 9, 15, tzinfo=UTC)  # Sunday morning, after the estate ends
D30, D31, D01 = dt.date(2024, 5, 30), dt.date(2024, 5, 31), dt.date(2024, 6, 1)
ERR = ("ERROR", "FATAL")


def T(d: dt.date, h: int = 0, m: int = 0) -> dt.datetime:
    return dt.datetime(d.year, d.month, d.day, tzinfo=UTC) + dt.timedelta(hours=h, minutes=m)


def within(r, lo: dt.datetime, hi: dt.datetime) -> bool:
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
        assert items[n - 1][1] != items[n][1], f"tie at cut: {items[:n+1]}"
    vals = [c for _, c in items[:n]]
    assert len(set(vals)) == len(vals), f"tie inside top: {items[:n]}"
    return [[k, c] for k, c in items[:n]]


def argmax(counter: Counter) -> str:
    (k1, c1), (k2, c2) = counter.most_common(2)
    assert c1 != c2, "tie for first"
    return k1


def hour_iso(ts: dt.datetime) -> str:
    return ts.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00:00Z")


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

    def rows(cols, rs, ordered):
        return {"type": "rows", "columns": cols, "rows": rs, "ordered": ordered}

    n = lambda it: sum(1 for _ in it)  # noqa: E731
    gw = [r for r in recs if r.svc == "gateway"]
    co = [r for r in recs if r.svc == "checkout"]
    pay = [r for r in recs if r.svc == "payment"]
    inv = [r for r in recs if r.svc == "inventory"]
    fw_block = [r for r in recs if r.svc == "firewall" and r.f["action"] == "BLOCK"]
    ssh_fail = [r for r in recs if r.svc == "sshd" and r.msg.startswith("Failed password")]
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]

    # ------------------------------------------------------------------ counts
    q("count", "how many errors yesterday?",
      scalar(n(r for r in recs if r.sev in ERR and on(r, D01))),
      "now=2024-06-02T09:15Z so yesterday=2024-06-01; ERROR+FATAL, all services")
    q("count", "How many 404s did the gateway hand out on Friday?",
      scalar(n(r for r in gw if r.f["status"] == 404 and on(r, D31))),
      "Friday=2024-05-31; nginx status 404")
    q("count", "Number of failed SSH logins in the last forty-eight hours?",
      scalar(n(r for r in ssh_fail if within(r, NOW - dt.timedelta(hours=48), NOW))),
      "sshd lines starting 'Failed password' in [2024-05-31T09:15Z, 2024-06-02T09:15Z)")
    q("count", "How many orders failed on the thirtieth of May?",
      scalar(n(r for r in failed if on(r, D30))), "checkout msg 'order failed' on 2024-05-30")
    q("count", "firewall blocks between 2pm and 6pm on 31 May — how many?",
      scalar(n(r for r in fw_block if within(r, T(D31, 14), T(D31, 18)))),
      "[UFW BLOCK] lines in [2024-05-31T14:00Z, 18:00Z)")
    q("count", "Hey, could you tell me how many POST requests hit the gateway the day before yesterday?",
      scalar(n(r for r in gw if r.f["method"] == "POST" and on(r, D31))),
      "day before yesterday=2024-05-31; nginx method POST")
    q("count", "Give me the total number of warnings the payment service logged over the whole period.",
      scalar(n(r for r in pay if r.sev == "WARN")), "payment level warn, all time")
    q("count", "errors in the last twelve hours?",
      scalar(n(r for r in recs if r.sev in ERR and within(r, NOW - dt.timedelta(hours=12), NOW))),
      "ERROR+FATAL in [2024-06-01T21:15Z, 2024-06-02T09:15Z); the estate ends at 2024-06-02T00:00Z")

    # ------------------------------------------------------------------ distinct counts
    q("distinct_count", "How many different source IPs got blocked by the firewall on Saturday?",
      scalar(len({r.f["SRC"] for r in fw_block if on(r, D01)})),
      "Saturday=2024-06-01; distinct SRC of [UFW BLOCK] lines")
    q("distinct_count", "how many unique users placed an order yesterday",
      scalar(len({r.f["user_id"] for r in placed if on(r, D01)})),
      "distinct user_id of checkout 'order placed' on 2024-06-01")
    q("distinct_count", "Number of distinct SKUs that ran out of stock during the three days?",
      scalar(len({r.f["sku"] for r in inv if r.msg == "out of stock"})),
      "distinct sku of inventory msg 'out of stock', all time")
    q("distinct_count", "How many distinct client IPs did the gateway see between 8 and 10 am on June 1st?",
      scalar(len({r.f["ip"] for r in gw if within(r, T(D01, 8), T(D01, 10))})),
      "distinct nginx client IP in [2024-06-01T08:00Z, 10:00Z)")

    # ------------------------------------------------------------------ top / bottom N
    q("top_n", "top 3 services by error count",
      rows(["service", "errors"], top(Counter(r.svc for r in recs if r.sev in ERR), 3), True),
      "ERROR+FATAL grouped by service, all time, descending")
    q("top_n", "SRE ask: five most-blocked destination ports on the firewall, with counts.",
      rows(["port", "blocks"], [[int(k), c] for k, c in top(Counter(r.f["DPT"] for r in fw_block), 5)], True),
      "[UFW BLOCK] grouped by DPT, all time, descending")
    q("top_n", "Which three IP addresses racked up the most failed ssh logins?",
      rows(["ip", "failed_logins"], top(Counter(re.search(r" from (\S+) port", r.msg)[1]
                                               for r in ssh_fail), 3), True),
      "'Failed password' lines grouped by the IP after ' from ', all time")
    q("top_n", "top four most requested paths on the gateway yesterday",
      rows(["path", "requests"], top(Counter(r.f["path"] for r in gw if on(r, D01)), 4), True),
      "nginx request path on 2024-06-01, descending")
    q("top_n", "What are the two most common reasons for failed orders?",
      rows(["reason", "orders"], top(Counter(r.f["reason"] for r in failed), 2), True),
      "checkout 'order failed' grouped by field reason, all time")
    q("bottom_n", "Which two services logged the fewest records on Thursday?",
      rows(["service", "records"], top(Counter(r.svc for r in recs if on(r, D30)), 2, reverse=True), True),
      "Thursday=2024-05-30; records per service ascending, first two")
    q("argmax", "which service threw the most warnings on Friday?",
      {"type": "value", "value": argmax(Counter(r.svc for r in recs if r.sev == "WARN" and on(r, D31)))},
      "severity WARN on 2024-05-31 grouped by service; the argmax")
    q("argmax", "In which hour yesterday did the gateway return the most 5xx responses?",
      {"type": "value", "value": argmax(Counter(hour_iso(r.ts) for r in gw
                                                if r.f["status"] >= 500 and on(r, D01)))},
      "status>=500 on 2024-06-01 bucketed by hour start; the argmax, ISO hour start")

    # ------------------------------------------------------------------ numeric aggregates
    v = [r.f["amount"] for r in placed if on(r, D31)]
    q("average", "average order value for placed orders on 31 May?",
      scalar(round(sum(v) / len(v), 4), 0.01), "mean amount of checkout 'order placed' on 2024-05-31")
    v = [r.f["duration_ms"] for r in placed]
    q("average", "Mean checkout duration_ms across all successfully placed orders, please.",
      scalar(round(sum(v) / len(v), 4), 0.01), "mean duration_ms of checkout 'order placed', all time")
    v = [r.f["duration_ms"] for r in pay if r.msg == "payment authorized" and on(r, D01)]
    q("percentile", "p95 payment authorization latency yesterday (duration_ms)",
      scalar(round(pct(v, 0.95), 4), 0.5), "quantile_cont 0.95 of duration_ms, payment 'payment authorized', 2024-06-01")
    v = [r.f["size"] for r in gw if on(r, D30)]
    q("percentile", "What was the median response size in bytes on the gateway on Thursday?",
      scalar(round(pct(v, 0.5), 4), 0.5), "quantile_cont 0.5 of nginx body bytes on 2024-05-30")
    v = [r.f["duration_ms"] for r in inv if "duration_ms" in r.f
         and within(r, NOW - dt.timedelta(hours=24), NOW)]
    q("percentile", "99th percentile of inventory duration_ms over the last 24 hours?",
      scalar(round(pct(v, 0.99), 4), 0.5),
      "quantile_cont 0.99 of inventory duration_ms (records having it) in [2024-06-01T09:15Z, 2024-06-02T09:15Z)")
    q("max", "biggest single order ever placed — amount?",
      scalar(max(r.f["amount"] for r in placed), 0.005), "max amount of checkout 'order placed', all time")
    q("max", "Longest checkout duration on Friday, in ms?",
      scalar(max(r.f["duration_ms"] for r in co if "duration_ms" in r.f and on(r, D31))),
      "max duration_ms of checkout records on 2024-05-31 (only 'order placed' carries it)")
    q("min", "smallest order somebody actually placed yesterday, amount-wise?",
      scalar(min(r.f["amount"] for r in placed if on(r, D01)), 0.005),
      "min amount of checkout 'order placed' on 2024-06-01")
    q("sum", "Total revenue from placed orders on June 1 (sum of amount)?",
      scalar(round(sum(r.f["amount"] for r in placed if on(r, D01)), 2), 0.05),
      "sum amount of checkout 'order placed' on 2024-06-01")

    # ------------------------------------------------------------------ shares
    fri = [r for r in gw if on(r, D31)]
    q("share", "What share of gateway requests on Friday came back 4xx or 5xx?",
      scalar(round(n(r for r in fri if r.f["status"] >= 400) / len(fri), 6), 0.0001),
      "fraction of nginx requests on 2024-05-31 with status>=400")
    a = n(r for r in failed if on(r, D01))
    b = n(r for r in placed if on(r, D01))
    q("share", "what fraction of checkout attempts failed yesterday?",
      scalar(round(a / (a + b), 6), 0.0001),
      "order failed / (order placed + order failed) on 2024-06-01 (each attempt ends in one of them)")
    q("share", "Overall, what proportion of all log records are errors?",
      scalar(round(n(r for r in recs if r.sev in ERR) / len(recs), 6), 0.0001),
      "(ERROR+FATAL) / all records, all time")

    # ------------------------------------------------------------------ breakdowns
    c = Counter(hour_iso(r.ts) for r in gw if within(r, T(D01, 6), T(D01, 9)))
    assert len(c) == 3
    q("per_hour", "gateway requests per hour on June 1 from 6 to 9 am",
      rows(["hour", "requests"], sorted([k, v] for k, v in c.items()), True),
      "nginx records in [2024-06-01T06:00Z, 09:00Z) by hour start")
    c = Counter(hour_iso(r.ts) for r in fw_block if within(r, T(D01, 18), T(D01, 24)))
    assert len(c) == 6
    q("per_hour", "Hourly breakdown of firewall blocks on Saturday evening, please.",
      rows(["hour", "blocks"], sorted([k, v] for k, v in c.items()), True),
      "[UFW BLOCK] in [2024-06-01T18:00Z, 2024-06-02T00:00Z) by hour start; evening=18-24")
    c = Counter(r.ts.date().isoformat() for r in placed)
    q("per_day", "orders placed per day",
      rows(["day", "orders"], sorted([k, v] for k, v in c.items()), True),
      "checkout 'order placed' by UTC day")
    c = Counter(r.ts.date().isoformat() for r in recs if r.svc == "sshd" and r.sev in ERR)
    q("per_day", "daily error totals for sshd?",
      rows(["day", "errors"], sorted([k, v] for k, v in c.items()), True),
      "sshd ERROR+FATAL by UTC day")
    c = Counter(r.ts.strftime("%A") for r in gw if r.f["status"] >= 500)
    q("per_weekday", "Break down gateway 5xx by weekday.",
      rows(["weekday", "count"], [[k, v] for k, v in c.items()], False),
      "status>=500 grouped by weekday name (Thu 30 May, Fri 31 May, Sat 1 Jun)")
    c = Counter(r.ts.strftime("%A") for r in ssh_fail)
    q("per_weekday", "failed ssh logins by day of the week",
      rows(["weekday", "failed_logins"], [[k, v] for k, v in c.items()], False),
      "'Failed password' sshd lines grouped by weekday name")

    # ------------------------------------------------------------------ comparisons
    e = Counter(r.ts.date() for r in recs if r.sev in ERR)
    q("compare_days", "How many more errors were there on Friday than on Thursday? (Friday minus Thursday)",
      scalar(e[D31] - e[D30]), "ERROR+FATAL count 2024-05-31 minus 2024-05-30 (may be negative)")
    w = Counter(r.ts.date() for r in recs if r.sev == "WARN")
    q("compare_days", "ratio of warnings yesterday to warnings the day before?",
      scalar(round(w[D01] / w[D31], 6), 0.001), "WARN count 2024-06-01 / WARN count 2024-05-31")
    return qs


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, days=3, seed=7)
        root = Path(tmp)
        truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
        recs = parse_estate(root)
        crosscheck(recs, truth)
    qs = build(recs)
    doc = {
        "doc": "Held-out set 3: quantitative questions over generate(days=3, seed=7), written "
               "blind to the parser. Conventions: all times UTC; 'now' is the stated now; "
               "ranges half-open [lo, hi); errors = ERROR+FATAL; percentiles by linear "
               "interpolation (DuckDB quantile_cont); shares as fractions 0..1; hour buckets as "
               "ISO hour starts; weekdays: 2024-05-30 Thursday, 05-31 Friday, 06-01 Saturday; "
               "evening = 18:00-24:00. Answers computed from the raw files by "
               "tests/data/blind_estate.py's reader (crosschecked with the generator counts); "
               "script tests/benchmarks/data/make_demo_questions_heldout3.py.",
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "estate": {"days": 3, "seed": 7, "start": "2024-05-30"},
        "questions": qs,
    }
    (Path(__file__).resolve().parent / "demo_questions_heldout3.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(len(qs), dict(Counter(x["kind"] for x in qs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
