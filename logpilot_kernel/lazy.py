"""Names a package re-exports, imported on first use (PEP 562): the one lazy-import helper.

Why: every ``logpilot`` command imports ``logpilot_kernel`` and, to build its parser, the
``query``, ``why`` and ``pilot`` packages; their re-exports (the SQL engine, the why-engine,
the workspace) pull in pandas, duckdb, pyarrow and scipy. Eager, they made ``logpilot
--help`` take 1.5 s and ``%load_ext logpilot_kernel`` 0.7 s (issue 16). With this, a package
keeps its public names (``from logpilot_kernel.why import why`` works as before) and
loads each one's module the first time it is asked for.

Usage, at the end of a package's ``__init__.py``::

    __getattr__, __dir__ = lazy_exports(__name__, {"why": ".engine", "WhyAnswer": ".answer"})

(with the same imports under ``if TYPE_CHECKING:`` for type checkers and readers).
"""

from __future__ import annotations

import importlib
import sys
from typing import Any, Callable, Mapping


def lazy_exports(module: str, exports: Mapping[str, str]) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``(__getattr__, __dir__)`` for ``module`` (pass ``__name__``): each name in ``exports``
    is imported from its module when first read, then kept on ``module``, so later reads
    cost nothing. Relative module names resolve as a relative import written in ``module``
    would (a package's own sub-modules, or a module's siblings). An unknown name is an
    ``AttributeError`` as usual."""
    names = dict(exports)

    def __getattr__(name: str) -> Any:
        source = names.get(name)
        if source is None:
            raise AttributeError(f"module {module!r} has no attribute {name!r}")
        home = sys.modules[module]
        value = getattr(importlib.import_module(source, home.__package__), name)
        setattr(home, name, value)
        return value

    def __dir__() -> list[str]:
        return sorted(set(vars(sys.modules[module])) | set(names))

    return __getattr__, __dir__


__all__ = ["lazy_exports"]
