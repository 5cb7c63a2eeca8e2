"""The model tier of plain English -> SQL: a grounded prompt, EXPLAIN validation, repair.

Why grounded: a model that has not seen the table guesses column names and values
(``level = 'error'``, ``service = 'Payments'``). The prompt carries the columns, the JSON
keys in ``context`` per service and the actual ``service_name`` and ``severity`` values.
Why validate: the SQL must plan (``EXPLAIN``) before it runs; when it does not, DuckDB's
one-line error goes back to the model, up to ``LogPilot.sql_repair_attempts`` times.
Generated SQL always passes the read-only guard; output that is not a read-only query is
refused, never repaired into something that runs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..errors import LogPilotError
from .engine import validate
from .guard import GuardError, check_read_only

SYSTEM = (
    "You translate questions about logs into ONE read-only DuckDB SQL query. "
    "Answer with the SQL only (no prose), in a ```sql block. Use only the tables, "
    "columns, JSON keys and values listed. JSON fields are read with context->>'key'. "
    "Times are naive UTC TIMESTAMPs in column timestamp. Aggregate in SQL."
)


class ModelError(LogPilotError):
    """The model could not produce valid SQL within the repair budget, or none is set."""


@dataclass
class Generation:
    """What the model tier did: the final SQL and every attempt with its error."""

    sql: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    prompt: str = ""


def grounding(cur: duckdb.DuckDBPyConnection, max_keys: int = 40) -> str:
    """Schema text for the prompt: columns, views, context keys per service, real values."""
    from .schema_info import context_keys_by_source, describe_tables

    lines = ["Tables and views (column TYPE):"]
    for table, cols in describe_tables(cur).items():
        lines.append(f"- {table}(" + ", ".join(f"{c} {t}" for c, t in cols) + ")")
    services = [r[0] for r in cur.execute(
        "SELECT service_name FROM logs GROUP BY 1 ORDER BY count(*) DESC LIMIT 100").fetchall()]
    severities = [r[0] for r in cur.execute(
        "SELECT DISTINCT severity FROM logs ORDER BY 1").fetchall()]
    lines.append("service_name values: " + ", ".join(repr(s) for s in services))
    lines.append("severity values: " + ", ".join(repr(s) for s in severities)
                 + " (errors = 'ERROR' or 'FATAL')")
    keys = context_keys_by_source(cur, by="service_name")
    if keys:
        lines.append("JSON keys in logs.context per service (fraction of rows):")
        for svc, found in keys.items():
            shown = ", ".join(f"{k} {f:.0%}" for k, f in list(found.items())[:max_keys])
            lines.append(f"- {svc}: {shown}")
    return "\n".join(lines)


def build_messages(question: str, ground: str) -> list[tuple[str, str]]:
    """The chat messages of the first attempt (system + grounded user turn)."""
    return [("system", SYSTEM), ("human", f"{ground}\n\nQuestion: {question}\nSQL:")]


_FENCE = re.compile(r"```(?:sql|duckdb)?\s*(.*?)```", re.DOTALL | re.IGNORECASE)


def extract_sql(text: str) -> str:
    """The SQL inside a model answer (a fenced block if there is one, else the text)."""
    m = _FENCE.search(text)
    sql = m.group(1) if m else text
    return sql.strip().rstrip(";").strip()


def _content(reply: Any) -> str:
    content = getattr(reply, "content", reply)
    if isinstance(content, list):
        content = "".join(part.get("text", "") if isinstance(part, dict) else str(part)
                          for part in content)
    return str(content)


def make_model(settings: Any) -> Any:
    """The chat model named by ``LogPilot.llm`` (LangChain ``init_chat_model``), or None."""
    if not getattr(settings, "llm", ""):
        return None
    from langchain.chat_models import init_chat_model

    kwargs: dict[str, Any] = {"timeout": settings.llm_timeout}
    if settings.llm_base_url:
        kwargs["base_url"] = settings.llm_base_url
    try:
        return init_chat_model(settings.llm, **kwargs)
    except Exception as exc:  # provider packages raise their own types
        raise ModelError(f"cannot create model {settings.llm!r}: {exc}") from None


def generate_sql(model: Any, question: str, cur: duckdb.DuckDBPyConnection,
                 attempts: int = 2) -> Generation:
    """Ask ``model`` for SQL answering ``question``; validate and repair up to ``attempts``.

    Raises :class:`GuardError` if the model answers with anything but one read-only query
    and :class:`ModelError` if the SQL still fails to plan after the repairs.
    """
    ground = grounding(cur)
    messages: list[tuple[str, str]] = build_messages(question, ground)
    gen = Generation(sql="", prompt=messages[-1][1])
    for attempt in range(attempts + 1):
        try:
            reply = _content(model.invoke(messages))
        except Exception as exc:
            raise ModelError(f"the model call failed: {exc}") from None
        sql = extract_sql(reply)
        try:
            check_read_only(sql, generated=True)
            error = validate(cur, sql)
        except GuardError:
            gen.attempts.append({"sql": sql, "error": "refused by the read-only guard"})
            raise
        except duckdb.Error as exc:
            error = str(exc).splitlines()[0]
        gen.attempts.append({"sql": sql, "error": error})
        if error is None:
            gen.sql = sql
            return gen
        if attempt < attempts:
            messages = messages + [("ai", reply), ("human", (
                f"DuckDB refused that SQL: {error}\nReturn the corrected SQL only."))]
    raise ModelError(f"the model's SQL did not validate after {attempts} repair(s): "
                     f"{gen.attempts[-1]['error']}")
