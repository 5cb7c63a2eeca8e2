"""How LogPilot shows a plotly figure in a notebook: light outputs, plotly.js never embedded.

plotly's ``notebook`` renderer re-embeds the whole plotly.js bundle (about 4.8 MB) every
time a figure is shown with a named renderer, and its HTML asks for MathJax from a CDN: six
charts made a 30 MB notebook that needed the internet to render. A chart here is instead
two small parts, about 10-20 KB together:

* ``application/vnd.plotly.v1+json``: the figure as data. JupyterLab (and Notebook 7, VS
  Code) draw it with the plotly extension that ships with the ``plotly`` package, so the
  notebook never holds plotly.js.
* ``text/html``: a ``<div>`` and a ``Plotly.newPlot`` call *without* the library. Front
  ends that prefer HTML (nbconvert) use it; the HTML report (``reports.render_html``) puts
  plotly.js inline once in its head, so the page is self-contained and works offline.

The ``logpilot`` renderer is registered with plotly so that ``display(fig)`` and
``fig.show()`` give the same light output once ``pio.renderers.default = "logpilot"``.
"""

from __future__ import annotations

import json
from typing import Any

RENDERER = "logpilot"
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def figure_bundle(fig: Any) -> dict[str, Any]:
    """The light MIME bundle of ``fig`` (a plotly Figure or a figure dict): JSON + library-free HTML."""
    import plotly.io as pio

    fig_dict = fig if isinstance(fig, dict) else fig.to_plotly_json()
    # plotly's own JSON encoder turns numpy/pandas values (timestamps, int64) into JSON.
    data = json.loads(pio.to_json(fig_dict, validate=False))
    html = pio.to_html(fig_dict, include_plotlyjs=False, include_mathjax=False, full_html=False,
                       default_width="100%", default_height=450, validate=False)
    return {PLOTLY_MIME: {"data": data.get("data", []), "layout": data.get("layout", {}),
                          "config": {"plotlyServerURL": "https://plot.ly"}},
            "text/html": html, "text/plain": f"<{type(fig).__name__}: chart>"}


def register_renderer() -> None:
    """Make ``logpilot`` a plotly renderer name (idempotent; imports plotly)."""
    import plotly.io as pio
    from plotly.io._base_renderers import MimetypeRenderer

    if RENDERER in pio.renderers:
        return

    class _LightRenderer(MimetypeRenderer):
        """plotly calls ``to_mimebundle`` with the figure dict; nothing to activate."""

        def to_mimebundle(self, fig_dict: dict) -> dict:  # type: ignore[override]
            return figure_bundle(fig_dict)

    pio.renderers[RENDERER] = _LightRenderer()


def show_figure(fig: Any) -> None:
    """Display ``fig`` in the current IPython front end (no-op outside IPython)."""
    from IPython.display import display

    display(figure_bundle(fig), raw=True)


def use_light_charts() -> None:
    """Register the ``logpilot`` renderer and make it plotly's default in this kernel, so
    ``display(fig)`` and ``fig.show()`` add a few KB to a notebook, not plotly.js."""
    import plotly.io as pio

    register_renderer()
    pio.renderers.default = RENDERER
