"""Evidence-first root-cause reasoning over templates, statistics and traces (``%%logwhy``).

Public API (the CLI, the magic, ``Pilot.why`` and the dashboard's "Explain this spike" all
call exactly this)::

    from logpilot_kernel.why import why, WhyAnswer
    ans = why(workspace, "why is checkout failing?", since=None, until=None,
              service=None, entity=None, now=None, model=None)

Pipeline: :mod:`.scope` (services, time, entities, hybrid template retrieval) ->
:mod:`.window` (change-point on bucketed errors) -> :mod:`.contrast` (per-template rate
change with G-test p-values, significant terms, new/disappeared templates) ->
:mod:`.causality` (trace correlation, explained ranking) -> :mod:`.narrative`
(deterministic, or a model's checked against the evidence). "What is abnormal?" takes
:mod:`.abnormal` instead. All aggregation runs in DuckDB.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .answer import WhyAnswer
    from .engine import why

__all__ = ["WhyAnswer", "why"]


# ``why`` and ``WhyAnswer`` load on first use: ``logpilot why``'s parser is registered from
# ``why.cli``, which imports this package, and the engine pulls in scipy (about 0.5 s;
# issue 16: ``logpilot --help`` must not pay for it).
__getattr__, __dir__ = lazy_exports(__name__, {"why": ".engine", "WhyAnswer": ".answer"})
