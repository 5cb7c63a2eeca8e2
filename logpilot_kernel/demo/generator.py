"""The driver: walk simulated time minute by minute, generate, flush, write ground truth.

Volume follows a diurnal curve. The number of requests in a minute is derived from the
line budget of that minute plus a fraction of the running deficit, so ``lines=N`` lands
close to N whatever the request mix, with no second pass and no calibration run.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import random
import time
from pathlib import Path
from typing import Any

from .formats import DAY_MS, HOUR_MS, MINUTE_MS, SEVERITIES, Clock
from .incidents import schedule, tick
from .renames import Renamer, choose
from .traffic import Traffic
from .truth import GroundTruth
from .writer import Estate, Sink

DEFAULT_LINES_PER_DAY = 100_000
#: Mean physical lines per simulated request (measured on the default mix); only a hint,
#: the deficit feedback corrects for it.
LINES_PER_REQUEST = 1.95
#: Share of a minute's budget taken by background streams (firewall, sshd, postgres, jobs).
BACKGROUND_SHARE = 0.175

LOGS = (  # key, path, service, format, rotated
    ("gateway", "gateway/access.log", "gateway", "nginx_combined", True),
    ("checkout", "checkout/checkout.jsonl", "checkout", "jsonl", False),
    ("payment", "payment/payment.jsonl", "payment", "jsonl", False),
    ("inventory", "inventory/inventory.jsonl", "inventory", "jsonl", False),
    ("postgres", "postgres/postgresql.log", "postgres", "postgresql_stderr", False),
    ("firewall", "firewall/syslog", "firewall", "syslog_rfc3164_ufw", False),
    ("auth", "auth/auth.log", "sshd", "syslog_rfc3164", False),
    ("catalog", "catalog/catalog.log", "catalog", "log4j", True),
)

CONVENTIONS = {
    "time": "all times UTC; syslog files carry no year: each file's mtime is its last event",
    "severity": {
        "gateway": "HTTP status >= 500 ERROR, >= 400 WARN, else INFO",
        "jsonl": "level field: debug/info/warn/error -> DEBUG/INFO/WARN/ERROR",
        "postgres": "LOG -> INFO, WARNING -> WARN, ERROR -> ERROR, FATAL -> FATAL",
        "firewall": "[UFW BLOCK] -> WARN, [UFW ALLOW] -> INFO",
        "sshd": "message contains failed/invalid/error/denied/refused -> ERROR; "
                "warn/block -> WARN; else INFO (case-insensitive)",
        "catalog": "Log4j level of the header line",
    },
    "records": "one record per physical line, except catalog (Log4j): header line matching "
               r"'^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} ' plus its continuation lines",
    "template_scope": "templates describe the message text: JSON 'msg'; postgres text after "
                      "'LEVEL:  '; syslog text after 'program[pid]: ' (kernel/UFW lines: "
                      "after 'kernel: [uptime] ', i.e. from '[UFW ...]' on); log4j "
                      "text after ' - ' on the header line. '<*>' = one non-blank token part",
    "orders": "every checkout attempt ends in exactly one checkout record with msg "
              "'order placed' or 'order failed' (field reason); counts.orders and "
              "counts.users use the day of that final record",
    "ssh_failed_logins": "sshd lines starting with 'Failed password'",
    "counts_complete": "counts are exact and complete in every mode, including lines=N "
                       "(all aggregates are bounded: IPs and users come from fixed pools)",
}


def _diurnal(minute_of_day: int) -> float:
    """Relative traffic: quiet nights, a midday plateau and an evening peak (UTC)."""
    h = minute_of_day / 60.0
    return (0.18 + 0.8 * math.exp(-((h - 13.0) / 4.0) ** 2)
            + 0.55 * math.exp(-((h - 20.0) / 1.8) ** 2))


LOGS_DIR = "logs"


def generate(out: str | os.PathLike, *, days: int = 3, seed: int = 7, lines: int | None = None,
             start: dt.date | str = dt.date(2024, 5, 30),
             rename_seed: int | None = None, extra_incidents: bool = False,
             progress: Any = None) -> GroundTruth:
    """Write a demo estate under ``out/logs`` (and ``out/ground_truth.json``); return its truth.

    ``lines`` sets the approximate total of physical lines (default 100k per day); output is
    streamed minute by minute, so memory stays bounded for any size. The same arguments
    always produce byte-identical files. ``rename_seed`` renames services, context keys
    and distinctive words (:mod:`.renames`) in the files, their paths and the ground truth,
    which then carries the mapping; everything else equals the plain estate of ``seed``.
    ``extra_incidents`` adds the incidents of :mod:`.extra_incidents` (root cause outside
    the service that shows the symptom) after the default five. ``progress``: a
    :class:`logpilot_kernel.progress.Progress` (or True for tqdm bars) that gets the
    "generation" phase in simulated hours, with lines/s.
    """
    from ..progress import rate, resolve

    reporter = resolve(progress)
    if days < 1:
        raise ValueError("days must be >= 1")
    if lines is not None and lines < 1:
        raise ValueError("lines must be a positive number of lines")
    if isinstance(start, str):
        start = dt.date.fromisoformat(start)
    elif isinstance(start, dt.datetime):
        start = start.date()
    root = Path(out)
    root.mkdir(parents=True, exist_ok=True)
    target = int(lines) if lines is not None else DEFAULT_LINES_PER_DAY * days
    clock = Clock(start, days)
    start_ms, end_ms = clock.start_ms, clock.end_ms
    rotate_ms = end_ms - DAY_MS if days > 1 else start_ms + 12 * HOUR_MS
    # Logs live under logs/ and the truth beside it, so `logpilot ingest OUT/logs` loads
    # exactly the logs (a ground-truth file inside the estate would be ingested too).
    renamer = Renamer(choose(rename_seed)) if rename_seed is not None else None
    transform = renamer.sub if renamer is not None else None
    sinks = {key: Sink(root, f"{LOGS_DIR}/{path}", svc, fmt, rotate_ms if rot else None,
                       transform) for key, path, svc, fmt, rot in LOGS}
    estate = Estate(root, sinks, start_ms)
    incidents = schedule(seed, days, start_ms, extra=extra_incidents)
    traffic = Traffic(estate, clock, seed, target, incidents)
    r = random.Random(seed * 31 + 5).random

    weights = [_diurnal(m) for m in range(1440)]
    total_w = sum(weights) * days
    cum_w = 0.0
    minutes = days * 1440
    reporter.start("generation", total=days * 24, unit="hour")
    t_gen = time.perf_counter()
    for m in range(minutes):
        m0 = start_ms + m * MINUTE_MS
        base = target * weights[m % 1440] / total_w
        deficit = target * cum_w / total_w - estate.generated_lines
        cum_w += weights[m % 1440]
        last = m == minutes - 1
        span = 45_000 if last else MINUTE_MS
        traffic.background(m0, base, span)
        for inc in incidents:
            tick(inc, traffic, m0, m0 + MINUTE_MS)
        budget = base * (1.0 - BACKGROUND_SHARE) + 0.3 * deficit
        n = int(max(0.0, budget) / LINES_PER_REQUEST + r())
        req = traffic.request
        # sorted start times keep order ids increasing with time, as a sequence would
        for t0 in sorted([m0 + int(r() * span) for _ in range(n)]):
            req(t0)
        estate.flush(m0 + MINUTE_MS)
        if m % 60 == 59:
            reporter.update("generation", 1, rate(estate.generated_lines, t_gen))
    estate.close(end_ms)
    reporter.finish("generation")
    reporter.close()

    def iso(ts: int | None) -> str | None:
        return None if ts is None else clock.iso_s(ts)

    files = estate.files()
    for f in files:
        f["first_ts"], f["last_ts"] = iso(f["first_ts"]), iso(f["last_ts"])
    start_dt = clock.start_dt
    counts = estate.counts(
        lambda d: (start_dt + dt.timedelta(days=d)).strftime("%Y-%m-%d"),
        lambda h: (start_dt + dt.timedelta(hours=h)).strftime("%Y-%m-%dT%H"))
    counts["lines_total"] = sum(f["lines"] for f in files)
    counts["records_total"] = sum(f["records"] for f in files)
    truth = GroundTruth(
        start=clock.iso_s(start_ms), end=clock.iso_s(end_ms), seed=seed, days=days,
        lines_target=target, files=files,
        incidents=[inc.to_dict(clock) for inc in incidents], counts=counts,
        services={svc: {"dir": f"{LOGS_DIR}/{path.split('/')[0]}", "format": fmt}
                  for _k, path, svc, fmt, _r in LOGS},
        conventions=dict(CONVENTIONS, severities=list(SEVERITIES)),
        extra_incidents=extra_incidents,
    )
    if renamer is not None:
        # the truth is built in the original names, then renamed as a whole, exactly like
        # the bytes of the files
        truth = GroundTruth(**renamer.truth(truth.to_dict()))
        truth.renames = dict(sorted(renamer.mapping.items()))
        truth.rename_seed = rename_seed
    truth.save(root / "ground_truth.json")
    return truth
