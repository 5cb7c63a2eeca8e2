"""The pipelined bulk job (read + parse a chunk ahead in a thread) writes exactly what the
serial job writes, and small files batched into shared chunks keep exactly-once loading.

Why: the pipeline and the batching are speed changes (issue 16); a row, a template or a
count that differed between the two ways of running would be a silent data change.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.demo.generator import generate
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.schema import FIELD_NAMES

ROWS_SQL = ("SELECT " + ", ".join(f"CAST({c} AS VARCHAR)" for c in FIELD_NAMES) +
            " FROM logs ORDER BY origin, origin_offset")
TEMPLATES_SQL = ("SELECT template_id, template, first_service, count, CAST(first_seen AS VARCHAR), "
                 "CAST(last_seen AS VARCHAR) FROM templates ORDER BY template_id")
FILES_SQL = "SELECT origin, size, rows_loaded FROM ingested_files ORDER BY origin"


@pytest.fixture(scope="module")
def estate(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small mixed estate (access log, JSON services, PostgreSQL, syslog, Java with stack
    traces, gzip parts) plus a folder of small files cut from its access log and its JSON
    service (so the job batches several files into one chunk)."""
    root = tmp_path_factory.mktemp("pipeline")
    generate(root / "gen", days=1, seed=3, lines=6000, start=dt.date(2024, 5, 31))
    logs = root / "gen" / "logs"
    small = logs / "pieces"
    small.mkdir()
    for src in (logs / "gateway" / "access.log", logs / "payment" / "payment.jsonl"):
        lines = src.read_text().splitlines(keepends=True)
        for k in range(0, min(len(lines), 1200), 150):
            (small / f"{src.stem}-{k:05d}{src.suffix}").write_text("".join(lines[k:k + 150]))
    return logs


def _load(path: Path, estate: Path, **kw) -> tuple[dict, list, list, list, list]:
    with Workspace(path) as ws:
        rep = ingest(ws, [estate], chunk_records=2000, **kw)
        con = ws.cursor()
        rows = con.execute(ROWS_SQL).fetchall()
        templates = con.execute(TEMPLATES_SQL).fetchall()
        files = con.execute(FILES_SQL).fetchall()
        segs = con.execute("SELECT origin, rows FROM archive_segments ORDER BY path").fetchall()
        con.close()
    acc = {k: rep.to_dict()[k] for k in ("lines_read", "rows_loaded", "duplicates", "merged_lines",
                                          "quarantined", "new_templates", "balanced")}
    acc["files"] = [(f.origin, f.rule, f.lines_read, f.rows_loaded, f.duplicates, f.quarantined, f.merged_lines,
                     f.ts_inherited, f.coarse_rows) for f in rep.files]
    return acc, rows, templates, files, segs


def test_pipelined_equals_serial(tmp_path: Path, estate: Path) -> None:
    serial = _load(tmp_path / "serial", estate, pipeline=False)
    piped = _load(tmp_path / "piped", estate, pipeline=True)
    assert serial[0]["balanced"] and serial[0]["rows_loaded"] > 5000
    assert serial[0] == piped[0]  # accounting, per file too
    assert serial[1] == piped[1]  # every golden column, context and provenance included
    assert serial[2] == piped[2]  # templates: ids, texts, counts, first/last seen
    assert serial[3] == piped[3]
    assert [n for _o, n in serial[4]] == [n for _o, n in piped[4]]


def test_small_files_share_chunks_and_load_once(tmp_path: Path, estate: Path) -> None:
    acc, rows, _t, files, segs = _load(tmp_path / "ws", estate)
    pieces = [f for f in acc["files"] if "/pieces/" in f[0]]
    assert len(pieces) >= 10 and all(f[3] > 0 for f in pieces)
    # several small files went into one chunk: a segment recorded for several origins
    assert any(o.endswith(" origins") for o, _n in segs)
    assert sum(n for _o, n in segs) == len(rows) == acc["rows_loaded"]
    assert len(files) == len(acc["files"])  # every file marked complete
    with Workspace(tmp_path / "ws") as ws:
        again = ingest(ws, [estate], chunk_records=2000)
        assert again.rows_loaded == 0 and len(again.skipped_files) == len(acc["files"])
        # a rerun of files whose completion mark is gone: every row found, none twice
        con = ws.cursor()
        con.execute("DELETE FROM ingested_files WHERE origin LIKE '%/pieces/%'")
        con.close()
        third = ingest(ws, [estate], chunk_records=2000)
        assert third.rows_loaded == 0 and third.duplicates == sum(f[3] for f in pieces) and third.balanced
        assert ws.scalar("SELECT count(*) FROM logs") == len(rows)
        assert ws.scalar("SELECT count(*) FROM (SELECT origin, origin_offset FROM logs "
                         "GROUP BY ALL HAVING count(*) > 1)") == 0


def test_later_chunks_of_a_fresh_file_skip_the_anti_join_unless_they_reach_back() -> None:
    import pyarrow as pa

    from logpilot_kernel.ingest.bulk_store import RunSpans

    def chunk(*spans: tuple[str, int, int]) -> pa.Table:
        pairs = [(o, k) for o, lo, hi in spans for k in range(lo, hi + 1)]
        return pa.table({"origin": [o for o, _ in pairs], "origin_offset": pa.array([k for _, k in pairs], pa.int64())})

    spans = RunSpans()
    assert not spans.overlaps(chunk(("a", 1, 100)))
    assert not spans.overlaps(chunk(("a", 101, 200), ("b", 1, 50)))  # the next chunk, a batch with a new file
    assert spans.overlaps(chunk(("b", 51, 60), ("a", 150, 250)))  # reaches back into a's queued offsets
    assert not spans.overlaps(chunk(("a", 251, 300)))  # past everything queued, 250 included
    assert spans.overlaps(chunk(("b", 1, 1)))  # an origin read again from its start
