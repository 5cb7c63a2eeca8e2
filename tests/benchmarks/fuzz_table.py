"""The hostile-input table of docs/benchmarks.md ("Hostile input (issue 17)").

    python tests/benchmarks/fuzz_table.py [--before COMMIT] [--out FILE]

Generates the fuzz corpus of ``tests/fuzz/corpus.py`` in a temporary folder, ingests
each case with the real ``logpilot ingest`` (``tests/fuzz/check.py``, the same check the
test suite runs) and prints a Markdown table: one row per hostile input, one column per
reader, a cell ``ok`` or what was wrong. ``--before COMMIT`` runs the same corpus against
the product code of an earlier commit (taken with ``git archive``, imported ahead of the
installed package) and adds its count, so the table shows what the change fixed.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LAYOUT = {"logpilot_kernel": "logpilot_kernel", "ingest": "logpilot_kernel/ingest",
          "magics": "logpilot_kernel/magics", "widgets": "logpilot_kernel/widgets"}


def run(folder: Path) -> list[dict]:
    """Every case of the corpus, judged; one dict per case."""
    from tests.fuzz.check import run_case
    from tests.fuzz.corpus import all_cases

    rows = []
    for case in all_cases(folder / "inputs"):
        out = run_case(case, folder / "ws" / case.key.replace("/", "-"))
        rows.append({"name": case.name, "reader": case.reader, "ok": out.ok, "faults": out.faults,
                     "exit": out.exit_code, "lines": case.lines, "rows": out.rows,
                     "quarantined": out.quarantined, "merged": out.merged, "seconds": round(out.seconds, 2),
                     "message": out.message[:240]})
    return rows


def _old_code(commit: str, into: Path) -> Path:
    """The product code of ``commit`` laid out as the installed package."""
    src = into / "src"
    src.mkdir(parents=True)
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", commit, *LAYOUT], check=True,
                             capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", str(src)], input=archive, check=True)
    layout = into / "layout"
    for name, where in LAYOUT.items():
        shutil.copytree(src / name, layout / where)
    return layout


def _table(rows: list[dict]) -> str:
    from tests.fuzz.corpus import READERS

    cells: dict[str, dict[str, str]] = defaultdict(dict)
    for r in rows:
        cells[r["name"]][r["reader"]] = "ok" if r["ok"] else "**" + "; ".join(r["faults"])[:90] + "**"
    head = "| input | " + " | ".join(READERS) + " |\n| --- |" + " --- |" * len(READERS) + "\n"
    body = "".join(f"| {name} | " + " | ".join(c.get(rd, "–") for rd in READERS) + " |\n"
                   for name, c in cells.items())
    return head + body


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--before", default=None, metavar="COMMIT", help="also run the product code of COMMIT")
    ap.add_argument("--out", default=None, help="also write the raw results as JSON here")
    ap.add_argument("--code", default=None, help=argparse.SUPPRESS)  # internal: import the product from here
    ap.add_argument("--json", default=None, help=argparse.SUPPRESS)  # internal: write rows here and exit
    args = ap.parse_args(argv)
    sys.path[:0] = [args.code, str(ROOT)] if args.code else [str(ROOT)]  # the product first, then tests/
    with tempfile.TemporaryDirectory(prefix="lp-fuzz-") as tmp:
        if args.json:  # a child run (the --before code)
            Path(args.json).write_text(json.dumps(run(Path(tmp))))
            return 0
        rows = run(Path(tmp))
        before = None
        if args.before:
            layout = _old_code(args.before, Path(tmp) / "old")
            result = Path(tmp) / "before.json"
            subprocess.run([sys.executable, __file__, "--code", str(layout), "--json", str(result)],
                           check=True, cwd=str(ROOT))
            before = json.loads(result.read_text())
    ok = sum(r["ok"] for r in rows)
    print(_table(rows))
    print(f"Correct: **{ok} / {len(rows)}** cases (exit code, one message line, lines = rows + "
          f"quarantined + merged, quarantined files with their size); {sum(r['seconds'] for r in rows):.0f} s "
          "of ingest in all.")
    if before is not None:
        bok = sum(r["ok"] for r in before)
        print(f"\nBefore (the product code of {args.before}): **{bok} / {len(before)}** correct.\n")
        by_input: dict[str, list[str]] = defaultdict(list)
        for r in before:
            if not r["ok"]:
                by_input[r["name"]].append(f"{r['reader']}: {r['faults'][0]}")
        for name, faults in by_input.items():
            print(f"- {name} ({len(faults)} wrong): {faults[0][:160]}")
    if args.out:
        Path(args.out).write_text(json.dumps({"after": rows, "before": before}, indent=1))
    return 0 if ok == len(rows) else 1


if __name__ == "__main__":
    sys.exit(main())
