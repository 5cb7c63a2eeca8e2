"""Streaming writers: per-minute event buffers, time-ordered flushes, exact counters.

Generators append ``(ts_ms, text, severity, physical_lines)`` tuples to one buffer per log.
Once a minute of simulated time is generated, :meth:`Estate.flush` sorts each buffer and
writes everything older than the minute's end; the few events of requests that straddle
the boundary wait in ``pending``. Memory is therefore bounded by one minute of traffic,
whatever the total size, and every file is in time order. Counts are taken here, from
exactly what is written, so the ground truth cannot disagree with the files.
"""

from __future__ import annotations

import gzip
import io
import os
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import IO, Callable

from .formats import DAY_MS, HOUR_MS, SEVERITIES

_TS = itemgetter(0)


@dataclass
class Part:
    """One physical file of a log (the live file or its rotated, gzipped predecessor)."""

    path: str
    compressed: bool
    lines: int = 0
    records: int = 0
    first_ts: int | None = None
    last_ts: int | None = None
    handle: IO | None = None
    raw: IO | None = None
    #: applied to text and to the path on disk (a seeded rename); None writes text as is
    transform: Callable[[str], str] | None = None

    @property
    def disk_path(self) -> str:
        return self.path if self.transform is None else self.transform(self.path)

    def open(self, root: Path) -> None:
        full = root / self.disk_path
        full.parent.mkdir(parents=True, exist_ok=True)
        if self.compressed:
            self.raw = open(full, "wb")
            # filename="" and mtime=0 keep the gzip header byte-identical across runs.
            gz = gzip.GzipFile(filename="", mode="wb", fileobj=self.raw, mtime=0,
                               compresslevel=5)
            self.handle = io.TextIOWrapper(gz, encoding="utf-8", newline="\n",
                                           write_through=False)
        else:
            self.handle = open(full, "w", encoding="utf-8", newline="\n", buffering=1 << 20)

    def write(self, events: list[tuple]) -> None:
        if not events:
            return
        assert self.handle is not None
        text = "".join([e[1] for e in events])
        self.handle.write(text if self.transform is None else self.transform(text))
        self.records += len(events)
        self.lines += sum([e[3] for e in events])
        if self.first_ts is None:
            self.first_ts = events[0][0]
        self.last_ts = events[-1][0]

    def close(self, root: Path, fallback_ts: int) -> None:
        if self.handle is not None:
            self.handle.close()
            if self.raw is not None:
                self.raw.close()
        ts = self.last_ts if self.last_ts is not None else fallback_ts
        os.utime(root / self.disk_path, (ts / 1000, ts / 1000))


class Sink:
    """A logical log file, optionally rotated at ``rotate_ms`` into ``<name>.1.gz``."""

    def __init__(self, root: Path, rel: str, service: str, fmt: str,
                 rotate_ms: int | None, transform: Callable[[str], str] | None = None) -> None:
        self.root, self.service, self.format = root, service, fmt
        self.rotate_ms = rotate_ms
        self.parts: list[Part] = []
        if rotate_ms is not None:
            self.parts.append(Part(rel + ".1.gz", True, transform=transform))
        self.parts.append(Part(rel, False, transform=transform))
        for p in self.parts:
            p.open(root)
        self.current = 0

    def write(self, events: list[tuple]) -> None:
        if self.current == 0 and self.rotate_ms is not None:
            cut = bisect_left(events, self.rotate_ms, key=_TS)
            self.parts[0].write(events[:cut])
            if cut < len(events):
                self.current = 1
                self.parts[1].write(events[cut:])
        else:
            self.parts[self.current].write(events)

    def close(self, fallback_ts: int) -> None:
        for p in self.parts:
            p.close(self.root, fallback_ts if p.last_ts is None else p.last_ts)


@dataclass
class Counters:
    """Aggregates that analysts' questions need; all bounded by design (pools of IPs/users)."""

    by_hour: dict = field(default_factory=lambda: defaultdict(int))   # (svc, sev, hour) -> n
    http: dict = field(default_factory=lambda: defaultdict(int))      # (day, status) -> n
    http_checkout: dict = field(default_factory=lambda: defaultdict(int))
    fw_src: dict = field(default_factory=lambda: defaultdict(int))
    fw_dpt: dict = field(default_factory=lambda: defaultdict(int))
    fw_action_day: dict = field(default_factory=lambda: defaultdict(int))
    ssh_failed: dict = field(default_factory=lambda: defaultdict(int))
    orders: dict = field(default_factory=lambda: defaultdict(int))    # (day, outcome) -> n
    order_users: dict = field(default_factory=lambda: defaultdict(set))  # day -> {user}


class Estate:
    """All sinks of one estate plus their buffers; the single place where bytes are written."""

    def __init__(self, root: Path, sinks: dict[str, Sink], start_ms: int) -> None:
        self.root = root
        self.sinks = sinks
        self.start_ms = start_ms
        self.buf: dict[str, list[tuple]] = {k: [] for k in sinks}
        self.pending: dict[str, list[tuple]] = {k: [] for k in sinks}
        self.counters = Counters()
        self.generated_lines = 0

    def flush(self, until_ms: int | None) -> None:
        """Write every buffered event older than ``until_ms`` (all of them if None)."""
        by_hour = self.counters.by_hour
        start = self.start_ms
        for key, sink in self.sinks.items():
            new = self.buf[key]
            if not new and not self.pending[key]:
                continue
            self.generated_lines += sum([e[3] for e in new])
            evs = self.pending[key] + new
            new.clear()
            evs.sort(key=_TS)
            if until_ms is None:
                out, keep = evs, []
            else:
                cut = bisect_left(evs, until_ms, key=_TS)
                out, keep = evs[:cut], evs[cut:]
            self.pending[key] = keep
            if not out:
                continue
            svc = sink.service
            for e in out:
                by_hour[(svc, e[2], (e[0] - start) // HOUR_MS)] += 1
            sink.write(out)

    def close(self, end_ms: int) -> None:
        self.flush(None)
        for sink in self.sinks.values():
            sink.close(end_ms)

    # ------------------------------------------------------------------ ground truth
    def files(self) -> list[dict]:
        out = []
        for sink in self.sinks.values():
            for p in sink.parts:
                out.append({"path": p.path, "service": sink.service, "format": sink.format,
                            "lines": p.lines, "records": p.records,
                            "compressed": p.compressed,
                            "first_ts": p.first_ts, "last_ts": p.last_ts})
        return out

    def counts(self, iso_day, iso_hour) -> dict:
        """Render the counters with day/hour labels (callables from index to text)."""
        c = self.counters
        per_day: dict = defaultdict(int)
        hours = []
        for (svc, sev, hour), n in sorted(c.by_hour.items()):
            per_day[(svc, sev, hour * HOUR_MS // DAY_MS)] += n
            hours.append({"service": svc, "severity": SEVERITIES[sev],
                          "hour": iso_hour(hour), "records": n})
        days = [{"service": s, "severity": SEVERITIES[v], "day": iso_day(d), "records": n}
                for (s, v, d), n in sorted(per_day.items())]
        records_by_service: dict = defaultdict(int)
        for (s, _v, _d), n in per_day.items():
            records_by_service[s] += n

        def nested(d: dict) -> dict:
            out: dict = {}
            for (day, key), n in sorted(d.items()):
                out.setdefault(iso_day(day), {})[str(key)] = n
            return out

        orders: dict = {}
        for (day, outcome), n in sorted(c.orders.items()):
            entry = orders.setdefault(iso_day(day), {"attempted": 0, "placed": 0, "failed": 0,
                                                     "failed_by_reason": {}})
            if outcome == "placed":
                entry["placed"] += n
            else:
                entry["failed"] += n
                entry["failed_by_reason"][outcome] = n
            entry["attempted"] += n
        month: dict = {}
        for day, e in orders.items():
            m = month.setdefault(day[:7], {"attempted": 0, "placed": 0, "failed": 0})
            for k in ("attempted", "placed", "failed"):
                m[k] += e[k]
        all_users: set = set()
        for s in c.order_users.values():
            all_users |= s
        return {
            "records_by_service": dict(sorted(records_by_service.items())),
            "by_service_severity_day": days,
            "by_service_severity_hour": hours,
            "http_status_by_day": nested(c.http),
            "http_checkout_status_by_day": nested(c.http_checkout),
            "firewall_blocks_by_src_ip": dict(sorted(c.fw_src.items())),
            "firewall_blocks_by_dpt": {str(k): v for k, v in sorted(c.fw_dpt.items())},
            "firewall_actions_by_day": nested(c.fw_action_day),
            "ssh_failed_logins_by_src_ip": dict(sorted(c.ssh_failed.items())),
            "orders": {"by_day": orders, "by_month": month},
            "users": {
                "ordering_users_by_day": {iso_day(d): len(s)
                                          for d, s in sorted(c.order_users.items())},
                "ordering_users_total": len(all_users),
            },
        }
