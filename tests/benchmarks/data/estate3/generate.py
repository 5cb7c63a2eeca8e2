"""Writes blind estate 3 (a video-streaming platform) and its ground truth.

usage: generate.py --out DIR --seed N --days D --start YYYY-MM-DD [--rename K]
Deterministic and stdlib-only, so the benchmark harness can rebuild the very same estate anywhere.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from formats import Renderer  # noqa: E402
from names import variant  # noqa: E402
from sim import Estate  # noqa: E402

ROOT_LINES = {"pg": ["sorry, too many clients already"], "redis": ["Can't save in background"],
              "kafka": ["Error while appending records"], "transcoder": None}


def iso(t: float) -> str:
    return dt.datetime.fromtimestamp(t, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def build(seed: int, days: int, start: str, rename: int = 0) -> tuple[Estate, dict, dict[str, list[str]]]:
    """The estate, its ground truth and the lines of every file (path under logs/ -> lines)."""
    est = Estate(seed, days, start)
    srcs, words = variant(rename)
    rend = Renderer(words)
    files: dict[str, list[str]] = {}
    for src, recs in est.records.items():
        folder, name = srcs[src]
        lines = rend.header(src) + [rend.line(r) for r in recs]
        files[f"{folder}/{name}"] = "\n".join(lines).split("\n") if lines else []
    svc = {s: srcs[s][0] for s in srcs}
    incs = []
    for i in est.incidents:
        contains = ROOT_LINES[i["root"]] or [words["k_manifest"]]
        incs.append({"id": i["id"], "kind": i["kind"], "start": iso(i["s"]), "end": iso(i["e"]),
                     "root_service": svc[i["root"]],
                     "root_cause": {"file": "/".join(srcs[i["root"]]), "line_contains": contains},
                     "symptom_services": [svc[s] for s in i["sym"]]})
    truth = {"sources": [{"service": svc[s], "file": "/".join(srcs[s])} for s in est.records],
             "incidents": incs, "line_counts": {p: len(v) for p, v in files.items()},
             "seed": seed, "days": days, "start": start, "rename": rename}
    return est, truth, files


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--start", default="2026-06-01")
    ap.add_argument("--rename", type=int, default=0)
    a = ap.parse_args(argv)
    est, truth, files = build(a.seed, a.days, a.start, a.rename)
    srcs, _ = variant(a.rename)
    out = Path(a.out)
    for src, (folder, name) in srcs.items():
        p = out / "logs" / folder / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("\n".join(files[f"{folder}/{name}"]) + "\n", encoding="utf-8")
        last = est.records[src][-1]["t"] if est.records[src] else est.t0
        os.utime(p, (last, last))
    (out / "ground_truth.json").write_text(json.dumps(truth, indent=1), encoding="utf-8")
    print(f"wrote {sum(truth['line_counts'].values())} lines in {len(files)} files to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
