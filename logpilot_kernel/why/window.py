"""Find the incident window: change-points on bucketed error counts, aggregated in DuckDB.

Why a likelihood search and not a threshold: error counts are Poisson-like and their
baseline differs by service and hour, so "more than N errors" is meaningless across
estates. For every contiguous run of buckets we compare two Poisson rates (inside vs.
outside) with a log-likelihood ratio and keep the run that explains the counts best - the
classic epidemic change-point model (rate goes up, then back down). More windows are found
by masking the best one and searching again, which is how "what is abnormal?" ranks bursts.
Boundaries are then refined from bucket edges to the first/last signal row inside them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import numpy as np

#: Buckets per search at most; the bucket width grows with the time range.
MAX_BUCKETS = 4800
NICE_SECONDS = (60, 120, 300, 600, 900, 1800, 3600, 7200, 21600, 43200, 86400)


@dataclass
class Window:
    """A detected (or given) window with the statistic that supports it."""

    start: dt.datetime
    end: dt.datetime
    llr: float
    inside: int
    expected: float
    bucket_seconds: int
    how: str = "detected"

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def to_dict(self) -> dict[str, Any]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat(),
                "minutes": round(self.minutes, 1), "llr": round(self.llr, 1),
                "signal_rows": self.inside, "expected_rows": round(self.expected, 1),
                "bucket_seconds": self.bucket_seconds, "how": self.how}


@dataclass
class Series:
    """Bucketed counts of the signal over the scope, kept for the rate chart."""

    start: dt.datetime
    bucket_seconds: int
    counts: np.ndarray
    label: str

    def times(self) -> list[dt.datetime]:
        return [self.start + dt.timedelta(seconds=i * self.bucket_seconds)
                for i in range(len(self.counts))]


def bucket_seconds_for(lo: dt.datetime, hi: dt.datetime, max_buckets: int = MAX_BUCKETS) -> int:
    """The smallest 'nice' bucket width that keeps the search under ``max_buckets``."""
    span = max(1.0, (hi - lo).total_seconds())
    for s in NICE_SECONDS:
        if span / s <= max_buckets:
            return s
    return int(math.ceil(span / max_buckets))


def series(cur: Any, where: str, lo: dt.datetime, hi: dt.datetime, label: str,
           bucket: int | None = None) -> Series:
    """Counts of rows matching ``where`` per bucket in ``[lo, hi)`` (one GROUP BY in DuckDB)."""
    bucket = bucket or bucket_seconds_for(lo, hi)
    n = max(1, int(math.ceil((hi - lo).total_seconds() / bucket)))
    rows = cur.execute(
        f"SELECT CAST(floor(epoch(timestamp - ?::TIMESTAMP) / {bucket}) AS BIGINT) AS b, "
        f"count(*) FROM logs WHERE timestamp >= ? AND timestamp < ? AND ({where}) GROUP BY 1",
        [lo, lo, hi]).fetchall()
    counts = np.zeros(n, dtype=np.float64)
    for b, c in rows:
        if 0 <= b < n:
            counts[int(b)] += c
    return Series(lo, bucket, counts, label)


def _best_segment(x: np.ndarray, max_len: int) -> tuple[float, int, int]:
    """(llr, i, j): the run ``x[i:j]`` whose rate differs most from the rest (rate up only)."""
    n = len(x)
    total = float(x.sum())
    if total <= 0 or n < 2:
        return 0.0, 0, 0
    c = np.concatenate([[0.0], np.cumsum(x)])
    best = (0.0, 0, 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n):
            j = np.arange(i + 1, min(n, i + max_len) + 1)
            s = c[j] - c[i]
            ln = (j - i).astype(np.float64)
            rest, rn = total - s, n - ln
            r1, r0 = s / ln, np.where(rn > 0, rest / np.maximum(rn, 1), 0.0)
            term1 = np.where(s > 0, s * np.log(np.maximum(r1, 1e-300)), 0.0)
            term0 = np.where(rest > 0, rest * np.log(np.maximum(r0, 1e-300)), 0.0)
            llr = term1 + term0 - total * math.log(total / n)
            llr = np.where(r1 > r0, llr, 0.0)
            k = int(np.argmax(llr))
            if llr[k] > best[0]:
                best = (float(llr[k]), i, int(j[k]))
    return best


def detect(s: Series, k: int = 1, min_llr: float = 8.0, max_len: int | None = None,
           containing: dt.datetime | None = None,
           overlap: tuple[dt.datetime, dt.datetime] | None = None,
           rejected: list[Window] | None = None) -> list[Window]:
    """Up to ``k`` windows, strongest first; each is masked before the next search.

    ``containing`` keeps only windows that include that instant (entity questions: the
    window around the entity's failure); ``overlap`` only windows that meet that range
    (the question's own time: a burst outside it is another incident, however strong);
    such bursts are appended to ``rejected`` and a window that overlaps one of them is that
    burst seen wider, not an answer (pass the same list to searches on other signals).
    Windows with an LLR below ``min_llr`` (about a p-value of 1e-4 for one free segment)
    are not reported.
    """
    x = s.counts.copy()
    n = len(x)
    max_len = max_len or max(2, n // 2)
    out: list[Window] = []
    tries = k * 3 if containing else (k + 5 if overlap else k)
    rejected = [] if rejected is None else rejected
    for _ in range(tries):
        llr, i, j = _best_segment(x, max_len)
        if llr < min_llr or j <= i:
            break
        rest = np.delete(x, np.s_[i:j])
        base = float(np.median(rest)) if rest.size else 0.0
        w = Window(s.start + dt.timedelta(seconds=i * s.bucket_seconds),
                   s.start + dt.timedelta(seconds=j * s.bucket_seconds), llr,
                   int(s.counts[i:j].sum()), float(rest.mean() if rest.size else 0) * (j - i),
                   s.bucket_seconds)
        x[i:j] = base
        if containing is not None and not (w.start <= containing < w.end + dt.timedelta(
                seconds=s.bucket_seconds)):
            continue
        if overlap is not None and (not (w.start < overlap[1] and w.end > overlap[0]) or any(
                w.start < r.end and w.end > r.start for r in rejected)):
            rejected.append(w)  # a later, wider window around it is that burst again
            continue
        out.append(w)
        if len(out) >= k:
            break
    return out


def refine(cur: Any, w: Window, where: str) -> Window:
    """Move bucket edges to the first and last signal row inside the window.

    A window reported to the minute is only as good as its buckets; the rows themselves
    say when the burst began and ended.
    """
    lo, hi = cur.execute(
        f"SELECT min(timestamp), max(timestamp) FROM logs WHERE timestamp >= ? AND timestamp < ? "
        f"AND ({where})", [w.start, w.end]).fetchone()
    if lo is None:
        return w
    return Window(lo, max(hi, lo + dt.timedelta(seconds=1)), w.llr, w.inside, w.expected,
                  w.bucket_seconds, w.how)
