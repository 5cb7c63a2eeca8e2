"""``pilot``: the object ``%load_ext logpilot_kernel`` puts in the notebook namespace.

It is the kernel-side facade over the Python API: one open workspace, ingestion with a
notebook progress bar, SQL returning DataFrames, template search, and the status widget.
Magics are thin wrappers over these methods, so anything a magic does a script can do.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # Workspace imports duckdb: loaded when the workspace is first opened,
    from ..config import LogPilot  # so `%load_ext logpilot_kernel` stays light (issue 16)
    from ..workspace import Workspace


class Pilot:
    """The analyst's handle on one workspace inside a kernel."""

    def __init__(self, settings: LogPilot, workspace: str | os.PathLike | None = None) -> None:
        self.settings = settings
        self._workspace: Workspace | None = None
        self._path = workspace
        self._conversation: Any = None
        self._stream: Any = None

    @property
    def workspace(self) -> Workspace:
        """The open workspace (opened on first use, so loading the extension is instant)."""
        if self._workspace is None:
            from .working import working

            # importing duckdb and opening the file take about a second cold: a status
            # line first, so the notebook's opening cell is not silent (issue 18)
            where = f" {self._path}" if self._path else ""
            with working(f"LogPilot: opening the workspace{where} ..."):
                from ..workspace import Workspace

                self._workspace = Workspace(self._path, settings=self.settings)
                # Opening needs no pandas, but every answer in a kernel is a DataFrame: its
                # import (0.5-1 s) is paid here, under the status line, and not by the next
                # cell (the dashboard's would otherwise be silent past 1 s).
                import pandas  # noqa: F401
        return self._workspace

    def open(self, path: str | os.PathLike | None = None) -> Workspace:
        """Switch to another workspace, releasing the previous one's file lock."""
        if self._conversation is not None:
            self._conversation.reset()
        self.close()
        self._path = path
        return self.workspace

    def ingest(self, *inputs: str | os.PathLike, source: str | None = None,
               format: str | None = None, progress: bool = True) -> Any:
        """Bulk-load files, folders or globs; returns the :class:`IngestReport`."""
        from ..ingest.bulk import ingest

        return ingest(self.workspace, list(inputs), source=source, rule=format, progress=progress)

    def sql(self, query: str, params: Sequence[Any] | None = None) -> Any:
        """Run SQL on a fresh cursor and return a pandas DataFrame."""
        return self.workspace.sql(query, params)

    @property
    def conversation(self) -> Any:
        """The kernel's conversation: follow-ups refine it; ``%pilot reset`` clears it."""
        if self._conversation is None:
            from ..pilot import Conversation

            self._conversation = Conversation()
        return self._conversation

    def ask(self, question: str, now: Any = None, *, dry_run: bool = False,
            intent: str | None = None, model: Any = None) -> Any:
        """Ask anything: routed to the SQL engine, the why-engine or the dashboard.

        Returns a ``PilotAnswer`` (the engine's answer plus the route); ``.frame`` and
        ``.sql`` still reach a SQL answer.
        """
        from .pilot_magic import pilot_ask

        return pilot_ask(self, question, now=now, dry_run=dry_run, intent=intent, model=model)

    @property
    def stream(self) -> Any:
        """Kafka ingestion in a background thread: ``.start(...)``, ``.stop()``, ``.status()``."""
        if self._stream is None:
            from ..ingest.stream_kernel import StreamController

            self._stream = StreamController(lambda: self.workspace)
        return self._stream

    def why(self, question: str = "", *, since: Any = None, until: Any = None,
            service: Any = None, entity: Any = None, now: Any = None, model: Any = None,
            window: int = 1) -> Any:
        """Evidence-first root cause of a symptom (or "what is abnormal?"); ``window``: which
        of the scope's significant windows to explain (1 = strongest, see ``.windows``)."""
        from ..why import why

        return why(self.workspace, question, since=since, until=until, service=service,
                   entity=entity, now=now, model=model, window=window)

    def dashboard(self, period: Any = "all", service: Any = None, **kwargs: Any) -> Any:
        """The analyst dashboard (filters, KPIs, charts, click-to-drill, explain a spike)."""
        from ..widgets import Dashboard

        return Dashboard(self.workspace, period=period, service=service, **kwargs)

    def live(self, interval: float = 1.0) -> Any:
        """The live panel of the running stream (rows/s, lag, last error, newest templates)."""
        from ..widgets import LivePanel

        return LivePanel(self.stream, interval=interval)

    def search_templates(self, text: str, n: int = 10) -> Any:
        """Templates nearest in meaning to ``text``, as a DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.workspace.search_templates(text, n=n))

    def status(self) -> Any:
        """The workspace status widget."""
        from ..widgets import WorkspaceStatus

        return WorkspaceStatus(self.workspace)

    def close(self) -> None:
        """Stop a running stream and release the workspace (other processes can then open it)."""
        if self._stream is not None:
            self._stream.stop()
            self._stream = None
        if self._workspace is not None:
            self._workspace.close()
            self._workspace = None

    def __repr__(self) -> str:
        where = self._workspace.path if self._workspace else (self._path or "(default)")
        return f"<LogPilot pilot on {where}>"
