"""What ``%logpilot schema`` shows: tables and views, their columns, and the JSON keys
found in ``context`` per source with how often they occur.

Why the keys: dynamic fields live in one JSON column, so the table's columns alone do not
tell an analyst that ``context->>'order_id'`` exists for checkout, or ``SRC`` for the
firewall. Counts are exact over every row (one DuckDB scan), not sampled.
"""

from __future__ import annotations

from html import escape
from typing import Any

import duckdb
import pandas as pd


#: LogPilot's bookkeeping tables: what the loader and the stream need to resume, dedupe
#: and audit, not what an analyst queries. ``%logpilot schema --all`` shows them too.
INTERNAL_TABLES = frozenset({
    "handover", "ingest_runs", "ingested_files", "lexicon", "lexicon_stamp", "meta",
    "stream_offsets", "template_counts_pending", "template_merges"})


def describe_tables(cur: duckdb.DuckDBPyConnection) -> dict[str, list[tuple[str, str]]]:
    """``{table_or_view: [(column, type), ...]}`` for the main schema, in column order."""
    out: dict[str, list[tuple[str, str]]] = {}
    for table, col, typ in cur.execute(
            "SELECT table_name, column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'main' ORDER BY table_name, ordinal_position").fetchall():
        out.setdefault(table, []).append((col, typ))
    return out


def context_keys_by_source(cur: duckdb.DuckDBPyConnection, by: str = "source"
                           ) -> dict[str, dict[str, float]]:
    """``{source: {key: fraction of that source's rows having it}}``, most frequent first."""
    if by not in ("source", "service_name"):
        raise ValueError("by must be 'source' or 'service_name'")
    rows = cur.execute(
        f"WITH k AS (SELECT {by} AS grp, unnest(json_keys(context)) AS key FROM logs), "
        f"t AS (SELECT {by} AS grp, count(*) AS total FROM logs GROUP BY 1) "
        "SELECT k.grp, k.key, count(*) AS n, any_value(t.total) AS total FROM k "
        "JOIN t USING (grp) GROUP BY 1, 2 ORDER BY 1, n DESC, 2").fetchall()
    out: dict[str, dict[str, float]] = {}
    for grp, key, n, total in rows:
        out.setdefault(grp, {})[key] = n / total if total else 0.0
    return out


def schema_frames(cur: duckdb.DuckDBPyConnection, include_internal: bool = False
                  ) -> dict[str, pd.DataFrame]:
    """Two frames: ``columns`` (table, kind, column, type) and ``context_keys``
    (source, key, rows, share, example_sql); LogPilot's internal tables only on request."""
    kinds = dict(cur.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main'").fetchall())
    cols = [{"table": t, "kind": "view" if kinds.get(t) == "VIEW" else "table",
             "column": c, "type": typ}
            for t, pairs in describe_tables(cur).items() for c, typ in pairs
            if include_internal or t not in INTERNAL_TABLES]
    keys = cur.execute(
        "WITH k AS (SELECT source, unnest(json_keys(context)) AS key FROM logs), "
        "t AS (SELECT source, count(*) AS total FROM logs GROUP BY 1) "
        "SELECT k.source, k.key, count(*) AS rows, round(count(*) / any_value(t.total), 4) AS share "
        "FROM k JOIN t USING (source) GROUP BY 1, 2 ORDER BY 1, rows DESC, 2").df()
    if len(keys):
        keys["example_sql"] = "context->>'" + keys["key"].astype(str) + "'"
    else:
        keys = pd.DataFrame(columns=["source", "key", "rows", "share", "example_sql"])
    return {"columns": pd.DataFrame(cols, columns=["table", "kind", "column", "type"]),
            "context_keys": keys}


def schema_html(frames: dict[str, pd.DataFrame]) -> str:
    """An HTML rendering of :func:`schema_frames` for a notebook."""
    parts = ["<h4>Tables and views</h4>"]
    cols = frames["columns"]
    for table, grp in cols.groupby("table", sort=True):
        kind = grp["kind"].iloc[0]
        items = ", ".join(f"<code>{escape(c)}</code> <small>{escape(t)}</small>"
                          for c, t in zip(grp["column"], grp["type"]))
        parts.append(f"<p><b>{escape(table)}</b> <small>({kind})</small>: {items}</p>")
    keys = frames["context_keys"]
    parts.append("<h4>JSON keys in <code>context</code> per source</h4>")
    if keys.empty:
        parts.append("<p>No rows yet: ingest logs first (<code>%logpilot ingest PATH</code>).</p>")
    else:
        parts.append(keys.to_html(index=False))
    return "\n".join(parts)


class SchemaView:
    """``%logpilot schema``'s result: one HTML view in a notebook, the frames as ``.frames``.

    Why an object and not the frames dict: a cell's last value is displayed, and a dict of
    DataFrames shows as a raw dump under the HTML.
    """

    def __init__(self, frames: dict[str, pd.DataFrame], include_internal: bool = False) -> None:
        self.frames = frames
        self.include_internal = include_internal

    def _repr_html_(self) -> str:
        note = "" if self.include_internal else (
            "<p><small>LogPilot's internal tables are hidden: "
            "<code>%logpilot schema --all</code> shows them.</small></p>")
        return schema_html(self.frames) + note

    def __repr__(self) -> str:
        tables = sorted(set(self.frames["columns"]["table"]))
        return f"<schema: {len(tables)} tables/views ({', '.join(tables)}); .frames for the data>"


def schema_view(cur: duckdb.DuckDBPyConnection, include_internal: bool = False) -> SchemaView:
    """The schema as one displayable object (``%logpilot schema [--all]``)."""
    return SchemaView(schema_frames(cur, include_internal), include_internal)


def show_schema(cur: duckdb.DuckDBPyConnection) -> Any:
    """Display the schema in a notebook and return the frames (``%logpilot schema``)."""
    from IPython.display import HTML, display

    frames = schema_frames(cur)
    display(HTML(schema_html(frames)))
    return frames
