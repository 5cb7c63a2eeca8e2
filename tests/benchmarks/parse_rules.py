"""The parse step per rule, with and without the cut reading of regex rules (issue 16).

usage: python tests/benchmarks/parse_rules.py --estate DIR [--rounds 3] [--threads 2]
       [--chunk 200000] [--only RULE ...]

DIR is a generated estate (``logpilot demo-data --lines 400000 --seed 11 --out DIR``).
The bulk job's read stage runs over it serially (detection, reader chunks, the shared
parse of one-chunk files) and every parse call is captured: its chunk(s), rule and
source. Each call is then replayed through ``enrich.parse_records`` /
``enrich.parse_files`` on one DuckDB connection, alternately with the cuts
(``sqlsplit.ENABLED``) and without, in the same process; per call and mode the best of
``--rounds`` rounds is kept, so the ratio of the two modes holds on a shared machine.
Every call's rows and quarantine are compared between the modes (sorted by origin and
offset: a parse's row order is DuckDB's). Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import duckdb

from logpilot_kernel.ingest import bulk, bulk_read, enrich
from logpilot_kernel.ingest.readers import expand_inputs
from logpilot_kernel.ingest.registry import Registry, sqlsplit


def capture(estate: Path, chunk: int) -> list[dict[str, Any]]:
    """The parse calls of a serial read stage over ``estate``, in order."""
    calls: list[dict[str, Any]] = []
    real_records, real_files = bulk_read.parse_records, bulk_read.parse_files

    def records(con, table, rule, **kw):
        calls.append({"kind": "records", "tables": [(table, kw.get("file_mtime"))], "rule": rule, "kw": kw})
        return real_records(con, table, rule, **kw)

    def files(con, chunks, rule, *, source):
        calls.append({"kind": "files", "tables": list(chunks), "rule": rule, "kw": {"source": source}})
        return real_files(con, chunks, rule, source=source)

    paths = sorted(str(p) for p in estate.rglob("*") if p.is_file() and p.name != "ground_truth.json")
    inputs, _problems = expand_inputs(paths)
    registry = Registry.default()
    saved = bulk.file_states, bulk_read.parse_records, bulk_read.parse_files
    bulk.file_states = lambda con, fs: (set(), set())
    bulk_read.parse_records, bulk_read.parse_files = records, files
    try:
        for _ev in bulk_read.parsed_events(duckdb.connect, inputs, registry, None, None, chunk):
            pass
    finally:
        bulk.file_states, bulk_read.parse_records, bulk_read.parse_files = saved
    return calls


def replay(con: duckdb.DuckDBPyConnection, call: dict[str, Any], registry: Registry) -> list:
    """One call's results as comparable lists (rows and quarantine, sorted)."""
    if call["kind"] == "files":
        results = enrich.parse_files(con, call["tables"], call["rule"], source=call["kw"]["source"])
        results = results or []
    else:
        kw = dict(call["kw"])
        kw["registry"] = registry
        results = [enrich.parse_records(con, call["tables"][0][0], call["rule"], **kw)]
    out = []
    for res in results:
        if res is None:
            out.append(None)
            continue
        key = ("origin", "origin_offset")
        rows = res.rows.sort_by([(k, "ascending") for k in key]).to_pylist()
        quarantine = res.quarantine.sort_by([(k, "ascending") for k in key]).to_pylist()
        for r in rows:  # the load time stamped on time-less rows differs between runs
            if '"ts_source":"none"' in (r["context"] or ""):
                r["timestamp"] = None
        out.append((rows, quarantine))
    return out


def label(call: dict[str, Any]) -> str:
    n = len(call["tables"])
    return f"{call['rule'].name}" + (f" ({n} files)" if n > 1 else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--estate", required=True, type=Path)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--chunk", type=int, default=200_000)
    ap.add_argument("--only", nargs="*", default=None, help="rule names to replay (default: all)")
    args = ap.parse_args()
    calls = capture(args.estate, args.chunk)
    if args.only:
        calls = [c for c in calls if c["rule"].name in args.only]
    registry = Registry.default()
    con = duckdb.connect()
    con.execute(f"SET threads = {args.threads}")
    best: dict[tuple[int, bool], float] = {}
    same: dict[int, bool] = {}
    for _round in range(args.rounds):
        for i, call in enumerate(calls):
            outs = {}
            for enabled in ((True, False) if _round % 2 == 0 else (False, True)):
                sqlsplit.ENABLED = enabled
                t0 = time.perf_counter()
                outs[enabled] = replay(con, call, registry)
                s = time.perf_counter() - t0
                best[(i, enabled)] = min(best.get((i, enabled), s), s)
            same[i] = same.get(i, True) and outs[True] == outs[False]
    sqlsplit.ENABLED = True
    report = []
    for i, call in enumerate(calls):
        recs = sum(t.num_rows for t, _m in call["tables"])
        report.append({"call": label(call), "records": recs, "regex_s": round(best[(i, False)], 3),
                       "cuts_s": round(best[(i, True)], 3),
                       "ratio": round(best[(i, False)] / max(best[(i, True)], 1e-9), 2),
                       "identical": same[i]})
    total = {m: sum(best[(i, m)] for i in range(len(calls))) for m in (False, True)}
    print(json.dumps({"calls": report, "regex_s": round(total[False], 3), "cuts_s": round(total[True], 3),
                      "ratio": round(total[False] / max(total[True], 1e-9), 3),
                      "all_identical": all(same.values()), "rounds": args.rounds, "threads": args.threads},
                     indent=1))
    sys.exit(0 if all(same.values()) else 1)


if __name__ == "__main__":
    main()
