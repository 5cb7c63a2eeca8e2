"""Overhead of ``%%logsql`` over raw DuckDB for the same queries, as a ratio in one run.

usage: python tests/benchmarks/logsql_overhead.py [--rows 10000000] [--repeat 5] [--keep DIR]

Builds a workspace whose ``logs`` holds ``--rows`` synthetic golden rows generated inside
DuckDB from ``range()`` (no files, no ingestion: this measures the query path only), then
times each query both ways, interleaved so machine noise hits both alike:

- raw: ``cursor.execute(sql).df()`` on a cursor of the same workspace;
- magic: ``%%logsql`` through a real ``InteractiveShell`` (parse the line, tell SQL from
  English with DuckDB's parser, read-only guard, Arrow -> pandas, display with paging).

Prints one JSON object: per query the median seconds of each and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

QUERIES = {
    "errors_by_service_day": (
        "SELECT service_name, CAST(timestamp AS DATE) AS day, count(*) AS errors\n"
        "FROM logs WHERE severity IN ('ERROR', 'FATAL') GROUP BY ALL ORDER BY 1, 2"),
    "json_field_top_users": (
        "-- top users by failed orders, reading a JSON field\n"
        "SELECT context->>'user_id' AS user_id, count(*) AS n FROM logs\n"
        "WHERE service_name = 'checkout' AND severity = 'ERROR'\n"
        "GROUP BY 1 ORDER BY n DESC, 1 LIMIT 20"),
    "volume_by_severity": (
        "SELECT severity, count(*) AS n, min(timestamp) AS first, max(timestamp) AS last\n"
        "FROM logs GROUP BY 1 ORDER BY 1"),
}

FILL = """
INSERT INTO logs
SELECT TIMESTAMP '2024-05-01' + to_microseconds(i * 25_000) AS timestamp,
       ['INFO','INFO','INFO','DEBUG','WARN','ERROR','INFO','FATAL'][(i % 8) + 1] AS severity,
       ['checkout','payment','inventory','gateway','postgres'][(i % 5) + 1] AS service_name,
       CASE WHEN i % 3 = 0 THEN md5(CAST(i // 7 AS VARCHAR)) END AS trace_id,
       'request <*> took <*> ms' AS body,
       'T' || CAST(i % 40 AS VARCHAR) AS template_id,
       'request ' || CAST(i AS VARCHAR) || ' took ' || CAST(i % 997 AS VARCHAR) || ' ms' AS message,
       '{"user_id":"u' || CAST(i % 5000 AS VARCHAR) || '","order_id":"ORD-' || CAST(i // 3 AS VARCHAR)
         || '","duration_ms":' || CAST(i % 997 AS VARCHAR) || '}' AS context,
       'bench' AS source,
       'host' || CAST(i % 4 AS VARCHAR) AS host,
       'bench/part-' || CAST(i // 1_000_000 AS VARCHAR) || '.log' AS origin,
       i AS origin_offset
FROM range(__ROWS__) t(i)
"""


def build(path: Path, rows: int) -> float:
    from logpilot_kernel import Workspace

    t0 = time.perf_counter()
    with Workspace(path) as ws:
        if ws.scalar("SELECT count(*) FROM logs") != rows:
            ws.con.execute("DELETE FROM logs")
            ws.con.execute(FILL.replace("__ROWS__", str(int(rows))))
            ws.con.execute("CHECKPOINT")
    return time.perf_counter() - t0


def measure(path: Path, repeat: int) -> dict:
    from IPython.core.interactiveshell import InteractiveShell
    from IPython.utils.capture import capture_output

    os.environ["LOGPILOT_HOME"] = str(path)
    shell = InteractiveShell.instance()
    shell.run_line_magic("load_ext", "logpilot_kernel")
    ws = shell.user_ns["pilot"].workspace
    out: dict = {}
    for name, sql in QUERIES.items():
        raw_t, magic_t = [], []
        cur = ws.cursor()
        expected = cur.execute(sql).df()  # warm both paths (file cache, plans)
        with capture_output():
            shell.run_cell("%%logsql\n" + sql)
        for _ in range(repeat):
            t0 = time.perf_counter()
            raw = cur.execute(sql).df()
            raw_t.append(time.perf_counter() - t0)
            with capture_output():
                t0 = time.perf_counter()
                res = shell.run_cell("%%logsql\n" + sql)
                magic_t.append(time.perf_counter() - t0)
            if res.error_in_exec is not None:
                raise SystemExit(f"%%logsql failed on {name}: {res.error_in_exec}")
        if len(res.result) != len(expected) or len(raw) != len(expected):
            raise SystemExit(f"{name}: results differ in length")
        raw_m, magic_m = statistics.median(raw_t), statistics.median(magic_t)
        out[name] = {"raw_s": round(raw_m, 4), "logsql_s": round(magic_m, 4),
                     "ratio": round(magic_m / raw_m, 3), "rows_out": len(expected)}
    shell.run_line_magic("unload_ext", "logpilot_kernel")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", default=None, help="reuse/keep the workspace in this folder")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="logsql-bench-")
    path = Path(args.keep or tmp.name) / "ws"
    built = build(path, args.rows)
    result = {"rows": args.rows, "repeat": args.repeat, "build_s": round(built, 1),
              "queries": measure(path, args.repeat)}
    ratios = [q["ratio"] for q in result["queries"].values()]
    result["overall_ratio"] = round(statistics.median(ratios), 3)
    result["max_ratio"] = max(ratios)
    print(json.dumps(result, indent=2))
    if tmp is not None:
        tmp.cleanup()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
