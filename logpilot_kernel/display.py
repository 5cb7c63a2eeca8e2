"""How LogPilot shows a plotly figure in a notebook, whatever plotly guessed at import.

plotly picks its default renderer when it is first imported, from the environment it sees
then; a kernel that imported plotly early (or a test process) can end up with a renderer
that shows nothing in JupyterLab or in an nbconvert HTML report. Naming the renderer
makes both work: the plotly MIME bundle for JupyterLab, plus HTML (plotly.js included
once per session) for reports rendered without a kernel.
"""

from __future__ import annotations

from typing import Any

RENDERER = "plotly_mimetype+notebook"


def show_figure(fig: Any) -> None:
    """Display ``fig`` in the current IPython front end (no-op outside IPython)."""
    fig.show(renderer=RENDERER)
