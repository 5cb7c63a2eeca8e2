"""The question lexicon's refresh after a bulk load, batch by batch (issue 16).

    python tests/benchmarks/lexicon_refresh.py --estate DIR [--before COMMIT] [--after COMMIT] [--out DIR]

``DIR`` is the output of ``logpilot demo-data`` (or any folder with a ``logs`` folder). Its
files are cut into two batches: the first half of every plain file plus the compressed
ones, then the second half of every plain file (same paths, same services). Each code
state ingests batch one, then batch two, into a fresh workspace and times the ingest's
lexicon refresh (``refresh_after_ingest``) after each batch, then a rebuild from all rows
(stamps and stored counts dropped). ``--before``/``--after``: the product code of a commit
(``git archive``) or a package layout (``DIR/logpilot_kernel/...``, e.g. a commit with one
file put back), run one after the other in the same run; without ``--after``, this
checkout. The lexicon tables of the two are compared row for row.

Why: the refresh used to rescan every row of the touched services, so its cost grew with
the table; it should grow with the batch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = {"logpilot_kernel": "logpilot_kernel", "ingest": "logpilot_kernel/ingest",
          "magics": "logpilot_kernel/magics", "widgets": "logpilot_kernel/widgets"}


def split(estate: Path, out: Path) -> tuple[Path, Path]:
    """Two batches of the estate's logs (see the module docstring)."""
    one, two = out / "batch1", out / "batch2"
    if (two / ".done").exists():
        return one, two
    shutil.rmtree(one, ignore_errors=True)
    shutil.rmtree(two, ignore_errors=True)
    for f in sorted((estate / "logs").rglob("*")):
        if not f.is_file():
            continue
        rel = f.relative_to(estate / "logs")
        (one / rel).parent.mkdir(parents=True, exist_ok=True)
        if f.suffix == ".gz":
            shutil.copy2(f, one / rel)
            continue
        lines = f.read_bytes().splitlines(keepends=True)
        half = len(lines) // 2
        (two / rel).parent.mkdir(parents=True, exist_ok=True)
        (one / rel).write_bytes(b"".join(lines[:half]))
        (two / rel).write_bytes(b"".join(lines[half:]))
    (two / ".done").write_text("")
    return one, two


def _code(commit: str, into: Path) -> Path:
    """The product code of ``commit`` laid out as the installed package."""
    shutil.rmtree(into, ignore_errors=True)
    src = into / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, *LAYOUT], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    for name, where in LAYOUT.items():
        shutil.copytree(src / name, into / "layout" / where)
    return into / "layout"


def child(one: Path, two: Path, ws_dir: Path, table_out: Path) -> dict:
    """In this process: ingest both batches, timing each refresh; then a rebuild."""
    from logpilot_kernel import Workspace
    import logpilot_kernel.ingest.bulk as bulk
    from logpilot_kernel.query import lexicon

    shutil.rmtree(ws_dir, ignore_errors=True)
    ws = Workspace(ws_dir)
    hook = bulk.refresh_after_ingest
    spent: list[float] = []

    def timed(w):  # the ingest's own hook, with a clock around it
        t = time.perf_counter()
        hook(w)
        spent.append(time.perf_counter() - t)

    bulk.refresh_after_ingest = timed
    out: dict = {"batches": []}
    for batch in (one, two):
        t = time.perf_counter()
        rep = bulk.ingest(ws, [str(batch)], progress=False)
        out["batches"].append({"rows": rep.rows_loaded, "ingest_s": round(time.perf_counter() - t, 2),
                               "refresh_s": round(spent[-1], 3)})
    cur = ws.cursor()
    out["rows_total"] = cur.execute("SELECT count(*) FROM logs").fetchone()[0]
    names = {r[0] for r in cur.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    cur.execute("DELETE FROM lexicon_stamp")
    if "lexicon_origin" in names:
        cur.execute("DELETE FROM lexicon_origin")
    t = time.perf_counter()
    lexicon.refresh(cur)
    out["rebuild_s"] = round(time.perf_counter() - t, 3)
    rows = cur.execute("SELECT * FROM lexicon ORDER BY ALL").fetchall()
    table_out.write_text(json.dumps([list(map(str, r)) for r in rows]))
    cur.close()
    ws.close()
    return out


def run_child(code: Path | None, one: Path, two: Path, out: Path, tag: str) -> dict:
    prelude = ("import sys; d = sys.argv.pop(1); "
               "sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in repr(f).lower()]; "
               "sys.path.insert(0, d); ") if code else "import sys; "
    script = (prelude + f"sys.path.insert(0, {str(Path(__file__).parent)!r}); import json, lexicon_refresh as b; "
              "from pathlib import Path; a = [Path(x) for x in sys.argv[1:]]; "
              "print(json.dumps(b.child(*a)))")
    args = [sys.executable, "-c", script, *([str(code)] if code else []),
            str(one), str(two), str(out / f"ws-{tag}"), str(out / f"lexicon-{tag}.json")]
    res = subprocess.run(args, capture_output=True, text=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    if res.returncode:
        raise SystemExit(f"{tag}: {res.stderr.strip().splitlines()[-1] if res.stderr.strip() else res.returncode}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--estate", required=True, help="a demo-data folder (with logs/)")
    ap.add_argument("--before", help="also run the product code of this commit (or a package layout DIR)")
    ap.add_argument("--after", help="the product code of this commit (or layout DIR) instead of this checkout")
    ap.add_argument("--out", default="bench-output/lexicon-refresh")
    ap.add_argument("--repeat", type=int, default=1, help="runs of each code state, alternating")
    args = ap.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    one, two = split(Path(args.estate), out)
    def code(what: str, tag: str) -> Path:  # a commit, or a package layout made by hand
        return Path(what) if Path(what).is_dir() else _code(what, out / f"code-{tag}")

    codes = {"after": code(args.after, "after") if args.after else None}
    if args.before:
        codes["before"] = code(args.before, "before")
    results: dict[str, list[dict]] = {tag: [] for tag in codes}
    for _ in range(args.repeat):
        for tag, code in codes.items():
            results[tag].append(run_child(code, one, two, out, tag))
    report: dict = {"results": results, "load_average": os.getloadavg()}
    if args.before:
        a, b = (json.loads((out / f"lexicon-{t}.json").read_text()) for t in ("after", "before"))
        report["lexicon_rows"] = {"after": len(a), "before": len(b),
                                  "only_after": len([r for r in a if r not in b]),
                                  "only_before": len([r for r in b if r not in a])}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
