"""Discover's data layer: a query (period, free text or SQL, field filters) and what the
panel shows for it, each a small frame computed by DuckDB.

Why a library module without ipywidgets: the panel (:mod:`.discover`) only arranges what
these functions return, so the query semantics (what "+ value" and "- value" mean, what the
query bar accepts, which rows are a record's neighbours) are tested against a real
workspace without a browser, and a notebook can call them directly.

Conventions: time is naive UTC on the dashboard's bucket grid (:data:`dashboard_data.ORIGIN`);
every histogram and sparkline is zero-filled in SQL (a ``range`` of buckets joined to the
counts); a SQL fragment from the query bar runs only after the read-only guard accepted the
statement it is part of.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Sequence

import duckdb
import pandas as pd

from ..errors import LogPilotError
from ..query.guard import check_read_only
from ..query.lexicon import _NOTE_KEYS
from ..sqltext import json_key_path, literal_list
from . import dashboard_data as D

#: Columns a field filter may name directly; anything else is a key of ``context``.
COLUMNS = ("service_name", "severity", "source", "host", "template_id", "origin", "trace_id")
ROW_COLUMNS = ("timestamp", "severity", "service_name", "message", "template_id", "origin",
               "origin_offset", "context")
#: Rows read to rank context keys and their values: ``json_each`` over every row of a big
#: period costs seconds, and the sidebar needs the leaders, not exact tails (Kibana samples
#: too). Counts come from the sample when the period holds more rows; the summary says so.
CONTEXT_SAMPLE = 20_000
_CTX = "ctx."


class DiscoverError(LogPilotError):
    """A query the Discover panel cannot run (bad SQL fragment, unknown field)."""


@dataclass(frozen=True)
class Query:
    """What Discover shows: ``[start, end)`` plus optional text, SQL and field filters.

    ``text`` matches message or template (case-insensitive substring); ``sql`` is a WHERE
    fragment over ``logs`` (``status`` style context keys need ``context->>'status'``);
    ``include`` / ``exclude`` hold ``(field, value)`` pairs, ``field`` a column of
    :data:`COLUMNS` or ``ctx.KEY`` for a context key. Several included values of one field
    are alternatives (OR); different fields must all match (AND).
    """

    start: dt.datetime
    end: dt.datetime
    text: str = ""
    sql: str = ""
    include: tuple[tuple[str, str], ...] = ()
    exclude: tuple[tuple[str, str], ...] = ()

    def toggle(self, name: str, value: str, *, out: bool = False) -> "Query":
        """Filter for (or, with ``out``, against) ``name = value``; a second identical click
        removes the filter, and filtering in removes a filter-out of the same value."""
        pair = (name, str(value))
        inc = [p for p in self.include if p != pair]
        exc = [p for p in self.exclude if p != pair]
        present = pair in (self.exclude if out else self.include)
        if not present:
            (exc if out else inc).append(pair)
        return replace(self, include=tuple(inc), exclude=tuple(exc))

    def clear_filters(self) -> "Query":
        return replace(self, include=(), exclude=())


def query_for(filters: D.Filters, *, template_id: str | None = None) -> Query:
    """The Discover query showing what a dashboard view shows (its filters and selection)."""
    inc: list[tuple[str, str]] = [("service_name", s) for s in filters.services]
    inc += [("severity", s) for s in filters.severities]
    tid = template_id or filters.template_id
    if tid:
        inc.append(("template_id", tid))
    return Query(filters.start, filters.end, text=filters.text, include=tuple(inc))


def _expr(name: str) -> tuple[str, list[Any]]:
    """The SQL expression (and its parameters) of a field name."""
    if name in COLUMNS:
        return name, []
    if name.startswith(_CTX) and len(name) > len(_CTX):
        key = name[len(_CTX):]
        return "json_extract_string(context, ?)", [json_key_path(key)]
    raise DiscoverError(f"unknown field {name!r}; use one of {', '.join(COLUMNS)} or ctx.KEY")


def _balanced(fragment: str) -> bool:
    """Parentheses balance outside string literals: the fragment cannot close the WHERE
    clause it is placed in (the guard then judges the whole statement)."""
    depth = 0
    for tok in re.findall(r"'(?:[^']|'')*'|\"(?:[^\"]|\"\")*\"|[()]", fragment):
        if tok == "(":
            depth += 1
        elif tok == ")":
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def check_sql(fragment: str) -> str:
    """``fragment`` stripped, once the read-only guard accepted ``SELECT .. WHERE (fragment)``.

    A refusal or a parse error becomes one :class:`DiscoverError` line.
    """
    frag = fragment.strip().rstrip(";").strip()
    if not frag:
        return ""
    if not _balanced(frag):
        raise DiscoverError("the SQL condition has unbalanced parentheses")
    stmt = f"SELECT count(*) FROM logs WHERE ({frag})"
    try:
        check_read_only(stmt, generated=True)
    except duckdb.Error as exc:
        raise DiscoverError(f"the SQL condition does not parse: {str(exc).splitlines()[0]}") from None
    except LogPilotError as exc:
        raise DiscoverError(str(exc)) from None
    return frag


def where(q: Query, *, time: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause and parameters of ``q`` over ``logs``."""
    parts: list[str] = []
    params: list[Any] = []
    if time:
        parts.append("timestamp >= ? AND timestamp < ?")
        params += [q.start, q.end]
    if q.text.strip():
        parts.append("(contains(lower(message), ?) OR contains(lower(body), ?))")
        params += [q.text.strip().lower()] * 2
    groups: dict[str, list[str]] = {}
    for name, value in q.include:
        groups.setdefault(name, []).append(value)
    for name, values in groups.items():
        expr, p = _expr(name)
        parts.append(f"{expr} IN ({', '.join('?' * len(values))})")
        params += p + list(values)
    for name, value in q.exclude:
        expr, p = _expr(name)
        parts.append(f"{expr} IS DISTINCT FROM ?")
        params += p + [value]
    frag = check_sql(q.sql)
    if frag:
        parts.append(f"({frag})")
    return (" AND ".join(parts) or "TRUE"), params


def _run(cur: Any, sql: str, params: Sequence[Any]) -> Any:
    """Execute; a DuckDB error from the user's SQL fragment becomes one readable line."""
    try:
        return cur.execute(sql, list(params))
    except duckdb.Error as exc:
        raise DiscoverError(f"the query failed: {str(exc).splitlines()[0]}") from None


@dataclass
class Histogram:
    """Counts per bucket over the period's data, zero-filled; ``rows``/``failures`` BIGINT."""

    frame: pd.DataFrame  # t, rows, failures
    bucket: tuple[str, int]

    @property
    def total(self) -> int:
        return int(self.frame["rows"].sum()) if len(self.frame) else 0


def _grid(cur: Any, q: Query) -> tuple[tuple[str, int], int | None, int | None]:
    """The bucket and the first/last bucket numbers of the period's data (all rows, not
    just the matching ones: a filter that leaves a quiet hour shows it as zeros)."""
    lo, hi = cur.execute("SELECT min(timestamp), max(timestamp) FROM logs "
                         "WHERE timestamp >= ? AND timestamp < ?", [q.start, q.end]).fetchone()
    bucket = D.choose_bucket(lo, hi)
    if lo is None:
        return bucket, None, None
    size = bucket[1]
    first = int((lo - D.ORIGIN).total_seconds() // size)
    last = int((hi - D.ORIGIN).total_seconds() // size)
    return bucket, first, last


def _bucket_sql(size: int) -> str:
    return f"(epoch_us(timestamp) - {D._ORIGIN_US}) // {int(size) * 1_000_000}"


def histogram(cur: Any, q: Query) -> Histogram:
    """Matching rows per bucket, every bucket of the period's data present (zeros in SQL)."""
    bucket, first, last = _grid(cur, q)
    if first is None:
        return Histogram(pd.DataFrame({"t": [], "rows": [], "failures": []}), bucket)
    clause, params = where(q)
    size_us = bucket[1] * 1_000_000
    frame = _run(cur, f"""
        WITH c AS (SELECT {_bucket_sql(bucket[1])} AS b, count(*) AS rows,
                          count(*) FILTER (WHERE severity IN ('ERROR', 'FATAL')) AS failures
                   FROM logs WHERE {clause} GROUP BY 1)
        SELECT make_timestamp({D._ORIGIN_US} + g.range * {size_us}) AS t,
               coalesce(c.rows, 0)::BIGINT AS rows, coalesce(c.failures, 0)::BIGINT AS failures
        FROM range(?, ?) g LEFT JOIN c ON c.b = g.range ORDER BY t""",
        params + [first, last + 1]).df()
    return Histogram(frame, bucket)


@dataclass
class FieldSummary:
    """One field of the sidebar: its top values with counts, and how many rows have it."""

    name: str  # a field name as :class:`Query` takes it (column or ``ctx.KEY``)
    label: str
    values: list[tuple[str, int]] = field(default_factory=list)
    present: int = 0
    sampled: bool = False


def fields(cur: Any, q: Query, *, top: int = 5, keys: int = 6,
           sample: int = CONTEXT_SAMPLE) -> list[FieldSummary]:
    """Services, severities, sources, then the ``keys`` commonest context keys (parse notes
    left out), each with its ``top`` values and counts over the matching rows."""
    clause, params = where(q)
    out: list[FieldSummary] = []
    for col, label in (("service_name", "service"), ("severity", "severity"), ("source", "source")):
        rows = _run(cur, f"""SELECT {col}, count(*) AS n FROM logs WHERE {clause} AND {col} IS NOT NULL
                             GROUP BY 1 ORDER BY n DESC, 1 LIMIT {int(top)}""", params).fetchall()
        present = sum(n for _, n in rows)
        out.append(FieldSummary(col, label, [(str(v), int(n)) for v, n in rows], present))
    total = _run(cur, f"SELECT count(*) FROM logs WHERE {clause}", params).fetchone()[0]
    sampled = total > sample
    src = (f"(SELECT context FROM logs WHERE {clause} USING SAMPLE reservoir({int(sample)} ROWS) "
           "REPEATABLE (7))" if sampled else f"(SELECT context FROM logs WHERE {clause})")
    notes = literal_list(_NOTE_KEYS)
    kv = _run(cur, f"""
        WITH je AS (SELECT j.key AS k, json_extract_string(j.value, '$') AS v
                    FROM {src} s, json_each(s.context) j
                    WHERE j.type NOT IN ('OBJECT', 'ARRAY') AND j.key NOT IN ({notes})
                      AND NOT starts_with(j.key, '_')),
             ks AS (SELECT k, count(*) AS present FROM je GROUP BY 1
                    ORDER BY present DESC, k LIMIT {int(keys)}),
             vs AS (SELECT k, v, count(*) AS n,
                           row_number() OVER (PARTITION BY k ORDER BY count(*) DESC, v) AS r
                    FROM je WHERE k IN (SELECT k FROM ks) GROUP BY 1, 2)
        SELECT ks.k, ks.present, vs.v, vs.n FROM ks JOIN vs USING (k)
        WHERE vs.r <= {int(top)} ORDER BY ks.present DESC, ks.k, vs.n DESC, vs.v""",
        params).fetchall()
    by_key: dict[str, FieldSummary] = {}
    for k, present, v, n in kv:
        fs = by_key.get(k)
        if fs is None:
            fs = by_key[k] = FieldSummary(_CTX + k, k, [], int(present), sampled)
            out.append(fs)
        fs.values.append((str(v), int(n)))
    return out


def rows(cur: Any, q: Query, limit: int = 50, offset: int = 0) -> tuple[pd.DataFrame, int]:
    """The newest ``limit`` matching rows (after ``offset``) with provenance, and the total."""
    clause, params = where(q)
    total = _run(cur, f"SELECT count(*) FROM logs WHERE {clause}", params).fetchone()[0]
    frame = _run(cur, f"""SELECT {', '.join(ROW_COLUMNS)} FROM logs WHERE {clause}
                          ORDER BY timestamp DESC, origin, origin_offset DESC
                          LIMIT {int(limit)} OFFSET {int(offset)}""", params).df()
    return frame, int(total)


def neighbours(cur: Any, origin: str, offset: int, before: int = 5, after: int = 5) -> pd.DataFrame:
    """The record at ``(origin, offset)`` with the records just before and after it in the
    same file (by ``origin_offset``, whatever their time or service); ``here`` marks it."""
    cols = ", ".join(c for c in ROW_COLUMNS if c != "context")
    return cur.execute(f"""
        SELECT * FROM (
          (SELECT {cols}, false AS here FROM logs WHERE origin = ? AND origin_offset < ?
           ORDER BY origin_offset DESC LIMIT {int(before)})
          UNION ALL
          (SELECT {cols}, true AS here FROM logs WHERE origin = ? AND origin_offset = ?)
          UNION ALL
          (SELECT {cols}, false AS here FROM logs WHERE origin = ? AND origin_offset > ?
           ORDER BY origin_offset LIMIT {int(after)}))
        ORDER BY origin_offset""", [origin, offset] * 3).df()


def patterns(cur: Any, q: Query, n: int = 10) -> pd.DataFrame:
    """The ``n`` commonest templates of the matching rows: rows, failures, share of the
    matching rows, and a zero-filled sparkline (counts per histogram bucket)."""
    bucket, first, last = _grid(cur, q)
    cols = ["template_id", "template", "service", "rows", "failures", "share", "spark"]
    if first is None:
        return pd.DataFrame(columns=cols)
    clause, params = where(q)
    return _run(cur, f"""
        WITH m AS (SELECT template_id, severity, {_bucket_sql(bucket[1])} AS b
                   FROM logs WHERE {clause}),
             tb AS (SELECT template_id, b, count(*) AS c FROM m GROUP BY 1, 2),
             top AS (SELECT template_id, count(*)::BIGINT AS rows,
                            count(*) FILTER (WHERE severity IN ('ERROR', 'FATAL'))::BIGINT AS failures,
                            count(*) / sum(count(*)) OVER () AS share
                     FROM m GROUP BY 1 ORDER BY rows DESC, template_id LIMIT {int(n)}),
             sp AS (SELECT top.template_id, list(coalesce(tb.c, 0)::BIGINT ORDER BY g.range) AS spark
                    FROM top CROSS JOIN range(?, ?) g
                    LEFT JOIN tb ON tb.template_id = top.template_id AND tb.b = g.range
                    GROUP BY 1)
        SELECT top.template_id, coalesce(tp.template, top.template_id) AS template,
               coalesce(tp.first_service, '?') AS service, top.rows, top.failures, top.share,
               sp.spark
        FROM top JOIN sp USING (template_id) LEFT JOIN templates tp USING (template_id)
        ORDER BY top.rows DESC, top.template_id""", params + [first, last + 1]).df()
