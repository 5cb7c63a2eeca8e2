"""Held-out question set 7 for LogPilot's plain-English parser, computed blind.

Estate: `logpilot demo-data --out ESTATE --days 5 --seed 71 --start 2025-06-09`
(Monday 2025-06-09 .. Friday 2025-06-13; the generator used only as a black box through
its CLI). The questions were written without reading the parser and without running it, so
they measure what it handles rather than what it was tuned to. Answers come only from the
raw files, read by the independent reader tests/data/blind_estate.py (crosschecked against
the generator's counters, plus this script's own crosschecks) and this script's regexes
over message text. Every question carries a ``group`` (the kind of question, for per-group
scoring) and a ``kind`` (how its answer is computed). Questions of group ``refuse`` ask for
something the estate does not record: the right outcome is a refusal.
Usage: python make_demo_questions_heldout7.py ESTATE [--blind-estate-dir DIR]
       -> writes demo_questions_heldout7.json beside this script
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
NOW = dt.datetime(2025, 6, 14, 9, 0, tzinfo=UTC)  # Saturday 09:00, after the estate ends
MON, TUE, WED, THU, FRI = (dt.date(2025, 6, d) for d in (9, 10, 11, 12, 13))
YESTERDAY = FRI
ERR = ("ERROR", "FATAL")
H = dt.timedelta(hours=1)
OUT = Path(__file__).with_name("demo_questions_heldout7.json")
ESTATE = {"days": 5, "seed": 71, "start": "2025-06-09"}

SSH_FAIL = re.compile(r"^Failed password for (?:invalid user )?(\S+) from (\S+) port \d+")
PG_DUR = re.compile(r"^duration: ([\d.]+) ms  statement: ")
IP_WORD = r"(?<![\d.]){}(?![\d.])"


def T(d: dt.date, h: int = 0, m: int = 0) -> dt.datetime:
    """Midnight of a day plus hours/minutes, UTC."""
    return dt.datetime(d.year, d.month, d.day, tzinfo=UTC) + dt.timedelta(hours=h, minutes=m)


def on(r, d: dt.date) -> bool:
    return r.ts.date() == d


def within(r, lo: dt.datetime, hi: dt.datetime) -> bool:
    """Half-open [lo, hi), the convention stated in the doc."""
    return lo <= r.ts < hi


def pct(vals: list[float], q: float) -> float:
    """Linear interpolation, as DuckDB quantile_cont / numpy default."""
    v = sorted(vals)
    pos = (len(v) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (pos - lo)


def ranked(counter: Counter, n: int, largest: bool = True) -> list[list]:
    """The n largest (or smallest); no tie at the cut nor inside, so the order is judgeable."""
    sign = -1 if largest else 1
    items = sorted(counter.items(), key=lambda kv: (sign * kv[1], str(kv[0])))
    if len(items) > n:
        assert items[n - 1][1] != items[n][1], f"tie at cut: {items[:n + 1]}"
    vals = [c for _, c in items[:n]]
    assert len(set(vals)) == len(vals), f"tie inside: {items[:n]}"
    return [[k, c] for k, c in items[:n]]


def hour_iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:00:00Z")


def ts_iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def scalar(v, tol: float | None = None) -> dict:
    out = {"type": "scalar", "value": v}
    if tol is not None:
        out["tolerance"] = tol
    return out


def rows(columns: list[str], data: list[list], ordered: bool) -> dict:
    return {"type": "rows", "columns": columns, "rows": data, "ordered": ordered}


def crosscheck_more(recs, truth: dict) -> None:
    """Counters of the generator that blind_estate.crosscheck does not cover, used here."""
    c = truth["counts"]
    fails = Counter((r.ts.date().isoformat(), r.f["reason"]) for r in recs
                    if r.svc == "checkout" and r.msg == "order failed")
    want = {(d, k): n for d, o in c["orders"]["by_day"].items()
            for k, n in o["failed_by_reason"].items()}
    assert dict(fails) == want, "failed orders by reason disagree"
    dpt = Counter(r.f["DPT"] for r in recs if r.svc == "firewall" and r.f["action"] == "BLOCK")
    assert dict(dpt) == c["firewall_blocks_by_dpt"], "blocked ports disagree"
    hours = Counter((r.svc, r.sev, r.ts.strftime("%Y-%m-%dT%H")) for r in recs)
    want_h = {(x["service"], x["severity"], x["hour"]): x["records"]
              for x in c["by_service_severity_hour"]}
    assert dict(hours) == want_h, "hourly counts disagree"
    acts = Counter((r.ts.date().isoformat(), r.f["action"]) for r in recs if r.svc == "firewall")
    users = Counter()
    for d in {r.ts.date() for r in recs}:
        users[d.isoformat()] = len({r.f["user_id"] for r in recs if r.svc == "checkout"
                                    and r.msg in ("order placed", "order failed") and on(r, d)})
    assert dict(users) == c["users"]["ordering_users_by_day"], "ordering users disagree"
    assert dict(acts) == {(d, a): n for d, m in c["firewall_actions_by_day"].items()
                          for a, n in m.items()}, "firewall actions disagree"


def build(recs) -> list[dict]:
    qs: list[dict] = []

    def q(group: str, kind: str, text: str, answer: dict, notes: str) -> None:
        qs.append({"id": f"h7-{len(qs) + 1:03d}", "group": group, "kind": kind,
                   "question": text, "answer": answer, "notes": notes})

    by = {s: [r for r in recs if r.svc == s] for s in {r.svc for r in recs}}
    gw, fw, ssh, pg = by["gateway"], by["firewall"], by["sshd"], by["postgres"]
    co, pay, inv = by["checkout"], by["payment"], by["inventory"]
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    blocks = [r for r in fw if r.f["action"] == "BLOCK"]
    ssh_fail = [(r, SSH_FAIL.match(r.msg)) for r in ssh if r.msg.startswith("Failed password")]
    assert all(m for _, m in ssh_fail)

    # ------------------------------------------------------------ counts by severity
    q("count_severity", "count", "how many errors did the payment service log on Wednesday?",
      scalar(sum(1 for r in pay if r.sev in ERR and on(r, WED))),
      "payment level error (ERROR+FATAL) on 2025-06-11")
    q("count_severity", "count", "number of warnings from catalog on June 12th",
      scalar(sum(1 for r in by["catalog"] if r.sev == "WARN" and on(r, THU))),
      "catalog Log4j WARN header lines on 2025-06-12")
    q("count_severity", "count", "how many FATAL entries did postgres write over the whole week?",
      scalar(sum(1 for r in pg if r.sev == "FATAL")),
      "postgres 'FATAL:' lines, whole estate (2025-06-09..13)")
    n = sum(1 for r in co if r.sev in ERR and on(r, FRI))
    assert n == 0
    q("count_severity", "count", "did checkout throw any errors on Friday? how many",
      scalar(n), "checkout has no error-level record on 2025-06-13; the count is 0, not a refusal")

    # ------------------------------------------------------------ counts with time phrases
    q("time_range", "count",
      "how many requests did the gateway serve between 2pm and 4pm on 2025-06-10?",
      scalar(sum(1 for r in gw if within(r, T(TUE, 14), T(TUE, 16)))),
      "gateway access lines in [2025-06-10T14:00Z, 16:00Z)")
    q("time_range", "count", "failed ssh logins in the early hours of Wednesday?",
      scalar(sum(1 for r, _ in ssh_fail if within(r, T(WED), T(WED, 6)))),
      "sshd 'Failed password' lines in [2025-06-11T00:00Z, 06:00Z)")
    q("time_range", "count", "how many 5xx responses did the gateway return yesterday?",
      scalar(sum(1 for r in gw if r.f["status"] >= 500 and on(r, YESTERDAY))),
      "yesterday = 2025-06-13 (now = 2025-06-14T09:00Z); status 500-599")
    q("time_range", "count", "how many connections did the firewall block in the last 24 hours?",
      scalar(sum(1 for r in blocks if within(r, NOW - 24 * H, NOW))),
      "[UFW BLOCK] lines in [2025-06-13T09:00Z, 2025-06-14T09:00Z); the estate ends at "
      "2025-06-14T00:00Z")
    q("time_range", "count", "how many orders failed on 10/06?",
      scalar(sum(1 for r in failed if on(r, TUE))),
      "numeric dates are day-first: 10/06 = 10 June 2025; checkout 'order failed' records of "
      "any level (WARN payment_declined + ERROR others)")
    q("time_range", "count", "how many statement timeouts did postgres hit on Thursday afternoon?",
      scalar(sum(1 for r in pg if r.msg == "canceling statement due to statement timeout"
                 and within(r, T(THU, 12), T(THU, 18)))),
      "postgres 'canceling statement due to statement timeout' in [2025-06-12T12:00Z, 18:00Z)")

    # ------------------------------------------------------------ count distinct
    q("count_distinct", "count_distinct", "how many different customers placed an order on Tuesday?",
      scalar(len({r.f["user_id"] for r in placed if on(r, TUE)})),
      "distinct user_id over checkout 'order placed' records on 2025-06-10 (customers = user_id)")
    q("count_distinct", "count_distinct",
      "how many unique source IPs got blocked by the firewall across all five days?",
      scalar(len({r.f["SRC"] for r in blocks})), "distinct SRC of [UFW BLOCK] lines, whole estate")
    q("count_distinct", "count_distinct", "how many distinct SKUs ran out of stock?",
      scalar(len({r.f["sku"] for r in inv if r.msg == "out of stock"})),
      "distinct sku of inventory 'out of stock' records, whole estate")

    # ------------------------------------------------------------ numeric aggregates
    rev = sum(r.f["amount"] for r in placed if on(r, THU))
    q("aggregate", "sum", "what was the total revenue from placed orders on Thursday?",
      scalar(round(rev, 2), 0.01), "sum of amount over checkout 'order placed' on 2025-06-12 (EUR)")
    lat = [r.f["duration_ms"] for r in placed if on(r, MON)]
    q("aggregate", "avg", "average checkout latency for completed orders on Monday, in ms",
      scalar(round(sum(lat) / len(lat), 4), 0.01),
      "mean duration_ms of checkout 'order placed' on 2025-06-09 (the only checkout records "
      "with duration_ms)")
    pl = [r.f["duration_ms"] for r in pay if "duration_ms" in r.f and on(r, WED)]
    q("aggregate", "percentile", "p95 payment latency on Wednesday?",
      scalar(round(pct(pl, 0.95), 4), 0.5),
      "quantile_cont(duration_ms, 0.95) over payment records on 2025-06-11 that have it "
      "(payment authorized + payment declined)")
    sz = [r.f["size"] for r in gw if on(r, FRI)]
    q("aggregate", "avg", "what's the average response size in bytes on the gateway for Friday?",
      scalar(round(sum(sz) / len(sz), 4), 0.01),
      "mean body bytes (nginx combined size field) of gateway lines on 2025-06-13")
    durs = [float(PG_DUR.match(r.msg)[1]) for r in pg if PG_DUR.match(r.msg)]
    q("aggregate", "max", "what was the slowest query postgres logged, in milliseconds?",
      scalar(max(durs), 0.01), "max of 'duration: N ms  statement:' over postgres, whole estate")

    # ------------------------------------------------------------ shares
    wed = [r for r in gw if on(r, WED)]
    q("share", "ratio", "what fraction of gateway requests on Wednesday came back with a 5xx?",
      scalar(round(sum(1 for r in wed if r.f["status"] >= 500) / len(wed), 6), 0.0005),
      "gateway status 500-599 / all gateway lines, 2025-06-11")
    f_mon = sum(1 for r in failed if on(r, MON))
    p_mon = sum(1 for r in placed if on(r, MON))
    q("share", "ratio", "what percentage of orders failed on Monday?",
      scalar(round(f_mon / (f_mon + p_mon), 6), 0.0005),
      "'order failed' / ('order placed' + 'order failed') on 2025-06-09; each attempt ends in "
      "exactly one of the two")
    q("share", "ratio", "what share of firewall log entries were blocks?",
      scalar(round(len(blocks) / len(fw), 6), 0.0005),
      "[UFW BLOCK] / all firewall lines, whole estate")

    # ------------------------------------------------------------ top / bottom N
    q("top_n", "top", "top 3 source IPs by failed ssh logins",
      rows(["src_ip", "failures"], ranked(Counter(m[2] for _, m in ssh_fail), 3), True),
      "sshd 'Failed password' lines by source IP, whole estate")
    q("top_n", "top", "which five destination ports did the firewall reject most often?",
      rows(["dst_port", "blocks"],
           [[int(k), c] for k, c in ranked(Counter(r.f["DPT"] for r in blocks), 5)], True),
      "rejected = [UFW BLOCK]; DPT counts, whole estate")
    q("top_n", "top", "what usernames did attackers try most in failed ssh logins? give me the top 5",
      rows(["username", "attempts"], ranked(Counter(m[1] for _, m in ssh_fail), 5), True),
      "user name of 'Failed password for [invalid user] NAME from' lines, whole estate")
    q("top_n", "top", "the two busiest hours at the gateway on Thursday",
      rows(["hour", "requests"],
           ranked(Counter(hour_iso(r.ts) for r in gw if on(r, THU)), 2), True),
      "gateway lines per hour on 2025-06-12, hour as ISO hour start")
    cats = Counter(r.f["path"] for r in gw if r.f["path"].startswith("/category/"))
    q("top_n", "bottom", "which three /category/ pages were requested the least at the gateway?",
      rows(["path", "requests"], ranked(cats, 3, largest=False), True),
      "gateway path exactly /category/NAME, fewest first, whole estate")

    # ------------------------------------------------------------ group by
    e_thu = Counter(r.svc for r in recs if r.sev in ERR and on(r, THU))
    q("group_by", "group_count", "break down Thursday's errors by service",
      rows(["service", "errors"], [[k, v] for k, v in sorted(e_thu.items())], False),
      "ERROR+FATAL per service on 2025-06-12; services with none are left out")
    q("group_by", "group_count", "firewall blocks per day",
      rows(["day", "blocks"],
           [[d.isoformat(), sum(1 for r in blocks if on(r, d))] for d in (MON, TUE, WED, THU, FRI)],
           True), "[UFW BLOCK] per day, days ascending as ISO dates")
    q("group_by", "group_count", "count the failed orders by reason for the week",
      rows(["reason", "orders"],
           [[k, v] for k, v in sorted(Counter(r.f["reason"] for r in failed).items())], False),
      "reason field of checkout 'order failed', whole estate")
    fri_am = Counter(hour_iso(r.ts) for r in blocks if within(r, T(FRI, 6), T(FRI, 12)))
    assert len(fri_am) == 6
    q("group_by", "group_count", "blocked connections per hour on Friday morning",
      rows(["hour", "blocks"], [[k, v] for k, v in sorted(fri_am.items())], True),
      "[UFW BLOCK] per hour in [2025-06-13T06:00Z, 12:00Z), hours ascending")

    # ------------------------------------------------------------ comparisons
    p_thu = sum(1 for r in placed if on(r, THU))
    q("compare", "difference", "how many more orders were placed on Thursday than on Monday?",
      scalar(p_thu - p_mon), "'order placed' on 2025-06-12 minus on 2025-06-09")
    q("compare", "two_rows", "gateway 5xx count, Wednesday vs Friday",
      rows(["day", "errors"],
           [[d.isoformat(), sum(1 for r in gw if on(r, d) and r.f["status"] >= 500)]
            for d in (WED, FRI)], False),
      "status 500-599 on 2025-06-11 and on 2025-06-13, one row per day")
    early = sum(1 for r, _ in ssh_fail if within(r, T(TUE), T(TUE, 6)))
    aft = sum(1 for r, _ in ssh_fail if within(r, T(TUE, 12), T(TUE, 18)))
    q("compare", "difference",
      "on Tuesday, how many more failed ssh logins were there in the afternoon than in the "
      "early hours?", scalar(aft - early),
      "'Failed password' in [12:00, 18:00) minus in [00:00, 06:00) of 2025-06-10")
    assert aft > early

    # ------------------------------------------------------------ first / last seen
    nospace = [r for r in pg if "No space left on device" in r.msg]
    q("first_last", "first_seen", "when did postgres first complain about 'No space left on device'?",
      scalar(ts_iso(min(r.ts for r in nospace))), "earliest such postgres ERROR line")
    b8081 = [r for r in blocks if r.f["DPT"] == "8081"]
    q("first_last", "last_seen", "when was the last time the firewall blocked traffic to port 8081?",
      scalar(ts_iso(max(r.ts for r in b8081))), "latest [UFW BLOCK] with DPT=8081")
    ip = "178.141.81.230"
    hits = [r for r in ssh if re.search(IP_WORD.format(re.escape(ip)), r.msg)]
    q("first_last", "first_seen", f"when did {ip} first show up in the sshd logs?",
      scalar(ts_iso(min(r.ts for r in hits))), "earliest sshd line mentioning that address")

    # ------------------------------------------------------------ refusals
    for text, why in (
        ("what was the average CPU usage on web01 on Thursday?",
         "no CPU metric anywhere in the estate"),
        ("how many orders were shipped to Germany this week?",
         "no shipping destination or country field in checkout records"),
        ("what's the p99 response time of the gateway on Friday?",
         "nginx combined lines carry no request time; only status and bytes"),
        ("which coupon code gave the biggest total discount?",
         "no coupon or discount field in any record"),
    ):
        q("refuse", "refuse", text, {"type": "refuse"}, why)
    return qs


DOC = (
    "Held-out set 7: questions over `logpilot demo-data --days 5 --seed 71 --start 2025-06-09`, "
    "written blind to the parser (its code not read, its answering not run). Conventions: all "
    "times UTC; 'now' is Saturday 2025-06-14T09:00Z (the estate covers [2025-06-09T00:00Z, "
    "2025-06-14T00:00Z)); ranges half-open [lo, hi); 'yesterday' = Friday 2025-06-13; 'the last "
    "24 hours' = [now - 24 h, now); weekdays: 2025-06-09 Monday .. 2025-06-13 Friday; 'the whole "
    "week' / 'across all five days' = the whole estate; dates in any written form (June 12th, "
    "2025-06-10, 10/06 = 10 June: numeric dates are day-first); early hours = 00:00-06:00, "
    "morning = 06:00-12:00, afternoon = 12:00-18:00, evening = 18:00-24:00; 'between 2pm and "
    "4pm' = [14:00, 16:00); severities as the generator's conventions (gateway status>=500 "
    "ERROR, >=400 WARN, else INFO; [UFW BLOCK] WARN, [UFW ALLOW] INFO; sshd lines containing "
    "failed/invalid/error/denied/refused ERROR; postgres LOG/WARNING/ERROR/FATAL as "
    "INFO/WARN/ERROR/FATAL; JSON level field; Log4j level of the header line); errors = "
    "ERROR+FATAL, warnings = WARN; '5xx' = HTTP status 500-599; a count over a service with no "
    "match is 0; failed SSH logins = sshd 'Failed password' lines (the tried username is the "
    "word after 'for' / 'for invalid user'); firewall blocks (also 'blocked', 'rejected') = "
    "[UFW BLOCK] lines; customers = user_id; orders placed (also 'completed')/failed = checkout 'order placed'/'order "
    "failed' records (any level); revenue = sum of amount of placed orders; latency = the "
    "duration_ms field; response size = the nginx bytes field; postgres query time = the N of "
    "'duration: N ms  statement:'; percentiles by linear interpolation (DuckDB quantile_cont); "
    "shares as fractions 0..1 (a 'percentage' question too; the judge accepts either scale); "
    "differences as first-named minus second-named; hour buckets as ISO hour starts; days as "
    "ISO dates; first/last seen as ISO instants (judged within 1 s); tolerance, where given, is "
    "absolute; rows with ordered=false compare as sets; group-by rows leave out groups with no "
    "records. Each question has a group (kind of question, for per-group scores) and a kind "
    "(how the answer is computed). Group 'refuse': the question asks for something the estate "
    "does not record; the right outcome is a refusal (answer type 'refuse'). Answers computed "
    "from the raw files by tests/data/blind_estate.py's reader (crosschecked with the generator "
    "counts) plus message regexes; script tests/benchmarks/data/make_demo_questions_heldout7.py."
)


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
    assert (truth["days"], truth["seed"], truth["start"][:10]) == (5, 71, "2025-06-09")
    recs = parse_estate(root)
    crosscheck(recs, truth)
    crosscheck_more(recs, truth)
    assert max(r.ts for r in recs) < NOW
    qs = build(recs)
    assert len(qs) == 40, len(qs)
    doc = {"doc": DOC, "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "estate": ESTATE,
           "questions": qs}
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(len(qs), dict(Counter(x["group"] for x in qs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
