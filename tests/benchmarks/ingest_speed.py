"""End-to-end bulk ingest vs plain Drain3 over the same generated corpus, in one run.

usage: python tests/benchmarks/ingest_speed.py --shared ../shared [--lines 2000000]
       [--out bench-output] [--baseline-lines N]

1. Generates the demo estate scaled to ``--lines`` (kept under OUT for reruns).
2. Runs the shared reference, ``tools/drain3_baseline.py`` (plain Drain3 with generic
   masking over every raw line, gzip aware), on the same files. With
   ``--baseline-lines`` it runs on a prefix copy of that many lines instead (the
   baseline's rate is flat in the corpus size; the prefix keeps the run short) and says so.
3. Runs ``logpilot ingest`` (read, detect, parse, mine, Parquet + DuckDB, embed new
   templates) into a fresh workspace.
Both run as child processes; wall time and peak RSS come from ``os.wait4``. Prints one
JSON object (also written to OUT/ingest_speed.json).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path


def measured_child(cmd: list[str]) -> dict:
    """Run cmd in a child; wall time and the child's own peak RSS (``os.wait4``)."""
    import tempfile

    with tempfile.TemporaryFile() as fo, tempfile.TemporaryFile() as fe:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=fo, stderr=fe)
        _, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - t0
        fo.seek(0)
        fe.seek(0)
        out, err = fo.read().decode(), fe.read().decode()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"{' '.join(cmd[:4])} failed ({code}): {err[-2000:]}")
    return {"seconds": seconds, "peak_rss_mib": usage.ru_maxrss / 1024, "stdout": out, "stderr": err,
            "cpu_seconds": usage.ru_utime + usage.ru_stime}


def data_files(estate: Path) -> list[Path]:
    return sorted(p for p in estate.rglob("*") if p.is_file() and p.name != "ground_truth.json")


def prefix_copy(files: list[Path], lines: int, target: Path) -> list[Path]:
    """The first ``lines`` lines of the estate, spread over its files proportionally."""
    target.mkdir(parents=True, exist_ok=True)
    counts = []
    for f in files:
        op = gzip.open if f.suffix == ".gz" else open
        with op(f, "rt", encoding="utf-8", errors="replace") as fh:
            counts.append(sum(1 for _ in fh))
    total = sum(counts)
    out = []
    for f, n in zip(files, counts):
        take = max(1, int(lines * n / total))
        dst = target / (f.parent.name + "-" + f.name.replace(".gz", ""))
        op = gzip.open if f.suffix == ".gz" else open
        with op(f, "rt", encoding="utf-8", errors="replace") as src, open(dst, "w") as fh:
            for i, line in enumerate(src):
                if i >= take:
                    break
                fh.write(line)
        out.append(dst)
    return out


def count_lines(files: list[Path]) -> int:
    n = 0
    for f in files:
        op = gzip.open if f.suffix == ".gz" else open
        with op(f, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                n += block.count(b"\n")
    return n


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True, help="path to the shared folder (tools/drain3_baseline.py)")
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--baseline-lines", type=int, default=0, help="run the baseline on a prefix of N lines")
    ap.add_argument("--out", default="bench-output")
    args = ap.parse_args()
    out = Path(args.out)
    estate = out / f"estate-{args.lines}"
    if not (estate / "ground_truth.json").exists():
        shutil.rmtree(estate, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", "demo-data", "--out", str(estate),
                        "--lines", str(args.lines), "--seed", "11"], check=True)
    files = data_files(estate / "logs")
    total_lines = count_lines(files)

    baseline_files, baseline_note = files, "all lines"
    if args.baseline_lines and args.baseline_lines < total_lines:
        baseline_files = prefix_copy(files, args.baseline_lines, out / "baseline-prefix")
        baseline_note = f"prefix of {count_lines(baseline_files):,} lines"
    base = measured_child([sys.executable, str(Path(args.shared) / "tools" / "drain3_baseline.py"),
                           *map(str, baseline_files)])
    parts = base["stdout"].split()
    base_lines, base_secs = int(parts[1]), float(parts[3])

    ws = out / "ws-ingest-speed"
    shutil.rmtree(ws, ignore_errors=True)
    ours = measured_child([sys.executable, "-m", "logpilot_kernel.cli", "ingest", str(estate / "logs"),
                           "--workspace", str(ws), "--json", "--quiet"])
    report = json.loads(ours["stdout"])
    ours_rate = report["lines_read"] / ours["seconds"]
    base_rate = base_lines / base_secs
    result = {
        "corpus_lines": total_lines,
        "baseline": {"lines": base_lines, "seconds": round(base_secs, 2),
                     "lines_per_s": round(base_rate), "peak_rss_mib": round(base["peak_rss_mib"]),
                     "scope": baseline_note},
        "logpilot_ingest": {"lines": report["lines_read"], "rows": report["rows_loaded"],
                            "quarantined": report["quarantined"], "templates": report["new_templates"],
                            "wall_seconds": round(ours["seconds"], 2),
                            "in_process_seconds": round(report["seconds"], 2),
                            "lines_per_s": round(ours_rate), "peak_rss_mib": round(ours["peak_rss_mib"]),
                            "balanced": report["balanced"]},
        "speedup": round(ours_rate / base_rate, 1),
    }
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_speed.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
