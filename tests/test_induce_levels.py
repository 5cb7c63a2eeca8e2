"""Levels and message starts of formats nobody wrote a rule for (own invented samples).

* a level in parentheses before ':' behind a source of varying width (``path (warn): msg``);
* a level in brackets behind optional metadata (``time k=v [info] msg``);
* three-letter levels (``[INF]``) with a rare member (``FTL``) the sample may lack;
* a one-letter event-type column after a hexadecimal thread id and a padded name.

Each file goes through the real ``ingest``; rows, levels and messages are checked.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.registry.induce_columns import letter_level_column, level_family
from logpilot_kernel.workspace import Workspace

T = dt.datetime


def _load(tmp_path: Path, name: str, lines: list[str]) -> list[tuple]:
    path = tmp_path / f"{name}.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace(tmp_path / f"ws-{name}") as ws:
        ingest(ws, [path], parquet=False)
        return ws.cursor().execute("SELECT origin_offset, timestamp, severity, message FROM logs "
                                   "ORDER BY origin_offset").fetchall()


def test_a_parenthesised_level_behind_a_source_of_varying_width(tmp_path: Path) -> None:
    srcs = ["Agent", "/Root[a]/Mod::X/Item[/etc/x.conf]/mode", "Agent", "/Root[a]/Mod::Y/Svc[web]/state", "Agent",
            "Catalog", "/Root[a]/Mod::Z/Pkg[tool]/ensure", "Agent"]
    lvls = ["info", "notice", "info", "warning", "err", "info", "notice", "info"]
    lines = [f"2025-04-01 10:00:0{k} +0200 {s} ({lv}): change {k} applied" for k, (s, lv) in enumerate(zip(srcs, lvls))]
    rows = _load(tmp_path, "agentrun", lines)
    assert [r[1] for r in rows] == [T(2025, 4, 1, 8, 0, k) for k in range(8)]
    assert [r[2] for r in rows] == ["INFO", "INFO", "INFO", "WARN", "ERROR", "INFO", "INFO", "INFO"]
    assert [r[3] for r in rows] == [f"change {k} applied" for k in range(8)]


def test_a_bracketed_level_behind_optional_metadata(tmp_path: Path) -> None:
    lines = [""]
    meta = ["", "req=Ab12 ", "req=Ab12 ", "", "req=Cd34 user=7 ", ""]
    lvls = ["info", "debug", "info", "warning", "error", "info"]
    for k, (m, lv) in enumerate(zip(meta, lvls)):
        lines += [f"11:0{k}:00.000 {m}[{lv}] event {k} seen", ""]
    rows = _load(tmp_path, "evts", lines)
    assert [r[2] for r in rows] == ["INFO", "DEBUG", "INFO", "WARN", "ERROR", "INFO"]
    assert [r[3] for r in rows] == [f"event {k} seen" for k in range(6)]


def test_three_letter_levels_include_the_rare_ones(tmp_path: Path) -> None:
    """VRB and FTL are not in the shared alias table; the family table knows them, also
    when the sample (the first lines) shows only INF/DBG/WRN."""
    head = [f"2025-04-01 09:00:{k:02d}.000 +00:00 [{lv}] step {k}"
            for k, lv in enumerate(["INF", "DBG", "INF", "WRN", "INF", "DBG"] * 40)]
    tail = ["2025-04-01 09:05:00.000 +00:00 [VRB] very chatty", "2025-04-01 09:05:01.000 +00:00 [FTL] host died",
            "2025-04-01 09:05:02.000 +00:00 [ERR] request failed"]
    rows = _load(tmp_path, "fam", head + tail)
    assert len(rows) == len(head) + 3
    assert [r[2] for r in rows[-3:]] == ["TRACE", "FATAL", "ERROR"]
    assert [r[3] for r in rows[-3:]] == ["very chatty", "host died", "request failed"]
    assert level_family({"inf"})["ftl"] == "FATAL" and level_family({"hello"}) == {}


def test_a_one_letter_event_type_column(tmp_path: Path) -> None:
    kinds = ["I", "A", "A", "W", "I", "O", "E", "A", "I", "W"]
    names = ["Boot", "Admin", "AppMgr", "WebCtr", "Boot", "Stdout", "WebCtr", "AppMgr", "Chan", "Pool"]
    msgs = [f"MSG{k:04d}: item {k} done" if k % 3 else f"item {k} done, next in {k} s" for k in range(10)]
    lines = [f"[4/1/25 8:00:0{k}:125 UTC] {k * 37 + 10:08x} {n:<13} {c}   {m}"
             for k, (n, c, m) in enumerate(zip(names, kinds, msgs))]
    rows = _load(tmp_path, "evtype", lines)
    assert [r[3] for r in rows] == msgs
    lv = [r[2] for r in rows]
    assert [lv[k] for k in (0, 3, 4, 6, 8, 9)] == ["INFO", "WARN", "INFO", "ERROR", "INFO", "WARN"]
    assert [r[1] for r in rows][:2] == [T(2025, 4, 1, 8, 0, 0, 125000), T(2025, 4, 1, 8, 0, 1, 125000)]


def test_a_letter_column_needs_two_level_letters() -> None:
    assert letter_level_column(["I", "A", "W", "A"])
    assert not letter_level_column(["Y", "N", "Y", "N"])  # a flag, not a level
    assert not letter_level_column(["I", "I", "I"])  # one value: a constant
    assert not letter_level_column(["I", "Wa"])


def test_the_last_angle_bracket_field_is_the_message(tmp_path: Path) -> None:
    """``<time> <level> <unit> <host> <<kind>> <> <id> <message>``: the message is the last
    field; a multi-line one runs to a '>' alone on the record's last line."""
    lines: list[str] = []
    for k in range(6):
        lvl = ["Info", "Notice", "Warning", "Info", "Error", "Info"][k]
        head = f"@@<Apr 1, 2025 {k + 7}:00:00,00{k} PM UTC> <{lvl}> <Unit{k}> <n1.example.test> <<Core Kernel>> <> <X-{k:03d}> "
        if k == 4:
            lines += [head + "<Step 4 failed with an exception", "java.lang.IllegalStateException: no slot",
                      "\tat org.sample.Slot.take(Slot.java:9)", ">"]
        else:
            lines.append(head + f"<Step {k} done -> next>")
    rows = _load(tmp_path, "angles", lines)
    hours = [19, 20, 21, 22, 23, 12]  # 7..11 PM, then 12 PM is noon
    assert [r[1] for r in rows] == [T(2025, 4, 1, h, 0, 0, k * 1000) for k, h in enumerate(hours)]
    assert [r[2] for r in rows] == ["INFO", "INFO", "WARN", "INFO", "ERROR", "INFO"]
    msgs = [r[3] for r in rows]
    assert msgs[:4] == [f"Step {k} done -> next" for k in range(4)]
    assert msgs[4] == ("Step 4 failed with an exception\njava.lang.IllegalStateException: no slot\n"
                       "\tat org.sample.Slot.take(Slot.java:9)")


def test_a_column_of_kind_words_mostly_levels_after_a_hex_thread_id(tmp_path: Path) -> None:
    """``time 0x1f Usual ...``: a word column with a few values, several of them level
    words, is the level (its other words get a level from the message)."""
    kinds = ["Usual", "Info", "Debug", "Usual", "Error", "Info", "Usual", "Debug", "Error", "Info"]
    lines = [f"2025-04-02 06:00:0{k}.12345{k}-0700 0x{k * 91 + 7:x}      {c:<11} {k * 13:<6} svc{k}: tick {k}"
             for k, c in enumerate(kinds)]
    rows = _load(tmp_path, "kinds", lines)
    assert [r[1] for r in rows] == [T(2025, 4, 2, 13, 0, k, 123450 + k) for k in range(10)]
    lv = [r[2] for r in rows]
    assert [lv[k] for k in (1, 2, 4, 5, 7, 8, 9)] == ["INFO", "DEBUG", "ERROR", "INFO", "DEBUG", "ERROR", "INFO"]
    assert all(r[3].endswith(f"tick {k}") for k, r in enumerate(rows))
