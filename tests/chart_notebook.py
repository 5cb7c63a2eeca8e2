"""A notebook of three ``%%logsql --plot auto`` charts, run for real in a fresh kernel.

Why shared: the notebook-size tests (charts alone, and charts after the dashboard) must
measure the same three charts, or their limits would not be comparable.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Sequence

import nbformat
from nbclient import NotebookClient

CHART_QUERIES = (
    "SELECT severity, count(*) AS n FROM logs GROUP BY 1 ORDER BY 2 DESC",
    "SELECT service_name, count(*) AS n FROM logs GROUP BY 1 ORDER BY 2 DESC",
    "SELECT time_bucket(INTERVAL '1 hour', timestamp) AS t, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1",
)


def run_chart_notebook(ws: Path, before: Sequence[str] = (), **client: Any) -> Any:
    """Open ``ws``, run the ``before`` cells, then the three charts; the executed notebook."""
    cells = [nbformat.v4.new_code_cell(f"%load_ext logpilot_kernel\n%logpilot open {ws}")]
    cells += [nbformat.v4.new_code_cell(c) for c in before]
    cells += [nbformat.v4.new_code_cell(f"%%logsql --plot auto\n{q}") for q in CHART_QUERIES]
    nb = nbformat.v4.new_notebook(cells=cells, metadata={"kernelspec": {
        "name": "python3", "display_name": "Python 3", "language": "python"}})
    NotebookClient(nb, timeout=300, kernel_name="python3", **client).execute()
    return nb
