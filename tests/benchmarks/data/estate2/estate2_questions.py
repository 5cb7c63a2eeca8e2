"""The questions of estate 2 and how each answer is computed from the generator's records.

Why a module of its own: make_questions.py holds the file's plumbing and the crosscheck;
this holds the wording, kept varied on purpose (the set measures generalisation, so no
two questions share a template), next to the record filter that answers each one.
"""

from __future__ import annotations

import statistics
from collections import Counter
from datetime import datetime, timedelta
from typing import Any, Iterable

NORM = {"error": "ERROR", "ERROR": "ERROR", "CRITICAL": "CRITICAL", "FATAL": "FATAL", "warn": "WARN", "WARN": "WARN",
        "warning": "WARN", "WARNING": "WARN", "Warning": "WARN", "info": "INFO", "INFO": "INFO", "Note": "INFO",
        "System": "INFO", "debug": "DEBUG", "DEBUG": "DEBUG"}
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def Z(t: datetime) -> str:
    """ISO instant with Z, keeping sub-second digits only when the line has them."""
    return t.strftime("%Y-%m-%dT%H:%M:%S") + (f".{t.microsecond:06d}" if t.microsecond else "") + "Z"


def pct(vals: list[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy 'linear')."""
    v = sorted(vals)
    k = (len(v) - 1) * p
    lo = int(k)
    hi = min(lo + 1, len(v) - 1)
    return v[lo] + (v[hi] - v[lo]) * (k - lo)


def errors(r: dict[str, Any]) -> bool:
    return NORM.get(r["level"] or "", "") in ("ERROR", "FATAL", "CRITICAL")


def top(counter: Counter, n: int, reverse: bool = True) -> list[list[Any]]:
    """Top (or bottom) n of a counter, asserting no tie at the cut."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]) if reverse else (kv[1], kv[0]))
    if len(items) > n:
        assert items[n - 1][1] != items[n][1], f"tie at the cut: {items[:n + 1]}"
    return [[k, v] for k, v in items[:n]]


def hour_rows(recs: Iterable[dict[str, Any]]) -> list[list[Any]]:
    c = Counter(r["ts"].replace(minute=0, second=0, microsecond=0) for r in recs)
    return [[Z(h), n] for h, n in sorted(c.items())]


def sec(t: datetime, digits: int) -> datetime:
    """The instant as the line writes it (syslog: seconds; zap/logback/python: ms)."""
    if digits == 0:
        return t.replace(microsecond=0)
    if digits == 3:
        return t.replace(microsecond=t.microsecond // 1000 * 1000)
    return t


def quantitative(q: Any) -> dict[str, dict[str, Any]]:
    """Add the 44 quantitative questions to q; returns those the crosscheck recounts."""
    R, d = q.R, q.day
    marks: dict[str, dict[str, Any]] = {}
    allsrc = [s for s in R if s not in ("haproxy", "auth")]
    is5 = lambda s: 500 <= s <= 599  # noqa: E731

    # ---- counts
    n = len([r for r in q.sel("dispatch", d(1)) if errors(r)])
    q.scalar("count", "severity_day", "How many ERROR lines did dispatch-service write on Tuesday 7 October 2025?", n,
             "dispatch records level ERROR on 2025-10-07")
    marks["dispatch_errors_tue"] = q.items[-1]
    n = sum(1 for s in allsrc for r in q.sel(s, d(6)) if errors(r))
    q.scalar("count", "severity_relative", "how many errors were logged across all services yesterday?", n,
             "ERROR/FATAL/CRITICAL over every source with a severity, 2025-10-12 (now = end of estate)")
    n = len(q.sel("haproxy", d(1, 14, 16), ev="http", status=is5))
    q.scalar("count", "status_window", "Count the HTTP requests that got a 5xx response between 2pm and 4pm on 7 Oct.",
             n, "haproxy status 500-599, [2025-10-07 14:00, 16:00)")
    marks["5xx_14_16"] = q.items[-1]
    n = len(q.sel("telemetry", ev="rejected", reason="stale_timestamp"))
    q.scalar("count", "field_value", "How many telemetry batches were rejected because of a stale_timestamp?", n,
             "telemetry 'batch rejected' with reason=stale_timestamp, whole estate")
    marks["stale"] = q.items[-1]
    n = len(q.sel("dispatch", d(2), ev="created", service_level="same_day"))
    q.scalar("count", "field_value_weekday", "same_day shipments created on Wednesday - how many?", n,
             "dispatch 'Shipment created' service_level=same_day on 2025-10-08")
    n = len(q.sel("auth", ev="failed_root"))
    q.scalar("count", "security", "How many failed password attempts for root did the bastion see?", n,
             "auth.log 'Failed password for root', whole estate")

    # ---- filters
    n = len(q.sel("haproxy", d(3), ev="http", path="/api/v1/auth/token", status=401))
    q.scalar("filter", "two_fields", "On October 9th, how many POSTs to /api/v1/auth/token were rejected with a 401?",
             n, "haproxy path /api/v1/auth/token status 401 on 2025-10-09")
    n = len(q.sel("telemetry", ev="accepted", device="cam-dash", region="us-east"))
    q.scalar("filter", "two_fields", "how many accepted batches came from cam-dash devices in region us-east?", n,
             "telemetry 'batch accepted' device=cam-dash region=us-east")
    n = len(q.sel("notifier", ev="failed", channel="push"))
    q.scalar("filter", "field_value", "Number of push notifications that failed with invalid_token", n,
             "notifier 'delivery failed' channel=push (reason is always invalid_token for push)")
    # ---- distinct
    n = len({r["ip"] for r in q.sel("auth", ev="invalid_user")})
    q.scalar("distinct", "ips", "How many distinct IP addresses tried to log in with a user name that doesn't exist?",
             n, "distinct ip of 'Invalid user X from IP' lines")
    marks["invalid_ips"] = q.items[-1]
    n = len({r["vehicle_id"] for r in q.sel("telemetry", ev="accepted", region="ap-south")})
    q.scalar("distinct", "ids", "How many different vehicles had telemetry accepted from ap-south?", n,
             "distinct vehicle_id of 'batch accepted' with region=ap-south")
    n = len({r["customer"] for r in q.sel("dispatch", d(3), ev="created")})
    q.scalar("distinct", "ids_day", "unique customers who created shipments on 9 Oct 2025?", n,
             "distinct customer of 'Shipment created' on 2025-10-09")
    # ---- numeric
    v = sum(r["bytes"] for r in q.sel("haproxy", d(0), ev="http", method="POST", path=lambda p: p.endswith("/label")))
    q.scalar("numeric", "sum", "What's the total number of bytes HAProxy sent back for label requests "
             "(POST /api/v1/shipments/<id>/label) on Monday 6 October?", v,
             "sum of haproxy bytes_read of POST .../label lines on 2025-10-06, every status")
    vals = [r["latency_ms"] for r in q.sel("telemetry", ev="accepted", device="cam-dash")]
    q.scalar("numeric", "avg", "Average latency_ms of accepted telemetry batches from cam-dash devices?",
             round(sum(vals) / len(vals), 4), "mean latency_ms, 'batch accepted' device=cam-dash", tol=0.01)
    v = max(r["duration_ms"] for r in q.sel("dispatch", ev="label", carrier="ups"))
    q.scalar("numeric", "max", "What was the slowest UPS label generation, in duration_ms?", v,
             "max duration_ms of 'Label generated' carrier=ups")
    vals = [r["duration_ms"] for r in q.sel("dispatch", d(2), ev="eta")]
    q.scalar("numeric", "percentile", "p95 of the ETA computation time (duration_ms) on 8 October?",
             round(pct(vals, 0.95), 4), "95th percentile (linear) of 'ETA computed' duration_ms on 2025-10-08",
             tol=0.5)
    vals = [r["points"] for r in q.sel("telemetry", ev="accepted", device="tcu-x3")]
    q.scalar("numeric", "median", "Median number of points per accepted batch for tcu-x3 units", statistics.median(vals),
             "median points of 'batch accepted' device=tcu-x3")
    v = sum(r["points"] for r in q.sel("telemetry", d(5), ev="accepted"))
    q.scalar("numeric", "sum_weekday", "Total points accepted on Saturday?", v,
             "sum points of 'batch accepted' on 2025-10-11")

    # ---- shares
    be = q.sel("haproxy", d(1), ev="http", be="be_dispatch")
    q.scalar("share", "status_share", "What fraction of be_dispatch requests returned a 5xx on 7 October 2025?",
             round(sum(1 for r in be if is5(r["status"])) / len(be), 6), "be_dispatch 5xx / be_dispatch lines, 2025-10-07",
             tol=1e-4)
    sent = q.sel("notifier", ev="sent")
    q.scalar("share", "field_share", "Of the notifications that were sent successfully, what share went out by sms?",
             round(sum(1 for r in sent if r["channel"] == "sms") / len(sent), 6), "notifier 'sent' channel=sms / 'sent'",
             tol=1e-4)
    acc, rej = len(q.sel("telemetry", ev="accepted")), len(q.sel("telemetry", ev="rejected"))
    q.scalar("share", "ratio", "Of all telemetry batches that were either accepted or rejected, what percentage "
             "was rejected?", round(rej / (acc + rej), 6), "rejected / (accepted + rejected); as a fraction", tol=1e-4)

    # ---- top / bottom
    c = Counter(r["ip"] for r in q.sel("haproxy", ev="http", status=401))
    q.rows("top", "top_n", "Top 5 client IPs by number of 401 responses", ["client_ip", "count"], top(c, 5), True,
           "haproxy status 401 per client ip")
    c = Counter(r["carrier"] for r in q.sel("dispatch", ev="label"))
    q.rows("top", "top_n", "Which 3 carriers had the most labels generated?", ["carrier", "labels"], top(c, 3), True,
           "'Label generated' per carrier")
    c = Counter(r["region"] for r in q.sel("telemetry", ev="accepted"))
    q.rows("top", "bottom_n", "Which two regions sent the fewest accepted telemetry batches?", ["region", "batches"],
           top(c, 2, reverse=False), True, "'batch accepted' per region, ascending")
    c = Counter(r["ip"] for r in R["auth"] if r["ev"] in ("failed_root", "failed_invalid"))
    q.rows("top", "top_n", "show me the 5 source IPs with the most failed SSH passwords (root or invalid users)",
           ["ip", "failures"], top(c, 5), True, "'Failed password for ...' lines per ip")
    # ---- group by
    recs = [r for r in q.sel("notifier", d(3, 0, 6)) if errors(r)]
    q.rows("groupby", "by_hour", "Break down notifier errors by hour for the early hours of Thursday 9 October",
           ["hour", "errors"], hour_rows(recs), True, "notifier ERROR per hour, [2025-10-09 00:00, 06:00)")
    c = Counter(r["be"] for r in q.sel("haproxy", d(6), ev="http"))
    q.rows("groupby", "by_field", "Requests per backend on Sunday", ["backend", "requests"],
           [[k, v] for k, v in sorted(c.items())], False, "haproxy lines per backend on 2025-10-12")
    c = Counter(WEEKDAYS[r["ts"].weekday()] for r in q.sel("dispatch", ev="created"))
    q.rows("groupby", "by_weekday", "shipments created per weekday", ["weekday", "shipments"],
           [[w, c[w]] for w in WEEKDAYS], False, "'Shipment created' per weekday")
    c = Counter(r["dest"] for r in q.sel("dispatch", d(4), ev="created", service_level="express"))
    q.rows("groupby", "by_field_filtered", "For express shipments created on 10/10/2025, how many went to each "
           "destination country?", ["dest", "shipments"], [[k, v] for k, v in sorted(c.items())], False,
           "'Shipment created' service_level=express per dest on 2025-10-10")
    c = Counter(r["status"] for r in q.sel("haproxy", d(5, 19.5, 20), ev="http", be="be_telemetry"))
    q.rows("groupby", "by_status_window", "Status code breakdown for be_telemetry between 19:30 and 20:00 on "
           "Saturday 11 October", ["status", "requests"], [[k, v] for k, v in sorted(c.items())], False,
           "haproxy be_telemetry per status, [2025-10-11 19:30, 20:00)")
    c = Counter(r["ts"].strftime("%Y-%m-%d") for r in q.sel("telemetry", ev="accepted"))
    q.rows("groupby", "by_day", "Accepted telemetry batches per day, please", ["day", "batches"],
           [[k, v] for k, v in sorted(c.items())], True, "'batch accepted' per UTC day")

    # ---- first / last
    r = q.sel("rabbitmq", ev="alarm_set")[0]
    q.rows("firstlast", "first_seen", "When did RabbitMQ first raise the memory resource limit alarm?", ["first_seen"],
           [[Z(r["ts"])]], True, "ts of the first 'memory resource limit alarm set' line (microseconds as written)")
    r = q.sel("auth", ev="accepted", user="chen")[-1]
    q.rows("firstlast", "last_seen", "When did chen last log in successfully to the bastion?", ["last_login"],
           [[Z(sec(r["ts"], 0))]], True, "ts of the last 'Accepted publickey for chen' (syslog seconds)")
    r = q.sel("haproxy", ev="http", status=504)[0]
    q.rows("firstlast", "first_seen", "What time did HAProxy hand out its first 504?", ["first_seen"],
           [[Z(sec(r["ts"], 0))]], True, "syslog ts of the first haproxy line with status 504")

    # ---- comparisons
    a, b = len(q.sel("dispatch", d(0), ev="created")), len(q.sel("dispatch", d(6), ev="created"))
    q.scalar("compare", "difference", "How many more shipments were created on Monday than on Sunday?", a - b,
             f"Monday {a} - Sunday {b}")
    a, b = len(q.sel("telemetry", d(1), ev="accepted")), len(q.sel("telemetry", d(2), ev="accepted"))
    q.scalar("compare", "difference", "accepted telemetry batches on Oct 8 minus those on Oct 7?", b - a,
             f"2025-10-08 {b} - 2025-10-07 {a}")
    # ---- time phrases
    now = q.est.end
    n = len(q.sel("telemetry", (now - timedelta(hours=6), now), ev="rejected"))
    q.scalar("time", "relative", "How many telemetry batches got rejected in the last 6 hours?", n,
             "telemetry 'batch rejected' in [now-6h, now), now = 2025-10-13T00:00:00Z")
    n = len(q.sel("mysql", d(4, 18, 24), ev="aborted"))
    q.scalar("time", "part_of_day", "How many aborted MySQL connections were logged on the evening of Friday the "
             "10th?", n, "mysql 'Aborted connection' on 2025-10-10 18:00-24:00")
    n = len(q.sel("notifier", d(2, 6, 12), ev="failed"))
    q.scalar("time", "part_of_day", "notification delivery failures in the morning of 8 Oct", n,
             "notifier 'delivery failed' on 2025-10-08 06:00-12:00")
    n = len(q.sel("auth", (q.s, q.s + timedelta(days=3)), ev="sudo"))
    q.scalar("time", "weekday_range", "How many sudo commands were run on the bastion from Monday through Wednesday?",
             n, "auth.log sudo COMMAND lines in [2025-10-06, 2025-10-09)")

    # ---- refusals
    q.refuse("What was the peak CPU utilisation of the MySQL host on 7 October?", "no metric of CPU is logged")
    q.refuse("What was the average fuel consumption per vehicle last week?", "telemetry batches carry no fuel field")
    q.refuse("How many parcels were delivered late to customers in Spain?",
             "no source records promised or actual delivery times")
    q.refuse("How much did the carriers charge us for labels on Tuesday?", "no price or cost is logged")
    return marks


def why_questions(truth: dict[str, Any]) -> list[dict[str, Any]]:
    """Three why-questions per incident, each with its own 'now' and time style."""
    inc = {i["id"]: i for i in truth["incidents"]}
    end = truth["end"]
    plan = [
        ("INC-1", "Why were shipment creations failing around 14:20 on Tuesday?", "around", False, end),
        ("INC-1", "What caused the 504s from the load balancer on 7 October 2025?", "date_only", False, end),
        ("INC-1", "Why did dispatch-service throw MySQLTimeoutException errors between 2pm and 3pm on Oct 7?",
         "between", False, end),
        ("INC-2", "Why did the notifier fail to publish delivery receipts in the early hours of Thursday?",
         "part_of_day", False, end),
        ("INC-2", "telemetry-ingest logged lots of 'publish failed' errors at about 03:15 on the 9th - what was the "
                  "root cause?", "around", False, end),
        ("INC-2", "Why were telemetry batches failing last night?", "relative", False, "2025-10-09T09:00:00Z"),
        ("INC-3", "Why were ETA notifications failing on Friday morning?", "part_of_day", False, end),
        ("INC-3", "Why was the load balancer returning 503s for the dispatch API between 10:00 and 11:00 on 10 Oct?",
         "between", False, end),
        ("INC-3", "What went wrong with dispatch-service's database connections this morning?", "relative", True,
         "2025-10-10T12:30:00Z"),
        ("INC-4", "Why did vehicle position lookups time out on Saturday evening?", "part_of_day", False, end),
        ("INC-4", "Why were be_telemetry servers going DOWN around 19:35 on 11 October?", "around", False, end),
        ("INC-4", "What happened to telemetry-ingest yesterday evening?", "relative", True, "2025-10-12T08:00:00Z"),
    ]
    out = []
    for k, (iid, text, style, names, now) in enumerate(plan, 1):
        i = inc[iid]
        out.append({"id": f"e2w-{k}", "question": text, "time_style": style, "names_root_service": names, "now": now,
                    "expected": {"incident": iid, "root_service": i["root_service"],
                                 "window": {"start": i["start"], "end": i["end"]}}})
    return out
