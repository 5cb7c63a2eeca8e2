"""SQL and plain-English questions over a workspace, read-only by default.

Public API (used by ``%%logsql``, the CLI's ``sql``/``ask`` and scripts alike):

- :func:`run_sql` - the user's SQL through the read-only guard, as a :class:`QueryResult`;
- :func:`ask` - a plain-English question: the offline parser first (exact, instant), the
  configured model (``LogPilot.llm``) only for what the parser refuses; the generated SQL
  is always in the result and always read-only;
- :func:`is_sql` - DuckDB's parser decides whether a text is SQL or a question.

Relative times in questions are relative to ``now`` (naive UTC; default: the real clock).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .engine import QueryError, QueryResult, explain, run_query
    from .guard import GuardError, check_read_only, is_sql
    from .nl import NotUnderstood, Vocabulary, parse

# Re-exported names load on first use: ``logpilot sql``'s parser is registered from
# ``query.cli``, which imports this package, and the engine pulls in pandas and duckdb
# (issue 16: ``logpilot --help`` must not pay for them).
__getattr__, __dir__ = lazy_exports(__name__, {
    "QueryError": ".engine", "QueryResult": ".engine", "explain": ".engine", "run_query": ".engine",
    "GuardError": ".guard", "check_read_only": ".guard", "is_sql": ".guard",
    "NotUnderstood": ".nl", "Vocabulary": ".nl", "parse": ".nl"})

__all__ = ["GuardError", "NotUnderstood", "QueryError", "QueryResult", "ask", "check_read_only",
           "explain", "is_sql", "run_sql", "to_sql"]


def run_sql(workspace: Any, sql: str, *, write: bool = False, limit: int | None = None) -> QueryResult:
    """Run the user's ``sql`` on a fresh cursor of ``workspace``; read-only unless ``write``."""
    from .engine import run_query

    cur = workspace.cursor()
    try:
        return run_query(cur, sql, read_only=not write, limit=limit)
    finally:
        cur.close()


_VOCAB: dict[str, tuple[Any, Vocabulary]] = {}


def vocabulary(workspace: Any, cur: Any) -> Vocabulary:
    """The workspace's lexicon (stored in DuckDB, see :mod:`.lexicon`), cached per process
    until its row count or last time changes."""
    from .lexicon import load

    stamp = cur.execute("SELECT count(*), max(timestamp) FROM logs").fetchone()
    key = str(workspace.path)
    hit = _VOCAB.get(key)
    if hit is None or hit[0] != stamp:
        hit = (stamp, load(cur))
        _VOCAB[key] = hit
    return hit[1]


def _parse(workspace: Any, cur: Any, question: str, now: dt.datetime | None) -> Any:
    from .nl import parse

    return parse(question, vocabulary(workspace, cur), now=now)


def to_sql(workspace: Any, question: str, *, now: dt.datetime | None = None,
           model: Any = None) -> tuple[str, str]:
    """``(sql, origin)`` for a question: origin ``parser`` or ``model``; nothing is run.

    The parser's SQL starts with its reading as comments (``-- reading: ...``), so every
    surface that shows the SQL shows how the question was read above it. Raises
    :class:`NotUnderstood` when the parser refuses and no model is configured.
    """
    from .nl import NotUnderstood

    cur = workspace.cursor()
    try:
        try:
            return _parse(workspace, cur, question, now).annotated_sql, "parser"
        except NotUnderstood:
            if model is None:
                from .llm import make_model

                model = make_model(workspace.settings)
            if model is None:
                raise
        from .llm import generate_sql

        gen = generate_sql(model, question, cur, attempts=workspace.settings.sql_repair_attempts)
        return gen.sql, "model"
    finally:
        cur.close()


def ask(workspace: Any, question: str, *, now: dt.datetime | None = None, model: Any = None,
        limit: int | None = None) -> QueryResult:
    """Answer a plain-English question with generated, guarded, read-only SQL.

    ``notes`` of the result start with the parser's reading; an empty or zero answer gets
    a note naming the condition that removed every row and what the data holds instead.
    """
    from .engine import run_query
    from .nl import NotUnderstood

    cur = workspace.cursor()
    try:
        parsed = _parse(workspace, cur, question, now)
    except NotUnderstood:
        parsed = None
        if model is None:
            from .llm import make_model

            if make_model(workspace.settings) is None:
                cur.close()
                raise
    if parsed is None:
        cur.close()
        sql, origin = to_sql(workspace, question, now=now, model=model)
        cur = workspace.cursor()
    else:
        sql, origin = parsed.annotated_sql, "parser"
    try:
        result = run_query(cur, sql, read_only=True, generated=True, limit=limit,
                           origin=origin, question=question)
        if parsed is not None:
            from .nl_sql import diagnose, is_empty

            result.notes[:0] = ["reading: " + parsed.reading] + parsed.notes
            if is_empty(result.frame):
                result.notes += diagnose(cur, parsed, vocabulary(workspace, cur))
        return result
    finally:
        cur.close()
