"""Bounded mining: unique free text ingests in time linear in lines, memory bounded.

usage: python tests/benchmarks/mining_budget.py [--lines 200000 1000000] [--repeat N] [--out DIR]
       python tests/benchmarks/mining_budget.py --spend DIR   (Loghub-2k: what normal logs spend)

For each size, two files of that many lines in the same plain-text shape are generated:
*unique* (six random words from a 50,000-word vocabulary: one shape per line, the case
that was quadratic) and *repetitive* (20 five-word shapes and a number).  Each is loaded
by a real ``logpilot ingest`` child process into a fresh workspace; wall time and peak
RSS come from ``os.wait4``.  The figure of merit is lines/s of unique over repetitive at
the same size (target: at least 0.5x) and that it holds as the size grows (linear).

``--spend DIR`` mines each Loghub-2k system (DIR/<S>/<S>_2k.log_structured_corrected.csv)
with no budget and prints what Drain spent (clusters created, tokens compared): the
headroom the default budget (``ingest/mining_budget.py``) keeps over normal logs.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from ingest_speed import measured_child  # noqa: E402

LETTERS = "abcdefghijklmnopqrstuvwxyz"


def generate(path: Path, lines: int, kind: str, seed: int = 7) -> None:
    """``unique``: six random words per line; ``repetitive``: 20 shapes and a number."""
    rng = random.Random(seed)
    words = ["".join(rng.choice(LETTERS) for _ in range(rng.randint(3, 9))) for _ in range(50_000)]
    shapes = [" ".join(rng.choice(words) for _ in range(5)) for _ in range(20)]
    with open(path, "w", encoding="utf-8") as fh:
        for start in range(0, lines, 100_000):
            n = min(100_000, lines - start)
            if kind == "unique":
                block = (" ".join(rng.choices(words, k=6)) for _ in range(n))
            else:
                block = (f"{rng.choice(shapes)} {rng.randint(0, 10**6)}" for _ in range(n))
            fh.write("\n".join(block) + "\n")


def ingest_one(path: Path, ws: Path) -> dict:
    shutil.rmtree(ws, ignore_errors=True)
    run = measured_child([sys.executable, "-m", "logpilot_kernel.cli", "ingest", str(path), "-w", str(ws)])
    import duckdb

    con = duckdb.connect(str(ws / "logpilot.duckdb"), read_only=True)
    try:
        rows, coarse = con.execute(
            "SELECT count(*), count(*) FILTER (WHERE json_extract_string(context, '$.template_quality') = 'coarse') "
            "FROM logs").fetchone()
        templates = con.execute("SELECT count(*) FROM templates").fetchone()[0]
        report = json.loads(con.execute("SELECT report FROM ingest_runs ORDER BY started_at DESC LIMIT 1").fetchone()[0])
    finally:
        con.close()
    shutil.rmtree(ws, ignore_errors=True)
    budget = [f.get("template_budget") for f in report["files"] if f.get("template_budget")]
    return {"seconds": round(run["seconds"], 2), "cpu_seconds": round(run["cpu_seconds"], 2),
            "peak_rss_mib": round(run["peak_rss_mib"]), "rows": rows,
            "coarse_rows": coarse, "templates": templates, "budget": budget[0] if budget else None}


def spend(data: Path) -> None:
    from logpilot_kernel.ingest.mining import TemplateMiner
    from logpilot_kernel.ingest.mining_budget import DEFAULT_BUDGET

    print(f"default budget: {DEFAULT_BUDGET}")
    print("| system | clusters created | tokens compared |\n| --- | ---: | ---: |")
    for sysdir in sorted(p for p in data.iterdir() if p.is_dir()):
        f = sysdir / f"{sysdir.name}_2k.log_structured_corrected.csv"
        if not f.exists():
            continue
        with open(f, newline="", encoding="utf-8") as fh:
            contents = [r["Content"] for r in csv.DictReader(fh)]
        res = TemplateMiner(budget=None).mine(contents)
        print(f"| {sysdir.name} | {res.spent['templates_created']:,} | {res.spent['tokens_compared']:,} |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, nargs="+", default=[200_000, 1_000_000])
    ap.add_argument("--out", default="bench-output/mining_budget")
    ap.add_argument("--repeat", type=int, default=1, help="runs per size and kind, interleaved; the fastest counts")
    ap.add_argument("--spend", type=Path, default=None, help="Loghub-2k folder: print what normal logs spend")
    a = ap.parse_args(argv)
    if a.spend is not None:
        spend(a.spend)
        return
    out = Path(a.out)
    out.mkdir(parents=True, exist_ok=True)
    results = []
    # The machine is shared: wall time follows its load, CPU seconds of the child (all its
    # threads) much less, so both are printed and the ratio is given for each.
    print("| lines | kind | wall s | lines/s | CPU s | lines per CPU s | peak RSS (MiB) | templates | coarse rows |")
    print("| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |", flush=True)
    for n in a.lines:
        per: dict[str, dict] = {}
        paths = {}
        for kind in ("repetitive", "unique"):
            paths[kind] = out / f"{kind}-{n}.log"
            generate(paths[kind], n, kind)
        for _ in range(a.repeat):
            for kind in ("repetitive", "unique"):
                r = ingest_one(paths[kind], out / "ws")
                if kind not in per or r["seconds"] < per[kind]["seconds"]:
                    per[kind] = r
        for kind in ("repetitive", "unique"):
            paths[kind].unlink()
            r = per[kind]
            r.update(lines=n, kind=kind, lines_per_s=round(n / r["seconds"]),
                     lines_per_cpu_s=round(n / r["cpu_seconds"]))
            results.append(r)
            print(f"| {n:,} | {kind} | {r['seconds']:.1f} | {r['lines_per_s']:,} | {r['cpu_seconds']:.1f} | "
                  f"{r['lines_per_cpu_s']:,} | {r['peak_rss_mib']:,} | {r['templates']:,} | {r['coarse_rows']:,} |",
                  flush=True)
        wall = per["unique"]["lines_per_s"] / per["repetitive"]["lines_per_s"]
        cpu = per["unique"]["lines_per_cpu_s"] / per["repetitive"]["lines_per_cpu_s"]
        print(f"| {n:,} | unique / repetitive | | **{wall:.2f}x** | | **{cpu:.2f}x** | | | |", flush=True)
        print(f"budget passed ({n:,} unique): {per['unique']['budget']}", flush=True)
    (out / "mining_budget.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
