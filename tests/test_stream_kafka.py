"""The stream against a real Kafka-protocol broker (noida-db on 127.0.0.1), real DuckDB files
and real worker processes: exactly-once under kill -9, handover from bulk history, the
two-worker rebalance in scale-out mode, poison messages, broker outage, and latency.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any, Callable

import noida_db  # noqa: F401 - the dev extra's broker: a missing one must fail the suite, not skip it
import pytest
from kafka import KafkaAdminClient, KafkaProducer

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.devbroker import LoopbackBroker, until
from logpilot_kernel.ingest.stream_kernel import StreamController



class Broker(LoopbackBroker):
    """The shared loopback broker; ``until`` timeouts are test failures here."""


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory):
    b = Broker(tmp_path_factory.mktemp("kafka") / "data").start()
    yield b
    b.stop()


def _until(pred: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    try:
        return until(pred, timeout, what, every)
    except TimeoutError as exc:
        raise AssertionError(str(exc)) from None


def _event(i: int, at: dt.datetime, level: str = "info") -> bytes:
    return json.dumps({"ts": at.isoformat().replace("+00:00", "Z"), "level": level, "service": "checkout",
                       "msg": f"order {i} accepted for user u{i % 7}", "seq": i}).encode()


def _produce(b: Broker, topic: str, items: list[tuple[bytes, int | None]], partitions: int = 1,
             **cfg: Any) -> None:
    p = KafkaProducer(bootstrap_servers=b.bootstrap, linger_ms=5, **cfg)
    for n, (value, ts_ms) in enumerate(items):
        p.send(topic, value, partition=n % partitions, timestamp_ms=ts_ms)
    p.flush()
    p.close()


def _rows(cur: Any) -> int:
    """Rows in ``logs`` as this cursor sees them (what the tests wait for)."""
    return cur.execute("SELECT count(*) FROM logs").fetchone()[0]


def _now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def _events(lo: int, hi: int, base: dt.datetime) -> list[tuple[bytes, int]]:
    out = []
    for i in range(lo, hi):
        at = base + dt.timedelta(milliseconds=100 * i)
        out.append((_event(i, at, "error" if i % 50 == 0 else "info"), int(at.timestamp() * 1000)))
    return out


# ------------------------------------------------------------------ kernel mode
def test_kernel_stream_rows_templates_status_and_latency(broker: Broker, tmp_path: Path) -> None:
    topic = broker.topic("kernel-json", 2)
    n = 3000
    _produce(broker, topic, _events(0, n, _now() - dt.timedelta(hours=1)), partitions=2)
    ws = Workspace(tmp_path / "ws")
    ctl = StreamController(lambda: ws)
    t0 = time.monotonic()
    first = ctl.start(topic, bootstrap_servers=broker.bootstrap, group="kernel", format="json_lines")
    assert time.monotonic() - t0 < 1.0, "start() must return at once (never block the kernel)"
    assert first["state"] in ("starting", "connecting", "running")
    try:
        cur = ws.cursor()
        _until(lambda: _rows(cur) >= n, 60, "rows")
        ingest_s = time.monotonic() - t0
        # queryable while it ingests, from the notebook's own cursor
        assert cur.execute("SELECT count(*), count(DISTINCT (origin, origin_offset)) FROM logs").fetchone() == (n, n)
        assert cur.execute("SELECT count(DISTINCT context->>'seq') FROM logs").fetchone()[0] == n
        assert {r[0] for r in cur.execute("SELECT DISTINCT origin FROM logs").fetchall()} == \
            {f"kafka://{topic}/0", f"kafka://{topic}/1"}
        # templates: mined with severity groups, counted (folded deltas + pending), embedded once
        tpl = cur.execute("SELECT count(*), sum(count) + (SELECT coalesce(sum(n), 0) FROM "
                          "template_counts_pending) FROM templates").fetchone()
        assert tpl[0] == 2 and tpl[1] == n
        assert cur.execute("SELECT count(*) FROM templates WHERE first_seen IS NULL").fetchone()[0] == 0
        _until(lambda: cur.execute("SELECT count(*) FROM templates WHERE embedded_text IS NULL").fetchone()[0] == 0,
               60, "templates embedded in Chroma")
        assert ws.search_templates("order accepted", n=1)[0]["template"].startswith("order <*> accepted")
        # produce -> queryable latency, one message at a time
        p = KafkaProducer(bootstrap_servers=broker.bootstrap)
        lat = []
        for i in range(n, n + 12):
            meta = p.send(topic, _event(i, _now()), partition=0).get(timeout=10)
            sent = time.monotonic()
            _until(lambda: cur.execute("SELECT count(*) FROM logs WHERE origin = ? AND origin_offset = ?",
                                       [f"kafka://{topic}/0", meta.offset]).fetchone()[0] == 1, 5, "one row",
                   every=0.01)
            lat.append(time.monotonic() - sent)
        p.close()
        # the status counter follows the commit that made the row visible: wait for it
        _until(lambda: ctl.status()["rows_written"] == n + 12, 30, "status counts every row")
        status = ctl.status()
        assert status["state"] == "running" and status["rows_written"] == n + 12
        assert set(status["lag"]) == {f"{topic}/0", f"{topic}/1"}
        assert status["rate_rows_per_s"] > 0 and status["last_error"] is None
        assert len(status["newest_templates"]) == 2 and all("<*>" in t for t in status["newest_templates"])
        with pytest.raises(Exception, match="already running"):
            ctl.start(topic, bootstrap_servers=broker.bootstrap)
    finally:
        stopped = ctl.stop()
    assert stopped["state"] == "stopped" and not ctl.running
    lat.sort()
    print(f"\n[stream] {n} msgs consumed->queryable in {ingest_s:.2f}s incl. group join; "
          f"produce->queryable p50 {statistics.median(lat) * 1000:.0f} ms, max {lat[-1] * 1000:.0f} ms")
    assert lat[-1] < 2.0, f"rows must be queryable within 2 s of produce, worst was {lat[-1]:.2f}s"
    offsets = dict(((t, p), o) for t, p, o in ws.cursor().execute(
        'SELECT topic, "partition", next_offset FROM stream_offsets').fetchall())
    assert sum(offsets.values()) == n + 12
    assert ws.scalar("SELECT sum(count) FROM templates") == n + 12, "stop folds the last deltas"
    ws.close()


def test_poison_messages_are_quarantined_and_the_stream_goes_on(broker: Broker, tmp_path: Path) -> None:
    topic = broker.topic("poison", 1, **{"max.message.bytes": str(8 << 20)})
    at = _now() - dt.timedelta(minutes=5)
    ms = int(at.timestamp() * 1000)
    items = [(_event(0, at), ms), (b"\xff\xfe\x00 not utf-8", ms), (b'{"ts": "2024-01-01", broken', ms),
             (b"x" * (5 << 20), ms), (b"   ", ms), (b"[1, 2, 3]", ms), (_event(1, at), ms)]
    _produce(broker, topic, items, max_request_size=8 << 20)
    ws = Workspace(tmp_path / "ws")
    ctl = StreamController(lambda: ws)
    ctl.start(topic, bootstrap_servers=broker.bootstrap, group="poison", format="json_lines", embed=False)
    try:
        _until(lambda: ctl.status()["messages"] >= len(items), 60, "all messages handled")
        assert ctl.status()["state"] == "running"
    finally:
        ctl.stop()
    cur = ws.cursor()
    rows = cur.execute("SELECT origin_offset FROM logs ORDER BY 1").fetchall()
    q = dict(cur.execute("SELECT origin_offset, reason FROM quarantine WHERE origin = ?",
                         [f"kafka://{topic}/0"]).fetchall())
    assert [r[0] for r in rows] == [0, 6]
    assert sorted(q) == [1, 2, 3, 4, 5], "every message is a row or a quarantine entry"
    assert q[1].startswith("not UTF-8")
    assert q[2].startswith("invalid JSON")
    assert q[3].startswith("record too large: 5,242,880 bytes")
    assert q[4].startswith("empty message")
    assert "not an object" in q[5]
    raw_len = cur.execute("SELECT length(raw) FROM quarantine WHERE origin_offset = 3").fetchone()[0]
    assert raw_len == 5 << 20, "the oversized record is kept whole for inspection"
    ws.close()


def test_handover_from_bulk_history_has_no_overlap_and_no_gap(broker: Broker, tmp_path: Path) -> None:
    from logpilot_kernel.ingest.bulk import ingest

    base = _now() - dt.timedelta(minutes=30)
    history = tmp_path / "history" / "app.jsonl"
    history.parent.mkdir()
    history.write_bytes(b"\n".join(v for v, _ in _events(0, 600, base)) + b"\n")
    topic = broker.topic("handover", 2)
    _produce(broker, topic, _events(350, 1000, base), partitions=2)  # 250 older ones overlap history
    ws = Workspace(tmp_path / "ws")
    report = ingest(ws, [str(history)], source="app", rule="json_lines", parquet=False)
    assert report.rows_loaded == 600
    ctl = StreamController(lambda: ws)
    ctl.start(topic, bootstrap_servers=broker.bootstrap, group="handover", format="json_lines",
              source="app", embed=False)
    try:
        cur = ws.cursor()
        _until(lambda: _rows(cur) >= 1000, 60, "1000 rows")
        time.sleep(0.6)  # one more batch window: nothing else may arrive
    finally:
        ctl.stop()
    seqs = [int(r[0]) for r in cur.execute("SELECT context->>'seq' FROM logs ORDER BY 1").fetchall()]
    assert sorted(seqs) == list(range(1000)), "history + stream must hold each event once, none missing"
    from_stream = cur.execute("SELECT min(CAST(context->>'seq' AS INT)), count(*) FROM logs "
                              "WHERE origin LIKE 'kafka://%'").fetchone()
    assert from_stream == (600, 400)
    ws.close()


def test_broker_down_at_start_and_mid_stream(tmp_path: Path) -> None:
    b = Broker(tmp_path / "kafka")
    ws = Workspace(tmp_path / "ws")
    ctl = StreamController(lambda: ws)
    t0 = time.monotonic()
    ctl.start("outage", bootstrap_servers=b.bootstrap, group="outage", format="json_lines", embed=False,
              backoff_max=2.0)
    assert time.monotonic() - t0 < 1.0
    try:
        _until(lambda: ctl.status()["last_error"], 15, "the connect error in status")
        assert ctl.status()["state"] in ("backing-off", "connecting")
        assert ws.cursor().execute("SELECT 42").fetchone()[0] == 42  # kernel stays responsive
        b.start()
        b.topic("outage", 1)
        _produce(b, "outage", _events(0, 300, _now() - dt.timedelta(minutes=3)))
        cur = ws.cursor()
        _until(lambda: _rows(cur) == 300, 60, "recovery at start")
        errors_before = ctl.status()["errors"]
        b.stop()  # SIGTERM: the broker keeps its log; down is what matters here
        _until(lambda: ctl.status()["errors"] > errors_before, 30, "the outage in status")
        assert ctl.status()["state"] in ("backing-off", "connecting", "running")
        assert ws.cursor().execute("SELECT count(*) FROM logs").fetchone()[0] == 300
        b.start()
        _produce(b, "outage", _events(300, 600, _now() - dt.timedelta(minutes=2)))
        _until(lambda: _rows(cur) >= 600, 90, "recovery mid-stream")
        assert cur.execute("SELECT count(DISTINCT context->>'seq'), count(*) FROM logs").fetchone() == (600, 600)
    finally:
        ctl.stop()
        b.stop()
        ws.close()


def _committed(b: Broker, group: str) -> dict[int, int]:
    admin = KafkaAdminClient(bootstrap_servers=b.bootstrap)
    try:
        got = admin.list_group_offsets(group).get(group, {})
    finally:
        admin.close()
    return {tp.partition: om.offset for tp, om in got.items()}


def test_duckdb_write_failure_commits_nothing_and_recovers(broker: Broker, tmp_path: Path) -> None:
    topic = broker.topic("writefail", 1)
    base = _now() - dt.timedelta(minutes=20)
    ws = Workspace(tmp_path / "ws")
    cur = ws.cursor()
    ctl = StreamController(lambda: ws)
    ctl.start(topic, bootstrap_servers=broker.bootstrap, group="writefail", format="json_lines",
              embed=False, batch_size=100, batch_ms=100, backoff_max=0.5)
    try:
        _produce(broker, topic, _events(0, 200, base))
        _until(lambda: _rows(cur) == 200, 60, "200 rows")
        _until(lambda: _committed(broker, "writefail") == {0: 200}, 10, "offset 200 committed")
        with ws.write_lock:  # a real DuckDB failure for every write that follows
            cur.execute("ALTER TABLE logs RENAME TO logs_away")
        _produce(broker, topic, _events(200, 1200, base))
        _until(lambda: (ctl.status()["last_error"] or "").startswith("write"), 30, "the write error in status")
        time.sleep(1.5)  # several failed retries meanwhile
        assert _committed(broker, "writefail") == {0: 200}, "no offset may be committed past a failed write"
        assert cur.execute("SELECT next_offset FROM stream_offsets").fetchall() == [(200,)]
        assert len(ctl._consumer.batcher) <= 5 * 100, f"fetching pauses while writes fail {ctl.status()} {sorted(set(m.offset for m in ctl._consumer.batcher.items))[:3]} {len(set(m.offset for m in ctl._consumer.batcher.items))}"
        with ws.write_lock:
            cur.execute("ALTER TABLE logs_away RENAME TO logs")
        _until(lambda: _rows(cur) == 1200, 60, "recovery")
        _until(lambda: _committed(broker, "writefail") == {0: 1200}, 10, "offset 1200 committed")
        assert cur.execute("SELECT count(DISTINCT origin_offset) FROM logs").fetchone()[0] == 1200
    finally:
        ctl.stop()
        ws.close()


def test_kernel_exit_without_stop_flushes_and_records_the_run(broker: Broker, tmp_path: Path) -> None:
    topic = broker.topic("atexit", 1)
    _produce(broker, topic, _events(0, 300, _now() - dt.timedelta(minutes=10)))
    script = (
        "import sys, time\n"
        "from logpilot_kernel import Workspace\n"
        "from logpilot_kernel.ingest.stream_kernel import StreamController\n"
        "ws = Workspace(sys.argv[1])\n"
        "ctl = StreamController(lambda: ws)\n"
        "ctl.start(sys.argv[2], bootstrap_servers=sys.argv[3], group='atexit', format='json_lines', embed=False,"
        " batch_ms=60000, batch_size=100000)\n"
        "t = time.monotonic()\n"
        "while ctl.status()['messages'] + len(getattr(ctl._consumer, 'batcher', [])) < 300 and time.monotonic() - t < 30:\n"
        "    time.sleep(0.05)\n"
        "print(ctl.status()['rows_written'])\n"  # 0: everything still pending in the batch
    )
    res = subprocess.run([sys.executable, "-c", script, str(tmp_path / "ws"), topic, broker.bootstrap],
                         capture_output=True, text=True, timeout=90)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.strip() == "0", "the batch was still pending when the kernel exited"
    with Workspace(tmp_path / "ws") as ws:
        cur = ws.cursor()
        assert _rows(cur) == 300, "atexit flushed the batch"
        assert cur.execute("SELECT status, rows_loaded FROM ingest_runs WHERE kind = 'stream'").fetchall() == \
            [("stopped", 300)]


# ------------------------------------------------------------------ worker processes
def _worker(args: list[str], log: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "logpilot_kernel.ingest.worker", "worker", *args],
                            stdout=subprocess.DEVNULL, stderr=open(log, "ab"), env=env)


def _health(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {}


def test_worker_kill9_then_restart_delivers_every_message_exactly_once(broker: Broker, tmp_path: Path) -> None:
    topic = broker.topic("kill9", 3)
    total = 4000
    events = _events(0, total, _now() - dt.timedelta(hours=2))
    wsdir, health = tmp_path / "ws", tmp_path / "health.json"
    Workspace(wsdir).close()
    args = ["--workspace", str(wsdir), "--bootstrap-servers", broker.bootstrap, "--topic", topic,
            "--group", "kill9", "--format", "json_lines", "--no-embed", "--batch-size", "300",
            "--batch-ms", "200", "--health-file", str(health), "--max-poll-interval-ms", "7000"]
    producer = threading.Thread(target=lambda: [(_produce(broker, topic, events[i:i + 500], partitions=3),
                                                 time.sleep(0.6)) for i in range(0, total, 500)])
    w1 = _worker(args, tmp_path / "w1.log")
    try:
        producer.start()
        _until(lambda: _health(health).get("rows_written", 0) >= 900, 60, "the first worker writing")
        w1.send_signal(signal.SIGKILL)
        w1.wait(10)
        health.unlink()
        w1 = _worker(args, tmp_path / "w1b.log")  # killed again while catching up
        _until(lambda: _health(health).get("rows_written", 0) >= 300, 60, "the second worker writing")
        w1.send_signal(signal.SIGKILL)
        w1.wait(10)
        producer.join(60)
        health.unlink()
        w2 = _worker(args, tmp_path / "w2.log")
        _until(lambda: sum(_health(health).get("positions", {}).values()) == total
               and _health(health).get("state") == "running", 90, "the restarted worker catching up")
        w2.send_signal(signal.SIGTERM)
        assert w2.wait(30) == 0, (tmp_path / "w2.log").read_text()[-2000:]
    finally:
        for w in (w1, locals().get("w2")):
            if w is not None and w.poll() is None:
                w.kill()
                w.wait(10)
    assert _health(health)["state"] == "stopped"
    with Workspace(wsdir) as ws:
        cur = ws.cursor()
        assert cur.execute("SELECT count(*), count(DISTINCT (origin, origin_offset)), "
                           "count(DISTINCT context->>'seq') FROM logs").fetchone() == (total, total, total)
        assert cur.execute("SELECT sum(next_offset) FROM stream_offsets").fetchone()[0] == total
    lines = [json.loads(x) for x in (tmp_path / "w2.log").read_text().splitlines() if x.startswith("{")]
    assert any(x.get("event") == "assigned" and x.get("why") == "stored beside the rows" for x in lines)


def test_two_workers_in_one_group_rebalance_exactly_once_in_segments(broker: Broker, tmp_path: Path) -> None:
    import duckdb

    from logpilot_kernel.ingest.stream_sinks import segments_views

    topic = broker.topic("scaleout", 4)
    seg = tmp_path / "segments"
    base = _now() - dt.timedelta(hours=3)

    def args(name: str) -> list[str]:
        return ["--segments", str(seg), "--bootstrap-servers", broker.bootstrap, "--topic", topic,
                "--group", "scale", "--format", "json_lines", "--batch-size", "250", "--batch-ms", "200",
                "--worker-id", name, "--health-file", str(tmp_path / f"{name}.json")]

    _produce(broker, topic, _events(0, 1500, base), partitions=4)
    a = _worker(args("a"), tmp_path / "a.log")
    b = None
    try:
        _until(lambda: _health(tmp_path / "a.json").get("rows_written", 0) >= 500, 60, "worker a writing")
        b = _worker(args("b"), tmp_path / "b.log")
        _until(lambda: _health(tmp_path / "b.json").get("assigned"), 60, "the first rebalance")
        _produce(broker, topic, _events(1500, 3000, base), partitions=4)
        _until(lambda: _health(tmp_path / "b.json").get("rows_written", 0) > 0, 60, "b taking partitions")
        a.send_signal(signal.SIGTERM)  # second rebalance: b takes everything
        assert a.wait(30) == 0
        _produce(broker, topic, _events(3000, 4000, base), partitions=4)
        _until(lambda: sum(_health(tmp_path / "b.json").get("positions", {}).values()) == 4000
               and len(_health(tmp_path / "b.json").get("assigned", [])) == 4, 90, "b owning all, caught up")
        b.send_signal(signal.SIGTERM)
        assert b.wait(30) == 0
    finally:
        for w in (a, b):
            if w is not None and w.poll() is None:
                w.kill()
                w.wait(10)
    assert _health(tmp_path / "a.json")["rows_written"] > 0
    con = duckdb.connect()
    raw = con.execute(f"SELECT count(*), count(DISTINCT (origin, origin_offset)) FROM "
                      f"read_parquet('{seg}/logs/**/*.parquet')").fetchone()
    assert raw == (4000, 4000), f"segments hold {raw[0]} rows for {raw[1]} distinct messages"
    assert segments_views(con, seg) == ["logs"]
    assert con.execute("SELECT count(DISTINCT context->>'seq') FROM logs").fetchone()[0] == 4000


def test_compressed_topics_stream_exactly_once(broker: Broker, tmp_path: Path) -> None:
    """Producers compress; without the codecs kafka-python cannot decode a batch at all."""
    topic = broker.topic("compressed", 1)
    base = _now() - dt.timedelta(minutes=5)
    for k, codec in enumerate(("zstd", "lz4", "gzip")):
        _produce(broker, topic, _events(100 * k, 100 * (k + 1), base), compression_type=codec)
    ws = Workspace(tmp_path / "ws")
    ctl = StreamController(lambda: ws)
    ctl.start(topic, bootstrap_servers=broker.bootstrap, group="compressed", format="json_lines",
              start="earliest", embed=False)
    try:
        cur = ws.cursor()
        _until(lambda: _rows(cur) >= 300, 30, "300 rows")
        assert cur.execute("SELECT count(DISTINCT context->>'seq'), count(*) FROM logs").fetchone() == (300, 300)
        assert ctl.status()["last_error"] is None
    finally:
        ctl.stop()
        ws.close()
