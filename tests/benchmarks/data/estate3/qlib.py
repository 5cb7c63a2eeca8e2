"""Small helpers the question set computes its answers with (over records, never over text)."""
from __future__ import annotations

import datetime as dt
from collections import Counter

from sim import sev_of

UTC = dt.timezone.utc
DAY = 86400
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


class Q:
    """Record access for one estate: day windows, filters, statistics."""

    def __init__(self, est) -> None:
        self.est = est
        self.R = est.records
        self.t0 = est.t0

    def day(self, d: int, h0: float = 0, h1: float = 24) -> tuple[float, float]:
        """[start, end) of hours h0..h1 of day d (0 = the first day), UTC."""
        return self.t0 + d * DAY + h0 * 3600, self.t0 + d * DAY + h1 * 3600

    def sel(self, src: str, win: tuple[float, float] | None = None, pred=None) -> list[dict]:
        out = self.R[src] if src != "*" else [r for lst in self.R.values() for r in lst]
        if win:
            out = [r for r in out if win[0] <= r["t"] < win[1]]
        if pred:
            out = [r for r in out if pred(r)]
        return out

    def date(self, d: int) -> str:
        return dt.datetime.fromtimestamp(self.t0 + d * DAY, UTC).strftime("%Y-%m-%d")

    @staticmethod
    def iso(t: float) -> str:
        d = dt.datetime.fromtimestamp(int(round(t * 1000)) / 1000, UTC)
        return d.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

    @staticmethod
    def hour(t: float) -> str:
        return dt.datetime.fromtimestamp(t // 3600 * 3600, UTC).strftime("%Y-%m-%d %H:%M")


def is_err(r: dict) -> bool:
    return sev_of(r) == "error"


def is_warn(r: dict) -> bool:
    return sev_of(r) == "warning"


def pct(xs: list[float], p: float) -> float:
    """Linear-interpolation percentile (numpy's default), p in 0..100."""
    xs = sorted(xs)
    k = (len(xs) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def mean(xs: list[float]) -> float:
    return sum(xs) / len(xs)


def top(counter: Counter, n: int) -> list[list]:
    """The n largest groups, asserting no tie at the cut (the question promises none)."""
    items = sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0])))
    assert len(items) > n - 1, "too few groups"
    if len(items) > n:
        assert items[n - 1][1] != items[n][1], f"tie at the top-{n} cut: {items[n - 1]} {items[n]}"
    return [[k, v] for k, v in items[:n]]


def kv(r: dict, key: str):
    """A klog record's value for key."""
    return next(x for k, x, _ in r["kv"] if k == key)


def scalar(v, tol: float | None = None) -> dict:
    a = {"type": "scalar", "value": v}
    if tol is not None:
        a["tolerance"] = tol
    return a


def table(rows: list[list], ordered: bool = False, tol: float | None = None) -> dict:
    a = {"type": "table", "value": rows, "rows": rows, "ordered": ordered}
    if tol is not None:
        a["tolerance"] = tol
    return a


def listing(items: list, ordered: bool = True) -> dict:
    rows = [[x] for x in items]
    return {"type": "list", "value": items, "rows": rows, "ordered": ordered}
