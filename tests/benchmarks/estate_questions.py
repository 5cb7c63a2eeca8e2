"""A question set over an estate of its own generator: quantitative and why, one workspace.

usage: python tests/benchmarks/estate_questions.py --set FILE [--out DIR] [--reuse]
           [--show wrong,refused,error,why] [--json]

The demo sets all ask about estates of LogPilot's own generator, whose formats and words
the team knows. A set of this kind names another generator (``estate.generator``, a
script run as ``python GENERATOR --out DIR --seed N --days D --start DATE``) written by
someone who read none of LogPilot. The estate is generated into ``DIR/estate`` (with
``estate.args`` appended, e.g. a renamed variant's ``--rename 1``), its ``logs`` folder
ingested with the defaults a user gets, and then:

- ``questions``: judged as in ``question_accuracy.py`` (exact, refused, wrong, silent);
- ``why``: each question asked of the why-engine at its ``now``; hit@1 and hit@3 against
  the template of the incident's root-cause lines (found from ``line_contains`` in the
  generator's ground_truth.json, never from the engine), and the window error.

``--reuse`` keeps an existing ``DIR/ws`` (re-asking after a parser change without
re-ingesting; the ingest side of a change needs a fresh run).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from question_accuracy import ask_all, summary  # noqa: E402
from why_questions import aggregate, true_template, ts, window_error  # noqa: E402

REPO = Path(__file__).resolve().parents[2]


def build(base: Path, spec: dict[str, Any], reuse: bool) -> tuple[Any, dict[str, Any]]:
    """Generate the estate and ingest it; the workspace and the generator's ground truth."""
    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest.bulk import ingest

    est = base / "estate"
    truth_path = est / "ground_truth.json"
    if not (reuse and truth_path.exists()):
        subprocess.run([sys.executable, str(REPO / spec["generator"]), "--out", str(est),
                        "--seed", str(spec["seed"]), "--days", str(spec["days"]),
                        "--start", spec["start"], *spec.get("args", [])], check=True)
    truth = json.loads(truth_path.read_text())
    fresh = not (reuse and (base / "ws").exists())
    ws = Workspace(base / "ws")
    if fresh:
        report = ingest(ws, [str(est / "logs")], progress=False, parquet=False)
        if not report.rows_loaded:
            raise SystemExit(f"nothing ingested from {est}")
    return ws, truth


def ask_why(ws: Any, truth: dict[str, Any], items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per why-question: hit@1, hit@3, window error (minutes), the engine's top."""
    from logpilot_kernel.why import why

    by_id = {i["id"]: i for i in truth["incidents"]}
    wanted: dict[str, str] = {}
    rows = []
    for item in items:
        inc = by_id[item["expected"]["incident"]]
        if inc["id"] not in wanted:
            wanted[inc["id"]] = true_template(ws, inc)
        ans = why(ws, item["question"], now=ts(item["now"]) if item.get("now") else None)
        ids = [r["template_id"] for r in ans.root_causes]
        err = window_error(ans.window, ts(inc["start"]), ts(inc["end"]))
        rows.append({"id": item["id"], "style": item.get("time_style"),
                     "names_root": item.get("names_root_service"), "question": item["question"],
                     "hit1": ids[:1] == [wanted[inc["id"]]], "hit3": wanted[inc["id"]] in ids[:3],
                     "window_error_min": round(err, 2),
                     "top": ans.root_causes[0]["template"][:70] if ans.root_causes else None})
    return rows


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--set", type=Path, required=True)
    p.add_argument("--out", type=Path, default=None, help="folder for the estate and workspace")
    p.add_argument("--reuse", action="store_true", help="keep OUT's estate and workspace")
    p.add_argument("--show", default="", help="print these outcomes: wrong,refused,error,why")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    data = json.loads(args.set.read_text())
    base = args.out or Path(tempfile.mkdtemp(prefix="estate-q-"))
    base.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    ws, truth = build(base, data["estate"], args.reuse)
    t1 = time.perf_counter()
    now = ts(data["now"]).replace(tzinfo=None) if data.get("now") else None
    try:
        res = ask_all(ws, data.get("questions", []), now=now)
        why_rows = ask_why(ws, truth, data.get("why", [])) if data.get("why") else []
    finally:
        ws.close()
    row = summary("estate", res)
    out = {"set": str(args.set.name), "build_s": round(t1 - t0, 1),
           "questions_s": round(time.perf_counter() - t1, 1), "quantitative": row,
           **({"why": {"all": aggregate(why_rows),
                       "not_naming_root": aggregate([r for r in why_rows if not r["names_root"]])
                       if any(not r["names_root"] for r in why_rows) else None}}
              if why_rows else {})}
    shown = [k for k in args.show.split(",") if k]
    for kind in shown:
        if kind == "why":
            for r in why_rows:
                print(f"{'ok ' if r['hit1'] else ('top3' if r['hit3'] else 'MISS')} "
                      f"{r['window_error_min']:7.1f} min  {r['id']:8} {r['question']}  -> {r['top']}")
            continue
        for item in res.get(kind, []):
            print(f"[{kind}] {json.dumps(item, default=str)}")
    (base / "estate_questions.json").write_text(json.dumps(
        {"summary": out, "details": res, "why": why_rows}, indent=1, default=str))
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
