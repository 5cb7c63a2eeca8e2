"""One staging path for the bulk job and the stream (issue 17 item 8): the same parsed rows
become the same golden rows either way, and the stream now flags the rows its miner's budget
grouped coarsely (``context.template_quality = "coarse"``), as the bulk job always did.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

import duckdb
import pyarrow as pa
from kafka.consumer.fetcher import ConsumerRecord

from logpilot_kernel.ingest import bulk, staging, stream
from logpilot_kernel.ingest.mining import MiningBudget, TemplateMiner

LOW = MiningBudget(templates=50, comparisons=20_000, coarse_max=10)


def _free_text(n: int) -> list[str]:
    rng = random.Random(5)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9))) for _ in range(5000)]
    return [" ".join(rng.choice(words) for _ in range(6)) for _ in range(n)]


def _rec(offset: int, value: bytes) -> ConsumerRecord:
    return ConsumerRecord("t", 0, -1, offset, 1_700_000_000_000 + offset, 0, None, value, [], None,
                          len(value), -1, -1)


def test_one_golden_select_for_bulk_cluster_and_stream() -> None:
    assert bulk.GOLDEN_SELECT is staging.GOLDEN_SELECT  # cluster shards import it from bulk
    assert not hasattr(bulk, "_flag_coarse") and not hasattr(bulk, "_golden_select")
    assert not hasattr(stream, "GOLDEN_SELECT") and not hasattr(stream, "_empty_golden")


def test_the_stream_flags_coarse_rows_like_the_bulk_job(tmp_path: Path) -> None:
    from logpilot_kernel.ingest.stream_parts import StreamOptions
    from logpilot_kernel.ingest.stream_sinks import SegmentStream

    lines = [json.dumps({"ts": f"2024-05-01T00:{i // 60 % 60:02d}:{i % 60:02d}Z", "level": "info", "msg": m})
             for i, m in enumerate(_free_text(1500))]
    opts = StreamOptions(bootstrap_servers="127.0.0.1:1", topics=["t"], group="g", format="json_lines")
    c = SegmentStream(tmp_path / "seg", opts, miner=TemplateMiner(budget=LOW))
    try:
        batch = c.prepare([_rec(i, ln.encode()) for i, ln in enumerate(lines)])
    finally:
        c._con.close()
    ctx = [json.loads(x) for x in batch.rows.column("context").to_pylist()]
    coarse = sum(1 for x in ctx if x.get("template_quality") == "coarse")
    assert batch.rows.num_rows == 1500 and 0 < coarse < 1500, coarse
    assert set(batch.first_service) == set(batch.new_templates)



def test_bulk_mine_and_the_stream_stage_the_same_rows_alike(workspace) -> None:
    from logpilot_kernel.ingest.bulk_report import FileReport, IngestReport

    rows = pa.table({"message": _free_text(1500), "severity": ["INFO"] * 1500,
                     "service_name": ["s"] * 1500, "context": ["{}"] * 1500})
    con = workspace.cursor()
    fr = FileReport("f", "r", 1.0)
    via_bulk = bulk._mine(con, TemplateMiner(budget=LOW), rows, workspace, "run", IngestReport(run_id="run"), fr)
    via_stage = staging.stage(duckdb.connect(), TemplateMiner(budget=LOW), rows)
    assert via_bulk.equals(via_stage.table)
    assert fr.coarse_rows == via_stage.coarse_rows > 0 and fr.template_budget
    con.close()


def test_params_are_spliced_into_every_shape_of_context() -> None:
    """The fast arm (an object ending in '}') and the general one (spaces to trim, an
    empty object, no params) give the text the general rule gives; non-ASCII kept."""
    cases = [  # (context, params, expected context)
        ('{"a":1}', ["x"], '{"a":1,"params":["x"]}'),
        ('{"a":{"b":{}}}', ["x", "y"], '{"a":{"b":{}},"params":["x","y"]}'),
        ('{"a":"é ü"}', ["ß"], '{"a":"é ü","params":["ß"]}'),
        ('{"a":1 }', ["x"], '{"a":1 ,"params":["x"]}'),
        ('{"a":1}  ', ["x"], '{"a":1,"params":["x"]}'),
        ("{}", ["x"], '{"params":["x"]}'),
        (" {} ", ["x"], '{"params":["x"]}'),
        ('{"a":1}', [], '{"a":1}'),
        ('{"a":1}', None, '{"a":1}'),
    ]
    n = len(cases)
    staged = pa.table({
        "timestamp": pa.array([0] * n, pa.timestamp("us")), "severity": ["INFO"] * n,
        "service_name": ["s"] * n, "trace_id": [None] * n, "body": ["b"] * n, "template_id": ["t"] * n,
        "message": ["m"] * n, "context": [c[0] for c in cases], "source": ["src"] * n, "host": [None] * n,
        "origin": ["o"] * n, "origin_offset": list(range(1, n + 1)),
        "params": pa.array([c[1] for c in cases], pa.list_(pa.string())),
    })
    got = staging.golden(duckdb.connect(), staged).column("context").to_pylist()
    assert got == [c[2] for c in cases]
    assert all(isinstance(json.loads(g), dict) for g in got)
