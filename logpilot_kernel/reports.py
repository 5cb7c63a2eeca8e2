"""Run the shipped notebooks headless (papermill) and render them to HTML (nbconvert).

The notebooks are runbooks and investigation templates; running one from the CLI gives
an executed copy (the run log) and a standalone HTML report. papermill starts a fresh
kernel in another process, and DuckDB lets only one process hold a workspace file, so the
caller must not keep the workspace open while a report runs (the CLI does not).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any, Mapping

from .errors import LogPilotError


class ReportError(LogPilotError):
    """A report notebook is unknown or failed; carries the notebook and the cell error."""

    def __init__(self, notebook: str, message: str, executed: str | None = None) -> None:
        self.notebook = notebook
        self.executed = executed
        where = f" (executed copy: {executed})" if executed else ""
        super().__init__(f"{notebook}: {message}{where}")


def available() -> dict[str, Path]:
    """Shipped notebooks by short name (``bootstrap`` for ``00_bootstrap.ipynb``) and file stem."""
    found: dict[str, Path] = {}
    root = resources.files("logpilot_kernel.notebooks")
    for entry in root.iterdir():
        name = entry.name
        if not name.endswith(".ipynb"):
            continue
        path = Path(str(entry))
        stem = name[:-len(".ipynb")]
        found[stem] = path
        short = stem.split("_", 1)[1] if "_" in stem and stem.split("_", 1)[0].isdigit() else stem
        found.setdefault(short, path)
    return found


def find(name: str) -> Path:
    """A notebook by short name, stem or path; unknown names list what exists."""
    p = Path(name)
    if p.suffix == ".ipynb" and p.is_file():
        return p
    nbs = available()
    if name in nbs:
        return nbs[name]
    import difflib

    close = difflib.get_close_matches(name, list(nbs), n=3)
    hint = f"; did you mean {', '.join(close)}?" if close else ""
    names = ", ".join(sorted(k for k in nbs if not k[:1].isdigit()))
    raise ReportError(name, f"no such report (available: {names}){hint}")


@dataclass
class ReportResult:
    """Where the executed notebook and its HTML went."""

    notebook: str
    executed: Path
    html: Path | None
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {"notebook": self.notebook, "executed": str(self.executed),
                "html": str(self.html) if self.html else None, "seconds": round(self.seconds, 2)}


def run_report(name: str, parameters: Mapping[str, Any], *, executed: Path | None = None,
               html: Path | None = None, cwd: Path | None = None,
               kernel_name: str | None = None, progress: bool = False,
               show_code: bool = False) -> ReportResult:
    """Execute a notebook with papermill parameters, optionally render HTML."""
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    nb = find(name)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out = executed or Path("logpilot-runs") / f"{nb.stem}-{stamp}.ipynb"
    out.parent.mkdir(parents=True, exist_ok=True)
    t0 = dt.datetime.now()
    try:
        pm.execute_notebook(
            str(nb), str(out), parameters=dict(parameters), cwd=str(cwd) if cwd else None,
            kernel_name=kernel_name, progress_bar=progress, log_output=False,
            # Widget state carries a plotly bundle per chart widget (about 5 MB each);
            # reports keep the static figures, the live dashboard exports itself.
            store_widget_state=False,
        )
    except PapermillExecutionError as exc:
        raise ReportError(nb.name, f"cell {exc.exec_count} failed: {exc.ename}: {exc.evalue}",
                          str(out)) from None
    seconds = (dt.datetime.now() - t0).total_seconds()
    html_path = None
    if html is not None:
        html_path = render_html(out, html, show_code=show_code)
    return ReportResult(nb.name, out, html_path, seconds)


# The report page: JupyterLab's look, without what it would fetch from the internet
# (require.js, MathJax, mermaid, the widget manager), plus plotly.js once, inline.
_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js_requirejs -%}{%- endblock html_head_js_requirejs -%}
{%- block jupyter_widgets -%}{%- endblock jupyter_widgets -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block html_head_css -%}
{%- if resources.logpilot_plotlyjs -%}
<script type="text/javascript">window.PlotlyConfig = {MathJaxConfig: 'local'};</script>
<script type="text/javascript">{{ resources.logpilot_plotlyjs }}</script>
{%- endif -%}
{%- endblock html_head_css -%}
"""


WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


def _light_outputs(nb: Any) -> bool:
    """Rewrite outputs for a page read without a kernel; True when any figure remains.

    A figure shown with plotly's own renderers carries plotly.js (a 4.8 MB init output)
    or a CDN script; its JSON part is rebuilt as a library-free ``<div>`` and the init
    outputs are dropped, so the page holds plotly.js exactly once. Widgets (which need a
    kernel; the notebooks draw static figures next to them) and stderr are dropped too.
    """
    from .display import PLOTLY_MIME, figure_bundle

    found = False
    widget_state = bool(nb.metadata.get("widgets"))
    for cell in nb.cells:
        kept = []
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if WIDGET_MIME in data and not widget_state:
                continue  # a live widget without its state: only its repr would show
            if out.get("output_type") == "stream" and out.get("name") == "stderr":
                continue  # progress bars and warnings of the run, not the report's content
            html = data.get("text/html", "")
            html = "".join(html) if isinstance(html, list) else html
            if PLOTLY_MIME in data:
                data["text/html"] = figure_bundle(dict(data[PLOTLY_MIME]))["text/html"]
                found = True
            elif "window.PlotlyConfig" in html and "Plotly.newPlot" not in html:
                continue  # plotly's notebook init: the library again
            elif "Plotly.newPlot" in html:
                found = True
            kept.append(out)
        if "outputs" in cell:
            cell["outputs"] = kept
    return found


def render_html(executed: Path, html: Path, *, show_code: bool = False) -> Path:
    """A standalone, offline HTML page of an executed notebook (plotly figures stay interactive).

    Code cells are hidden unless ``show_code``: a report is read for its findings; the
    executed notebook next to it keeps the code.
    """
    import jinja2
    import nbformat
    from nbconvert import HTMLExporter
    from plotly.offline import get_plotlyjs

    nb = nbformat.read(str(executed), as_version=4)
    has_figures = _light_outputs(nb)
    exporter = HTMLExporter(extra_loaders=[jinja2.DictLoader({"logpilot_report.html.j2": _TEMPLATE})],
                            template_file="logpilot_report.html.j2")
    exporter.exclude_input_prompt = True
    exporter.exclude_output_prompt = True
    exporter.exclude_input = not show_code
    resources = {"logpilot_plotlyjs": get_plotlyjs() if has_figures else ""}
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    html.parent.mkdir(parents=True, exist_ok=True)
    html.write_text(body, encoding="utf-8")
    return html


def parse_parameters(pairs: list[list[str]] | None) -> dict[str, Any]:
    """``-p key value`` pairs; values that read as JSON (numbers, true, lists) are typed."""
    params: dict[str, Any] = {}
    for key, value in pairs or []:
        try:
            params[key] = json.loads(value)
        except json.JSONDecodeError:
            params[key] = value
    return params
