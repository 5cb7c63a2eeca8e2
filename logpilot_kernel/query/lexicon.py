"""The workspace lexicon: every name a question can refer to, learned from the data itself.

Why: the words of a question ("blocked", "customers", "latency", "5xx") have to resolve to
whatever field and value carries them in *this* workspace, not in the demo the parser was
written against. The lexicon lists services and their sources, hosts, severities per
service, every ``context`` key per service with its type (numeric, categorical, id-like,
IP, time, text) and, for categorical keys, their values with counts, and the words of the
message templates. It is kept in the workspace's DuckDB (table ``lexicon``, one row per
entry, plus ``lexicon_stamp``: rows and last time per service when it was built), so a
new kernel does not rescan the logs; it is refreshed per service whose rows changed
(after an ingest run, and lazily when a question finds it stale), from the rows added since
the last refresh where that gives the same entries as a rebuild (:mod:`.lexicon_stats`).
Writes are deletes and inserts only (no UPDATE: see the streaming notes in
docs/architecture.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable

from . import lexicon_stats
from .lexicon_stats import MAX_SLOTS, MAX_VALUES, NUMBER_UNIT  # noqa: F401 (imported from here)

if TYPE_CHECKING:  # duckdb is imported where its error is caught: the NL grammar imports
    import duckdb  # this module, and `logpilot --help` must not load duckdb (issue 16)


def _note_keys() -> tuple[str, ...]:
    """Keys that are the parser's own bookkeeping, never a field a question names: the one
    table, :data:`..schema.NOTE_KEYS`, read when first needed (schema loads pyarrow, which
    importing the NL grammar must not, issue 16)."""
    from ..schema import NOTE_KEYS

    return NOTE_KEYS


def __getattr__(name: str) -> Any:
    """``_NOTE_KEYS`` for the modules that import it by that name (the same table)."""
    if name == "_NOTE_KEYS":
        return _note_keys()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: Bumped when the entries change shape, so stored lexicons are rebuilt.
VERSION = "5"
_WORD = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z]+)*")


@dataclass
class KeyInfo:
    """One ``context`` key of one service: how often it occurs and what its values look like."""

    service: str
    name: str
    rows: int
    distinct: int
    kind: str  # numeric | categorical | id | ip | time | text
    values: dict[str, int] = field(default_factory=dict)
    shape: str | None = None  # regex that the key's id-like values fullmatch

    @property
    def numeric(self) -> bool:
        return self.kind == "numeric" or (self.kind == "categorical" and bool(self.values) and all(
            re.fullmatch(r"-?\d+(\.\d+)?", v) for v in self.values))


@dataclass
class Slot:
    """One parameter (``<*>``) of one template, from its values: how many rows hold a number
    there and the unit most of those numbers are written with ("157ms" -> ``ms``; '' none).

    Why in the lexicon: a quantity inside message text ("Served product <*> in <*>") is
    only recognisable from its values; the parser links question words to the template's
    own words around the slot (:mod:`nl_quantity`) and needs to know which slots are numbers.
    """

    service: str
    template_id: str
    index: int  # 0-based position among the template's <*> (= the index in ``params``)
    numeric: int  # rows whose value there is a number (with or without a unit)
    rows: int  # rows of the template that have a value there
    unit: str = ""  # the most common unit glued to or written after the number, lower case


@dataclass
class Lexicon:
    """What the workspace holds that words can refer to (see the module docstring).

    ``keys`` ({service: {key: rows}}) is the shape the older ``Vocabulary`` had; a lexicon
    made by hand from it (tests, the router's dry reading) has no values or words, and the
    parser then links only names.
    """

    services: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    keys: dict[str, dict[str, int]] = field(default_factory=dict)
    sources: dict[str, str] = field(default_factory=dict)
    severities: dict[str, dict[str, int]] = field(default_factory=dict)
    info: dict[tuple[str, str], KeyInfo] = field(default_factory=dict)
    words: dict[str, dict[str, int]] = field(default_factory=dict)  # word -> {service: rows}
    origins: dict[str, dict[str, int]] = field(default_factory=dict)  # file name -> {service: rows}
    templates: dict[str, list[tuple[str, str, int]]] = field(default_factory=dict)
    rows: dict[str, int] = field(default_factory=dict)
    slots: list[Slot] = field(default_factory=list)  # numeric template parameters
    #: word-like values of template parameters with few values ("Accepted publickey for
    #: <*>": the account names), lower case -> [(service, template id, index, value, rows)]
    slot_values: dict[str, list[tuple[str, str, int, str, int]]] = field(default_factory=dict)
    first: Any = None
    last: Any = None

    def __post_init__(self) -> None:
        for svc, keys in self.keys.items():
            for key, n in keys.items():
                self.info.setdefault((svc, key), KeyInfo(svc, key, n, 0, _kind_from_name(key)))
        for (svc, key), ki in self.info.items():
            self.keys.setdefault(svc, {})[key] = ki.rows

    # ------------------------------------------------------------------ lookups
    def key_infos(self, services: Iterable[str] = ()) -> list[KeyInfo]:
        """Keys of these services (of every service when none is given)."""
        wanted = set(services)
        return [ki for (svc, _), ki in sorted(self.info.items())
                if (not wanted or svc in wanted) and ki.name not in _note_keys()
                and not ki.name.startswith("_")]

    def names(self) -> list[str]:
        """Every linkable name (for "nearest entries" when a word is refused)."""
        out = list(self.services) + list(self.hosts)
        out += sorted({ki.name for ki in self.info.values() if ki.name not in _note_keys()})
        out += sorted({v for ki in self.info.values() for v in ki.values
                       if re.search(r"[A-Za-z]", v)})
        out += sorted(self.words)
        return list(dict.fromkeys(out))


def _kind_from_name(key: str) -> str:
    low = key.lower()
    if re.search(r"(^|_)(ip|addr|address)$|^(src|dst)$", low):
        return "ip"
    if re.search(r"(^|_)(id|uuid|ref)$", low):
        return "id"
    return "categorical"


# ------------------------------------------------------------------- building
_STAMP = ("CREATE TABLE IF NOT EXISTS lexicon_stamp (service_name VARCHAR, rows BIGINT, "
          "last_ts TIMESTAMP)")
_TABLE = ("CREATE TABLE IF NOT EXISTS lexicon (kind VARCHAR, service_name VARCHAR, name VARCHAR, "
          "value VARCHAR, type VARCHAR, n BIGINT, distinct_n BIGINT, shape VARCHAR)")


def _stamps(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, Any]]:
    return {s: (n, t) for s, n, t in cur.execute(
        "SELECT service_name, count(*), max(timestamp) FROM logs GROUP BY 1").fetchall()}


def _stored_stamps(cur: duckdb.DuckDBPyConnection) -> dict[str, tuple[int, Any]] | None:
    import duckdb

    try:
        return {s: (n, t) for s, n, t in cur.execute(
            "SELECT service_name, rows, last_ts FROM lexicon_stamp").fetchall()}
    except duckdb.Error:
        return None


def _column_entries(cur: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Service, origin, host, severity and template rows of the services in ``_lex_svc``:
    scans of plain columns, cheap enough to redo from all their rows (a template's body
    changes in place when the miner generalises it)."""
    out: list[tuple] = []
    for svc, src, n in cur.execute(
            "SELECT service_name, any_value(source), count(*) FROM logs "
            "WHERE service_name IN (SELECT s FROM _lex_svc) GROUP BY 1").fetchall():
        out.append(("service", svc, svc, src, None, n, None, None))
    for svc, name, n in cur.execute(
            "SELECT service_name, regexp_extract(origin, '([^/\\\\!]+/)?[^/\\\\!]+$', 0), count(*) FROM logs "
            "WHERE service_name IN (SELECT s FROM _lex_svc) GROUP BY 1, 2").fetchall():
        out.append(("origin", svc, name, None, None, n, None, None))
    for svc, host, n in cur.execute(
            "SELECT service_name, host, count(*) FROM logs WHERE host IS NOT NULL AND "
            "service_name IN (SELECT s FROM _lex_svc) GROUP BY 1, 2").fetchall():
        out.append(("host", svc, host, None, None, n, None, None))
    for svc, sev, n in cur.execute(
            "SELECT service_name, severity, count(*) FROM logs WHERE "
            "service_name IN (SELECT s FROM _lex_svc) GROUP BY 1, 2").fetchall():
        out.append(("severity", svc, sev, None, None, n, None, None))
    for svc, tid, body, n in cur.execute(
            "SELECT service_name, template_id, any_value(body), count(*) FROM logs WHERE "
            "service_name IN (SELECT s FROM _lex_svc) GROUP BY 1, 2").fetchall():
        out.append(("template", svc, tid, body, None, n, None, None))
    return out


def _entries_for(cur: duckdb.DuckDBPyConnection, services: list[str]) -> list[tuple]:
    """Lexicon rows of these services; their key and slot counts brought up to their rows
    (merged from the new rows where that is exact, :mod:`.lexicon_stats`)."""
    if not services:
        return []
    cur.execute("CREATE OR REPLACE TEMP TABLE _lex_svc AS SELECT unnest(?::VARCHAR[]) AS s", [services])
    out = _column_entries(cur)
    out += lexicon_stats.update(cur, services)
    cur.execute("DROP TABLE IF EXISTS temp._lex_svc")
    return out


def _in_memory(cur: duckdb.DuckDBPyConnection) -> list[tuple]:
    """Every service's rows from a full scan, with connection-local state tables (a
    read-only connection cannot store the lexicon)."""
    services = [r[0] for r in cur.execute("SELECT DISTINCT service_name FROM logs").fetchall()]
    lexicon_stats.ensure(cur, temp=True)
    try:
        return _entries_for(cur, services)
    finally:
        lexicon_stats.drop_temp(cur, state=True)


def _insert(cur: duckdb.DuckDBPyConnection, entries: list[tuple]) -> None:
    """One insert from Arrow (executemany cost about 0.4 ms an entry: 0.3 s for 700)."""
    import pyarrow as pa

    names = ("kind", "service_name", "name", "value", "type", "n", "distinct_n", "shape")
    cols = list(zip(*entries))
    table = pa.table({name: pa.array(col, pa.int64() if name in ("n", "distinct_n") else pa.string())
                      for name, col in zip(names, cols)})
    cur.register("_lex_entries", table)
    try:
        cur.execute("INSERT INTO lexicon SELECT * FROM _lex_entries")
    finally:
        cur.unregister("_lex_entries")


def refresh(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """Bring the stored entries of every service whose rows changed up to date; the
    services redone.

    Called at the end of an ingest run and lazily by :func:`load`; a service whose row
    count and last time are unchanged keeps its entries. One transaction: the rows
    counted, the offsets recorded and the entries are one snapshot of ``logs``.
    """
    import duckdb

    cur.execute(_TABLE)
    cur.execute(_STAMP)
    lexicon_stats.ensure(cur)
    cur.execute("BEGIN TRANSACTION")
    try:
        version = cur.execute("SELECT value FROM lexicon WHERE kind = 'version'").fetchall()
        if version != [(VERSION,)]:  # built by another version of this module: rebuild all
            cur.execute("DELETE FROM lexicon")
            cur.execute("DELETE FROM lexicon_stamp")
            lexicon_stats.clear(cur)
            cur.execute("INSERT INTO lexicon VALUES ('version', NULL, NULL, ?, NULL, NULL, NULL, NULL)",
                        [VERSION])
        now = _stamps(cur)
        before = _stored_stamps(cur) or {}
        changed = sorted(s for s in set(now) | set(before) if now.get(s) != before.get(s))
        if changed:
            gone = [s for s in changed if s not in now]
            entries = _entries_for(cur, [s for s in changed if s in now])
            lexicon_stats.clear(cur, gone)
            cur.execute("DELETE FROM lexicon WHERE kind <> 'version' AND "
                        "service_name IN (SELECT unnest(?::VARCHAR[]))", [changed])
            cur.execute("DELETE FROM lexicon_stamp WHERE service_name IN (SELECT unnest(?::VARCHAR[]))",
                        [changed])
            if entries:
                _insert(cur, entries)
            stamps = [(s, *now[s]) for s in changed if s in now]
            if stamps:
                cur.executemany("INSERT INTO lexicon_stamp VALUES (?, ?, ?)", stamps)
        cur.execute("COMMIT")
    except duckdb.Error:
        cur.execute("ROLLBACK")
        raise
    return changed


def forget(cur: duckdb.DuckDBPyConnection) -> None:
    """Mark every service's lexicon stale and its counts unusable: for a rewrite of rows in
    place that changes their ``context`` or ``template_id`` (re-mining), which neither the
    row counts nor the offsets show. The next question or ingest rebuilds it from all
    rows. Runs inside the caller's transaction."""
    cur.execute(_STAMP)
    lexicon_stats.ensure(cur)
    cur.execute("DELETE FROM lexicon_stamp")
    lexicon_stats.clear(cur)


def _from_rows(rows: list[tuple], first: Any, last: Any) -> Lexicon:
    lex = Lexicon(first=first, last=last)
    hosts: set[str] = set()
    for kind, svc, name, value, typ, n, d, shape in rows:
        if kind == "service":
            lex.services.append(svc)
            lex.sources[svc] = value
            lex.rows[svc] = n
        elif kind == "host":
            hosts.add(name)
        elif kind == "origin":
            lex.origins.setdefault(name, {})[svc] = n
        elif kind == "severity":
            lex.severities.setdefault(svc, {})[name] = n
        elif kind == "key":
            lex.info[(svc, name)] = KeyInfo(svc, name, n, d or 0, typ, {}, shape)
            lex.keys.setdefault(svc, {})[name] = n
        elif kind == "value":
            ki = lex.info.get((svc, name))
            if ki is not None:
                ki.values[value] = n
        elif kind == "slot":
            lex.slots.append(Slot(svc, name, int(value), n or 0, d or 0, typ or ""))
        elif kind == "slotvalue":
            lex.slot_values.setdefault(value.lower(), []).append((svc, name, int(typ), value, n))
        elif kind == "template":
            lex.templates.setdefault(svc, []).append((name, value or "", n))
            for w in {w.lower() for w in _WORD.findall((value or "").replace("<*>", " "))}:
                if len(w) >= 2:
                    per = lex.words.setdefault(w, {})
                    per[svc] = per.get(svc, 0) + n
    lex.services.sort()
    lex.hosts = sorted(hosts)
    return lex


def _stale(cur: duckdb.DuckDBPyConnection, grown: float = 0.05) -> bool:
    """True when a service is new or gone, or a service's rows changed by more than ``grown``.

    A stream appending to known services does not rescan them on every question; the
    ingest hook and this threshold keep the lexicon close enough for linking words.
    """
    import duckdb

    stored = _stored_stamps(cur)
    try:
        version = cur.execute("SELECT value FROM lexicon WHERE kind = 'version'").fetchall()
    except duckdb.Error:
        return True
    if not stored or version != [(VERSION,)]:
        return True
    now = _stamps(cur)
    if set(now) != set(stored):
        return True
    return any(abs(now[s][0] - stored[s][0]) > grown * max(stored[s][0], 1) for s in now)


def load(cur: duckdb.DuckDBPyConnection) -> Lexicon:
    """The stored lexicon, refreshed first when the logs changed since it was built.

    A read-only connection that cannot store it still gets a correct lexicon (built in
    memory from the same scans).
    """
    import duckdb

    first, last = cur.execute("SELECT min(timestamp), max(timestamp) FROM logs").fetchone()
    try:
        if _stale(cur):
            refresh(cur)
        rows = cur.execute("SELECT * FROM lexicon").fetchall()
    except duckdb.Error:
        rows = _in_memory(cur)
    return _from_rows(rows, first, last)


def refresh_after_ingest(ws: Any) -> None:
    """The ingest job's hook: refresh the lexicon of the services it touched, quietly.

    A failure here must not fail an ingest that stored every row: the lexicon is rebuilt
    lazily by the next question anyway.
    """
    import duckdb

    try:
        cur = ws.cursor()
        try:
            refresh(cur)
        finally:
            cur.close()
    except duckdb.Error:
        pass
