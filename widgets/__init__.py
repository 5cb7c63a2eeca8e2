"""Notebook widgets (ipywidgets + plotly) over the workspace; installed as ``logpilot_kernel.widgets``."""

from .status import WorkspaceStatus

__all__ = ["WorkspaceStatus"]
