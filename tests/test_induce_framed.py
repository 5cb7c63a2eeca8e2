"""Formats nobody wrote a rule for, read end to end (own invented samples, issue 13):

* header+body blocks separated by blank lines, the header a time with a minutes offset,
  a record id and ``LEVEL: <word>``; the message is the block's body;
* the message first, framed by constant marks, then the time (a bias in minutes), the
  date and ``key="value"`` attributes, one of them a numeric level;
* TAI64N labels before each message;
* a two-digit-year date, a space-padded hour and lines without a time between records;
* JSON lines with a numeric level, epoch milliseconds and the message under ``msg``.

Each test writes a small file, ingests it through the real ``ingest`` (detection,
induction, DuckDB parse) and checks rows = records, the UTC time, the level and the
message (the part after the header).
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from logpilot_kernel.ingest import timestamps_notations as notes
from tests.ingest_lines import ingest_lines

T = dt.datetime


def _load(tmp_path: Path, name: str, lines: list[str]) -> list[tuple]:
    """Rows as (line, time, level, message, context)."""
    return ingest_lines(tmp_path, f"{name}.log", lines,
                        "origin_offset, timestamp, severity, message, context")


def test_blank_separated_blocks_with_minutes_offset_and_level_label(tmp_path: Path) -> None:
    levels = ["Warning", "Error", "Info", "Severe", "Info"]
    lines: list[str] = []
    starts, bodies = [], []
    for k, lvl in enumerate(levels):
        starts.append(len(lines) + 1)
        body = [f"PID     : {5100 + k}                 TID : {88000 + k}          PROC : qsrv",
                f"FUNCTION: Query Core, planner, qpStep{k}, probe:{10 * k}",
                f"MESSAGE : step {k} {'failed with code -9' if lvl in ('Error', 'Severe') else 'done'}"]
        if k == 1:
            body += ["DATA #1 : Hex, 2 bytes", "0x0000: BEEF"]
        lines += [f"2024-08-19-22.0{k}.30.{k:06d}-420 I{4000 + 700 * k}E{300 + k} LEVEL: {lvl}"] + body + [""]
        bodies.append("\n".join(body))
    rows = _load(tmp_path, "qsrv_diag", lines)
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [T(2024, 8, 20, 5, k, 30, k) for k in range(5)]
    assert [r[2] for r in rows] == ["WARN", "ERROR", "INFO", "ERROR", "INFO"]
    assert [r[3].strip() for r in rows] == bodies


def test_message_first_then_time_bias_date_and_attributes(tmp_path: Path) -> None:
    msgs = ["Agent starting, version 5.1 build 33", "Policy fetch slow: 4100 ms",
            "Cannot contact management point mp2", "Evaluation cycle finished", "Cache size is 92% of quota"]
    kinds = [1, 2, 3, 1, 2]
    lines = [f'<~[TXT[{m}]TXT]~><time="{9 + k}:0{k}:1{k}.{k}50+240" date="01-0{k + 1}-2025" '
             f'part="Part{k % 2}" ctx="" type="{kinds[k]}" tid="{700 + k}" src="agent.c:{k + 10}">'
             for k, m in enumerate(msgs)]
    rows = _load(tmp_path, "agent_trace", lines)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert [r[1] for r in rows] == [T(2025, 1, k + 1, 13 + k, k, 10 + k, k * 100000 + 50000) for k in range(5)]
    assert [r[2] for r in rows] == ["INFO", "WARN", "ERROR", "INFO", "WARN"]
    assert [r[3] for r in rows] == msgs
    ctx = json.loads(rows[2][4])
    assert ctx["part"] == "Part0" and ctx["src"] == "agent.c:12"


def test_a_small_number_under_a_key_no_table_names_is_not_a_level(tmp_path: Path) -> None:
    """Only the keys of induce_attrs.json's level_keys are read as levels: another
    attribute of small numbers (a retry count) stays a field, the level is inferred."""
    msgs = ["Upload finished", "Upload failed: disk full", "Upload finished"]
    lines = [f'<~[TXT[{m}]TXT]~><time="10:00:0{k}.000+000" date="06-01-2025" tries="{k + 1}" part="U">'
             for k, m in enumerate(msgs)]
    rows = _load(tmp_path, "uploader_trace", lines)
    assert [r[2] for r in rows] == ["INFO", "ERROR", "INFO"]
    assert [json.loads(r[4]).get("severity_source") for r in rows] == ["inferred"] * 3
    assert [json.loads(r[4])["tries"] for r in rows] == [1, 2, 3]


def test_tai64n_labels_before_each_message(tmp_path: Path) -> None:
    base = 1_712_000_000
    msgs = ["status: local 0/10 remote 1/20", "new msg 55012", "info msg 55012: bytes 3120 from <> qp 7781",
            "starting delivery 91: msg 55012 to remote z@q.example", "delivery 91: deferral: timed_out"]
    lines = ["@" + format((1 << 62) + base + 3 * k + notes.TAI_LABEL_OFFSET_S, "016x") + format(200_000_000 * k, "08x")
             + " " + m for k, m in enumerate(msgs)]
    rows = _load(tmp_path, "relay_current", lines)
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    t0 = dt.datetime.fromtimestamp(base, dt.timezone.utc).replace(tzinfo=None)
    assert [r[1] for r in rows] == [t0 + dt.timedelta(seconds=3 * k, milliseconds=200 * k) for k in range(5)]
    assert [r[3] for r in rows] == msgs


def test_two_digit_year_padded_hour_and_untimed_lines_between(tmp_path: Path) -> None:
    lines = ["240305  7:02:11 [Note] Store engine: first start, creating files",
             "Store: log file ./wal0 did not exist: new to be created",
             "Store: setting log file size to 5 MB",
             "240305  7:02:12 [Warning] Option 'legacy-cache' is deprecated",
             "240305 17:45:03 [ERROR] Table './app/jobs' is marked as crashed",
             "240305 17:45:04 [Note] Shutdown complete"]
    rows = _load(tmp_path, "dbd_err", lines)
    assert [r[0] for r in rows] == [1, 4, 5, 6]
    assert [r[1] for r in rows] == [T(2024, 3, 5, 7, 2, 11), T(2024, 3, 5, 7, 2, 12),
                                    T(2024, 3, 5, 17, 45, 3), T(2024, 3, 5, 17, 45, 4)]
    assert [r[2] for r in rows] == ["INFO", "WARN", "ERROR", "INFO"]
    assert rows[0][3].splitlines() == ["Store engine: first start, creating files",
                                       "Store: log file ./wal0 did not exist: new to be created",
                                       "Store: setting log file size to 5 MB"]
    assert rows[2][3] == "Table './app/jobs' is marked as crashed"


def test_a_bracketed_level_in_some_lines_only(tmp_path: Path) -> None:
    """'[Level]' after the time in some records, untagged text in others: the level is
    read where written, inferred (and marked so) where not; never part of the message."""
    lines = ["240305 07:02:10 store_guard Starting store daemon from /srv/st",
             "240305  7:02:11 [Note] Module 'zip' is disabled.",
             "240305  7:02:11 Store: heap allocator is the system one",
             "Store: the first data file ./d1 did not exist:",
             "Store: a new store to be created!",
             "240305  7:02:12 [Warning] option 'fsync_mode': value 9 adjusted to 2",
             "240305  7:02:13 [ERROR] unknown option '--turbo'",
             "240305  7:02:13 Store: shutdown failed, files locked"]
    rows = _load(tmp_path, "store_err", lines)
    assert [r[0] for r in rows] == [1, 2, 3, 6, 7, 8]
    assert [r[1] for r in rows] == [T(2024, 3, 5, 7, 2, 10), T(2024, 3, 5, 7, 2, 11), T(2024, 3, 5, 7, 2, 11),
                                    T(2024, 3, 5, 7, 2, 12), T(2024, 3, 5, 7, 2, 13), T(2024, 3, 5, 7, 2, 13)]
    assert [r[2] for r in rows] == ["INFO", "INFO", "INFO", "WARN", "ERROR", "ERROR"]
    assert [r[3].splitlines()[0] for r in rows] == [
        "store_guard Starting store daemon from /srv/st", "Module 'zip' is disabled.",
        "Store: heap allocator is the system one", "option 'fsync_mode': value 9 adjusted to 2",
        "unknown option '--turbo'", "Store: shutdown failed, files locked"]
    sources = [json.loads(r[4]).get("severity_source") for r in rows]
    assert sources == ["inferred", None, "inferred", None, None, "inferred"]


def test_json_lines_numeric_levels_epoch_ms_and_msg_key(tmp_path: Path) -> None:
    vals = [(10, "TRACE"), (20, "DEBUG"), (30, "INFO"), (40, "WARN"), (50, "ERROR"), (60, "FATAL")]
    t0 = 1_722_500_000_000
    lines = [json.dumps({"level": lv, "time": t0 + 1500 * k, "pid": 311, "hostname": "web-b",
                         "msg": f"event {k} of the queue", "reqId": f"r{k}"}) for k, (lv, _) in enumerate(vals)]
    rows = _load(tmp_path, "node_app", lines)
    assert len(rows) == 6
    start = dt.datetime.fromtimestamp(t0 / 1000, dt.timezone.utc).replace(tzinfo=None)
    assert [r[1] for r in rows] == [start + dt.timedelta(milliseconds=1500 * k) for k in range(6)]
    assert [r[2] for r in rows] == [want for _, want in vals]
    assert [r[3] for r in rows] == [f"event {k} of the queue" for k in range(6)]
