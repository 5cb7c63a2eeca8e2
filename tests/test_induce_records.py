"""Rule induction for record shapes beyond one line = one record (own invented samples).

Each test writes a small file of a made-up product in one of the shapes real software
writes, ingests it through the real ``ingest`` (detection, induction, DuckDB parse) and
checks rows = records, the UTC time, the level and the message:

* a header line with the timestamp, the message on the line(s) below it (a timestamp
  line alone; ``=LEVEL KIND==== date::time ===``; ``[time, N] source`` with an indented
  message and a numeric level);
* a one-letter level glued to a ``yymmdd`` date;
* a time of day with no date (the date from the file's mtime, midnight crossed);
* a legend block and a CSV header before CSV records;
* a delimited format (fields after the time are the message) and a padded column.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import pytest

from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.workspace import Workspace

T = dt.datetime


def _load(tmp_path: Path, name: str, lines: list[str], mtime: T | None = None) -> tuple[object, list[tuple]]:
    """Ingest ``lines`` as ``name.log``; (report, rows as (line, time, level, message, context))."""
    path = tmp_path / f"{name}.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    if mtime is not None:
        stamp = mtime.replace(tzinfo=dt.timezone.utc).timestamp()
        os.utime(path, (stamp, stamp))
    with Workspace(tmp_path / f"ws-{name}") as ws:
        rep = ingest(ws, [path], parquet=False)
        rows = ws.cursor().execute("SELECT origin_offset, timestamp, severity, message, context FROM logs "
                                   "ORDER BY origin_offset").fetchall()
        quarantine = ws.cursor().execute("SELECT origin_offset, reason FROM quarantine ORDER BY 1").fetchall()
    rep.quarantine_rows = quarantine  # type: ignore[attr-defined]
    return rep, [(o, t, s, m, json.loads(c)) for o, t, s, m, c in rows]


# --- 1. a header line of its own, the message below it ---------------------------------

def test_timestamp_line_alone_then_message_lines(tmp_path: Path) -> None:
    lines = ["2025-01-14T08:00:00.100000-05:00",
             "Quasar engine starting (pid 4411)",
             "~~~~~~~~~~~~~~~~~~~~~~~~",
             "2025-01-14T08:00:01.200000-05:00",
             "Tablespace ARCHIVE mounted",
             "2025-01-14T08:00:09.000000-05:00",
             "Checkpoint failed: disk quota exceeded",
             "Retrying in 30 s",
             "2025-01-14T08:01:00.000000-05:00",
             "Tablespace ARCHIVE opened read-write"]
    rep, rows = _load(tmp_path, "quasar_alert", lines)
    assert rep.files[0].rule == "induced:quasar_alert" and rep.files[0].confidence >= 0.9
    assert [r[0] for r in rows] == [1, 4, 6, 9]
    assert [r[1] for r in rows] == [T(2025, 1, 14, 13, 0, 0, 100000), T(2025, 1, 14, 13, 0, 1, 200000),
                                    T(2025, 1, 14, 13, 0, 9), T(2025, 1, 14, 13, 1)]
    assert [r[3].split("\n")[0] for r in rows] == [
        "Quasar engine starting (pid 4411)", "Tablespace ARCHIVE mounted",
        "Checkpoint failed: disk quota exceeded", "Tablespace ARCHIVE opened read-write"]
    assert rows[2][3] == "Checkpoint failed: disk quota exceeded\nRetrying in 30 s"
    assert rows[2][2] == "ERROR" and rows[2][4]["severity_source"] == "inferred"
    assert all(r[4]["ts_source"] == "line" for r in rows)


def test_level_word_header_line_then_report_lines(tmp_path: Path) -> None:
    """``=WORD KIND==== date::time ===``: the word is the level where it is a level word
    (else the level is inferred from the body), the body is the message, kept as written."""
    lines = ["=AUDIT EVENT==== 14-Jan-2025::08:00:00.500000 ===",
             "    module: ledger",
             "    loaded_at: boot",
             "=INFO EVENT==== 14-Jan-2025::08:00:01.000000 ===",
             "Ledger node 'ldg@n1' is up",
             "=WARNING EVENT==== 14-Jan-2025::08:05:00.000000 ===",
             "Queue depth 900 of 1000",
             "=ERROR EVENT==== 14-Jan-2025::08:06:00.000000 ===",
             "** Worker ledger_sync stopped",
             "** Reason: {timeout,5000}",
             "=INFO EVENT==== 14-Jan-2025::08:07:00.250000 ===",
             "Worker ledger_sync restarted"]
    rep, rows = _load(tmp_path, "ledger_events", lines)
    assert rep.files[0].rule == "induced:ledger_events"
    assert [r[0] for r in rows] == [1, 4, 6, 8, 11]
    assert rows[0][1] == T(2025, 1, 14, 8, 0, 0, 500000) and rows[4][1] == T(2025, 1, 14, 8, 7, 0, 250000)
    assert [r[2] for r in rows] == ["INFO", "INFO", "WARN", "ERROR", "INFO"]
    assert rows[0][4]["severity_source"] == "inferred"  # AUDIT is no level word
    assert [r[3].split("\n")[0] for r in rows] == ["    module: ledger", "Ledger node 'ldg@n1' is up",
                                                   "Queue depth 900 of 1000", "** Worker ledger_sync stopped",
                                                   "Worker ledger_sync restarted"]


def test_bracketed_header_with_numeric_level_then_indented_message(tmp_path: Path) -> None:
    """``[time, N] source:line(func)`` then an indented line: the number in the
    timestamp's brackets is a numeric level (a value above 7: the debug-level scale),
    the source goes to context, the message is the body without its shared indent."""
    lines = ["[2025/01/14 08:00:00.123456,  0] lib/net/sock.c:88(open_sock)",
             "  gatewayd 2.1 started",
             "[2025/01/14 08:00:01.000000,  3] lib/net/sock.c:120(accept_conn)",
             "  client 10.9.8.7 connected",
             "[2025/01/14 08:00:02.500000,  1] lib/auth/check.c:40(check_pw)",
             "  password check FAILED for user 'kim'",
             "[2025/01/14 08:00:03.000000, 10] lib/io/file.c:7(open_file)",
             "  open_file: name=a.txt mode=0644",
             "  open_file: done",
             "[2025/01/14 08:00:04.000000,  3] lib/net/sock.c:200(close_conn)",
             "  client 10.9.8.7 closed"]
    rep, rows = _load(tmp_path, "gatewayd", lines)
    assert rep.files[0].rule == "induced:gatewayd"
    assert [r[0] for r in rows] == [1, 3, 5, 7, 10]
    assert [r[2] for r in rows] == ["ERROR", "INFO", "WARN", "DEBUG", "INFO"]
    assert rows[2][4].get("severity_source") is None  # from the header, not guessed from "FAILED"
    assert [r[3] for r in rows][:3] == ["gatewayd 2.1 started", "client 10.9.8.7 connected",
                                        "password check FAILED for user 'kim'"]
    assert rows[3][3] == "open_file: name=a.txt mode=0644\nopen_file: done"
    assert rows[1][4]["source"] == "lib/net/sock.c:120(accept_conn)"
    assert rows[0][1] == T(2025, 1, 14, 8, 0, 0, 123456)


def test_one_line_records_with_a_stack_trace_stay_one_line_records(tmp_path: Path) -> None:
    """Guard: occasional continuation lines do not make a file header+body."""
    lines = ["2025-01-14 08:00:00,001 INFO  [main] Boot: started",
             "2025-01-14 08:00:01,001 ERROR [main] Boot: failed to bind",
             "java.net.BindException: in use",
             "\tat a.b.C.bind(C.java:1)",
             "2025-01-14 08:00:02,001 INFO  [main] Boot: retrying",
             "2025-01-14 08:00:03,001 INFO  [main] Boot: bound"]
    _, rows = _load(tmp_path, "boot", lines)
    assert [r[0] for r in rows] == [1, 2, 5, 6]
    assert rows[1][3].split("\n")[0] == "failed to bind" and "BindException" in rows[1][3]


def test_a_short_message_with_one_continuation_each_stays_on_its_first_line(tmp_path: Path) -> None:
    """Guard: every record has a continuation line, but the first line carries text."""
    lines = ["2025-01-14 08:00:00 ERROR Failed to connect", "\tat a.b.C.call(C.java:1)",
             "2025-01-14 08:00:01 ERROR Lost the leader", "\tat a.b.C.call(C.java:2)",
             "2025-01-14 08:00:02 WARN Slow disk", "\tat a.b.C.call(C.java:3)"]
    _, rows = _load(tmp_path, "shortmsg", lines)
    assert [r[3].split("\n")[0] for r in rows] == ["Failed to connect", "Lost the leader", "Slow disk"]


def test_header_lines_half_of_the_file_with_a_level_word(tmp_path: Path) -> None:
    """One header line per body line (half the file timestamped): still header + body."""
    lines = ["[Tue Jan 14 08:00:00 2025] ERROR", "    cannot open the spool",
             "[Tue Jan 14 08:00:05 2025] INFO", "    spool opened",
             "[Tue Jan 14 08:01:00 2025] WARN", "    spool 91% full"]
    _, rows = _load(tmp_path, "spooler", lines)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        (1, T(2025, 1, 14, 8), "ERROR", "cannot open the spool"), (3, T(2025, 1, 14, 8, 0, 5), "INFO", "spool opened"),
        (5, T(2025, 1, 14, 8, 1), "WARN", "spool 91% full")]


# --- 2. a one-letter level glued to a yymmdd date --------------------------------------

def test_level_letter_glued_to_a_two_digit_year_date(tmp_path: Path) -> None:
    lines = ["I250114 08:00:00.031884 1 node/boot.go:12  node starting",
             "W250114 08:00:01.500000 45 node/disk.go:88  disk slow: 812ms",
             "E250114 08:00:02.000001 45 node/disk.go:90  disk write failed",
             "I250114 08:00:03.250000 1 node/boot.go:40  node ready"]
    rep, rows = _load(tmp_path, "nodelog", lines)
    assert rep.files[0].rule == "induced:nodelog"
    assert [r[1] for r in rows] == [T(2025, 1, 14, 8, 0, 0, 31884), T(2025, 1, 14, 8, 0, 1, 500000),
                                    T(2025, 1, 14, 8, 0, 2, 1), T(2025, 1, 14, 8, 0, 3, 250000)]
    assert [r[2] for r in rows] == ["INFO", "WARN", "ERROR", "INFO"]


# --- 3. a time of day only --------------------------------------------------------------

def test_time_of_day_only_takes_the_files_date_and_crosses_midnight(tmp_path: Path) -> None:
    lines = ["[23:59:58] [Main loop/INFO]: world ticking",
             "[23:59:59] [Main loop/WARN]: tick took 80ms",
             "[00:00:02] [Saver-1/ERROR]: could not save chunk 4,4",
             "[00:03:10] [Main loop/INFO]: autosave done"]
    rep, rows = _load(tmp_path, "arena", lines, mtime=T(2025, 1, 15, 0, 5))
    assert rep.files[0].rule == "induced:arena"
    assert [r[1] for r in rows] == [T(2025, 1, 14, 23, 59, 58), T(2025, 1, 14, 23, 59, 59),
                                    T(2025, 1, 15, 0, 0, 2), T(2025, 1, 15, 0, 3, 10)]
    assert [r[2] for r in rows] == ["INFO", "WARN", "ERROR", "INFO"]
    assert [r[3] for r in rows][2] == "could not save chunk 4,4"
    assert all(r[4]["ts_source"] == "line_time" and r[4]["ts_date"] == "file_mtime" for r in rows)
    assert rows[0][4]["thread"] == "Main loop"


def test_time_of_day_only_whole_day_before_a_late_mtime(tmp_path: Path) -> None:
    """A file written in the evening: its records are that day's (nearest to the mtime)."""
    lines = ["[09:00:00] [Main/INFO]: up", "[18:30:00] [Main/INFO]: down"]
    _, rows = _load(tmp_path, "daylog", lines, mtime=T(2025, 3, 1, 23, 59, 59))
    assert [r[1] for r in rows] == [T(2025, 3, 1, 9), T(2025, 3, 1, 18, 30)]


# --- 4. a legend block before CSV records ---------------------------------------------

def test_legend_block_and_csv_header_before_records_are_header_lines(tmp_path: Path) -> None:
    lines = ["\t\tGatekeeper Badge Reader Journal",
             "",
             "Code  Meaning",
             "20\tDoor opened",
             "21\tDoor forced",
             "",
             "Code,Date,Time,Event,Badge,Door",
             "20,01/14/25,08:00:01,Door opened,4411,North",
             "21,01/14/25,08:03:12,Door forced,,East",
             "20,01/14/25,09:10:00,Door opened,4412,North",
             "20,01/14/25,17:45:30,Door opened,4411,South"]
    rep, rows = _load(tmp_path, "badges", lines)
    assert rep.files[0].rule == "induced:badges" and rep.balanced
    assert [r[0] for r in rows] == [8, 9, 10, 11]
    assert [r[1] for r in rows] == [T(2025, 1, 14, 8, 0, 1), T(2025, 1, 14, 8, 3, 12),
                                    T(2025, 1, 14, 9, 10), T(2025, 1, 14, 17, 45, 30)]
    assert [r[3] for r in rows][:2] == ["Door opened,4411,North", "Door forced,,East"]
    q = rep.quarantine_rows  # type: ignore[attr-defined]
    assert [o for o, _ in q] == [1, 3, 4, 5, 7]  # blank lines are counted as empty, not lost
    assert all("header or comment line" in reason for _, reason in q)


# --- 5. message boundaries: delimited fields, a padded column ---------------------------

def test_fields_after_the_time_of_a_delimited_format_are_the_message(tmp_path: Path) -> None:
    lines = ["1736841600|NONE|lobby|NONE|OPEN|",
             "1736841601|c-17|lobby|agent/4|JOIN||3",
             "1736841630|c-17|lobby|agent/4|LEAVE|29",
             "1736841700|c-18|desk|NONE|JOIN|||1"]
    _, rows = _load(tmp_path, "callq", lines)
    assert [r[1] for r in rows] == [T(2025, 1, 14, 8, 0), T(2025, 1, 14, 8, 0, 1), T(2025, 1, 14, 8, 0, 30),
                                    T(2025, 1, 14, 8, 1, 40)]
    assert [r[3] for r in rows] == ["NONE|lobby|NONE|OPEN|", "c-17|lobby|agent/4|JOIN||3",
                                    "c-17|lobby|agent/4|LEAVE|29", "c-18|desk|NONE|JOIN|||1"]


def test_fixed_fields_then_free_text_keep_the_fields_as_header(tmp_path: Path) -> None:
    lines = ["20250114-08:00:00:120|Pedometer|3001|step count changed to 812",
             "20250114-08:00:01:340|Pedometer|3001|step count changed to 815",
             "20250114-08:00:02:010|Screen|3002|screen turned on by user",
             "20250114-08:00:03:500|Screen|3002|screen turned off after idle"]
    _, rows = _load(tmp_path, "wearable", lines)
    assert [r[3] for r in rows] == ["step count changed to 812", "step count changed to 815",
                                    "screen turned on by user", "screen turned off after idle"]


def test_a_padded_first_column_is_a_header_field(tmp_path: Path) -> None:
    lines = ["2025-01-14 08:00:00.12 Engine      Vault engine 4.2 starting",
             "\tbuilt Jan 01 2025",
             "2025-01-14 08:00:00.13 Engine      Listening on port 7100.",
             "2025-01-14 08:00:01.45 task17w     Opening store 'main'.",
             "2025-01-14 08:00:02.99 Logon       Login failed for 'ops'.",
             "2025-01-14 08:00:03.00 task17w     Store 'main' is open."]
    _, rows = _load(tmp_path, "vault_errlog", lines)
    assert [r[0] for r in rows] == [1, 3, 4, 5, 6]
    assert [r[3].split("\n")[0] for r in rows] == [
        "Vault engine 4.2 starting", "Listening on port 7100.", "Opening store 'main'.",
        "Login failed for 'ops'.", "Store 'main' is open."]
    assert rows[0][1] == T(2025, 1, 14, 8, 0, 0, 120000) and rows[3][4]["component"] == "Logon"


def test_an_optional_bracket_glued_to_the_header_is_a_field(tmp_path: Path) -> None:
    """``LEVEL[pid]`` in most lines, ``LEVEL[pid][session]`` in some: the same header."""
    lines = ["[Jan 14 08:00:00] NOTICE[101] core.c: 12 plugins loaded",
             "[Jan 14 08:00:02] WARNING[101] net.c: port 5070 busy",
             "[Jan 14 08:01:00] NOTICE[230][S-0001] call.c: session opened",
             "[Jan 14 08:01:05] ERROR[230][S-0001] call.c: codec mismatch",
             "[Jan 14 08:02:00] NOTICE[101] core.c: reload done",
             "[Jan 14 08:03:00] NOTICE[101] core.c: idle"]
    _, rows = _load(tmp_path, "switchd", lines, mtime=T(2025, 1, 20))
    assert [r[3] for r in rows] == ["core.c: 12 plugins loaded", "net.c: port 5070 busy", "call.c: session opened",
                                    "call.c: codec mismatch", "core.c: reload done", "core.c: idle"]
    assert rows[2][4]["tag"] == "S-0001" and rows[2][1] == T(2025, 1, 14, 8, 1)


def test_date_and_time_in_separate_delimited_columns(tmp_path: Path) -> None:
    lines = ["2025-01-14;08:00:00;pump-2;started", "2025-01-14;08:00:07;pump-2;pressure low",
             "2025-01-14;08:01:00;pump-3;started"]
    _, rows = _load(tmp_path, "pumps", lines)
    assert [r[1] for r in rows] == [T(2025, 1, 14, 8), T(2025, 1, 14, 8, 0, 7), T(2025, 1, 14, 8, 1)]
    assert [r[3] for r in rows] == ["pump-2;started", "pump-2;pressure low", "pump-3;started"]
    assert all(r[4]["ts_source"] == "line" for r in rows)


@pytest.mark.parametrize("ref_year,want", [(2026, T(2024, 3, 5)), (2004, T(2003, 5, 24))])
def test_an_ambiguous_two_digit_date_reads_nearest_the_files_time(tmp_path: Path, ref_year: int, want: T) -> None:
    """``03/05/24``: month-first 2024 for a file of 2026, year-first 2003 for a file of 2004."""
    lines = [f"{i},03/05/24,10:00:0{i},event {i}" for i in range(4)]
    _, rows = _load(tmp_path, f"amb{ref_year}", lines, mtime=T(ref_year, 1, 1))
    assert rows[0][1] == want + dt.timedelta(hours=10)
