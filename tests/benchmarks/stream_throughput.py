"""Kafka stream benchmark: raw consume rate, consume-to-queryable rate, latency, memory soak.

usage: python tests/benchmarks/stream_throughput.py [--messages 50000] [--partitions 4]
       [--minutes 10] [--skip-soak] [--latency-messages 200] [--soak-rate 1000] [--no-embed]

Why: the stream's promise is "rows are queryable in DuckDB about as fast as Kafka hands
them over, within a second of being produced, and it can run all day in the analyst's
kernel". Each part of that needs its own number, all against the same real broker in one
run so they can be compared:

1. produce ``--messages`` realistic JSON log lines (a payment service with trace ids and
   a mix of about twenty message shapes) round-robin over ``--partitions`` partitions;
2. the ceiling: a plain kafka-python ``KafkaConsumer`` loop over those messages from
   earliest, in its own group (the client, not the broker, is the bottleneck here);
3. LogPilot: a ``StreamController`` into a fresh workspace from earliest; time from
   ``start()`` until ``SELECT count(*) FROM logs`` (polled from another cursor) reaches N,
   and the ratio of that rate to (2);
4. produce-to-visible latency: with the stream caught up, ``--latency-messages`` single
   messages at a steady pace, each with a unique marker; each message's row is looked up
   by its provenance ``(kafka://topic/partition, offset)`` every 10 ms;
5. soak: a producer in a child process (so its buffers are not in our RSS) sends at
   ``--soak-rate`` msg/s for ``--minutes`` while this process, which runs the stream,
   samples its own VmRSS every 10 s; the slope over the last half shows whether memory
   is flat; at the end the rows must equal everything produced, each exactly once. Each
   sample also records what the workspace's DuckDB accounts for (``duckdb_memory()``), and
   after the soak a ``CHECKPOINT`` probe (WAL size and memory before and after) tells a
   cache from memory that is never given back.

The broker is the ``noida-db`` wheel (a real Kafka-protocol broker) on 127.0.0.1, on a
free port with a temporary data directory, stopped by PID at the end. Prints one JSON
object and a short summary. The machine's load average is recorded with each phase,
since other work on a 2-core machine moves these figures.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import logging
import multiprocessing as mp
import os
import random
import statistics
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from logpilot_kernel.ingest.devbroker import LoopbackBroker, until

GROUP_JOIN_NOTE = "includes connecting (and, for the raw consumer, the consumer-group join)"


# ------------------------------------------------------------------ realistic lines
_SERVICES = ["payments-api", "ledger", "fraud-check", "card-gateway", "refunds"]
_BRANDS = ["visa", "mastercard", "amex", "discover"]
_CURRENCIES = ["EUR", "USD", "GBP", "CHF"]
_DECLINE = ["insufficient_funds", "do_not_honor", "expired_card", "suspected_fraud", "invalid_cvc"]


def _shapes(rng: random.Random) -> list[tuple[str, str]]:
    """One (level, message) per call, drawn from a weighted mix of payment-service events."""
    amt = f"{rng.randint(1, 250000) / 100:.2f}"
    cur = rng.choice(_CURRENCIES)
    pay, cust = f"pay_{rng.getrandbits(48):012x}", f"cus_{rng.randint(10000, 99999)}"
    ms = rng.randint(3, 900)
    return [
        ("info", f"payment {pay} authorized for {amt} {cur} card={rng.choice(_BRANDS)} in {ms} ms"),
        ("info", f"payment {pay} captured amount={amt} currency={cur}"),
        ("info", f"customer {cust} created payment intent {pay}"),
        ("info", f"ledger entry posted account=acct_{rng.randint(100, 999)} debit={amt} {cur}"),
        ("info", f"fraud score {rng.random():.3f} for payment {pay} rule_set=v{rng.randint(1, 4)}"),
        ("info", f"GET /v1/payments/{pay} 200 {ms}ms"),
        ("info", f"POST /v1/payments 201 {ms}ms customer={cust}"),
        ("info", f"webhook delivered event=payment.succeeded to endpoint we_{rng.randint(100, 999)} "
                 f"attempt={rng.randint(1, 3)}"),
        ("debug", f"cache hit for customer {cust} key=risk-profile ttl={rng.randint(10, 600)}s"),
        ("info", f"refund {pay} issued amount={amt} {cur} reason=requested_by_customer"),
        ("warn", f"card gateway slow response {ms} ms for payment {pay} (threshold 500 ms)"),
        ("warn", f"retrying ledger write for payment {pay} attempt {rng.randint(2, 5)} of 5"),
        ("warn", f"payment {pay} declined: {rng.choice(_DECLINE)}"),
        ("error", f"card gateway timeout after {rng.randint(5, 30)}000 ms for payment {pay}"),
        ("error", f"ledger write failed for payment {pay}: deadlock detected, transaction rolled back"),
        ("error", f"webhook delivery failed event=payment.failed endpoint we_{rng.randint(100, 999)} "
                  f"status={rng.choice([500, 502, 503, 504])}"),
    ]


_WEIGHTS = [22, 18, 10, 12, 8, 9, 6, 4, 3, 2, 2, 1, 1, 0.4, 0.3, 0.3]


def log_line(rng: random.Random, seq: int, extra: dict[str, Any] | None = None) -> bytes:
    """One JSON log line as a payment service would write it (UTC now, trace and span ids)."""
    level, msg = rng.choices(_shapes(rng), weights=_WEIGHTS)[0]
    now = dt.datetime.now(dt.timezone.utc)
    rec: dict[str, Any] = {
        "ts": now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        "level": level, "service": rng.choice(_SERVICES), "host": f"pay-{rng.randint(1, 6)}",
        "trace_id": f"{rng.getrandbits(128):032x}", "span_id": f"{rng.getrandbits(64):016x}",
        "msg": msg, "seq": seq,
    }
    if extra:
        rec.update(extra)
    return json.dumps(rec, separators=(",", ":")).encode()


# ------------------------------------------------------------------ small helpers
def rss_mib() -> float:
    """This process's resident set size (VmRSS) in MiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def duckdb_mib(cur: Any) -> dict[str, float]:
    """Memory the workspace's DuckDB instance accounts for, by tag (MiB, non-zero tags only)."""
    rows = cur.execute("SELECT tag, memory_usage_bytes FROM duckdb_memory() WHERE memory_usage_bytes > 0").fetchall()
    return {tag: round(b / 2**20, 1) for tag, b in rows}


def checkpoint_probe(cur: Any) -> dict[str, Any]:
    """WAL size and DuckDB memory, then an explicit CHECKPOINT, then both again.

    Tells a cache from a leak: rows not yet checkpointed live in memory (IN_MEMORY_TABLE)
    with their undo data (TRANSACTION); if a manual checkpoint frees them, automatic
    checkpoints are not happening while the stream runs.
    """
    def wal() -> str:
        return str(cur.execute("SELECT wal_size FROM pragma_database_size() LIMIT 1").fetchone()[0])

    before = {"wal_size": wal(), "duckdb_mib_by_tag": duckdb_mib(cur), "rss_mib": round(rss_mib(), 1)}
    t0 = time.perf_counter()
    try:
        cur.execute("CHECKPOINT")
        error = None
    except Exception as exc:  # noqa: BLE001 - the refusal itself is the finding
        error = f"{type(exc).__name__}: {exc}"
    after = {"wal_size": wal(), "duckdb_mib_by_tag": duckdb_mib(cur), "rss_mib": round(rss_mib(), 1)}
    return {"before": before, "checkpoint_error": error,
            "checkpoint_s": round(time.perf_counter() - t0, 2), "after": after}


def load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty list."""
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(q / 100 * len(s) + 0.5)) - 1))]


def slope_per_min(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of (seconds, MiB) points, in MiB per minute."""
    if len(points) < 2:
        return None
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return None if den == 0 else 60 * sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den


# ------------------------------------------------------------------ the broker
# ------------------------------------------------------------------ phases
def produce_bulk(bootstrap: str, topic: str, n: int, partitions: int, rng: random.Random) -> dict[str, Any]:
    """Phase 1: N lines round-robin over the partitions; returns timing."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=10, batch_size=256 << 10,
                             acks=1, request_timeout_ms=30000)
    t0 = time.perf_counter()
    futures = []
    try:
        for i in range(n):
            futures.append(producer.send(topic, log_line(rng, i), partition=i % partitions))
        producer.flush(timeout=300)
        failed = sum(1 for f in futures if f.failed())
    finally:
        producer.close(timeout=30)
    seconds = time.perf_counter() - t0
    if failed:
        raise RuntimeError(f"{failed} of {n} produce requests failed")
    return {"messages": n, "seconds": round(seconds, 3), "msg_per_s": round(n / seconds),
            "load_avg": load()}


def raw_consume(bootstrap: str, topic: str, n: int, timeout: float) -> dict[str, Any]:
    """Phase 2: a plain KafkaConsumer loop from earliest in its own group, until N messages."""
    from kafka import KafkaConsumer

    t0, cpu0 = time.perf_counter(), cpu_seconds()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-raw-{uuid.uuid4().hex[:8]}",
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             max_poll_records=2000, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    got, size, first_at = 0, 0, None
    try:
        deadline = time.monotonic() + timeout
        while got < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"raw consumer read {got} of {n} in {timeout:.0f}s")
            for records in consumer.poll(timeout_ms=200, max_records=2000).values():
                if records and first_at is None:
                    first_at = time.perf_counter()
                got += len(records)
                size += sum(len(r.value) for r in records)
        done, cpu = time.perf_counter(), cpu_seconds() - cpu0
    finally:
        consumer.close(autocommit=False)
    wall = done - t0
    steady = done - (first_at or t0)
    return {"messages": got, "bytes": size, "seconds_wall": round(wall, 3),
            "seconds_first_to_last": round(steady, 3), "msg_per_s_wall": round(n / wall),
            "msg_per_s_first_to_last": round(n / steady), "wall_note": GROUP_JOIN_NOTE,
            "cpu_us_per_message": round(cpu * 1e6 / n, 2), "load_avg": load()}


def cpu_seconds() -> float:
    """CPU time of this process, all threads, user + system (the broker is another process)."""
    import resource

    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def proc_cpu_seconds(pid: int) -> float:
    """CPU time (user + system) of another process, e.g. the broker, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def count_rows(cur: Any) -> int:
    return int(cur.execute("SELECT count(*) FROM logs").fetchone()[0])


def stream_catch_up(ctl: Any, cur: Any, bootstrap: str, topic: str, n: int, embed: bool,
                    timeout: float) -> dict[str, Any]:
    """Phase 3: start the stream from earliest; time until all N rows are queryable."""
    t0 = time.perf_counter()
    ctl.start(topic, bootstrap_servers=bootstrap, group=f"bench-stream-{uuid.uuid4().hex[:8]}",
              format="json_lines", start="earliest", embed=embed)
    returned = time.perf_counter() - t0
    first_at: float | None = None
    deadline = time.monotonic() + timeout
    rows = 0
    while rows < n:
        if time.monotonic() > deadline:
            raise TimeoutError(f"stream made {rows} of {n} rows queryable in {timeout:.0f}s; "
                               f"status: {dict(ctl.status())}")
        time.sleep(0.02)
        rows = count_rows(cur)
        if rows and first_at is None:
            first_at = time.perf_counter()
    done = time.perf_counter()
    wall, steady = done - t0, done - (first_at or t0)
    status = ctl.status()
    return {"rows": rows, "start_returned_s": round(returned, 3), "seconds_wall": round(wall, 3),
            "seconds_first_row_to_last": round(steady, 3), "rows_per_s_wall": round(n / wall),
            "rows_per_s_first_to_last": round(n / steady), "wall_note": "includes connecting",
            "batches": status.get("batches"), "quarantined": status.get("quarantined"),
            "new_templates": status.get("new_templates"), "last_error": status.get("last_error"),
            "load_avg": load()}


def latency(cur: Any, bootstrap: str, topic: str, m: int, partitions: int, interval: float,
            rng: random.Random, seq0: int) -> dict[str, Any]:
    """Phase 4: M single messages at a steady pace; produce-to-visible per message."""
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0, acks=1)
    sent: dict[tuple[str, int], float] = {}  # (origin, offset) -> perf_counter at send
    markers: dict[tuple[str, int], str] = {}
    lock = threading.Lock()
    errors: list[str] = []

    def pace() -> None:
        nxt = time.perf_counter()
        for i in range(m):
            nxt += interval
            mark = f"lat-{uuid.uuid4().hex[:12]}"
            t_send = time.perf_counter()
            try:
                meta = producer.send(topic, log_line(rng, seq0 + i, {"bench_marker": mark}),
                                     partition=i % partitions).get(timeout=10)
            except Exception as exc:  # noqa: BLE001 - reported, the phase then fails its count
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            key = (f"kafka://{meta.topic}/{meta.partition}", meta.offset)
            with lock:
                sent[key], markers[key] = t_send, mark
            time.sleep(max(0.0, nxt - time.perf_counter()))

    seen: dict[tuple[str, int], float] = {}
    thread = threading.Thread(target=pace, name="bench-latency-producer", daemon=True)
    thread.start()
    deadline = time.monotonic() + m * interval + 60
    try:
        while thread.is_alive() or len(seen) < len(sent):
            if time.monotonic() > deadline:
                raise TimeoutError(f"latency: {len(seen)} of {len(sent)} markers visible at the deadline")
            with lock:
                pending = {k: v for k, v in sent.items() if k not in seen}
            if pending:
                lo = min(k[1] for k in pending)
                origins = sorted({k[0] for k in pending})
                found = cur.execute(
                    f"SELECT origin, origin_offset FROM logs WHERE origin IN ({', '.join('?' * len(origins))}) "
                    "AND origin_offset >= ?", [*origins, lo]).fetchall()
                now = time.perf_counter()
                for key in found:
                    if key in pending:
                        seen[key] = now
            time.sleep(0.01)
    finally:
        thread.join(timeout=30)
        producer.close(timeout=10)
    if errors:
        raise RuntimeError(f"latency produce errors: {errors[:3]}")
    # the markers themselves, once each, in the rows' context
    want = sorted(markers.values())
    got = sorted(r[0] for r in cur.execute(
        "SELECT context->>'bench_marker' FROM logs WHERE context->>'bench_marker' LIKE 'lat-%'").fetchall())
    lat_ms = [(seen[k] - sent[k]) * 1000 for k in sent]
    return {"messages": len(sent), "interval_ms": round(interval * 1000), "poll_every_ms": 10,
            "p50_ms": round(pct(lat_ms, 50), 1), "p90_ms": round(pct(lat_ms, 90), 1),
            "p99_ms": round(pct(lat_ms, 99), 1), "max_ms": round(max(lat_ms), 1),
            "min_ms": round(min(lat_ms), 1), "markers_found_once": got == want,
            "load_avg": load()}


def soak_producer(bootstrap: str, topic: str, partitions: int, rate: float, seconds: float,
                  seq0: int, produced: Any, done: Any) -> None:
    """Child process: send ``rate`` msg/s for ``seconds``, counting acknowledged messages."""
    from kafka import KafkaProducer

    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    rng = random.Random(seq0)
    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=5, acks=1)
    lock = threading.Lock()

    def ok(_meta: Any) -> None:
        with lock:
            produced.value += 1

    t0 = time.perf_counter()
    queued = 0
    try:
        while True:
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
            due = min(int(elapsed * rate), int(seconds * rate))
            while queued < due:
                producer.send(topic, log_line(rng, seq0 + queued), partition=queued % partitions) \
                    .add_callback(ok)
                queued += 1
            time.sleep(0.01)
        producer.flush(timeout=60)
    finally:
        producer.close(timeout=30)
        done.value = 1


def soak(ctl: Any, cur: Any, bootstrap: str, topic: str, partitions: int, rate: float, minutes: float,
         seq0: int, already: int) -> dict[str, Any]:
    """Phase 5: steady production for ``minutes``; RSS every 10 s; exact row count at the end."""
    ctx = mp.get_context("spawn")
    produced, done = ctx.Value("q", 0), ctx.Value("i", 0)
    seconds = minutes * 60
    child = ctx.Process(target=soak_producer, name="bench-soak-producer",
                        args=(bootstrap, topic, partitions, rate, seconds, seq0, produced, done))
    samples: list[dict[str, Any]] = []
    t0 = time.perf_counter()
    child.start()
    try:
        deadline = time.monotonic() + seconds + 120
        next_sample = 0.0
        while not done.value:
            if time.monotonic() > deadline:
                raise TimeoutError("soak producer did not finish in time")
            now = time.perf_counter() - t0
            if now >= next_sample:
                rows = count_rows(cur) - already
                samples.append({"t_s": round(now, 1), "rss_mib": round(rss_mib(), 1),
                                "duckdb_mib": round(sum(duckdb_mib(cur).values()), 1),
                                "produced": produced.value, "rows": rows,
                                "behind": produced.value - rows, "load_1m": load()[0]})
                next_sample += 10.0
            time.sleep(0.2)
        child.join(timeout=60)
        total = produced.value
        caught = time.perf_counter()
        until(lambda: count_rows(cur) - already >= total, 120, "the stream to catch up after the soak", 0.1)
        time.sleep(1.0)  # one more batch window: nothing extra may arrive
        catch_up_s = time.perf_counter() - caught
        end_rss = rss_mib()
        duck_end = duckdb_mib(cur)
        samples.append({"t_s": round(time.perf_counter() - t0, 1), "rss_mib": round(end_rss, 1),
                        "duckdb_mib": round(sum(duck_end.values()), 1),
                        "produced": total, "rows": count_rows(cur) - already, "behind": 0,
                        "load_1m": load()[0]})
        checkpoint = checkpoint_probe(cur)
    finally:
        if child.is_alive():
            child.terminate()
            child.join(10)
    rss = [s["rss_mib"] for s in samples]
    after_1m = next((s["rss_mib"] for s in samples if s["t_s"] >= 60), None)
    half = [(s["t_s"], s["rss_mib"]) for s in samples if s["t_s"] >= samples[-1]["t_s"] / 2]
    slope = slope_per_min(half)
    outside = slope_per_min([(s["t_s"], s["rss_mib"] - s["duckdb_mib"]) for s in samples
                             if s["t_s"] >= samples[-1]["t_s"] / 2])
    duck = slope_per_min([(s["t_s"], s["duckdb_mib"]) for s in samples if s["t_s"] >= samples[-1]["t_s"] / 2])
    return {"minutes": minutes, "target_msg_per_s": rate, "produced": total,
            "achieved_msg_per_s": round(total / seconds),
            "max_behind_rows": max(s["behind"] for s in samples),
            "catch_up_after_end_s": round(catch_up_s, 2),
            "rss_mib": {"start": rss[0], "after_1_min": after_1m, "max": max(rss), "end": rss[-1],
                        "slope_last_half_mib_per_min": None if slope is None else round(slope, 3)},
            "duckdb_mib": {"start": samples[0]["duckdb_mib"], "end": samples[-1]["duckdb_mib"],
                           "end_by_tag": duck_end,
                           "slope_last_half_mib_per_min": None if duck is None else round(duck, 3)},
            "rss_outside_duckdb_slope_last_half_mib_per_min": None if outside is None else round(outside, 3),
            "checkpoint_probe": checkpoint, "samples": samples, "load_avg_end": load()}


# ------------------------------------------------------------------ main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=200000,
                    help="messages for phases 1-3 (enough that start-up costs do not dominate)")
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=10.0, help="length of the memory soak")
    ap.add_argument("--skip-soak", action="store_true")
    ap.add_argument("--latency-messages", type=int, default=200)
    ap.add_argument("--latency-interval-ms", type=int, default=50)
    ap.add_argument("--soak-rate", type=float, default=1000.0, help="messages per second in the soak")
    ap.add_argument("--no-embed", action="store_true", help="stream without embedding new templates")
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)

    logging.getLogger("kafka").setLevel(logging.CRITICAL)
    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest.stream_kernel import StreamController

    rng = random.Random(args.seed)
    n, parts = args.messages, args.partitions
    result: dict[str, Any] = {
        "benchmark": "stream_throughput", "started_utc": dt.datetime.now(dt.timezone.utc).isoformat(),
        "machine": {"cpus": os.cpu_count(), "load_avg_at_start": load(), "python": sys.version.split()[0]},
        "params": {"messages": n, "partitions": parts, "minutes": 0 if args.skip_soak else args.minutes,
                   "latency_messages": args.latency_messages, "soak_rate": args.soak_rate,
                   "embed": not args.no_embed, "stream_batch_size": 10000, "stream_batch_ms": 500},
        "rss_mib_before_stream": round(rss_mib(), 1),
    }
    with tempfile.TemporaryDirectory(prefix="lp-stream-bench-") as tmp:
        root = Path(tmp)
        broker = LoopbackBroker(root / "kafka-data").start()
        ws = ctl = None
        try:
            import kafka

            result["machine"]["kafka_python"] = kafka.__version__
            from kafka.record import util as krec

            # The record-batch CRC check dominates a pure-Python consume: name which one ran.
            result["machine"]["kafka_crc32c"] = "C (crc32c)" if getattr(krec, "crc32c_c", None) else "pure Python"
            topic = f"payments-{uuid.uuid4().hex[:6]}"
            broker.topic(topic, parts)
            print(f"[1/5] producing {n:,} lines to {topic} ({parts} partitions)", file=sys.stderr)
            result["produce"] = produce_bulk(broker.bootstrap, topic, n, parts, rng)
            print("[2/5] raw kafka-python consume", file=sys.stderr)
            result["raw_consume"] = raw_consume(broker.bootstrap, topic, n, timeout=600)
            print("[3/5] LogPilot stream, consume to queryable", file=sys.stderr)
            ws = Workspace(root / "ws")
            # DuckDB keeps written blocks cached up to this limit (LOGPILOT_MEMORY_LIMIT)
            result["params"]["workspace_memory_limit"] = ws.settings.memory_limit
            ctl = StreamController(lambda: ws)
            cur = ws.cursor()
            st = stream_catch_up(ctl, cur, broker.bootstrap, topic, n, not args.no_embed,
                                 timeout=max(300.0, n / 200))
            raw = result["raw_consume"]
            st["ratio_to_raw_wall"] = round(st["rows_per_s_wall"] / raw["msg_per_s_wall"], 3)
            st["ratio_to_raw_first_to_last"] = round(
                st["rows_per_s_first_to_last"] / raw["msg_per_s_first_to_last"], 3)
            result["stream"] = st
            time.sleep(1.0)
            if count_rows(cur) != n:
                raise RuntimeError(f"after catch-up logs holds {count_rows(cur)} rows, expected {n}")
            print(f"[4/5] latency, {args.latency_messages} paced messages", file=sys.stderr)
            result["latency"] = latency(cur, broker.bootstrap, topic, args.latency_messages, parts,
                                        args.latency_interval_ms / 1000, rng, n)
            already = n + result["latency"]["messages"]
            if not args.skip_soak:
                print(f"[5/5] soak {args.minutes:g} min at {args.soak_rate:g} msg/s", file=sys.stderr)
                result["soak"] = soak(ctl, cur, broker.bootstrap, topic, parts, args.soak_rate,
                                      args.minutes, n + 1_000_000, already)
            produced = already + (result["soak"]["produced"] if "soak" in result else 0)
            rows, distinct = cur.execute(
                "SELECT count(*), count(DISTINCT (origin, origin_offset)) FROM logs").fetchone()
            offsets = cur.execute('SELECT sum(next_offset) FROM stream_offsets').fetchone()[0]
            status = ctl.status()
            result["final"] = {"produced": produced, "rows": rows, "distinct_provenance": distinct,
                               "stored_next_offsets_sum": int(offsets or 0),
                               "exactly_once": rows == distinct == produced,
                               "quarantined": status.get("quarantined"),
                               "last_error": status.get("last_error"), "state": status.get("state")}
        finally:
            if ctl is not None:
                stopped = ctl.stop()
                result.setdefault("final", {})["stopped_state"] = stopped.get("state")
            if ws is not None:
                ws.close()
            broker.stop()
    result["finished_utc"] = dt.datetime.now(dt.timezone.utc).isoformat()
    print(json.dumps(result, indent=2))
    print(summary(result))
    return 0 if result["final"].get("exactly_once") else 1


def summary(r: dict[str, Any]) -> str:
    raw, st, lat = r["raw_consume"], r["stream"], r["latency"]
    lines = [
        f"stream_throughput: {r['params']['messages']:,} msgs, {r['params']['partitions']} partitions, "
        f"load avg at start {r['machine']['load_avg_at_start']}, kafka-python CRC32C: "
        f"{r['machine'].get('kafka_crc32c')}, DuckDB memory_limit {r['params'].get('workspace_memory_limit')}",
        f"  produce (kafka-python):  {r['produce']['msg_per_s']:,} msg/s",
        f"  raw consume:             {raw['msg_per_s_wall']:,} msg/s wall ({raw['seconds_wall']} s incl. group join), "
        f"{raw['msg_per_s_first_to_last']:,} msg/s first-to-last",
        f"  LogPilot to queryable:   {st['rows_per_s_wall']:,} rows/s wall ({st['seconds_wall']} s), "
        f"{st['rows_per_s_first_to_last']:,} rows/s first-to-last; ratio to raw "
        f"{st['ratio_to_raw_wall']} (wall) / {st['ratio_to_raw_first_to_last']} (first-to-last)",
        f"  produce->visible:        p50 {lat['p50_ms']} ms, p99 {lat['p99_ms']} ms, max {lat['max_ms']} ms "
        f"({lat['messages']} msgs every {lat['interval_ms']} ms)",
    ]
    if "soak" in r:
        s = r["soak"]
        m = s["rss_mib"]
        lines.append(
            f"  soak {s['minutes']:g} min @ {s['achieved_msg_per_s']:,} msg/s: RSS start {m['start']} MiB, "
            f"1 min {m['after_1_min']}, max {m['max']}, end {m['end']}; last-half slope "
            f"{m['slope_last_half_mib_per_min']} MiB/min (DuckDB-accounted {s['duckdb_mib']['slope_last_half_mib_per_min']}, "
            f"outside DuckDB {s['rss_outside_duckdb_slope_last_half_mib_per_min']}); "
            f"max behind {s['max_behind_rows']:,} rows")
        ck = s["checkpoint_probe"]
        lines.append(
            f"  after the soak: WAL {ck['before']['wal_size']}, DuckDB {sum(ck['before']['duckdb_mib_by_tag'].values()):.1f} MiB; "
            f"manual CHECKPOINT {'refused: ' + ck['checkpoint_error'] if ck['checkpoint_error'] else 'ok'} -> "
            f"WAL {ck['after']['wal_size']}, DuckDB {sum(ck['after']['duckdb_mib_by_tag'].values()):.1f} MiB")
    f = r["final"]
    lines.append(f"  final: produced {f['produced']:,}, rows {f['rows']:,}, distinct provenance "
                 f"{f['distinct_provenance']:,} -> exactly once: {f['exactly_once']}")
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
