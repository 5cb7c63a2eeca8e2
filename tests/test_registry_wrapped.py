"""Payload formats carried inside syslog (ingest/registry/wrapped.py) and the HAProxy rules.

Every line here is invented for the test (addresses from the documentation ranges).
"""

from __future__ import annotations

import datetime as dt
import json

import pyarrow as pa

from logpilot_kernel.ingest.enrich import parse_records
from logpilot_kernel.ingest.registry import Registry, Rule
from logpilot_kernel.ingest.registry.wrapped import compose, with_compositions
from tests.test_registry import chunk as registry_chunk, con  # noqa: F401 - con: the module's DuckDB fixture

REG = Registry()
T = dt.datetime

HTTP_BARE = [
    '192.0.2.8:41870 [03/Apr/2023:17:05:09.412] edge~ be_files/files1 0/0/2/17/19 200 40213 - - ---- 9/9/2/1/0 0/0 "GET /static/logo.svg HTTP/2.0"',
    '192.0.2.9:41871 [03/Apr/2023:17:05:10.007] edge~ be_rpc/rpc2 3/0/1/-1/5004 504 198 - - sH-- 9/9/3/2/0 0/0 "POST /rpc/v3/jobs HTTP/1.1"',
    '198.51.100.4:6012 [03/Apr/2023:17:05:11.950] edge be_rpc/rpc1 1/0/0/8/9 403 90 SID=ab12 - ---- 4/4/1/1/+2 1/3 {h.example.net|Go-http-client/1.1} {text/plain} "DELETE /rpc/v3/jobs/77 HTTP/1.1"',
]
TCP_BARE = '203.0.113.44:50001 [03/Apr/2023:17:06:00.120] mq-in be_mq/mq3 2/1/91300 120044 -- 6/6/4/2/0 0/0'
WRAPPED_3164 = 'Apr  3 17:05:10 lb-7 haproxy[901]: ' + HTTP_BARE[1]
WRAPPED_5424 = '<134>1 2023-04-03T19:05:11.951+02:00 lb-7 haproxy 901 - - ' + HTTP_BARE[2]
HAPROXY_OWN = 'Apr  3 17:05:12 lb-7 haproxy[901]: Server be_rpc/rpc2 is DOWN, reason: Layer7 wrong status, check duration: 4ms.'


def chunk(lines: list[str]) -> pa.Table:
    return registry_chunk(lines, origin="/srv/logs/lb/haproxy.log")


def one(rule: str, line: str) -> dict:
    res = REG.test(rule, [line]).results[0]
    assert res.matched and res.reason is None, res.reason
    return res.fields


def test_bare_haproxy_http_names_every_field_and_reads_the_status_as_level():
    f = one("haproxy_http", HTTP_BARE[0])
    assert f["timestamp"] == T(2023, 4, 3, 17, 5, 9, 412000) and f["severity"] == "INFO"
    assert f["message"] == HTTP_BARE[0].split("] ", 1)[1]  # everything after the accept date
    ctx = f["context"]
    assert {k: ctx[k] for k in ("client_ip", "client_port", "frontend_name", "backend_name", "server_name",
                                "status_code", "bytes_read", "termination_state", "method", "path",
                                "protocol")} == {
        "client_ip": "192.0.2.8", "client_port": 41870, "frontend_name": "edge", "backend_name": "be_files",
        "server_name": "files1", "status_code": 200, "bytes_read": 40213, "termination_state": "----",
        "method": "GET", "path": "/static/logo.svg", "protocol": "HTTP/2.0"}
    # TR and Tr differ only by case: both kept (struct fields are by position, not name)
    assert (ctx["TR"], ctx["Tw"], ctx["Tc"], ctx["Tr"], ctx["Ta"]) == (0, 0, 2, 17, 19)
    assert (ctx["actconn"], ctx["feconn"], ctx["beconn"], ctx["srv_conn"], ctx["retries"]) == (9, 9, 2, 1, 0)
    assert "captured_request_cookie" not in ctx  # '-' is absent


def test_haproxy_http_levels_timers_cookies_and_captured_headers():
    f = one("haproxy_http", HTTP_BARE[1])
    assert f["severity"] == "ERROR" and f["context"]["Tr"] == -1 and f["context"]["Ta"] == 5004
    f = one("haproxy_http", HTTP_BARE[2])
    ctx = f["context"]
    assert f["severity"] == "WARN" and ctx["retries"] == 2 and (ctx["srv_queue"], ctx["backend_queue"]) == (1, 3)
    assert ctx["captured_request_cookie"] == "SID=ab12"
    assert ctx["captured_request_headers"] == "h.example.net|Go-http-client/1.1"
    assert ctx["captured_response_headers"] == "text/plain" and ctx["method"] == "DELETE"
    bad = HTTP_BARE[0].replace('"GET /static/logo.svg HTTP/2.0"', '"<BADREQ>"').replace(" 200 ", " 400 ")
    f = one("haproxy_http", bad)
    assert f["context"]["http_request"] == "<BADREQ>" and "method" not in f["context"] and f["severity"] == "WARN"


def test_haproxy_tcp_format():
    f = one("haproxy_tcp", TCP_BARE)
    ctx = f["context"]
    assert f["timestamp"] == T(2023, 4, 3, 17, 6, 0, 120000)
    assert (ctx["frontend_name"], ctx["backend_name"], ctx["server_name"]) == ("mq-in", "be_mq", "mq3")
    assert (ctx["Tw"], ctx["Tc"], ctx["Tt"], ctx["bytes_read"], ctx["termination_state"]) == (2, 1, 91300, 120044, "--")


def test_rfc3164_wrapped_haproxy_gets_the_payload_fields_and_its_dated_time():
    f = one("syslog_rfc3164.haproxy_http", WRAPPED_3164)
    ctx = f["context"]
    # the accept date carries a year (and milliseconds); the syslog header does not
    assert f["timestamp"] == T(2023, 4, 3, 17, 5, 10, 7000)
    assert (f["host"], f["service_name"], ctx["program"], ctx["pid"]) == ("lb-7", "haproxy", "haproxy", 901)
    assert f["severity"] == "ERROR" and f["message"] == HTTP_BARE[1].split("] ", 1)[1]
    assert (ctx["backend_name"], ctx["server_name"], ctx["status_code"], ctx["client_ip"]) == \
        ("be_rpc", "rpc2", 504, "192.0.2.9")
    assert (ctx["method"], ctx["path"]) == ("POST", "/rpc/v3/jobs")


def test_rfc5424_wrapped_haproxy_keeps_the_header_time_with_its_offset():
    f = one("syslog_rfc5424.haproxy_http", WRAPPED_5424)
    assert f["timestamp"] == T(2023, 4, 3, 17, 5, 11, 951000)  # +02:00 header, to UTC
    assert f["severity"] == "WARN" and f["context"]["pri"] == 134 and f["context"]["status_code"] == 403


def test_detection_takes_the_composition_for_a_mostly_haproxy_syslog_file(con):
    lines = [WRAPPED_3164.replace("0/0/1/-1/5004 504", f"0/0/1/{k}/{k + 1} 200") for k in range(20)]
    lines[7] = HAPROXY_OWN  # the proxy's own messages: the carrier takes them
    det = REG.detect_file(lines, stem="haproxy")
    assert det.rule.name == "syslog_rfc3164.haproxy_http" and det.confidence >= 0.9
    rows = parse_records(con, chunk(lines), det.rule, source="lb", registry=REG).rows.to_pylist()
    rows.sort(key=lambda r: r["origin_offset"])  # the parse does not keep record order
    ctx = [json.loads(r["context"]) for r in rows]
    assert [c["_rule"] for c in ctx].count("syslog_rfc3164") == 1 and ctx[7]["_rule"] == "syslog_rfc3164"
    assert ctx[7]["program"] == "haproxy" and "status_code" not in ctx[7]
    assert all(c["backend_name"] == "be_rpc" for i, c in enumerate(ctx) if i != 7)


def test_a_plain_syslog_file_stays_syslog():
    lines = [HAPROXY_OWN, 'Apr  3 17:05:13 lb-7 systemd[1]: Started Session 4 of user ops.'] * 5
    assert REG.detect_file(lines, stem="messages").rule.name == "syslog_rfc3164"


def test_access_log_and_key_value_payloads_through_syslog():
    nginx = ('<190>Apr  3 17:07:00 web-2 nginx: 192.0.2.50 - - [03/Apr/2023:17:07:00 +0200] "GET /docs/ HTTP/1.1" '
             '502 157 "-" "curl/8.0"')
    f = one("syslog_rfc3164.nginx_access", nginx)
    assert f["timestamp"] == T(2023, 4, 3, 15, 7) and f["severity"] == "ERROR" and f["host"] == "web-2"
    assert f["context"]["status"] == 502 and f["context"]["path"] == "/docs/" and f["message"] == "GET /docs/ HTTP/1.1"
    kv = one("syslog_rfc3164", "Apr  3 17:07:01 web-2 agent[77]: phase=sync files=12 result=ok")
    assert kv["context"]["phase"] == "sync" and kv["context"]["files"] == 12  # pairs were named already


def test_user_payload_rule_is_composed_with_the_builtin_carriers():
    reg = Registry()
    reg.add({"name": "tapejob", "payload": True,
             "pattern": r"^JOB (?P<job>\d+) (?P<phase>[A-Z]+) (?P<message>.*)$",
             "examples": ["JOB 12 WRITE volume V0003 mounted", "JOB 13 VERIFY done"]}, persist=False)
    names = reg.names()
    assert "syslog_rfc3164.tapejob" in names and "syslog_rfc5424.tapejob" in names
    f = reg.test("syslog_rfc3164.tapejob", ["Apr  3 17:08:00 vault tape[3]: JOB 12 WRITE volume V0003 mounted"]).results[0]
    assert f.matched and f.fields["message"] == "volume V0003 mounted"
    assert f.fields["context"]["job"] == 12 and f.fields["context"]["phase"] == "WRITE"
    assert f.fields["timestamp"] is not None  # the payload has no time: the carrier's


def test_disabling_a_payload_rule_takes_its_compositions_with_it():
    reg = Registry(disabled=["haproxy_http"])
    assert not [n for n in reg.names() if "haproxy_http" in n]
    assert "syslog_rfc3164.haproxy_tcp" in reg.names()
    reg.disable("syslog_rfc3164.haproxy_tcp")
    assert "syslog_rfc3164.haproxy_tcp" not in reg.names() and "haproxy_tcp" in reg.names()


def test_compositions_come_before_their_carrier_and_take_its_examples():
    names = REG.names()
    assert names.index("syslog_rfc3164.haproxy_http") < names.index("syslog_rfc3164")
    comp = REG.get("syslog_rfc5424.nginx_access")
    assert len(comp.examples) == len(REG.get("nginx_access").examples)
    assert all(ex.startswith("<165>1 2024-03-05T10:22:13.003Z web-03 ") for ex in comp.examples)


def test_compose_refuses_what_cannot_nest():
    carrier = REG.get("syslog_rfc3164")
    multi = Rule(name="twolines", pattern=r"^(?P<timestamp>\S+)\n(?P<message>.*)$", payload=True)
    unflagged = Rule(name="plain", pattern=r"^(?P<message>.*)$")
    assert compose(carrier, multi) is None and compose(carrier, unflagged) is None
    assert [r.name for r in with_compositions([carrier], [unflagged])] == ["syslog_rfc3164"]
