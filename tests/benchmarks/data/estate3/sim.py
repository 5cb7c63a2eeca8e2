"""The estate's records: one dict per log entry, in canonical (K=0) vocabulary, with UTC epoch seconds.

Why records first and text second: every benchmark answer is computed from these records, and the text is
only a rendering of them, so the answers cannot inherit a parsing mistake.
"""
from __future__ import annotations

import datetime as dt
import math
import random
from bisect import bisect
from itertools import accumulate

UTC = dt.timezone.utc
# viewers' local hour (UTC+2) -> relative traffic; a streaming service peaks in the evening
DIURNAL = [0.35, 0.22, 0.15, 0.1, 0.08, 0.1, 0.2, 0.35, 0.45, 0.5, 0.55, 0.6,
           0.65, 0.62, 0.6, 0.62, 0.7, 0.85, 1.0, 1.15, 1.3, 1.3, 1.05, 0.65]
WEEKEND = 0.78
REGIONS = ["eu-west", "eu-central", "us-east", "ap-south"]
DEVICES = ["tv", "web", "android", "ios"]
PLANS = ["basic", "standard", "premium"]
PROFILES = ["480p", "720p", "1080p", "2160p"]
TOPICS = ["playback-events", "transcode-jobs"]
GROUPS = ["transcoder-workers", "analytics-sink"]
UAS = ["Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
       "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
       "Dalvik/2.1.0 (Linux; U; Android 14; Pixel 7 Build/UQ1A.240205.004)",
       "Roku/DVP-12.5 (12.5.0.4178-AE)", "okhttp/4.12.0",
       "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Safari/605.1.15"]

# incidents: (id, kind, day offset, start HH:MM, minutes, root source, symptom sources)
INCIDENTS = [
    ("INC-1", "db_connection_exhaustion", 1, "14:10", 42, "pg", ["playback", "nginx"]),
    ("INC-2", "cache_persistence_failure", 2, "19:40", 35, "redis", ["playback", "nginx"]),
    ("INC-3", "broker_disk_full", 3, "02:50", 45, "kafka", ["transcoder", "playback"]),
    ("INC-4", "manifest_publish_failure", 4, "09:15", 35, "transcoder", ["nginx", "playback"]),
]


class Zipf:
    """Draws ranks 0..n-1 with weight 1/(rank+1)^s: a few heavy users, a long tail."""

    def __init__(self, n: int, s: float) -> None:
        self.cum = list(accumulate(1.0 / (i + 1) ** s for i in range(n)))

    def draw(self, rng: random.Random) -> int:
        return bisect(self.cum, rng.random() * self.cum[-1])


def _count(rng: random.Random, rate: float) -> int:
    """An integer count with mean `rate` (Poisson for small rates, a normal draw above)."""
    if rate < 30:
        lim, k, p = math.exp(-rate), 0, rng.random()
        while p > lim:
            k += 1
            p *= rng.random()
        return k
    return max(0, round(rng.gauss(rate, math.sqrt(rate))))


class Estate:
    """Runs the simulation; `records` is the list of entries sorted by time per source."""

    def __init__(self, seed: int, days: int, start: str) -> None:
        self.rng = random.Random(seed)
        self.days = days
        self.t0 = dt.datetime.fromisoformat(start).replace(tzinfo=UTC).timestamp()
        self.t_end = self.t0 + days * 86400
        self.incidents = []
        for iid, kind, d, hhmm, mins, root, sym in INCIDENTS:
            if d >= days:
                continue
            h, m = map(int, hhmm.split(":"))
            s = self.t0 + d * 86400 + h * 3600 + m * 60
            self.incidents.append({"id": iid, "kind": kind, "s": s, "e": s + mins * 60, "root": root, "sym": sym})
        self.records: dict[str, list[dict]] = {k: [] for k in
                                                ("nginx", "playback", "pg", "redis", "transcoder", "kafka", "entitle")}
        self.users = Zipf(4000, 1.05)
        self.ips = [f"{self.rng.choice([31, 37, 62, 77, 81, 85, 89, 94, 145, 178, 185, 212])}."
                    f"{self.rng.randrange(256)}.{self.rng.randrange(256)}.{self.rng.randrange(1, 255)}" for _ in range(3000)]
        self.ipz = Zipf(3000, 1.1)
        self.titles = Zipf(900, 1.2)
        self.seq = 0
        from sim_sources import run
        run(self)
        for k, lst in self.records.items():  # symptoms that would land after the estate's end are cut off
            self.records[k] = sorted((r for r in lst if r["t"] < self.t_end), key=lambda r: r["t"])

    def active(self, kind: str, t: float) -> bool:
        """True while the incident of that kind is under way at t."""
        return any(i["kind"] == kind and i["s"] <= t < i["e"] for i in self.incidents)

    def load(self, t: float) -> float:
        """Relative traffic at UTC instant t (viewers' local hour, quieter weekends)."""
        d = dt.datetime.fromtimestamp(t + 7200, UTC)
        return DIURNAL[d.hour] * (WEEKEND if d.weekday() >= 5 else 1.0)

    def add(self, src: str, t: float, **fields) -> dict:
        rec = {"t": t, "src": src, **fields}
        self.records[src].append(rec)
        return rec

    def user(self) -> str:
        return f"u{self.users.draw(self.rng) * 7919 % 100000:05d}"

    def title(self) -> str:
        return f"t-{self.titles.draw(self.rng) * 37 % 5000 + 1:05d}"

    def ip(self) -> str:
        return self.ips[self.ipz.draw(self.rng)]

    def next_id(self) -> int:
        self.seq += 1
        return self.seq


def sev_of(rec: dict) -> str | None:
    """The entry's severity as its format writes it, normalised: error / warning / info / debug / None."""
    src = rec["src"]
    if src == "playback":
        return {30: "info", 40: "warning", 50: "error", 60: "error", 20: "debug"}[rec["level"]]
    if src == "pg":
        return {"LOG": "info", "WARNING": "warning", "ERROR": "error", "FATAL": "error", "PANIC": "error"}[rec["level"]]
    if src == "redis":
        return {"*": "info", "#": "warning", "-": "debug", ".": "debug"}[rec["ch"]]
    if src == "transcoder":
        return {"I": "info", "W": "warning", "E": "error", "F": "error"}[rec["level"]]
    if src == "kafka":
        return {"INFO": "info", "WARN": "warning", "ERROR": "error", "FATAL": "error", "DEBUG": "debug"}[rec["level"]]
    return None
