"""GA/PA of the Loghub-2k systems ingested single-process and over 2 Dask shards (issue 16).

usage: python tests/benchmarks/cluster_loghub.py --data DIR
       [--out bench-output/cluster-loghub] [--workers 2] [--systems A,B]
       (DIR: the loghub-2k folder, e.g. ../shared/data/loghub-2k; or --shared PATH for
       PATH/data/loghub-2k, as run_all.py passes it)

Issue 16's "Done when": the GA/PA of each of the 8 development systems with its lines
split over 2 shards equals the single-process figure within 0.01. For every system in
DIR (the raw ``*_2k.log``, with the mtime the format-coverage
benchmark gives it):

1. ``bulk.ingest`` of the file into a fresh workspace (the single-process reference);
2. ``ingest_cluster`` of the same file into another fresh workspace on a
   ``LocalCluster(n_workers=2, processes=True)`` (what ``--cluster local:2`` starts), with
   the planner's shard size set to half the file so the file is cut at a line boundary
   into exactly 2 byte-range shards, each mined by its own worker and merged on the client;

and both workspaces are scored by the format-coverage benchmark's own scorer
(:func:`format_coverage._score_loghub`: full-path GA/PA of the stored templates against
``*_structured_corrected.csv``, with ``score_templates.py`` from DIR/../../tools, the
scorer mining_accuracy.py uses too), imported, not copied. Prints a markdown table and writes
it with the raw figures to OUT (``cluster_loghub.md``, ``cluster_loghub.json``); exits 1 when
a system's GA or PA differs by more than 0.01 or a cluster run did not use 2 shards.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import shutil
import sys
import time

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import format_coverage as fc  # noqa: E402 - the scorer lives beside this file

TOLERANCE = 0.01


def _files(report) -> dict:
    return {pathlib.Path(f.origin).name: {"rule": f.rule, "confidence": f.confidence} for f in report.files}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    where = ap.add_mutually_exclusive_group(required=True)
    where.add_argument("--data", type=pathlib.Path, help="the loghub-2k folder (DIR/<S>/<S>_2k.log)")
    where.add_argument("--shared", type=pathlib.Path, help="the shared folder: --data PATH/data/loghub-2k")
    ap.add_argument("--out", type=pathlib.Path, default=pathlib.Path("bench-output/cluster-loghub"))
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--systems", default=",".join(fc.SYSTEMS), help="comma-separated subset (default: all 8)")
    args = ap.parse_args(argv)
    data = args.data if args.data is not None else args.shared / "data" / "loghub-2k"
    shared = data.resolve().parent.parent  # DIR/../../tools/score_templates.py, as mining_accuracy.py finds it
    scorer = fc._scorer(shared)
    if scorer is None:
        raise SystemExit(f"no scorer at {shared / 'tools' / 'score_templates.py'}")

    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest.bulk import ingest
    from logpilot_kernel.ingest.cluster import connect, ingest_cluster

    out = args.out
    shutil.rmtree(out, ignore_errors=True)
    (out / "in").mkdir(parents=True)
    client, close = connect(f"local:{args.workers}")
    rows: list[dict] = []
    try:
        client.wait_for_workers(args.workers, timeout=120)
        for system in [s for s in args.systems.split(",") if s]:
            src = out / "in" / f"{system}_2k.log"
            shutil.copyfile(data / system / f"{system}_2k.log", src)
            os.utime(src, (fc.MTIME, fc.MTIME))
            size = src.stat().st_size
            row: dict = {"system": system}
            for mode in ("single", "cluster"):
                ws_path = out / f"ws-{system}-{mode}"
                t0 = time.perf_counter()
                with Workspace(ws_path) as ws:
                    if mode == "single":
                        rep = ingest(ws, [src])
                    else:
                        rep = ingest_cluster(ws, [src], cluster=client, shard_bytes=size // 2 + 1)
                        row["shards"] = rep.cluster["shards"]  # type: ignore[attr-defined]
                        row["shard_templates"] = rep.cluster["shard_templates"]  # type: ignore[attr-defined]
                        row["templates_renamed"] = rep.cluster["templates_renamed"]  # type: ignore[attr-defined]
                row[f"{mode}_seconds"] = round(time.perf_counter() - t0, 1)
                s = fc._score_loghub(system, data, ws_path, _files(rep), scorer)
                row[f"{mode}_rows"] = s["rows"]
                row[f"{mode}_GA"], row[f"{mode}_PA"] = s["GA"], s["PA"]
                row[f"{mode}_templates"] = _templates(ws_path)
            row["agree"] = (row["shards"] == 2 and row["single_rows"] == row["cluster_rows"]
                            and abs(row["single_GA"] - row["cluster_GA"]) <= TOLERANCE
                            and abs(row["single_PA"] - row["cluster_PA"]) <= TOLERANCE)
            rows.append(row)
            print(json.dumps(row), flush=True)
    finally:
        close()
    table = _table(rows)
    print(table)
    (out / "cluster_loghub.md").write_text(table, encoding="utf-8")
    (out / "cluster_loghub.json").write_text(json.dumps(rows, indent=2), encoding="utf-8")
    return 0 if all(r["agree"] for r in rows) else 1


def _templates(ws_path: pathlib.Path) -> int:
    import duckdb

    con = duckdb.connect(str(ws_path / "logpilot.duckdb"), read_only=True)
    try:
        return int(con.execute("SELECT count(DISTINCT template_id) FROM logs").fetchone()[0])
    finally:
        con.close()


def _table(rows: list[dict]) -> str:
    head = ("| system | rows | shards | GA single | GA 2 shards | PA single | PA 2 shards | templates single / "
            "2 shards | agree within 0.01 |\n| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |\n")
    body = "".join(
        f"| {r['system']} | {r['cluster_rows']:,} | {r['shards']} | {r['single_GA']:.3f} | {r['cluster_GA']:.3f} | "
        f"{r['single_PA']:.3f} | {r['cluster_PA']:.3f} | {r['single_templates']} / {r['cluster_templates']} | "
        f"{'yes' if r['agree'] else 'NO'} |\n" for r in rows)
    n = max(1, len(rows))
    mean = {k: sum(r[k] for r in rows) / n for k in ("single_GA", "cluster_GA", "single_PA", "cluster_PA")}
    foot = (f"| mean | | | {mean['single_GA']:.3f} | {mean['cluster_GA']:.3f} | {mean['single_PA']:.3f} | "
            f"{mean['cluster_PA']:.3f} | | {sum(r['agree'] for r in rows)}/{len(rows)} |\n")
    return head + body + foot


if __name__ == "__main__":
    sys.exit(main())
