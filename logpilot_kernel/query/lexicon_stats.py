"""The lexicon's mergeable statistics: what the key, value and slot entries are derived from.

Why a state of its own: the key and slot entries of the lexicon come from every
``context`` key/value pair and every template parameter of a service's rows, and reading
those out of the JSON is most of the lexicon's cost (about 1.5 s for 400k rows). The
entries themselves cannot be merged: a key's type depends on the share of its values that
are numbers, its distinct count on which values were seen before, a categorical key's
values on whether it still has at most ``MAX_VALUES`` of them, a slot's unit on the
counts of every unit. So the workspace keeps the counts those decisions are made from
(tables ``lexicon_keys``, ``lexicon_keyvals``, ``lexicon_slots``, ``lexicon_slotunits``,
``lexicon_slotvals``), adds to them the pairs of the rows that arrived since the last
refresh, and derives the entries from the sums: the same entries as a rebuild from all
rows (``tests/test_lexicon_incremental.py``), at the cost of the new rows.

Which rows are new comes from their provenance: ``lexicon_origin`` holds, per service and
origin, the rows and the highest ``origin_offset`` counted. A row of a new origin or above
that offset is new. A service is merged only if every origin it had still holds exactly
the rows counted plus the new ones; otherwise (rows deleted, or inserted below the
offset) its state is rebuilt from all its rows. A rewrite of rows in place that changes
their ``context`` or ``template_id`` (the re-mining of templates) must call
:func:`..lexicon.forget`; a rewrite of ``body`` only (a generalised template) does not
touch these counts.
"""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

#: Categorical: at most this many distinct values (values are then listed with counts).
MAX_VALUES = 60
#: Template parameters (``params``) looked at per template, first to last: the quantities a
#: message carries ("took <*>", "size <*> bytes") sit among the first few.
MAX_SLOTS = 8
#: A number, optionally glued to or followed by its unit ("485ms", "1.5 s", "12%").
NUMBER_UNIT = r"^\s*(-?[0-9]+(?:\.[0-9]+)?)\s*([A-Za-z%µ]*)\s*$"
_IPV4 = r"\d{1,3}(\.\d{1,3}){3}"
_SAMPLE = 20  # values kept per key for its shape: the lowest hashes, a spread

#: ``c`` of ``lexicon_keyvals`` is exact while the key has at most MAX_VALUES values (the
#: only keys whose values are listed); past that the table is the set of values seen, for
#: the distinct count. ``lexicon_slotvals`` holds a slot's values only while it has at most
#: MAX_VALUES of them (``many`` once it had more: a set that only grows stays too big).
_TABLES = {
    "lexicon_origin": "service_name VARCHAR, origin VARCHAR, rows BIGINT, max_offset BIGINT",
    "lexicon_keys": ("s VARCHAR, k VARCHAR, n BIGINT, num BIGINT, ip BIGINT, ts BIGINT, "
                     "spaced BIGINT, d BIGINT, sample VARCHAR[]"),
    "lexicon_keyvals": "s VARCHAR, k VARCHAR, v VARCHAR, c BIGINT",
    "lexicon_slots": "s VARCHAR, t VARCHAR, i BIGINT, numeric BIGINT, total BIGINT, many BOOLEAN",
    "lexicon_slotunits": "s VARCHAR, t VARCHAR, i BIGINT, u VARCHAR, n BIGINT",
    "lexicon_slotvals": "s VARCHAR, t VARCHAR, i BIGINT, v VARCHAR, c BIGINT",
}
_TEMPS = ("_lex_now", "_lex_v", "_lex_dk", "_lex_nv", "_lex_mk", "_lex_sv", "_lex_pv", "_lex_pf",
          "_lex_ms", "_lex_mu", "_lex_mv")


def ensure(cur: duckdb.DuckDBPyConnection, temp: bool = False) -> None:
    """Create the state tables; ``temp``: connection-local ones of the same names (a
    read-only connection builds its lexicon in memory through them; they shadow the
    stored ones)."""
    for name, cols in _TABLES.items():
        cur.execute(f"CREATE {'TEMP ' if temp else ''}TABLE IF NOT EXISTS {name} ({cols})")


def drop_temp(cur: duckdb.DuckDBPyConnection, state: bool = False) -> None:
    """Drop this module's scratch tables (and, with ``state``, the temp state tables)."""
    for name in _TEMPS + (tuple(_TABLES) if state else ()):
        cur.execute(f"DROP TABLE IF EXISTS temp.{name}")


def clear(cur: duckdb.DuckDBPyConnection, services: list[str] | None = None) -> None:
    """Forget the state of these services (of all with None)."""
    for name in _TABLES:
        col = "service_name" if name == "lexicon_origin" else "s"
        if services is None:
            cur.execute(f"DELETE FROM {name}")
        elif services:
            cur.execute(f"DELETE FROM {name} WHERE {col} IN (SELECT unnest(?::VARCHAR[]))", [services])


def _plan(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The services of ``_lex_svc`` whose stored counts can take the new rows exactly.

    Leaves ``_lex_now``: per service and origin, rows now, highest offset, rows new and
    the lowest row id of those."""
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_now AS SELECT l.service_name AS s, l.origin, count(*) AS n, "
        "max(l.origin_offset) AS mx, count(*) FILTER (WHERE o.origin IS NULL OR l.origin_offset > o.max_offset) "
        "AS nd, min(l.rowid) FILTER (WHERE o.origin IS NULL OR l.origin_offset > o.max_offset) AS first_new "
        "FROM logs l LEFT JOIN lexicon_origin o ON o.service_name = l.service_name AND o.origin = l.origin "
        "WHERE l.service_name IN (SELECT s FROM _lex_svc) GROUP BY 1, 2")
    rows = cur.execute(
        "SELECT o.service_name, bool_and(n.n IS NOT NULL AND n.n = o.rows + n.nd) FROM lexicon_origin o "
        "LEFT JOIN _lex_now n ON n.s = o.service_name AND n.origin = o.origin "
        "WHERE o.service_name IN (SELECT s FROM _lex_svc) GROUP BY 1").fetchall()
    return sorted(s for s, exact in rows if exact)


def mergeable(cur: duckdb.DuckDBPyConnection, services: list[str]) -> list[str]:
    """Those of ``services`` whose next refresh merges the new rows into stored counts
    (the others are rebuilt from all their rows)."""
    cur.execute("CREATE OR REPLACE TEMP TABLE _lex_svc AS SELECT unnest(?::VARCHAR[]) AS s", [services])
    try:
        return _plan(cur)
    finally:
        drop_temp(cur)


def update(cur: duckdb.DuckDBPyConnection, services: list[str]) -> list[tuple]:
    """Bring the state of ``services`` up to their rows and return their key, value, slot
    and slot-value entries. Run inside the caller's transaction, so the rows counted and
    the offsets recorded are one snapshot."""
    if not services:
        return []
    cur.execute("CREATE OR REPLACE TEMP TABLE _lex_svc AS SELECT unnest(?::VARCHAR[]) AS s", [services])
    merged = _plan(cur)
    rebuilt = [s for s in services if s not in merged]
    logging.getLogger("logpilot").debug("lexicon: merged the new rows of %s; rebuilt %s", merged, rebuilt)
    clear(cur, rebuilt)
    # The new rows are those the provenance says; the row-id bound adds nothing to that
    # (it is their lowest row id, in this snapshot) but lets the scan skip the row groups
    # of older rows instead of reading every row's context (appended rows come last).
    first = cur.execute("SELECT min(first_new) FROM _lex_now").fetchone()[0]
    rows = ("SELECT l.service_name, l.template_id, l.context FROM logs l JOIN _lex_svc v ON l.service_name = v.s "
            "LEFT JOIN lexicon_origin o ON o.service_name = l.service_name AND o.origin = l.origin "
            f"WHERE l.rowid >= {int(first or 0)} AND (o.origin IS NULL OR l.origin_offset > o.max_offset)")
    _merge_keys(cur, rows)
    _merge_slots(cur, rows)
    cur.execute("DELETE FROM lexicon_origin WHERE service_name IN (SELECT s FROM _lex_svc)")
    cur.execute("INSERT INTO lexicon_origin SELECT s, origin, n, mx FROM _lex_now")
    out = entries(cur)
    drop_temp(cur)
    return out


def _merge_keys(cur: duckdb.DuckDBPyConnection, rows: str) -> None:
    from ..schema import NOTE_KEYS

    notes = ", ".join(f"'{k}'" for k in NOTE_KEYS)
    # Distinct values first: the type tests (casts, regexes) then run once per value, not
    # once per row (16M key/value pairs of a 2M-row estate: 4.7 s -> about 1 s).
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_v AS SELECT s, k, v, count(*) AS c FROM ("
        "SELECT service_name AS s, k, context->>k AS v FROM (SELECT service_name, context, "
        f"unnest(json_keys(context)) AS k FROM ({rows})) WHERE k NOT IN ({notes}) AND NOT starts_with(k, '_')) "
        "GROUP BY ALL")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_dk AS SELECT s, k, sum(c) AS n, "
        "sum(CASE WHEN TRY_CAST(v AS DOUBLE) IS NOT NULL THEN c ELSE 0 END) AS num, "
        f"sum(CASE WHEN regexp_full_match(v, '{_IPV4}') THEN c ELSE 0 END) AS ip, "
        "sum(CASE WHEN TRY_CAST(v AS TIMESTAMP) IS NOT NULL THEN c ELSE 0 END) AS ts, "
        "sum(CASE WHEN regexp_matches(v, '\\s') THEN c ELSE 0 END) AS spaced, "
        f"list(v ORDER BY hash(v)) FILTER (WHERE v IS NOT NULL)[1:{_SAMPLE}] AS sample "
        "FROM _lex_v GROUP BY 1, 2")
    # values never seen before for their key: what the distinct count grows by
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_nv AS SELECT d.s, d.k, d.v, d.c FROM _lex_v d "
        "WHERE d.v IS NOT NULL AND NOT EXISTS (SELECT 1 FROM lexicon_keyvals o "
        "WHERE o.s = d.s AND o.k = d.k AND o.v = d.v)")
    # the lowest hashes of the union are the lowest of the two lowest-hash lists
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_mk AS SELECT d.s, d.k, coalesce(o.n, 0) + d.n AS n, "
        "coalesce(o.num, 0) + d.num AS num, coalesce(o.ip, 0) + d.ip AS ip, coalesce(o.ts, 0) + d.ts AS ts, "
        "coalesce(o.spaced, 0) + d.spaced AS spaced, coalesce(o.d, 0) + coalesce(nv.c, 0) AS d, "
        "list_transform(list_sort(list_transform(list_distinct(list_concat(coalesce(o.sample, []::VARCHAR[]), "
        "coalesce(d.sample, []::VARCHAR[]))), x -> {'h': hash(x), 'v': x})), x -> x.v)"
        f"[1:{_SAMPLE}] AS sample "
        "FROM _lex_dk d LEFT JOIN lexicon_keys o USING (s, k) "
        "LEFT JOIN (SELECT s, k, count(*) AS c FROM _lex_nv GROUP BY ALL) nv USING (s, k)")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_sv AS SELECT s, k, v, sum(c) AS c FROM ("
        "SELECT o.s, o.k, o.v, o.c FROM lexicon_keyvals o JOIN _lex_mk m USING (s, k) "
        f"WHERE m.d <= {MAX_VALUES} UNION ALL SELECT d.s, d.k, d.v, d.c FROM _lex_v d JOIN _lex_mk m "
        f"USING (s, k) WHERE m.d <= {MAX_VALUES} AND d.v IS NOT NULL) GROUP BY ALL")
    cur.execute("DELETE FROM lexicon_keyvals WHERE (s, k) IN "
                f"(SELECT s, k FROM _lex_mk WHERE d <= {MAX_VALUES})")
    cur.execute("INSERT INTO lexicon_keyvals SELECT s, k, v, c FROM _lex_sv")
    cur.execute("INSERT INTO lexicon_keyvals SELECT n.s, n.k, n.v, n.c FROM _lex_nv n "
                f"JOIN _lex_mk m USING (s, k) WHERE m.d > {MAX_VALUES}")
    cur.execute("DELETE FROM lexicon_keys WHERE (s, k) IN (SELECT s, k FROM _lex_mk)")
    cur.execute("INSERT INTO lexicon_keys SELECT s, k, n, num, ip, ts, spaced, d, sample FROM _lex_mk")


def _merge_slots(cur: duckdb.DuckDBPyConnection, rows: str) -> None:
    rx = NUMBER_UNIT.replace("'", "''")
    # one scan, grouped by value first: the tests below run once per distinct value
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_pv AS "
        "WITH p AS (SELECT service_name AS s, template_id AS t, "
        f"CAST(json_extract(context, '$.params') AS VARCHAR[]) AS ps FROM ({rows}) "
        "WHERE json_extract(context, '$.params') IS NOT NULL), "
        f"q AS (SELECT s, t, unnest(range(least(len(ps), {MAX_SLOTS}))) AS i, ps FROM p) "
        "SELECT s, t, i, ps[i + 1] AS v, count(*) AS c FROM q GROUP BY ALL")
    cur.execute(
        f"CREATE OR REPLACE TEMP TABLE _lex_pf AS SELECT *, coalesce(regexp_matches(v, '{rx}'), FALSE) AS num, "
        f"lower(regexp_extract(v, '{rx}', 2)) AS u FROM _lex_pv")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_ms AS SELECT d.s, d.t, d.i, coalesce(o.numeric, 0) + d.numeric "
        "AS numeric, coalesce(o.total, 0) + d.total AS total, coalesce(o.many, FALSE) AS many FROM ("
        "SELECT s, t, i, coalesce(sum(c) FILTER (WHERE num), 0) AS numeric, sum(c) AS total FROM _lex_pf "
        "GROUP BY ALL) d LEFT JOIN lexicon_slots o USING (s, t, i)")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_mu AS SELECT s, t, i, u, sum(n) AS n FROM ("
        "SELECT o.s, o.t, o.i, o.u, o.n FROM lexicon_slotunits o JOIN _lex_ms m USING (s, t, i) "
        "UNION ALL SELECT s, t, i, u, c FROM _lex_pf WHERE num AND u <> '') GROUP BY ALL")
    cur.execute("DELETE FROM lexicon_slotunits WHERE (s, t, i) IN (SELECT s, t, i FROM _lex_ms)")
    cur.execute("INSERT INTO lexicon_slotunits SELECT s, t, i, u, n FROM _lex_mu")
    cur.execute(
        "CREATE OR REPLACE TEMP TABLE _lex_mv AS SELECT s, t, i, v, sum(c) AS c FROM ("
        "SELECT o.s, o.t, o.i, o.v, o.c FROM lexicon_slotvals o JOIN _lex_ms m USING (s, t, i) WHERE NOT m.many "
        "UNION ALL SELECT d.s, d.t, d.i, d.v, d.c FROM _lex_pv d JOIN _lex_ms m USING (s, t, i) "
        "WHERE NOT m.many AND d.v IS NOT NULL) GROUP BY ALL")
    cur.execute("DELETE FROM lexicon_slotvals WHERE (s, t, i) IN (SELECT s, t, i FROM _lex_ms)")
    cur.execute("DELETE FROM lexicon_slots WHERE (s, t, i) IN (SELECT s, t, i FROM _lex_ms)")
    cur.execute(
        "INSERT INTO lexicon_slots SELECT m.s, m.t, m.i, m.numeric, m.total, m.many OR coalesce(v.d, 0) > "
        f"{MAX_VALUES} FROM _lex_ms m LEFT JOIN (SELECT s, t, i, count(*) AS d FROM _lex_mv GROUP BY ALL) v "
        "USING (s, t, i)")
    cur.execute("INSERT INTO lexicon_slotvals SELECT v.s, v.t, v.i, v.v, v.c FROM _lex_mv v "
                "JOIN lexicon_slots m USING (s, t, i) WHERE NOT m.many")


def _shape(values: list[str]) -> str | None:
    """A regex all sampled values fullmatch (digits and hex runs generalised), or None."""
    shapes = set()
    for v in values:
        s = re.sub(r"[0-9a-f]{8,}", "\x01", v) if re.fullmatch(r"[0-9a-f]{8,}", v) else v
        s = re.escape(re.sub(r"\d+", "\x02", s))
        s = s.replace("\x01", "[0-9a-f]{8,}").replace("\x02", r"\d+")
        shapes.add(s)
    if len(shapes) == 1:
        only = shapes.pop()
        return None if only in (r"\d+", "[0-9a-f]{8,}") else only
    return None


def kind_of(n: int, d: int, num: int, ip: int, ts: int, spaced: int) -> str:
    """A key's type from its counts: rows, distinct values, and rows whose value is a
    number, an IPv4 address, a time, or has a space."""
    if ip / n >= 0.9:
        return "ip"
    if ts / n >= 0.9 and num / n < 0.9:
        return "time"
    if d <= MAX_VALUES and d < max(2, n // 2 + 1):
        return "categorical"
    if num / n >= 0.9:
        return "numeric"
    if spaced / n > 0.2:
        return "text"
    return "id"


def entries(cur: duckdb.DuckDBPyConnection) -> list[tuple]:
    """The key, value, slot and slot-value entries of the services in ``_lex_svc``, from
    the stored counts."""
    out: list[tuple] = []
    categorical: list[tuple[str, str]] = []
    for s, k, n, num, ip, ts, spaced, d, sample in cur.execute(
            "SELECT s, k, n, num, ip, ts, spaced, d, sample FROM lexicon_keys "
            "WHERE s IN (SELECT s FROM _lex_svc)").fetchall():
        kind = kind_of(n, d, num, ip, ts, spaced)
        out.append(("key", s, k, None, kind, n, d, _shape(sample or []) if kind == "id" else None))
        if kind == "categorical":
            categorical.append((s, k))
    if categorical:
        cur.execute("CREATE OR REPLACE TEMP TABLE _lex_cat AS SELECT unnest(?::VARCHAR[]) AS s, "
                    "unnest(?::VARCHAR[]) AS k", [[s for s, _ in categorical], [k for _, k in categorical]])
        out += [("value", s, k, v, None, c, None, None) for s, k, v, c in cur.execute(
            "SELECT s, k, v, c FROM lexicon_keyvals JOIN _lex_cat USING (s, k)").fetchall()]
        cur.execute("DROP TABLE IF EXISTS temp._lex_cat")
    # the most common unit (ties: the first alphabetically, so two builds agree)
    out += [("slot", s, t, str(i), unit or "", int(n), int(total), None) for s, t, i, n, total, unit in cur.execute(
        "SELECT m.s, m.t, m.i, m.numeric, m.total, (SELECT first(u ORDER BY n DESC, u) FROM lexicon_slotunits x "
        "WHERE x.s = m.s AND x.t = m.t AND x.i = m.i) FROM lexicon_slots m "
        "WHERE m.s IN (SELECT s FROM _lex_svc)").fetchall()]
    # a parameter with few values that are words (account names, categories): its values,
    # so a question can name one ("logins by deploy")
    out += [("slotvalue", s, t, v, str(i), c, None, None) for s, t, i, v, c in cur.execute(
        "SELECT s, t, i, v, c FROM lexicon_slotvals WHERE s IN (SELECT s FROM _lex_svc) "
        "AND regexp_full_match(v, '[A-Za-z][A-Za-z0-9_-]*[A-Za-z0-9]')").fetchall()]
    return out
