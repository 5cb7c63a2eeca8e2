"""Record boundaries of multi-line formats nobody wrote a rule for (own invented samples).

Each test writes a small file of a made-up product, ingests it through the real
``ingest`` (detection, induction, DuckDB parse) and checks rows = records and the UTC
time of each:

* timestamped lines a minority, each followed by an indented property block;
* a banner (not a record) before multi-line records with stack-trace lines;
* multi-line entries with blank lines inside, whose indented detail lines repeat the
  time in another layout, and a 12-hour clock across midnight;
* a time of day alone, each record after a blank line, in a file written that evening.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.workspace import Workspace

T = dt.datetime


def _load(tmp_path: Path, name: str, lines: list[str], mtime: T | None = None) -> tuple[list[tuple], list[tuple]]:
    """Ingest ``lines`` as ``name.log``: (rows as (line, time, level, message), quarantine)."""
    path = tmp_path / f"{name}.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if mtime is not None:
        stamp = mtime.replace(tzinfo=dt.timezone.utc).timestamp()
        os.utime(path, (stamp, stamp))
    with Workspace(tmp_path / f"ws-{name}") as ws:
        ingest(ws, [path], parquet=False)
        rows = ws.cursor().execute("SELECT origin_offset, timestamp, severity, message FROM logs "
                                   "ORDER BY origin_offset").fetchall()
        quarantine = ws.cursor().execute("SELECT origin_offset, reason, raw FROM quarantine ORDER BY 1").fetchall()
    return rows, quarantine


def test_indented_property_blocks_are_continuation_lines(tmp_path: Path) -> None:
    """Three lines of properties under each timestamped line: the timestamped lines are
    a quarter of the file, yet each starts a record that keeps its block."""
    lines: list[str] = []
    starts = []
    for k in range(6):
        starts.append(len(lines) + 1)
        lines += [f"[2025-02-10 06:0{k}:00.100 +0530] {'WARN' if k % 3 == 0 else 'INFO'} (relay/77 on n1): hop {k}",
                  f'    hopId: "h-{k}"',
                  "    meta: {",
                  f'      "attempt": {k}',
                  "    }"]
    rows, _ = _load(tmp_path, "relay", lines)
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [T(2025, 2, 10, 0, 30 + k, 0, 100000) for k in range(6)]
    assert [r[2] for r in rows] == ["WARN" if k % 3 == 0 else "INFO" for k in range(6)]
    assert all('    hopId: "h-' in r[3] and r[3].rstrip().endswith("}") for r in rows)


def test_a_banner_before_multi_line_records_is_not_a_record(tmp_path: Path) -> None:
    banner = ["=========== Runtime facts ===========",
              "Engine build 4.2.1 on host n7",
              "Home dir = /srv/engine",
              "Trace spec = all=info",
              "============ End of facts ==========="]
    lines = list(banner)
    starts = []
    for k in range(8):
        starts.append(len(lines) + 1)
        lines.append(f"[3/1/25 9:1{k}:00:250 PST] 0000001{k} Loader  Z   step {k} done")
        if k % 2:
            lines += ["\tat org.sample.Loader.run(Loader.java:12)", "\tat org.sample.Main.main(Main.java:3)"]
    rows, quarantine = _load(tmp_path, "engine", lines)
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [T(2025, 3, 1, 17, 10 + k, 0, 250000) for k in range(8)]
    # the reader joins the lines before the first record into one block: quarantined whole
    assert [(q[0], q[2].rstrip("\n")) for q in quarantine] == [(1, "\n".join(banner))]
    assert "header or comment line" in quarantine[0][1]
    assert "\tat org.sample.Main.main(Main.java:3)" in rows[1][3]


def test_entries_with_blank_lines_and_a_repeated_time_in_their_details(tmp_path: Path) -> None:
    """Each entry: a first line with a 12-hour time, indented details (one repeating
    the time in ISO form), a blank line, a coded message, a blank line, a dashed trailer."""
    lines: list[str] = []
    starts = []
    clock = [("02/09/2025 11:58:00 PM", T(2025, 2, 9, 23, 58)), ("02/10/2025 12:03:30 AM", T(2025, 2, 10, 0, 3, 30)),
             ("02/10/2025 12:40:00 PM", T(2025, 2, 10, 12, 40)), ("02/10/2025 01:05:09 PM", T(2025, 2, 10, 13, 5, 9))]
    for k, (text, _) in enumerate(clock):
        starts.append(len(lines) + 1)
        lines += [f"{text} - Task({k}.1) Owner(svc) Unit(q{k})",
                  "                Node(n1.example.test) Tier(A)",
                  f"                Stamp(2025-02-10T00:0{k}:00.000Z)",
                  "",
                  f"XYZ100{k}{'W' if k == 2 else 'I'}: unit q{k} changed state.",
                  "",
                  "DETAIL:",
                  "Nothing to do.",
                  "----- unit.c : 12 ------------------------------"]
    rows, _ = _load(tmp_path, "units", lines)
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [want for _, want in clock]
    assert all("DETAIL:" in r[3] for r in rows)


def test_a_time_of_day_after_a_blank_line_takes_the_day_the_file_was_written(tmp_path: Path) -> None:
    """Morning records in a file last written late that evening (UTC) are that day's."""
    lines = [""]
    for k in range(5):
        lines += [f"07:2{k}:00.00{k} ref=ab{k} [{'info' if k != 3 else 'warning'}] step {k}", ""]
    rows, _ = _load(tmp_path, "steps", lines, mtime=T(2025, 2, 11, 23, 59, 59))
    assert [r[0] for r in rows] == [2, 4, 6, 8, 10]
    assert [r[1] for r in rows] == [T(2025, 2, 11, 7, 20 + k, 0, k * 1000) for k in range(5)]


def test_a_glued_yyyymmdd_hhmmss_after_a_padded_pid(tmp_path: Path) -> None:
    lines = [f"{pid:>6}:20250212:0{k}1500.{k:03d} poller #{k} started"
             for k, pid in enumerate([101, 102, 1234567, 103, 104, 105])]
    rows, _ = _load(tmp_path, "poller", lines)
    assert [r[1] for r in rows] == [T(2025, 2, 12, k, 15, 0, k * 1000) for k in range(6)]
    assert [r[3] for r in rows] == [f"poller #{k} started" for k in range(6)]


def test_the_rule_records_why_a_block_was_skipped(tmp_path: Path) -> None:
    """The banner's lines are quarantined with the reason, never silently dropped."""
    lines = ["*** Start of environment ***", "Version = 1.2", "*** End of environment ***"]
    for k in range(6):
        lines.append(f"[3/2/25 10:0{k}:00:000 UTC] 00000001 Unit  I   step {k}")
        lines.append("\tat a.b.C.d(C.java:1)")
    rows, quarantine = _load(tmp_path, "envbanner", lines)
    assert len(rows) == 6
    assert [q[0] for q in quarantine] == [1] and "header or comment line" in quarantine[0][1]
    assert "Version = 1.2" in quarantine[0][2]
