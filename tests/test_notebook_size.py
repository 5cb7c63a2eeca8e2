"""A notebook with three %%logsql charts stays light: plotly.js is never embedded per chart.

Runs a real kernel (nbclient) on a real workspace; the size is that of the saved .ipynb.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import nbformat

from logpilot_kernel import Workspace
from tests.chart_notebook import run_chart_notebook


def _workspace(path: Path) -> Path:
    with Workspace(path) as ws:
        rows = []
        t0 = dt.datetime(2024, 2, 1)
        for i in range(600):
            rows.append((t0 + dt.timedelta(minutes=i), ["INFO", "WARN", "ERROR"][i % 3],
                         ["alpha", "beta", "gamma"][i % 4 % 3], f"event {i % 7}", "T%d" % (i % 7)))
        ws.con.executemany(
            "INSERT INTO logs (timestamp, severity, service_name, message, body, template_id, context, "
            "source, origin, origin_offset) VALUES (?, ?, ?, ?, ?, ?, '{}', 'test', 'mem', ?)",
            [(t, sev, svc, msg, msg, tid, n) for n, (t, sev, svc, msg, tid) in enumerate(rows)])
    return path


def test_three_logsql_charts_stay_under_one_megabyte(tmp_path: Path) -> None:
    ws = _workspace(tmp_path / "ws")
    nb = run_chart_notebook(ws)
    out = tmp_path / "three.ipynb"
    nbformat.write(nb, str(out))
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    charts = [o for c in nb.cells[1:] for o in c.outputs
              if "application/vnd.plotly.v1+json" in o.get("data", {})]
    assert len(charts) == 3  # a chart per cell, as data for JupyterLab's plotly renderer
    for c in nb.cells[1:]:
        assert len(json.dumps(c.outputs)) < 100_000  # a chart adds well under 100 KB
    assert out.stat().st_size < 1_000_000, out.stat().st_size
