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
