"""IPython magics of LogPilot; installed as ``logpilot_kernel.magics``.

``%load_ext logpilot_kernel`` calls :func:`load_ipython_extension`, which registers the
``LogPilot`` settings with IPython (so ``%config LogPilot.llm = ...`` works), creates the
``pilot`` object and registers every magic bound to it.
"""

from __future__ import annotations

from typing import Any

from ..config import apply_log_level, load_settings, resolve_home
from .core import LogPilotMagics
from .logsql import LogSQLMagics
from .logwhy import LogWhyMagics
from .pilot_magic import PilotMagics
from .pilot import Pilot

__all__ = ["LogPilotMagics", "LogSQLMagics", "LogWhyMagics", "PilotMagics", "Pilot", "load_ipython_extension", "unload_ipython_extension"]


def load_ipython_extension(ipython: Any) -> None:
    """Register settings, ``pilot`` and the magics in ``ipython``."""
    settings = load_settings(resolve_home())
    apply_log_level(settings)
    settings.parent = ipython
    ipython.configurables.append(settings)
    pilot = Pilot(settings)
    ipython.register_magics(LogPilotMagics(ipython, pilot))
    ipython.register_magics(LogSQLMagics(ipython, pilot))
    ipython.register_magics(LogWhyMagics(ipython, pilot))
    ipython.register_magics(PilotMagics(ipython, pilot))
    ipython.user_ns.setdefault("pilot", pilot)
    ipython._logpilot_pilot = pilot


def unload_ipython_extension(ipython: Any) -> None:
    """Close the workspace (and stop background work) when the extension unloads."""
    logsql = ipython.magics_manager.registry.get("LogSQLMagics")
    if isinstance(logsql, LogSQLMagics):
        logsql.close()  # out of jupysql: its exit handler would display into a dead shell
    pilot = getattr(ipython, "_logpilot_pilot", None)
    if pilot is not None:
        pilot.close()  # stops a running stream first, then releases the workspace
