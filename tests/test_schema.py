"""The golden standard: validation with clear errors, one field list for every engine."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from logpilot_kernel.errors import ValidationError
from logpilot_kernel.schema import (ARROW_SCHEMA, FIELD_NAMES, SEVERITIES, LogRecord, logs_ddl,
                                    normalize_severity, records_to_arrow, severity_sql_case)


def _record(**over):
    base = dict(timestamp="2024-05-30T12:00:00+02:00", severity="warning", service_name="checkout",
                body="payment <*> failed", template_id="T1", message="payment 42 failed",
                source="demo", origin="/logs/checkout.jsonl", origin_offset=7,
                context={"order_id": 42})
    base.update(over)
    return LogRecord(**base)


def test_validate_normalises_time_to_utc_and_severity_keeping_the_original() -> None:
    r = _record().validate()
    assert r.timestamp == dt.datetime(2024, 5, 30, 10, 0)
    assert r.timestamp.tzinfo is None
    assert r.severity == "WARN"
    assert r.context["severity_raw"] == "warning"


@pytest.mark.parametrize("field,value,expected", [
    ("severity", "loud", "severity"),
    ("timestamp", "yesterday-ish", "timestamp"),
    ("service_name", "", "service_name"),
    ("origin_offset", -1, "origin_offset"),
    ("context", {"x": object()}, "context"),
])
def test_invalid_fields_are_named_in_the_error(field, value, expected) -> None:
    with pytest.raises(ValidationError) as info:
        _record(**{field: value}).validate()
    assert info.value.field == expected
    assert expected in str(info.value)


@pytest.mark.parametrize("raw,norm", [("E", "ERROR"), ("crit", "FATAL"), ("notice", "INFO"),
                                      ("WARNING", "WARN"), ("3", "ERROR"), (None, "INFO"),
                                      ("debug2", "DEBUG"), ("Trace", "TRACE")])
def test_severity_spellings(raw, norm) -> None:
    assert normalize_severity(raw) == norm


def test_sql_severity_mapping_agrees_with_python(workspace) -> None:
    spellings = ["E", "crit", "notice", "warning", "3", "fatal", "weird", "INFO", "panic"]
    rows = workspace.con.execute(
        f"SELECT s, {severity_sql_case('s')} FROM unnest(?) t(s)", [spellings]).fetchall()
    assert {s: n for s, n in rows} == {s: normalize_severity(s) for s in spellings}
    assert set(n for _, n in rows) <= set(SEVERITIES)


def test_arrow_schema_ddl_and_dataclass_share_one_field_list(workspace) -> None:
    assert ARROW_SCHEMA.names == list(FIELD_NAMES)
    cols = [r[0] for r in workspace.con.execute("DESCRIBE logs").fetchall()]
    assert cols == list(FIELD_NAMES)
    assert "PRIMARY KEY" not in logs_ddl()  # uniqueness is the loaders' job (see logs_ddl)


def test_record_round_trips_through_duckdb(workspace) -> None:
    batch = records_to_arrow([_record()])
    assert isinstance(batch, pa.Table) and batch.schema == ARROW_SCHEMA
    workspace.con.register("batch", batch)
    workspace.con.execute("INSERT INTO logs SELECT * FROM batch")
    row = workspace.con.execute("SELECT * FROM logs").to_arrow_table().to_pylist()[0]
    back = LogRecord.from_row(row)
    assert back.context == {"order_id": 42, "severity_raw": "warning"}
    assert back.origin_offset == 7 and back.severity == "WARN"
    assert workspace.con.execute("SELECT context->>'order_id' FROM logs").fetchone()[0] == "42"
