"""How parsed rows become golden rows: the staging path the stream shares with the bulk job.

Parsed rows (``enrich.parse_records``) are mined (:func:`stage`: a record's template is
its first line's, severity groups the mining, rows the miner's budget grouped coarsely get
``context.template_quality = "coarse"``) and then cast to the golden columns by DuckDB
(:data:`GOLDEN_SELECT`, :func:`golden`). Why: the stream had its own copy of the bulk
job's staging and it had drifted (it never flagged coarse rows, and found each new
template's first service with a Python loop per row).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

# The golden SELECT and the coarse flag are the bulk job's own (one copy); they move here
# when ``bulk._mine`` calls :func:`stage` too (bulk.py was being reworked at the time).
from .bulk import GOLDEN_SELECT, _flag_coarse as flag_coarse
from .mining import MineResult, TemplateMiner
from .mining_arrow import first_positions


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
