"""Held-out question set 8 for LogPilot's plain-English parser, computed blind.

Estate: `logpilot demo-data --out ESTATE --days 4 --seed 97 --start 2025-11-17`
(Monday 2025-11-17 .. Thursday 2025-11-20; the generator used only as a black box through
its CLI). The questions were written without reading the parser and without running it, so
they measure what it handles rather than what it was tuned to. Answers come only from the
raw files, read by the independent reader tests/data/blind_estate.py (crosschecked against
the generator's counters, plus this script's own crosschecks) and this script's regexes
over message text. Every question carries a ``group`` (the kind of question, for per-group
scoring) and a ``kind`` (how its answer is computed). Questions of group ``refuse`` ask for
something the estate does not record: the right outcome is a refusal.
Usage: python make_demo_questions_heldout8.py ESTATE [--blind-estate-dir DIR]
       -> writes demo_questions_heldout8.json beside this script
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
NOW = dt.datetime(2025, 11, 21, 8, 0, tzinfo=UTC)  # Friday 08:00, after the estate ends
MON, TUE, WED, THU = (dt.date(2025, 11, d) for d in (17, 18, 19, 20))
YESTERDAY = THU
ERR = ("ERROR", "FATAL")
OUT = Path(__file__).with_name("demo_questions_heldout8.json")
ESTATE = {"days": 4, "seed": 97, "start": "2025-11-17"}

SSH_FAIL = re.compile(r"^Failed password for (?:invalid user )?(\S+) from (\S+) port \d+")
PG_DUR = re.compile(r"^duration: ([\d.]+) ms  statement: ")
LISTED = re.compile(r"^Listed \d+ products in category (\S+) page \d+ in \d+ms$")


def T(d: dt.date, h: int = 0, m: int = 0) -> dt.datetime:
    """Midnight of a day plus hours/minutes, UTC."""
    return dt.datetime(d.year, d.month, d.day, tzinfo=UTC) + dt.timedelta(hours=h, minutes=m)


def on(r, d: dt.date) -> bool:
    """The record's UTC calendar day is d."""
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
    """ISO start of the record's hour bucket."""
    return ts.strftime("%Y-%m-%dT%H:00:00Z")


def ts_iso(ts: dt.datetime) -> str:
    """ISO instant with milliseconds."""
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


def scalar(v, tol: float | None = None) -> dict:
    out = {"type": "scalar", "value": v}
    if tol is not None:
        out["tolerance"] = tol
    return out


def rows(columns: list[str], data: list[list], ordered: bool) -> dict:
    return {"type": "rows", "columns": columns, "rows": data, "ordered": ordered}


def grouped(counter: Counter) -> list[list]:
    """Group-by rows sorted by key (compared as a set anyway)."""
    return [[k, v] for k, v in sorted(counter.items())]


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
    assert dict(acts) == {(d, a): n for d, m in c["firewall_actions_by_day"].items()
                          for a, n in m.items()}, "firewall actions disagree"
    assert len(recs) == c["records_total"], "record total disagrees"


def build(recs) -> list[dict]:
    qs: list[dict] = []

    def q(group: str, kind: str, text: str, answer: dict, notes: str) -> None:
        qs.append({"id": f"h8-{len(qs) + 1:03d}", "group": group, "kind": kind,
                   "question": text, "answer": answer, "notes": notes})

    by = {s: [r for r in recs if r.svc == s] for s in {r.svc for r in recs}}
    gw, fw, ssh, pg = by["gateway"], by["firewall"], by["sshd"], by["postgres"]
    co, pay, inv, cat = by["checkout"], by["payment"], by["inventory"], by["catalog"]
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    blocks = [r for r in fw if r.f["action"] == "BLOCK"]
    ssh_fail = [(r, SSH_FAIL.match(r.msg)) for r in ssh if r.msg.startswith("Failed password")]
    assert all(m for _, m in ssh_fail)
    five = [r for r in gw if 500 <= r.f["status"] <= 599]

    # ------------------------------------------------------------ counts by severity
    q("count_severity", "count", "how many errors did postgres log on Tuesday?",
      scalar(sum(1 for r in pg if r.sev in ERR and on(r, TUE))),
      "postgres ERROR+FATAL lines on 2025-11-18")
    q("count_severity", "count", "inventory warnings yesterday",
      scalar(sum(1 for r in inv if r.sev == "WARN" and on(r, YESTERDAY))),
      "inventory level warn on 2025-11-20 (yesterday of now)")
    q("count_severity", "count",
      "total ERROR-level entries in the catalog logs across all four days",
      scalar(sum(1 for r in cat if r.sev == "ERROR")),
      "catalog Log4j ERROR header lines, both files, whole estate")
    n = sum(1 for r in inv if r.sev in ERR and on(r, MON))
    assert n == 0
    q("count_severity", "count", "did inventory log any errors on Monday? if so how many",
      scalar(n), "inventory has no error-level record on 2025-11-17; 0, not a refusal")
    q("count_severity", "count", "how many debug messages did the payment service emit on 19 Nov?",
      scalar(sum(1 for r in pay if r.sev == "DEBUG" and on(r, WED))),
      "payment level debug on 2025-11-19")

    # ------------------------------------------------------------ counts with time phrases
    q("time_range", "count",
      "how many requests hit the gateway between 9am and 11am on 2025-11-19?",
      scalar(sum(1 for r in gw if within(r, T(WED, 9), T(WED, 11)))),
      "gateway lines in [2025-11-19T09:00, 11:00)")
    q("time_range", "count", "number of firewall blocks in the last 24 hours",
      scalar(sum(1 for r in blocks if within(r, NOW - dt.timedelta(hours=24), NOW))),
      "[UFW BLOCK] in [2025-11-20T08:00, 2025-11-21T08:00)")
    q("time_range", "count", "failed ssh logins in the early hours of 18/11",
      scalar(sum(1 for r, _ in ssh_fail if within(r, T(TUE), T(TUE, 6)))),
      "sshd 'Failed password' in [2025-11-18T00:00, 06:00); day-first date")
    q("time_range", "count", "payment warnings on Wednesday afternoon",
      scalar(sum(1 for r in pay if r.sev == "WARN" and within(r, T(WED, 12), T(WED, 18)))),
      "payment warn in [2025-11-19T12:00, 18:00)")
    q("time_range", "count", "how many 4xx responses has the gateway returned since 6pm Wednesday?",
      scalar(sum(1 for r in gw if 400 <= r.f["status"] <= 499 and within(r, T(WED, 18), NOW))),
      "gateway status 400-499 in [2025-11-19T18:00, now)")
    q("time_range", "count",
      "how many postgres FATALs between 11:15 and 11:30 on 18 November?",
      scalar(sum(1 for r in pg if r.sev == "FATAL" and within(r, T(TUE, 11, 15), T(TUE, 11, 30)))),
      "postgres FATAL in [2025-11-18T11:15, 11:30)")

    # ------------------------------------------------------------ distinct entities
    q("distinct", "count_distinct", "how many distinct customers placed an order on Thursday?",
      scalar(len({r.f["user_id"] for r in placed if on(r, THU)})),
      "distinct user_id of checkout 'order placed' on 2025-11-20")
    q("distinct", "count_distinct", "how many unique source IPs did the firewall block on Monday?",
      scalar(len({r.f["SRC"] for r in blocks if on(r, MON)})),
      "distinct SRC of [UFW BLOCK] on 2025-11-17")
    q("distinct", "count_distinct",
      "number of different usernames attackers tried in failed ssh logins",
      scalar(len({m[1] for _, m in ssh_fail})),
      "distinct tried username of 'Failed password' lines, whole estate")
    q("distinct", "count_distinct", "how many different SKUs ran out of stock this week?",
      scalar(len({r.f["sku"] for r in inv if r.msg == "out of stock"})),
      "distinct sku of inventory 'out of stock' records, whole estate (the estate is this week)")

    # ------------------------------------------------------------ numeric aggregates
    q("numeric", "sum", "total revenue from placed orders on Tuesday",
      scalar(round(sum(r.f["amount"] for r in placed if on(r, TUE)), 2), 0.01),
      "sum of amount of 'order placed' on 2025-11-18")
    v = [r.f["duration_ms"] for r in placed if on(r, WED)]
    q("numeric", "avg", "average checkout latency on Wednesday",
      scalar(round(sum(v) / len(v), 3), 0.01),
      "mean duration_ms of checkout records on 2025-11-19 (only 'order placed' carries it)")
    v = [r.f["duration_ms"] for r in pay if "duration_ms" in r.f and on(r, YESTERDAY)]
    q("numeric", "percentile", "p95 payment latency yesterday",
      scalar(round(pct(v, 0.95), 3), 0.5),
      "quantile_cont 0.95 of payment duration_ms on 2025-11-20")
    v = [r.f["size"] for r in gw if r.f["method"] == "GET" and on(r, MON)]
    q("numeric", "percentile", "median response size in bytes for GET requests on Monday",
      scalar(round(pct(v, 0.5), 3), 0.5),
      "quantile_cont 0.5 of nginx bytes, method GET, 2025-11-17")
    v = [float(PG_DUR.match(r.msg)[1]) for r in pg if PG_DUR.match(r.msg) and on(r, THU)]
    q("numeric", "max", "slowest postgres query on Thursday, in ms",
      scalar(max(v), 0.01), "max N of 'duration: N ms  statement:' on 2025-11-20")
    v = [r.f["score"] for r in pay if "score" in r.f and on(r, TUE)]
    q("numeric", "avg", "mean fraud score on Tuesday",
      scalar(round(sum(v) / len(v), 5), 0.0005), "mean payment score field on 2025-11-18")
    q("numeric", "sum", "total quantity of stock reserved on Monday",
      scalar(sum(r.f["qty"] for r in inv if r.msg == "stock reserved" and on(r, MON))),
      "sum of qty of inventory 'stock reserved' on 2025-11-17")

    # ------------------------------------------------------------ shares
    day = [r for r in gw if on(r, MON)]
    q("share", "share", "what percentage of gateway requests returned 5xx on Monday?",
      scalar(round(sum(1 for r in day if 500 <= r.f["status"] <= 599) / len(day), 6), 0.0001),
      "gateway 5xx / all gateway lines on 2025-11-17, as a fraction")
    np_, nf = sum(1 for r in placed if on(r, WED)), sum(1 for r in failed if on(r, WED))
    q("share", "share", "share of checkout attempts that failed on Wednesday",
      scalar(round(nf / (np_ + nf), 6), 0.0001),
      "'order failed' / ('order placed' + 'order failed') on 2025-11-19")
    day = [r for r in fw if on(r, YESTERDAY)]
    q("share", "share", "what fraction of firewall events were blocks yesterday?",
      scalar(round(sum(1 for r in day if r.f["action"] == "BLOCK") / len(day), 6), 0.0001),
      "[UFW BLOCK] / all firewall lines on 2025-11-20")

    # ------------------------------------------------------------ top / bottom N
    q("top_n", "top_n", "top 5 IPs by failed ssh logins",
      rows(["ip", "failures"], ranked(Counter(m[2] for _, m in ssh_fail), 5), True),
      "source IP of 'Failed password' lines, whole estate")
    q("top_n", "top_n", "three most blocked destination ports on Tuesday",
      rows(["port", "blocks"], ranked(Counter(int(r.f["DPT"]) for r in blocks if on(r, TUE)), 3),
           True), "DPT of [UFW BLOCK] on 2025-11-18, as integers")
    q("top_n", "top_n", "top 3 reasons orders failed",
      rows(["reason", "orders"], ranked(Counter(r.f["reason"] for r in failed), 3), True),
      "reason of checkout 'order failed', whole estate")
    errs = Counter(r.svc for r in recs if r.sev in ERR and on(r, MON))
    q("top_n", "top_n", "which two services logged the most errors on Monday?",
      rows(["service", "errors"], ranked(errs, 2), True), "ERROR+FATAL by service, 2025-11-17")
    q("top_n", "bottom_n", "least common payment decline reason",
      rows(["reason", "declines"],
           ranked(Counter(r.f["reason"] for r in pay if r.msg == "payment declined"), 1,
                  largest=False), True),
      "reason of payment 'payment declined', fewest, whole estate")
    cats = Counter(LISTED.match(r.msg)[1] for r in cat if LISTED.match(r.msg))
    q("top_n", "bottom_n", "which 3 categories did catalog list the fewest times?",
      rows(["category", "listings"], ranked(cats, 3, largest=False), True),
      "category of catalog 'Listed N products in category X page N' lines, whole estate")

    # ------------------------------------------------------------ group by
    q("group_by", "group_hour", "5xx by hour tuesday",
      rows(["hour", "count"], grouped(Counter(hour_iso(r.ts) for r in five if on(r, TUE))),
           False), "gateway status 500-599 on 2025-11-18 per hour; empty hours left out")
    q("group_by", "group_service", "error count per service on Wednesday",
      rows(["service", "errors"],
           grouped(Counter(r.svc for r in recs if r.sev in ERR and on(r, WED))), False),
      "ERROR+FATAL by service on 2025-11-19; services with none left out")
    q("group_by", "group_day", "orders placed per day",
      rows(["day", "orders"], grouped(Counter(r.ts.date().isoformat() for r in placed)), False),
      "checkout 'order placed' by ISO day, whole estate")
    wd = Counter(r.ts.strftime("%A") for r, _ in ssh_fail)
    q("group_by", "group_weekday", "break down failed ssh logins by weekday",
      rows(["weekday", "failures"], grouped(wd), False),
      "'Failed password' lines by English weekday name (Monday..Thursday)")
    q("group_by", "group_field", "payment declines by reason on Thursday",
      rows(["reason", "declines"],
           grouped(Counter(r.f["reason"] for r in pay
                           if r.msg == "payment declined" and on(r, THU))), False),
      "reason of payment 'payment declined' on 2025-11-20")
    q("group_by", "group_field", "status code breakdown for POST /api/checkout on Monday",
      rows(["status", "requests"],
           grouped(Counter(r.f["status"] for r in gw if r.f["method"] == "POST"
                           and r.f["path"] == "/api/checkout" and on(r, MON))), False),
      "gateway POST /api/checkout by status on 2025-11-17")
    q("group_by", "group_hour", "fw blocks per hour monday evening",
      rows(["hour", "blocks"],
           grouped(Counter(hour_iso(r.ts) for r in blocks if within(r, T(MON, 18), T(TUE)))),
           False), "[UFW BLOCK] per hour in [2025-11-17T18:00, 2025-11-18T00:00)")

    # ------------------------------------------------------------ comparisons
    q("compare", "difference", "how many more 5xx did we have on Monday than on Tuesday?",
      scalar(sum(1 for r in five if on(r, MON)) - sum(1 for r in five if on(r, TUE))),
      "gateway 5xx on 2025-11-17 minus on 2025-11-18 (may be negative)")
    rev = {d: sum(r.f["amount"] for r in placed if on(r, d)) for d in (THU, MON)}
    q("compare", "difference", "revenue difference Thursday vs Monday",
      scalar(round(rev[THU] - rev[MON], 2), 0.01),
      "sum amount of 'order placed' 2025-11-20 minus 2025-11-17")
    q("compare", "difference",
      "firewall blocks in the evening of Nov 19 minus blocks in the morning of Nov 19",
      scalar(sum(1 for r in blocks if within(r, T(WED, 18), T(THU)))
             - sum(1 for r in blocks if within(r, T(WED, 6), T(WED, 12)))),
      "[UFW BLOCK] [2025-11-19T18:00, 24:00) minus [06:00, 12:00)")

    # ------------------------------------------------------------ first / last seen
    nospace = [r for r in pg if "No space left on device" in r.msg]
    q("first_last", "first_seen", "when did postgres first report 'No space left on device'?",
      scalar(ts_iso(min(r.ts for r in nospace))), "earliest such postgres line")
    gc = [r for r in cat if r.msg.startswith("GC pause")]
    q("first_last", "last_seen", "last time the catalog service logged a GC pause",
      scalar(ts_iso(max(r.ts for r in gc))), "latest catalog 'GC pause of N ms exceeded' line")
    q("first_last", "first_seen", "time of the first failed order on Tuesday",
      scalar(ts_iso(min(r.ts for r in failed if on(r, TUE)))),
      "earliest checkout 'order failed' on 2025-11-18")

    # ------------------------------------------------------------ refuse
    q("refuse", "refuse", "what was the CPU usage on the database host Tuesday afternoon?",
      {"type": "refuse"}, "no host metrics in the estate")
    q("refuse", "refuse", "how many confirmation emails did we send customers on Wednesday?",
      {"type": "refuse"}, "no mail service or email records")
    q("refuse", "refuse", "which countries do most of our customers come from?",
      {"type": "refuse"}, "no geography recorded for user_id or client IPs")
    q("refuse", "refuse", "average browser page render time for mobile visitors",
      {"type": "refuse"}, "no client-side timings; only server-side durations")
    return qs


DOC = (
    "Held-out set 8: questions over `logpilot demo-data --days 4 --seed 97 --start 2025-11-17`, "
    "written blind to the parser (its code not read, its answering not run). Conventions: all "
    "times UTC; 'now' is Friday 2025-11-21T08:00Z (the estate covers [2025-11-17T00:00Z, "
    "2025-11-21T00:00Z)); ranges half-open [lo, hi); 'yesterday' = Thursday 2025-11-20; 'the "
    "last 24 hours' = [now - 24 h, now); 'since X' = [X, now); weekdays: 2025-11-17 Monday .. "
    "2025-11-20 Thursday; 'this week' / 'across all four days' / no time given = the whole "
    "estate; dates in any written form (Nov 19, 19 Nov, 2025-11-19, 18/11 = 18 November: "
    "numeric dates are day-first); early hours = 00:00-06:00, morning = 06:00-12:00, afternoon "
    "= 12:00-18:00, evening = 18:00-24:00; 'between 9am and 11am' = [09:00, 11:00); "
    "severities as the generator's conventions (gateway status>=500 ERROR, >=400 WARN, else "
    "INFO; [UFW BLOCK] WARN, [UFW ALLOW] INFO; sshd lines containing failed/invalid/error/"
    "denied/refused ERROR; postgres LOG/WARNING/ERROR/FATAL as INFO/WARN/ERROR/FATAL; JSON "
    "level field; Log4j level of the header line); errors = ERROR+FATAL, warnings = WARN; "
    "'5xx' = HTTP status 500-599, '4xx' = 400-499; a count over a service with no match is 0; "
    "failed SSH logins = sshd 'Failed password' lines (the tried username is the word after "
    "'for' / 'for invalid user'; the IP the word after 'from'); firewall blocks = [UFW BLOCK] "
    "lines, firewall events = all firewall lines; customers = user_id; orders placed/failed = "
    "checkout 'order placed'/'order failed' records (any level); checkout attempts = placed + "
    "failed; revenue = sum of amount of placed orders; latency = the duration_ms field of the "
    "named service; response size = the nginx bytes field; postgres query time = the N of "
    "'duration: N ms  statement:'; payment declines = payment 'payment declined' records "
    "(field reason); catalog category listings = 'Listed N products in category X' lines; "
    "percentiles by linear interpolation (DuckDB quantile_cont); shares as fractions 0..1 (a "
    "'percentage' question too; the judge accepts either scale); differences as first-named "
    "minus second-named; hour buckets as ISO hour starts; days as ISO dates; weekdays as "
    "English names; first/last seen as ISO instants (judged within 1 s); tolerance, where "
    "given, is absolute; rows with ordered=false compare as sets; group-by rows leave out "
    "groups with no records; top/bottom-N rows have no tie at the cut. Each question has a "
    "group (kind of question, for per-group scores) and a kind (how the answer is computed). "
    "Group 'refuse': the question asks for something the estate does not record; the right "
    "outcome is a refusal (answer type 'refuse'). Answers computed from the raw files by "
    "tests/data/blind_estate.py's reader (crosschecked with the generator counts) plus message "
    "regexes; script tests/benchmarks/data/make_demo_questions_heldout8.py."
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
    assert (truth["days"], truth["seed"], truth["start"][:10]) == (4, 97, "2025-11-17")
    recs = parse_estate(root)
    crosscheck(recs, truth)
    crosscheck_more(recs, truth)
    assert max(r.ts for r in recs) < NOW
    qs = build(recs)
    assert len(qs) >= 30, len(qs)
    doc = {"doc": DOC, "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"), "estate": ESTATE,
           "questions": qs}
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(len(qs), dict(Counter(x["group"] for x in qs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
