"""Read-only guard for SQL, enforced by DuckDB's own parser rather than keyword matching.

Why parsing: a regex over ``INSERT|DELETE|COPY`` refuses ``SELECT 'delete me'`` and lets
``SELECT * FROM read_text('/etc/passwd')`` or ``FROM 'secrets.csv'`` through. DuckDB tells
us the statement type (``duckdb.extract_statements``) and, for SELECTs, the whole tree
(``json_serialize_sql``), so table functions and file-path table names are found wherever
they hide (sub-queries, CTEs, joins, ``SUMMARIZE``).

Allowed in read-only mode: exactly one statement, of type SELECT (which covers WITH,
DESCRIBE, SHOW, SUMMARIZE, FROM-first and PRAGMA table_info) or EXPLAIN of such a
statement, reading only catalog tables/views and a small allowlist of table functions
that read no files. Settings and secrets (``duckdb_settings()``, ``current_setting()``,
``pg_settings``, ``duckdb_secrets()``, most ``pragma_*``, ``getenv``) are refused too:
they write nothing but disclose paths and credentials.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any, Iterator

import duckdb

from ..errors import LogPilotError

#: Table functions that read nothing outside the database (metadata, generators, JSON).
#: Of the ``pragma_*`` family only the two that describe a table's columns are here
#: (``PRAGMA table_info`` and ``DESCRIBE`` need them); the others are refused with the
#: settings below.
SAFE_TABLE_FUNCTIONS: frozenset[str] = frozenset({
    "range", "generate_series", "unnest", "json_each", "json_tree", "repeat",
    "pragma_table_info", "pragma_show",
    "duckdb_tables", "duckdb_columns", "duckdb_views", "duckdb_schemas", "duckdb_types",
    "duckdb_functions", "duckdb_keywords", "duckdb_indexes",
    "duckdb_constraints", "duckdb_sequences", "duckdb_dependencies",
})

#: Functions, table functions and catalog views that disclose settings, file paths or
#: secrets (``secret_directory``, ``temp_directory``, the database path, extension
#: install paths, stored credentials, the environment). Refused by default even though
#: they write nothing: read-only SQL runs questions from untrusted text.
DISCLOSING: frozenset[str] = frozenset({
    "duckdb_settings", "current_setting", "pg_settings", "duckdb_secrets", "which_secret",
    "duckdb_secret_types", "duckdb_databases", "duckdb_extensions", "duckdb_temporary_files",
    "duckdb_memory", "duckdb_logs", "duckdb_logs_parsed",
    "duckdb_log_contexts", "duckdb_prepared_statements", "duckdb_external_file_cache",
    "duckdb_profiling_settings", "getenv",
})

#: Scalar functions that reach outside the database or disclose settings.
UNSAFE_SCALAR_FUNCTIONS: frozenset[str] = frozenset({"getenv", "current_setting", "which_secret"})

_WHAT = {
    "INSERT": "writes rows", "UPDATE": "writes rows", "DELETE": "deletes rows",
    "CREATE": "creates objects", "DROP": "drops objects", "ALTER": "alters objects",
    "COPY": "copies to or from files", "EXPORT": "exports the database to files",
    "ATTACH": "attaches another database", "DETACH": "detaches a database",
    "LOAD": "installs or loads extensions", "SET": "changes settings",
    "VARIABLE_SET": "changes settings", "PRAGMA": "runs a pragma", "CALL": "calls a procedure",
    "TRANSACTION": "controls transactions", "VACUUM": "rewrites storage",
    "PREPARE": "prepares statements", "EXECUTE": "executes prepared statements",
    "MERGE_INTO": "writes rows", "UPDATE_EXTENSIONS": "updates extensions",
}

_EXPLAIN_PREFIX = re.compile(r"^\s*EXPLAIN\s*(\([^)]*\)\s*)?(ANALY[SZ]E\s+)?", re.IGNORECASE)
_PATHLIKE = re.compile(r"[./\\:*?]")


class GuardError(LogPilotError):
    """SQL refused by the read-only guard; ``reason`` says which construct and why."""

    def __init__(self, reason: str, *, generated: bool = False) -> None:
        self.reason = reason
        self.generated = generated
        hint = "" if generated else " (use --write for your own SQL that must write)"
        super().__init__(f"refused (read-only): {reason}{hint}")


@dataclass
class GuardReport:
    """What the guard saw: statement types and the table functions used."""

    statements: list[str] = field(default_factory=list)
    table_functions: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)


def statement_types(sql: str) -> list[str]:
    """DuckDB's statement types of ``sql`` (raises ``duckdb.ParserException`` if not SQL)."""
    return [s.type.name for s in duckdb.extract_statements(sql)]


def is_sql(text: str) -> bool:
    """True when DuckDB's parser accepts ``text`` as one or more statements.

    This is how ``%%logsql`` tells SQL from a plain-English question: no keyword lists.
    """
    try:
        return bool(duckdb.extract_statements(text))
    except duckdb.Error:
        return False


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for v in node.values():
            yield from _walk(v)
    elif isinstance(node, list):
        for v in node:
            yield from _walk(v)


def _tree(sql: str) -> dict[str, Any]:
    # A private in-memory connection: serialising needs no data and must not touch the
    # workspace (json_serialize_sql only parses).
    con = _serializer()
    try:
        text = con.execute("SELECT json_serialize_sql(?)", [sql]).fetchone()[0]
    finally:
        con.close()
    tree = json.loads(text)
    if tree.get("error"):
        raise GuardError(f"cannot inspect the statement: {tree.get('error_message')}")
    return tree


_SERIALIZER: duckdb.DuckDBPyConnection | None = None


def _serializer() -> duckdb.DuckDBPyConnection:
    global _SERIALIZER
    if _SERIALIZER is None:
        _SERIALIZER = duckdb.connect(":memory:")
    return _SERIALIZER.cursor()


def _check_select(sql: str, report: GuardReport, generated: bool) -> None:
    for node in _walk(_tree(sql)):
        kind = node.get("type")
        if kind == "TABLE_FUNCTION":
            fn = node.get("function") or {}
            name = str(fn.get("function_name", "")).lower()
            report.table_functions.append(name)
            if name in DISCLOSING or name.startswith("pragma_") and name not in SAFE_TABLE_FUNCTIONS:
                raise GuardError(f"table function {name}() discloses settings, paths or secrets",
                                 generated=generated)
            if name not in SAFE_TABLE_FUNCTIONS:
                raise GuardError(f"table function {name}() can read files or run other SQL; "
                                 "only workspace tables and views may be queried",
                                 generated=generated)
        elif kind == "BASE_TABLE":
            name = str(node.get("table_name", ""))
            report.tables.append(name)
            if name.lower() in DISCLOSING:
                raise GuardError(f"'{name}' discloses settings, paths or secrets", generated=generated)
            if _PATHLIKE.search(name):
                raise GuardError(f"'{name}' looks like a file path; reading files is not "
                                 "allowed, only workspace tables and views", generated=generated)
        elif node.get("class") == "FUNCTION":
            name = str(node.get("function_name", "")).lower()
            if name in UNSAFE_SCALAR_FUNCTIONS:
                raise GuardError(f"function {name}() reads outside the database or discloses "
                                 "settings", generated=generated)


def check_read_only(sql: str, *, generated: bool = False) -> GuardReport:
    """Raise :class:`GuardError` unless ``sql`` is one read-only statement.

    ``generated`` marks SQL written by LogPilot (parser or model): its refusals do not
    suggest ``--write``, because generated SQL may never write. A parse error propagates
    as ``duckdb.ParserException`` so the caller can report DuckDB's own message.
    """
    statements = duckdb.extract_statements(sql)
    report = GuardReport(statements=[s.type.name for s in statements])
    if not statements:
        raise GuardError("the query is empty", generated=generated)
    if len(statements) > 1:
        raise GuardError(f"{len(statements)} statements; only one read-only statement is "
                         "allowed per cell", generated=generated)
    stmt = statements[0]
    kind = stmt.type.name
    if kind == "EXPLAIN":
        inner = _EXPLAIN_PREFIX.sub("", stmt.query, count=1)
        if not inner.strip() or inner == stmt.query:
            raise GuardError("cannot find the statement EXPLAIN applies to", generated=generated)
        inner_report = check_read_only(inner, generated=generated)
        inner_report.statements.insert(0, "EXPLAIN")
        return inner_report
    if kind != "SELECT":
        what = _WHAT.get(kind, "is not a query")
        raise GuardError(f"{kind} {what}; only SELECT/WITH/DESCRIBE/SHOW/EXPLAIN/SUMMARIZE "
                         "run read-only", generated=generated)
    _check_select(stmt.query, report, generated)
    return report
