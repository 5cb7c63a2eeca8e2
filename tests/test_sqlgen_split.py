"""The cut reading of regex rules (ingest/registry/sqlsplit.py) against regexp_extract.

Every row and every quarantined record must be the same with and without the cuts, for
every builtin regex rule and for tricky lines of the layouts the cuts take (quotes inside
the request, '-' fields, missing bytes, extra trailing fields, non-ASCII text, lines that
fit no rule). The A/B switch is ``sqlsplit.ENABLED``; both runs share one connection.
"""

from __future__ import annotations

import datetime as dt
import pathlib

import duckdb
import pyarrow as pa
import pytest

from logpilot_kernel.ingest.enrich import parse_records, run_rule
from logpilot_kernel.ingest.registry import Registry, Rule
from logpilot_kernel.ingest.registry import sqlsplit
from logpilot_kernel.ingest.registry.sqlgen import compile_rule

FIXTURES = pathlib.Path(__file__).parent / "fixtures"
REG = Registry()

# made-up lines around the combined access layout: each one probes a cut or the guard
ACCESS = [
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET /a?b=1 HTTP/1.1" 200 512 "https://x.example/" "UA/1.0"',
    '203.0.113.9 - bob [05/Mar/2024:10:22:13 +0100] "POST /a HTTP/2.0" 502 - "-" "-"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET /a"b HTTP/1.1" 200 5 "r" "u"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET /a" 200 1 "x" "y" HTTP/1.1" 200 5 "r" "u"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET /a"b" 200 5 "r" "u" x" 200 5 "r" "u"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "-" 400 0 "-" "-"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "" 400 0 "" ""',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "\\x16\\x03\\x01" 400 157 "-" "-"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8" "10.0.0.7"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8" rt=0.004 ua="x"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8" ',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "curl/8"x',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 "-" "curl/8"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 2000 12 "-" "curl/8"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET /caf\u00e9/\u6771 HTTP/1.1" 200 12 "-" "M\u00fcller/1 \U0001f600"',
    '2001:db8::1 - - [05/Mar/2024:10:22:13 +0000] "get /lower http/1.1" 200 12 "-" "-"',
    '203.0.113.9 -  - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "-"',
    '203.0.113.9\t- - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "-"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000]] "GET / HTTP/1.1" 200 12 "-" "-"',
    '203.0.113.9 - - [] "GET / HTTP/1.1" 200 12 "-" "-"',
    '203.0.113.9 - - [05/Mar/2024:10:22:13 +0000] "GET / HTTP/1.1" 200 12 "-" "-"\nat a second line',
    '192.0.2.44 - frank [10/Oct/2023:13:55:36 -0700] "GET /apache_pb.gif HTTP/1.0" 200 2326',
    '192.0.2.44 ident frank [10/Oct/2023:13:55:36 -0700] "GET /x HTTP/1.0" 304 -',
    'not an access line at all',
    '',
    '   ',
    '- - - [-] "-" 000 - "-" "-"',
]

OTHER = [
    "03-05 10:22:13 1 2 3 4 5 6 7 8 9",
    "INFO:root:started: with a colon",
    "WARNING:app.db::empty name",
    "ERROR::x",
    "192.0.2.71:40132 [14/Mar/2024:08:15:02.118] www-https~ be/s2 0/0/1/4/6 200 5120 - - ---- 3/3/1/1/0 0/0 \"GET / HTTP/1.1\"",
    "[2001:db8::1]:40132 [14/Mar/2024:08:15:02.118] fe be/s 0/0/1/4/6 200 5 - - ---- 3/3/1/1/0 0/0 \"GET / HTTP/1.1\"",
    "192.0.2.15:50514 [14/Mar/2024:08:20:11.907] pg-in be_pg/pg1 1/0/60213 8842 -- 2/2/1/1/0 0/0",
    "- 1117838570 2005.06.03 R02-M1-N0-C:J12-U11 2005-06-03-15.42.50.675872 R02-M1-N0-C:J12-U11 RAS KERNEL INFO cache",
    "- 1117838570 2005.06.03 R02 2005-06-03-15.42.50.675872 R02 RAS KERNEL FATAL",
]


def _fixture_lines() -> list[str]:
    lines: list[str] = []
    for p in sorted(FIXTURES.glob("*.log")):
        lines += p.read_text(encoding="utf-8", errors="replace").splitlines()[:60]
    return lines


def _chunk(lines: list[str]) -> pa.Table:
    n = len(lines)
    return pa.table({
        "origin": pa.array(["/srv/logs/web/app.log"] * n, pa.string()),
        "origin_offset": pa.array(range(1, n + 1), pa.int64()),
        "raw": pa.array(lines, pa.string()),
        "n_lines": pa.array([ln.count("\n") + 1 for ln in lines], pa.int32()),
        "bad_utf8": pa.array([False] * n),
    })


def _both(con: duckdb.DuckDBPyConnection, lines: list[str], rule: Rule, monkeypatch) -> tuple[list, list]:
    """(cut, regex) results of one parse: rows and quarantine, sorted by record."""
    out = []
    for enabled in (True, False):
        monkeypatch.setattr(sqlsplit, "ENABLED", enabled)
        res = parse_records(con, _chunk(lines), rule, source="src", file_mtime=1.7e9, registry=REG)
        rows = sorted(res.rows.to_pylist(), key=lambda r: r["origin_offset"])
        quarantine = sorted(res.quarantine.to_pylist(), key=lambda r: r["origin_offset"])
        out.append((rows, quarantine))
    return out[0], out[1]


def _both_first_pass(con: duckdb.DuckDBPyConnection, lines: list[str], rule: Rule, monkeypatch) -> tuple[list, list]:
    """(cut, regex) outputs of the rule's own query (no fallback rules), by record."""
    out = []
    for enabled in (True, False):
        monkeypatch.setattr(sqlsplit, "ENABLED", enabled)
        table = run_rule(con, _chunk(lines), rule, source="src", file_mtime=1.7e9)
        out.append(sorted(table.to_pylist(), key=lambda r: r["rn"]))
    return out[0], out[1]


@pytest.fixture(scope="module")
def con():
    c = duckdb.connect()
    c.execute("SET threads = 2")
    yield c
    c.close()


REGEX_RULES = [r.name for r in REG.list() if r.kind == "regex" and r.pattern]


@pytest.mark.parametrize("name", REGEX_RULES)
def test_every_regex_rule_gives_the_same_rows_with_cuts(name, con, monkeypatch) -> None:
    rule = REG.get(name)
    lines = list(rule.examples) + ACCESS + OTHER + _fixture_lines()
    cut, regex = _both_first_pass(con, lines, rule, monkeypatch)
    assert cut == regex


def test_the_access_layout_is_cut_and_its_guard_counts_quotes() -> None:
    plan = sqlsplit.split_plan(REG.get("nginx_access").pattern)
    assert plan is not None
    assert plan.counted == {'"': 6}
    assert [f.close for f in plan.fields][:4] == [" - ", " [", '] "', '" ']
    sql = compile_rule(REG.get("nginx_access"), "t", ref=dt.datetime(2024, 3, 5), now=dt.datetime(2024, 3, 5),
                       file_ts=None)
    assert "_lp_fast" in sql and "regexp_extract(first_line" in sql


def test_tricky_access_lines_keep_their_regex_fields(con, monkeypatch) -> None:
    cut, regex = _both(con, ACCESS, REG.get("nginx_access"), monkeypatch)
    assert cut == regex
    by_line = {r["origin_offset"]: r for r in cut[0]}
    # a quote inside the request: the regex's path keeps it (the cut guard sent it there)
    assert by_line[3]["message"] == 'GET /a"b HTTP/1.1'
    # an extra quoted field after the user agent stays in context
    assert '"extra":"\\"10.0.0.7\\""' in by_line[9]["context"]


@pytest.mark.parametrize("pattern, planned", [
    (r"^(?P<a>\S+) (?P<b>\S+) (?P<c>.*)$", True),
    (r"^(?P<a>[^,]*),(?P<b>[^,]*),(?P<c>.*)$", True),
    (r"^(?P<a>\S+) (?P<b>\S+)", False),             # not anchored at the end
    (r"(?P<a>\S+) (?P<b>.*)$", False),              # not anchored at the start
    (r"^(?P<a>\S+)(?P<b>\d+) (?P<c>.*)$", False),   # two fields, no delimiter between
    (r"^(?i)(?P<a>\S+) (?P<b>.*)$", False),         # flags
    (r"^(?P<a>a b) (?P<b>.*)$", False),             # a field writing its own delimiter
    (r"^(?P<a>\w+\b) (?P<b>.*)$", False),           # an assertion inside a field
    (r"^(?=x)(?P<a>\S+) (?P<b>.*)$", False),        # lookahead
])
def test_which_layouts_get_a_plan(pattern, planned) -> None:
    assert (sqlsplit.split_plan(pattern) is not None) is planned


@pytest.mark.parametrize("pattern", [
    r"^(?P<client_ip>\S+) (?P<user>\S+) \[(?P<timestamp>[^\]]+)\] (?P<message>.*)$",
    r"^(?P<timestamp>\S+ \S+)\|(?P<severity>[A-Z]+)\|(?P<message>(?P<verb>\w+) (?P<rest>.*))$",
    r"^(?P<timestamp>[^|]+)\|(?P<severity>[^|]*)\|(?P<k>[^=|]*)=(?P<v>[^|]*)\|(?P<message>.*)$",
    r"^(?P<timestamp>[^;]+);(?P<message>[^;]*);(?P<severity>\w*)(?: (?P<tail>.*))?$",
])
def test_induced_like_rules_give_the_same_rows_with_cuts(pattern, con, monkeypatch) -> None:
    rule = Rule(name="cut_probe", pattern=pattern, timestamp_formats=["%d/%b/%Y:%H:%M:%S", "%Y-%m-%d %H:%M:%S"])
    lines = [
        "1.2.3.4 u [05/Mar/2024:10:22:13 +0000] hello",
        "1.2.3.4 u [05/Mar/2024:10:22:13 +0000]] hello",
        "2024-03-05 10:22:13|WARN|retry the thing",
        "2024-03-05 10:22:13|WARN|retry|a=b|x",
        "2024-03-05 10:22:13||=|",
        "2024-03-05 10:22:13|E|k=v=w|m",
        "2024-03-05 10:22:13;msg;ERROR",
        "2024-03-05 10:22:13;msg;ERROR tail; with; more",
        "2024-03-05 10:22:13;msg;ERROR ",
        "2024-03-05 10:22:13;;",
        "no layout here",
        "",
    ]
    cut, regex = _both(con, lines, rule, monkeypatch)
    assert cut == regex


KV_MESSAGES = [
    "[UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12 SRC=203.0.113.45 DST=10.0.0.12 LEN=60 DF PROTO=TCP SPT=1 DPT=22 SYN URGP=0",
    "a=b,c=d e=f", "1a=b x=1", "=x", "=a=b", "x:y=1", 'k="v w" z=2', 'k="unclosed z=2', "GET /a?b=1&c=2 HTTP/1.1",
    "x.y-z=1 _a=2 a==b a=b=c", "a=b\tc=d", "a\x0b=b c=d\x0be", "caf\u00e9=1 ok=\u00e9t\u00e9", "(a=b) [c=d] {e=f}",
    "a=b;c=d", "trailing= =lead", "  double  spaces=1  x=2  ", "k=v\nnext=line", "UPPER=1 lower=2 Mixed_9=3",
    "no pairs here at all", "a = b", "-a=1 .b=2 a-=3 a.=4", "ip=2001:db8::1 port=443 ts=2024-03-05T10:22:13Z",
    "status=ok" + " k=v" * 40,
]


def test_message_pairs_are_the_regex_matches(con, monkeypatch) -> None:
    rule = Rule(name="kv_probe", pattern=r"^(?P<timestamp>\S+ \S+) (?P<message>.*)$",
                timestamp_formats=["%Y-%m-%d %H:%M:%S"])
    lines = [f"2024-03-05 10:22:{i % 60:02d} {m}" for i, m in enumerate(KV_MESSAGES)]
    cut, regex = _both(con, lines, rule, monkeypatch)
    assert cut == regex
    contexts = [r["context"] for r in cut[0]]
    assert '"SRC":"203.0.113.45"' in contexts[0] and '"c":"d"' in contexts[1]


@pytest.mark.parametrize("message, breaks", [
    ("IN=eth0 OUT= SRC=1.2.3.4 DF", False),
    ("a=b,c=d", True), ("1a=b", True), ("=x", True), ("x:y=1", True), ('k="v"', True),
    ("a=b\tc=d", True), ("caf\u00e9=1", True), ("[UFW BLOCK] a=1", False), ("(a=1", True),
])
def test_which_messages_keep_the_regex_for_pairs(message, breaks) -> None:
    import re

    assert (re.search(sqlsplit.KV_BREAKS_RE, message) is not None) is breaks
