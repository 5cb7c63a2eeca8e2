"""`make bench`: every benchmark, each a ratio against its baseline in the same run.

usage: python tests/benchmarks/run_all.py --shared ../shared [--out bench-output]
       [--lines 2000000] [--cluster-lines 300000]
       [--only ingest|accuracy|mining|logsql|why|stream|formats|questions|cluster|startup|hardening|notebook]
       (cluster: the Dask ingest at 1 and 2 workers, and Loghub GA/PA over 2 shards)

Writes OUT/benchmarks.md (the tables docs/benchmarks.md reports) and the raw JSON/text of
each benchmark beside it.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _run(args: list[str]) -> str:
    print("+", " ".join(args), flush=True)
    p = subprocess.run([sys.executable, *args], capture_output=True, text=True)
    if p.returncode != 0:
        raise SystemExit(f"benchmark failed: {' '.join(args)}\n{p.stderr[-3000:]}")
    return p.stdout


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True)
    ap.add_argument("--out", default="bench-output")
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--baseline-lines", type=int, default=200_000,
                    help="plain Drain3 runs on a prefix this long (0 = the whole corpus: over 40 "
                         "CPU-minutes on 2M lines, because Drain3 slows as clusters accumulate)")
    ap.add_argument("--cluster-lines", type=int, default=300_000,
                    help="size of the generated estate of the Dask ingest benchmark (1 and 2 workers)")
    ap.add_argument("--only", choices=["ingest", "accuracy", "mining", "logsql", "why", "stream", "formats", "questions",
                                       "cluster", "startup", "hardening", "notebook"], default=None)
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    md = [f"Machine: {platform.machine()}, {platform.python_implementation()} {platform.python_version()}, "
          f"{_cores()} cores.\n"]

    if args.only in (None, "accuracy"):
        text = _run([str(HERE / "mining_accuracy.py"), "--data", str(Path(args.shared) / "data" / "loghub-2k"),
                     "--scorer", str(Path(args.shared) / "tools" / "score_templates.py"), "--loso"])
        (out / "mining_accuracy.txt").write_text(text)
        md += ["## Template mining accuracy (Loghub-2k, corrected labels; in-sample and leave-one-system-out)\n",
               f"`python tests/benchmarks/mining_accuracy.py --data {args.shared}/data/loghub-2k --loso`\n",
               "```", text.strip(), "```\n"]

    if args.only in (None, "mining"):
        text = _run([str(HERE / "mining_speed.py")])
        (out / "mining_speed.txt").write_text(text)
        md += ["## Mining step alone\n", "`python tests/benchmarks/mining_speed.py`\n", "```", text.strip(), "```\n"]

    if args.only in (None, "ingest"):
        text = _run([str(HERE / "ingest_speed.py"), "--shared", args.shared, "--lines", str(args.lines),
                     "--baseline-lines", str(args.baseline_lines), "--out", str(out)])
        r = json.loads(text[text.index("{"):])
        b, o = r["baseline"], r["logpilot_ingest"]
        md += ["## End-to-end bulk ingest vs plain Drain3\n",
               f"`python tests/benchmarks/ingest_speed.py --shared {args.shared} --lines {args.lines} "
               f"--baseline-lines {args.baseline_lines}`\n",
               "| | lines | seconds | lines/s | peak RSS (MiB) |", "| --- | ---: | ---: | ---: | ---: |",
               f"| plain Drain3 + generic masks ({b['scope']}) | {b['lines']:,} | {b['seconds']} | "
               f"{b['lines_per_s']:,} | {b['peak_rss_mib']} |",
               f"| `logpilot ingest` (parse, mine, Parquet + DuckDB, embed) | {o['lines']:,} | "
               f"{o['wall_seconds']} | {o['lines_per_s']:,} | {o['peak_rss_mib']} |",
               "", f"Speed-up: **{r['speedup']}x**; rows {o['rows']:,}, quarantined {o['quarantined']:,}, "
               f"templates {o['templates']:,}, accounting balanced: {o['balanced']}.\n"]

    if args.only in (None, "logsql"):
        text = _run([str(HERE / "logsql_overhead.py"), "--rows", "10000000", "--repeat", "5"])
        (out / "logsql_overhead.txt").write_text(text)
        md += ["## `%%logsql` overhead over raw DuckDB (10M rows)\n",
               "`python tests/benchmarks/logsql_overhead.py --rows 10000000 --repeat 5`\n",
               "```", text.strip(), "```\n"]

    if args.only in (None, "why"):
        bgl = str(Path(args.shared) / "data" / "loghub-2k" / "BGL" / "BGL_2k.log")
        text = _run([str(HERE / "why_bgl.py"), bgl])
        (out / "why_bgl.txt").write_text(text)
        md += ["## \"What is abnormal?\" on Loghub BGL (alert tags hidden)\n",
               f"`python tests/benchmarks/why_bgl.py {bgl}`\n", "```", text.strip(), "```\n"]
        text = _run([str(HERE / "why_speed.py"), "--rows", "10000000"])
        (out / "why_speed.txt").write_text(text)
        md += ["## Why-engine evidence time on 10M rows\n",
               "`python tests/benchmarks/why_speed.py --rows 10000000`\n", "```", text.strip(), "```\n"]

    if args.only in (None, "formats"):
        text = _run([str(HERE / "format_coverage.py"), "--shared", args.shared])
        (out / "format_coverage.txt").write_text(text)
        md += ["## Format coverage (Loghub-2k raw files, blind format fixtures)\n",
               f"`python tests/benchmarks/format_coverage.py --shared {args.shared}`\n", text.strip(), "\n"]
        for held in ("formats_holdout", "formats_holdout3", "formats_holdout4"):  # later blind sets
            fixtures = HERE.parent / "fixtures" / held
            text = _run([str(HERE / "format_coverage.py"), "--shared", args.shared, "--fixtures", str(fixtures)])
            (out / f"format_coverage_{held}.txt").write_text(text)
            md += [f"## Format coverage, `tests/fixtures/{held}`\n",
                   f"`python tests/benchmarks/format_coverage.py --shared {args.shared} --fixtures "
                   f"tests/fixtures/{held}`\n", text.strip(), "\n"]

    if args.only in (None, "questions"):
        for name, cmd in (("question_accuracy", ["question_accuracy.py", "--shared", args.shared]),
                          ("why_questions", ["why_questions.py", "--extra-incidents"]),
                          ("why_blind", ["why_blind.py"]),
                          ("why_blind_renamed", ["why_blind.py", "--rename-seed", "3"]),
                          *((f"question_accuracy_{h}", ["question_accuracy.py", "--sets", "demo", "--demo-questions",
                                                         str(HERE / "data" / f"demo_questions_{h}.json")])
                            for h in ("heldout", "heldout3", "heldout4", "heldout5"))):
            text = _run([str(HERE / cmd[0]), *cmd[1:]])
            (out / f"{name}.txt").write_text(text)
            md += [f"## {name.replace('_', ' ')}\n", f"`python tests/benchmarks/{' '.join(cmd)}`\n",
                   "```", text.strip(), "```\n"]

    if args.only in (None, "cluster"):  # a LocalCluster of 1, then 2 worker processes
        cmd = ["cluster_ingest.py", "--lines", str(args.cluster_lines), "--out", str(out / "cluster")]
        text = _run([str(HERE / cmd[0]), *cmd[1:]])
        r = json.loads(text[text.index("{"):])
        sp = r["single_process"]
        md += ["## Dask ingest (`ingest --cluster`, LocalCluster on this machine)\n",
               f"`python tests/benchmarks/{' '.join(cmd)}`\n",
               "| workers | shards | wall s | lines/s | shard phase lines/s | per-worker lines/s | merge s "
               "(s per 1M shard templates) | load s |",
               "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
        for run in r["runs"]:
            md.append(f"| {run['workers']} | {run['shards']} | {run['wall_seconds']} | {run['lines_per_second']:,} | "
                      f"{run['shard_phase_lines_per_second']:,} | {run['per_worker_lines_per_second'] or 0:,} | "
                      f"{run['merge_seconds']} ({run['merge_seconds_per_million_templates']}) | "
                      f"{run['load_seconds']} |")
        md += ["", f"Single process on the same {r['lines']:,} lines: {sp['lines_per_second']:,} lines/s "
               f"({sp['seconds']} s).\n"]
        queries = next((run["queries_ms"] for run in r["runs"] if "queries_ms" in run), None)
        if queries:
            md += ["| query (best of 3, ms) | logs table | lake view |", "| --- | ---: | ---: |"]
            md += [f"| {name} | {q['logs_table']} | {q['lake_view']} |" for name, q in queries.items()]
            md.append("")
        # GA/PA of the 8 Loghub-2k systems, single process vs each file cut into 2 shards
        cmd = ["cluster_loghub.py", "--data", str(Path(args.shared) / "data" / "loghub-2k"),
               "--out", str(out / "cluster-loghub")]
        p = subprocess.run([sys.executable, str(HERE / cmd[0]), *cmd[1:]], capture_output=True, text=True)
        print("+", " ".join(cmd), flush=True)
        if p.returncode not in (0, 1):  # 1: a system off by more than 0.01, reported in the table
            raise SystemExit(f"benchmark failed: {' '.join(cmd)}\n{p.stderr[-3000:]}")
        table = (out / "cluster-loghub" / "cluster_loghub.md").read_text()
        md += ["## Loghub-2k GA/PA over 2 Dask shards vs single process\n",
               f"`python tests/benchmarks/{' '.join(cmd)}`\n", table.strip(), "\n"]

    if args.only in (None, "startup"):  # fixed cost of a command and of %load_ext
        text = _run([str(HERE / "startup.py")])
        (out / "startup.txt").write_text(text)
        md += ["## Start-up\n", "`python tests/benchmarks/startup.py`\n", "```", text.strip(), "```\n"]

    if args.only in (None, "notebook"):  # issue 18's budgets: fresh kernels on the demo estate
        text = _run([str(HERE / "notebook_budgets.py"), "--repeat", "3"])
        (out / "notebook_budgets.txt").write_text(text)
        md += ["## Notebook budgets (issue 18)\n", "`python tests/benchmarks/notebook_budgets.py --repeat 3`\n",
               text.strip(), "\n"]

    if args.only in (None, "hardening"):  # hostile input table; unique free text vs a repetitive log
        for name, cmd in (("fuzz_table", ["fuzz_table.py"]),
                          ("mining_budget", ["mining_budget.py", "--lines", "200000", "1000000",
                                             "--out", str(out / "mining_budget")])):
            text = _run([str(HERE / cmd[0]), *cmd[1:]])
            (out / f"{name}.txt").write_text(text)
            md += [f"## {name.replace('_', ' ')}\n", f"`python tests/benchmarks/{' '.join(cmd[:1] + cmd[1:4])}`\n",
                   text.strip(), "\n"]

    if args.only in (None, "stream"):  # about 13 minutes: a real broker and a 10-minute soak
        text = _run([str(HERE / "stream_throughput.py")])
        (out / "stream_throughput.txt").write_text(text)
        summary = text[text.rindex("stream_throughput:"):]
        md += ["## Streaming (real noida-db broker)\n", "`python tests/benchmarks/stream_throughput.py`\n",
               "```", summary.strip(), "```\n"]

    (out / "benchmarks.md").write_text("\n".join(md) + "\n")
    print("\n".join(md))


def _cores() -> int:
    import os

    return os.cpu_count() or 1


if __name__ == "__main__":
    main()
