"""The pilot's router on question sets it was not tuned on: every question of a blind
SQL-question set should reach the SQL engine, every question of a blind why-set the
why-engine.

usage: python tests/benchmarks/routing_heldout.py [--sql FILE ...] [--why FILE ...]
           [--services a,b,c] [--show]

The sets carry no route labels; their kind is the label (a quantitative question set is
answered by the SQL engine, including its refusals; a why-set by the why-engine). The
services are those of the demo estate the sets were written over (``--services`` for
another). Routing is pure (no workspace), so this runs in seconds. The labelled routing
set (tests/data/pilot_routes.json) is the in-sample figure; this is the held-out one.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "benchmarks" / "data"
SQL_SETS = [DATA / f"demo_questions_heldout{n}.json" for n in ("", "3", "4", "5", "6", "7", "8")]
WHY_SETS = [ROOT / "tests" / "data" / "why_questions_blind.json",
            ROOT / "tests" / "data" / "why_questions_blind2.json"]
SERVICES = "auth,catalog,checkout,firewall,gateway,inventory,payment,postgres"


def _questions(path: Path) -> list[tuple[str, dt.datetime | None]]:
    from logpilot_kernel.demo import render_question

    data = json.loads(path.read_text())
    now = data.get("now")
    out = []
    for item in data["questions"]:
        q = render_question(item["question"], {})
        at = item.get("now") or now
        out.append((q, dt.datetime.fromisoformat(at.replace("Z", "")) if at else None))
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sql", nargs="*", default=[str(p) for p in SQL_SETS if p.exists()])
    ap.add_argument("--why", nargs="*", default=[str(p) for p in WHY_SETS if p.exists()])
    ap.add_argument("--services", default=SERVICES)
    ap.add_argument("--show", action="store_true", help="print every misrouted question")
    args = ap.parse_args(argv)
    from logpilot_kernel.pilot import router

    services = args.services.split(",")
    rows = []
    for engine, files in (("sql", args.sql), ("why", args.why)):
        for f in files:
            for q, now in _questions(Path(f)):
                r = router.route(q, services, now=now)
                rows.append({"set": Path(f).stem, "want": engine, "got": r.engine,
                             "ambiguous": r.ambiguous, "question": q})
    out: dict = {}
    for key in dict.fromkeys(r["set"] for r in rows):
        sub = [r for r in rows if r["set"] == key]
        out[key] = {"n": len(sub), "right": sum(r["got"] == r["want"] for r in sub),
                    "ambiguous": sum(r["ambiguous"] for r in sub)}
    right = sum(r["got"] == r["want"] for r in rows)
    out["all"] = {"n": len(rows), "right": right, "share": round(right / max(1, len(rows)), 3)}
    if args.show:
        for r in rows:
            if r["got"] != r["want"]:
                print(f"{r['want']} -> {r['got']}{' (ambiguous)' if r['ambiguous'] else ''}: "
                      f"{r['question']}")
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
