"""One table of note keys (``schema.NOTE_KEYS``): the context keys the readers write as
bookkeeping. The NL lexicon and the why-engine read the same table, and every note the
parser writes is in it, checked two ways: a real ingest of lines that provoke every
note, and the reader sources' own JSON key literals."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import lexicon
from logpilot_kernel.schema import NOTE_KEYS
from logpilot_kernel.why import contrast

ROOT = Path(__file__).resolve().parents[1]
#: The modules that write context: the rule compiler, the merge step, the bulk job.
WRITERS = [ROOT / "ingest" / "registry" / "sqlgen.py", ROOT / "ingest" / "enrich.py",
           ROOT / "ingest" / "bulk.py", ROOT / "ingest" / "stream.py"]


def test_the_lexicon_and_the_why_engine_read_the_one_table() -> None:
    assert lexicon._NOTE_KEYS == NOTE_KEYS
    assert set(NOTE_KEYS) <= set(contrast.SKIP_KEYS)
    assert {"msg", "message"} <= set(contrast.SKIP_KEYS) - set(NOTE_KEYS)  # its own additions
    assert {"ts_date", "ts_rejected", "template_quality"} <= set(NOTE_KEYS)


def test_every_note_key_in_the_reader_sources_is_in_the_table() -> None:
    """A ``"key":`` literal written into a context text (JSON text: no space after the
    colon, unlike a Python dict) is a note: data keys come from the records, never from
    the source code."""
    found: set[str] = set()
    for path in WRITERS:
        if path.exists():
            found |= set(re.findall(r"""[{,']"([a-z_]+)":(?=[^\s`])""", path.read_text(encoding="utf-8")))
    assert {"ts_source", "ts_date", "ts_rejected", "_rule", "severity_source"} <= found  # the scan sees them
    assert sorted(found - set(NOTE_KEYS)) == []


def _touch(path: Path, when: dt.datetime) -> None:
    stamp = when.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))


def test_every_note_key_a_real_ingest_writes_is_in_the_table(tmp_path: Path) -> None:
    logs = tmp_path / "logs"
    logs.mkdir()
    # a time of day only: its date comes from the mtime (ts_source line_time, ts_date)
    clock = logs / "clock.log"
    clock.write_text("".join(f"10:22:{i:02d} worker finished job {i}\n" for i in range(12)), encoding="utf-8")
    _touch(clock, dt.datetime(2024, 3, 5, 18, 0))
    # dated lines with a level, one impossible zone offset (ts_rejected, inherited), a
    # line without a time (inherited), an undecodable byte (bad_utf8)
    mixed = logs / "mixed.log"
    body = "".join(f"2024-03-05 10:22:{i:02d} INFO served request {i}\n" for i in range(10))
    body += "2024-03-05 10:23:00 +9999 WARN clock skew seen\n"
    body += "no time on this line at all\n"
    mixed.write_bytes(body.encode() + b"2024-03-05 10:23:05 ERROR bad byte \xff here\n")
    # no time in any line and no level: the file's time, a level inferred from the words
    bare = logs / "bare.log"
    words = ["connection to the backend failed", "retrying the request", "request served from cache",
             "backend error while reading", "cache warmed up", "shutting down the listener"]
    bare.write_text("".join(w + "\n" for w in words), encoding="utf-8")
    _touch(bare, dt.datetime(2024, 3, 6, 9, 0))
    with Workspace(tmp_path / "ws") as ws:
        rep = ingest(ws, [logs], parquet=False)
        rows = ws.sql("SELECT origin, context FROM logs")
    # header fields an induced rule found are data, not notes
    fields = {f["field"] for fr in rep.files for f in ((fr.induced or {}).get("fields") or [])}
    keys: set[str] = set()
    for ctx in rows["context"]:
        keys |= set(json.loads(ctx))
    # the notes these lines provoke are there, and nothing but notes
    assert {"_rule", "ts_source", "ts_date", "severity_raw", "severity_source", "params", "bad_utf8"} <= keys
    assert sorted(keys - set(NOTE_KEYS) - fields) == []
