"""A CSV export with a column header line whose last, quoted field is the text (issue 13),
on an invented sample: the fields between the time and the text are header fields named
after the header line, the message is the quoted text without its quotes, doubled quotes
undone, a text with line breaks joined with ``\\n``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from tests.ingest_lines import ingest_lines

T = dt.datetime
ROWS = [
    ("Warning", "11/28/2025 9:05:01 PM", "disk monitor", "41", 'Volume "data" is 91% full, check soon'),
    ("Information", "11/28/2025 9:07:13 PM", "scheduler", "7", "Job nightly, run 3, started"),
    ("Error", "11/28/2025 11:59:59 PM", "net agent", "502", "Link down on port 4\nRetry in 30 s\n  (last try failed)"),
    ("Information", "11/29/2025 12:00:02 AM", "scheduler", "8", "Job nightly finished"),
    ("Warning", "11/29/2025 12:10:40 AM", "disk monitor", "41", "Volume logs is 88% full"),
    ("Information", "11/29/2025 1:15:00 AM", "updater", "19", 'Package "core, lib" installed'),
]


def _quote(text: str) -> str:
    return '"' + text.replace('"', '""') + '"'


def test_quoted_last_field_is_the_message(tmp_path: Path) -> None:
    lines = ["Kind,When,Origin,Code"] + [f"{k},{w},{o},{c},{_quote(m)}" for k, w, o, c, m in ROWS]
    rows = ingest_lines(tmp_path, "export.csv", lines, "timestamp, severity, message, context")
    assert len(rows) == len(ROWS)
    for (ts, sev, msg, ctx), (kind, when, origin, code, text) in zip(rows, ROWS):
        assert ts == T.strptime(when, "%m/%d/%Y %I:%M:%S %p")
        assert sev == {"Warning": "WARN", "Information": "INFO", "Error": "ERROR"}[kind]
        assert msg == text
        assert json.loads(ctx).get("origin") == origin
