"""Notebook widgets (ipywidgets + plotly) over the workspace; installed as ``logpilot_kernel.widgets``.

``Dashboard`` and ``LivePanel`` load on first use (PEP 562), so ``pilot.status()`` does not
pay for importing plotly.
"""

from __future__ import annotations

from typing import Any

from .status import WorkspaceStatus

__all__ = ["Dashboard", "LivePanel", "Selection", "WorkspaceStatus"]


def __getattr__(name: str) -> Any:
    if name in ("Dashboard", "Selection"):
        from . import dashboard

        return getattr(dashboard, name)
    if name == "LivePanel":
        from .live import LivePanel

        return LivePanel
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
