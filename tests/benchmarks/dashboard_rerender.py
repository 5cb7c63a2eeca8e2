"""How long the dashboard takes to re-render after a filter change or a click, on 10M rows.

usage: python tests/benchmarks/dashboard_rerender.py [--rows 10000000] [--repeat 5] [--keep DIR]

The target (issue 7) is under 1 s. Rows are synthesized inside DuckDB (no files, no
ingestion: this measures the dashboard only) over one year, so the default period "2024"
covers all of them and the previous period (2023) is scanned too, as in real use. Each
scenario changes a real widget (the filter boxes, or a click dispatched through plotly's
own click path) and times the full re-render: every aggregate in DuckDB plus the update of
the five FigureWidgets and the HTML parts.

Prints one JSON object: per scenario the median and max seconds; exit status 1 if a
median is over the target.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

TARGET_S = 1.0
SERVICES = ["gateway", "checkout", "payment", "inventory", "postgres", "catalog", "firewall", "sshd"]

# One row every ~3 s over 2024 for 10M rows; 300 templates with a skewed popularity,
# severities mostly INFO, ordered by time as an ingest would append them.
SYNTH = """
INSERT INTO logs
SELECT TIMESTAMP '2024-01-01' + to_microseconds(CAST(i * (31_536_000_000_000 / __ROWS__) AS BIGINT)),
       CASE WHEN h < 0.02 THEN 'ERROR' WHEN h < 0.021 THEN 'FATAL' WHEN h < 0.07 THEN 'WARN'
            WHEN h < 0.25 THEN 'DEBUG' ELSE 'INFO' END,
       ['gateway','checkout','payment','inventory','postgres','catalog','firewall','sshd'][1 + (i % 8)],
       NULL,
       'event kind ' || tid || ' for <*> in <*> ms',
       'S' || lpad(CAST(tid AS VARCHAR), 4, '0'),
       'event kind ' || tid || ' for u' || CAST(i % 9973 AS VARCHAR) || ' in ' || CAST(i % 997 AS VARCHAR) || ' ms',
       '{}',
       'synthetic', 'host' || CAST(i % 6 AS VARCHAR),
       'synthetic/part-' || CAST(i // 1_000_000 AS VARCHAR) || '.log', i
FROM (SELECT i, hash(i) / 18446744073709551615.0 AS h,
             CAST(floor(pow(hash(i * 7 + 1) / 18446744073709551615.0, 3) * 300) AS INTEGER) AS tid
      FROM range(__ROWS__) t(i))
"""

TEMPLATES = """
INSERT INTO templates (template_id, template, first_service, first_seen, last_seen, count)
SELECT template_id, any_value(body), arg_min(service_name, timestamp), min(timestamp),
       max(timestamp), count(*)
FROM logs GROUP BY template_id
"""


def build(path: Path, rows: int) -> float:
    from logpilot_kernel import Workspace

    t0 = time.perf_counter()
    with Workspace(path) as ws:
        if ws.scalar("SELECT count(*) FROM logs") != rows:
            ws.con.execute("DELETE FROM logs")
            ws.con.execute("DELETE FROM templates")
            ws.con.execute(SYNTH.replace("__ROWS__", str(int(rows))))
            ws.con.execute(TEMPLATES)
            ws.con.execute("CHECKPOINT")
    return time.perf_counter() - t0


def measure(path: Path, repeat: int) -> dict:
    from plotly.callbacks import Points

    from logpilot_kernel import Workspace
    from logpilot_kernel.widgets import Dashboard

    def click_failures(d: Dashboard) -> None:
        bar = d.figures["failures"].data[0]
        bar._dispatch_on_click(Points(point_inds=[0], xs=[bar.x[0]], ys=[bar.y[0]], trace_index=0), None)

    def click_volume(d: Dashboard) -> None:
        tr = d.figures["volume"].data[4]  # ERROR bars
        tr._dispatch_on_click(Points(point_inds=[10], xs=[tr.x[10]], ys=[tr.y[10]], trace_index=4), None)

    def reset(d: Dashboard, period: str = "2024") -> None:
        d.set_filters(period=period, services=[], severities=[], text="")

    scenarios = {
        # name: (prepare, change): prepare sets the state before, change is what is timed
        "service filter": (reset, lambda d: setattr(d.service_box, "value", ("payment",))),
        "severity filter": (reset, lambda d: setattr(d.severity_box, "value", ("ERROR", "FATAL"))),
        "template text": (reset, lambda d: setattr(d.text_box, "value", "kind 7 ")),
        "period 2024-06": (reset, lambda d: setattr(d.period_box, "value", "2024-06")),
        "back to all of 2024": (lambda d: reset(d, "2024-06"),
                                lambda d: setattr(d.period_box, "value", "2024")),
        "click failures bar": (reset, click_failures),
        "click volume bar": (reset, click_volume),
    }
    out: dict = {}
    with Workspace(path) as ws:
        t0 = time.perf_counter()
        d = Dashboard(ws, period="2024")
        out["first render_s"] = round(time.perf_counter() - t0, 3)
        for name, (prepare, change) in scenarios.items():
            times = []
            for _ in range(repeat):
                prepare(d)
                t0 = time.perf_counter()
                change(d)
                times.append(time.perf_counter() - t0)
                if d.last_error:
                    raise SystemExit(f"{name}: {d.last_error}")
            out[name] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3),
                         "rows_in_view": d.kpis["volume"]}
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=10_000_000)
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--keep", default=None, help="reuse/keep the workspace in this folder")
    args = ap.parse_args()
    tmp = None if args.keep else tempfile.TemporaryDirectory(prefix="dash-bench-")
    path = Path(args.keep or tmp.name) / "ws"
    built = build(path, args.rows)
    scenarios = measure(path, args.repeat)
    medians = [v["median_s"] for v in scenarios.values() if isinstance(v, dict)]
    result = {"rows": args.rows, "repeat": args.repeat, "build_s": round(built, 1),
              "target_s": TARGET_S, "worst_median_s": max(medians),
              "ok": max(medians) < TARGET_S, "scenarios": scenarios}
    print(json.dumps(result, indent=2))
    if tmp is not None:
        tmp.cleanup()
    sys.stdout.flush()
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
