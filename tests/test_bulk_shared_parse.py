"""Many small files (issue 16): the bulk job detects a window of files in one pass and
parses consecutive one-chunk files of one rule in one query. Both must give each file
exactly what it got alone.

Why: these are speed changes (per file, detection and parsing were mostly DuckDB planning
time); a file whose rule, time, context or quarantine changed with its neighbours would
be a silent data change.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import duckdb
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.demo.generator import generate
from logpilot_kernel.ingest.bulk import file_rule
from logpilot_kernel.ingest.bulk_read import ChunkParsed, FileEnd, FileStart, parsed_events
from logpilot_kernel.ingest.enrich import parse_files, parse_records
from logpilot_kernel.ingest.readers import expand_inputs, read_records
from logpilot_kernel.ingest.registry import Registry
from logpilot_kernel.ingest.registry.detection import detect_many

FIXTURES = Path(__file__).parent / "fixtures"


def _sample(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8", errors="replace").splitlines()[:400]


def test_detect_many_picks_what_detect_picks() -> None:
    files = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and not p.name.endswith(".json"))
    assert len(files) > 40
    samples = [_sample(p) for p in files]
    reg = Registry()
    alone = [reg.detect(s) for s in samples]
    together = detect_many(reg, samples + [[], ["", "  "]])  # empty samples score nothing
    for path, a, b in zip(files, alone, together):
        assert (b.rule.name, b.confidence) == (a.rule.name, a.confidence), path.name
    assert {d.rule.name for d in alone} >= {"nginx_access", "json_lines", "generic"}
    assert [d.rule.name for d in together[-2:]] == ["generic", "generic"]
    assert [d.confidence for d in together[-2:]] == [0.0, 0.0]


@pytest.fixture(scope="module")
def pieces(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Small files cut from a generated estate (access log, a JSON service, PostgreSQL,
    syslog, Java with stack traces), each with its own mtime, plus JSON files written to
    catch a neighbour leaking in: one whose first record has no time (it must get its own
    file's mtime, not the previous file's last time) and one with a line no JSON rule reads
    (it is parsed alone, fallbacks included)."""
    root = tmp_path_factory.mktemp("shared")
    generate(root / "gen", days=1, seed=5, lines=5000, start=dt.date(2024, 5, 31))
    logs = root / "gen" / "logs"
    out = root / "pieces"
    stamp = dt.datetime(2024, 6, 2, 8, 0, tzinfo=dt.timezone.utc).timestamp()
    n = 0
    for src in sorted(p for p in logs.rglob("*") if p.is_file() and p.suffix != ".gz"):
        lines = src.read_text().splitlines(keepends=True)
        (out / src.parent.name).mkdir(parents=True, exist_ok=True)
        for k in range(0, min(len(lines), 600), 120):
            piece = out / src.parent.name / f"{k:05d}-{src.name}"
            piece.write_text("".join(lines[k:k + 120]))
            os.utime(piece, (stamp + n * 3600, stamp + n * 3600))
            n += 1
    odd = out / "zz-odd"
    odd.mkdir()
    rec = {"ts": "2024-06-01T10:00:00Z", "level": "info", "msg": "job step done"}
    (odd / "a.jsonl").write_text("".join(json.dumps({**rec, "ts": f"2024-06-01T10:{i:02d}:00Z"}) + "\n"
                                         for i in range(30)))
    (odd / "b.jsonl").write_text(json.dumps({"level": "info", "msg": "no time of its own"}) + "\n"
                                 + "".join(json.dumps(rec) + "\n" for _ in range(30)))
    (odd / "c.jsonl").write_text("".join(json.dumps(rec) + "\n" for _ in range(30)) + "plain words, no JSON\n")
    for i, name in enumerate(("a.jsonl", "b.jsonl", "c.jsonl")):
        os.utime(odd / name, (stamp - 86400 * (i + 1), stamp - 86400 * (i + 1)))
    return out


def test_shared_parse_gives_each_file_its_own_parse(tmp_path: Path, pieces: Path) -> None:
    files, problems = expand_inputs([str(pieces)])
    assert not problems and len(files) > 20
    reg = Registry()
    with Workspace(tmp_path / "ws") as ws:
        events = list(parsed_events(ws.cursor, files, reg, None, None, 2000))
    starts = [e for e in events if isinstance(e, FileStart)]
    assert [s.f.origin for s in starts] == [f.origin for f in files]  # every file, in order
    assert sum(isinstance(e, FileEnd) for e in events) == len(files)
    con = duckdb.connect()
    shared = 0
    head = None
    for ev in events:
        if isinstance(ev, FileStart):
            head = ev
            rule, confidence, induced, src = file_rule(ev.f, reg, None, None)  # alone (a cluster shard's way)
            assert (ev.rule.name, ev.confidence, ev.induced, ev.src) == (rule.name, confidence, induced, src)
        elif isinstance(ev, ChunkParsed) and ev.parsed is not None:
            assert head is not None
            own = parse_records(con, ev.rc.table, head.rule, source=head.src, file_mtime=head.f.mtime, registry=reg)
            assert ev.parsed.rows.to_pylist() == own.rows.to_pylist(), head.f.origin
            assert ev.parsed.quarantine.to_pylist() == own.quarantine.to_pylist(), head.f.origin
            shared += ev.shared > 1
    assert shared >= 10  # most pieces were parsed with their neighbours
    by_name = {Path(e.rc.table.column("origin")[0].as_py()).name: e for e in events
               if isinstance(e, ChunkParsed) and e.rc.table.num_rows}
    first_b = by_name["b.jsonl"].parsed.rows.to_pylist()[0]
    assert '"ts_source":"file_mtime"' in first_b["context"]
    assert first_b["timestamp"] == dt.datetime.fromtimestamp(os.stat(pieces / "zz-odd" / "b.jsonl").st_mtime,
                                                             dt.timezone.utc).replace(tzinfo=None)
    assert by_name["b.jsonl"].shared == 3  # with its neighbours ...
    assert by_name["c.jsonl"].shared == 1  # ... but a file with a line for the fallbacks: alone


def test_parse_files_declines_what_it_cannot_share(pieces: Path) -> None:
    con = duckdb.connect()
    reg = Registry()
    files, _ = expand_inputs([str(pieces / "zz-odd")])
    chunks = [(next(read_records(f)).table, f.mtime) for f in files]
    rule = reg.detect(_sample(Path(files[0].path))).rule
    results = parse_files(con, chunks, rule, source="odd")
    assert results is not None and results[2] is None  # c.jsonl has a line the rule misses
    assert results[0] is not None and results[1] is not None
    # a year-less rule takes each record's year from its own file's mtime: never shared
    assert parse_files(con, chunks[:2], reg.get("syslog_rfc3164"), source="odd") is None
