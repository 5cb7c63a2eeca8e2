"""LogPilot: a log analytics workbench that lives inside Jupyter.

``logpilot_kernel`` is the headless core (golden schema, workspace storage, embeddings,
configuration). The layers above it install as sub-packages: ``logpilot_kernel.ingest``
(registry, readers, mining, bulk and stream jobs), ``logpilot_kernel.magics`` and
``logpilot_kernel.widgets``. Core modules never import those layers; the two entry points
that compose them (:func:`load_ipython_extension` and the CLI) import them lazily.
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"

from .config import LogPilot, load_settings  # noqa: E402
from .errors import (  # noqa: E402
    ConfigError,
    LogPilotError,
    ValidationError,
    WorkspaceError,
    WorkspaceLockedError,
)
from .schema import LogRecord  # noqa: E402
from .workspace import Workspace  # noqa: E402

__all__ = [
    "ConfigError",
    "LogPilot",
    "LogPilotError",
    "LogRecord",
    "Workspace",
    "load_settings",
    "ValidationError",
    "WorkspaceError",
    "WorkspaceLockedError",
    "__version__",
    "load_ipython_extension",
]


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext logpilot_kernel``: register every magic and the ``pilot`` object."""
    from .magics import load_ipython_extension as _load  # entry point: lazy by design

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop background work the extension started (stream threads) on unload."""
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
