"""Issue 18's notebook budgets on the demo estate, in real kernels (no browser).

usage: python tests/benchmarks/notebook_budgets.py [--days 3] [--seed 7] [--repeat 3]
       [--lines N] [--keep DIR] [--json]

Budgets (idle machine, demo estate of about 300k lines): the dashboard's first render
< 5 s, the first ``%%logsql --plot auto`` chart < 3 s, ``%%logwhy`` < 5 s, and any cell
shows output or a progress indicator within 1 s.

What runs: ``logpilot demo-data --days D --seed S`` and one ``logpilot ingest`` (timed,
shown for context), then per repeat fresh ipykernel processes (jupyter_client, the same
kernel JupyterLab starts) with ``LOGPILOT_HOME`` on that workspace, fed cells as a user
would:

- ``dashboard``: the code cells of the shipped ``15_dashboard`` notebook in order
  (parameters, ``%load_ext`` + open, ``Dashboard(...)``); "first render" is the first cell's
  request to the dashboard cell's reply. The widget computes every figure's data before
  its views exist (its initial state carries the data), so the reply is the moment the
  figures can be drawn; the browser adds the drawing (about 0.1 s, the browser test's
  ``timings.json``); then a chart cell and a why cell in the same kernel (warm figures);
- ``chart-first`` / ``why-first``: ``%load_ext`` then the chart (resp. the why) cell as the
  kernel's first real cell: the cold figures the budgets are about.

Each cell's "first output" is the first iopub message a user sees (``stream``,
``display_data``, ``execute_result``, ``error``) after its request: a progress bar is a
``display_data`` too. Times are medians over the repeats (one fresh kernel each), with
the max beside. Kernel start-up (to ``kernel_info``) is reported apart: JupyterLab shows
its own indicator meanwhile. Nothing asserts a time; the budgets are printed beside.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BUDGETS = {"dashboard_first_render": 5.0, "first_chart": 3.0, "logwhy": 5.0, "first_output": 1.0}
CHART = ("%%logsql --plot auto\nSELECT time_bucket(INTERVAL '1 hour', timestamp) AS t, "
         "count(*) AS n FROM logs WHERE severity IN ('ERROR', 'FATAL') GROUP BY 1 ORDER BY 1")
WHY = "%%logwhy\nwhy is checkout failing?"
LOAD = "%load_ext logpilot_kernel"
VISIBLE = ("stream", "display_data", "execute_result", "error", "update_display_data")


def _logpilot() -> str:
    return str(Path(sys.executable).with_name("logpilot"))


def make_workspace(root: Path, days: int, seed: int, lines: int | None = None) -> dict[str, Any]:
    """The demo estate and its workspace (one ingest); seconds and row count."""
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    scale = ["--lines", str(lines)] if lines else []
    subprocess.run([_logpilot(), "demo-data", "--out", str(root / "estate"), "--days", str(days),
                    "--seed", str(seed), *scale], check=True, capture_output=True)
    out["demo_data_s"] = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    subprocess.run([_logpilot(), "ingest", str(root / "estate" / "logs"), "--workspace",
                    str(root / "ws"), "--quiet"], check=True, capture_output=True)
    out["ingest_s"] = round(time.perf_counter() - t0, 1)
    from logpilot_kernel import Workspace

    ws = Workspace(root / "ws", read_only=True)
    try:
        out["rows"] = int(ws.scalar("SELECT count(*) FROM logs"))
    finally:
        ws.close()
    return out


def dashboard_cells() -> list[str]:
    """The shipped dashboard notebook's code cells, as Run All sends them."""
    import nbformat

    from logpilot_kernel import reports

    nb = nbformat.read(str(reports.find("dashboard")), as_version=4)
    return [c.source for c in nb.cells if c.cell_type == "code"]


class Kernel:
    """A fresh ipykernel process; :meth:`run` times one cell from its request."""

    def __init__(self, ws: Path) -> None:
        from jupyter_client import KernelManager

        env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
        env["LOGPILOT_HOME"] = str(ws)
        t0 = time.perf_counter()
        self.km = KernelManager(kernel_name="python3")
        self.km.start_kernel(env=env, cwd=str(ws.parent))
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=300)
        self.start_s = time.perf_counter() - t0

    def run(self, code: str, timeout: float = 600.0) -> dict[str, Any]:
        """Seconds to the first visible output and to the reply; the error if one came."""
        t0 = time.perf_counter()
        msg_id = self.kc.execute(code)
        first = None
        error = None
        deadline = time.monotonic() + timeout
        while True:
            msg = self.kc.get_iopub_msg(timeout=max(deadline - time.monotonic(), 1))
            if msg["parent_header"].get("msg_id") != msg_id:
                continue
            kind = msg["msg_type"]
            if kind in VISIBLE and first is None:
                first = time.perf_counter() - t0
            if kind == "error":
                error = f"{msg['content']['ename']}: {msg['content']['evalue']}"
            if kind == "status" and msg["content"]["execution_state"] == "idle":
                break
        done = time.perf_counter() - t0
        reply = self.kc.get_shell_msg(timeout=60)
        if reply["content"].get("status") != "ok" and error is None:
            error = reply["content"].get("evalue", "failed")
        return {"first_output_s": first, "done_s": done, "error": error}

    def close(self) -> None:
        self.kc.stop_channels()
        self.km.shutdown_kernel(now=False)


def scenario(ws: Path, name: str) -> dict[str, Any]:
    """One fresh kernel running the cells of ``name``; per-cell figures."""
    k = Kernel(ws)
    try:
        cells: list[tuple[str, str]]
        if name == "dashboard":
            nb = dashboard_cells()
            cells = [(f"dashboard_nb_{i}", c) for i, c in enumerate(nb)]
            cells += [("chart_warm", CHART), ("why_warm", WHY)]
        elif name == "chart-first":
            cells = [("load_ext", LOAD), ("chart_cold", CHART)]
        else:
            cells = [("load_ext", LOAD), ("why_cold", WHY)]
        out: dict[str, Any] = {"kernel_start_s": k.start_s}
        for label, code in cells:
            r = k.run(code)
            if r["error"]:
                raise SystemExit(f"{name}: cell {label} failed: {r['error']}")
            out[label] = r
        if name == "dashboard":
            dash = [out[label] for label, _ in cells if label.startswith("dashboard_nb_")]
            # Run All: the cells go one after another; the render is the sum of their runs
            # up to the Dashboard cell (the export cell after it is a no-op when empty).
            idx = next(i for i, c in enumerate(dashboard_cells()) if "Dashboard(" in c)
            out["dashboard_first_render_s"] = sum(d["done_s"] for d in dash[:idx + 1])
        return out
    finally:
        k.close()


def _stat(values: list[float]) -> dict[str, float]:
    return {"median": round(statistics.median(values), 2), "max": round(max(values), 2)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--lines", type=int, help="scale the estate to about this many lines (a smoke run)")
    ap.add_argument("--keep", type=Path, help="build the estate and workspace here (reused when present)")
    ap.add_argument("--json", action="store_true", help="print the raw figures as JSON too")
    args = ap.parse_args()
    tmp = None
    if args.keep is None:
        tmp = tempfile.TemporaryDirectory(prefix="lp-nb-budgets-")
        root = Path(tmp.name)
    else:
        root = args.keep
        root.mkdir(parents=True, exist_ok=True)
    try:
        if (root / "ws" / "logpilot.duckdb").exists():
            setup: dict[str, Any] = {"reused": str(root)}
        else:
            setup = make_workspace(root, args.days, args.seed, args.lines)
        runs: dict[str, list[dict[str, Any]]] = {n: [] for n in ("dashboard", "chart-first", "why-first")}
        for _ in range(args.repeat):
            for name in runs:
                runs[name].append(scenario(root / "ws", name))
        report = summarize(runs)
        report["setup"] = setup
        print(render(report, args))
        if args.json:
            print(json.dumps({"report": report, "runs": runs}, indent=1, default=str))
    finally:
        if tmp is not None:
            tmp.cleanup()


def summarize(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Median/max per figure, and the worst first output of any cell."""
    def col(name: str, key: str, field: str = "done_s") -> list[float]:
        return [r[key] if key.endswith("_s") else r[key][field] for r in runs[name]]

    rep: dict[str, Any] = {
        "kernel_start": _stat([r["kernel_start_s"] for rs in runs.values() for r in rs]),
        "dashboard_first_render": _stat(col("dashboard", "dashboard_first_render_s")),
        "first_chart": _stat(col("chart-first", "chart_cold")),
        "chart_after_dashboard": _stat(col("dashboard", "chart_warm")),
        "logwhy": _stat(col("why-first", "why_cold")),
        "logwhy_after_dashboard": _stat(col("dashboard", "why_warm")),
    }
    firsts: dict[str, list[float]] = {}
    for rs in runs.values():
        for r in rs:
            for label, cell in r.items():
                if isinstance(cell, dict) and cell.get("first_output_s") is not None:
                    firsts.setdefault(label, []).append(cell["first_output_s"])
                elif isinstance(cell, dict) and cell.get("done_s", 0) > BUDGETS["first_output"]:
                    firsts.setdefault(label + " (no output)", []).append(cell["done_s"])
    rep["first_output"] = {k: _stat(v) for k, v in sorted(firsts.items())}
    rep["first_output_worst"] = max((v["max"] for v in rep["first_output"].values()), default=0.0)
    return rep


def render(rep: dict[str, Any], args: argparse.Namespace) -> str:
    s = rep["setup"]
    lines = [f"estate: demo-data --days {args.days} --seed {args.seed}: "
             + (f"{s['rows']:,} rows; demo-data {s['demo_data_s']} s, ingest {s['ingest_s']} s"
                if "rows" in s else f"reused {s['reused']}"),
             f"fresh kernels per scenario: {args.repeat}; kernel start (to kernel_info) "
             f"median {rep['kernel_start']['median']} s", "",
             "| measure | budget | median | max |", "| --- | ---: | ---: | ---: |"]
    for key, label, budget in (
            ("dashboard_first_render", "dashboard first render (notebook 15's cells, fresh kernel)",
             BUDGETS["dashboard_first_render"]),
            ("first_chart", "first `%%logsql --plot auto` chart (after `%load_ext` only)", BUDGETS["first_chart"]),
            ("chart_after_dashboard", "same chart after the dashboard", BUDGETS["first_chart"]),
            ("logwhy", "`%%logwhy` (after `%load_ext` only)", BUDGETS["logwhy"]),
            ("logwhy_after_dashboard", "`%%logwhy` after the dashboard", BUDGETS["logwhy"])):
        v = rep[key]
        lines.append(f"| {label} | < {budget:g} s | {v['median']} s | {v['max']} s |")
    lines += ["", "| cell: first visible output (stream, display, progress bar) | median | max |",
              "| --- | ---: | ---: |"]
    for label, v in rep["first_output"].items():
        lines.append(f"| {label} | {v['median']} s | {v['max']} s |")
    lines.append(f"\nworst first output of any cell: {rep['first_output_worst']} s "
                 f"(budget < {BUDGETS['first_output']:g} s)")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
