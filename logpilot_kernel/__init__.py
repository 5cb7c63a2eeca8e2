"""LogPilot: a log analytics workbench that lives inside Jupyter.

``logpilot_kernel`` is the headless core (golden schema, workspace storage, embeddings,
configuration). The layers above it install as sub-packages: ``logpilot_kernel.ingest``
(registry, readers, mining, bulk and stream jobs), ``logpilot_kernel.magics`` and
``logpilot_kernel.widgets``. Core modules never import those layers; the two entry points
that compose them (:func:`load_ipython_extension` and the CLI) import them lazily.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

from .errors import (  # noqa: E402 - light (no third-party imports)
    ConfigError,
    LogPilotError,
    ValidationError,
    WorkspaceError,
    WorkspaceLockedError,
)
from .lazy import lazy_exports  # noqa: E402

if TYPE_CHECKING:  # what the lazy names below resolve to, for type checkers and readers
    from .config import LogPilot, load_settings
    from .schema import LogRecord
    from .workspace import Workspace

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


# Loaded on first use: they pull in traitlets, pyarrow and duckdb (about 0.25 s), and every
# `logpilot` command and `%load_ext` import this package first (issue 16: start-up).
__getattr__, __dir__ = lazy_exports(__name__, {"LogPilot": ".config", "load_settings": ".config",
                                               "LogRecord": ".schema", "Workspace": ".workspace"})


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext logpilot_kernel``: register every magic and the ``pilot`` object."""
    from .magics import load_ipython_extension as _load  # entry point: lazy by design

    _load(ipython)


def unload_ipython_extension(ipython: Any) -> None:
    """Stop background work the extension started (stream threads) on unload."""
    from .magics import unload_ipython_extension as _unload

    _unload(ipython)
