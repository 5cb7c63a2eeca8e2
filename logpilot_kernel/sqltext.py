"""SQL text built from values: the one place that turns a value into a DuckDB literal or
an identifier.

Log text is written by the systems (and attackers) under investigation, and questions are
typed by people, so every value that reaches SQL text goes through here. Prefer bound
parameters (``?``) wherever DuckDB accepts them (``SELECT``/``WHERE``, ``SET x = ?``,
``COPY ... TO ?``, ``read_parquet(?)``); use these helpers only where a statement cannot be
prepared (``CREATE VIEW``), where SQL is composed as text and run later (NL and why
predicates shown to the user), or for identifiers, which can never be parameters.

NUL bytes: a DuckDB ``VARCHAR`` *can* hold U+0000 (bound parameters and ``chr(0)`` keep it),
but the SQL *text* cannot: the parser stops at the NUL ("unterminated quoted string"). A
literal with a NUL is therefore written as a concatenation with ``chr(0)``, so the literal
still equals the value exactly: stripping would make ``'a\\0b'`` match ``'ab'`` (a different
value), refusing would turn a hostile question into an error where "no rows" is the truthful
answer. That form is an expression, not a constant: where DuckDB wants a constant (a
file path, a ``SET`` value) bind a parameter instead (a path cannot hold a NUL anyway).
Identifiers cannot be built from an expression, so :func:`ident` refuses a NUL.

Standard SQL quoting only (quotes doubled); DuckDB does not treat backslashes in ``'...'``
as escapes, so they pass through literally. Only stdlib imports: the core, the why-engine,
the widgets and the ingest layer all import it, and it must not slow a kernel's start.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from typing import Any

__all__ = ["glob_escape", "ident", "json_key_path", "json_key_path_sql", "literal", "literal_list",
           "placeholders", "string_literal"]


def string_literal(text: str) -> str:
    """``text`` as a DuckDB string literal, NULs as ``chr(0)`` (see the module note)."""
    if "\x00" not in text:
        return "'" + text.replace("'", "''") + "'"
    parts = ["'" + p.replace("'", "''") + "'" for p in text.split("\x00")]
    return "(" + " || chr(0) || ".join(parts) + ")"


def literal(value: Any) -> str:
    """A DuckDB literal for ``value``: str, int, float, bool, None, datetime, date.

    Other types are refused (``TypeError``) rather than guessed through ``str()``, so a
    caller that passes a list or bytes learns it at once instead of matching ``"[...]"``.
    Aware datetimes keep their offset (``TIMESTAMPTZ``); naive ones are ``TIMESTAMP``.
    """
    if value is None:
        return "NULL"
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "'nan'::DOUBLE"
        if math.isinf(value):
            return "'inf'::DOUBLE" if value > 0 else "'-inf'::DOUBLE"
        return f"CAST('{float(value)!r}' AS DOUBLE)"  # a bare 1.5 would be a DECIMAL
    if isinstance(value, dt.datetime):
        iso = value.isoformat(sep=" ")
        return f"TIMESTAMPTZ '{iso}'" if value.utcoffset() is not None else f"TIMESTAMP '{iso}'"
    if isinstance(value, dt.date):
        return f"DATE '{value.isoformat()}'"
    if isinstance(value, str):
        return string_literal(value)
    raise TypeError(f"no SQL literal for a {type(value).__name__}; pass str, int, float, bool, "
                    "None, date or datetime")


def literal_list(values: Iterable[Any]) -> str:
    """Comma-separated literals for ``x IN (...)``; an empty list is refused (``IN ()`` is a
    syntax error, and ``IN (NULL)`` would silently mean "nothing" even under ``NOT IN``)."""
    items = [literal(v) for v in values]
    if not items:
        raise ValueError("literal_list needs at least one value")
    return ", ".join(items)


def ident(name: str) -> str:
    """``name`` as a double-quoted identifier (quotes doubled), whatever characters it holds."""
    if not isinstance(name, str) or not name:
        raise ValueError("an SQL identifier must be a non-empty string")
    if "\x00" in name:
        raise ValueError("an SQL identifier cannot contain a NUL byte")
    return '"' + name.replace('"', '""') + '"'


def placeholders(n: int) -> str:
    """``?, ?, ...`` for ``x IN (...)`` with ``n`` bound values (the preferred form: the values
    never become SQL text). ``n`` must be positive, for the same reason as in
    :func:`literal_list`."""
    if n < 1:
        raise ValueError("placeholders needs at least one value")
    return ", ".join("?" * n)


def glob_escape(path: str) -> str:
    """``path`` as the fixed prefix of a DuckDB glob (``read_parquet('<dir>/**/*.parquet')``).

    A directory is data too: ``[`` ``*`` ``?`` in its name would be pattern syntax, so they
    become one-character classes. DuckDB's glob has no way to match a literal backslash
    (measured on 1.5: ``\\``, ``[\\]`` and a bare backslash all find nothing), so a
    backslash becomes ``?``: it may also match a sibling folder whose name differs only in
    that character, which is far better than a workspace whose archive cannot be read.
    """
    table = {"[": "[[]", "*": "[*]", "?": "[?]", "\\": "?"}
    return "".join(table.get(ch, ch) for ch in path)


def json_key_path(key: str) -> str:
    """The JSON path ``$."<key>"`` of one top-level key, to bind as a parameter.

    Keys come from the logs: inside the quoted path step a ``"`` ends the step and a
    backslash starts an escape, so both are escaped (``$."a"b"`` is a binder error that
    would fail the whole query; ``$."a\b"`` reads another key).
    """
    return '$."' + key.replace("\\", "\\\\").replace('"', '\\"') + '"'


def json_key_path_sql(key_sql: str) -> str:
    """SQL for :func:`json_key_path` of the key that the SQL expression ``key_sql`` yields
    (a key read from the data inside the same query, e.g. ``unnest(json_keys(context))``)."""
    return (f"('$.\"' || replace(replace({key_sql}, '\\', '\\\\'), '\"', '\\\"') || '\"')")
