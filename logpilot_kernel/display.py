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

import importlib.abc
import importlib.util
import json
import logging
import sys
from types import ModuleType
from typing import Any, Callable

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
    """Make every plotly figure in this kernel light: ``display(fig)`` (or a figure as a
    cell's value) and ``fig.show()`` add a few KB to a notebook, not plotly.js.

    Nothing heavy is imported here. plotly's renderer registry imports nbformat, hence
    jsonschema, whose format checkers build a grammar at import: about 2 s, which made the
    shipped notebooks' opening cell silent for 3-4 s (issue 18). So a displayed figure
    goes to :func:`show_figure` through IPython's own display hook (the registry is never
    needed), and the ``logpilot`` renderer becomes plotly's default right after the
    registry is first imported (``fig.show()``, ``pio.show``), or now if it already is."""
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython is a dependency
        shell = None
    else:
        shell = get_ipython()
    if shell is not None:
        # before the figure's own _ipython_display_, which asks plotly's renderers
        shell.display_formatter.ipython_display_formatter.for_type_by_name(
            "plotly.basedatatypes", "BaseFigure", show_figure)
    after_import("plotly.io._renderers", _make_default)


def _make_default(_module: Any) -> None:
    import plotly.io as pio

    register_renderer()
    pio.renderers.default = RENDERER


class _ThenLoader(importlib.abc.Loader):
    """A module's own loader, then ``then(module)`` once the module has run."""

    def __init__(self, loader: Any, then: Callable[[ModuleType], None]) -> None:
        self._loader, self._then = loader, then

    def create_module(self, spec: Any) -> ModuleType | None:
        return self._loader.create_module(spec)

    def exec_module(self, module: ModuleType) -> None:
        self._loader.exec_module(module)
        try:
            self._then(module)
        except Exception as exc:  # our hook must never break the user's import
            logging.getLogger("logpilot").warning("after importing %s: %s", module.__name__, exc)

    def __getattr__(self, name: str) -> Any:  # get_source, get_data, ...: the real loader's
        return getattr(self._loader, name)


class _AfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of one module name, once."""

    def __init__(self, name: str, then: Callable[[ModuleType], None]) -> None:
        self.name, self.then = name, then

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        sys.meta_path.remove(self)  # once; the other finders locate the module
        spec = importlib.util.find_spec(fullname)
        if spec is not None and spec.loader is not None:
            spec.loader = _ThenLoader(spec.loader, self.then)
        return spec


def after_import(name: str, then: Callable[[ModuleType], None]) -> None:
    """Call ``then(module)`` when module ``name`` has been imported: now if it already is,
    else right after its first import (one pending hook per name)."""
    module = sys.modules.get(name)
    if module is not None:
        then(module)
        return
    for finder in sys.meta_path:
        if isinstance(finder, _AfterImport) and finder.name == name:
            finder.then = then
            return
    sys.meta_path.insert(0, _AfterImport(name, then))
