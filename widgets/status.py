"""The workspace status panel: what is loaded, from where, and what was set aside.

A composite widget (a ``VBox`` subclass) so it can be embedded in larger dashboards; it
reads only aggregates computed by DuckDB through :meth:`Workspace.summary`.
"""

from __future__ import annotations

import html
from typing import Any

import ipywidgets as w

from ..workspace import Workspace


class WorkspaceStatus(w.VBox):
    """Rows, time range, templates and quarantine of a workspace, with a refresh button."""

    def __init__(self, workspace: Workspace, **kwargs: Any) -> None:
        self.workspace = workspace
        self.header = w.HTML()
        self.table = w.HTML()
        self.status_line = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh",
                                       layout=w.Layout(width="110px"))
        self.refresh_button.on_click(lambda _b: self.refresh())
        super().__init__([w.HBox([self.header, self.refresh_button]), self.table,
                          self.status_line], **kwargs)
        self.refresh()

    def refresh(self) -> dict[str, Any]:
        """Re-read the summary; errors land in the status line, never a dead widget."""
        try:
            info = self.workspace.summary()
        except Exception as exc:  # shown, not swallowed
            self.status_line.value = f"<span style='color:#b00'>error: {html.escape(str(exc))}</span>"
            return {}
        self.status_line.value = ""
        self.header.value = (
            f"<b>LogPilot workspace</b> <code>{html.escape(info['path'])}</code> — "
            f"{info['rows']:,} rows, {info['templates']:,} templates, "
            f"{info['quarantined']:,} quarantined"
        )
        files = info.get("quarantined_files") or []
        if files:  # whole files set aside (binary): listed, never silently dropped
            self.status_line.value = "<b>Quarantined files</b><ul>" + "".join(
                f"<li><code>{html.escape(q['origin'])}</code>: {html.escape(q['reason'])}</li>"
                for q in files) + "</ul>"
        if not info["sources"]:
            self.table.value = (
                "<i>This workspace is empty.</i> Load logs with "
                "<code>%logpilot ingest PATH...</code> or <code>logpilot ingest PATH... "
                f"--workspace {html.escape(info['path'])}</code>."
            )
            return info
        rows = "".join(
            f"<tr><td>{html.escape(s['source'])}</td><td style='text-align:right'>{s['rows']:,}</td>"
            f"<td>{s['first'] or ''}</td><td>{s['last'] or ''}</td></tr>"
            for s in info["sources"]
        )
        self.table.value = (
            "<table><thead><tr><th>source</th><th>rows</th><th>first</th><th>last</th></tr>"
            f"</thead><tbody>{rows}</tbody></table>"
        )
        return info
