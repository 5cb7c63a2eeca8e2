"""Run one query on a workspace cursor: guard, execute, Arrow -> pandas, time, explain.

Everything the magic, the CLI and the ``pilot`` object need from "run this SQL" lives here,
so the three behave the same: the same guard, the same one-line errors with the nearest
names, the same timing.
"""

from __future__ import annotations

import difflib
import re
import time
from dataclasses import dataclass, field
from typing import Any

import duckdb
import pandas as pd

from ..errors import LogPilotError
from .guard import GuardReport, check_read_only


class QueryError(LogPilotError):
    """A query DuckDB refused, as one line: DuckDB's message plus the nearest names."""

    def __init__(self, message: str, *, sql: str = "", suggestions: list[str] | None = None) -> None:
        self.sql = sql
        self.suggestions = list(suggestions or [])
        self.detail = message
        hint = f" (nearest: {', '.join(self.suggestions)})" if self.suggestions else ""
        super().__init__(f"SQL error: {message}{hint}")


@dataclass
class QueryResult:
    """A finished query: the SQL that ran, its rows as a DataFrame, and how long it took.

    ``origin`` is ``sql`` for the user's own SQL, ``parser`` for the offline English
    parser and ``model`` for the language model, so the display can say where SQL came from.
    """

    sql: str
    frame: pd.DataFrame
    elapsed: float
    origin: str = "sql"
    question: str | None = None
    limited: bool = False
    guard: GuardReport | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.frame)

    def summary(self) -> str:
        """``12 rows in 34 ms`` or ``no rows (empty result) in 5 ms``."""
        ms = f"{self.elapsed * 1000:.0f} ms"
        if self.rows == 0:
            return f"no rows (empty result) in {ms}"
        more = " (limit reached)" if self.limited else ""
        return f"{self.rows:,} row{'s' if self.rows != 1 else ''}{more} in {ms}"

    def records(self) -> list[dict[str, Any]]:
        """Rows as JSON-friendly dicts (times as ISO strings, NaN as None)."""
        df = self.frame.astype(object).where(self.frame.notna(), None)
        out = []
        for rec in df.to_dict("records"):
            out.append({k: (v.isoformat() if hasattr(v, "isoformat") else _plain(v))
                        for k, v in rec.items()})
        return out


def _plain(v: Any) -> Any:
    if hasattr(v, "item") and not isinstance(v, (str, bytes)):
        try:
            return v.item()
        except (ValueError, AttributeError):
            return v
    return v


def _strip(sql: str) -> str:
    return sql.strip().rstrip(";").strip()


def one_line(exc: BaseException) -> str:
    """DuckDB's message without the ``LINE 1: ... ^`` drawing, on one line."""
    text = str(exc).strip()
    if not text:
        return type(exc).__name__
    text = text.split("\nLINE ")[0]
    parts = [p.strip() for p in text.splitlines() if p.strip()]
    return "; ".join(parts)


def catalog_names(cur: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str]]:
    """Table/view names and column names of the main schema (for "nearest name" hints)."""
    tables = [r[0] for r in cur.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()]
    cols = [r[0] for r in cur.execute(
        "SELECT DISTINCT column_name FROM information_schema.columns "
        "WHERE table_schema = 'main'").fetchall()]
    return tables, cols


def context_keys(cur: duckdb.DuckDBPyConnection, sample: int = 50_000) -> list[str]:
    """JSON keys seen in ``logs.context`` (a sample: this is for hints, not for counts)."""
    try:
        return [r[0] for r in cur.execute(
            f"SELECT DISTINCT k FROM (SELECT unnest(json_keys(context)) AS k FROM "
            f"(SELECT context FROM logs LIMIT {int(sample)}))").fetchall()]
    except duckdb.Error:
        return []


_COLUMN_RE = re.compile(r'Referenced column "([^"]+)" not found')
_TABLE_RE = re.compile(r"Table with name (\S+) does not exist")
_FUNC_RE = re.compile(r"Scalar Function with name (\S+) does not exist")


def nearest_names(cur: duckdb.DuckDBPyConnection, message: str) -> list[str]:
    """Names close to the unknown column or table named in a DuckDB error message."""
    try:
        tables, cols = catalog_names(cur)
    except duckdb.Error:
        return []
    m = _COLUMN_RE.search(message)
    if m:
        name = m.group(1)
        out = difflib.get_close_matches(name, cols, n=3, cutoff=0.6)
        keys = context_keys(cur)
        out += [f"context->>'{k}'" for k in difflib.get_close_matches(name, keys, n=2, cutoff=0.75)]
        return out
    m = _TABLE_RE.search(message)
    if m:
        return difflib.get_close_matches(m.group(1), tables, n=3, cutoff=0.5)
    return []


def run_query(cur: duckdb.DuckDBPyConnection, sql: str, *, read_only: bool = True,
              generated: bool = False, limit: int | None = None, origin: str = "sql",
              question: str | None = None) -> QueryResult:
    """Guard (unless ``read_only`` is False), execute, and fetch ``sql`` as a DataFrame.

    ``limit`` wraps a single SELECT so DuckDB stops early instead of materialising rows
    that would only be thrown away. Errors become one :class:`QueryError` line.
    """
    sql = _strip(sql)
    if not sql:
        raise QueryError("the query is empty", sql=sql)
    report: GuardReport | None = None
    try:
        if read_only or generated:
            report = check_read_only(sql, generated=generated)
    except duckdb.Error as exc:
        raise QueryError(one_line(exc), sql=sql) from None
    to_run = sql
    limited = False
    if limit is not None and limit >= 0:
        kinds = report.statements if report else [s.type.name for s in duckdb.extract_statements(sql)]
        if kinds == ["SELECT"]:
            to_run = f"SELECT * FROM (\n{sql}\n) AS logsql_limited LIMIT {int(limit)}"
    t0 = time.perf_counter()
    try:
        rel = cur.execute(to_run)
        fetch = getattr(rel, "to_arrow_table", None) or rel.fetch_arrow_table
        table = fetch() if rel.description else None
    except duckdb.Error as exc:
        msg = one_line(exc)
        raise QueryError(msg, sql=sql, suggestions=nearest_names(cur, msg)) from None
    frame = table.to_pandas() if table is not None else pd.DataFrame()
    elapsed = time.perf_counter() - t0
    if limit is not None and to_run is not sql:
        limited = len(frame) >= int(limit)
    return QueryResult(sql=sql, frame=frame, elapsed=elapsed, origin=origin,
                       question=question, limited=limited, guard=report)


def explain(cur: duckdb.DuckDBPyConnection, sql: str, *, read_only: bool = True,
            generated: bool = False) -> str:
    """DuckDB's physical plan of ``sql`` as text, without running it (after the guard)."""
    sql = _strip(sql)
    try:
        if read_only or generated:
            check_read_only(sql, generated=generated)
        rows = cur.execute(f"EXPLAIN {sql}").fetchall()
    except duckdb.Error as exc:
        msg = one_line(exc)
        raise QueryError(msg, sql=sql, suggestions=nearest_names(cur, msg)) from None
    return "\n".join(str(r[-1]) for r in rows)


def validate(cur: duckdb.DuckDBPyConnection, sql: str) -> str | None:
    """None if DuckDB can plan ``sql`` (EXPLAIN), else the one-line error: the repair input."""
    try:
        cur.execute(f"EXPLAIN {_strip(sql)}").fetchall()
    except duckdb.Error as exc:
        msg = one_line(exc)
        near = nearest_names(cur, msg)
        return msg + (f" (nearest: {', '.join(near)})" if near else "")
    return None
