"""Hostile values through every path that builds SQL from data (issue 17, item 7).

Log text and questions are written by others; each value below must come back as itself
(the query answers the literal value) and the ``logs`` table must stay intact. Real
workspaces, real DuckDB, real ingest; the expected counts are computed from the rows this
test writes, never from the code under test.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from pathlib import Path

import duckdb
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.sqltext import glob_escape, ident, literal, literal_list, placeholders

HOSTILE = [
    "it's",
    "back\\slash\\",
    "nul\x00byte",
    "'; DROP TABLE logs; --",
    "ünï©ødé ✓ 日本 🚀",
    "two\nlines\r\nend",
    'dq"quote',
    "100%_sure",
]
DAY = dt.datetime(2024, 3, 4)


# --------------------------------------------------------------------------- the helper
@pytest.mark.parametrize("value", HOSTILE + ["", "''", "\x00", "a\x00\x00b'"])
def test_a_string_literal_is_the_value(value: str) -> None:
    con = duckdb.connect()
    assert con.execute(f"SELECT {literal(value)}").fetchone()[0] == value
    assert con.execute(f"SELECT {literal(value)} = ?", [value]).fetchone()[0] is True


def test_other_literals_round_trip() -> None:
    con = duckdb.connect()
    naive = dt.datetime(2024, 3, 4, 5, 6, 7, 891011)
    for v in (None, True, False, 0, -7, 2**62, 1.5, -0.0, 1e-300, naive, dt.date(2024, 2, 29)):
        got = con.execute(f"SELECT {literal(v)}").fetchone()[0]
        assert got == v and type(got) is type(v), v
    assert math.isnan(con.execute(f"SELECT {literal(float('nan'))}").fetchone()[0])
    assert con.execute(f"SELECT {literal(float('-inf'))}").fetchone()[0] == float("-inf")
    aware = dt.datetime(2024, 3, 4, 5, 0, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    con.execute("SET TimeZone = 'UTC'")
    assert con.execute(f"SELECT CAST({literal(aware)} AS VARCHAR)").fetchone()[0] == "2024-03-04 03:00:00+00"
    with pytest.raises(TypeError, match="bytes"):
        literal(b"x")
    with pytest.raises(ValueError):
        literal_list([])
    assert con.execute(f"SELECT 'it''s' IN ({literal_list(HOSTILE)})").fetchone()[0] is True
    assert con.execute(f"SELECT ? IN ({placeholders(2)})", ["b", "a", "b"]).fetchone()[0] is True


@pytest.mark.parametrize("name", [n for n in HOSTILE if "\x00" not in n] + ["select", "a b"])
def test_an_identifier_is_the_name(name: str) -> None:
    con = duckdb.connect()
    con.execute(f"CREATE TABLE t ({ident(name)} INTEGER)")
    con.execute(f"INSERT INTO t ({ident(name)}) VALUES (1)")
    assert [d[0] for d in con.execute(f"SELECT {ident(name)} FROM t").description] == [name]
    with pytest.raises(ValueError, match="NUL"):
        ident("a\x00b")


# --------------------------------------------------------------------------- the estate
def _rows() -> list[dict]:
    """Per hostile value i: i+1 rows of service h, template id 'T<i>:h', trace 'tr<i>:h',
    message 'event h'; plus one row holding h ONLY as a context value (key 'who'), and
    neutral rows before (the baseline) so the why-engine has something to contrast."""
    out = []
    for k in range(40):
        out.append(dict(timestamp=DAY + dt.timedelta(minutes=k), severity="INFO", service_name="plain",
                        template_id="T_plain", body="all is well", message="all is well",
                        trace_id=f"p{k}", host="h0",
                        context=json.dumps({"who": "nobody", "what": "calm",
                                            **{f"k{h}": "calm" for h in HOSTILE}}),
                        source="test", origin="plain.log", origin_offset=k + 1))
    for i, h in enumerate(HOSTILE):
        for j in range(i + 1):
            t = DAY + dt.timedelta(hours=2, minutes=3 * i + j)
            out.append(dict(timestamp=t, severity="ERROR", service_name=h, template_id=f"T{i}:{h}",
                            body=f"event {h}", message=f"event {h}", trace_id=f"tr{i}:{h}",
                            host=f"host{i}", context=json.dumps({"who": f"w{i}", "what": h, f"k{h}": "v"}),
                            source="test", origin="bad.log", origin_offset=100 * i + j))
        out.append(dict(timestamp=DAY + dt.timedelta(hours=3, minutes=i), severity="WARN",
                        service_name="plain", template_id="T_ctx", body="context only",
                        message="context only", trace_id=f"c{i}", host="h0",
                        context=json.dumps({"who": h}), source="test", origin="ctx.log",
                        origin_offset=i + 1))
    return out


def _write(ws: Workspace) -> list[dict]:
    data = _rows()
    cols = list(data[0])
    ws.con.executemany(f"INSERT INTO logs ({', '.join(cols)}) VALUES ({placeholders(len(cols))})",
                       [[r[c] for c in cols] for r in data])
    return data


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory):
    ws = Workspace(tmp_path_factory.mktemp("sqllit") / "ws")
    data = _write(ws)
    yield ws, data
    ws.close()


def _intact(ws: Workspace, data: list[dict]) -> None:
    assert ws.con.execute("SELECT count(*) FROM logs").fetchone()[0] == len(data)


def test_discover_filters_answer_the_literal_value(estate) -> None:
    from logpilot_kernel.widgets import dashboard_data as D
    from logpilot_kernel.widgets import discover_data as X

    ws, data = estate
    cur = ws.cursor()
    start, end = D.parse_period("all", D.extent(cur))
    for i, h in enumerate(HOSTILE):
        q = X.Query(start, end)
        assert X.rows(cur, q.toggle("service_name", h))[1] == i + 1, h
        assert X.rows(cur, q.toggle("ctx.what", h))[1] == i + 1, h
        assert X.rows(cur, q.toggle("ctx.who", h))[1] == 1, h
        assert X.rows(cur, q.toggle(f"ctx.k{h}", "v"))[1] == i + 1, h
        out = q.toggle("service_name", h, out=True)
        assert X.rows(cur, out)[1] == len(data) - (i + 1), h
        want = sum(h.lower() in r["message"].lower() for r in data)
        assert X.rows(cur, X.Query(start, end, text=h))[1] == want, h
        by = {fs.name: fs for fs in X.fields(cur, q.toggle("service_name", h))}
        assert by["service_name"].values == [(h, i + 1)]
    cur.close()
    _intact(ws, data)


def test_why_scoping_entities_and_evidence_answer_the_literal_value(estate) -> None:
    from logpilot_kernel.why import why
    from logpilot_kernel.why.causality import trace_links
    from logpilot_kernel.why.contrast import significant_terms
    from logpilot_kernel.why.entity import follow
    from logpilot_kernel.why.scope import entity_predicate

    ws, data = estate
    cur = ws.cursor()
    lo, hi = DAY + dt.timedelta(hours=2), DAY + dt.timedelta(hours=4)
    tids = [f"T{i}:{h}" for i, h in enumerate(HOSTILE)]
    links = trace_links(cur, lo, hi, tids)
    assert sorted(links) == sorted(tids)
    assert all(links[f"T{i}:{h}"]["traces"] == 1 for i, h in enumerate(HOSTILE))
    terms = significant_terms(cur, lo, hi, DAY, hi, tids, limit=100)  # keys holding " and \ included
    assert {t["value"] for t in terms if t["field"] == "what"} == set(HOSTILE[2:])  # >= 3 rows
    assert {t["field"] for t in terms if t["value"] == "v"} == {f"k{h}" for h in HOSTILE[2:]}
    for i, h in enumerate(HOSTILE):
        want = sum(r["trace_id"] == h or r["host"] == h or h in json.loads(r["context"]).values()
                   or h in r["message"] for r in data)
        got = cur.execute(f"SELECT count(*) FROM logs WHERE {entity_predicate(cur, h)}").fetchone()[0]
        assert got == want, h
        trail = follow(cur, h, None, None)
        assert trail.direct == want and f"tr{i}:{h}" in trail.trace_ids, h
        ans = why(ws, "why did it fail", service=h)
        assert h in ans.scope.services and "no service named" not in ans.reason, (h, ans.reason)
        assert not [w for w in ans.warnings if "rror" in w], (h, ans.warnings)
        ans = why(ws, "why did it fail", entity=h)
        assert ans.entity is not None and ans.entity.direct == want, (h, ans.reason)
    cur.close()
    _intact(ws, data)


def test_nl_quoted_values_answer_the_literal_value(estate) -> None:
    from logpilot_kernel.query import ask

    ws, data = estate
    for h in HOSTILE:
        if '"' in h:  # the question's own quote character cannot be inside the quotes
            continue
        res = ask(ws, f'how many logs containing "{h}"', now=DAY + dt.timedelta(days=1))
        want = sum(h.lower() in r["body"].lower() for r in data)
        got = int(res.frame.iloc[0, 0])
        if "\x00" in h:
            # The SQL runs and holds the value (chr(0)), but DuckDB 1.5's ILIKE does not
            # match across a NUL (LIKE and contains() do): 0 until DuckDB or the parser's
            # text match changes; either way never an error and never another value's rows.
            assert got in (0, want) and "chr(0)" in res.sql, (h, res.sql)
            continue
        assert got == want, (h, res.sql)
    _intact(ws, data)


def test_cli_ask_with_a_quoted_hostile_value(tmp_path: Path) -> None:
    """``logpilot ask`` as a real subprocess: the answer counts the literal value and the
    table is intact afterwards (argv cannot carry a NUL, so that value is left out here)."""
    import subprocess
    import sys

    ws = Workspace(tmp_path / "ws")
    data = _write(ws)
    ws.close()
    exe = Path(sys.executable).with_name("logpilot")
    for h in HOSTILE:
        if '"' in h or "\x00" in h:
            continue
        out = subprocess.run([str(exe), "ask", f'how many logs containing "{h}"', "--workspace",
                              str(tmp_path / "ws"), "--format", "json", "--now", "2024-03-05T00:00:00"],
                             capture_output=True, text=True, timeout=120)
        assert out.returncode == 0 and "Traceback" not in out.stderr, (h, out.stderr)
        answer = json.loads(out.stdout)
        want = sum(h.lower() in r["body"].lower() for r in data)
        assert answer["rows"][0]["records"] == want, (h, out.stdout)
    ws = Workspace(tmp_path / "ws")
    try:
        _intact(ws, data)
    finally:
        ws.close()


def test_stream_segment_views_over_a_hostile_directory(estate, tmp_path: Path) -> None:
    from logpilot_kernel.ingest.stream_sinks import segments_views
    from logpilot_kernel.schema import FIELD_NAMES

    ws, data = estate
    root = tmp_path / "seg it's ; DROP TABLE logs; -- ünï \"q\" \\ x"
    (root / "logs").mkdir(parents=True)
    ws.con.execute(f"COPY (SELECT {', '.join(FIELD_NAMES)} FROM logs) TO ? (FORMAT parquet)",
                   [str(root / "logs" / "a.parquet")])
    con = duckdb.connect()
    assert segments_views(con, root, prefix="s_") == ["s_logs"]
    assert con.execute("SELECT count(*) FROM s_logs").fetchone()[0] == len(data)
    for i, h in enumerate(HOSTILE):
        assert con.execute("SELECT count(*) FROM s_logs WHERE service_name = ?", [h]).fetchone()[0] == i + 1
    _intact(ws, data)


def test_real_ingest_into_a_hostile_workspace_path(tmp_path: Path) -> None:
    """The workspace's SET statements and the archive's COPY take the path as data."""
    from logpilot_kernel.ingest.bulk import ingest

    src = tmp_path / "in" / "app.jsonl"
    src.parent.mkdir()
    lines = []
    for i, h in enumerate(HOSTILE):
        if "\x00" in h:
            continue  # raw NUL lines are quarantined by the readers (item 3), not rows
        for j in range(i + 1):
            lines.append(json.dumps({"ts": (DAY + dt.timedelta(minutes=10 * i + j)).isoformat() + "Z",
                                     "level": "error", "service": h, "msg": f"event {h} #{j}",
                                     "what": h}))
    src.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ws = Workspace(tmp_path / "ws it's ; DROP TABLE logs; -- ünï \"q\" \\ x")
    try:
        report = ingest(ws, [str(src)], parquet=True, progress=False)
        assert report.rows_loaded == len(lines), report
        assert ws.con.execute("SELECT count(*) FROM logs").fetchone()[0] == len(lines)
        glob = glob_escape(str(ws.parquet_path)) + "/**/*.parquet"
        assert ws.con.execute("SELECT count(*) FROM read_parquet(?)", [glob]).fetchone()[0] == len(lines)
        for i, h in enumerate(HOSTILE):
            if "\x00" in h:
                continue
            n = ws.con.execute("SELECT count(*) FROM logs WHERE service_name = ? AND (context->>'what') = ?",
                               [h.strip(), h]).fetchone()[0]
            assert n == i + 1, h
    finally:
        ws.close()
