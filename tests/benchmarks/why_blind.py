"""The blind why-question set (tests/data/why_questions_blind.json) against the why-engine.

usage: python tests/benchmarks/why_blind.py [--set FILE] [--rename-seed N] [--out DIR] [--show]

The set was written by another engineer without looking at the why-engine: every incident
of the demo estate with its extra incidents, one question per time style, most not naming
the root service, each with the ``now`` it is asked at. Questions are rendered for the
estate (``render_question`` with its renames); the true root-cause template is found from
the incident's ``line_contains`` in the ground truth, never from the engine. Printed:
hit@1, hit@3, window error (minutes), overall, per time style and for the questions that
do not name the root service.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from why_questions import aggregate, true_template, ts, window_error  # noqa: E402

SET = Path(__file__).resolve().parent.parent / "data" / "why_questions_blind.json"


def evaluate(ws: Any, truth: dict[str, Any], path: Path = SET) -> list[dict[str, Any]]:
    """One row per blind question: hit@1, hit@3 and window error in minutes."""
    from logpilot_kernel.demo import render_question
    from logpilot_kernel.why import why

    data = json.loads(path.read_text())
    renames = truth.get("renames") or {}
    by_id = {i["id"]: i for i in truth["incidents"]}
    wanted: dict[str, str] = {}
    rows = []
    for item in data["questions"]:
        inc = by_id[item["expected"]["incident"]]
        if inc["id"] not in wanted:
            wanted[inc["id"]] = true_template(ws, inc)
        q = render_question(item["question"], renames)
        now = ts(item["now"]) if item.get("now") else None
        ans = why(ws, q, now=now)
        ids = [r["template_id"] for r in ans.root_causes]
        s0, e0 = ts(inc["start"]), ts(inc["end"])
        w = ans.window
        err = window_error(w, s0, e0)
        rows.append({"id": item["id"], "style": item["time_style"],
                     "names_root": item["names_root_service"], "question": q,
                     "hit1": ids[:1] == [wanted[inc["id"]]], "hit3": wanted[inc["id"]] in ids[:3],
                     "window_error_min": round(err, 2), "time": ans.scope.time.label
                     if ans.scope.time else None,
                     "top": ans.root_causes[0]["template"][:60] if ans.root_causes else None})
    return rows


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    agg = aggregate

    out = {"all": agg(rows), "not_naming_root": agg([r for r in rows if not r["names_root"]])}
    for style in dict.fromkeys(r["style"] for r in rows):
        out[style] = agg([r for r in rows if r["style"] == style])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--set", default=str(SET), help="the question set (its 'estate' says which to build)")
    ap.add_argument("--rename-seed", type=int, default=None)
    ap.add_argument("--out", default=None, help="folder for the estate and workspace")
    ap.add_argument("--show", action="store_true", help="print every question's result")
    args = ap.parse_args(argv)
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    path = Path(args.set)
    est = json.loads(path.read_text())["estate"]
    root = Path(args.out or tempfile.mkdtemp(prefix="why-blind-"))
    t0 = time.perf_counter()
    truth = generate(root / "estate", days=est["days"], seed=est["seed"], start=est["start"],
                     extra_incidents=est["extra_incidents"],
                     rename_seed=args.rename_seed).to_dict()
    ws = Workspace(root / "ws")
    ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    t1 = time.perf_counter()
    rows = evaluate(ws, truth, path)
    t2 = time.perf_counter()
    ws.close()
    if args.show:
        for r in rows:
            print(f"{'ok ' if r['hit1'] else ('top3' if r['hit3'] else 'MISS')} "
                  f"{r['window_error_min']:7.1f} min  {r['id']:8} {r['question']}  -> {r['top']}")
    print(json.dumps({"rename_seed": args.rename_seed, "questions": len(rows),
                      "build_s": round(t1 - t0, 1), "questions_s": round(t2 - t1, 1),
                      **summary(rows)}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
