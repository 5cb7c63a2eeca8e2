"""How parsed rows become golden rows: the one staging path of the bulk job and the stream.

Parsed rows (``enrich.parse_records``) are mined (:func:`stage`: a record's template is
its first line's, severity groups the mining, rows the miner's budget grouped coarsely get
``context.template_quality = "coarse"``) and then cast to the golden columns by DuckDB
(:data:`GOLDEN_SELECT`, :func:`golden`). Why one module: the stream had its own copy of
the bulk job's staging and it had drifted (it never flagged coarse rows, and found each new
template's first service with a Python loop per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..schema import FIELD_NAMES
from .mining import MineResult, TemplateMiner
from .mining_arrow import first_positions


def _golden_select() -> str:
    """Golden columns over a staged batch (parsed rows + body, template_id, params)."""
    cols = []
    for name in FIELD_NAMES:
        if name == "context":
            # Splice "params" into the object's text: parsing and re-serialising every
            # context (json_merge_patch) cost more than mining itself. The common case
            # first: text ending in '}' with a '"' in it is a non-empty object with
            # nothing to trim, so dropping its last character is the general arm's
            # result. DuckDB's Unicode trim/length made that arm 0.6 s of the store step
            # per 200k rows; the first arm costs about a tenth of it.
            cols.append(
                "CAST(CASE WHEN params IS NULL OR len(params) = 0 THEN context "
                "WHEN ends_with(context, '}') AND contains(context, '\"') "
                "THEN left(context, -1) || ',\"params\":' || to_json(params) || '}' "
                "WHEN context IS NULL OR trim(context) = '{}' THEN '{\"params\":' || to_json(params) || '}' "
                "ELSE left(rtrim(context), length(rtrim(context)) - 1) || ',\"params\":' || to_json(params) || '}' "
                "END AS JSON) AS context"
            )
        elif name == "timestamp":
            cols.append("CAST(timestamp AS TIMESTAMP) AS timestamp")
        elif name == "origin_offset":
            cols.append("CAST(origin_offset AS BIGINT) AS origin_offset")
        else:
            cols.append(f"CAST({name} AS VARCHAR) AS {name}")
    return ", ".join(cols)


#: The golden columns over a staged batch; shared by the bulk job, its cluster shards and the stream.
GOLDEN_SELECT = _golden_select()

_COARSE = '"template_quality":"coarse"'


@dataclass
class Staged:
    """A mined batch: the rows with ``body``, ``template_id`` and ``params``, and what mining found."""

    table: pa.Table
    result: MineResult
    #: the service of each new or changed template's first row (what ``templates.first_service`` keeps)
    first_service: dict[str, Any] = field(default_factory=dict)
    coarse_rows: int = 0


def stage(con: duckdb.DuckDBPyConnection, miner: TemplateMiner, rows: pa.Table, *,
          coarse: bool = False) -> Staged:
    """Mine parsed ``rows`` on ``con``; ``coarse``: group new shapes by the coarse rule from
    the start (a source that already passed the miner's budget stays linear)."""
    # A multi-line record's template is its first line's (the stack trace stays in
    # `message`); severity groups the mining: one word apart at another level is another event.
    first_lines = pc.list_element(pc.split_pattern(rows.column("message"), "\n", max_splits=1), 0)
    result = miner.mine(first_lines, con=con, groups=rows.column("severity"), coarse=coarse)
    coarse_rows = 0
    if result.coarse is not None:
        rows = flag_coarse(rows, result.coarse)
        coarse_rows = int(pc.sum(pc.cast(result.coarse, pa.int64())).as_py() or 0)
    first_service: dict[str, Any] = {}
    if result.new_templates or result.changed_templates:
        # per distinct id, not a Python loop per row
        enc = pc.dictionary_encode(result.template_id)
        first = first_positions(enc.indices, len(enc.dictionary))
        first_service = dict(zip(enc.dictionary.to_pylist(), pc.take(rows.column("service_name"), first).to_pylist()))
    table = rows.append_column("body", result.template).append_column(
        "template_id", result.template_id).append_column("params", result.params)
    return Staged(table, result, first_service, coarse_rows)


def flag_coarse(rows: pa.Table, coarse: pa.Array) -> pa.Table:
    """``context.template_quality = "coarse"`` on the rows the budget's rule grouped (one
    vectorised splice into the JSON text, as :data:`GOLDEN_SELECT` does for ``params``)."""
    i = rows.schema.get_field_index("context")
    ctx = rows.column(i).combine_chunks().cast(pa.string())
    empty = pc.fill_null(pc.match_substring_regex(ctx, r"^\s*\{\s*\}\s*$"), True)
    spliced = pc.replace_substring_regex(ctx, r"\}\s*$", "," + _COARSE + "}", max_replacements=1)
    flagged = pc.if_else(empty, pa.scalar("{" + _COARSE + "}"), spliced)
    return rows.set_column(i, rows.schema.field(i).with_type(pa.string()), pc.if_else(coarse, flagged, ctx))


def golden(con: duckdb.DuckDBPyConnection, staged: pa.Table) -> pa.Table:
    """The golden rows of a staged table, typed by DuckDB (Arrow in, Arrow out)."""
    name = f"_lp_staged_{id(staged):x}"
    con.register(name, staged)
    try:
        return _arrow(con.execute(f"SELECT {GOLDEN_SELECT} FROM {name}"))
    finally:
        con.unregister(name)


def empty_golden(con: duckdb.DuckDBPyConnection) -> pa.Table:
    """A golden table with no rows, typed exactly as :data:`GOLDEN_SELECT` types real ones."""
    empty = pa.table({"_": pa.array([], pa.int8())})
    con.register("_lp_golden_empty", empty)
    try:
        return _arrow(con.execute(f"SELECT {GOLDEN_SELECT} FROM (SELECT NULL::TIMESTAMP AS timestamp, "
                                  "'' AS severity, '' AS service_name, '' AS trace_id, '' AS body, "
                                  "'' AS template_id, '' AS message, '{}' AS context, '' AS source, "
                                  "'' AS host, '' AS origin, 0 AS origin_offset, []::VARCHAR[] AS params "
                                  "FROM _lp_golden_empty)"))
    finally:
        con.unregister("_lp_golden_empty")


def _arrow(res: Any) -> pa.Table:
    return res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()


__all__ = ["GOLDEN_SELECT", "Staged", "stage", "flag_coarse", "golden", "empty_golden"]
