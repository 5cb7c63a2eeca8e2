"""Registry, detection and vectorised parsing into golden columns (real DuckDB, no mocks)."""

from __future__ import annotations

import datetime as dt
import json
import pathlib

import duckdb
import pyarrow as pa
import pytest

from logpilot_kernel.errors import LogPilotError
from logpilot_kernel.ingest.enrich import ROW_COLUMNS, parse_records, service_from_origin
from logpilot_kernel.ingest.readers import expand_inputs, read_records
from logpilot_kernel.ingest.registry.sqlgen import json_top_keys
from logpilot_kernel.ingest.registry import (
    SEVERITY_WORDS, Registry, Rule, RuleError, UnknownRuleError,
)
from logpilot_kernel.schema import SEVERITIES

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REG = Registry()
T = dt.datetime


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET threads = 1")
    yield c
    c.close()


def chunk(lines: list[str], origin: str = "/srv/logs/checkout/app.log", bad: list[bool] | None = None) -> pa.Table:
    n = len(lines)
    return pa.table({
        "origin": pa.array([origin] * n, pa.string()),
        "origin_offset": pa.array(range(1, n + 1), pa.int64()),
        "raw": pa.array(lines, pa.string()),
        "n_lines": pa.array([ln.count("\n") + 1 for ln in lines], pa.int32()),
        "bad_utf8": pa.array(bad or [False] * n),
    })


def parse(con, lines, rule, **kw):
    kw.setdefault("source", "src")
    res = parse_records(con, chunk(lines, **({"origin": kw.pop("origin")} if "origin" in kw else {})),
                        REG.get(rule) if isinstance(rule, str) else rule, registry=REG, **kw)
    rows = res.rows.to_pylist()
    for r in rows:
        r["context"] = json.loads(r["context"])
    return rows, res.quarantine.to_pylist()


# --- builtins -------------------------------------------------------------------------

@pytest.mark.parametrize("rule", [r.name for r in REG.list()])
def test_every_builtin_parses_its_own_examples(rule):
    r = REG.get(rule)
    assert len(r.examples) >= 2 and r.description
    result = REG.test(r, r.examples)
    for line in result.results:
        assert line.matched and line.reason is None, (line.line, line.reason)
        f = line.fields
        assert f["timestamp"] is not None and f["severity"] in SEVERITIES
        assert f["context"]["_rule"] == rule


# rule, example index, expected golden fields (subset), expected context (subset)
EXPECTED = [
    ("json_lines", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13, 120000), severity="ERROR", service_name="checkout",
                           trace_id="7f3a9c2e11d04b8a", message="payment declined"), {"order_id": 4711}),
    ("json_lines", 1, dict(timestamp=T(2024, 3, 5, 10, 22, 14, 500000), severity="WARN", service_name="billing"), {"attempt": 3}),
    ("json_lines", 2, dict(timestamp=T(2024, 3, 5, 10, 22, 15), severity="INFO", message="listening"), {"port": 8080}),
    ("logfmt", 1, dict(timestamp=T(2024, 3, 5, 10, 22, 14), severity="ERROR", trace_id="4bf92f3577b34da6",
                       message="query failed"), {"err": "context deadline exceeded", "caller": "db.go:88"}),
    ("syslog_rfc5424", 1, dict(timestamp=T(2024, 3, 5, 10, 22, 15), severity="ERROR", service_name="pgbouncer",
                               host="db-01"), {"pid": 771}),
    ("ufw_iptables", 0, dict(severity="WARN", service_name="firewall", host="gw01"),
     {"SRC": "203.0.113.45", "DST": "10.0.0.12", "PROTO": "TCP", "SPT": 51544, "DPT": 22, "action": "BLOCK",
      "severity_raw": "BLOCK"}),
    ("ufw_iptables", 1, dict(severity="INFO"), {"action": "ALLOW", "DPT": 443}),
    ("ufw_iptables", 2, dict(severity="WARN", host="edge2"), {"PROTO": "UDP", "DPT": 161}),
    ("cisco_asa", 0, dict(severity="WARN", service_name="firewall", host="fw-edge"), {"message_id": 106023}),
    ("cisco_asa", 1, dict(timestamp=T(2024, 3, 5, 10, 22, 14), severity="INFO"), {}),
    ("openssh_auth", 0, dict(severity="ERROR", service_name="sshd", host="bastion"), {"pid": 2231}),
    ("openssh_auth", 1, dict(severity="INFO", service_name="sshd"), {}),
    ("syslog_rfc3164", 0, dict(severity="INFO", service_name="systemd", host="web-03",
                               message="Started Daily apt download activities."), {"pid": 1}),
    ("syslog_rfc3164", 1, dict(severity="ERROR", service_name="kernel"), {}),
    ("nginx_access", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13), severity="INFO", service_name="test"),
     {"status": 200, "method": "GET", "path": "/api/cart?id=42", "severity_raw": "200"}),
    ("nginx_access", 1, dict(timestamp=T(2024, 3, 5, 10, 22, 14), severity="ERROR"), {"remote_user": "alice"}),
    ("apache_access", 0, dict(timestamp=T(2023, 10, 10, 20, 55, 36), severity="INFO", service_name="test"), {"bytes": 2326}),
    ("apache_access", 1, dict(severity="WARN"), {"status": 404}),
    ("nginx_error", 0, dict(severity="ERROR", service_name="test"), {"connection": 5678}),
    ("apache_error", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13, 123456), severity="ERROR"),
     {"module": "core", "error_code": "AH00037", "client": "203.0.113.9:51234"}),
    ("apache_error", 1, dict(severity="INFO"), {"severity_raw": "notice"}),
    ("log4j", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13, 123000), severity="ERROR",
                      message="Payment failed for order 4711"), {"thread": "http-nio-8080-exec-4"}),
    ("log4j", 1, dict(timestamp=T(2024, 3, 5, 9, 22, 14, 456000), severity="INFO"), {}),
    ("logback", 1, dict(severity="ERROR"), {"logger": "c.a.inventory.Db"}),
    ("python_logging", 1, dict(severity="WARN"), {"logger": "urllib3.connectionpool", "severity_raw": "WARNING"}),
    ("python_basic", 0, dict(severity="ERROR", message="connection to 10.0.0.5:5432 lost"), {"logger": "app.db"}),
    ("postgresql", 1, dict(severity="ERROR", service_name="postgres"), {"user_db": "app@shop", "pid": 5120}),
    ("postgresql", 2, dict(timestamp=T(2024, 3, 5, 10, 22, 14, 552000), severity="INFO"), {"severity_raw": "DETAIL"}),
    ("mysql_error", 1, dict(severity="WARN", service_name="mysql"), {"error_code": "MY-010055"}),
    ("mysql_error", 3, dict(timestamp=T(2024, 3, 5, 10, 22, 16), severity="ERROR"), {}),
    ("windows_cbs", 0, dict(timestamp=T(2016, 9, 28, 4, 30, 30), severity="INFO", service_name="CBS"), {}),
    ("windows_cbs", 1, dict(severity="ERROR", service_name="CSI"), {}),
    ("hdfs", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13), severity="INFO", service_name="hdfs"),
     {"component": "dfs.DataNode$DataXceiver", "pid": 1431}),
    ("hadoop", 1, dict(severity="WARN", service_name="hadoop"), {"thread": "LeaseRenewer:hdfs@nn1:8020"}),
    ("spark", 1, dict(timestamp=T(2024, 3, 5, 10, 22, 15), severity="ERROR", service_name="spark"), {}),
    ("zookeeper", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13, 747000), severity="INFO"),
     {"component": "FastLeaderElection", "line": 774}),
    ("bgl", 1, dict(severity="FATAL", host="R30-M1-N9-C:J16-U01", message="data TLB error interrupt"), {"label": "KERNDTLB"}),
    ("generic", 0, dict(timestamp=T(2024, 3, 5, 10, 22, 13), severity="INFO", message="backup job finished, 12 files"), {}),
    ("generic", 1, dict(severity="ERROR"), {}),
]


@pytest.mark.parametrize("rule,idx,fields,context", EXPECTED, ids=[f"{e[0]}-{e[1]}" for e in EXPECTED])
def test_builtin_examples_give_expected_golden_fields(rule, idx, fields, context):
    line = REG.get(rule).examples[idx]
    res = REG.test(rule, [line]).results[0]
    assert res.matched
    for k, v in fields.items():
        assert res.fields[k] == v, (k, res.fields[k])
    for k, v in context.items():
        assert res.fields["context"][k] == v, (k, res.fields["context"])


def test_every_fixture_format_has_a_builtin():
    names = {r.name for r in REG.list()}
    for required in ("syslog_rfc3164", "syslog_rfc5424", "nginx_access", "apache_access", "nginx_error",
                     "apache_error", "json_lines", "logfmt", "log4j", "python_logging", "postgresql",
                     "mysql_error", "ufw_iptables", "cisco_asa", "openssh_auth", "windows_cbs", "hdfs",
                     "hadoop", "spark", "zookeeper", "bgl", "generic"):
        assert required in names


# --- detection ------------------------------------------------------------------------

DETECT = {
    "apache_access.log": "apache_access", "apache_error.log": "apache_error", "auth.log": "openssh_auth",
    "bgl.log": "bgl", "cbs.log": "windows_cbs", "cisco_asa.log": "cisco_asa", "hadoop.log": "hadoop",
    "hdfs.log": "hdfs", "json_lines.log": "json_lines", "log4j.log": "log4j", "logback.log": "logback",
    "logfmt.log": "logfmt", "mysql_error.log": "mysql_error", "nginx_access.log": "nginx_access",
    "nginx_error.log": "nginx_error", "postgresql.log": "postgresql", "python_app.log": "python_logging",
    "python_basic.log": "python_basic", "spark.log": "spark", "syslog.log": "syslog_rfc3164",
    "syslog_rfc5424.log": "syslog_rfc5424", "ufw.log": "ufw_iptables", "zookeeper.log": "zookeeper",
}


def test_every_fixture_has_a_detection_expectation():
    assert set(DETECT) | {"mixed.log"} == {p.name for p in FIXTURES.glob("*.log")}


@pytest.mark.parametrize("fixture,rule", sorted(DETECT.items()))
def test_detection_picks_the_right_rule(fixture, rule):
    det = REG.detect((FIXTURES / fixture).read_text().splitlines())
    assert det.rule.name == rule, det.scores[:4]
    assert det.confidence >= 0.8
    assert det.scores[0][0] == rule or det.scores[0][1] == det.confidence


@pytest.mark.parametrize("lines", [[], ["", "   "], ["\x00\x01\x02garbage", "%%%%", "{not json"],
                                   ["just words here", "more words there", "no times at all"]])
def test_detection_falls_back_to_generic_with_low_confidence(lines):
    det = REG.detect(lines)
    assert det.rule.name == "generic" and det.confidence <= 0.3


# --- user rules ---------------------------------------------------------------------------

GATEWAY = {
    "name": "gateway",
    "pattern": r"^(?P<timestamp>\d{2}\.\d{2}\.\d{4} \d{2}:\d{2}:\d{2}) \| (?P<severity>\w+) \| (?P<service>[\w-]+) \| (?P<route>\S+) \| (?P<message>.*)$",
    "timestamp_formats": ["%d.%m.%Y %H:%M:%S"],
    "timezone": "Europe/Berlin",
    "severity_map": {"OOPS": "ERROR"},
    "examples": ["05.03.2024 11:22:13 | OOPS | edge-gw | /api/cart | upstream reset"],
}


def test_user_rule_add_persist_reload_test_remove(tmp_path):
    path = tmp_path / "ws" / "rules.json"
    reg = Registry(path)
    rule = reg.add(GATEWAY)
    assert rule.name == "gateway" and path.exists()
    assert reg.list()[0].name == "gateway"
    again = Registry(path)
    assert again.get("gateway").pattern == GATEWAY["pattern"]
    result = again.test("gateway", ["05.03.2024 11:22:13 | OOPS | edge-gw | /api/cart | upstream reset",
                                    "05.07.2024 11:22:13 | INFO | edge-gw | /health | ok",
                                    "this is not it"])
    a, b, c = result.results
    assert a.fields["timestamp"] == T(2024, 3, 5, 10, 22, 13)  # Berlin winter time, UTC+1
    assert b.fields["timestamp"] == T(2024, 7, 5, 9, 22, 13)   # summer time, UTC+2
    assert a.fields["severity"] == "ERROR" and a.fields["service_name"] == "edge-gw"
    assert a.fields["context"]["route"] == "/api/cart"
    assert not c.matched and "did not match" in c.reason
    assert result.matched == 2
    again.remove("gateway")
    assert "gateway" not in Registry(path).names()
    with pytest.raises(RuleError):
        again.remove("syslog_rfc3164")


def test_user_rule_can_shadow_a_builtin(tmp_path):
    reg = Registry(tmp_path / "rules.json")
    spec = dict(REG.get("spark").to_dict(), default_service="etl-spark")
    reg.add(spec)
    assert reg.get("spark").default_service == "etl-spark"
    assert [r.name for r in reg.list()].count("spark") == 1


@pytest.mark.parametrize("change,needle", [
    ({"pattern": r"^(?P<timestamp>[0-9"}, "does not compile in Python"),
    ({"pattern": r"^(?P<message>.*)\Z"}, "DuckDB (RE2)"),
    ({"pattern": r"^(?P<message>(?=a).*)$"}, "lookaround"),
    ({"pattern": r"^(?P<word>\w+) (?P=word)$"}, "backreferences"),
    ({"pattern": r"^\d+ .*$"}, "no named groups"),
    ({"kind": "xml"}, "kind must be"),
    ({"severity_map": {"OOPS": "LOUD"}}, "severity 'LOUD'"),
    ({"examples": ["something else entirely"]}, "example does not parse"),
    ({"timestamp_formats": ["%Y/%m/%d"]}, "did not parse with formats"),
    ({"timezone": "Mars/Olympus_Mons"}, "unknown timezone"),
    ({"colour": "red"}, "unknown key 'colour'"),
    ({"name": "bad name!"}, "name must be"),
    ({"examples": []}, "at least one example"),
])
def test_bad_rules_are_rejected_with_a_clear_error(tmp_path, change, needle):
    reg = Registry(tmp_path / "rules.json")
    with pytest.raises(RuleError) as err:
        reg.add(dict(GATEWAY, **change))
    assert needle in str(err.value)
    assert isinstance(err.value, LogPilotError)
    assert not (tmp_path / "rules.json").exists()


def test_unknown_rule_suggests_names():
    with pytest.raises(UnknownRuleError) as err:
        REG.get("nginx_acess")
    assert isinstance(err.value, KeyError) and isinstance(err.value, LogPilotError)
    assert "nginx_access" in err.value.suggestions and "did you mean" in str(err.value)


def test_corrupt_rules_file_is_a_clear_error(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text("{not json")
    with pytest.raises(RuleError, match="cannot read user rules"):
        Registry(path)


# --- parse_records ------------------------------------------------------------------------

def test_rows_have_exactly_the_golden_columns(con):
    res = parse_records(con, chunk(REG.get("log4j").examples), REG.get("log4j"), source="checkout-java")
    assert tuple(res.rows.column_names) == ROW_COLUMNS
    assert res.rows.schema.field("timestamp").type == pa.timestamp("us")
    assert res.rows.schema.field("origin_offset").type == pa.int64()
    assert res.quarantine.column_names == ["origin", "origin_offset", "raw", "reason"]
    assert res.rows.column("source").to_pylist() == ["checkout-java"] * 2


def test_year_inference_from_file_mtime(con):
    mtime = T(2024, 1, 1, 0, 10, tzinfo=dt.timezone.utc).timestamp()
    rows, q = parse(con, ["Dec 31 23:59:00 host1 cron[1]: rotated", "Jan  1 00:05:00 host1 cron[1]: done"],
                    "syslog_rfc3164", file_mtime=mtime)
    assert [r["timestamp"] for r in rows] == [T(2023, 12, 31, 23, 59), T(2024, 1, 1, 0, 5)]
    assert q == []


def test_future_timestamps_are_kept_and_noted(con):
    rows, _ = parse(con, ['{"ts":"2999-01-01T00:00:00Z","msg":"from the future"}'], "json_lines")
    assert rows[0]["timestamp"] == T(2999, 1, 1) and rows[0]["context"]["ts_note"] == "future"


def test_missing_timestamps_inherit_then_take_the_file_time_never_quarantine(con):
    lines = ["2024-03-05 10:22:13,123 INFO [main] a.B - ok",
             "2024-13-45 99:99:99,000 INFO [main] a.B - impossible date"]
    rows, q = parse(con, lines, "log4j")
    assert rows[1]["timestamp"] == T(2024, 3, 5, 10, 22, 13, 123000)
    assert rows[1]["context"]["ts_note"] == "inherited" and rows[1]["context"]["ts_source"] == "inherited"
    assert rows[0]["context"]["ts_source"] == "line"
    mtime = T(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc).timestamp()
    rows, q = parse(con, list(reversed(lines)), "log4j", file_mtime=mtime)
    assert len(rows) == 2 and q == []
    assert rows[0]["timestamp"] == T(2024, 6, 1, 12, 0) and rows[0]["context"]["ts_source"] == "file_mtime"
    assert rows[0]["message"].endswith("impossible date")
    rows, q = parse(con, list(reversed(lines)), "log4j")  # no mtime: the load's time, "none"
    assert len(rows) == 2 and q == [] and rows[0]["context"]["ts_source"] == "none"


def test_mixed_formats_fall_back_to_other_builtins_then_generic(con):
    f = expand_inputs([FIXTURES / "mixed.log"])[0][0]
    ch = next(read_records(f))  # no multiline pattern: every line is a record
    res = parse_records(con, ch.table, REG.get("log4j"), source="mixed", registry=REG)
    rows = {r["origin_offset"]: r for r in res.rows.to_pylist()}
    rules = {k: json.loads(r["context"])["_rule"] for k, r in rows.items()}
    assert rules == {1: "log4j", 2: "json_lines", 3: "syslog_rfc3164", 4: "log4j", 5: "generic", 6: "log4j"}
    assert rows[2]["service_name"] == "envoy" and rows[2]["severity"] == "WARN"
    assert rows[3]["service_name"] == "systemd"
    assert json.loads(rows[5]["context"])["ts_note"] == "inherited"
    assert res.quarantine.num_rows == 0


def test_lines_without_any_time_become_rows_with_their_text(con):
    mtime = T(2024, 6, 1, 12, 0, tzinfo=dt.timezone.utc).timestamp()
    rows, q = parse(con, ["no time here", "nor here"], "log4j", file_mtime=mtime)
    assert q == [] and [r["message"] for r in rows] == ["no time here", "nor here"]
    assert {r["context"]["ts_source"] for r in rows} == {"file_mtime"}
    assert {r["timestamp"] for r in rows} == {T(2024, 6, 1, 12, 0)}


def test_broken_rule_quarantines_the_chunk_instead_of_raising(con):
    broken = Rule(name="broken", pattern=r"^(?P<message>.*)\Z", timestamp_formats=[])
    res = parse_records(con, chunk(["a", "b"]), broken, source="x", registry=REG)
    assert res.rows.num_rows == 0 and res.quarantine.num_rows == 2
    assert "broken" in res.quarantine.column("reason")[0].as_py()


def test_service_name_priority(con):
    assert service_from_origin("/srv/logs/checkout/app.log") == "checkout"
    assert service_from_origin("/var/log/syslog") is None
    assert service_from_origin("/data/dump.tar.gz!payments/2024/app.log") == "2024"
    assert service_from_origin("/data/dump.tar.gz!payments/app.log") == "payments"
    assert service_from_origin("/data/dump.zip!app.log") is None
    line = REG.get("log4j").examples[0]
    rows, _ = parse(con, [line], "log4j", origin="/srv/logs/checkout/app.log")
    assert rows[0]["service_name"] == "checkout"  # directory
    rows, _ = parse(con, [line], "log4j", origin="/var/log/app.log")
    assert rows[0]["service_name"] == "src"  # generic dirs skipped -> source
    rows, _ = parse(con, [REG.get("hdfs").examples[0]], "hdfs", origin="/srv/logs/checkout/x.log")
    assert rows[0]["service_name"] == "checkout"  # the user's folder beats a format's default
    rows, _ = parse(con, [REG.get("hdfs").examples[0]], "hdfs", origin="/var/log/x.log")
    assert rows[0]["service_name"] == "hdfs"  # ... which still names files in generic folders
    rows, _ = parse(con, ['{"ts":"2024-03-05T10:00:00Z","msg":"x","service_name":"cart"}'], "json_lines")
    assert rows[0]["service_name"] == "cart"  # record field beats everything


def test_trace_ids_from_message_and_key_value_context(con):
    rows, _ = parse(con, ['2024-03-05 10:22:13,123 INFO [main] a.B - charged user=42 amount="9.50 EUR" trace_id=abc123def456'],
                    "log4j")
    assert rows[0]["trace_id"] == "abc123def456"
    assert rows[0]["context"]["user"] == 42 and rows[0]["context"]["amount"] == "9.50 EUR"
    rows, _ = parse(con, ['{"ts":"2024-03-05T10:00:00Z","msg":"x","traceId":"t-99887766"}',
                          '{"ts":"2024-03-05T10:00:00Z","msg":"y","trace":{"id":"nested-1234"}}'], "json_lines")
    assert [r["trace_id"] for r in rows] == ["t-99887766", "nested-1234"]


def test_bad_utf8_and_severity_raw_in_context(con):
    res = parse_records(con, chunk(["2024-03-05 10:22:13,123 WARN [main] a.B - caf\ufffd"], bad=[True]),
                        REG.get("log4j"), source="s", registry=REG)
    ctx = json.loads(res.rows.column("context")[0].as_py())
    assert ctx["bad_utf8"] is True and ctx["severity_raw"] == "WARN"


def test_inferred_severity_words_table():
    assert [lvl for lvl, _ in SEVERITY_WORDS] == ["FATAL", "ERROR", "WARN"]
    result = REG.test("syslog_rfc3164", [
        "Mar  5 10:00:00 h app: kernel panic - not syncing",
        "Mar  5 10:00:00 h app: connection timed out",
        "Mar  5 10:00:00 h app: packet dropped by policy",
        "Mar  5 10:00:00 h app: all good",
    ])
    assert [r.fields["severity"] for r in result.results] == ["FATAL", "ERROR", "WARN", "INFO"]


def test_end_to_end_fixture_parse_has_no_quarantine(con):
    for name, rule in sorted(DETECT.items()):
        r = REG.get(rule)
        f = expand_inputs([FIXTURES / name])[0][0]
        for ch in read_records(f, multiline_start=r.multiline_start):
            res = parse_records(con, ch.table, r, source=rule, registry=REG)
            assert res.quarantine.num_rows == 0, (name, res.quarantine.to_pylist())
            assert res.rows.num_rows == ch.table.num_rows
            ctx = [json.loads(c) for c in res.rows.column("context").to_pylist()]
            assert {c["_rule"] for c in ctx} == {rule}, name


@pytest.mark.parametrize("lines", [
    ['{"ts":"2024-03-05T10:22:13Z","level":"warn","msg":"disk 91% full","host":"db-1","seq":1}'] * 3,
    ['{"@timestamp":"2024-03-05T10:22:13.5+01:00","log":{"level":"error"},"message":"a=1 b=2",'
     '"service":{"name":"pay"},"trace":{"id":"abc123"},"extra":[1,2]}',
     '{"time":1709634133,"log.level":"INFO","event":"started","service.name":"api","x":null}',
     '{"timestamp":"2024-03-05 10:22:13","severity":"E","text":"boom","requestId":"r-9","app":"w"}',
     '{"t":"2024-03-05T10:22:13Z","msg":"only a message"}', '["not", "an object"]', '{"broken": ',
     'plain text line', '{}'],
])
def test_json_rule_reads_only_present_keys_with_the_same_result(lines: list[str], monkeypatch) -> None:
    from logpilot_kernel.ingest import enrich

    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    rule = REG.get("json_lines")
    asked: list[set[str] | None] = []
    real = enrich._present_json_keys

    def spy(c, r, rel):  # noqa: ANN001
        asked.append(real(c, r, rel))
        return asked[-1]

    monkeypatch.setattr(enrich, "_present_json_keys", spy)
    narrowed = parse_records(con, chunk(lines), rule, source="s", registry=REG)
    monkeypatch.setattr(enrich, "_present_json_keys", lambda c, r, rel: None)
    full = parse_records(con, chunk(lines), rule, source="s", registry=REG)
    assert asked and asked[0] is not None and len(asked[0]) < len(json_top_keys(rule)) / 2
    assert narrowed.rows.drop(["timestamp"]).equals(full.rows.drop(["timestamp"]))
    assert narrowed.rows.column("timestamp").equals(full.rows.column("timestamp"))
    assert narrowed.quarantine.equals(full.quarantine)
    assert narrowed.rows.num_rows >= 3
