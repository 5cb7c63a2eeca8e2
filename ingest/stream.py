"""Streaming ingestion: Kafka topics -> golden rows, with at-least-once reads made exactly-once.

Why this shape: the kernel thread, the ``logpilot worker`` daemon and the scale-out
worker are one loop with different places to put rows. :class:`StreamConsumer` owns the
Kafka lifecycle (connect, rebalance, poll, parse with the schema registry, mine templates,
commit offsets, back off and reconnect) and delegates the rest to parts that need no
broker (``stream_parts``): the :class:`Batcher` (size and time), the :class:`Positions`
of the partitions it owns, the typed :class:`Status` on a :class:`StatusBoard`, and a
:class:`Sink` that makes batches durable, says where a partition resumes and where
history ends. See ``stream_sinks`` for the DuckDB and Parquet-segment sinks and
``stream_kernel`` for the notebook controller.

Delivery: a batch is first made durable by ``write_batch`` (which also records the next
offset per partition next to the rows), and only then committed to Kafka. Inserts are
idempotent on provenance ``(kafka://topic/partition, offset)``, so replaying a batch after a
crash adds nothing; a ``kill -9`` at any moment ends, after a restart, with every message
exactly once. Poison messages (empty, not UTF-8, NUL bytes, over the size limit, invalid
JSON on a JSON topic) become quarantine entries with a reason; the stream goes on.

Time is injectable (``clock`` and ``sleep``) so batching and back-off are testable
without waiting.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
import uuid
from typing import Any, Sequence

import duckdb
import pyarrow as pa

from .enrich import PROBE_ROWS, QUARANTINE_SCHEMA, tune_rule
from .mining import TemplateMiner
from .registry import Registry, Rule, parse_records
from .staging import empty_golden, golden, stage
from .stream_parts import (
    D, Backoff, Batch, Batcher, BatchWriter, Clock, Partition, Positions, Sink, SinkContext, Sleep, Status,
    StatusBoard, StreamError, StreamOptions, _now_iso, origin_of, split_poison,
)

log = logging.getLogger("logpilot.stream")

#: Messages sampled to detect the format of a raw-line topic.
DETECT_SAMPLE = 400
#: Seconds between re-orderings of the rule's timestamp formats by success (a probe query).
RETUNE_S = 60.0

class StreamConsumer:
    """The consume -> parse -> mine -> durable write -> commit loop, writing into ``sink``.

    :meth:`run` blocks until :meth:`stop`. ``WorkspaceStream`` and ``SegmentStream``
    (``stream_sinks``) are this loop with their sink.
    """

    def __init__(self, options: StreamOptions, sink: Sink, *, registry: Registry | None = None,
                 miner: TemplateMiner | None = None, clock: Clock = time.monotonic,
                 sleep: Sleep | None = None, status: StatusBoard | None = None) -> None:
        self.options = options.check()
        self.sink = sink
        self.registry = registry or Registry.default()
        self.miner = miner or TemplateMiner()
        self.clock = clock
        self._stop = threading.Event()
        self._sleep = sleep or (lambda s: self._stop.wait(s))
        self.status = status or StatusBoard(clock)
        self.backoff = Backoff(options.backoff_initial, options.backoff_max, clock)
        self.batcher = Batcher(options.batch_size, options.batch_ms, clock)
        self.run_id = "stream-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S") \
            + "-" + uuid.uuid4().hex[:6]
        self.rule: Rule | None = self.registry.get(options.format) if options.format else None
        self._con = duckdb.connect()  # parsing and mining scratch space, never the workspace
        self._con.execute("SET TimeZone = 'UTC'")
        self._consumer: Any = None
        self.positions = Positions()  # changed under _flush_lock (revocations run on Kafka's thread)
        self._flush_lock = threading.RLock()
        self._paused = False
        self._write_failing = False
        self._next_probe = 0.0
        self._writer: BatchWriter | None = None  # exists while run() runs
        self._tuned: tuple[Rule, Rule, float] | None = None  # (rule, tuned rule, when)

    # ------------------------------------------------------------------ the sink
    @property
    def use_group(self) -> bool:
        """Consumer-group assignment (scale-out) or every partition to this one consumer. A
        workspace has one writer anyway (the DuckDB file lock), and a member that died by
        ``kill -9`` blocks a group's rebalance until the broker expires it (never, on some
        brokers), so the DuckDB sink takes all partitions itself."""
        return bool(self.sink.use_group)

    def write_batch(self, batch: Batch) -> None:
        """Make ``batch`` durable through the sink (see :class:`Sink`)."""
        self.sink.write(batch)

    def stored_positions(self, partitions: Sequence[Partition]) -> dict[Partition, int]:
        return self.sink.stored_positions(partitions)

    def handover_mark(self) -> dt.datetime | None:
        return self.sink.handover_mark()

    def open_sink(self) -> None:
        self.sink.open(SinkContext(run_id=self.run_id, options=self.options, status=self.status,
                                   miner=self.miner, clock=self.clock))

    def close_sink(self) -> None:
        self.sink.close()

    # ------------------------------------------------------------------ lifecycle
    def stop(self) -> None:
        """Ask the loop to flush, commit and return (safe from any thread or signal handler)."""
        self._stop.set()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self) -> None:
        """Consume until :meth:`stop`; never raises for broker or data trouble (see status)."""
        self.status.set(state="starting", started_at=_now_iso(), topics=self.options.topics,
                        group=self.options.group, run_id=self.run_id,
                        rule=self.rule.name if self.rule else None, source=self._source())
        self.open_sink()
        self._writer = BatchWriter(self._prepare_and_write)
        try:
            while not self._stop.is_set():
                if self._consumer is None:
                    wait = self.backoff.remaining()
                    if wait > 0:
                        self._sleep(min(wait, 0.25))
                        continue
                    try:
                        self._connect()
                    except Exception as exc:  # noqa: BLE001 - broker trouble is a state, not a crash
                        self._failed("connect", exc)
                    continue
                try:
                    self._step()
                except _WriteFailed as exc:
                    self._write_failing = True
                    self._failed("write", exc.__cause__ or exc)  # batch kept, nothing committed
                except Exception as exc:  # noqa: BLE001
                    self._failed("broker", exc)
                    self._drop_consumer()
            self._final_flush()
        finally:
            self._drop_consumer()
            writer, self._writer = self._writer, None
            if writer is not None:
                writer.close()
            try:
                self.close_sink()
            finally:
                self.status.set(state="stopped")
                self._con.close()

    def _failed(self, where: str, exc: BaseException) -> None:
        delay = self.backoff.failure()
        text = f"{where}: {type(exc).__name__}: {exc}"
        self.status.error(text)
        self.status.set(state="backing-off", retry_in_s=round(delay, 2))
        log.warning("stream %s failed, retrying in %.1fs", where, delay,
                    extra={"event": "stream_error", "error": text, "retry_in_s": delay})

    def _connect(self) -> None:
        from kafka import KafkaConsumer

        o = self.options
        cfg: dict[str, Any] = dict(
            bootstrap_servers=o.bootstrap_servers.split(","), group_id=o.group,
            enable_auto_commit=False, auto_offset_reset="latest" if o.start == "latest" else "earliest",
            max_poll_records=o.batch_size, session_timeout_ms=o.session_timeout_ms,
            heartbeat_interval_ms=o.heartbeat_interval_ms, max_poll_interval_ms=o.max_poll_interval_ms,
            bootstrap_timeout_ms=o.connect_timeout_ms,
            request_timeout_ms=max(o.connect_timeout_ms, 1000), fetch_max_wait_ms=min(D.poll_max_ms, o.batch_ms),
            max_partition_fetch_bytes=max(1 << 20, o.max_record_bytes + 1024),
            client_id=o.client_id or f"logpilot-{o.group}",
        )
        cfg.update(o.consumer_config)
        self.status.set(state="connecting")
        consumer = KafkaConsumer(**cfg)
        try:
            known = [(t, p) for t in o.topics for p in sorted(consumer.partitions_for_topic(t) or ())]
            self.positions.known = known
            if self.use_group:
                consumer.subscribe(o.topics, listener=_rebalance_listener(self))
            else:
                missing = [t for t in o.topics if not any(k[0] == t for k in known)]
                if missing:
                    raise StreamError(f"topic {', '.join(missing)} not found on {o.bootstrap_servers}")
                from kafka import TopicPartition

                consumer.assign([TopicPartition(t, p) for t, p in known])
                with self._flush_lock:
                    self.positions.assigned(known)
        except BaseException:
            consumer.close(autocommit=False)
            raise
        self._consumer = consumer
        self.status.set(state="running", retry_in_s=None)
        log.info("connected", extra={"event": "connected", "topics": o.topics, "group": o.group})

    def _drop_consumer(self) -> None:
        consumer, self._consumer = self._consumer, None
        self._paused = False
        if consumer is None:
            return
        try:
            self._flush(commit=False)  # durable even if the broker is gone; positions kept beside rows
        except Exception as exc:  # noqa: BLE001
            self.status.error(f"write: {type(exc).__name__}: {exc}")
        try:
            consumer.close(autocommit=False)
        except Exception:  # noqa: BLE001 - closing a dead connection may fail; nothing to save
            pass

    def _final_flush(self) -> None:
        if self._consumer is None:
            return
        self.status.set(state="stopping")
        for attempt in range(3):
            try:
                self._flush()
                return
            except Exception as exc:  # noqa: BLE001 - report; positions beside rows make a retry safe
                self.status.error(f"final flush: {type(exc).__name__}: {exc}")
                if attempt < 2:
                    time.sleep(0.2)

    def _step(self) -> None:
        # While writes fail, stop fetching once a few batches wait: memory stays bounded and
        # the consumer keeps its place (paused partitions still heartbeat in the group).
        held = self._writer.holding if self._writer is not None else 0
        full = len(self.batcher) + held >= D.pending_batches * self.options.batch_size
        if full != self._paused:
            parts = list(self._consumer.assignment())
            (self._consumer.pause if full else self._consumer.resume)(*parts)
            self._paused = full
        writing = self._writer is not None and self._writer.busy
        timeout = max(D.poll_min_ms, min(D.poll_busy_ms if writing else D.poll_max_ms,
                                         int(self.batcher.wait_hint() * 1000)))
        polled = self._consumer.poll(timeout_ms=timeout, max_records=self.options.batch_size)
        fresh: set[Partition] = set()
        if self.positions.pending:
            fresh = set(self.positions.pending)
            self._assign_positions()  # records polled before the seek may start elsewhere: drop them
        with self._flush_lock:  # only partitions we own and have positioned (see _on_revoked)
            for msgs in polled.values():
                key = (msgs[0].topic, msgs[0].partition) if msgs else None
                if key in self.positions and key not in fresh:
                    self.batcher.add(msgs)
            done = self._settle(wait=False)  # raises _WriteFailed (batch re-queued) on failure
        if done:
            self._commit(done, sync=False)
        if self.batcher.due() and self.backoff.remaining() == 0:  # a failed write waits its back-off
            with self._flush_lock:
                if self._writer is not None and not self._writer.busy:
                    self._writer.submit(self.batcher.take())
        if self.clock() >= self._next_probe:
            self._probe()

    def _probe(self) -> None:
        """Refresh lag from end offsets; also the liveness check (raises when the broker is gone)."""
        from kafka import TopicPartition

        self._next_probe = self.clock() + self.options.lag_interval
        parts = self.positions.probe_targets()
        if not parts:
            return
        ends = self._consumer.end_offsets([TopicPartition(t, p) for t, p in parts],
                                          timeout_ms=self.options.connect_timeout_ms)
        self.status.set(lag=self.positions.lag({(tp.topic, tp.partition): end for tp, end in ends.items()}))
        if not self._write_failing:  # the broker answered: broker back-off is over
            self.backoff.success()
            self.status.set(state="running", retry_in_s=None)

    # ------------------------------------------------------------------ batches
    def _flush(self, commit: bool = True, partitions: set[tuple[str, int]] | None = None) -> None:
        """Write pending messages durably, then (outside the lock) commit them to Kafka.

        The lock makes a flush and a revocation (run on kafka-python's IO thread) exclusive;
        the Kafka commit needs that IO thread, so it must never run under the lock.
        """
        with self._flush_lock:
            earlier = self._settle(wait=True)
            msgs = self.batcher.take(partitions)
            batch = None
            if msgs:
                try:
                    batch = self._prepare_and_write(msgs)
                except Exception as exc:
                    self.batcher.requeue(msgs)
                    raise _WriteFailed(str(exc)) from exc
                self._written(batch)
        if commit and self._consumer is not None:
            offsets = dict(earlier or {})
            if batch is not None:
                offsets.update(batch.offsets)
            if offsets:
                self._commit(offsets)

    def _prepare_and_write(self, msgs: list[Any]) -> Batch:
        """Parse, mine, store; the counts in the status move the moment the rows are visible."""
        batch = self.prepare(msgs)
        self.write_batch(batch)
        self._after_write(batch)
        return batch

    def _written(self, batch: Batch) -> None:
        self.positions.advance(batch.offsets)
        self._publish_positions()
        if self._write_failing:
            self._write_failing = False
            self.backoff.success()
            self.status.set(state="running", retry_in_s=None)

    def _settle(self, wait: bool) -> dict[tuple[str, int], int] | None:
        """Take the background writer's finished batch (waiting for it if ``wait``).

        Call with ``_flush_lock`` held. Returns the offsets to commit to Kafka (the caller
        commits, on the loop's thread); raises :class:`_WriteFailed` after putting a failed
        batch back in front of the pending messages.
        """
        if self._writer is None:
            return None
        got = self._writer.collect(wait=wait)
        if got is None:
            return None
        msgs, batch, error = got
        if error is not None:
            self.batcher.requeue(msgs)
            if not isinstance(error, Exception):
                raise error
            raise _WriteFailed(str(error)) from error
        self._written(batch)
        return dict(batch.offsets)

    def _commit(self, offsets: dict[tuple[str, int], int], sync: bool = True) -> None:
        """Tell Kafka too; informational for us (positions stored beside the rows win), so
        the steady state commits asynchronously and only stop/drop wait for the answer."""
        from kafka import OffsetAndMetadata, TopicPartition

        owned = self.positions.owned(offsets)
        if not owned or self._consumer is None:
            return
        tps = {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in owned.items()}
        try:
            if sync:
                self._consumer.commit(tps)
            else:
                self._consumer.commit_async(tps, callback=self._commit_done)
        except Exception as exc:  # noqa: BLE001 - rows and positions are durable; next commit catches up
            self.status.error(f"commit: {type(exc).__name__}: {exc}")

    def _commit_done(self, offsets: Any, response: Any) -> None:
        if isinstance(response, Exception):
            self.status.error(f"commit: {type(response).__name__}: {response}")

    def _after_write(self, batch: Batch) -> None:
        self.status.add(rows_written=batch.rows.num_rows, quarantined=batch.quarantine.num_rows,
                        messages=batch.messages, batches=1, new_templates=len(batch.new_templates))
        self.status.set(last_batch_at=_now_iso())
        if batch.new_templates:
            self.status.templates(batch.new_templates.values())

    def _publish_positions(self) -> None:
        self.status.set(**self.positions.published())

    def _source(self) -> str | None:
        return self.options.source or (self.rule.name if self.rule else None)

    def prepare(self, messages: Sequence[Any]) -> Batch:
        """Poison split, parse, mine: the batch as it will be stored."""
        offsets: dict[tuple[str, int], int] = {}
        firsts: dict[tuple[str, int], int] = {}
        for m in messages:
            key = (m.topic, m.partition)
            offsets[key] = max(offsets.get(key, -1), m.offset + 1)
            firsts[key] = min(firsts.get(key, m.offset), m.offset)
        json_topic = self.rule is not None and self.rule.kind == "json"
        records, poison = split_poison(messages, self.options.max_record_bytes, json_topic, self._con)
        batch = Batch(rows=pa.table({}), quarantine=poison, offsets=offsets, first_offsets=firsts,
                      messages=len(messages))
        if records.num_rows == 0:
            batch.rows = empty_golden(self._con)
            return batch
        if self.rule is None:
            sample = [r.split("\n", 1)[0] for r in records.column("raw").to_pylist()[:DETECT_SAMPLE]]
            self.rule = self.registry.detect(sample).rule
            self.status.set(rule=self.rule.name, source=self._source())
            log.info("format detected", extra={"event": "detected", "rule": self.rule.name})
            if self.rule.kind == "json":  # re-check the batch as a JSON topic
                return self.prepare(messages)
        ts = [m.timestamp for m in messages if getattr(m, "timestamp", None)]
        mtime = max(ts) / 1000.0 if ts else None
        parsed = parse_records(self._con, records, self._tuned_rule(records),
                               source=self._source() or self.rule.name,
                               file_mtime=mtime, registry=self.registry, tuned=True)
        if parsed.quarantine.num_rows:
            batch.quarantine = pa.concat_tables([poison, parsed.quarantine.cast(QUARANTINE_SCHEMA)])
        rows = parsed.rows
        if rows.num_rows == 0:
            batch.rows = empty_golden(self._con)
            return batch
        # The bulk job's staging path (``staging``): mined like a file's chunk, coarse rows flagged.
        staged = stage(self._con, self.miner, rows)
        res = staged.result
        batch.new_templates, batch.changed_templates = res.new_templates, res.changed_templates
        batch.first_service = {tid: staged.first_service.get(tid) for tid in res.new_templates}
        batch.rows = golden(self._con, staged.table)
        return batch

    def _tuned_rule(self, records: pa.Table) -> Rule:
        """The rule with its timestamp formats in order of success, re-probed once a minute
        (the probe is a query of its own; per batch it cost as much as 1.3 us a message)."""
        now = self.clock()
        t = self._tuned
        if t is None or t[0] is not self.rule or now - t[2] >= RETUNE_S:
            assert self.rule is not None
            tuned = tune_rule(self._con, records, self.rule)
            if records.num_rows < 2 * PROBE_ROWS:
                return tuned  # too small a sample to judge (nothing was probed): next batch
            t = self._tuned = (self.rule, tuned, now)
        return t[1]

    # --------------------------------------------------------------- positions
    def _on_assigned(self, assigned: Sequence[Any]) -> None:
        """IO thread: only note the partitions; blocking consumer calls are not allowed here."""
        with self._flush_lock:
            self.positions.assigned((tp.topic, tp.partition) for tp in assigned)

    def _assign_positions(self) -> None:
        """Main thread: seek each newly assigned partition to where its rows end.

        Order of authority: the position stored beside the rows (exact), Kafka's committed
        offset, the bulk handover mark (offsets by time), then ``start``.
        """
        from kafka import TopicPartition

        with self._flush_lock:
            done = self._settle(wait=True)  # the sink's cursor is free and positions are current
            keys = self.positions.take_pending()
        if done:
            self._commit(done, sync=False)
        mine = {(tp.topic, tp.partition) for tp in self._consumer.assignment()}
        keys = [k for k in keys if k in mine]
        if not keys:
            return
        stored = self.stored_positions(keys)
        mark = self.handover_mark() if self.options.start == "handover" else None
        for key in keys:
            tp = TopicPartition(*key)
            pos, why = stored.get(key), "stored beside the rows"
            if pos is None:
                committed = self._consumer.committed(tp)
                pos, why = (committed, "committed offset") if committed is not None else (None, "")
            if pos is None and mark is not None:
                pos, why = self._offset_after(tp, mark), f"handover mark {mark.isoformat()}"
            if pos is None:
                if self.options.start == "latest":
                    pos = self._consumer.end_offsets([tp])[tp]
                else:
                    pos = self._consumer.beginning_offsets([tp])[tp]
                why = f"{self.options.start} (no stored position)"
            self._consumer.seek(tp, pos)
            with self._flush_lock:
                self.positions.place(key, pos)
            log.info("partition assigned", extra={"event": "assigned", "partition": f"{key[0]}/{key[1]}",
                                                  "offset": pos, "why": why})
        self._publish_positions()

    def _offset_after(self, tp: Any, mark: dt.datetime) -> int:
        """First offset whose timestamp is after ``mark`` (history holds events up to it)."""
        ms = int(mark.replace(tzinfo=dt.timezone.utc).timestamp() * 1000) + 1
        found = self._consumer.offsets_for_times({tp: ms}).get(tp)
        if found is not None:
            return found.offset
        return self._consumer.end_offsets([tp])[tp]  # every message is older: start at the end

    def _on_revoked(self, revoked: Sequence[Any]) -> None:
        """IO thread: store what we hold for these partitions before the next owner starts.

        Every member's revocation completes before any assignment, so the next owner reads
        positions that include this write. No Kafka call here (it would need this thread);
        the positions stored beside the rows are what the next owner trusts.
        """
        keys = {(tp.topic, tp.partition) for tp in revoked}
        with self._flush_lock:
            try:
                self._settle(wait=True)  # the batch in flight lands before the next owner reads
            except Exception as exc:  # noqa: BLE001 - re-queued; what is ours is retried below
                self.status.error(f"write: {type(exc).__name__}: {exc}")
            msgs = self.batcher.take(keys)  # never written by us after this point
            try:
                if msgs:
                    self._prepare_and_write(msgs)
            except Exception as exc:  # noqa: BLE001 - not written means not stored: re-read by the owner
                self.status.error(f"flush on revoke: {type(exc).__name__}: {exc}")
            self.positions.release(keys)
        self._publish_positions()


class _WriteFailed(Exception):
    """The sink refused a batch: nothing was committed; the batch is retried."""


def _rebalance_listener(owner: StreamConsumer) -> Any:
    """A kafka-python rebalance listener delegating to ``owner`` (flush before giving up)."""
    from kafka import ConsumerRebalanceListener

    class _Rebalance(ConsumerRebalanceListener):
        def on_partitions_revoked(self, revoked: Any) -> None:
            owner._on_revoked(list(revoked))

        def on_partitions_assigned(self, assigned: Any) -> None:
            owner._on_assigned(list(assigned))

    return _Rebalance()


__all__ = ["StreamOptions", "StreamConsumer", "StreamError", "Batch", "Batcher", "Backoff", "Positions",
           "Sink", "SinkContext", "Status", "StatusBoard", "split_poison", "origin_of"]
