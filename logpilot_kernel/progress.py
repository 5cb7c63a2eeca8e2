"""One progress reporter for every long phase: generation, detection, parsing, mining, storing, embedding.

Why one interface: issue 18 asks for a progress bar on every phase over 2 s, in the CLI
and in the notebook, and the phases live in different modules (the demo generator, the
bulk job, the cluster client).  Each of them only *reports* (``start``/``update``/
``finish``) to a :class:`Progress` it was given; what is drawn is the caller's choice:

* :class:`Progress` itself draws nothing (the default: a library call stays silent);
* :class:`TqdmProgress` draws one tqdm bar per phase (``tqdm.auto``: an ipywidgets bar in
  a notebook kernel, a text bar on a terminal);
* a test passes its own subclass and records the calls.

Phases may interleave (the bulk job detects file 2 after storing file 1's chunks), so a
phase is named in every call and stays open until ``finish`` or ``close``.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

__all__ = ["Progress", "TqdmProgress", "resolve", "rate", "for_cli"]


class Progress:
    """The reporter interface, and the silent reporter."""

    def start(self, phase: str, total: float | None = None, unit: str = "it") -> None:
        """Open ``phase`` (``total`` in ``unit``, or None when unknown); again: no-op."""

    def update(self, phase: str, n: float = 1, info: str | None = None) -> None:
        """``n`` more units of ``phase`` done; ``info`` a short note (e.g. lines/s)."""

    def finish(self, phase: str) -> None:
        """``phase`` is done (its bar stays, full)."""

    def close(self) -> None:
        """The run ended (normally or not): finish what is still open."""


class TqdmProgress(Progress):
    """One tqdm bar per phase.

    ``delay``: seconds a phase must last before its bar appears (tqdm's own ``delay``), so
    short phases print nothing; 0 shows every phase.  ``file``: where text bars go
    (default stderr, so a command's stdout stays its result, e.g. pure JSON).
    ``notebook``: None picks by environment (``tqdm.auto``), False forces text bars.
    """

    def __init__(self, delay: float = 1.0, file: IO[str] | None = None, notebook: bool | None = None) -> None:
        self.delay = delay
        self.file = file
        self.notebook = notebook
        self._bars: dict[str, Any] = {}
        self._started: dict[str, float] = {}

    def _cls(self) -> Any:
        if self.notebook is False:
            from tqdm import tqdm
        else:
            from tqdm.auto import tqdm
        return tqdm

    def start(self, phase: str, total: float | None = None, unit: str = "it") -> None:
        if phase in self._bars:
            return
        self._started[phase] = time.perf_counter()
        self._bars[phase] = self._cls()(total=total, unit=unit, desc=phase, delay=self.delay, leave=True,
                                        dynamic_ncols=True, unit_scale=unit == "B",
                                        file=self.file if self.file is not None else sys.stderr)

    def update(self, phase: str, n: float = 1, info: str | None = None) -> None:
        bar = self._bars.get(phase)
        if bar is None:
            self.start(phase)
            bar = self._bars[phase]
        if info is not None:
            bar.set_postfix_str(info, refresh=False)
        bar.update(n)

    def finish(self, phase: str) -> None:
        bar = self._bars.pop(phase, None)
        if bar is not None:
            if bar.total is not None and bar.n < bar.total:
                bar.update(bar.total - bar.n)  # skipped work (an unchanged file) counts as done
            bar.close()

    def close(self) -> None:
        for phase in list(self._bars):
            bar = self._bars.pop(phase)
            bar.close()


def resolve(progress: bool | Progress | None, delay: float = 1.0) -> Progress:
    """A reporter from an API argument: a :class:`Progress` as given, True a
    :class:`TqdmProgress`, False or None the silent one."""
    if isinstance(progress, Progress):
        return progress
    return TqdmProgress(delay=delay) if progress else Progress()


def rate(lines: int, started: float) -> str:
    """``"12,345 lines/s"`` since ``started`` (a ``time.perf_counter()`` value)."""
    return f"{lines / max(1e-9, time.perf_counter() - started):,.0f} lines/s"


def for_cli(explicit: bool, quiet: bool = False) -> Progress:
    """The CLI's reporter: text bars on stderr when ``--progress`` is given (every phase,
    no delay) or when stderr is a terminal (phases over 1 s); silent with ``--quiet`` or
    when stderr is a pipe or a file (a log of a run stays free of bar redraws)."""
    if explicit:
        return TqdmProgress(delay=0.0, notebook=False)
    if quiet or not sys.stderr.isatty():
        return Progress()
    return TqdmProgress(delay=1.0, notebook=False)
