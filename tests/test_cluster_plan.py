"""The cluster ingest's planner and one shard task, without a cluster (issue 16).

Real files, a real lake folder, the real task function called in this process: pieces
cover every byte once, line numbers continue across pieces, a multi-line record cut by a
piece boundary is read whole by exactly one piece, and a shard run twice writes the same
objects with the same bytes (what makes a retried Dask task harmless).
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.cluster import _write_seed
from logpilot_kernel.ingest.cluster_plan import count_newlines, number_pieces, plan_shards, split_points
from logpilot_kernel.ingest.cluster_task import lake_fs, run_shard
from logpilot_kernel.ingest.readers import expand_inputs


def _multiline_file(path: Path, records: int) -> None:
    """Invented records: a timestamped first line, some with indented continuation lines."""
    with open(path, "w", encoding="utf-8") as fh:
        for i in range(records):
            fh.write(f"2031-02-03 04:{i // 60 % 60:02d}:{i % 60:02d},123 ERROR [worker-{i % 7}] "
                     f"gearbox.Spindle: spindle {i} lost its tension value={i * 3}\n")
            for k in range(i % 4):
                fh.write(f"    at gearbox.Shaft.turn(Shaft.java:{k + 10})\n")
            if i % 50 == 0:
                fh.write("\n")  # an empty line: never a record, never counted as read


def test_split_points_fall_after_newlines_and_cover_the_file(tmp_path: Path) -> None:
    f = tmp_path / "a.log"
    _multiline_file(f, 3000)
    data = f.read_bytes()
    cuts = split_points(str(f), len(data), 20_000)
    assert cuts[0] == 0 and len(cuts) > 5
    assert all(data[c - 1:c] == b"\n" for c in cuts[1:])
    assert cuts == sorted(set(cuts))
    bounds = cuts + [len(data)]
    assert sum(count_newlines(str(f), a, b) for a, b in zip(bounds, bounds[1:])) == data.count(b"\n")


def test_plan_groups_small_files_keeps_compressed_whole_and_numbers_ranges(tmp_path: Path) -> None:
    for i in range(5):
        (tmp_path / f"small{i}.log").write_text("2031-02-03 04:05:06 INFO tick\n" * 20)
    with gzip.open(tmp_path / "old.log.gz", "wt") as fh:
        fh.write("2031-02-03 04:05:06 INFO tock\n" * 5000)
    big = tmp_path / "big.log"
    _multiline_file(big, 2000)
    files, problems = expand_inputs([str(tmp_path)])
    assert not problems
    shards, ranges = plan_shards(files, 30_000)
    pieces = [p for s in shards for p in s.pieces]
    assert len({s.shard_id for s in shards}) == len(shards)
    assert [p.origin for p in pieces if p.compression] == [str(tmp_path / "old.log.gz")]
    assert all(p.end is None for p in pieces if p.compression)
    # a plain file is read to the size it was planned with, a whole small one too (a live log grows)
    assert all(p.end == p.size for p in pieces if not p.compression and not p.is_range)
    smalls = [s for s in shards if any(Path(p.origin).name.startswith("small") for p in s.pieces)]
    assert len(smalls) == 1  # grouped into one task
    assert sum(Path(p.origin).name.startswith("small") for p in smalls[0].pieces) == 5
    assert len(ranges) >= 2 and all(p.origin == str(big) for p in ranges)
    counts = [count_newlines(p.path, p.start, p.end) for p in ranges]
    numbered = number_pieces(shards, ranges, counts)
    firsts = [p.first_line for s in numbered for p in s.pieces if p.is_range]
    data = big.read_bytes()
    assert firsts == [data[:p.start].count(b"\n") + 1 for p in ranges]
    # the same input plans the same ids: a re-planned run names the same segments
    assert [s.shard_id for s in plan_shards(files, 30_000)[0]] == [s.shard_id for s in shards]


def _run_all(ws: Workspace, files, lake: Path, shard_bytes: int) -> list[dict]:
    shards, ranges = plan_shards(files, shard_bytes)
    shards = number_pieces(shards, ranges, [count_newlines(p.path, p.start, p.end) for p in ranges])
    fs, root = lake_fs(str(lake))
    seed = _write_seed(fs, root, str(lake), "test-run", ws, None, None, ())
    return [run_shard(s, str(lake), None, seed) for s in shards]


def _records(results: list[dict]) -> list[tuple[int, int]]:
    out = []
    for r in results:
        for seg in r["segments"]:
            t = pq.read_table(seg["path"], columns=["origin_offset", "message"])
            out += [(o, m.count("\n") + 1) for o, m in zip(t.column(0).to_pylist(), t.column(1).to_pylist())]
    return sorted(out)


def test_a_record_cut_by_a_piece_boundary_is_read_whole_once(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _multiline_file(src / "spindle.log", 3000)
    files, _ = expand_inputs([str(src)])
    with Workspace(tmp_path / "ws") as ws:
        whole = _run_all(ws, files, tmp_path / "lake-whole", 1 << 30)
        split = _run_all(ws, files, tmp_path / "lake-split", 15_000)
    assert len(whole) == 1 and len(split) > 5
    assert _records(split) == _records(whole)
    for key in ("lines_read", "rows_loaded", "merged_lines", "quarantined"):
        assert sum(f[key] for r in split for f in r["files"]) == whole[0]["files"][0][key], key
    assert whole[0]["files"][0]["merged_lines"] > 0  # the file really has multi-line records


def test_a_record_open_at_the_planned_end_of_a_grown_file_is_read_whole(tmp_path: Path) -> None:
    """The file grows after planning: its last record gains continuation lines and new records
    follow. The run reads that record whole and leaves the new records for the next ingest."""
    src = tmp_path / "in"
    src.mkdir()
    live = src / "spindle.log"
    _multiline_file(live, 1999)  # record 1998 has 2 continuation lines
    more = "    at gearbox.Shaft.turn(Shaft.java:98)\n    at gearbox.Shaft.turn(Shaft.java:99)\n"
    files, _ = expand_inputs([str(src)])
    with Workspace(tmp_path / "ws") as ws:
        shards, ranges = plan_shards(files, 15_000)
        assert len(ranges) > 3
        with open(live, "a", encoding="utf-8") as fh:  # the writer goes on
            fh.write(more)
            fh.write("2031-02-03 05:00:00,000 ERROR [worker-1] gearbox.Spindle: a new record\n")
        shards = number_pieces(shards, ranges, [count_newlines(p.path, p.start, p.end) for p in ranges])
        fs, root = lake_fs(str(tmp_path / "lake"))
        seed = _write_seed(fs, root, str(tmp_path / "lake"), "test-run", ws, None, None, ())
        grown = [run_shard(s, str(tmp_path / "lake"), None, seed) for s in shards]
        ref = tmp_path / "ref"
        ref.mkdir()
        _multiline_file(ref / "spindle.log", 1999)
        with open(ref / "spindle.log", "a", encoding="utf-8") as fh:
            fh.write(more)
        whole = _run_all(ws, expand_inputs([str(ref)])[0], tmp_path / "lake-ref", 1 << 30)
    assert _records(grown) == _records(whole)
    assert _records(grown)[-1][1] == 5  # its first line, 2 written before planning, 2 after


def test_a_shard_run_twice_writes_the_same_objects(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    _multiline_file(src / "spindle.log", 800)
    files, _ = expand_inputs([str(src)])
    lake = tmp_path / "lake"
    with Workspace(tmp_path / "ws") as ws:
        first = _run_all(ws, files, lake, 1 << 30)[0]
        before = {p: p.read_bytes() for p in lake.rglob("*.parquet") if "_templates" not in p.parts}
        second = _run_all(ws, files, lake, 1 << 30)[0]
        after = {p: p.read_bytes() for p in lake.rglob("*.parquet") if "_templates" not in p.parts}
    assert before == after and before
    assert not [p for p in lake.rglob("*") if p.name.startswith(".")]  # no temporaries left
    drop = {"worker_pid", "seconds"}
    assert {k: v for k, v in first.items() if k not in drop} == {k: v for k, v in second.items() if k not in drop}
    manifest = json.loads((lake / "_shards" / f"{first['shard_id']}.json").read_text())
    assert manifest["segments"] == first["segments"]


if __name__ == "__main__":  # pragma: no cover
    pytest.main([__file__, "-q"])
