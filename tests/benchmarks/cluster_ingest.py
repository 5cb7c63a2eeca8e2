"""``ingest --cluster`` speed at 1 and 2 Dask workers, and lake tables vs loaded tables (issue 16).

usage: python tests/benchmarks/cluster_ingest.py [--lines 300000]
       [--out bench-output/cluster] [--workers 1,2] [--shard-mb 4]

1. Generates the demo estate of ``--lines`` lines (kept under OUT for reruns).
2. Ingests it single-process (``bulk.ingest``) as the reference rate.
3. For each worker count: a fresh ``LocalCluster(n_workers=N, processes=True,
   threads_per_worker=1)``, started and warmed (one trivial task per worker) before the
   clock starts, then ``ingest_cluster`` into a fresh workspace with a local lake.
   Reported: wall lines/s; the shard phase; the per-worker rate (lines over the seconds
   the worker spent inside shard tasks: the figure that scales with machines); the
   template merge's time and its cost per million shard templates; the load phase.
4. Lake tables vs loaded tables: three typical queries timed (best of 3) on the
   workspace's ``logs`` table and on a view over the lake's segments
   (``read_parquet(..., hive_partitioning)``), to decide bulk-load against views.

Prints one JSON object (also OUT/cluster_ingest.json).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

QUERIES = {
    "count_by_service_severity": "SELECT service_name, severity, count(*) FROM {t} GROUP BY ALL",
    "errors_per_hour": "SELECT date_trunc('hour', timestamp) h, count(*) FROM {t} "
                       "WHERE severity IN ('ERROR', 'FATAL') GROUP BY h ORDER BY h",
    "top_templates_one_source": "SELECT template_id, count(*) n FROM {t} WHERE source = '{src}' "
                                "GROUP BY template_id ORDER BY n DESC LIMIT 10",
}


def _best_of(con, sql: str, n: int = 3) -> float:
    best = float("inf")
    for _ in range(n):
        t0 = time.perf_counter()
        con.execute(sql).fetchall()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lines", type=int, default=300_000)
    ap.add_argument("--out", default="bench-output/cluster")
    ap.add_argument("--workers", default="1,2")
    ap.add_argument("--shard-mb", type=float, default=4.0)
    args = ap.parse_args(argv)

    from distributed import Client, LocalCluster

    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest
    from logpilot_kernel.ingest.cluster import ingest_cluster

    out = Path(args.out)
    estate = out / f"estate-{args.lines}"
    if not (estate / "logs").exists():
        generate(estate, days=max(1, args.lines // 100_000), lines=args.lines)
    logs = estate / "logs"
    result: dict = {"lines": args.lines, "shard_mb": args.shard_mb, "runs": []}

    ws_path = out / "ws-single"
    shutil.rmtree(ws_path, ignore_errors=True)
    with Workspace(ws_path) as ws:
        t0 = time.perf_counter()
        rep = ingest(ws, [logs])
        result["single_process"] = {"seconds": round(time.perf_counter() - t0, 2), "lines_read": rep.lines_read,
                                    "lines_per_second": round(rep.lines_read / (time.perf_counter() - t0))}

    for n in [int(x) for x in args.workers.split(",") if x]:
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        client = Client(cluster)
        client.wait_for_workers(n, timeout=120)
        client.run(lambda: __import__("logpilot_kernel.ingest.cluster_task"))  # warm the workers' imports
        ws_path = out / f"ws-{n}"
        shutil.rmtree(ws_path, ignore_errors=True)
        with Workspace(ws_path) as ws:
            t0 = time.perf_counter()
            rep = ingest_cluster(ws, [logs], cluster=client, shard_bytes=int(args.shard_mb * (1 << 20)))
            wall = time.perf_counter() - t0
            info = rep.cluster  # type: ignore[attr-defined]
            busy = info["task_seconds"]
            run = {
                "workers": n, "wall_seconds": round(wall, 2), "lines_read": rep.lines_read,
                "rows_loaded": rep.rows_loaded, "balanced": rep.balanced,
                "lines_per_second": round(rep.lines_read / wall),
                "shard_phase_seconds": info["shard_seconds"],
                "shard_phase_lines_per_second": round(rep.lines_read / info["shard_seconds"]),
                "per_worker_lines_per_second": round(rep.lines_read / sum(busy.values())) if busy else None,
                "worker_task_seconds": busy,
                "shards": info["shards"], "shard_templates": info["shard_templates"],
                "merge_seconds": info["merge_seconds"],
                "merge_seconds_per_million_templates": round(info["merge_seconds"] / max(1, info["shard_templates"])
                                                             * 1e6, 1),
                "load_seconds": info["load_seconds"],
            }
            if n == max(int(x) for x in args.workers.split(",") if x):
                lake = ws_path / "parquet"
                con = ws.cursor()
                con.execute(f"CREATE OR REPLACE TEMP VIEW lake_logs AS SELECT * FROM read_parquet("
                            f"'{lake}/source=*/date=*/s*.parquet', hive_partitioning = true)")
                src = con.execute("SELECT source FROM logs GROUP BY source ORDER BY count(*) DESC LIMIT 1").fetchone()[0]
                run["queries_ms"] = {
                    name: {"logs_table": round(_best_of(con, q.format(t="logs", src=src)) * 1000, 1),
                           "lake_view": round(_best_of(con, q.format(t="lake_logs", src=src)) * 1000, 1)}
                    for name, q in QUERIES.items()}
                con.close()
            result["runs"].append(run)
        client.close()
        cluster.close()
    text = json.dumps(result, indent=2)
    print(text)
    out.mkdir(parents=True, exist_ok=True)
    (out / "cluster_ingest.json").write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
