"""The golden standard: the one record shape every source is normalised into.

Every ingestion path (bulk files, Kafka stream, scale-out workers) produces rows of this
shape, so that SQL, the why-engine and the dashboards never care where a line came from.
The same field list drives the Python dataclass, the Arrow schema used for Parquet and the
DuckDB DDL, which keeps the three from drifting apart.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any, Mapping

import pyarrow as pa

from .errors import ValidationError
from .isotime import to_utc

#: Normalised severities, in increasing order of gravity.
SEVERITIES: tuple[str, ...] = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")

#: How source spellings map onto the normalised levels. Data, not code, so the registry
#: and SQL can reuse it (see :func:`severity_sql_case`). Keys are lower-case.
SEVERITY_ALIASES: dict[str, str] = {
    "trace": "TRACE", "finest": "TRACE", "finer": "TRACE", "verbose": "TRACE",
    "debug": "DEBUG", "dbg": "DEBUG", "fine": "DEBUG", "debug1": "DEBUG", "debug2": "DEBUG",
    "debug3": "DEBUG", "debug4": "DEBUG", "debug5": "DEBUG", "7": "DEBUG",
    "d1": "DEBUG", "d2": "DEBUG", "d3": "DEBUG", "d4": "DEBUG", "d5": "DEBUG",
    "info": "INFO", "information": "INFO", "informational": "INFO", "notice": "INFO",
    "log": "INFO", "statement": "INFO", "note": "INFO", "config": "INFO", "i": "INFO",
    "6": "INFO", "5": "INFO", "ok": "INFO", "success": "INFO",
    "warn": "WARN", "warning": "WARN", "w": "WARN", "4": "WARN",
    "error": "ERROR", "err": "ERROR", "e": "ERROR", "severe": "ERROR", "failure": "ERROR",
    "3": "ERROR", "exception": "ERROR",
    "fatal": "FATAL", "critical": "FATAL", "crit": "FATAL", "alert": "FATAL",
    "emerg": "FATAL", "emergency": "FATAL", "panic": "FATAL", "f": "FATAL", "0": "FATAL",
    "1": "FATAL", "2": "FATAL", "failed": "ERROR",
    # level phrases (several words before a ':', read whole by rule induction)
    "fatal error": "FATAL", "parse error": "FATAL", "recoverable fatal error": "ERROR",
    "catchable fatal error": "ERROR", "deprecated": "WARN",
}


def normalize_severity(raw: str | None, default: str = "INFO") -> str:
    """Map a source's spelling (``warning``, ``E``, ``crit``, syslog numbers) to a level.

    Unknown spellings fall back to ``default`` rather than failing: a new spelling in an
    archive must not stop a load; the original is kept in ``context.severity_raw``.
    """
    if raw is None:
        return default
    key = str(raw).strip().lower()
    if not key:
        return default
    if key.upper() in SEVERITIES:
        return key.upper()
    return SEVERITY_ALIASES.get(key, default)


def severity_sql_case(expr: str, default: str = "INFO") -> str:
    """The same mapping as :func:`normalize_severity`, as a DuckDB expression over ``expr``.

    Vectorised ingestion normalises millions of rows inside DuckDB; generating the CASE
    from :data:`SEVERITY_ALIASES` keeps Python and SQL in agreement.
    """
    low = f"lower(trim(CAST({expr} AS VARCHAR)))"
    arms = [f"WHEN {low} = '{s.lower()}' THEN '{s}'" for s in SEVERITIES]
    arms += [f"WHEN {low} = '{k}' THEN '{v}'" for k, v in SEVERITY_ALIASES.items()]
    return f"(CASE {' '.join(arms)} ELSE '{default}' END)"


@dataclass(frozen=True)
class Field:
    """One golden field: its name, types in each engine, and what it means."""

    name: str
    duckdb_type: str
    arrow_type: pa.DataType
    nullable: bool
    doc: str


FIELDS: tuple[Field, ...] = (
    Field("timestamp", "TIMESTAMP", pa.timestamp("us"), False,
          "Event time in UTC (naive TIMESTAMP holding UTC). Parsed from the line; "
          "lines with no time take the time of the previous record or of the file."),
    Field("severity", "VARCHAR", pa.string(), False,
          "One of TRACE, DEBUG, INFO, WARN, ERROR, FATAL. The original spelling is kept "
          "in context.severity_raw."),
    Field("service_name", "VARCHAR", pa.string(), False,
          "Logical service (checkout, postgres, firewall...). From the record, the rule's "
          "default, the path, or the program name in syslog."),
    Field("trace_id", "VARCHAR", pa.string(), True,
          "Distributed-trace / request id when the record carries one; joins rows across "
          "services."),
    Field("body", "VARCHAR", pa.string(), False,
          "The template of the message, variables replaced by <*>."),
    Field("template_id", "VARCHAR", pa.string(), False,
          "Stable id of the template within the workspace (key of the templates table and "
          "of the Chroma collection)."),
    Field("message", "VARCHAR", pa.string(), False,
          "The raw message text (the part after the header), as read."),
    Field("context", "JSON", pa.string(), False,
          "JSON object of dynamic fields (src_ip, status, tx_id, ...), template "
          "parameters under 'params', and parse notes (severity_raw, bad_utf8)."),
    Field("source", "VARCHAR", pa.string(), False,
          "The stream of logs this row belongs to (e.g. gateway-access, firewall), "
          "named by the user or by the detected format."),
    Field("host", "VARCHAR", pa.string(), True,
          "Host that emitted the record when known."),
    Field("origin", "VARCHAR", pa.string(), False,
          "Provenance: file path (archive members as 'archive!member') or "
          "'kafka://topic/partition'."),
    Field("origin_offset", "BIGINT", pa.int64(), False,
          "Provenance: 1-based line number of the record's first line in origin, or the "
          "Kafka offset. (origin, origin_offset) is unique."),
)

FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)

#: Context keys the readers write as bookkeeping, never data of the record: the rule that
#: read it, the raw level and where a level or time came from, why a time was refused,
#: the template's parameters and quality, undecodable bytes. One table for every reader of
#: context (the NL lexicon does not offer them as fields, the why-engine does not offer
#: them as explanations, Discover lists them apart), so a note added by the parser is
#: added here once (``tests/test_note_keys.py`` checks the readers against it).
NOTE_KEYS: tuple[str, ...] = (
    "params", "_rule", "severity_raw", "severity_source", "ts_note", "ts_source", "ts_date",
    "ts_rejected", "bad_utf8", "template_quality",
)

#: Arrow schema of a golden row batch (Parquet archive and DuckDB bulk inserts).
ARROW_SCHEMA: pa.Schema = pa.schema(
    [pa.field(f.name, f.arrow_type, nullable=f.nullable) for f in FIELDS]
)


def logs_ddl(table: str = "logs") -> str:
    """DDL of the golden table.

    ``(origin, origin_offset)`` is unique, but the loaders enforce it (an anti-join on the
    provenance of the origin being loaded) rather than a PRIMARY KEY: DuckDB keeps a key's
    ART index in memory and checks it on every insert, which made bulk loads 2.6x slower
    and memory grow with the table (measured; see docs/architecture.md).
    """
    cols = ",\n  ".join(
        f"{f.name} {f.duckdb_type}{'' if f.nullable else ' NOT NULL'}" for f in FIELDS
    )
    return f"CREATE TABLE IF NOT EXISTS {table} (\n  {cols}\n)"


def _utc(ts: Any) -> dt.datetime:
    if not isinstance(ts, (str, dt.datetime)) or ts == "":
        raise ValidationError("timestamp", ts, "a datetime or ISO-8601 string")
    return to_utc(ts, what="timestamp")  # type: ignore[return-value]  # not None: ts is not empty


@dataclass
class LogRecord:
    """One golden row. Construct it, call :meth:`validate`, and it is safe to store."""

    timestamp: dt.datetime
    severity: str
    service_name: str
    body: str
    template_id: str
    message: str
    source: str
    origin: str
    origin_offset: int
    trace_id: str | None = None
    host: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    def validate(self) -> "LogRecord":
        """Check and normalise in place; raise :class:`ValidationError` naming the field.

        Times become naive UTC, severities their normal spelling (the original kept in
        context), so a record that validates can go to any engine unchanged.
        """
        self.timestamp = _utc(self.timestamp)
        if self.severity not in SEVERITIES:
            norm = normalize_severity(self.severity, default="")
            if not norm:
                raise ValidationError("severity", self.severity, ", ".join(SEVERITIES))
            self.context.setdefault("severity_raw", self.severity)
            self.severity = norm
        for name in ("service_name", "source", "origin", "template_id"):
            value = getattr(self, name)
            if not isinstance(value, str) or not value:
                raise ValidationError(name, value, "a non-empty string")
        for name in ("body", "message"):
            if not isinstance(getattr(self, name), str):
                raise ValidationError(name, getattr(self, name), "a string")
        if not isinstance(self.origin_offset, int) or self.origin_offset < 0:
            raise ValidationError("origin_offset", self.origin_offset, "an integer >= 0")
        if not isinstance(self.context, Mapping):
            raise ValidationError("context", self.context, "a JSON object (dict)")
        try:
            json.dumps(self.context)
        except (TypeError, ValueError) as exc:
            raise ValidationError("context", self.context, "JSON-serialisable values") from exc
        return self

    def to_row(self) -> dict[str, Any]:
        """The record as a dict in golden column order, context serialised as JSON text."""
        row = {name: getattr(self, name) for name in FIELD_NAMES}
        row["context"] = json.dumps(self.context, separators=(",", ":"), sort_keys=True)
        return row

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> "LogRecord":
        """Rebuild a record from a DuckDB/Parquet row (context as JSON text or dict)."""
        missing = [n for n in FIELD_NAMES if n not in row]
        if missing:
            raise ValidationError(missing[0], None, "present in the row")
        ctx = row["context"]
        if isinstance(ctx, str):
            ctx = json.loads(ctx) if ctx else {}
        kwargs = {n: row[n] for n in FIELD_NAMES if n != "context"}
        return cls(context=dict(ctx), **kwargs).validate()


def records_to_arrow(records: list[LogRecord]) -> pa.Table:
    """Validated records as an Arrow table in :data:`ARROW_SCHEMA` (for small writes)."""
    rows = [r.validate().to_row() for r in records]
    cols = {n: [row[n] for row in rows] for n in FIELD_NAMES}
    return pa.Table.from_pydict(cols, schema=ARROW_SCHEMA)
