"""A binary file is one quarantined *file* with its size: stored in the quarantine table
(offset 0), named on the ingest summary line, in ``Workspace.summary()``, in the
``%logpilot status`` widget and in ``logpilot workspace``; the text beside it loads."""

from __future__ import annotations

import random
from pathlib import Path

from logpilot_kernel import Workspace
from logpilot_kernel.cli import main
from logpilot_kernel.ingest.bulk import ingest


def test_binary_file_is_listed_everywhere_with_its_size(tmp_path: Path, capsys) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    blob = folder / "core.bin"
    blob.write_bytes(random.Random(3).randbytes(123_456))
    text = folder / "app.log"
    text.write_bytes(b"\x00 first line with a NUL\n" + b"".join(
        b"2024-06-01T10:00:%02dZ INFO step %d done\n" % (i, i) for i in range(40)))
    with Workspace(tmp_path / "ws") as ws:
        rep = ingest(ws, [folder], parquet=False)
        assert rep.balanced and rep.lines_read == 41 and rep.rows_loaded == 40 and rep.quarantined == 1
        assert f"{blob} (binary content: whole file quarantined (123,456 bytes" in rep.summary()
        info = ws.summary()
        assert info["quarantined"] == 1  # lines
        assert [q["origin"] for q in info["quarantined_files"]] == [str(blob)]
        assert "123,456 bytes" in info["quarantined_files"][0]["reason"]

        from logpilot_kernel.widgets.status import WorkspaceStatus

        panel = WorkspaceStatus(ws)
        assert "Quarantined files" in panel.status_line.value and "core.bin" in panel.status_line.value
        assert "123,456 bytes" in panel.status_line.value
    assert main(["workspace", "-w", str(tmp_path / "ws")]) == 0
    out = capsys.readouterr().out
    assert f"quarantined file {blob}: binary content: whole file quarantined (123,456 bytes" in out
    assert "1 quarantined lines, 1 quarantined files" in out
