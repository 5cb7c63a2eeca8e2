"""JSON keys with backslashes, quotes, dots and other odd characters read the right value in
a real DuckDB (issue 17 item 7): ``sqlgen._json_path`` escapes per DuckDB's JSONPath rules
(a backslash escapes ``"`` and ``\\`` inside a quoted step) and falls back to a JSON Pointer
for an empty key, which JSONPath cannot spell. Before, a key with a backslash made the
whole chunk's SQL fail (every record quarantined) or read another key.
"""

from __future__ import annotations

import json

import duckdb
import pyarrow as pa
import pytest

from logpilot_kernel.ingest.enrich import parse_records
from logpilot_kernel.ingest.readers import RECORD_SCHEMA
from logpilot_kernel.ingest.registry.model import Rule
from logpilot_kernel.ingest.registry.sqlgen import _json_path

HOSTILE = ['a"b', "a\\b", 'a\\"b', "a\\", "\\", '"', 'x"', "a\\\\b", "a.b", "a[0]", "a$b", "it's",
           "a b", "line\nbreak", "é.ü", "", "a/b~c", "'; DROP TABLE logs; --", "{}", "a..b", ".a"]


@pytest.mark.parametrize("key", HOSTILE)
def test_the_literal_path_reads_exactly_that_key(key: str) -> None:
    con = duckdb.connect()
    decoys = {k: f"decoy {i}" for i, k in enumerate(HOSTILE) if k != key}
    doc = json.dumps({**decoys, key: "hit"})
    literal = _json_path(key)[0]
    assert con.execute("SELECT json_extract_string(?, ?)", [doc, literal]).fetchone()[0] == "hit"
    assert con.execute("SELECT json_extract_string(?, ?)", [json.dumps(decoys), literal]).fetchone()[0] is None


@pytest.mark.parametrize("key", [k for k in HOSTILE if "." in k])
def test_the_nested_reading_of_a_dotted_key_follows_its_parts(key: str) -> None:
    con = duckdb.connect()
    paths = _json_path(key)
    assert len(paths) == 2
    doc: object = "nested"
    for part in reversed(key.split(".")):
        doc = {part: doc}
    got = con.execute("SELECT json_extract_string(?, ?)", [json.dumps(doc), paths]).fetchone()[0]
    assert got == [None, "nested"] or key.split(".")[0] == key  # the literal key is absent here
    both = con.execute("SELECT json_extract_string(?, ?)",
                       [json.dumps({key: "flat", **doc}), paths]).fetchone()[0]  # type: ignore[dict-item]
    assert both == ["flat", "nested"]


def test_a_json_rule_with_hostile_aliases_parses_every_record() -> None:
    """Through the parser: the aliases become one multi-path extract; all rows, right fields."""
    rule = Rule(name="hostile_json", kind="json", timestamp_formats=["%Y-%m-%dT%H:%M:%S"], key_aliases={
        "message": ['m"s\\g'], "severity": ["lv\\l"], "service": ["svc.name"], "timestamp": ["t.s"],
        "host": ['h"'], "trace_id": ["tr[0]"]})
    records = [{'m"s\\g': f"disk {i} slow", "lv\\l": "WARN", "svc": {"name": "billing"},
                "t.s": f"2024-05-01T00:00:{i:02d}Z", 'h"': "node-1", "tr[0]": f"t{i}", "other\\key": i}
               for i in range(5)]
    raw = [json.dumps(r) for r in records]
    chunk = pa.table({"origin": ["f.json"] * 5, "origin_offset": list(range(1, 6)), "raw": raw,
                      "n_lines": [1] * 5, "bad_utf8": [False] * 5}, schema=RECORD_SCHEMA)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    out = parse_records(con, chunk, rule, source="s")
    assert out.quarantine.num_rows == 0, out.quarantine.column("reason").to_pylist()
    rows = out.rows.to_pylist()
    assert [r["message"] for r in rows] == [f"disk {i} slow" for i in range(5)]
    assert {r["severity"] for r in rows} == {"WARN"} and {r["service_name"] for r in rows} == {"billing"}
    assert {r["host"] for r in rows} == {"node-1"} and [r["trace_id"] for r in rows] == [f"t{i}" for i in range(5)]
    assert [r["timestamp"].second for r in rows] == list(range(5))
    assert all(json.loads(r["context"]).get("other\\key") == i for i, r in enumerate(rows)), rows[0]["context"]
