"""Ingest a few invented lines as one file into a fresh real workspace and read its rows.

Why a module: the induction tests each need "write these lines, run the real bulk ingest,
give me the rows in file order"; one copy keeps the columns and the ordering the same.
"""

from __future__ import annotations

import os
from pathlib import Path

from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.workspace import Workspace


def ingest_lines(tmp_path: Path, file_name: str, lines: list[str], columns: str,
                 mtime: float | None = None) -> list[tuple]:
    """Rows (``columns`` of ``logs``, in line order) of ``lines`` ingested as ``file_name``;
    ``mtime`` sets the file's time (the year of year-less formats comes from it)."""
    path = tmp_path / file_name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    with Workspace(tmp_path / f"ws-{path.stem}") as ws:
        ingest(ws, [path], parquet=False)
        return ws.cursor().execute(f"SELECT {columns} FROM logs ORDER BY origin_offset").fetchall()
