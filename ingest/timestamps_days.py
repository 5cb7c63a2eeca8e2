"""Which day each chunk of a file of date-less times is on (``HH:MM:SS`` lines, no date).

A pre-pass over the file, apart from ``timestamps`` (layouts and their SQL): it reads the
file once more and runs its rule on a probe day, which only files whose layout has no
date pay, so the days run on across chunk boundaries instead of every chunk ending on
the mtime's day.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from functools import lru_cache
from importlib import resources
from typing import Any, Sequence

from .timestamps import DAY_ROLLBACK, DAY_ROLLBACK_HOURS, LAYOUT_FILE, MAX_OFFSET_HOURS, is_time_only


#: The day a pre-pass anchors each chunk's last record on (any day works: only the
#: number of days back to its first record is read).
_PROBE_DAY = dt.datetime(2000, 1, 31, 23, 59, 59)


def time_of_day_refs(con: Any, f: Any, rule: Any, chunk_records: int, *, source: str = "") -> dict[int, dt.datetime]:
    """The ``ref`` to parse each chunk of a file of date-less times with, so the days
    run on across chunk boundaries: ``{chunk index: ref}``, empty when the rule has a
    date, the file is one chunk, or it cannot be read twice (an archive member).

    Each chunk alone would put its last record on the day of the file's mtime (see
    :func:`.timestamps.time_of_day_ctes`), so in a file of several chunks every chunk but the last
    would be dated days too late. A pre-pass parses each chunk with the same rule on a
    probe day, which says how many midnights it crosses and its first and last time of
    day; the file's last record goes on the mtime's day (or the day before, as one
    chunk would), and each earlier chunk ends as many days before that as there are
    midnights after it, including the ones between chunks (a time of day more than
    :data:`DAY_ROLLBACK` before the previous chunk's last one)."""
    fmts = list(getattr(rule, "timestamp_formats", None) or [])
    if not fmts or not all(is_time_only(x) for x in fmts) or getattr(f, "archive", None):
        return {}
    from .enrich import run_rule
    from .readers import read_records
    import pyarrow.compute as pc

    probe = _PROBE_DAY.replace(tzinfo=dt.timezone.utc).timestamp()
    spans: list[tuple[int, dt.datetime | None, dt.datetime | None]] = []  # (midnights, first, last)
    try:
        for rc in read_records(f, multiline_start=rule.multiline_start, chunk_records=chunk_records):
            if rc.table.num_rows == 0:
                spans.append((0, None, None))
                continue
            out = run_rule(con, rc.table, rule, source=source or "probe", file_mtime=probe)
            own = out.filter(out.column("has_ts")).sort_by("rn").column("timestamp").to_pylist()
            spans.append(((_PROBE_DAY.date() - own[0].date()).days, own[0], own[-1]) if own else (0, None, None))
    except Exception:  # noqa: BLE001 - unreadable twice: each chunk dated alone, as before
        return {}
    if len(spans) < 2:
        return {}
    mtime = getattr(f, "mtime", None)
    ref = (dt.datetime.fromtimestamp(mtime, dt.timezone.utc).replace(tzinfo=None) if mtime is not None
           else dt.datetime.now(dt.timezone.utc).replace(tzinfo=None))
    last = next((sp[2] for sp in reversed(spans) if sp[2] is not None), None)
    if last is None:
        return {}
    day = ref.date()
    at = dt.datetime.combine(day, last.time())
    if at > ref + dt.timedelta(hours=MAX_OFFSET_HOURS):
        day -= dt.timedelta(days=1)
    rollback = dt.timedelta(hours=DAY_ROLLBACK_HOURS)
    out_refs: dict[int, dt.datetime] = {}
    after = 0  # midnights after the current chunk's last record
    nxt_first: dt.datetime | None = None
    for k in range(len(spans) - 1, -1, -1):
        rolls, first, lst = spans[k]
        if lst is not None and nxt_first is not None and _crosses(lst, nxt_first, rollback):
            after += 1
        out_refs[k] = dt.datetime.combine(day - dt.timedelta(days=after), dt.time(23, 59, 59))
        after += rolls
        if first is not None:
            nxt_first = first
    return out_refs


def _crosses(last: dt.datetime, first_next: dt.datetime, rollback: dt.timedelta) -> bool:
    """Whether a time of day ``first_next`` after ``last`` means a midnight between them
    (the same test as :func:`.timestamps.time_of_day_ctes`: more than ``rollback`` earlier)."""
    a = dt.datetime.combine(dt.date(2000, 1, 1), last.time())
    b = dt.datetime.combine(dt.date(2000, 1, 1), first_next.time())
    return b < a - rollback


@lru_cache(maxsize=1)
def _header_date_layouts() -> list[tuple[re.Pattern[str], str]]:
    data = json.loads(resources.files(__package__).joinpath(LAYOUT_FILE).read_text(encoding="utf-8"))
    return [(re.compile(x["regex"]), x["format"]) for x in (data.get("header_dates") or {}).get("layouts", [])]


def header_date(lines: Sequence[str]) -> str | None:
    """The date (``YYYY-MM-DD``) a file of times of day writes once in its header lines
    (``lines``: the ones before its first record), or None. Why: such a report (a title
    line with the day, then ``HH:MM:SS`` rows) is dated by what it says, not by when the
    file was last touched (a copied or archived file's mtime is another day)."""
    for line in lines:
        for rx, fmt in _header_date_layouts():
            for m in rx.finditer(line):
                try:
                    day = dt.datetime.strptime(m.group(0), fmt).date()
                except ValueError:
                    continue
                if 1970 <= day.year <= 2100:
                    return day.isoformat()
    return None


def dated_time_of_day_ctes(src: str, day: str) -> str:
    """:func:`.timestamps.time_of_day_ctes` for a file whose header gives its date: the
    first record is on ``day`` and each midnight (a time of day going back by more than
    :data:`.timestamps.DAY_ROLLBACK`) moves the records after it a day on. The same
    columns (``droll``, ``last_tod``, ``tod_ts``)."""
    return (
        f"ta AS (SELECT *, CASE WHEN tod < last_value(tod IGNORE NULLS) OVER (ORDER BY rn ROWS BETWEEN "
        f"UNBOUNDED PRECEDING AND 1 PRECEDING) - {DAY_ROLLBACK} THEN 1 ELSE 0 END AS droll, "
        f"CAST(NULL AS TIMESTAMP) AS last_tod FROM {src}),\n"
        f"    tb AS (SELECT *, DATE '{dt.date.fromisoformat(day).isoformat()}' + CAST(coalesce(sum(droll) OVER "
        f"(ORDER BY rn ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW), 0) AS INTEGER) "
        f"+ (tod - TIMESTAMP '2000-01-01') AS tod_ts FROM ta)"
    )
