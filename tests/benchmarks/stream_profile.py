"""Where a stream batch's time goes: per-stage seconds for N messages, beside the raw consume.

usage: python tests/benchmarks/stream_profile.py [--messages 200000] [--batch-size 10000]

Produces N JSON lines to a real noida-db broker on 127.0.0.1, measures a raw kafka-python
consume of them, then the floor of any consume-to-DuckDB stream (poll and append the raw
values to a DuckDB file, nothing else), then streams them into a fresh workspace (no
embedding) with a timer around each stage of the loop: poll (the loop thread), and on
the writer thread the poison checks, parsing, mining, the rest of ``prepare`` and the
DuckDB write. The stages on the writer thread add up to its busy time; the slowest
thread bounds the rate. Each stage also reports the CPU its calling thread used (DuckDB's
own worker threads not included), and each phase the CPU of this process and of the
broker per message: on a 2-core machine that shares its cores with the broker, CPU per
message, not waiting, is what bounds the rate.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import logging
import random
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from stream_throughput import cpu_seconds, proc_cpu_seconds, produce_bulk, raw_consume  # noqa: E402

TIMES: collections.Counter[str] = collections.Counter()
THREAD_CPU: collections.Counter[str] = collections.Counter()


def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(fn)
    def wrapper(*a: Any, **k: Any) -> Any:
        t0, c0 = time.perf_counter(), time.thread_time()
        try:
            return fn(*a, **k)
        finally:
            TIMES[name] += time.perf_counter() - t0
            THREAD_CPU[name] += time.thread_time() - c0
    return wrapper


def raw_consume_store(bootstrap: str, topic: str, n: int, db_path: Path, timeout: float,
                      batch: int = 10000) -> dict[str, Any]:
    """The floor of any DuckDB stream: poll, and append each batch's raw values with their
    partition and offset to a DuckDB file table, one transaction per batch (no parsing,
    no mining, no golden columns). What this reaches is the most a consume-to-DuckDB
    stream can reach on this machine; LogPilot's own work comes on top."""
    import duckdb
    import pyarrow as pa
    from kafka import KafkaConsumer

    con = duckdb.connect(str(db_path))
    con.execute("CREATE TABLE raw (p INTEGER, o BIGINT, v VARCHAR)")
    t0, cpu0 = time.perf_counter(), cpu_seconds()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"bench-floor-{uuid.uuid4().hex[:8]}",
                             auto_offset_reset="earliest", enable_auto_commit=False,
                             max_poll_records=batch, session_timeout_ms=6000, heartbeat_interval_ms=1000)
    got, first_at, pending = 0, None, []
    try:
        deadline = time.monotonic() + timeout
        while got < n:
            if time.monotonic() > deadline:
                raise TimeoutError(f"floor consumer stored {got} of {n} in {timeout:.0f}s")
            for records in consumer.poll(timeout_ms=200, max_records=batch).values():
                if records and first_at is None:
                    first_at = time.perf_counter()
                pending.extend(records)
            if len(pending) >= batch or (pending and got + len(pending) >= n):
                tbl = pa.table({"p": pa.array([r.partition for r in pending], pa.int32()),
                                "o": pa.array([r.offset for r in pending], pa.int64()),
                                "v": pa.array([r.value for r in pending], pa.binary()).cast(pa.string())})
                con.register("_batch", tbl)
                con.execute("BEGIN")
                con.execute("INSERT INTO raw SELECT * FROM _batch")
                con.execute("COMMIT")
                con.unregister("_batch")
                got += len(pending)
                pending = []
        done, cpu = time.perf_counter(), cpu_seconds() - cpu0
        stored = con.execute("SELECT count(*) FROM raw").fetchone()[0]
    finally:
        consumer.close(autocommit=False)
        con.close()
    steady = done - (first_at or t0)
    return {"messages": got, "rows_stored": stored, "seconds_first_to_last": round(steady, 3),
            "rows_per_s_first_to_last": round(n / steady), "cpu_us_per_message": round(cpu * 1e6 / n, 2)}


def threads_cpu() -> dict[str, float]:
    """CPU seconds per thread of this process (/proc/self/task), by Python thread name;
    threads Python does not know (DuckDB's workers) are summed as "native"."""
    import os

    names = {th.native_id: th.name for th in threading.enumerate()}
    out: collections.Counter[str] = collections.Counter()
    tick = os.sysconf("SC_CLK_TCK")
    for task in Path("/proc/self/task").iterdir():
        try:
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        name = names.get(int(task.name), "native (DuckDB workers, ...)")
        out[name.split("-kafka-python")[0]] += (int(fields[11]) + int(fields[12])) / tick
    return dict(out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--messages", type=int, default=200000)
    ap.add_argument("--partitions", type=int, default=4)
    ap.add_argument("--batch-size", type=int, default=10000)
    args = ap.parse_args(argv)
    logging.getLogger("kafka").setLevel(logging.CRITICAL)

    import kafka

    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest import stream as stream_mod
    from logpilot_kernel.ingest.devbroker import LoopbackBroker
    from logpilot_kernel.ingest.mining import TemplateMiner
    from logpilot_kernel.ingest.stream import StreamOptions
    from logpilot_kernel.ingest.stream_sinks import WorkspaceStream

    # Stage timers: wrapped at their call sites, so the product code is unchanged.
    stream_mod.split_poison = timed("poison checks", stream_mod.split_poison)
    stream_mod.parse_records = timed("parse (registry rule in DuckDB)", stream_mod.parse_records)
    TemplateMiner.mine = timed("mine (masks + Drain)", TemplateMiner.mine)
    WorkspaceStream.prepare = timed("prepare (all of the above + golden columns)", WorkspaceStream.prepare)
    WorkspaceStream.write_batch = timed("write (DuckDB transaction)", WorkspaceStream.write_batch)
    kafka.KafkaConsumer.poll = timed("poll (loop thread, waiting included)", kafka.KafkaConsumer.poll)

    n = args.messages
    with tempfile.TemporaryDirectory(prefix="lp-stream-profile-") as tmp:
        root = Path(tmp)
        broker = LoopbackBroker(root / "kafka-data").start()
        try:
            broker.topic("profile", args.partitions)
            produce_bulk(broker.bootstrap, "profile", n, args.partitions, random.Random(7))
            b0 = proc_cpu_seconds(broker.proc.pid)
            raw = raw_consume(broker.bootstrap, "profile", n, timeout=600)
            raw["broker_cpu_us_per_message"] = round((proc_cpu_seconds(broker.proc.pid) - b0) * 1e6 / n, 2)
            floor = raw_consume_store(broker.bootstrap, "profile", n, root / "floor.duckdb", timeout=600,
                                      batch=args.batch_size)
            TIMES.clear()
            THREAD_CPU.clear()
            ws = Workspace(root / "ws")
            opts = StreamOptions(bootstrap_servers=broker.bootstrap, topics=["profile"], group="profile",
                                 format="json_lines", start="earliest", batch_size=args.batch_size)
            consumer = WorkspaceStream(ws, opts, embed=False)
            thread = threading.Thread(target=consumer.run, name="logpilot-stream")
            t0, cpu0, b0 = time.perf_counter(), cpu_seconds(), proc_cpu_seconds(broker.proc.pid)
            th0 = threads_cpu()
            thread.start()
            cur = ws.cursor()
            first = None
            while True:
                rows = cur.execute("SELECT count(*) FROM logs").fetchall()[0][0]
                if rows and first is None:
                    first = time.perf_counter()
                if rows >= n:
                    break
                if time.perf_counter() - t0 > max(300.0, n / 200):
                    raise TimeoutError(f"{rows} of {n} rows after {time.perf_counter() - t0:.0f}s")
                time.sleep(0.01)
            done, cpu = time.perf_counter(), cpu_seconds() - cpu0
            broker_cpu = proc_cpu_seconds(broker.proc.pid) - b0
            th1 = threads_cpu()
            consumer.stop()
            thread.join()
            cur.close()
            ws.close()
        finally:
            broker.stop()
    steady = done - (first or t0)
    stages = {k: round(v, 3) for k, v in TIMES.most_common()}
    result = {
        "messages": n, "batch_size": args.batch_size, "raw_consume": raw,
        "floor_consume_and_append_raw": {**floor, "ratio_to_raw_first_to_last": round(
            floor["rows_per_s_first_to_last"] / raw["msg_per_s_first_to_last"], 3)},
        "stream": {"seconds_wall": round(done - t0, 3), "seconds_first_to_last": round(steady, 3),
                   "rows_per_s_wall": round(n / (done - t0)),
                   "rows_per_s_first_to_last": round(n / steady),
                   "ratio_to_raw_first_to_last": round(n / steady / raw["msg_per_s_first_to_last"], 3),
                   "cpu_us_per_message": round(cpu * 1e6 / n, 2),
                   "cpu_cores_busy": round(cpu / (done - t0), 2),
                   "broker_cpu_us_per_message": round(broker_cpu * 1e6 / n, 2)},
        "stage_seconds": stages,
        "thread_cpu_us_per_message": {k: round((v - th0.get(k, 0.0)) * 1e6 / n, 2)
                                      for k, v in sorted(th1.items(), key=lambda kv: -(kv[1] - th0.get(kv[0], 0.0)))
                                      if v - th0.get(k, 0.0) > 0},
        "stage_us_per_message": {k: round(v * 1e6 / n, 1) for k, v in TIMES.most_common()},
        "stage_calling_thread_cpu_us_per_message": {k: round(THREAD_CPU[k] * 1e6 / n, 1) for k, _ in TIMES.most_common()},
    }
    print(json.dumps(result, indent=2))
    print(f"stream_profile: {n:,} msgs, batch {args.batch_size:,}: raw {raw['msg_per_s_first_to_last']:,} msg/s, "
          f"stream {result['stream']['rows_per_s_first_to_last']:,} rows/s first to last "
          f"({result['stream']['rows_per_s_wall']:,} start to last); CPU per message: "
          f"raw {raw['cpu_us_per_message']} us, stream {result['stream']['cpu_us_per_message']} us "
          f"({result['stream']['cpu_cores_busy']} cores busy); broker CPU per message: raw "
          f"{raw['broker_cpu_us_per_message']} us, stream {result['stream']['broker_cpu_us_per_message']} us")
    print(f"  floor (poll + append raw values to DuckDB, nothing else): {floor['rows_per_s_first_to_last']:,} rows/s "
          f"= {result['floor_consume_and_append_raw']['ratio_to_raw_first_to_last']} of raw, "
          f"CPU {floor['cpu_us_per_message']} us/msg")
    for k, us in result["stage_us_per_message"].items():
        print(f"  {k:45s} {stages[k]:7.2f} s  {us:6.1f} us/msg  (its thread's CPU "
              f"{result['stage_calling_thread_cpu_us_per_message'][k]:5.1f} us/msg)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
