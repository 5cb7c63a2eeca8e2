"""Parse + enrich: turn a chunk of raw records into golden rows, vectorised in DuckDB.

The reader hands over Arrow chunks (``origin, origin_offset, raw, n_lines, bad_utf8``);
here one compiled SQL query per rule (see :mod:`.registry.sqlgen`) extracts the fields,
normalises times to naive UTC, maps levels and builds ``context`` JSON. No Python runs
per row, which is what keeps a 10M-line archive in the minutes range.

Records the chosen rule does not match (a mixed file) are routed, still vectorised, to
the first other builtin rule that matches them, then to ``generic``. A record without a
timestamp of its own still becomes a row: it takes the previous record's time, else the
file's mtime, and ``context.ts_source`` says which (quarantine is for unreadable input).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import posixpath
from dataclasses import dataclass
from typing import TYPE_CHECKING, Sequence

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .registry.model import Rule
from .registry.sqlgen import compile_rule, format_probe_sql, json_top_keys, match_sql, reorder_formats

if TYPE_CHECKING:  # pragma: no cover
    from .registry import Registry

#: Exact column order of :attr:`ParseResult.rows` (golden fields minus body/template_id).
ROW_COLUMNS: tuple[str, ...] = (
    "timestamp", "severity", "service_name", "trace_id", "message", "context", "source",
    "host", "origin", "origin_offset",
)

ROW_SCHEMA = pa.schema([
    ("timestamp", pa.timestamp("us")), ("severity", pa.string()), ("service_name", pa.string()),
    ("trace_id", pa.string()), ("message", pa.string()), ("context", pa.string()),
    ("source", pa.string()), ("host", pa.string()), ("origin", pa.string()),
    ("origin_offset", pa.int64()),
])

QUARANTINE_SCHEMA = pa.schema([
    ("origin", pa.string()), ("origin_offset", pa.int64()), ("raw", pa.string()),
    ("reason", pa.string()),
])

#: Directory names that say nothing about the service writing into them.
GENERIC_DIRS = frozenset({"", ".", "..", "log", "logs", "var", "tmp", "archive", "archives",
                          "data", "old", "rotated", "backup"})

_ids = itertools.count()


@dataclass
class ParseResult:
    """Golden rows (without body/template_id, mining adds those) and quarantined records."""

    rows: pa.Table
    quarantine: pa.Table


def service_from_origin(origin: str) -> str | None:
    """The service a path suggests: its parent directory unless that name is generic.

    ``/srv/logs/checkout/app.log`` -> ``checkout``; archive members use the member path,
    so ``dump.tar.gz!payments/app.log`` -> ``payments``.
    """
    path = origin.split("!", 1)[1] if "!" in origin else origin
    parent = posixpath.basename(posixpath.dirname(path.replace("\\", "/")))
    if parent.lower() in GENERIC_DIRS:
        return None
    return parent


def _to_utc_naive(epoch: float | None) -> dt.datetime | None:
    if epoch is None:
        return None
    return dt.datetime.fromtimestamp(epoch, dt.timezone.utc).replace(tzinfo=None)


def _arrow(rel: duckdb.DuckDBPyRelation) -> pa.Table:
    return rel.to_arrow_table() if hasattr(rel, "to_arrow_table") else rel.fetch_arrow_table()


def _input_table(chunk: pa.Table) -> pa.Table:
    """The chunk plus a row number and the per-origin directory service."""
    n = chunk.num_rows
    cols = {
        "rn": pa.array(np.arange(n, dtype=np.int64)),
        "origin": chunk.column("origin").cast(pa.string()),
        "origin_offset": chunk.column("origin_offset").cast(pa.int64()),
        "raw": chunk.column("raw").cast(pa.string()),
        "bad_utf8": (chunk.column("bad_utf8").cast(pa.bool_()) if "bad_utf8" in chunk.column_names
                     else pa.array(np.zeros(n, dtype=bool))),
    }
    origins = pc.unique(cols["origin"]).to_pylist()
    svc = {o: service_from_origin(o or "") for o in origins}
    if len(origins) == 1:
        cols["dir_service"] = pa.array([svc[origins[0]]] * n, pa.string()) if n else pa.array([], pa.string())
    else:
        keys = pa.array(origins, pa.string())
        idx = pc.index_in(cols["origin"], value_set=keys)
        cols["dir_service"] = pc.take(pa.array([svc[o] for o in origins], pa.string()), idx)
    table = pa.table(cols)
    # DuckDB parallelises Arrow scans per record batch: give it several.
    return pa.Table.from_batches(table.to_batches(max_chunksize=BATCH_ROWS), schema=table.schema) \
        if n > BATCH_ROWS else table


#: Rows per Arrow batch handed to DuckDB (its unit of scan parallelism).
BATCH_ROWS = 16_384


class _Scope:
    """Registers Arrow tables under unique names and drops them afterwards."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.names: list[str] = []

    def register(self, table: pa.Table) -> str:
        name = f"_lp_t{next(_ids)}"
        self.con.register(name, table)
        self.names.append(name)
        return name

    def close(self) -> None:
        for name in self.names:
            try:
                self.con.unregister(name)
            except Exception:  # noqa: BLE001 - cleanup must not mask the real outcome
                pass


def _finalize(parsed: pa.Table, tried: str, file_ts: dt.datetime | None = None,
              now: dt.datetime | None = None, comment_start: str | None = None) -> pa.Table:
    """Merge step over the rule outputs, in Arrow: order by record, and give every record
    without a time of its own one anyway, saying where it came from (``ts_source``): the
    previous record's (``inherited``), else the file's mtime (``file_mtime``), else the
    time of the load (``none``: the golden ``timestamp`` is NOT NULL). No record is ever
    dropped for its time; ``reason`` stays NULL (quarantine is for unreadable input)."""
    ts = parsed.column("ts")
    if ts.null_count:  # inheritance needs record order; otherwise order is irrelevant
        rn = parsed.column("rn").to_numpy()
        if len(rn) > 1 and not bool(np.all(rn[1:] > rn[:-1])):
            parsed = parsed.take(pa.array(np.argsort(rn, kind="stable")))
            ts = parsed.column("ts")
    own = pc.is_valid(ts)
    n = parsed.num_rows
    cols = {name: parsed.column(name) for name in parsed.column_names}
    cols["has_ts"] = own
    cols["reason"] = pa.nulls(n, pa.string())
    if ts.null_count:
        ts = ts.combine_chunks() if isinstance(ts, pa.ChunkedArray) else ts
        filled = pc.fill_null_forward(ts)
        inherited = pc.and_(pc.invert(own), pc.is_valid(filled))
        ctx = parsed.column("context")
        body = pc.utf8_slice_codeunits(ctx, 1)
        sep = pc.if_else(pc.equal(body, "}"), "", ",")
        noted_inh = pc.binary_join_element_wise('{"ts_note":"inherited","ts_source":"inherited"', sep, body, "")
        still = pc.is_null(filled)
        if file_ts is not None:
            fill_ts, label = file_ts, "file_mtime"
        else:
            fill_ts, label = (now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)), "none"
        noted_file = pc.binary_join_element_wise('{"ts_source":"' + label + '"', sep, body, "")
        cols["context"] = pc.if_else(inherited, noted_inh, pc.if_else(still, noted_file, ctx))
        cols["ts"] = pc.if_else(still, pa.scalar(fill_ts, pa.timestamp("us")), filled.cast(pa.timestamp("us")))
    if comment_start:
        hit = pc.match_substring_regex(parsed.column("raw"), pattern="^(?:" + comment_start.lstrip("^") + ")")
        if pc.any(hit).as_py():
            cols["reason"] = pc.if_else(hit, f"header or comment line of the format (rule {tried})",
                                        cols["reason"])
    cols["timestamp"] = cols.pop("ts")
    return pa.table(cols)


def run_rule(con: duckdb.DuckDBPyConnection, chunk: pa.Table, rule: Rule, *, source: str,
             file_mtime: float | None = None, fallbacks: Sequence[Rule] = (),
             generic: Rule | None = None, tuned: bool = False,
             day_ref: dt.datetime | None = None) -> pa.Table:
    """All parse columns for ``chunk`` under ``rule`` (plus ``raw, matched, rule, has_ts,
    reason``), used by :func:`parse_records`, ``Registry.test`` and detection.

    Fast path: one query (rule + merge). Only when some records are not matched and
    fallbacks are given does it materialise the first pass and route the rest.
    """
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    ref = _to_utc_naive(file_mtime) or now
    scope = _Scope(con)
    try:
        inp_t = _input_table(chunk)
        inp = scope.register(inp_t)
        # day_ref: the day a chunk of date-less times ends on (timestamps_days.time_of_day_refs)
        opts = dict(ref=day_ref or ref, now=now, file_ts=ref, source=source)
        if not tuned:
            rule = _tuned(con, rule, inp, inp_t.num_rows)

        def sel(r: Rule, rel: str, json_keys: set[str] | None = None) -> str:
            return compile_rule(r, rel, **opts, json_keys=json_keys)

        keys = _present_json_keys(con, rule, inp) if rule.kind == "json" else None
        first = _arrow(con.sql(sel(rule, inp, keys)))
        if not rule.has_year() and _runs_backwards(first):
            first = _arrow(con.sql(compile_rule(rule, inp, **opts, json_keys=keys, monotone=True)))
        fin = dict(file_ts=_to_utc_naive(file_mtime), now=now, comment_start=rule.comment_start)
        if not (fallbacks or generic):
            return _finalize(first, rule.name, **fin)
        matched = first.column("matched")
        if pc.all(matched).as_py():
            parts = [scope.register(first)]
        else:
            rest_rn = pc.filter(first.column("rn"), pc.invert(matched))
            rest_t = inp_t.filter(pc.is_in(inp_t.column("rn"), value_set=rest_rn))
            rest = scope.register(rest_t)
            parts = [scope.register(first.filter(matched))]
            cands = [r for r in fallbacks if r.name != rule.name]
            if rule.kind == "regex" and rule.fallback_pattern:  # the same format, looser
                cands.insert(0, dataclasses.replace(rule, pattern=rule.fallback_pattern, fallback_pattern=None,
                                                    multiline_start=None))
            if cands:
                arms = " ".join(f"WHEN {match_sql(r)} THEN {k}" for k, r in enumerate(cands))
                hits = _arrow(con.sql(f"SELECT rn, CASE {arms} ELSE -1 END AS hit FROM {rest}"))
            else:
                hits = pa.table({"rn": rest_t.column("rn"),
                                 "hit": pa.array([-1] * rest_t.num_rows, pa.int64())})
            hit_col = hits.column("hit")
            for k in sorted(set(pc.unique(hit_col).to_pylist())):
                rns = pc.filter(hits.column("rn"), pc.equal(hit_col, k))
                sub = scope.register(rest_t.filter(pc.is_in(rest_t.column("rn"), value_set=rns)))
                r = _tuned(con, cands[k] if k >= 0 else _leftover_rule(generic or rule, rule), sub, len(rns))
                parts.append(scope.register(_arrow(con.sql(sel(r, sub)))))
        if len(parts) == 1:
            return _finalize(first, rule.name, **fin)
        union = " UNION ALL BY NAME ".join(f"SELECT * FROM {p}" for p in parts)
        return _finalize(_arrow(con.sql(union)), rule.name, **fin)
    finally:
        scope.close()


#: A time this much before the previous record's is a New Year rollover, not disorder.
ROLLOVER_US = 30 * 86_400 * 1_000_000


def _runs_backwards(parsed: pa.Table) -> bool:
    """Whether the records' times (in record order) jump back by more than 30 days: the
    sign that year-less times crossed a New Year and need the order-aware reading."""
    ts = parsed.column("ts")
    if ts.null_count == len(ts) or len(ts) < 2:
        return False
    rn = parsed.column("rn").to_numpy()
    vals = pc.cast(ts, pa.int64()).to_numpy(zero_copy_only=False)
    ok = ~np.asarray(pc.is_null(ts).to_numpy(zero_copy_only=False), dtype=bool)
    order = np.argsort(rn[ok], kind="stable")
    seq = vals[ok][order]
    return bool(len(seq) > 1 and (np.diff(seq) < -ROLLOVER_US).any())


def _leftover_rule(generic: Rule, file_rule: Rule | None = None) -> Rule:
    """What reads the lines no rule takes: the generic rule, with a timestamp of any
    layout found anywhere in the line's head (the header before it goes to context),
    the file rule's own timestamp first (an induced layout no table knows)."""
    from .timestamps import anywhere_pattern

    rx, fmts = anywhere_pattern(file_rule)
    return dataclasses.replace(generic, pattern=rx, timestamp_formats=fmts, multiline_start=None,
                               fallback_pattern=None, comment_start=None)


def _present_json_keys(con: duckdb.DuckDBPyConnection, rule: Rule, rel: str) -> set[str]:
    """Which of the rule's alias keys occur at the top level of any record of ``rel``.

    One cheap pass (about 0.35 us a record) that lets the parse query read only those
    paths: 41 alias paths cost 2.0 us a record, the 8 of a typical logger 0.5 us.
    """
    wanted = json_top_keys(rule)
    row = con.execute(
        "SELECT list(DISTINCT k) FROM (SELECT unnest(json_keys(TRY_CAST(raw AS JSON))) AS k "
        f"FROM {rel} WHERE starts_with(ltrim(raw), '{{')) WHERE list_contains(?, k)", [wanted]).fetchone()
    return set(row[0] or []) if row else set()


#: Records sampled to pick the timestamp format tried first.
PROBE_ROWS = 256


def tune_rule(con: duckdb.DuckDBPyConnection, chunk: pa.Table, rule: Rule) -> Rule:
    """``rule`` with its timestamp formats ordered by success on a sample of ``chunk``.

    For callers that parse many small chunks of one source (the stream): the probe is a
    query of its own (about 13 ms), worth paying once a minute, not once a batch;
    pass the result to :func:`parse_records` with ``tuned=True``.
    """
    scope = _Scope(con)
    try:
        return _tuned(con, rule, scope.register(_input_table(chunk)), chunk.num_rows)
    finally:
        scope.close()


def _tuned(con: duckdb.DuckDBPyConnection, rule: Rule, rel: str, n: int) -> Rule:
    """The rule with its timestamp formats ordered by success on a sample of ``rel``."""
    probe = format_probe_sql(rule, f"(SELECT * FROM {rel} LIMIT {PROBE_ROWS})")
    if probe is None or n < 2 * PROBE_ROWS:
        return rule
    counts = list(con.sql(probe).fetchone() or [])
    return dataclasses.replace(rule, timestamp_formats=reorder_formats(rule, counts))


def _quarantine_all(chunk: pa.Table, reason: str) -> ParseResult:
    n = chunk.num_rows
    q = pa.table({
        "origin": chunk.column("origin").cast(pa.string()),
        "origin_offset": chunk.column("origin_offset").cast(pa.int64()),
        "raw": chunk.column("raw").cast(pa.string()),
        "reason": pa.array([reason] * n, pa.string()),
    }, schema=QUARANTINE_SCHEMA)
    return ParseResult(rows=ROW_SCHEMA.empty_table(), quarantine=q)


def parse_records(con: duckdb.DuckDBPyConnection, chunk: pa.Table, rule: Rule, *, source: str,
                  file_mtime: float | None = None, registry: "Registry | None" = None,
                  tuned: bool = False, day_ref: dt.datetime | None = None) -> ParseResult:
    """Golden rows for one reader chunk under ``rule``; never raises on bad data.

    ``registry`` supplies the fallback rules for lines the rule does not match (its
    builtins, in specificity order); without one the packaged builtins are used. A
    DuckDB or regex error quarantines the whole chunk with the error as reason, so no
    record is ever lost silently. ``tuned``: ``rule`` comes from :func:`tune_rule`
    already, skip the per-chunk format probe. ``day_ref``: the ref a chunk of a file of
    date-less times is dated from (:func:`.timestamps_days.time_of_day_refs`), not the mtime.
    """
    if chunk.num_rows == 0:
        return ParseResult(ROW_SCHEMA.empty_table(), QUARANTINE_SCHEMA.empty_table())
    try:
        if registry is None:
            from .registry import Registry
            registry = Registry.default()
        fallbacks = registry.fallback_rules()
        generic = registry.get("generic") if "generic" in registry.names() else None
        out = run_rule(con, chunk, rule, source=source, file_mtime=file_mtime,
                       fallbacks=fallbacks, generic=generic, tuned=tuned, day_ref=day_ref)
    except Exception as exc:  # noqa: BLE001 - the contract is "quarantine, never raise"
        msg = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return _quarantine_all(chunk, f"parse error under rule {rule.name!r}: {msg[:500]}")
    return _result(out)


def shares_parse(rule: Rule) -> bool:
    """Whether several files' records can be parsed under ``rule`` in one query: every
    timestamp format has a year (or is an epoch), so nothing in the query depends on the
    file (a year-less or time-of-day format takes its year or day from the file's mtime)."""
    return rule.has_year()


def parse_files(con: duckdb.DuckDBPyConnection, chunks: Sequence[tuple[pa.Table, float | None]], rule: Rule, *,
                source: str) -> list[ParseResult | None] | None:
    """:func:`parse_records` of several files' single chunks under one rule and source, in
    one query: each file's result as its own call would give it, None for a file with a
    record the rule does not match (it needs the fallbacks: the caller parses it alone),
    or None for all when they cannot share a query (the rule, an error).

    Why: a query costs about 0.1 s of planning whatever its size, paid per file of a
    directory of small files. What depends on the file is applied per file after the
    query: times inherited within a file only, a time-less record given its own file's
    mtime (:func:`_finalize` on each file's slice). ``rule`` must pass :func:`shares_parse`.
    The timestamp formats are ordered once on the batch's sample, as for one big file.
    """
    if not shares_parse(rule) or not chunks:
        return None
    tables = [t for t, _m in chunks]
    if any(t.num_rows == 0 for t in tables):
        return None
    now = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    scope = _Scope(con)
    try:
        inp_t = _input_table(pa.concat_tables([t.select(tables[0].column_names) for t in tables]))
        inp = scope.register(inp_t)
        tuned = _tuned(con, rule, inp, inp_t.num_rows)
        keys = _present_json_keys(con, tuned, inp) if tuned.kind == "json" else None
        first = _arrow(con.sql(compile_rule(tuned, inp, ref=now, now=now, file_ts=now, source=source,
                                            json_keys=keys)))
    except Exception:  # noqa: BLE001 - each file on its own (parse_records quarantines what fails)
        return None
    finally:
        scope.close()
    first = first.take(pc.sort_indices(first.column("rn")))
    out: list[ParseResult | None] = []
    at = 0
    for table, mtime in chunks:
        part = first.slice(at, table.num_rows)
        at += table.num_rows
        if not pc.all(part.column("matched")).as_py():  # this file needs the fallbacks
            out.append(None)
            continue
        fin = _finalize(part, rule.name, file_ts=_to_utc_naive(mtime), now=now, comment_start=rule.comment_start)
        out.append(_result(fin))
    return out


def _result(out: pa.Table) -> ParseResult:
    """Rows and quarantine of a finalized parse (``reason`` set: quarantined)."""
    if out.column("reason").null_count == out.num_rows:  # common case: no copy
        return ParseResult(rows=out.select(list(ROW_COLUMNS)).cast(ROW_SCHEMA),
                           quarantine=QUARANTINE_SCHEMA.empty_table())
    bad = pc.is_valid(out.column("reason"))
    rows = out.filter(pc.invert(bad)).select(list(ROW_COLUMNS)).cast(ROW_SCHEMA)
    quarantine = out.filter(bad).select(["origin", "origin_offset", "raw", "reason"]).cast(QUARANTINE_SCHEMA)
    return ParseResult(rows=rows, quarantine=quarantine)


__all__ = ["ParseResult", "parse_records", "parse_files", "shares_parse", "run_rule", "tune_rule", "service_from_origin", "ROW_COLUMNS",
           "ROW_SCHEMA", "QUARANTINE_SCHEMA"]
