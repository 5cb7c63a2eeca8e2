"""End-to-end bulk ingest vs plain Drain3 over the same generated corpus, in one run.

usage: python tests/benchmarks/ingest_speed.py --shared ../shared [--lines 2000000]
       [--out bench-output] [--baseline-lines N] [--many-files 400 --file-lines 2000]
       [--skip-main]

1. Generates the demo estate scaled to ``--lines`` (kept under OUT for reruns).
2. Runs the shared reference, ``tools/drain3_baseline.py`` (plain Drain3 with generic
   masking over every raw line, gzip aware), on the same files. With
   ``--baseline-lines`` it runs on a prefix copy of that many lines instead (the
   baseline's rate is flat in the corpus size; the prefix keeps the run short) and says so.
3. Runs ``logpilot ingest`` (read, detect, parse, mine, Parquet + DuckDB, embed new
   templates) into a fresh workspace.
4. With ``--many-files N``: the many-small-files case of issue 16. From the estate it cuts
   N files of ``--file-lines`` lines each, in two shapes, and ingests each shape both as
   those small files and as the same lines in big files, in the same run:
   ``access`` (the access log: one big file vs N pieces of it) and ``mixed`` (pieces cut
   from every source file in proportion vs the same lines as one file per source). The
   figure is the ratio of the small files' lines/s to the big files' (target >= 0.8).
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
from typing import Iterable


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


def _lines_of(f: Path) -> "Iterable[str]":
    op = gzip.open if f.suffix == ".gz" else open
    with op(f, "rt", encoding="utf-8", errors="replace", newline="") as fh:
        yield from fh


def many_files_estates(files: list[Path], n_files: int, file_lines: int, target: Path) -> dict[str, tuple[Path, Path]]:
    """Per shape, (folder of big files, folder of ``n_files`` small files) holding the same lines.

    Each source keeps its service folder (the folder names the service), so the two
    folders of one shape load the same rows; a gzip part is read in order before its
    plain file (rotated first, as on disk)."""
    out: dict[str, tuple[Path, Path]] = {}
    by_dir: dict[str, list[Path]] = {}
    for f in sorted(files, key=lambda p: (p.parent.name, p.suffix != ".gz")):
        by_dir.setdefault(f.parent.name, []).append(f)
    total = n_files * file_lines

    def write(shape: str, take: dict[str, int]) -> None:
        big, small = target / shape / "big", target / shape / "small"
        if (target / shape / "done").exists():
            out[shape] = (big, small)
            return
        shutil.rmtree(target / shape, ignore_errors=True)
        for svc, n in take.items():
            (big / svc).mkdir(parents=True, exist_ok=True)
            (small / svc).mkdir(parents=True, exist_ok=True)
            lines = []
            for f in by_dir[svc]:
                for line in _lines_of(f):
                    lines.append(line)
                    if len(lines) >= n:
                        break
                if len(lines) >= n:
                    break
            name = by_dir[svc][-1].name.replace(".gz", "")
            (big / svc / name).write_text("".join(lines))
            for k in range(0, len(lines), file_lines):
                (small / svc / f"{k // file_lines:05d}-{name}").write_text("".join(lines[k:k + file_lines]))
        (target / shape / "done").write_text("")
        out[shape] = (big, small)

    access = max(by_dir, key=lambda d: sum(f.stat().st_size for f in by_dir[d]))
    write("access", {access: total})
    sizes = {d: sum(1 for f in fs for _ in _lines_of(f)) for d, fs in by_dir.items()}
    whole = sum(sizes.values())
    pieces = {d: max(1, round(n_files * n / whole)) for d, n in sizes.items()}
    while sum(pieces.values()) != n_files:  # rounding: adjust the largest source
        big_d = max(pieces, key=pieces.get)
        pieces[big_d] += 1 if sum(pieces.values()) < n_files else -1
    write("mixed", {d: k * file_lines for d, k in pieces.items()})
    return out


#: Runs ``logpilot_kernel.cli`` from the folder in argv[1] (a copy of an earlier checkout's
#: package, laid out as installed: ``DIR/logpilot_kernel/ingest`` ...), not from the
#: editable install, whose import finder would otherwise win over ``PYTHONPATH``.
_BEFORE_LAUNCHER = (
    "import sys, runpy; d = sys.argv.pop(1); "
    "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
    "sys.path.insert(0, d); sys.argv[0] = 'logpilot'; "
    "runpy.run_module('logpilot_kernel.cli', run_name='__main__', alter_sys=True)")


def cli(before: str | None = None) -> list[str]:
    """The command that runs ``logpilot``: this checkout, or the package copy ``before``."""
    if before:
        return [sys.executable, "-c", _BEFORE_LAUNCHER, str(before)]
    return [sys.executable, "-m", "logpilot_kernel.cli"]


def ingest_child(folder: Path, ws: Path, before: str | None = None) -> dict:
    """``logpilot ingest FOLDER`` into a fresh workspace: lines, rows, wall s, lines/s."""
    shutil.rmtree(ws, ignore_errors=True)
    run = measured_child([*cli(before), "ingest", str(folder),
                          "--workspace", str(ws), "--json", "--quiet"])
    rep = json.loads(run["stdout"])
    return {"files": len(rep["files"]), "lines": rep["lines_read"], "rows": rep["rows_loaded"],
            "templates": rep["new_templates"], "wall_seconds": round(run["seconds"], 2),
            "lines_per_s": round(rep["lines_read"] / run["seconds"]), "balanced": rep["balanced"]}


def many_files(files: list[Path], n_files: int, file_lines: int, out: Path, before: str | None = None) -> dict:
    """The many-small-files ratios (see the module docstring, step 4); with ``before``,
    the earlier checkout's ratios too, each ingest right after this checkout's."""
    result = {}
    for shape, (big, small) in many_files_estates(files, n_files, file_lines, out / "many-files").items():
        row: dict = {}
        for who, pkg in [("after", None)] + ([("before", before)] if before else []):
            b = ingest_child(big, out / "ws-many-big", pkg)
            s = ingest_child(small, out / "ws-many-small", pkg)
            row[who] = {"big_files": b, "small_files": s, "ratio": round(s["lines_per_s"] / b["lines_per_s"], 2)}
        result[shape] = row
    return result


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--shared", required=True, help="path to the shared folder (tools/drain3_baseline.py)")
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--baseline-lines", type=int, default=0, help="run the baseline on a prefix of N lines")
    ap.add_argument("--out", default="bench-output")
    ap.add_argument("--many-files", type=int, default=0, help="also the many-small-files ratio with N files")
    ap.add_argument("--file-lines", type=int, default=2000, help="lines per small file (--many-files)")
    ap.add_argument("--skip-main", action="store_true", help="only the many-files ratio (no baseline, no 2M run)")
    ap.add_argument("--before", help="a package copy of an earlier checkout (DIR/logpilot_kernel/...): its ingest "
                                     "runs in the same run, right after this checkout's")
    args = ap.parse_args()
    out = Path(args.out)
    estate = out / f"estate-{args.lines}"
    if not (estate / "ground_truth.json").exists():
        shutil.rmtree(estate, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", "demo-data", "--out", str(estate),
                        "--lines", str(args.lines), "--seed", "11"], check=True)
    files = data_files(estate / "logs")
    if args.skip_main:
        res = {"many_files": many_files(files, args.many_files or 400, args.file_lines, out, args.before)}
        print(json.dumps(res, indent=2))
        return
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
    ours = measured_child([*cli(), "ingest", str(estate / "logs"), "--workspace", str(ws), "--json", "--quiet"])
    report = json.loads(ours["stdout"])
    earlier = ingest_child(estate / "logs", ws, args.before) if args.before else None
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
    if earlier is not None:  # the earlier checkout, same corpus, right after
        result["before"] = {**earlier, "speedup": round(earlier["lines_per_s"] / base_rate, 1),
                            "after_over_before": round(ours_rate / earlier["lines_per_s"], 2)}
    if args.many_files:
        result["many_files"] = many_files(files, args.many_files, args.file_lines, out, args.before)
    out.mkdir(parents=True, exist_ok=True)
    (out / "ingest_speed.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
