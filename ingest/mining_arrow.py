"""The miner's Arrow and DuckDB plumbing: input arrays, ordered queries over registered columns.

Why its own module: the miner (``mining``) and its budget path both run vectorised steps
in DuckDB over Arrow columns and must keep rows in input order; one place decides how.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

__all__ = ["first_positions", "query", "strings", "to_array"]


def strings(values: "list | pa.Array") -> pa.Array:
    return values if isinstance(values, pa.Array) else pa.array(values, pa.string())


def to_array(messages: Any, markers: str) -> pa.Array:
    """A string array of the messages, nulls as "", the miner's private ``markers`` (a regex
    character class) replaced by U+FFFD."""
    if isinstance(messages, pa.ChunkedArray):
        arr = messages.combine_chunks() if messages.num_chunks != 1 else messages.chunk(0)
    elif isinstance(messages, pa.Array):
        arr = messages
    else:
        arr = pa.array(list(messages), type=pa.large_string())
    if not (pa.types.is_string(arr.type) or pa.types.is_large_string(arr.type)):
        arr = arr.cast(pa.large_string())
    arr = pc.fill_null(arr, "")
    # our private markers (U+E000..U+E003) must not occur in the data itself: one pass to look
    if len(arr) and pc.any(pc.match_substring_regex(arr, markers)).as_py():
        arr = pc.replace_substring_regex(arr, markers, "\ufffd")
    return arr


def query(con, name: str, columns: dict[str, pa.Array], select: str, params: dict | None = None,
           source: str = "{name}") -> pa.Table:
    """``SELECT <select> FROM columns`` in DuckDB, rows kept in input order.

    DuckDB keeps scan order unless the caller's connection turned
    ``preserve_insertion_order`` off; only then do we pay for an explicit row index.
    """
    ordered = bool(con.execute("SELECT current_setting('preserve_insertion_order')").fetchone()[0])
    n = len(next(iter(columns.values())))
    tbl = pa.table(columns if ordered else {**columns, "_i": pa.array(range(n), pa.int64())})
    con.register(name, tbl)
    try:
        res = con.execute(f"SELECT {select} FROM {source.format(name=name)}" + ("" if ordered else " ORDER BY _i"),
                          params or {})
        return res.to_arrow_table() if hasattr(res, "to_arrow_table") else res.fetch_arrow_table()
    finally:
        con.unregister(name)


def first_positions(indices: pa.Array, n: int) -> pa.Array:
    """Row of the first occurrence of each of ``n`` dictionary entries (``indices`` of a
    ``dictionary_encode``): ``np.unique`` instead of a Python loop per row."""
    import numpy as np

    idx = indices.to_numpy(zero_copy_only=False)
    values, first = np.unique(idx, return_index=True)
    out = np.zeros(n, dtype=np.int64)
    out[values] = first
    return pa.array(out)
