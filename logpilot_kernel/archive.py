"""Recovery of the Parquet archive when a workspace is opened: what a killed ingest left.

Why in the core: opening a workspace (``Workspace``) must clean what a killed writer left
before anything reads the archive, and the core never imports the ingest layer.  The writer
side (staging, renaming, recording segments) is ``ingest.segments``; both share the table
and naming defined here, so the two cannot disagree on what a recorded segment is.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

from .atomic import stale_temporaries

__all__ = ["SEGMENTS_DDL", "STAGING", "recover", "summary"]

SEGMENTS_DDL = """CREATE TABLE IF NOT EXISTS archive_segments (
    path VARCHAR PRIMARY KEY,
    run_id VARCHAR NOT NULL,
    origin VARCHAR NOT NULL,
    chunk INTEGER NOT NULL,
    first_offset BIGINT,
    last_offset BIGINT,
    rows BIGINT NOT NULL,
    written_at TIMESTAMP DEFAULT current_timestamp
)"""
STAGING = ".staging"
_SEG = re.compile(r"^seg-.+\.parquet$")
_KINDS = ("staging_removed", "orphan_segments_removed", "temporaries_removed", "runs_interrupted")


def recover(workspace_path: Path, archive: Path, con: Any) -> dict[str, Any]:
    """Clean what killed processes left; called when a process first opens the workspace.

    Removes the staging folder, archive segments no ``archive_segments`` row names, and
    temporaries of the atomic-write helper whose process is gone; marks 'running' runs
    'interrupted' (none can be alive: this process could open the DuckDB file).  Returns
    what it did (empty lists when nothing was left over).
    """
    con.execute(SEGMENTS_DDL)
    out: dict[str, Any] = {"staging_removed": [], "orphan_segments_removed": [], "temporaries_removed": [],
                           "runs_interrupted": []}
    staging = workspace_path / STAGING
    if staging.is_dir():
        out["staging_removed"] = sorted(str(p.relative_to(staging)) for p in staging.rglob("*") if p.is_file())
        shutil.rmtree(staging, ignore_errors=True)
    if archive.is_dir():
        on_disk = [p for p in archive.rglob("seg-*.parquet") if _SEG.match(p.name)]
        if on_disk:
            known = {r[0] for r in con.execute("SELECT path FROM archive_segments").fetchall()}
            for p in on_disk:
                rel = str(p.relative_to(archive))
                if rel not in known:
                    p.unlink(missing_ok=True)
                    out["orphan_segments_removed"].append(rel)
    stale = stale_temporaries([archive, workspace_path / "miner"]) + stale_temporaries([workspace_path], False)
    for p in stale:
        p.unlink(missing_ok=True)
        out["temporaries_removed"].append(str(p.relative_to(workspace_path)))
    running = con.execute("SELECT run_id, kind, report FROM ingest_runs WHERE status = 'running'").fetchall()
    if running:
        from .workspace import rewrite_rows, transaction

        with transaction(con):
            for run_id, kind, report in running:
                who = _marker(report)
                note = {**who, "interrupted": "the process ended before the run finished; "
                                              "found when the workspace was next opened"}
                rewrite_rows(con, "ingest_runs", ["run_id"],
                             "SELECT * REPLACE ('interrupted' AS status, current_timestamp::TIMESTAMP AS finished_at, "
                             "?::JSON AS report) FROM ingest_runs WHERE run_id = ?", [json.dumps(note), run_id])
                out["runs_interrupted"].append({"run_id": run_id, "kind": kind, "pid": who.get("pid")})
    return out


def summary(recovered: dict[str, Any] | None) -> str:
    """One sentence of what :func:`recover` cleaned, or '' when nothing."""
    if not recovered or not any(recovered.get(k) for k in _KINDS):
        return ""
    parts = []
    if recovered["runs_interrupted"]:
        parts.append(f"{len(recovered['runs_interrupted'])} run(s) left 'running' by a killed process "
                     "marked 'interrupted'")
    if recovered["orphan_segments_removed"]:
        parts.append(f"{len(recovered['orphan_segments_removed'])} unrecorded archive segment(s) removed")
    if recovered["staging_removed"]:
        parts.append(f"{len(recovered['staging_removed'])} staged file(s) removed")
    if recovered["temporaries_removed"]:
        parts.append(f"{len(recovered['temporaries_removed'])} stale temporary file(s) removed")
    return "Recovered from an interrupted run: " + ", ".join(parts) + "."


def _marker(report: Any) -> dict[str, Any]:
    try:
        d = json.loads(report) if isinstance(report, str) else (report or {})
    except ValueError:
        return {}
    return {k: d[k] for k in ("pid", "host") if isinstance(d, dict) and k in d}
