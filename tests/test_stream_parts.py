"""Stream pieces that need no broker: batching and back-off on a fake clock, poison checks,
status, the prepare pipeline on real kafka-python records, the DuckDB sink's idempotence
and rollback, the segments dedupe view, and the magic's parsing.
"""

from __future__ import annotations

import json
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from kafka.consumer.fetcher import ConsumerRecord

from logpilot_kernel.ingest.stream_parts import (
    Backoff, Batcher, StatusBoard, StreamError, StreamOptions, split_poison,
)


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def _rec(offset: int, value: bytes | None, topic: str = "t", partition: int = 0) -> ConsumerRecord:
    return ConsumerRecord(topic, partition, -1, offset, 1_700_000_000_000 + offset, 0, None, value,
                          [], None, len(value or b""), -1, -1)


def _opts(**kw) -> StreamOptions:
    return StreamOptions(bootstrap_servers="127.0.0.1:1", topics=["t"], group="g", **kw)


def test_batcher_flushes_by_size_and_by_time_on_an_injected_clock() -> None:
    clock = FakeClock()
    b = Batcher(max_records=3, max_ms=500, clock=clock)
    assert not b.due() and b.wait_hint() == 0.5
    b.add([_rec(0, b"a")])
    clock.t += 0.4
    assert not b.due() and b.wait_hint() == pytest.approx(0.1)
    clock.t += 0.1
    assert b.due(), "the oldest message is 500 ms old"
    assert [m.offset for m in b.take()] == [0] and b.first_at is None
    b.add([_rec(1, b"a"), _rec(2, b"b"), _rec(3, b"c", partition=1)])
    assert b.due(), "three messages reach the size limit at once"
    assert [m.offset for m in b.take({("t", 1)})] == [3] and len(b) == 2


def test_backoff_grows_caps_and_resets() -> None:
    clock = FakeClock()
    bo = Backoff(0.5, 4.0, clock)
    assert [bo.failure() for _ in range(5)] == [0.5, 1.0, 2.0, 4.0, 4.0]
    assert bo.remaining() == 4.0
    clock.t += 3.0
    assert bo.remaining() == pytest.approx(1.0)
    bo.success()
    assert bo.remaining() == 0 and bo.failure() == 0.5


def test_split_poison_gives_every_message_a_place_with_a_reason() -> None:
    msgs = [_rec(0, b'{"a": 1}\n'), _rec(1, None), _rec(2, b"\xc3\x28"), _rec(3, b"x\x00y"),
            _rec(4, b"y" * 101), _rec(5, b"{oops"), _rec(6, b'"text"')]
    ok, bad = split_poison(msgs, max_bytes=100, json_topic=True)
    assert ok.column("origin_offset").to_pylist() == [0]
    assert ok.column("raw").to_pylist() == ['{"a": 1}'] and ok.column("origin").to_pylist() == ["kafka://t/0"]
    reasons = dict(zip(bad.column("origin_offset").to_pylist(), bad.column("reason").to_pylist()))
    assert sorted(reasons) == [1, 2, 3, 4, 5, 6]
    assert reasons[1].startswith("empty") and reasons[2].startswith("not UTF-8")
    assert reasons[3].startswith("binary") and "101 bytes > limit 100" in reasons[4]
    assert reasons[5].startswith("invalid JSON") and "not an object" in reasons[6]
    ok2, bad2 = split_poison(msgs[5:], max_bytes=100, json_topic=False)
    assert ok2.num_rows == 2 and bad2.num_rows == 0, "a raw-line topic takes any text"
    many = [_rec(i, b"[1, 2]" if i % 7 == 3 else b"{bad" if i % 11 == 5 else b'{"i": %d}' % i)
            for i in range(3000)]
    ok3, bad3 = split_poison(many, max_bytes=100, json_topic=True)
    assert ok3.column("origin_offset").to_pylist() == [i for i in range(3000) if i % 7 != 3 and i % 11 != 5]
    assert ok3.column("raw").to_pylist()[:2] == ['{"i": 0}', '{"i": 1}'], "rows keep their own text"
    assert bad3.num_rows == 3000 - ok3.num_rows
    ok4, bad4 = split_poison([_rec(0, b'\t {"v": NaN}'), _rec(1, b" [1]")], max_bytes=100, json_topic=True)
    assert ok4.num_rows == 1 and bad4.column("reason").to_pylist() == [
        "invalid JSON record: a list, not an object"], "DuckDB's parser decides, Python names the reason"


@pytest.mark.parametrize("json_topic", [True, False])
def test_split_poison_vectorised_agrees_with_the_message_by_message_checks(json_topic: bool) -> None:
    from logpilot_kernel.ingest.stream_parts import _split_each

    values = [b'{"a": 1}\r\n', None, b"", b" \t\x0b\x0c\r\n", "\u00a0".encode(), b"x\x00y", b"y" * 101,
              b"{oops", b'"text"', b"line one\nline two\n", "caf\u00e9 \u2603".encode(), b'{"b": [1, 2]}',
              "\ue000 private".encode()]
    msgs = [_rec(i, v, partition=i % 3) for i, v in enumerate(values * 40)]
    fast = split_poison(msgs, max_bytes=100, json_topic=json_topic)
    slow = _split_each(msgs, max_bytes=100, json_topic=json_topic, con=None)
    assert fast[0].equals(slow[0]) and fast[1].equals(slow[1])
    assert fast[0].num_rows + fast[1].num_rows == len(msgs)
    lines = dict(zip(fast[0].column("raw").to_pylist(), fast[0].column("n_lines").to_pylist()))
    assert lines['{"a": 1}'] == 1 and lines.get("line one\nline two", 2) == 2
    assert ("line one\nline two" in lines) is not json_topic and ("\u00a0" in lines) is not json_topic
    assert set(fast[0].column("origin").to_pylist()) == {"kafka://t/0", "kafka://t/1", "kafka://t/2"}


def test_status_board_rate_window_and_thread_safe_snapshots() -> None:
    clock = FakeClock()
    st = StatusBoard(clock, window=10.0)
    st.add(rows_written=500)
    clock.t += 5
    st.add(rows_written=500)
    snap = st.snapshot()
    assert snap["rows_written"] == 1000 and snap["rate_rows_per_s"] == snap["rows_per_s"] == 200.0
    st.templates(["a <*>", "b <*>"], keep=3)
    st.templates(["c", "d"], keep=3)
    assert st.snapshot()["newest_templates"] == ["d", "c", "b <*>"]
    clock.t += 20
    assert st.snapshot()["rate_rows_per_s"] == 0.0
    snap["lag"]["x"] = 1
    assert st.snapshot()["lag"] == {}, "a snapshot is a copy"
    threads = [threading.Thread(target=lambda: [st.add(messages=1) for _ in range(2000)]) for _ in range(4)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert st.snapshot()["messages"] == 8000


def test_options_are_checked_with_one_line_errors() -> None:
    with pytest.raises(StreamError, match="topic"):
        StreamOptions(bootstrap_servers="h:1", topics=[], group="g").check()
    with pytest.raises(StreamError, match="start"):
        _opts(start="middle").check()
    assert _opts().check().topics == ["t"]


def test_prepare_detects_the_format_once_and_mines_first_lines(tmp_path: Path) -> None:
    from logpilot_kernel.ingest.stream_sinks import SegmentStream

    lines = [f"2024-03-05 10:22:{i:02d},123 ERROR [main] com.acme.Pay - payment {i} failed" for i in range(20)]
    lines[3] += "\njava.lang.IllegalStateException: boom\n\tat com.acme.Pay.run(Pay.java:42)"
    c = SegmentStream(tmp_path / "seg", _opts())
    try:
        batch = c.prepare([_rec(i, ln.encode()) for i, ln in enumerate(lines)] + [_rec(20, b"")])
    finally:
        c._con.close()
    assert c.rule is not None and c.rule.name == "log4j"
    rows = batch.rows.to_pylist()
    assert len(rows) == 20 and batch.quarantine.num_rows == 1
    assert {r["template_id"] for r in rows} == set(batch.new_templates), "one template for all 20"
    assert rows[3]["message"].count("\n") == 2 and rows[3]["body"] == rows[0]["body"]
    assert rows[0]["origin"] == "kafka://t/0" and [r["origin_offset"] for r in rows] == list(range(20))
    assert batch.offsets == {("t", 0): 21} and batch.first_offsets == {("t", 0): 0}


def test_prepare_probes_timestamp_formats_once_a_minute_not_once_a_batch(tmp_path: Path, monkeypatch) -> None:
    from logpilot_kernel.ingest import stream as stream_mod
    from logpilot_kernel.ingest.stream_sinks import SegmentStream

    probes: list[int] = []
    real = stream_mod.tune_rule

    def counted(con, chunk, rule):  # noqa: ANN001
        probes.append(chunk.num_rows)
        return real(con, chunk, rule)

    monkeypatch.setattr(stream_mod, "tune_rule", counted)
    clock = FakeClock()
    c = SegmentStream(tmp_path / "seg", _opts(format="log4j"), clock=clock)

    def batch(first: int, n: int):  # noqa: ANN202
        return c.prepare([_rec(first + i, f"2024-03-05 10:22:{i % 60:02d},250 WARN [main] a.B - step {i}".encode())
                          for i in range(n)])
    try:
        assert batch(0, 10).rows.num_rows == 10 and probes == [10]   # too few to judge: asked again
        assert batch(10, 600).rows.num_rows == 600 and probes == [10, 600]
        assert batch(610, 600).rows.num_rows == 600 and probes == [10, 600]  # cached
        clock.t += stream_mod.RETUNE_S
        rows = batch(1210, 600).rows
        assert probes == [10, 600, 600]
    finally:
        c._con.close()
    assert rows.column("timestamp")[1].as_py().isoformat() == "2024-03-05T10:22:01.250000"


def test_workspace_sink_is_idempotent_and_rolls_back_on_a_write_failure(workspace) -> None:
    from logpilot_kernel.ingest.stream_sinks import WorkspaceStream

    c = WorkspaceStream(workspace, _opts(format="json_lines"), embed=False)
    c.open_sink()
    cur = workspace.cursor()
    msgs = [_rec(i, f'{{"ts":"2024-05-01T00:00:{i:02d}Z","level":"warn","msg":"disk {i} slow"}}'.encode())
            for i in range(10)]
    c.positions.place(("t", 0), 0)
    batch = c.prepare(msgs)
    c.write_batch(batch)
    c.write_batch(c.prepare(msgs))  # a replay after a crash between write and commit
    assert cur.execute("SELECT count(*), count(DISTINCT origin_offset) FROM logs").fetchone() == (10, 10)
    assert c.sink._replayed(cur, c.prepare(msgs[5:])) == [("t", 0)], "starts before the stored position"
    assert c.sink._replayed(cur, c.prepare([_rec(10, msgs[0].value)])) == [], "past it: no anti-join"
    assert cur.execute("SELECT count FROM templates").fetchall() == [(0,)], "counts wait for the fold"
    assert cur.execute("SELECT sum(n) FROM template_counts_pending").fetchone()[0] == 10
    c.sink._fold_counts(force=True)
    assert cur.execute("SELECT count FROM templates").fetchall() == [(10,)]
    assert cur.execute("SELECT count(*) FROM template_counts_pending").fetchone()[0] == 0
    cur.execute("ALTER TABLE logs RENAME TO logs_away")  # a real DuckDB failure on the next write
    c.batcher.add([_rec(10, msgs[0].value), _rec(11, msgs[1].value)])
    with pytest.raises(Exception):
        c._flush()
    assert len(c.batcher) == 2, "a failed batch is kept for the retry, never skipped"
    assert cur.execute('SELECT next_offset FROM stream_offsets').fetchall() == [(10,)], "no position moved"
    cur.execute("ALTER TABLE logs_away RENAME TO logs")
    c._flush()
    assert cur.execute("SELECT count(*) FROM logs").fetchone()[0] == 12
    assert cur.execute('SELECT next_offset FROM stream_offsets').fetchall() == [(12,)]
    c.close_sink()
    c._con.close()


def test_stream_writes_leave_duckdb_free_to_checkpoint_beside_a_forgotten_reader(workspace) -> None:
    """The soak's leak. A notebook cursor whose last result was not read to the end keeps
    a transaction open for hours; one committed UPDATE after it begins stops every DuckDB
    checkpoint until it ends, and the WAL and memory grow. Every stream write (rows,
    positions, a template Drain generalises, count folds, embeddings, the run record) is
    appends and deletes, so checkpoints go on."""
    from logpilot_kernel.ingest.stream_sinks import WorkspaceStream

    held = workspace.cursor()
    held.execute("SELECT * FROM range(10)").fetchone()  # forgotten, never touched again
    c = WorkspaceStream(workspace, _opts(format="json_lines"), embed=False)
    c.open_sink()
    probe = workspace.cursor()
    words = ["alpha1", "beta2", "gamma3"]  # values the masks do not know: Drain generalises them
    try:
        for b in range(3):
            msgs = [_rec(b * 10 + i, f'{{"ts":"2024-05-01T00:00:{i:02d}Z","level":"info",'
                                     f'"msg":"order {words[b]} accepted by {b * 10 + i}"}}'.encode())
                    for i in range(10)]
            batch = c.prepare(msgs)
            if b == 1:
                assert batch.changed_templates, "the second value generalises the first template"
            c.write_batch(batch)
            c.sink._fold_counts(force=True)
            probe.execute("CHECKPOINT")  # TransactionException while any write was an UPDATE
        assert workspace.embed_pending_templates() == 1
        probe.execute("CHECKPOINT")
        assert probe.execute("SELECT count(*) FROM logs").fetchone()[0] == 30
        assert probe.execute("SELECT count(DISTINCT body) FROM logs").fetchone()[0] == 1, "bodies rewritten"
        assert probe.execute("SELECT next_offset FROM stream_offsets").fetchall() == [(30,)]
        assert probe.execute("SELECT count, template = embedded_text FROM templates").fetchall() == [(30, True)]
    finally:
        c.close_sink()
        c._con.close()
    probe.execute("CHECKPOINT")
    assert probe.execute("SELECT status FROM ingest_runs").fetchall() == [("stopped",)]
    held.close()


def test_bulk_recount_spends_the_streams_pending_deltas(workspace, tmp_path: Path) -> None:
    from logpilot_kernel.ingest.bulk import ingest
    from logpilot_kernel.ingest.stream_sinks import WorkspaceStream

    c = WorkspaceStream(workspace, _opts(format="json_lines"), embed=False)
    c.open_sink()
    msgs = [_rec(i, f'{{"ts":"2024-05-01T00:00:{i:02d}Z","level":"warn","msg":"disk {i} slow"}}'.encode())
            for i in range(10)]
    c.write_batch(c.prepare(msgs))
    log = tmp_path / "app.log"
    log.write_text("".join(f"2024-05-02 10:00:{i:02d},000 WARN [main] com.acme.Disk - disk {i} slow\n"
                           for i in range(5)))
    ingest(workspace, [str(log)], parquet=False)
    c.close_sink()  # its fold finds nothing left to add
    c._con.close()
    cur = workspace.cursor()
    assert cur.execute("SELECT count(*) FROM template_counts_pending").fetchone()[0] == 0
    exact = dict(cur.execute("SELECT template_id, count(*) FROM logs GROUP BY 1").fetchall())
    assert dict(cur.execute("SELECT template_id, count FROM templates WHERE count > 0").fetchall()) == exact


def test_segments_view_dedupes_what_a_zombie_writer_wrote_twice(tmp_path: Path) -> None:
    import duckdb

    from logpilot_kernel.ingest.stream_sinks import SegmentStream, segments_views

    c = SegmentStream(tmp_path / "seg", _opts(format="json_lines"))
    c.open_sink()
    msgs = [_rec(i, f'{{"ts":"2024-05-01T00:00:{i:02d}Z","msg":"m {i}"}}'.encode()) for i in range(6)]
    c.write_batch(c.prepare(msgs[:4]))
    c.write_batch(c.prepare(msgs[2:]))  # overlapping range, as a writer that lost its partition would
    assert c.stored_positions([("t", 0), ("t", 1)]) == {("t", 0): 6}
    con = duckdb.connect()
    assert segments_views(con, tmp_path / "seg") == ["logs"]
    assert con.execute("SELECT count(*), count(DISTINCT origin_offset) FROM logs").fetchone() == (6, 6)
    c._con.close()


def test_stream_magic_parses_and_reports_usage_errors(workspace) -> None:
    from IPython.core.error import UsageError

    from logpilot_kernel.ingest.stream_kernel import StreamController
    from logpilot_kernel.magics.stream import stream_magic

    pilot = SimpleNamespace(stream=StreamController(lambda: workspace))
    assert stream_magic(pilot, ["status"])["state"] == "idle"
    assert stream_magic(pilot, ["stop"])["state"] == "idle"
    with pytest.raises(UsageError):
        stream_magic(pilot, ["launch"])
    with pytest.raises(UsageError):
        stream_magic(pilot, ["start"])  # no topic
    with pytest.raises(UsageError):
        stream_magic(pilot, ["start", "t", "--start", "middle"])


def test_batch_writer_runs_one_batch_at_a_time_off_the_loop_thread() -> None:
    from logpilot_kernel.ingest.stream_parts import BatchWriter

    gate, seen = threading.Event(), []

    def work(msgs: list) -> int:
        seen.append(threading.current_thread().name)
        gate.wait(5)
        if msgs == ["bad"]:
            raise ValueError("disk full")
        return len(msgs)

    w = BatchWriter(work)
    try:
        w.submit([1, 2, 3])
        assert w.busy and w.collect() is None, "nothing to collect while it writes"
        with pytest.raises(RuntimeError, match="still pending"):
            w.submit([4])  # strictly one batch at a time
        gate.set()
        assert w.collect(wait=True) == ([1, 2, 3], 3, None)
        assert not w.busy and w.collect() is None
        w.submit(["bad"])
        msgs, result, error = w.collect(wait=True)
        assert msgs == ["bad"] and result is None and isinstance(error, ValueError)
    finally:
        w.close()
    assert seen == ["logpilot-stream-write"] * 2


#: The status JSON's keys are a contract (the live widget, health files, /healthz, ingest_runs.report).
BASE_KEYS = ["state", "rows_written", "quarantined", "duplicates", "messages", "batches", "errors", "last_error",
             "last_error_at", "lag", "positions", "assigned", "rule", "source", "new_templates",
             "newest_templates", "started_at", "last_batch_at"]
DERIVED_KEYS = ["rate_rows_per_s", "rows_per_s", "total_lag"]
LATER_KEYS = ["topics", "group", "run_id", "retry_in_s", "templates_embedded"]  # once they happen


def test_status_json_keeps_exactly_its_keys() -> None:
    st = StatusBoard(FakeClock())
    assert list(st.snapshot()) == BASE_KEYS + DERIVED_KEYS
    st.set(state="starting", topics=["t"], group="g", run_id="r", rule="json_lines", source="s")
    st.set(retry_in_s=None)
    st.add(templates_embedded=2, rows_written=3)
    st.error("boom")
    snap = st.snapshot()
    assert sorted(snap) == sorted(BASE_KEYS + DERIVED_KEYS + LATER_KEYS)
    assert snap["templates_embedded"] == 2 and snap["retry_in_s"] is None and snap["errors"] == 1
    assert snap["topics"] == ["t"] and snap["last_error"] == "boom"
    assert json.loads(json.dumps(snap)) == snap, "plain JSON"


def test_status_is_typed_and_refuses_unknown_fields() -> None:
    from logpilot_kernel.ingest.stream_parts import Status

    st = StatusBoard(FakeClock())
    with pytest.raises(TypeError, match="rows_writen"):
        st.add(rows_writen=1)  # a typo would have added a key to the JSON contract
    with pytest.raises(TypeError, match="stat"):
        st.set(stat="running")
    st.set(state="running", lag={"t/0": 4})
    typed = st.status()
    assert isinstance(typed, Status) and typed.state == "running" and typed.lag == {"t/0": 4}
    typed.lag["t/0"] = 99
    assert st.snapshot()["lag"] == {"t/0": 4}, "a typed copy"
    assert list(Status().to_json()) == BASE_KEYS


def test_positions_own_only_what_was_placed_and_release_on_revoke() -> None:
    from logpilot_kernel.ingest.stream_parts import Positions

    pos = Positions()
    pos.known = [("t", 0), ("t", 1)]
    assert pos.probe_targets() == [("t", 0), ("t", 1)], "lag of every partition before assignment"
    pos.assigned([("t", 1), ("t", 0)])
    assert pos.take_pending() == [("t", 0), ("t", 1)] and not pos.pending
    pos.place(("t", 0), 5)
    assert ("t", 0) in pos and ("t", 1) not in pos
    pos.advance({("t", 0): 9, ("t", 1): 3})
    assert pos.next == {("t", 0): 9}, "an unowned partition never moves"
    assert pos.owned({("t", 0): 9, ("t", 1): 3}) == {("t", 0): 9}
    assert pos.lag({("t", 0): 12}) == {"t/0": 3}
    assert pos.published() == {"positions": {"t/0": 9}, "assigned": ["t/0"]}
    pos.assigned([("t", 0)])
    pos.release([("t", 0)])
    assert not pos.next and not pos.pending


def test_both_sinks_implement_the_sink_protocol(workspace, tmp_path: Path) -> None:
    from logpilot_kernel.ingest.stream_parts import Sink
    from logpilot_kernel.ingest.stream_sinks import SegmentSink, SegmentStream, WorkspaceSink, WorkspaceStream

    ws_stream = WorkspaceStream(workspace, _opts(format="json_lines"), embed=False)
    seg_stream = SegmentStream(tmp_path / "seg", _opts(format="json_lines"))
    try:
        assert isinstance(ws_stream.sink, WorkspaceSink) and isinstance(ws_stream.sink, Sink)
        assert isinstance(seg_stream.sink, SegmentSink) and isinstance(seg_stream.sink, Sink)
        assert ws_stream.use_group is False and seg_stream.use_group is True
        seg_stream.open_sink()
        assert seg_stream.handover_mark() is None and seg_stream.stored_positions([("t", 0)]) == {}
        seg_stream.close_sink()
    finally:
        ws_stream._con.close()
        seg_stream._con.close()
