"""The dashboard's data layer: pure functions over a DuckDB cursor returning small frames.

Why a separate module: the widget only arranges what these functions return, so the
logic (periods, filters, clicks, every aggregate) is testable without a browser or a
kernel, and the same numbers feed the live widget, the HTML export and the notebooks. Every
aggregate is computed by DuckDB, zero buckets included (a ``range`` grid joined in SQL):
Python arranges frames, it never counts or fills gaps.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Iterable, Sequence

import pandas as pd

from ..errors import LogPilotError
from ..isotime import to_utc

SEVERITIES = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
# Buckets tried from the finest; the first giving at most MAX_BUCKETS bars is used.
BUCKETS = (("1 minute", 60), ("5 minutes", 300), ("15 minutes", 900), ("1 hour", 3600),
           ("6 hours", 21600), ("1 day", 86400), ("7 days", 604800))
MAX_BUCKETS = 150
DRILL_COLUMNS = ("timestamp", "severity", "service_name", "message", "template_id",
                 "origin", "origin_offset")
FAILURE_SEVERITIES = ("ERROR", "FATAL")
# An IN list no severity matches: the intersection of two severity sets can be empty, and
# an empty tuple in Filters means "all severities".
NO_SEVERITY = ("(none)",)


class PeriodError(LogPilotError):
    """A period the dashboard cannot read; the message lists the accepted forms."""

    def __init__(self, period: str) -> None:
        super().__init__(
            f"period {period!r} not understood; use 2024, 2024-05, 2024-05-30, "
            "'2024-05-30T09:00..2024-05-30T12:00', 'last 24h' / 'last 7d', 'all', or a "
            "phrase such as 'yesterday afternoon' or 'between 13:00 and 16:00 on May 30'")


@dataclass(frozen=True)
class Filters:
    """What the dashboard shows: ``[start, end)`` (naive UTC) and optional narrowing.

    ``template_id`` is set by a click on a template; an empty tuple means "all".
    """

    start: dt.datetime
    end: dt.datetime
    services: tuple[str, ...] = ()
    severities: tuple[str, ...] = ()
    text: str = ""
    template_id: str | None = None

    @property
    def span(self) -> dt.timedelta:
        return self.end - self.start

    def previous(self) -> "Filters":
        """The same filters over the period of equal length just before this one."""
        return replace(self, start=self.start - self.span, end=self.start)

    def narrow(self, **changes: Any) -> "Filters":
        return replace(self, **changes)


@dataclass(frozen=True)
class Selection:
    """What a click picked: a time window, a service, a template, severities (any may be unset).

    Why here and not in the widget: "a click on the failures bar of X lists the failures of
    X" is a rule about data, tested against DuckDB without a browser. The constructors name
    what each chart's click means.
    """

    label: str
    start: dt.datetime | None = None
    end: dt.datetime | None = None
    service: str | None = None
    template_id: str | None = None
    severities: tuple[str, ...] = ()

    @classmethod
    def failures(cls, service: str) -> "Selection":
        """A bar of "failures by service": that service's ERROR and FATAL rows only."""
        return cls(f"failures of service {service}", service=service,
                   severities=FAILURE_SEVERITIES)

    @classmethod
    def bucket(cls, start: dt.datetime, size: int, bucket_name: str,
               severity: str | None = None) -> "Selection":
        """A segment of the stacked volume chart: one time bucket, of one severity if given."""
        end = start + dt.timedelta(seconds=size)
        what = f"{severity} in " if severity else ""
        return cls(f"{what}{start:%Y-%m-%d %H:%M} + {bucket_name}", start=start, end=end,
                   severities=(severity,) if severity else ())

    def then(self, other: "Selection") -> "Selection":
        """A second click narrows the first: each part of ``other`` replaces the same part."""
        return Selection(f"{self.label}; {other.label}",
                         start=other.start or self.start, end=other.end or self.end,
                         service=other.service or self.service,
                         template_id=other.template_id or self.template_id,
                         severities=_intersect(self.severities, other.severities))

    def apply(self, f: "Filters") -> "Filters":
        """``f`` narrowed to this selection (never widened: the window stays in the period,
        the severities stay within the filter's)."""
        return f.narrow(
            start=max(self.start, f.start) if self.start else f.start,
            end=min(self.end, f.end) if self.end else f.end,
            services=(self.service,) if self.service else f.services,
            severities=_intersect(f.severities, self.severities),
            template_id=self.template_id or f.template_id)


def _intersect(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """Severity sets where ``()`` means all: the rows in both (:data:`NO_SEVERITY` if none)."""
    if not a or not b:
        return a or b
    both = tuple(s for s in b if s in a)
    return both or NO_SEVERITY


@dataclass
class Extent:
    """Rows and time range of the whole ``logs`` table (for empty states and 'all')."""

    rows: int
    first: dt.datetime | None
    last: dt.datetime | None
    services: list[str] = field(default_factory=list)


def period_examples(ext: Extent) -> str:
    """What the period box suggests, taken from the data: its year, month and last day
    (a hard-coded year showed empty figures on any other year's logs, issue 18)."""
    if ext.first is None or ext.last is None:
        return "all, YYYY, YYYY-MM, last 7d, A..B"
    return f"all, {ext.last:%Y}, {ext.last:%Y-%m}, {ext.last:%Y-%m-%d}, last 7d, A..B"


def extent(cur: Any) -> Extent:
    """How much the workspace holds; a cheap pass DuckDB answers from its statistics."""
    rows, lo, hi = cur.execute("SELECT count(*), min(timestamp), max(timestamp) FROM logs").fetchone()
    services = [r[0] for r in cur.execute(
        "SELECT DISTINCT service_name FROM logs WHERE service_name IS NOT NULL ORDER BY 1").fetchall()]
    return Extent(int(rows), lo, hi, services)


_RANGE = re.compile(r"^\s*(.+?)\s*(?:\.\.|/)\s*(.+?)\s*$")
_LAST = re.compile(r"^\s*last\s+(\d+)\s*([mhdw])\s*$", re.I)


def _instant(text: str) -> dt.datetime:
    value = to_utc(text, what="period bound")
    if value is None:
        raise ValueError("an empty period bound")
    return value


def parse_period(period: Any, ext: Extent | None = None) -> tuple[dt.datetime, dt.datetime]:
    """``[start, end)`` in naive UTC for a period (see :class:`PeriodError` for forms).

    Relative forms (``last 7d``) and ``all`` are anchored on the data, not the clock: an
    archive from last year still has a meaningful "last day".
    """
    if isinstance(period, (tuple, list)) and len(period) == 2:
        lo, hi = (p if isinstance(p, dt.datetime) else _instant(str(p)) for p in period)
        return lo, hi
    text = str(period or "all").strip()
    try:
        if re.fullmatch(r"\d{4}", text):
            y = int(text)
            return dt.datetime(y, 1, 1), dt.datetime(y + 1, 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}", text):
            y, m = map(int, text.split("-"))
            start = dt.datetime(y, m, 1)
            return start, dt.datetime(y + (m == 12), m % 12 + 1, 1)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = to_utc(text)
            return day, day + dt.timedelta(days=1)
        if text.lower() in ("all", "") or _LAST.match(text):
            if ext is None or ext.first is None or ext.last is None:
                now = dt.datetime(2000, 1, 1)
                return now, now + dt.timedelta(days=1)
            end = ext.last + dt.timedelta(seconds=1)
            m = _LAST.match(text)
            if m is None:
                return ext.first, end
            unit = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}[m.group(2).lower()]
            return end - dt.timedelta(**{unit: int(m.group(1))}), end
        m = _RANGE.match(text)
        if m:
            lo, hi = _instant(m.group(1)), _instant(m.group(2))
            if hi > lo:
                return lo, hi
    except ValueError:
        pass
    span = _phrase(text, ext)
    if span is not None:
        return span
    raise PeriodError(text)


def _phrase(text: str, ext: Extent | None) -> tuple[dt.datetime, dt.datetime] | None:
    """A plain-English period ("yesterday afternoon", "between 13:00 and 16:00 on May 30")
    read by the one time-phrase module, anchored on the data like the other relative forms;
    only a phrase that is the whole text counts (anything left over is not understood)."""
    from ..query.timephrase import find_time, resolve_time

    known = ext is not None and ext.first is not None and ext.last is not None
    rng = (ext.first, ext.last) if known else None  # type: ignore[union-attr]
    now = ext.last if known else None  # type: ignore[union-attr]
    spans = find_time(text, now=now, data_range=rng)
    left = text
    for s in sorted(spans, key=lambda s: -s.begin):
        left = left[:s.begin] + left[s.stop:]
    if not spans or re.sub(r"[\W_]+", "", left):
        return None
    span = resolve_time(text, now=now, data_range=rng)
    if span is None:
        return None
    lo = span.start or (ext.first if known else None)  # type: ignore[union-attr]
    hi = span.end or (ext.last + dt.timedelta(seconds=1) if known else None)  # type: ignore[union-attr]
    if lo is None or hi is None or hi <= lo:
        return None
    return lo, hi


def where(f: Filters, *, time: bool = True, start: dt.datetime | None = None) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters for ``f`` (``start`` overrides the lower bound)."""
    parts: list[str] = []
    params: list[Any] = []
    if time:
        parts.append("timestamp >= ? AND timestamp < ?")
        params += [start or f.start, f.end]
    if f.services:
        parts.append(f"service_name IN ({', '.join('?' * len(f.services))})")
        params += list(f.services)
    if f.severities:
        parts.append(f"severity IN ({', '.join('?' * len(f.severities))})")
        params += list(f.severities)
    if f.text:
        parts.append("contains(lower(body), ?)")
        params.append(f.text.lower())
    if f.template_id:
        parts.append("template_id = ?")
        params.append(f.template_id)
    return (" AND ".join(parts) or "TRUE"), params


def choose_bucket(lo: dt.datetime | None, hi: dt.datetime | None) -> tuple[str, int]:
    """The finest bucket giving at most :data:`MAX_BUCKETS` bars over ``[lo, hi]``."""
    if lo is None or hi is None:
        return BUCKETS[3]
    seconds = max((hi - lo).total_seconds(), 1.0)
    for name, size in BUCKETS:
        if seconds / size <= MAX_BUCKETS:
            return name, size
    return BUCKETS[-1]


def _pct(now: float, before: float) -> float | None:
    return None if not before else (now - before) / before * 100.0


def bounds(cur: Any, f: Filters) -> tuple[dt.datetime | None, dt.datetime | None]:
    """First and last row matching ``f``: the charts' extent (and the bucket size) follow the
    data, not the nominal period, so "2024" over three days of logs still shows minutes."""
    clause, params = where(f)
    lo, hi = cur.execute(f"SELECT min(timestamp), max(timestamp) FROM logs WHERE {clause}",
                         params).fetchone()
    return lo, hi


def totals(cur: Any, f: Filters) -> dict[str, int]:
    """Rows, failures and distinct templates matching ``f`` (the previous period's KPIs)."""
    clause, params = where(f)
    rows, failures, templates = cur.execute(
        f"""SELECT count(*), count(*) FILTER (WHERE severity IN ('ERROR', 'FATAL')),
                   count(DISTINCT template_id) FROM logs WHERE {clause}""", params).fetchone()
    return {"rows": int(rows), "failures": int(failures), "templates": int(templates)}


def new_template_counts(cur: Any, f: Filters) -> tuple[int, int]:
    """Templates first seen in the period and in the previous one (templates table)."""
    prev = f.previous()
    now, before = cur.execute(
        """SELECT count(*) FILTER (WHERE first_seen >= ? AND first_seen < ?),
                  count(*) FILTER (WHERE first_seen >= ? AND first_seen < ?)
           FROM templates""" + _template_filter(f),
        [f.start, f.end, prev.start, prev.end] + _template_params(f)).fetchone()
    return int(now or 0), int(before or 0)


def kpis(now: dict[str, int], before: dict[str, int], new: tuple[int, int],
         first: dt.datetime | None = None, last: dt.datetime | None = None) -> dict[str, Any]:
    """The KPI cards' numbers: volume, error rate, distinct and new templates, with the
    change against the previous period (None when that period has no rows)."""
    rate_now = now["failures"] / now["rows"] * 100.0 if now["rows"] else 0.0
    rate_before = before["failures"] / before["rows"] * 100.0 if before["rows"] else 0.0
    return {
        "volume": now["rows"], "volume_before": before["rows"],
        "volume_change": _pct(now["rows"], before["rows"]),
        "errors": now["failures"], "error_rate": rate_now, "error_rate_before": rate_before,
        "error_rate_change": (rate_now - rate_before) if before["rows"] else None,
        "templates": now["templates"], "templates_before": before["templates"],
        "templates_change": _pct(now["templates"], before["templates"]),
        "new_templates": new[0], "new_templates_before": new[1],
        "new_templates_change": _pct(*new),
        "first": first, "last": last,
    }


@dataclass
class Render:
    """Everything one dashboard render shows: KPIs, chart frames, bucket, heatmap mode."""

    kpis: dict[str, Any]
    frames: dict[str, pd.DataFrame]
    bucket: tuple[str, int]
    hourly: bool


def render(cur: Any, f: Filters, top_n: int = 10) -> Render:
    """All aggregates of one render, in as few scans of ``logs`` as possible.

    Why this shape: re-rendering 10M rows must stay under a second on two cores, so the
    period is scanned once for its bounds (min/max: cheap) and once for everything else
    (:func:`overview`), and the previous period once (skipped by DuckDB's zone maps when it
    holds nothing).
    """
    first, last = bounds(cur, f)
    bucket = choose_bucket(first or f.start, last or f.end)
    hourly = first is not None and last - first <= dt.timedelta(days=4)
    frames = overview(cur, f, bucket[1], hourly, top_n)
    frames["new_templates"] = new_templates(cur, f)
    tot = frames.pop("totals").iloc[0]
    distinct = frames["templates"]["distinct_templates"]
    now = {"rows": int(tot["rows"]), "failures": int(tot["failures"]),
           "templates": int(distinct.iloc[0]) if len(distinct) else 0}
    k = kpis(now, totals(cur, f.previous()), new_template_counts(cur, f), first, last)
    return Render(k, frames, bucket, hourly)


def _template_filter(f: Filters) -> str:
    parts = []
    if f.services:
        parts.append(f"first_service IN ({', '.join('?' * len(f.services))})")
    if f.text:
        parts.append("contains(lower(template), ?)")
    if f.template_id:
        parts.append("template_id = ?")
    return (" WHERE " + " AND ".join(parts)) if parts else ""


def _template_params(f: Filters) -> list[Any]:
    return list(f.services) + ([f.text.lower()] if f.text else []) + (
        [f.template_id] if f.template_id else [])


ORIGIN = dt.datetime(2000, 1, 3)  # DuckDB's time_bucket origin (a Monday): same grid
_ORIGIN_US = int((ORIGIN - dt.datetime(1970, 1, 1)).total_seconds()) * 1_000_000
_FAIL_SQL = "severity IN ('ERROR', 'FATAL')"


def overview(cur: Any, f: Filters, size: int, hourly: bool, n: int = 10) -> dict[str, pd.DataFrame]:
    """Every chart's frame and the period's totals from ONE scan of ``logs``.

    Why: a re-render over 10M rows must stay under a second on two cores. One
    ``GROUPING SETS`` pass builds a small cube, (bucket, hour, service, severity) and
    (template, bucket, severity), with integer bucket arithmetic (cheaper than
    ``time_bucket``, same grid); the cube is a temporary table of this cursor and the
    frames are DuckDB aggregates over it. Time frames are zero-filled in SQL: a
    ``range`` of buckets (or hours) from the first to the last one with data, joined to
    the counts, so a quiet bucket is a 0 and not a gap that a chart bridges.

    Frames: ``volume`` (t, severity, rows; every bucket x every severity present),
    ``failures`` (service_name, failures, rows), ``heatmap`` (service_name, hour, rows,
    failures; every service x every hour; ``hour`` a clock hour when ``hourly``, else the
    hour of day 0-23), ``templates`` (template_id, template, service, rows, failures,
    spark, distinct_templates; ``spark`` the counts per bucket over the data's buckets)
    and ``totals`` (rows, failures). Counts are BIGINT.
    """
    clause, params = where(f)
    size_us = int(size) * 1_000_000
    hour = "epoch_us(timestamp) // 3600000000" + ("" if hourly else " % 24")
    cur.execute(
        f"""CREATE OR REPLACE TEMP TABLE lp_cube AS
            SELECT grouping(template_id) AS by_service, template_id, b, h, service_name, severity,
                   count(*) AS rows
            FROM (SELECT template_id, service_name, severity, {hour} AS h,
                         (epoch_us(timestamp) - {_ORIGIN_US}) // {size_us} AS b
                  FROM logs WHERE {clause})
            GROUP BY GROUPING SETS ((b, h, service_name, severity), (template_id, b, severity))""",
        params)
    t = f"make_timestamp({_ORIGIN_US} + g.b * {size_us})"
    svc = "FROM lp_cube WHERE by_service = 1"
    buckets = ("grid AS (SELECT range AS b FROM range((SELECT min(b) FROM lp_cube), "
               "(SELECT max(b) FROM lp_cube) + 1)) ")
    hours = ("range((SELECT min(h) FROM hm), (SELECT max(h) FROM hm) + 1)" if hourly
             else "range(0, 24)")
    try:
        out = {
            "volume": cur.execute(
                f"""WITH v AS (SELECT b, severity, sum(rows) AS rows {svc} GROUP BY ALL),
                         sev AS (SELECT DISTINCT severity FROM v), {buckets}
                    SELECT {t} AS t, sev.severity, coalesce(v.rows, 0)::BIGINT AS rows
                    FROM grid g CROSS JOIN sev LEFT JOIN v ON v.b = g.b AND v.severity = sev.severity
                    ORDER BY t, severity""").df(),
            "failures": cur.execute(
                f"""SELECT service_name,
                          coalesce(sum(rows) FILTER (WHERE {_FAIL_SQL}), 0)::BIGINT AS failures,
                          sum(rows)::BIGINT AS rows {svc}
                    GROUP BY 1 ORDER BY failures DESC, rows DESC, service_name""").df(),
            "heatmap": cur.execute(
                f"""WITH hm AS (SELECT service_name, h, sum(rows) AS rows,
                                       sum(rows) FILTER (WHERE {_FAIL_SQL}) AS failures
                                {svc} GROUP BY ALL),
                         sv AS (SELECT DISTINCT service_name FROM hm),
                         hs AS (SELECT range AS h FROM {hours})
                    SELECT sv.service_name,
                           {'make_timestamp(hs.h * 3600000000)' if hourly else 'hs.h'} AS hour,
                           coalesce(hm.rows, 0)::BIGINT AS rows,
                           coalesce(hm.failures, 0)::BIGINT AS failures
                    FROM sv CROSS JOIN hs
                    LEFT JOIN hm ON hm.service_name = sv.service_name AND hm.h = hs.h
                    ORDER BY sv.service_name, hour""").df(),
            "totals": cur.execute(
                f"""SELECT coalesce(sum(rows), 0)::BIGINT AS rows,
                          coalesce(sum(rows) FILTER (WHERE {_FAIL_SQL}), 0)::BIGINT AS failures
                    {svc}""").df(),
            "templates": cur.execute(
                f"""WITH tb AS (
                      SELECT template_id, b, sum(rows) AS c,
                             coalesce(sum(rows) FILTER (WHERE {_FAIL_SQL}), 0) AS fc
                      FROM lp_cube WHERE by_service = 0 GROUP BY 1, 2),
                    top AS (
                      SELECT template_id, sum(c)::BIGINT AS rows, sum(fc)::BIGINT AS failures,
                             count(*) OVER () AS distinct_templates
                      FROM tb GROUP BY 1 ORDER BY rows DESC, template_id LIMIT {int(n)}),
                    {buckets},
                    sp AS (
                      SELECT top.template_id, list(coalesce(tb.c, 0)::BIGINT ORDER BY g.b) AS spark
                      FROM top CROSS JOIN grid g
                      LEFT JOIN tb ON tb.template_id = top.template_id AND tb.b = g.b
                      GROUP BY 1)
                    SELECT top.template_id, coalesce(tp.template, top.template_id) AS template,
                           coalesce(tp.first_service, '?') AS service, top.rows, top.failures,
                           sp.spark, top.distinct_templates
                    FROM top JOIN sp USING (template_id)
                    LEFT JOIN templates tp USING (template_id)
                    ORDER BY top.rows DESC, top.template_id""").df(),
        }
    finally:
        cur.execute("DROP TABLE IF EXISTS lp_cube")
    return out


def time_axis_range(lo: dt.datetime | None, hi: dt.datetime | None,
                    size: int) -> tuple[dt.datetime, dt.datetime] | None:
    """The x range of a time chart whose bars start at bucket ``lo`` .. bucket ``hi``.

    Why not plotly's autorange: a single bar (or point) on a date axis autoranges to a few
    milliseconds around it (23:59:59.999 to 00:00:00.001). The range covers whole buckets,
    and one bucket on each side when there is only one, so a lone bar reads as a bar.
    """
    if lo is None or hi is None:
        return None
    step = dt.timedelta(seconds=size)
    if hi <= lo:
        return lo - step, lo + 2 * step
    return lo, hi + step


def new_templates(cur: Any, f: Filters, limit: int = 500) -> pd.DataFrame:
    """Templates first seen inside the period: when, where, and how often since."""
    extra = _template_filter(f)
    cond = ("first_seen >= ? AND first_seen < ?" if not extra
            else extra.replace(" WHERE ", "", 1) + " AND first_seen >= ? AND first_seen < ?")
    return cur.execute(
        f"""SELECT template_id, template, first_service AS service, first_seen, count AS rows
            FROM templates WHERE {cond} ORDER BY first_seen LIMIT {int(limit)}""",
        _template_params(f) + [f.start, f.end]).df()


def drilldown(cur: Any, f: Filters, limit: int = 50) -> tuple[pd.DataFrame, int]:
    """The first ``limit`` matching rows with provenance, and how many match in all."""
    clause, params = where(f)
    total = cur.execute(f"SELECT count(*) FROM logs WHERE {clause}", params).fetchone()[0]
    frame = cur.execute(
        f"""SELECT {', '.join(DRILL_COLUMNS)} FROM logs WHERE {clause}
            ORDER BY timestamp, origin, origin_offset LIMIT {int(limit)}""", params).df()
    return frame, int(total)


def as_tuple(value: str | Iterable[str] | None) -> tuple[str, ...]:
    """``None``, ``"a"``, ``"a,b"`` or a list -> a tuple of non-empty names."""
    if value is None:
        return ()
    items: Sequence[str] = value.split(",") if isinstance(value, str) else list(value)
    return tuple(s.strip() for s in items if s and s.strip())
