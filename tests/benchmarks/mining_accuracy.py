"""Grouping / parsing accuracy of our miner vs plain Drain3 on Loghub-2k style data.

usage: python tests/benchmarks/mining_accuracy.py --data DIR [--systems S ...] [--scorer PATH]

DIR/<S>/<S>_2k.log_structured_corrected.csv holds `Content` (message) and
`EventTemplate` (truth).  The scorer (GA/PA) is `score_templates.py` from the shared
tools; pass its path with --scorer (default: DIR/../../tools/score_templates.py).
Both miners see the same Content column; Drain3 is run with its defaults plus the
generic mask list of the shared drain3_baseline.py, and each line gets its cluster's
final template (the usual Loghub evaluation).
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import pathlib
import sys
import time

SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Spark", "Zookeeper"]

# The generic masks of the shared Drain3 baseline (Python re, lookbehind allowed there).
BASELINE_MASKS = [
    (r"((?<=[^A-Za-z0-9])|^)(([0-9a-f]{2,}:){3,}([0-9a-f]{2,}))((?=[^A-Za-z0-9])|$)", "ID"),
    (r"((?<=[^A-Za-z0-9])|^)(\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3})((?=[^A-Za-z0-9])|$)", "IP"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9a-f]{6,} ?){3,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)([0-9A-F]{4} ?){4,}((?=[^A-Za-z0-9])|$)", "SEQ"),
    (r"((?<=[^A-Za-z0-9])|^)(0x[a-f0-9A-F]+)((?=[^A-Za-z0-9])|$)", "HEX"),
    (r"((?<=[^A-Za-z0-9])|^)([\-\+]?\d+)((?=[^A-Za-z0-9])|$)", "NUM"),
    (r"(?<=executed cmd )(\".+?\")", "CMD"),
]


def drain3_templates(contents: list[str], masks: bool) -> list[str]:
    """Plain Drain3 (defaults), optionally with the generic masks; masked names shown as <*>."""
    import re

    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    c = TemplateMinerConfig()
    c.profiling_enabled = False
    if masks:
        c.masking_instructions = [MaskingInstruction(p, m) for p, m in BASELINE_MASKS]
    tm = TemplateMiner(config=c)
    ids = [tm.add_log_message(s)["cluster_id"] for s in contents]
    tpl = {cl.cluster_id: re.sub(r"<[A-Z]+>", "<*>", cl.get_template()) for cl in tm.drain.clusters}
    return [tpl[i] for i in ids]


def ours(contents: list[str]) -> list[str]:
    from logpilot_kernel.ingest.mining import TemplateMiner

    return TemplateMiner().mine(contents).template.to_pylist()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", required=True, type=pathlib.Path)
    ap.add_argument("--systems", nargs="*", default=SYSTEMS)
    ap.add_argument("--scorer", type=pathlib.Path, default=None)
    ap.add_argument("--show-wrong", type=int, default=0, help="print N wrong templates per system")
    a = ap.parse_args(argv)
    scorer = a.scorer or a.data.resolve().parent.parent / "tools" / "score_templates.py"
    spec = importlib.util.spec_from_file_location("score_templates", scorer)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)

    runs = {"ours": ours, "drain3": lambda c: drain3_templates(c, False),
            "drain3+masks": lambda c: drain3_templates(c, True)}
    tot = {k: [0.0, 0.0, 0.0] for k in runs}
    print(f"{'system':<10} " + " ".join(f"{k + ' GA':>16} {k + ' PA':>16}" for k in runs))
    for s in a.systems:
        path = a.data / s / f"{s}_2k.log_structured_corrected.csv"
        with open(path, newline="", encoding="utf-8", errors="replace") as f:
            gt = list(csv.DictReader(f))
        contents = [r["Content"] for r in gt]
        cells = []
        for k, fn in runs.items():
            t0 = time.perf_counter()
            tpl = fn(contents)
            tot[k][2] += time.perf_counter() - t0
            m = mod.score(gt, [{"LineId": r["LineId"], "EventTemplate": t} for r, t in zip(gt, tpl)])
            tot[k][0] += m["GA"]
            tot[k][1] += m["PA"]
            cells.append(f"{m['GA']:>16.3f} {m['PA']:>16.3f}")
            if k == "ours" and a.show_wrong:
                wrong = {}
                for r, t in zip(gt, tpl):
                    if mod.norm(r["EventTemplate"]) != mod.norm(t):
                        wrong.setdefault(mod.norm(r["EventTemplate"]), [0, t])[0] += 1
                for truth, (n, t) in sorted(wrong.items(), key=lambda x: -x[1][0])[: a.show_wrong]:
                    print(f"   [{n}] truth: {truth}\n        ours:  {t}", file=sys.stderr)
        print(f"{s:<10} " + " ".join(cells), flush=True)
    n = len(a.systems)
    print(f"{'average':<10} " + " ".join(f"{v[0] / n:>16.3f} {v[1] / n:>16.3f}" for v in tot.values()))
    print("seconds    " + " ".join(f"{k}={v[2]:.2f}" for k, v in tot.items()))


if __name__ == "__main__":
    main()
