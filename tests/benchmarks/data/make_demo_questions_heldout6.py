"""Held-out question set 6 for LogPilot's plain-English parser, computed blind.

Estate: `logpilot demo-data --out ESTATE --days 4 --seed 59 --start 2025-02-24`
(Monday 2025-02-24 .. Thursday 2025-02-27; the generator used only as a black box through
its CLI). Answers come only from the raw files, read by the independent reader
tests/data/blind_estate.py (crosschecked against the generator's counters) plus this
script's own regexes over message text. Every question carries a ``group`` (the kind of
question, for per-group scoring) and a ``kind`` (how its answer is computed). Questions of
group ``refuse`` ask about a field the estate does not have: the right outcome is a refusal
(their answer type is ``refuse``).
Usage: python make_demo_questions_heldout6.py ESTATE [--blind-estate-dir DIR]
       -> writes demo_questions_heldout6.json beside this script
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
NOW = dt.datetime(2025, 2, 28, 10, 0, tzinfo=UTC)  # Friday 10:00, after the estate ends
MON, TUE, WED, THU = (dt.date(2025, 2, d) for d in (24, 25, 26, 27))
ERR = ("ERROR", "FATAL")
H = dt.timedelta(hours=1)
M = dt.timedelta(minutes=1)
OUT = Path(__file__).with_name("demo_questions_heldout6.json")


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


def argmin(counter: Counter):
    (k1, c1), (k2, c2) = sorted(counter.items(), key=lambda kv: kv[1])[:2]
    assert c1 != c2, f"tie for last: {k1} {k2} {c1}"
    return k1


def hour_iso(ts: dt.datetime) -> str:
    return ts.replace(minute=0, second=0, microsecond=0).strftime("%Y-%m-%dT%H:00:00Z")


def ts_iso(ts: dt.datetime) -> str:
    return ts.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ts.microsecond // 1000:03d}Z"


SSH_FAIL = re.compile(r"^Failed password for (?:invalid user )?(\S+) from (\S+) port \d+")
SEARCH = re.compile(r"^Search query=(\S+) hits=(\d+) took (\d+)ms$")
CHECKPOINT = re.compile(r"^checkpoint complete: wrote (\d+) buffers \(")
PG_DUR = re.compile(r"^duration: ([\d.]+) ms  statement: ")


def build(recs) -> list[dict]:
    qs: list[dict] = []

    def q(group, kind, text, answer, notes):
        item = {"id": f"h6-{len(qs) + 1:03d}", "group": group, "kind": kind, "question": text,
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
    assert all(r.f["action"] in ("BLOCK", "ALLOW") for r in fw)
    ssh_fail = [r for r in ssh if r.msg.startswith("Failed password")]
    assert all(SSH_FAIL.match(r.msg) for r in ssh_fail)
    placed = [r for r in co if r.msg == "order placed"]
    failed = [r for r in co if r.msg == "order failed"]
    declined = [r for r in pay if r.msg == "payment declined"]

    # ------------------------------------------------------------ counts by severity
    q("count_severity", "count", "how many error-level lines did checkout write on Feb 25?",
      scalar(n(r for r in co if r.sev in ERR and on(r, TUE))),
      "checkout level error (ERROR+FATAL) on 2025-02-25")
    assert n(r for r in inv if r.sev in ERR) == 0
    q("count_severity", "count", "did the inventory service log any errors at all? how many",
      scalar(0), "inventory has no error-level record in the whole estate (levels debug/info/warn "
      "only); the count is 0, not a refusal")
    q("count_severity", "count", "number of FATAL messages from postgres on Tuesday",
      scalar(n(r for r in pg if r.sev == "FATAL" and on(r, TUE))),
      "postgres 'FATAL:' lines on 2025-02-25")

    # ------------------------------------------------------------ relative to now
    q("count_window", "count", "errors in the last 24 hours, all services",
      scalar(n(r for r in recs if r.sev in ERR and within(r, NOW - 24 * H, NOW))),
      "ERROR+FATAL, every service, in [2025-02-27T10:00Z, 2025-02-28T10:00Z) (the estate ends "
      "2025-02-28T00:00Z); sshd failed/invalid lines count as errors per the conventions")
    q("count_window", "count", "how many packets did the firewall block over the past 2 days?",
      scalar(n(r for r in fw_block if within(r, NOW - 48 * H, NOW))),
      "[UFW BLOCK] lines in [2025-02-26T10:00Z, 2025-02-28T10:00Z) ('past 2 days' = 48 hours)")
    q("count_window", "count", "failed ssh logins since yesterday at noon",
      scalar(n(r for r in ssh_fail if within(r, T(THU, 12), NOW))),
      "sshd 'Failed password' lines in [2025-02-27T12:00Z, now)")

    # ------------------------------------------------------------ absolute dates, several forms
    q("count_date", "count", "How many orders were placed on 24 Feb 2025?",
      scalar(n(r for r in placed if on(r, MON))), "checkout msg 'order placed' on 2025-02-24")
    q("count_date", "count", "payment declines on 2025/02/26",
      scalar(n(r for r in declined if on(r, WED))), "payment msg 'payment declined' on 2025-02-26")
    q("count_date", "count", "gateway 404 count for the 25th",
      scalar(n(r for r in gw if r.f["status"] == 404 and on(r, TUE))),
      "nginx status 404 on 2025-02-25 (the 25th of the estate's only month)")

    # ------------------------------------------------------------ parts of day, clock ranges
    q("time_of_day", "count", "postgres errors on Wednesday between 2pm and 5pm?",
      scalar(n(r for r in pg if r.sev in ERR and within(r, T(WED, 14), T(WED, 17)))),
      "postgres ERROR+FATAL lines in [2025-02-26T14:00Z, 17:00Z)")
    c = T(WED, 1, 45)
    counts = {w: n(r for r in ssh_fail if within(r, c - w * M, c + w * M)) for w in (5, 10, 15, 30)}
    assert len(set(counts.values())) == 1, counts
    q("time_of_day", "count", "how many failed ssh password attempts were there around 1:45am on Wednesday?",
      scalar(counts[15]),
      "sshd 'Failed password' lines within 15 min of 2025-02-26T01:45Z; the count is the same "
      f"for +-5, 10, 15 and 30 minutes ({counts})")
    q("time_of_day", "count", "ssh failed logins in the early hours of Thursday",
      scalar(n(r for r in ssh_fail if within(r, T(THU, 0), T(THU, 6)))),
      "sshd 'Failed password' in [2025-02-27T00:00Z, 06:00Z) (early hours = 00:00-06:00)")
    q("time_of_day", "count", "number of gateway requests on Monday from 09:30 to 10:00",
      scalar(n(r for r in gw if within(r, T(MON, 9, 30), T(MON, 10)))),
      "nginx records in [2025-02-24T09:30Z, 10:00Z)")

    # ------------------------------------------------------------ group by service/severity/hour/day
    c = Counter(r.svc for r in recs if r.sev in ERR)
    q("group_by", "group_by", "break down all errors by service",
      rows(["service", "errors"], sorted([k, v] for k, v in c.items()), False),
      "ERROR+FATAL, all time, grouped by service; services with none (inventory, firewall) "
      "have no row")
    c = Counter(r.sev for r in pay)
    q("group_by", "group_by", "payment log lines per level",
      rows(["severity", "lines"], sorted([k, v] for k, v in c.items()), False),
      "payment records grouped by level (DEBUG/INFO/WARN/ERROR), all time")
    c = Counter(hour_iso(r.ts) for r in placed if within(r, T(TUE, 8), T(TUE, 12)))
    assert len(c) == 4
    q("group_by", "per_hour", "orders placed each hour on Tuesday from 8am to noon",
      rows(["hour", "orders"], sorted([k, v] for k, v in c.items()), True),
      "checkout 'order placed' in [2025-02-25T08:00Z, 12:00Z) by hour start")
    c = Counter(r.ts.date().isoformat() for r in declined)
    assert len(c) == 4
    q("group_by", "per_day", "daily count of declined payments",
      rows(["day", "declines"], sorted([k, v] for k, v in c.items()), True),
      "payment 'payment declined' by UTC day 2025-02-24..27")

    # ------------------------------------------------------------ top / bottom N
    q("top_n", "top_n", "five busiest client IPs on the gateway on February 27th",
      rows(["ip", "requests"], top(Counter(r.f["ip"] for r in gw if on(r, THU)), 5, False), False),
      "nginx client address on 2025-02-27 grouped, the five largest, descending")
    c = Counter(hour_iso(r.ts) for r in gw if on(r, WED))
    assert len(c) == 24
    q("top_n", "argmin", "what was the quietest hour for gateway traffic on Wednesday?",
      value(argmin(c)), "nginx records on 2025-02-26 by hour start; the argmin, ISO hour start")
    q("top_n", "argmax", "which destination port does the firewall reject most often?",
      value(argmax(Counter(r.f["DPT"] for r in fw_block))),
      "[UFW BLOCK] lines grouped by DPT, all time; the argmax ('reject' read as block)")

    # ------------------------------------------------------------ distinct counts
    q("distinct", "distinct_count", "how many unique customers placed orders on Tuesday?",
      scalar(len({r.f["user_id"] for r in placed if on(r, TUE)})),
      "distinct user_id of checkout 'order placed' on 2025-02-25 (customers = user_id)")
    q("distinct", "distinct_count", "How many different source addresses did the firewall reject on Monday?",
      scalar(len({r.f["SRC"] for r in fw_block if on(r, MON)})),
      "distinct SRC of [UFW BLOCK] lines on 2025-02-24")
    q("distinct", "distinct_count", "count of distinct client IPs that hit the gateway on Feb 26",
      scalar(len({r.f["ip"] for r in gw if on(r, WED)})),
      "distinct nginx client address on 2025-02-26")

    # ------------------------------------------------------------ numeric fields
    v = [r.f["amount"] for r in placed if on(r, THU)]
    q("numeric_field", "sum", "total revenue from orders placed on Thursday",
      scalar(round(sum(v), 2), 0.01), "sum of amount (EUR, the only currency) of checkout "
      "'order placed' on 2025-02-27")
    v = [r.f["duration_ms"] for r in co if "duration_ms" in r.f]
    assert len(v) == len(placed)
    q("numeric_field", "percentile", "p99 checkout latency",
      scalar(round(pct(v, 0.99), 4), 0.5),
      "quantile_cont 0.99 of checkout duration_ms (carried only by 'order placed'), all time")
    v = [r.f["duration_ms"] for r in pay if "duration_ms" in r.f and on(r, WED)]
    q("numeric_field", "average", "mean payment processing time on Wednesday, in ms",
      scalar(round(sum(v) / len(v), 4), 0.01),
      "mean of payment duration_ms (authorized and declined records) on 2025-02-26")
    q("numeric_field", "sum", "total bytes the gateway sent on 24/02/2025",
      scalar(sum(r.f["size"] for r in gw if on(r, MON))),
      "sum of nginx body bytes sent on 2025-02-24")

    # ------------------------------------------------------------ numbers inside message text
    v = [int(SEARCH.match(r.msg)[3]) for r in cat if SEARCH.match(r.msg) and on(r, MON)]
    q("message_number", "max", "slowest catalog search on Monday, how many ms did it take?",
      scalar(max(v)), "max T of catalog 'Search query=Q hits=H took Tms' on 2025-02-24")
    v = [float(PG_DUR.match(r.msg)[1]) for r in pg if PG_DUR.match(r.msg) and on(r, TUE)]
    q("message_number", "count", "how many postgres queries ran longer than 500 ms on Tuesday?",
      scalar(n(x for x in v if x > 500)),
      "postgres 'duration: X ms  statement:' lines with X > 500 on 2025-02-25")
    v = [int(CHECKPOINT.match(r.msg)[1]) for r in pg if CHECKPOINT.match(r.msg) and on(r, THU)]
    q("message_number", "sum", "total buffers written by postgres checkpoints on Thursday",
      scalar(sum(v)), "sum of N in postgres 'checkpoint complete: wrote N buffers' on 2025-02-27")

    # ------------------------------------------------------------ shares
    f = n(r for r in failed if on(r, MON))
    p = n(r for r in placed if on(r, MON))
    q("share", "share", "what percentage of orders failed on Monday?",
      scalar(round(f / (f + p), 6), 0.0001),
      "checkout 'order failed' / ('order placed' + 'order failed') on 2025-02-24 (fraction; "
      "either scale accepted)")
    thu = [r for r in fw if on(r, THU)]
    q("share", "share", "share of firewall traffic that got blocked on Thursday",
      scalar(round(n(r for r in thu if r.f["action"] == "BLOCK") / len(thu), 6), 0.0001),
      "[UFW BLOCK] / all UFW lines (BLOCK+ALLOW) on 2025-02-27")

    # ------------------------------------------------------------ comparisons
    a, b = n(r for r in fw_block if on(r, MON)), n(r for r in fw_block if on(r, THU))
    q("compare", "compare_days", "how many more firewall blocks were there on Monday than on Thursday?",
      scalar(a - b), "[UFW BLOCK] on 2025-02-24 minus on 2025-02-27 (may be negative)")
    a = n(r for r in gw if within(r, T(WED, 12), T(WED, 18)))
    b = n(r for r in gw if within(r, T(WED, 6), T(WED, 12)))
    q("compare", "compare_periods", "Wednesday afternoon vs morning on the gateway: difference in request count (afternoon minus morning)",
      scalar(a - b), "nginx records in [2025-02-26T12:00Z, 18:00Z) minus [06:00Z, 12:00Z)")

    # ------------------------------------------------------------ first / last seen
    v = [r.ts for r in pg if "No space left on device" in r.msg]
    q("first_last", "first_seen", "when did postgres first report 'No space left on device'?",
      value(ts_iso(min(v))), "earliest postgres line containing 'No space left on device' "
      "(ISO instant, judged within 1 s)")
    v = [r.ts for r in co if r.msg.startswith("SSL handshake failed")]
    q("first_last", "last_seen", "most recent SSL handshake failure in checkout — what time?",
      value(ts_iso(max(v))), "latest checkout msg starting 'SSL handshake failed' (ISO instant, "
      "judged within 1 s)")

    # ------------------------------------------------------------ not answerable
    q("refuse", "refuse", "how many orders were shipped to customers in Germany?",
      refuse("shipping destination / country: no such field anywhere in the estate"),
      "orders carry order_id, user_id, items, amount, currency only")
    q("refuse", "refuse", "average memory usage of the payment service yesterday",
      refuse("memory usage: no such metric in any log"), "no host or process metrics")
    q("refuse", "refuse", "which discount codes were used most on Thursday?",
      refuse("discount / coupon code: no such field"), "checkout records have no coupon field")
    q("refuse", "refuse", "total refund amount on Wednesday",
      refuse("refunds: no refund records or refund amount field; 'amount' is order/payment "
             "value and must not be borrowed"),
      "payment messages: fraud score, authorized, declined, settlement, retries, pool errors")
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
    assert (truth["days"], truth["seed"], truth["start"][:10]) == (4, 59, "2025-02-24")
    recs = parse_estate(root)
    crosscheck(recs, truth)
    assert max(r.ts for r in recs) < NOW
    qs = build(recs)
    assert len(qs) == 40, len(qs)
    doc = {
        "doc": "Held-out set 6: questions over `logpilot demo-data --days 4 --seed 59 --start "
               "2025-02-24`, written blind to the parser. Conventions: all times UTC; 'now' is the "
               "stated now (Friday 2025-02-28T10:00Z, after the estate ends at 2025-02-28T00:00Z); "
               "ranges half-open [lo, hi); 'yesterday' = 2025-02-27; 'last/past N hours' = "
               "[now - N h, now); 'past N days' = the last N*24 hours; 'since yesterday at noon' = "
               "[2025-02-27T12:00Z, now); weekdays: 2025-02-24 Monday .. 2025-02-27 Thursday; "
               "dates in any written form (24 Feb 2025, 2025/02/26, Feb 25, February 27th, "
               "24/02/2025, 'the 25th' of the estate's month); early hours = 00:00-06:00, "
               "morning = 06:00-12:00, afternoon = 12:00-18:00; 'between 2pm and 5pm' = "
               "[14:00, 17:00); 'from 8am to noon' = [08:00, 12:00); 'around HH:MM' = within 15 "
               "minutes either side (the one such question has the same answer for 5..30 minutes); "
               "severities as the generator's conventions (gateway status>=500 ERROR, >=400 WARN; "
               "[UFW BLOCK] WARN; sshd lines with failed/invalid/error/denied/refused ERROR; "
               "postgres LOG/WARNING as INFO/WARN; JSON level field; Log4j level of the header "
               "line); errors = ERROR+FATAL; a count over a service with no match is 0; failed SSH "
               "logins = sshd 'Failed password' lines; firewall blocks (also 'rejects') = "
               "[UFW BLOCK] lines; customers = user_id; orders placed/failed = checkout 'order "
               "placed'/'order failed' records; revenue = sum of amount of placed orders; latency / "
               "processing time = the duration_ms field; percentiles by linear interpolation "
               "(DuckDB quantile_cont); shares as fractions 0..1 (the judge accepts either scale); "
               "differences as first minus second; hour buckets as ISO hour starts; first/last "
               "seen as ISO instants (judged within 1 s); rows with ordered=false compare as sets. "
               "Each question has a group (kind of question, for per-group scores) and a kind (how "
               "the answer is computed). Group 'refuse': the question names a field the estate "
               "lacks; the right outcome is a refusal (answer type 'refuse'; its empty rows make "
               "any non-empty answer wrong). Answers computed from the raw files by "
               "tests/data/blind_estate.py's reader (crosschecked with the generator counts) plus "
               "message regexes; script tests/benchmarks/data/make_demo_questions_heldout6.py.",
        "now": NOW.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "estate": {"days": 4, "seed": 59, "start": "2025-02-24"},
        "questions": qs,
    }
    OUT.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    print(len(qs), dict(Counter(x["group"] for x in qs)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
