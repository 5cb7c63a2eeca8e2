"""Held-out quantitative questions for LogPilot's plain-English parser (written blind to it).

Answers come only from the raw files of generate(days=3, seed=7), read by the independent
blind reader tests/data/blind_estate.py (cross-checked against ground_truth.json counters).
Usage: python tests/benchmarks/data/make_demo_questions_heldout.py   (writes demo_questions_heldout.json beside it)
"""
from __future__ import annotations

import datetime as dt
import json
import math
import re
import shutil
import statistics
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "data"))
sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
from blind_estate import crosscheck, parse_estate  # noqa: E402
from logpilot_kernel.demo import generate  # noqa: E402

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 6, 1, 20, 0, tzinfo=UTC)
D = {30: dt.date(2024, 5, 30), 31: dt.date(2024, 5, 31), 1: dt.date(2024, 6, 1)}
ERR = ("ERROR", "FATAL")


def pct(values, q):
    v = sorted(values)
    k = (len(v) - 1) * q
    f = math.floor(k)
    c = min(f + 1, len(v) - 1)
    return v[f] + (v[c] - v[f]) * (k - f)


def top(counter, n, reverse=False):
    items = sorted(counter.items(), key=lambda kv: ((kv[1] if reverse else -kv[1]), str(kv[0])))
    if len(items) > n and items[n - 1][1] == items[n][1]:
        raise SystemExit(f"tie at cut of top-{n}: {items[n-1]} {items[n]}")
    vals = [v for _, v in items[:n]]
    return [[k, v] for k, v in items[:n]], len(set(vals)) == len(vals)


def argmax(counter):
    (k1, v1), (k2, v2) = counter.most_common(2)
    if v1 == v2:
        raise SystemExit(f"tie for max {k1} {k2}")
    return k1


def on(r, d):
    return r.ts.date() == D[d]


def hrs(r, lo, hi):
    return lo <= r.ts.hour < hi


def main():
    tmp = Path(tempfile.mkdtemp(prefix="heldout_"))
    generate(tmp, days=3, seed=7)
    truth = json.loads((tmp / "ground_truth.json").read_text())
    recs = parse_estate(tmp)
    crosscheck(recs, truth)
    by = defaultdict(list)
    for r in recs:
        by[r.svc].append(r)
    gw, co, pay, inv = by["gateway"], by["checkout"], by["payment"], by["inventory"]
    pg, fw, ssh, cat = by["postgres"], by["firewall"], by["sshd"], by["catalog"]
    assert set(by) == {"gateway", "checkout", "payment", "inventory", "postgres", "firewall",
                       "sshd", "catalog"}, set(by)
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    blocks = [r for r in fw if r.f["action"] == "BLOCK"]
    fpw = [r for r in ssh if r.msg.startswith("Failed password")]
    Q = []

    def q(kind, text, answer, notes, tol=None):
        a = dict(answer)
        if tol is not None:
            a["tolerance"] = tol
        Q.append({"id": f"h-{len(Q) + 1:03d}", "kind": kind, "question": text, "answer": a,
                  "notes": notes})

    S = lambda v: {"type": "scalar", "value": v}
    V = lambda v: {"type": "value", "value": v}

    def R(cols, rs, ordered):
        return {"type": "rows", "columns": cols, "rows": rs, "ordered": ordered}

    # 1
    q("count", "5xx count on the gateway, june 1",
      S(sum(1 for r in gw if on(r, 1) and r.f["status"] >= 500)),
      "gateway (nginx) lines with status 500-599, timestamp in [2024-06-01, 2024-06-02) UTC")
    # 2
    rs = []
    for h in (13, 14, 15):
        rs.append([f"2024-06-01T{h:02d}:00:00Z",
                   sum(1 for r in gw if on(r, 1) and r.ts.hour == h and r.f["status"] >= 500)])
    q("timeseries", "gateway 5xx by hour on the first of June, 1pm to 4pm", R(["hour", "count"], rs, True),
      "hourly buckets (hour start, UTC) for [13:00,16:00) on 2024-06-01; status >= 500")
    # 3
    q("count", "Could you tell me how many orders failed on the thirty-first of May?",
      S(sum(1 for r in failed if on(r, 31))),
      "checkout records msg='order failed' dated 2024-05-31 (matches ground_truth orders.by_day.failed)")
    # 4
    q("distinct", "how many different customers actually managed to place an order on 30 May?",
      S(len({r.f["user_id"] for r in placed if on(r, 30)})),
      "distinct user_id over checkout msg='order placed' on 2024-05-30 (failed attempts excluded)")
    # 5
    q("distinct", "unique client IPs that POSTed to /api/checkout during the afternoon of May 31",
      S(len({r.f["ip"] for r in gw if on(r, 31) and hrs(r, 12, 18) and r.f["method"] == "POST"
             and r.f["path"] == "/api/checkout"})),
      "gateway, path exactly /api/checkout, method POST, afternoon = [12:00,18:00) UTC on 2024-05-31")
    # 6
    q("percentile", "p95 of checkout duration_ms for successfully placed orders on June 1st",
      S(round(pct([r.f["duration_ms"] for r in placed if on(r, 1)], 0.95), 3)),
      "quantile_cont(duration_ms, 0.95) over checkout 'order placed' on 2024-06-01", tol=0.5)
    # 7
    q("percentile", "What's the median time to authorize a payment through cardstream?",
      S(round(pct([r.f["duration_ms"] for r in pay if r.msg == "payment authorized"
                   and r.f["provider"] == "cardstream"], 0.5), 3)),
      "quantile_cont(duration_ms, 0.5), payment msg='payment authorized', provider='cardstream', whole estate",
      tol=0.5)
    # 8
    rows_, ordd = top(Counter(r.f["SRC"] for r in blocks), 3)
    q("topn", "top three source addresses the firewall blocked", R(["src_ip", "count"], rows_, ordd),
      "firewall [UFW BLOCK] lines grouped by SRC, whole estate; no tie at the cut")
    # 9
    users = Counter(re.match(r"Failed password for (?:invalid user )?(\S+) from", r.msg)[1] for r in fpw)
    rows_, ordd = top(users, 5)
    q("topn", "Which five account names get hammered the most by failed SSH password attempts?",
      R(["user", "count"], rows_, ordd),
      "sshd lines starting 'Failed password for [invalid user ]<user> from', grouped by <user>")
    # 10
    att30 = [r for r in placed + failed if on(r, 30)]
    q("share", "what percentage of checkout attempts failed on may 30?",
      S(round(100 * sum(1 for r in att30 if r.msg == "order failed") / len(att30), 4)),
      "100 * failed / (placed + failed), checkout final records on 2024-05-30; answer in percent", tol=0.05)
    # 11
    p1, p30 = sum(1 for r in placed if on(r, 1)), sum(1 for r in placed if on(r, 30))
    q("compare", "how many more orders were placed on June 1 compared with May 30?", S(p1 - p30),
      f"placed(2024-06-01)={p1} minus placed(2024-05-30)={p30}")
    # 12
    wd = Counter(r.ts.strftime("%A") for r in placed)
    q("breakdown", "placed orders per weekday", R(["weekday", "count"], sorted([[k, v] for k, v in wd.items()]), False),
      "checkout 'order placed' grouped by UTC weekday name (May 30 2024 = Thursday, May 31 = Friday, Jun 1 = Saturday)")
    # 13
    q("count", "errors across every service before 9am on May 31",
      S(sum(1 for r in recs if on(r, 31) and r.ts.hour < 9 and r.sev in ERR)),
      "severity in (ERROR, FATAL), all services, [2024-05-31 00:00, 09:00) UTC")
    # 14
    q("distinct", "over the last day, how many distinct orders ended up failing?",
      S(len({r.f["order_id"] for r in failed if NOW - dt.timedelta(days=1) <= r.ts < NOW})),
      "relative to now=2024-06-01T20:00Z: [2024-05-31T20:00Z, now); distinct order_id over checkout 'order failed' (declines included)")
    # 15
    q("count", "How many 404s did we serve in the past six hours?",
      S(sum(1 for r in gw if NOW - dt.timedelta(hours=6) <= r.ts < NOW and r.f["status"] == 404)),
      "gateway status = 404 in [2024-06-01T14:00Z, 2024-06-01T20:00Z)")
    # 16
    q("argmax", "which service was the noisiest in terms of warnings on Saturday?",
      V(argmax(Counter(r.svc for r in recs if on(r, 1) and r.sev == "WARN"))),
      "Saturday = 2024-06-01 (only Saturday in the estate); severity WARN exactly; argmax over service_name")
    # 17
    hc = Counter(r.ts.hour for r in gw if on(r, 31))
    h = argmax(hc)
    q("argmax", "busiest hour for the gateway on 31/05 (by request count)",
      V(f"2024-05-31T{h:02d}:00:00Z"),
      f"hour bucket with most gateway lines on 2024-05-31 ({h:02d}:00-{h + 1:02d}:00 UTC, {hc[h]} requests)")
    # 18
    q("sum", "total euro value of orders placed on the 30th of May",
      S(round(sum(r.f["amount"] for r in placed if on(r, 30)), 2)),
      "sum(amount) over checkout 'order placed' on 2024-05-30", tol=0.01)
    # 19
    q("avg", "average order value (successful orders only), whole period",
      S(round(statistics.fmean(r.f["amount"] for r in placed), 4)),
      "avg(amount) over all checkout 'order placed' records", tol=0.01)
    # 20
    catc = Counter(re.match(r"/api/products\?category=([^&]+)", r.f["path"])[1] for r in gw
                   if r.f["path"].startswith("/api/products?category="))
    rows_, ordd = top(catc, 3, reverse=True)
    q("bottomn", "bottom 3 categories by number of /api/products listing calls",
      R(["category", "count"], rows_, ordd),
      "gateway paths '/api/products?category=<c>&page=..', grouped by <c>, ascending; no tie at the cut")
    # 21
    q("distinct", "how many distinct SKUs were reported out of stock by inventory?",
      S(len({r.f["sku"] for r in inv if r.msg == "out of stock"})),
      "distinct sku over inventory msg='out of stock', whole estate")
    # 22
    q("count", "number of postgres statement timeouts, all three days",
      S(sum(1 for r in pg if r.msg == "canceling statement due to statement timeout")),
      "postgres ERROR lines with text exactly 'canceling statement due to statement timeout'")
    # 23
    q("count", "Postgres ERROR lines on 31 May between 3 and 5 pm",
      S(sum(1 for r in pg if on(r, 31) and hrs(r, 15, 17) and r.sev == "ERROR")),
      "postgres severity ERROR, [2024-05-31 15:00, 17:00) UTC")
    # 24
    f1 = [r for r in fw if on(r, 1)]
    q("share", "share of firewall events that were BLOCKs on june 1, in percent",
      S(round(100 * sum(1 for r in f1 if r.f["action"] == "BLOCK") / len(f1), 4)),
      "100 * BLOCK / (BLOCK+ALLOW) over firewall lines dated 2024-06-01", tol=0.05)
    # 25
    rows_, ordd = top(Counter(int(r.f["DPT"]) for r in blocks), 3)
    q("topn", "top 3 destination ports hit by blocked traffic", R(["dpt", "count"], rows_, ordd),
      "firewall BLOCK lines grouped by DPT (integer); whole estate")
    # 26
    q("count", "how many times did catalog fail to compute a price?",
      S(sum(1 for r in cat if r.msg.startswith("Failed to compute price for product"))),
      "catalog log4j header lines with message 'Failed to compute price for product <id>' (bad deploy NPEs); one record per header line")
    # 27
    durs = [float(re.match(r"duration: ([\d.]+) ms", r.msg)[1]) for r in pg if r.msg.startswith("duration: ")]
    q("percentile", "90th percentile of postgres slow-statement duration (ms)",
      S(round(pct(durs, 0.9), 3)),
      "postgres lines 'duration: <ms> ms  statement: ...', quantile_cont(ms, 0.9), whole estate", tol=0.5)
    # 28
    q("distinct", "count of distinct trace ids with an error in payment on May 31",
      S(len({r.f["trace_id"] for r in pay if on(r, 31) and r.sev in ERR})),
      "payment records level error, dated 2024-05-31, distinct trace_id")
    # 29
    fr = Counter(r.f["reason"] for r in failed)
    q("breakdown", "break down failed orders by reason over the whole window",
      R(["reason", "count"], sorted([[k, v] for k, v in fr.items()]), False),
      "checkout 'order failed' grouped by reason field, all days")
    # 30
    dr = Counter(r.f["reason"] for r in pay if r.msg == "payment declined")
    lo = sorted(dr.items(), key=lambda kv: kv[1])
    assert lo[0][1] != lo[1][1], lo
    q("argmin", "which decline reason shows up least often in payment declines?", V(lo[0][0]),
      f"payment msg='payment declined' grouped by reason; counts {dict(dr)}")
    # 31
    q("count", "How many requests did Googlebot and bingbot make between them?",
      S(sum(1 for r in gw if "googlebot" in r.f["ua"].lower() or "bingbot" in r.f["ua"].lower())),
      "gateway lines whose user agent contains 'Googlebot' or 'bingbot' (case-insensitive), whole estate")
    # 32
    c4 = sum(1 for r in gw if on(r, 30) and 400 <= r.f["status"] < 500)
    c5 = sum(1 for r in gw if on(r, 30) and r.f["status"] >= 500)
    q("ratio", "ratio of 4xx to 5xx on may 30", S(round(c4 / c5, 4)),
      f"gateway 2024-05-30: 4xx={c4}, 5xx={c5}; 4xx/5xx", tol=0.01)
    # 33
    q("count", "how many failed logins on the shop API yesterday?",
      S(sum(1 for r in gw if on(r, 31) and r.f["path"] == "/api/login" and r.f["status"] == 401)),
      "now=2024-06-01T20:00Z so yesterday = 2024-05-31 UTC; gateway POST /api/login with status 401 (not ssh)")
    # 34
    q("count", "successful SSH logins (publickey accepted), total",
      S(sum(1 for r in ssh if r.msg.startswith("Accepted publickey"))),
      "sshd lines starting 'Accepted publickey', whole estate")
    # 35
    q("count", "502s in the evening of May 30",
      S(sum(1 for r in gw if on(r, 30) and hrs(r, 18, 24) and r.f["status"] == 502)),
      "gateway status = 502, evening = [18:00, 24:00) UTC on 2024-05-30")
    # 36
    q("distinct", "number of distinct IPs behind failed ssh password attempts",
      S(len({re.search(r" from (\S+) port", r.msg)[1] for r in fpw})),
      "distinct source IP over sshd 'Failed password' lines (== len(ssh_failed_logins_by_src_ip))")
    # 37
    gc = [int(re.match(r"GC pause of (\d+)ms", r.msg)[1]) for r in cat if r.msg.startswith("GC pause of")]
    q("max", "longest GC pause the catalog reported, in ms", S(max(gc)),
      "max of <n> in catalog messages 'GC pause of <n>ms exceeded threshold 200ms'")
    # 38
    sq = Counter(re.match(r"/api/search\?q=(\S+)", r.f["path"])[1] for r in gw if r.f["path"].startswith("/api/search?q="))
    rows_, ordd = top(sq, 2)
    q("topn", "two most popular search terms", R(["q", "count"], rows_, ordd),
      "gateway paths '/api/search?q=<q>' grouped by <q> (as written in the URL, '+' kept)")
    # 39
    es = Counter(r.svc for r in recs if on(r, 30) and r.sev in ERR)
    q("breakdown", "errors per service on Thursday",
      R(["service", "count"], sorted([[k, v] for k, v in es.items()]), False),
      "Thursday = 2024-05-30; ERROR+FATAL grouped by service; services with zero errors omitted")
    # 40
    sc = [r.f["duration_ms"] for r in inv if on(r, 1) and hrs(r, 6, 12) and r.msg == "stock checked"]
    q("avg", "mean inventory 'stock checked' latency in the morning of the 1st of June",
      S(round(statistics.fmean(sc), 4)),
      "avg(duration_ms), inventory msg='stock checked', morning = [06:00,12:00) UTC on 2024-06-01", tol=0.01)

    doc = ("Held-out quantitative questions for LogPilot's plain-English parser, written blind to "
           "the parser. Answers computed from the raw files of generate(days=3, seed=7) by "
           "tests/benchmarks/data/make_demo_questions_heldout.py (reader: tests/data/blind_estate.py, cross-checked against "
           "ground_truth.json). Conventions: all times UTC; ranges half-open [start, end); a day is "
           "[00:00, 24:00); early hours [0,6), morning [6,12), afternoon [12,18), evening [18,24); "
           "relative phrases (last day, past N hours, yesterday) are relative to 'now'; "
           "errors = ERROR + FATAL; warnings = WARN only; percentiles = DuckDB quantile_cont "
           "(linear interpolation); shares are percentages; weekdays from the UTC date; "
           "top-N answers have no tie at the cut; rows with ordered=false compare as sets.")
    out = {"doc": doc, "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "estate": {"days": 3, "seed": 7},
           "questions": Q}
    (Path(__file__).resolve().parent / "demo_questions_heldout.json").write_text(json.dumps(out, indent=1) + "\n")
    shutil.rmtree(tmp, ignore_errors=True)
    print(len(Q), Counter(x["kind"] for x in Q))


if __name__ == "__main__":
    main()
