"""Held-out question set 5 for LogPilot's plain-English parser, computed blind.

Estate: `logpilot demo-data --out ESTATE --days 5 --seed 41 --start 2024-10-07`
(generator used only as a black box through its CLI). Answers come only from the raw files,
read by the independent reader tests/data/blind_estate.py (crosschecked against the
generator's counters) plus this script's own regexes over message text.
Every question carries a ``group`` (the kind of question, for per-group scoring) and a
``kind`` (how its answer is computed). Questions of group ``refuse`` ask about a field the
estate does not have: the right outcome is a refusal (their answer type is ``refuse``).
Usage: python make_demo_questions_heldout5.py ESTATE [--blind-estate-dir DIR]
       -> writes demo_questions_heldout5.json beside this script
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import sys
from collections import Counter
from pathlib import Path

UTC = dt.timezone.utc
NOW = dt.datetime(2024, 10, 12, 9, 0, tzinfo=UTC)  # Saturday morning, after the estate ends
MON, TUE, WED, THU, FRI = (dt.date(2024, 10, d) for d in (7, 8, 9, 10, 11))
ERR = ("ERROR", "FATAL")
H = dt.timedelta(hours=1)
OUT = Path(__file__).with_name("demo_questions_heldout5.json")


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


def top(counter: Counter, n: int, ordered: bool = True):
    """The n largest; no tie at the cut, and none inside when the order is to be judged."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))
    if len(items) > n:
        assert items[n - 1][1] != items[n][1], f"tie at cut: {items[:n + 1]}"
    vals = [c for _, c in items[:n]]
    assert not ordered or len(set(vals)) == len(vals), f"tie inside top: {items[:n]}"
    return [[k, c] for k, c in items[:n]]


def argmax(counter: Counter):
    (k1, c1), (k2, c2) = counter.most_common(2)
    assert c1 != c2, f"tie for first: {k1} {k2} {c1}"
    return k1


def hour_iso(ts: dt.datetime) -> str:
    return ts.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00:00Z")


SSH_FAIL = re.compile(r"^Failed password for (?:invalid user )?(\S+) from (\S+) port \d+")
ACCEPTED = re.compile(r"^Accepted publickey for (\S+) from (\S+) port \d+")
SERVED = re.compile(r"^Served product \d+ in (\d+)ms$")
SEARCH = re.compile(r"^Search query=(\S+) hits=(\d+) took (\d+)ms$")
GC = re.compile(r"^GC pause of (\d+)ms exceeded threshold (\d+)ms$")
REFRESHED = re.compile(r"^Refreshed (\d+) prices in (\d+)ms$")
PG_DUR = re.compile(r"^duration: ([\d.]+) ms  statement: ")


def build(recs) -> list[dict]:
    qs: list[dict] = []

    def q(group, kind, text, answer, notes):
        item = {"id": f"h5-{len(qs) + 1:03d}", "group": group, "kind": kind, "question": text,
                "answer": answer, "notes": notes}
        if "tolerance" in answer:  # the judge reads the tolerance at question level
            item["tolerance"] = answer["tolerance"]
        qs.append(item)

    def scalar(v, tol=None):
        a = {"type": "scalar", "value": v}
        if tol is not None:
            a["tolerance"] = tol
        return a

    def value(v):
        return {"type": "value", "value": v}

    def rows(cols, rs, ordered):
        return {"type": "rows", "columns": cols, "rows": rs, "ordered": ordered}

    def refuse(missing):
        # rows=[] keeps the judge total: any non-empty answer is scored wrong
        return {"type": "refuse", "missing": missing, "rows": [], "ordered": False}

    n = lambda it: sum(1 for _ in it)  # noqa: E731
    by = lambda s: [r for r in recs if r.svc == s]  # noqa: E731
    gw, co, pay, inv, cat, pg, ssh, fw = (by(s) for s in (
        "gateway", "checkout", "payment", "inventory", "catalog", "postgres", "sshd", "firewall"))
    fw_block = [r for r in fw if r.f["action"] == "BLOCK"]
    fw_allow = [r for r in fw if r.f["action"] == "ALLOW"]
    assert len(fw_block) + len(fw_allow) == len(fw)
    ssh_fail = [r for r in ssh if r.msg.startswith("Failed password")]
    assert all(SSH_FAIL.match(r.msg) for r in ssh_fail)
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    declined = [r for r in pay if r.msg == "payment declined"]
    authorized = [r for r in pay if r.msg == "payment authorized"]
    pg_dur = [(r, float(PG_DUR.match(r.msg)[1])) for r in pg if PG_DUR.match(r.msg)]

    # ------------------------------------------------------------ counts by severity
    q("count_severity", "count", "how many errors did the payment service throw on Wednesday morning?",
      scalar(n(r for r in pay if r.sev in ERR and within(r, T(WED, 6), T(WED, 12)))),
      "payment records level error (ERROR+FATAL) in [2024-10-09T06:00Z, 12:00Z)")
    q("count_severity", "count", "inventory warnings on wednesday, how many",
      scalar(n(r for r in inv if r.sev == "WARN" and on(r, WED))),
      "inventory level warn on 2024-10-09")
    q("count_severity", "count", "Total number of FATAL entries in the postgres log?",
      scalar(n(r for r in pg if r.sev == "FATAL")), "postgres 'FATAL:' lines, all time")

    # ------------------------------------------------------------ relative windows
    q("count_window", "count", "How many errors across all services in the last 12 hours?",
      scalar(n(r for r in recs if r.sev in ERR and within(r, NOW - 12 * H, NOW))),
      "ERROR+FATAL, every service, in [2024-10-11T21:00Z, 2024-10-12T09:00Z) (estate ends at "
      "2024-10-12T00:00Z); severities per the generator conventions")
    q("count_window", "count", "gateway 404s over the past 36 hours?",
      scalar(n(r for r in gw if r.f["status"] == 404 and within(r, NOW - 36 * H, NOW))),
      "nginx status 404 in [2024-10-10T21:00Z, 2024-10-12T09:00Z)")
    q("count_window", "count", "did checkout log any ERRORs the day before yesterday in the afternoon? give me a count",
      scalar(n(r for r in co if r.sev in ERR and within(r, T(THU, 12), T(THU, 18)))),
      "checkout level error in [2024-10-10T12:00Z, 18:00Z) (day before yesterday = 2024-10-10)")

    # ------------------------------------------------------------ named days, dates, hour ranges
    q("count_date", "count", "Firewall blocks on Monday between 09:00 and 10:00 — how many?",
      scalar(n(r for r in fw_block if within(r, T(MON, 9), T(MON, 10)))),
      "[UFW BLOCK] lines (all firewall hosts) in [2024-10-07T09:00Z, 10:00Z)")
    q("count_date", "count", "total requests the gateway handled on 2024-10-10",
      scalar(n(r for r in gw if on(r, THU))), "nginx access records on 2024-10-10")
    q("count_date", "count",
      "how many 'out of stock' warnings did inventory log on Oct 8th from 6pm to midnight?",
      scalar(n(r for r in inv if r.msg == "out of stock" and within(r, T(TUE, 18), T(WED, 0)))),
      "inventory msg 'out of stock' in [2024-10-08T18:00Z, 2024-10-09T00:00Z)")

    # ------------------------------------------------------------ top-N / which most
    q("top_n", "top_n", "top 5 URLs returning 404 on the gateway",
      rows(["path", "requests"], top(Counter(r.f["path"] for r in gw if r.f["status"] == 404), 5, False), False),
      "nginx status 404 grouped by request path as logged, all time; the five largest as a set "
      "(two paths tie at 2nd/3rd, so the order is not judged)")
    q("top_n", "argmax", "Which service logged the most warnings on Thursday?",
      value(argmax(Counter(r.svc for r in recs if r.sev == "WARN" and on(r, THU)))),
      "severity WARN on 2024-10-10 grouped by service; the argmax")
    q("top_n", "top_n", "top 3 source IPs the firewall blocked yesterday, with counts",
      rows(["src_ip", "blocks"], top(Counter(r.f["SRC"] for r in fw_block if on(r, FRI)), 3), True),
      "[UFW BLOCK] on 2024-10-11 grouped by SRC, descending")
    q("top_n", "argmax", "what's the most common reason for declined payments?",
      value(argmax(Counter(r.f["reason"] for r in declined))),
      "payment 'payment declined' grouped by field reason, all time; the argmax")

    # ------------------------------------------------------------ trends
    c = Counter(r.ts.date().isoformat() for r in recs if r.sev in ERR)
    q("trend", "per_day", "error trend per day across the estate",
      rows(["day", "errors"], sorted([k, v] for k, v in c.items()), True),
      "ERROR+FATAL, all services, by UTC day 2024-10-07..11")
    c = Counter(hour_iso(r.ts) for r in gw if within(r, T(THU, 6), T(THU, 10)))
    assert len(c) == 4
    q("trend", "per_hour", "gateway requests per hour on Thursday 6am-10am",
      rows(["hour", "requests"], sorted([k, v] for k, v in c.items()), True),
      "nginx records in [2024-10-10T06:00Z, 10:00Z) by hour start")
    c = Counter(r.ts.date().isoformat() for r in ssh_fail)
    assert len(c) == 5
    q("trend", "per_day", "show me failed ssh password attempts day by day",
      rows(["day", "failed_logins"], sorted([k, v] for k, v in c.items()), True),
      "sshd 'Failed password' lines by UTC day")

    # ------------------------------------------------------------ shares and ratios
    fri = [r for r in gw if on(r, FRI)]
    q("share", "share", "what percentage of yesterday's gateway requests were 4xx?",
      scalar(round(n(r for r in fri if 400 <= r.f["status"] < 500) / len(fri), 6), 0.0001),
      "400<=status<500 / all nginx requests on 2024-10-11 (fraction; either scale accepted)")
    q("share", "share", "What fraction of checkout's log lines are errors?",
      scalar(round(n(r for r in co if r.sev in ERR) / len(co), 6), 0.0001),
      "checkout level error / all checkout records (one JSON line each), all time")
    q("share", "ratio", "ratio of declined to authorized payments?",
      scalar(round(len(declined) / len(authorized), 6), 0.0001),
      "count payment 'payment declined' / count 'payment authorized', all time")
    tb = n(r for r in fw_block if on(r, TUE))
    ta = n(r for r in fw_allow if on(r, TUE))
    q("share", "ratio", "firewall on Tuesday: blocks per allow?",
      scalar(round(tb / ta, 6), 0.0001), "[UFW BLOCK] / [UFW ALLOW] on 2024-10-08")

    # ------------------------------------------------------------ numbers inside message text
    v = [int(GC.match(r.msg)[1]) for r in cat if GC.match(r.msg)]
    q("message_number", "max", "longest GC pause the catalog reported?",
      scalar(max(v)), "max N of catalog 'GC pause of Nms exceeded threshold Tms', all time, ms")
    v = [int(SEARCH.match(r.msg)[3]) for r in cat if SEARCH.match(r.msg)]
    q("message_number", "average", "avg time catalog search queries took, in ms",
      scalar(round(sum(v) / len(v), 4), 0.01),
      "mean of T in catalog 'Search query=Q hits=H took Tms', all time")
    v = [d for r, d in pg_dur if on(r, FRI)]
    q("message_number", "percentile", "p95 postgres statement duration yesterday",
      scalar(round(pct(v, 0.95), 4), 0.05),
      "quantile_cont 0.95 of X in postgres 'duration: X ms  statement: ...' on 2024-10-11")
    q("message_number", "count", "how many postgres statements took longer than 1 second?",
      scalar(n(d for _, d in pg_dur if d > 1000)),
      "postgres 'duration: X ms' lines with X > 1000, all time")
    v = [int(SERVED.match(r.msg)[1]) for r in cat if SERVED.match(r.msg) and on(r, MON)]
    q("message_number", "count", "On Monday, how many product page serves in catalog were slower than 300ms?",
      scalar(n(x for x in v if x > 300)),
      "catalog 'Served product <id> in Nms' with N > 300 on 2024-10-07")
    # ------------------------------------------------------------ distinct counts
    q("distinct", "distinct_count", "how many distinct customers placed an order on Friday?",
      scalar(len({r.f["user_id"] for r in placed if on(r, FRI)})),
      "distinct user_id of checkout 'order placed' on 2024-10-11")
    q("distinct", "distinct_count", "number of unique IPs with failed ssh passwords",
      scalar(len({SSH_FAIL.match(r.msg)[2] for r in ssh_fail})),
      "distinct source IP of sshd 'Failed password ... from IP port', all time")
    q("distinct", "distinct_count", "How many different SKUs ran out of stock this week?",
      scalar(len({r.f["sku"] for r in inv if r.msg == "out of stock"})),
      "distinct sku of inventory 'out of stock', 2024-10-07..11 (the whole estate is this week)")

    # ------------------------------------------------------------ HTTP access logs
    q("http", "argmax", "which user agent sent the most requests to the gateway?",
      value(argmax(Counter(r.f["ua"] for r in gw))),
      "nginx user-agent string grouped, all time; the argmax (full UA string)")
    c = Counter(r.f["status"] for r in gw if r.f["status"] >= 500 and on(r, WED))
    q("http", "group_by", "break down Wednesday's 5xx responses by status code",
      rows(["status", "requests"], [[k, v] for k, v in sorted(c.items())], False),
      "nginx status>=500 on 2024-10-09 grouped by status")
    q("http", "count", "how many requests came from curl?",
      scalar(n(r for r in gw if "curl" in r.f["ua"].lower())),
      "nginx records whose user agent contains 'curl', all time")

    # ------------------------------------------------------------ verb forms
    q("verb_form", "count", "how many orders failed on Tuesday?",
      scalar(n(r for r in failed if on(r, TUE))),
      "checkout 'order failed' (warn and error levels) on 2024-10-08")
    q("verb_form", "argmax", "what hour on Tuesday was checkout failing the most?",
      value(argmax(Counter(hour_iso(r.ts) for r in failed if on(r, TUE)))),
      "checkout 'order failed' on 2024-10-08 by hour start; the argmax, ISO hour start")
    q("verb_form", "count", "root ssh login failures in the last 3 days",
      scalar(n(r for r in ssh_fail if SSH_FAIL.match(r.msg)[1] == "root"
               and "invalid user" not in r.msg and within(r, NOW - 72 * H, NOW))),
      "sshd 'Failed password for root from' in [2024-10-09T09:00Z, 2024-10-12T09:00Z)")
    q("verb_form", "count", "successful ssh logins by deploy on Friday?",
      scalar(n(r for r in ssh if ACCEPTED.match(r.msg) and ACCEPTED.match(r.msg)[1] == "deploy"
               and on(r, FRI))),
      "sshd 'Accepted publickey for deploy from' on 2024-10-11 (publickey is the only accepted method)")

    # ------------------------------------------------------------ comparisons between days
    a, b = n(r for r in gw if on(r, FRI)), n(r for r in gw if on(r, MON))
    q("compare_days", "compare_days", "Friday vs Monday gateway traffic — how many more requests on Friday? (Fri minus Mon)",
      scalar(a - b), "nginx records 2024-10-11 minus 2024-10-07 (may be negative)")
    a = n(r for r in recs if r.sev in ERR and on(r, WED))
    b = n(r for r in recs if r.sev in ERR and on(r, TUE))
    q("compare_days", "compare_days", "errors on Wednesday compared with Tuesday, as a ratio (Wed / Tue)",
      scalar(round(a / b, 6), 0.001), "ERROR+FATAL all services 2024-10-09 / 2024-10-08")

    # ------------------------------------------------------------ not answerable
    q("refuse", "refuse", "what was the gateway's median upstream response time yesterday?",
      refuse("request/upstream time: the nginx combined lines carry no timing field"),
      "nginx combined format has status, bytes, referer and UA only; must not borrow another service's duration_ms")
    q("refuse", "refuse", "how many requests came from each country yesterday?",
      refuse("country / geo location: no such field anywhere in the estate"),
      "client IPs only; no country field")
    q("refuse", "refuse", "average CPU temperature on the inventory hosts last night",
      refuse("CPU temperature: no such metric in any log"), "no host metrics in the estate")
    return qs


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("estate", type=Path)
    p.add_argument("--blind-estate-dir", type=Path,
                   default=Path(__file__).resolve().parents[2] / "data",
                   help="folder holding blind_estate.py (default: tests/data beside this set)")
    args = p.parse_args(argv)
    sys.path.insert(0, str(args.blind_estate_dir))
    from blind_estate import crosscheck, parse_estate

    root = args.estate
    truth = json.loads((root / "ground_truth.json").read_text(encoding="utf-8"))
    assert (truth["days"], truth["seed"], truth["start"][:10]) == (5, 41, "2024-10-07")
    recs = parse_estate(root)
    crosscheck(recs, truth)
    assert max(r.ts for r in recs) < NOW
    qs = build(recs)
    assert len(qs) == 40, len(qs)
    doc = {
        "doc": "Held-out set 5: questions over `logpilot demo-data --days 5 --seed 41 --start "
               "2024-10-07`, written blind to the parser. Conventions: all times UTC; 'now' is the "
               "stated now (Saturday 2024-10-12T09:00Z, after the estate ends at 2024-10-12T00:00Z); "
               "ranges half-open [lo, hi); 'yesterday' = 2024-10-11, 'day before yesterday' = 2024-10-10; 'last N hours' = [now - N h, now); "
               "'last 3 days' = the last 72 hours; 'this week' = the whole estate; weekdays: "
               "2024-10-07 Monday .. 2024-10-11 Friday; morning = 06:00-12:00, afternoon = 12:00-18:00; '6pm to midnight' = "
               "18:00-24:00; severities as the generator's conventions (gateway status>=500 ERROR, "
               ">=400 WARN; [UFW BLOCK] WARN; sshd lines with failed/invalid/error/denied/refused ERROR; "
               "postgres LOG/WARNING as INFO/WARN; JSON level field; Log4j level of the header line); "
               "errors = ERROR+FATAL; warnings = WARN; a catalog record is a Log4j header line with its "
               "continuation lines; failed SSH logins = sshd 'Failed password' lines; firewall blocks = "
               "[UFW BLOCK] lines; 5xx = status>=500, 4xx = 400..499; percentiles by linear "
               "interpolation (DuckDB quantile_cont); shares as fractions 0..1 (the judge accepts either "
               "scale); ratios as plain quotients; hour buckets as ISO hour starts; rows with "
               "ordered=false compare as sets. Each question has a group (kind of question, for "
               "per-group scores) and a kind (how the answer is computed). Group 'refuse': the "
               "question names a field the estate lacks; the right outcome is a refusal "
               "(answer type 'refuse'; its empty rows make any non-empty answer wrong). Answers "
               "computed from the raw files by tests/data/blind_estate.py's reader (crosschecked "
               "with the generator counts) plus message regexes; script "
               "tests/benchmarks/data/make_demo_questions_heldout5.py.",
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "estate": {"days": 5, "seed": 41, "start": "2024-10-07"},
        "questions": qs,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(len(qs), dict(Counter(x["group"] for x in qs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
