"""Times whose zone or date sits apart from the clock (own invented samples, issue 13):

* a year-less month-name time with a zone abbreviation after it and a sequence number
  before it, the file opened by a status report whose own lines are indented;
* key=value lines that write the date, the clock and the zone as three pairs; the level
  and the message are pairs too;
* the same pairs without a zone pair: local time, which a stated zone moves.

Each test writes a small file, ingests it through the real ``ingest`` and checks rows =
records, the UTC time, the level and the message.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb

from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.timestamps import find_layouts, parse_text_sql
from logpilot_kernel.workspace import Workspace
from tests.ingest_lines import ingest_lines

T = dt.datetime
YEAR_END = dt.datetime(2022, 12, 31, 23, 0, tzinfo=dt.timezone.utc).timestamp()


def test_a_zone_abbreviation_after_a_year_less_time_is_read(tmp_path: Path) -> None:
    status = ["Trace buffer: on (0 entries lost, filtering off)", "",
              "Remote sinks:", "    sink 1: 192.0.2.7 port 6514, tls",
              "        queue: 0 of 512 used,", "    sink 2: disabled",
              "Counters reset: never", "", "Entries (newest last):", ""]
    events = [("Nov  4 22:58:01.010", "link kx0 went down"), ("Nov  4 23:30:12.300", "link kx0 came up"),
              ("Nov  5 00:01:00.000", "daily counters rotated"), ("Nov  5 00:07:45.999", "fan 2 speed high"),
              ("Nov  5 00:09:10.100", "fan 2 speed normal"), ("Nov  5 00:15:00.020", "config saved by ops")]
    tail = [" -cause= sensor read timeout", " -where= slot 2 bay 1"]  # one record of three lines
    lines = list(status)
    for k, (t, m) in enumerate(events):
        lines.append(f"{7700 + k:06d}: {t} EST: {m}")
        lines += tail if k == 3 else []
    rows = ingest_lines(tmp_path, "edge_box.log", lines, "origin_offset, timestamp, message", mtime=YEAR_END)
    n = len(status)
    assert [r[0] for r in rows] == [n + 1, n + 2, n + 3, n + 4, n + 7, n + 8]  # the status lines are no rows
    assert [r[1] for r in rows] == [T(2022, 11, 5, 3, 58, 1, 10000), T(2022, 11, 5, 4, 30, 12, 300000),
                                    T(2022, 11, 5, 5, 1), T(2022, 11, 5, 5, 7, 45, 999000),
                                    T(2022, 11, 5, 5, 9, 10, 100000), T(2022, 11, 5, 5, 15, 0, 20000)]
    assert [r[2].split("\n")[0] for r in rows] == [m for _, m in events]
    assert rows[3][2] == "fan 2 speed high\n" + "\n".join(tail)


KV = [
    ('2023-02-27', '23:50:00', 'warn', 'disk 2 at 91%'),
    ('2023-02-27', '23:59:59', 'info', 'nightly sync started'),
    ('2023-02-28', '00:20:05', 'err', 'sync to mirror-b failed'),
    ('2023-02-28', '00:21:00', 'info', 'sync retried'),
]


def test_date_clock_and_zone_as_three_pairs(tmp_path: Path) -> None:
    lines = [f'date={d} time={c} node="n-{k}" tz="-0330" seq={k} level="{lv}" unit=store msg="{m}"'
             for k, (d, c, lv, m) in enumerate(KV)]
    rows = ingest_lines(tmp_path, "store_node.log", lines, "timestamp, severity, message")
    assert [r[0] for r in rows] == [T(2023, 2, 28, 3, 20), T(2023, 2, 28, 3, 29, 59),
                                    T(2023, 2, 28, 3, 50, 5), T(2023, 2, 28, 3, 51)]
    assert [r[1] for r in rows] == ["WARN", "INFO", "ERROR", "INFO"]
    assert [r[2] for r in rows] == [m for *_, m in KV]


def test_date_and_clock_pairs_without_a_zone_take_the_stated_one(tmp_path: Path) -> None:
    lines = [f'date={d} time={c} node="n-{k}" level={lv} msg="{m}"' for k, (d, c, lv, m) in enumerate(KV)]
    path = tmp_path / "store_node.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [path], parquet=False, timezone="+01:00")
        got = [r[0] for r in ws.cursor().execute("SELECT timestamp FROM logs ORDER BY origin_offset").fetchall()]
    assert got == [T(2023, 2, 27, 22, 50), T(2023, 2, 27, 22, 59, 59), T(2023, 2, 27, 23, 20, 5),
                   T(2023, 2, 27, 23, 21)]


def test_the_finder_joins_a_date_pair_and_a_clock_pair() -> None:
    con = duckdb.connect()
    ref = T(2023, 6, 1)
    line = 'date="2023-03-01" time="06:07:08" | probe ok'
    hits = find_layouts(con, [line], ref=ref)
    assert hits and hits[0].layout.name == "kv_date_then_time"
    got = con.execute(f"SELECT {parse_text_sql(hits[0].formats, 't', ref)} FROM (SELECT ?::VARCHAR AS t)",
                      [hits[0].texts[0]]).fetchone()[0]
    assert got == T(2023, 3, 1, 6, 7, 8)


def test_times_of_day_take_the_date_the_header_writes(tmp_path: Path) -> None:
    readings = [("22:40:00", "41.5"), ("23:10:00", "40.9"), ("23:40:00", "40.2"), ("00:10:00", "39.8"),
                ("00:40:00", "39.1"), ("01:10:00", "38.7")]
    lines = ["Probe readings of tank-4 on 14.09.2023 (celsius)", ""]
    lines += [f"{t}  tank-4  {v} ok" for t, v in readings]
    rows = ingest_lines(tmp_path, "tank_probe.log", lines, "timestamp, context", mtime=YEAR_END)
    assert [r[0] for r in rows] == [T(2023, 9, 14, 22, 40), T(2023, 9, 14, 23, 10), T(2023, 9, 14, 23, 40),
                                    T(2023, 9, 15, 0, 10), T(2023, 9, 15, 0, 40), T(2023, 9, 15, 1, 10)]
    assert all('"ts_date":"file_header"' in r[1] for r in rows)


def test_without_a_header_date_times_of_day_stay_on_the_mtime_s_day(tmp_path: Path) -> None:
    lines = [f"{t}  tank-4  {v} ok" for t, v in [("10:00:00", "1"), ("10:30:00", "2"), ("11:00:00", "3")]]
    rows = ingest_lines(tmp_path, "tank_probe.log", lines, "timestamp", mtime=YEAR_END)
    assert [r[0].date() for r in rows] == [dt.date(2022, 12, 31)] * 3


def test_a_comma_after_the_seconds_that_starts_a_numeric_field_is_no_fraction(tmp_path: Path) -> None:
    lines = [f"7,2023/10/0{k + 1} 0{k}:15:3{k},88120344{k}77,GATE,{kind},0,2023/10/0{k + 1} 0{k}:15:3{k},note {k}"
             for k, kind in enumerate(["open", "close", "open", "fault"])]
    rows = ingest_lines(tmp_path, "gate_export.log", lines, "timestamp")
    assert [r[0] for r in rows] == [T(2023, 10, k + 1, k, 15, 30 + k) for k in range(4)]


def test_a_comma_fraction_before_a_blank_is_still_one() -> None:
    con = duckdb.connect()
    ref = T(2023, 6, 1)
    hits = find_layouts(con, ["2023/05/02 11:22:33,456 worker ready"], ref=ref)
    got = con.execute(f"SELECT {parse_text_sql(hits[0].formats, 't', ref)} FROM (SELECT ?::VARCHAR AS t)",
                      [hits[0].texts[0]]).fetchone()[0]
    assert got == T(2023, 5, 2, 11, 22, 33, 456000)


def test_an_optional_level_tag_opens_some_messages(tmp_path: Path) -> None:
    texts = [("", "scheduler loop started", "INFO"), ("warning: ", "queue q3 is 80% full", "WARN"),
             ("", "job 41 finished", "INFO"), ("error: ", "node n7 lost contact", "ERROR"),
             ("", "job 42 finished", "INFO"), ("trace:  ", "poll took 3 ms", "TRACE"),
             ("", "job 43 started", "INFO"), ("error: ", "node n9 lost contact", "ERROR")]
    lines = [f"<2023-04-0{k % 5 + 1} 10:0{k}:00.{k}00> {tag}{m}" for k, (tag, m, _) in enumerate(texts)]
    rows = ingest_lines(tmp_path, "batch_ctl.log", lines, "severity, message")
    assert [r[1] for r in rows] == [m for _, m, _ in texts]
    assert [r[0] for r in rows] == [lv for *_, lv in texts]


def test_a_category_tag_among_level_tags_keeps_the_level_read_from_the_words(tmp_path: Path) -> None:
    texts = [("Info", "service ready"), ("Access", "ticket 7 granted to ana"), ("Warn", "cache is stale"),
             ("Access", "ticket 8 refused: bad password"), ("Info", "reload done")]
    lines = [f"Thu Apr  6 0{k}:30:00 2023 - {tag}: {m}" for k, (tag, m) in enumerate(texts)]
    rows = ingest_lines(tmp_path, "ticket_srv.log", lines, "severity, message, context")
    assert [r[1] for r in rows] == [m for _, m in texts]
    assert [r[0] for r in rows][:3] == ["INFO", "INFO", "WARN"]
    assert '"severity_source":"inferred"' in rows[1][2]


def test_a_rare_level_word_inside_messages_stays_in_them(tmp_path: Path) -> None:
    texts = ["backup of vol1 done", "backup of vol2 done", "error: vol3 is read-only", "backup of vol4 done",
             "backup of vol5 done", "backup of vol6 done", "backup of vol7 done", "backup of vol8 done",
             "backup of vol9 done", "warning: vol10 nearly full", "backup of vol11 done", "backup of vol12 done"]
    lines = [f"2023-04-06 01:{k:02d}:00 {m}" for k, m in enumerate(texts)]
    rows = ingest_lines(tmp_path, "vault.log", lines, "message")
    assert [r[0] for r in rows] == texts


def test_a_delimited_level_and_logger_before_the_text_are_fields(tmp_path: Path) -> None:
    recs = [("WARN", "Billing.Jobs", "invoice run late by 4 min"), ("INFO", "Billing.Api", "GET /v2/items 200"),
            ("ERROR", "Billing.Jobs", "invoice 88 failed|System.IO.IOException: disk full"),
            ("DEBUG", "Billing.Cache", "hit ratio 0.93"), ("INFO", "Billing.Api", "GET /v2/items 304")]
    lines = [f"2023-05-0{k + 1} 08:00:0{k}.{k}1|{lv}|{lg}|{m}" for k, (lv, lg, m) in enumerate(recs)]
    rows = ingest_lines(tmp_path, "billing.log", lines, "severity, message, context")
    assert [r[0] for r in rows] == [lv for lv, _, _ in recs]
    assert [r[1] for r in rows] == [m for *_, m in recs]
    assert '"logger":"Billing.Jobs"' in rows[0][2].replace(" ", "")


def test_a_name_in_parentheses_opening_every_message_is_a_field(tmp_path: Path) -> None:
    recs = [("INFO", "boot", "loader 3.1 ready"), ("WARN", "pool worker-2", "slow start (4 s)"),
            ("INFO", "boot", "config read"), ("ERROR", "pool worker-7", "cannot bind :8443"),
            ("INFO", "timer task 1", "tick")]
    lines = [f"2023-06-0{k + 1} 09:1{k}:00,{k}25 {lv:<5} [srv.core] ({th}) {m}" for k, (lv, th, m) in enumerate(recs)]
    rows = ingest_lines(tmp_path, "appsrv.log", lines, "severity, message")
    assert [r[1] for r in rows] == [m for *_, m in recs]
    assert [r[0] for r in rows] == [lv for lv, *_ in recs]


def test_an_occasional_parenthesis_at_the_start_stays_in_the_message(tmp_path: Path) -> None:
    texts = ["(retry 2) upload part 4", "upload part 5", "upload part 6", "upload part 7", "upload done"]
    lines = [f"2023-06-01 09:1{k}:00 INFO {m}" for k, m in enumerate(texts)]
    rows = ingest_lines(tmp_path, "uploader.log", lines, "message")
    assert [r[0] for r in rows] == texts
