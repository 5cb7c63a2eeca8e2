"""Classes of format the ninth blind set showed missing (issue 13), on invented samples:

* JSON objects whose time is an epoch number under a key no rule names, among other
  numbers (a clock since boot, a time present in a few records only), and whose
  message / level keys are the known ones in another case (the level a syslog digit);
* records that are blocks separated by blank lines, the first line holding a date-time
  with a UTC offset in minutes, a body line holding another date-time (a path);
* records framed by lines of one repeated punctuation character (not records, not text);
* a header whose tail after a bracketed field and a padded ``name : `` is the message.

Each ingest test writes a small file, ingests it through the real ``ingest`` and checks
rows = records, the time, the level and the message.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

from logpilot_kernel.ingest.registry.induce_json_keys import epoch_time_key, epoch_unit, key_words
from logpilot_kernel.ingest.registry.induce_records import frame_line
from tests.ingest_lines import ingest_lines

T = dt.datetime
UTC = dt.timezone.utc


def _rows(tmp_path: Path, name: str, lines: list[str]) -> list[tuple]:
    return ingest_lines(tmp_path, f"{name}.log", lines, "origin_offset, timestamp, severity, message")


def _ms(t: T) -> int:
    return int(t.replace(tzinfo=UTC).timestamp() * 1000)


def test_epoch_key_ranked_by_name_presence_and_place() -> None:
    base = _ms(T(2025, 11, 28, 10))
    objs = [{"seq": 10 ** 12 + k, "bootEpochMs": base - 9 ** 9, "wallClockMs": base + k,
             "otherMs": base + 5, **({"sentAt": base - 1} if k % 3 else {})} for k in range(12)]
    # 'boot' marks another clock; 'sentAt' is in too few records; 'otherMs' has no time word
    assert epoch_time_key(objs) == ("wallClockMs", "epoch_ms")
    assert key_words("__WALL_CLOCK_us") == {"wall", "clock", "us"}
    assert key_words("bootEpochMs") == {"boot", "epoch", "ms"}
    assert epoch_unit("1764324000123456") == "epoch_us"
    assert epoch_unit(604558661945) is None  # 12 digits: no unit
    assert epoch_unit(True) is None and epoch_unit("17643240001") is None


def test_json_epoch_time_and_cased_keys(tmp_path: Path) -> None:
    t0 = T(2025, 11, 28, 10, 0, 0)
    recs = [(t0 + dt.timedelta(seconds=7 * k, milliseconds=k), str([6, 4, 3, 6, 7][k % 5]), f"unit step {k} done")
            for k in range(10)]
    lines = [json.dumps({"uptimeMs": 50_000 + k, "wallClockMs": _ms(t), "rxTimeMs": _ms(t) + 3,
                         "SEVERITY": sev, "TEXT": text, "peerPort": 40000 + k})
             for k, (t, sev, text) in enumerate(recs)]
    rows = _rows(tmp_path, "events", lines)
    assert [r[0] for r in rows] == list(range(1, 11))
    # rxTimeMs is as good by the numbers; the earlier place in the objects decides
    assert [r[1] for r in rows] == [t for t, _, _ in recs]
    assert [r[3] for r in rows] == [text for *_, text in recs]
    want = {"6": "INFO", "4": "WARN", "3": "ERROR", "7": "DEBUG"}
    assert [r[2] for r in rows] == [want[s] for _, s, _ in recs]


def test_blank_line_blocks_with_a_minutes_offset_and_a_dated_path(tmp_path: Path) -> None:
    t0 = T(2025, 11, 28, 9, 30, 1, 250000)  # local at +01:00 (+060)
    lines: list[str] = []
    starts, want = [], []
    kinds = ["Info", "Audit", "Warning", "Error", "Audit", "Info"]
    for k in range(6):
        t = t0 + dt.timedelta(minutes=13 * k)
        starts.append(len(lines) + 1)
        body = [f"UNIT   : u{k}          SLOT : {k + 2}", f"STEP   : check {k}",
                f"NOTE   : cycle {k} complete"]
        if k == 3:
            body.append(f"  dump kept in /var/spool/snap_{t:%Y-%m-%d-%H.%M.%S}.{k:06d}_x/")
        lines += [f"{t:%Y-%m-%d-%H.%M.%S.%f}+060 R{k:03d}K{k * 7}    SEV: {kinds[k]}"] + body + [""]
        want.append((t - dt.timedelta(hours=1), "\n".join(body)))
    rows = _rows(tmp_path, "blocks", lines[:-1])
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [t for t, _ in want]
    assert [r[3] for r in rows] == [m for _, m in want]
    # the level column holds the format's own kind 'Audit' beside level words
    levels = {"Info": "INFO", "Warning": "WARN", "Error": "ERROR"}
    assert [r[2] for r, k in zip(rows, kinds) if k in levels] == [levels[k] for k in kinds if k in levels]


def test_frame_lines_are_no_records_and_no_text(tmp_path: Path) -> None:
    assert frame_line("=====") and frame_line("*" * 30) and not frame_line("  ^^^^^^^")
    assert not frame_line("---- -- ----") and not frame_line("===")
    t0 = T(2025, 11, 28, 22, 10, 5)
    cmds = [("> sync --all", ["copied 3 files", "skipped 1"]), ("> stat /srv", ["size 4096"]),
            ("> purge old", []), ("> list", ["a", "b", "c"]), ("> quit", ["bye"])]
    lines, starts = [], []
    for k, (cmd, out) in enumerate(cmds):
        lines.append("=" * 24)
        starts.append(len(lines) + 1)
        lines += [f"Step begun: {t0 + dt.timedelta(seconds=40 * k):%Y%m%d%H%M%S}", "=" * 24, cmd] + out
    lines.append("=" * 24)
    rows = _rows(tmp_path, "steps", lines)
    assert [r[0] for r in rows] == starts
    assert [r[1] for r in rows] == [t0 + dt.timedelta(seconds=40 * k) for k in range(len(cmds))]
    assert [r[3] for r in rows] == ["\n".join([c] + o) for c, o in cmds]


def test_message_after_a_bracket_and_a_padded_name_colon(tmp_path: Path) -> None:
    texts = ["pool ready: 4 slots", "slot 2 busy", "job 77 queued (priority 3)", "job 77 done",
             "pool drained", "Shutdown: bye"]
    names = ["q.core.PoolManager", "q.core.Slot", "q.jobs.Queue", "q.jobs.Runner", "q.core.PoolManager",
             "q.Main"]
    thr = ["main", "slot-2", "exec-11", "exec-11", "main", "hook"]
    lines = [f"2025-11-28 10:00:{k:02d}.125 {lv:>5} 812 === [{th:>9}] {n:<24} : {t}"
             for k, (lv, th, n, t) in enumerate(zip(["INFO", "WARN", "INFO", "INFO", "ERROR", "INFO"],
                                                   thr, names, texts))]
    rows = _rows(tmp_path, "padded", lines)
    assert [r[3] for r in rows] == texts
    assert [r[2] for r in rows] == ["INFO", "WARN", "INFO", "INFO", "ERROR", "INFO"]


def test_header_only_lines_leave_the_fixed_gap_and_the_detail_indent(tmp_path: Path) -> None:
    texts = ["Booting relay", "  Build:   7.1.3", "  Region:  north-2", "", "Ports open",
             "  Admin:   8222", "", "Relay ready", "Peer p2 joined", "Peer p3 joined", "Sync done",
             "Peer p2 left"]
    lines = [f"<{900 + k % 2}> 2025/11/28 10:00:{k:02d}.000100 [{'wrn' if k == 9 else 'inf'}] {t}"
             for k, t in enumerate(texts)]
    rows = _rows(tmp_path, "relay", lines)
    assert [r[0] for r in rows] == list(range(1, len(texts) + 1))
    assert [r[3] for r in rows] == texts


def test_a_letter_no_table_reads_still_opens_a_record_in_a_letter_column(tmp_path: Path) -> None:
    letters = ["I", "I", "W", "D", "I", "E", "K", "I", "W", "I"]
    texts = ["Listening on 0.0.0.0:7001", "200 GET /ping 0.4ms", "slow reply from store (812 ms)",
             "cache key a17 refreshed", "200 POST /jobs 12.9ms", "store write failed: disk full",
             "Stop requested, draining 2 jobs", "200 GET /ping 0.5ms", "retry 2 of 5 for job 81",
             "worker 3 exited"]
    lines = [f"[{c} 251128 10:00:{k:02d} mod{k % 3}:{40 + k}] {t}" for k, (c, t) in enumerate(zip(letters, texts))]
    rows = _rows(tmp_path, "letters", lines)
    assert [r[0] for r in rows] == list(range(1, len(letters) + 1))
    assert [r[1] for r in rows] == [T(2025, 11, 28, 10, 0, k) for k in range(len(letters))]
    assert [r[3] for r in rows] == texts
    want = {"I": "INFO", "W": "WARN", "D": "DEBUG", "E": "ERROR"}
    assert [r[2] for r, c in zip(rows, letters) if c in want] == [want[c] for c in letters if c in want]
