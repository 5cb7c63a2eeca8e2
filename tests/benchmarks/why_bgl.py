""""What is abnormal?" on a real labelled log: Loghub BGL, tags hidden before ingestion.

usage: python tests/benchmarks/why_bgl.py PATH/TO/BGL_2k.log [--out DIR] [--json]

BGL lines start with an alert tag ('-' = normal, else an alert category such as KERNDTLB).
The tag would give the answer away, so a temporary copy replaces that first field by '-'
before ingestion with the registry's ``bgl`` rule. ``why(ws, "what is abnormal?")`` then
ranks templates; truth per template is the original tag of its rows (found through each
row's provenance, ``origin_offset`` = line number): a template is an alert template when
most of its rows were tagged. Reports precision at 5 and 10 of the ranking, and how many
alert templates exist (the ceiling of precision@k).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path


def run(data: Path, out: Path) -> dict:
    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest.bulk import ingest
    from logpilot_kernel.why import why

    out.mkdir(parents=True, exist_ok=True)
    lines = data.read_text(encoding="utf-8", errors="replace").splitlines()
    tags = [ln.split(" ", 1)[0] for ln in lines]
    hidden = out / "bgl_untagged.log"
    hidden.write_text("".join("- " + (ln.split(" ", 1)[1] if " " in ln else "") + "\n"
                              for ln in lines), encoding="utf-8")
    with Workspace(out / "ws") as ws:
        report = ingest(ws, [str(hidden)], rule="bgl", progress=False, parquet=False)
        t0 = time.perf_counter()
        ans = why(ws, "what is abnormal?")
        seconds = time.perf_counter() - t0
        rows = ws.cursor().execute("SELECT template_id, origin_offset FROM logs").fetchall()
        # reference ranking: gravest severity first, then rarest (what a quick filter gives)
        naive = [r[0] for r in ws.cursor().execute(
            "SELECT template_id FROM logs GROUP BY 1 ORDER BY max(CASE severity WHEN 'FATAL' "
            "THEN 5 WHEN 'ERROR' THEN 4 WHEN 'WARN' THEN 3 ELSE 0 END) DESC, count(*), "
            "min(timestamp)").fetchall()]
    votes: dict[str, list[int]] = {}
    for tid, off in rows:
        v = votes.setdefault(tid, [0, 0])
        v[0 if tags[off - 1] == "-" else 1] += 1
    alert = {t for t, (normal, bad) in votes.items() if bad > normal}
    ranked = [r["template_id"] for r in ans.root_causes]

    def precision(k: int, order: list[str] | None = None) -> float:
        top = (ranked if order is None else order)[:k]
        return round(sum(t in alert for t in top) / k, 3) if top else 0.0

    return {"benchmark": "why_bgl", "lines": len(lines), "rows": len(rows),
            "alert_lines": sum(t != "-" for t in tags), "templates": len(votes),
            "alert_templates": len(alert), "precision_at_5": precision(5),
            "precision_at_10": precision(10),
            "reference_severity_then_rarity": {"precision_at_5": precision(5, naive),
                                               "precision_at_10": precision(10, naive)},
            "why_seconds": round(seconds, 3),
            "ingest_balanced": report.balanced,
            "top10": [{"template": r["template"][:80], "severity": r["severity"],
                       "score": r["score"], "alert": r["template_id"] in alert}
                      for r in ans.root_causes[:10]]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("data", type=Path, help="BGL_2k.log (Loghub)")
    p.add_argument("--out", type=Path, default=None, help="work folder (default: a temp dir)")
    p.add_argument("--json", action="store_true", help="print the full JSON result")
    a = p.parse_args(argv)
    if not a.data.is_file():
        print(f"why_bgl: no such file: {a.data}", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        res = run(a.data, a.out or Path(tmp))
    if a.json:
        print(json.dumps(res, indent=2))
    else:
        print(f"BGL 'what is abnormal?': precision@5 {res['precision_at_5']}, precision@10 "
              f"{res['precision_at_10']} ({res['alert_templates']} alert templates of "
              f"{res['templates']}; {res['alert_lines']} alert lines of {res['lines']}; "
              f"answer in {res['why_seconds']} s); reference severity-then-rarity: "
              f"{res['reference_severity_then_rarity']}")
        for r in res["top10"]:
            print(f"  {'ALERT ' if r['alert'] else 'normal'} {r['score']:.3f} {r['severity']:5} {r['template']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
