"""``logpilot worker``: the kernel's stream loop as an always-on foreground daemon.

Same :class:`~logpilot_kernel.ingest.stream.StreamConsumer` as the notebook thread, run in
the foreground with structured (JSON lines) logs on stderr, a health file rewritten every
second and optionally an HTTP health endpoint on 127.0.0.1, and a graceful SIGTERM
(flush, commit, exit 0) so a Kubernetes rollout never loses or repeats a message.

Two modes: ``--workspace W`` writes into the workspace's DuckDB file (one writer per
file: one worker per workspace); ``--segments DIR`` writes Parquet segments and scales out
to any number of workers in one consumer group (see ``stream_sinks.SegmentStream``).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..atomic import write_text
from ..errors import LogPilotError

# The stream stack (duckdb, kafka, pyarrow) and http.server load only when a worker runs:
# `logpilot --help` registers `worker` from this module and must not pay for them (issue 16).
if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    from .stream import StreamConsumer

_STD_ATTRS = set(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    """One JSON object per line: what log shippers (and ``jq``) read without a parser rule."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname, "logger": record.name, "msg": record.getMessage(),
        }
        out.update({k: v for k, v in record.__dict__.items() if k not in _STD_ATTRS})
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, default=str)


def add_subcommands(subparsers: Any) -> None:
    """Register ``worker`` on the ``logpilot`` command's subparsers (wired by the CLI)."""
    from ..cli_args import add_workspace, duration_ms, folder, out_file, port, positive_int, text
    from ..config import STREAM_DEFAULTS as D

    p = subparsers.add_parser("worker", help="consume Kafka topics into a workspace or Parquet segments")
    add_workspace(p, help="workspace folder (required unless --segments is given)")
    p.add_argument("--bootstrap-servers", required=True, type=text, help="host:port[,host:port] of the brokers")
    p.add_argument("--topic", action="append", required=True, dest="topics", type=text,
                   help="topic to consume (repeat for several)")
    p.add_argument("--group", required=True, type=text,
                   help="consumer group id (workers of one group split partitions)")
    p.add_argument("--format", default=None, type=text, metavar="RULE",
                   help="registry rule of the messages (default: detect once; json_lines for JSON topics)")
    p.add_argument("--source", default=None, type=text,
                   help="golden `source` of the rows (default: the rule's name)")
    p.add_argument("--segments", default=None, metavar="DIR", type=folder,
                   help="scale-out mode: write Parquet segments under DIR instead of the DuckDB file")
    p.add_argument("--batch-size", type=positive_int, default=D.batch_size,
                   help="flush after this many messages (default: %(default)s)")
    p.add_argument("--batch-ms", type=duration_ms, default=D.batch_ms,
                   help="... or when the oldest pending one is this old (ms, or with a unit: 2s; "
                   "default: %(default)s ms)")
    p.add_argument("--max-record-bytes", type=positive_int, default=D.max_record_bytes,
                   help="larger messages are quarantined (default: %(default)s)")
    p.add_argument("--start", choices=D.starts, default=D.start,
                   help="where a partition with no stored position starts (default: %(default)s)")
    p.add_argument("--max-poll-interval-ms", type=duration_ms, default=D.max_poll_interval_ms,
                   help="rebalance wait for a silent member (a killed worker holds partitions this long; "
                   "default: %(default)s ms)")
    p.add_argument("--health-file", default=None, type=out_file,
                   help="JSON status rewritten every second (default: <workspace or DIR>/health/<worker>.json)")
    p.add_argument("--health-port", type=port, default=None,
                   help="serve GET /healthz (200 running, 503 otherwise) on 127.0.0.1:PORT")
    p.add_argument("--worker-id", default=None, type=text, help="name in logs, health file and miner state")
    p.add_argument("--no-embed", action="store_true", help="do not embed new templates into Chroma")
    p.add_argument("--log-level", default=None, choices=("DEBUG", "INFO", "WARNING", "ERROR"),
                   help="default: the workspace's log_level setting (LOGPILOT_LOG_LEVEL, logpilot.toml)")
    p.set_defaults(func=cmd_worker)


def build_consumer(args: argparse.Namespace) -> tuple[StreamConsumer, Any]:
    """The consumer the arguments describe, and the workspace it holds open (or None)."""
    from .stream import StreamOptions

    opts = StreamOptions(
        bootstrap_servers=args.bootstrap_servers, topics=list(args.topics), group=args.group,
        format=args.format, source=args.source, batch_size=args.batch_size, batch_ms=args.batch_ms,
        max_record_bytes=args.max_record_bytes, start=args.start,
        max_poll_interval_ms=args.max_poll_interval_ms,
        client_id=f"logpilot-worker-{args.worker_id}" if args.worker_id else None,
    ).check()
    if args.segments:
        from .registry import Registry
        from .stream_sinks import SegmentStream

        registry = Registry(Path(args.workspace) / "rules.json") if args.workspace else None
        return SegmentStream(args.segments, opts, worker_id=args.worker_id, registry=registry), None
    if not args.workspace:
        raise LogPilotError("worker: give --workspace W (DuckDB mode) or --segments DIR (scale-out mode)")
    from ..workspace import Workspace
    from .stream_sinks import WorkspaceStream

    ws = Workspace(args.workspace)
    try:
        return WorkspaceStream(ws, opts, embed=not args.no_embed), ws
    except Exception:
        ws.close()
        raise


def _settings_level(args: argparse.Namespace) -> str:
    """The ``log_level`` setting of the worker's workspace (or of the environment)."""
    from ..config import load_settings

    return load_settings(args.workspace).log_level


def cmd_worker(args: argparse.Namespace) -> int:
    """Run until SIGTERM/SIGINT; exit 0 after a clean flush and commit."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("logpilot")
    root.handlers[:] = [handler]
    root.setLevel(args.log_level or _settings_level(args))
    root.propagate = False
    logging.getLogger("kafka").setLevel(logging.ERROR)  # its reconnect chatter is in our status
    args.worker_id = args.worker_id or f"{os.uname().nodename}-{os.getpid()}"
    consumer, ws = build_consumer(args)
    base = Path(args.segments or args.workspace)
    health = Path(args.health_file) if args.health_file else base / "health" / f"{args.worker_id}.json"
    log = logging.getLogger("logpilot.worker")

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("signal received, flushing", extra={"event": "signal", "signal": signal.Signals(signum).name})
        consumer.stop()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    reporter = _HealthReporter(consumer, health, args.worker_id, args.health_port)
    log.info("worker starting", extra={"event": "start", "worker": args.worker_id, "topics": args.topics,
                                       "group": args.group, "mode": "segments" if args.segments else "duckdb",
                                       "health_file": str(health)})
    try:
        consumer.run()
    finally:
        reporter.close()
        if ws is not None:
            ws.close()
    snap = consumer.status.snapshot()
    log.info("worker stopped", extra={"event": "stop", "rows_written": snap["rows_written"],
                                      "quarantined": snap["quarantined"], "positions": snap["positions"]})
    return 0


class _HealthReporter:
    """Health file (atomic rewrite every second) and optional ``/healthz`` on loopback."""

    def __init__(self, consumer: StreamConsumer, path: Path, worker_id: str, port: int | None) -> None:
        self.consumer, self.path, self.worker_id = consumer, path, worker_id
        self._done = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        if port is not None:
            from http.server import ThreadingHTTPServer

            self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
            threading.Thread(target=self._server.serve_forever, name="logpilot-health-http",
                             daemon=True).start()
        self._thread = threading.Thread(target=self._loop, name="logpilot-health-file", daemon=True)
        self._thread.start()

    def snapshot(self) -> dict[str, Any]:
        snap = self.consumer.status.snapshot()
        snap.update(worker=self.worker_id, pid=os.getpid(), updated_at=time.time())
        return snap

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        from http.server import BaseHTTPRequestHandler

        reporter = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                snap = reporter.snapshot()
                ok = self.path.startswith("/healthz") and snap["state"] in ("running", "starting", "connecting")
                body = json.dumps(snap, default=str).encode()
                self.send_response(200 if ok else 503)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    def _write(self) -> None:
        write_text(self.path, json.dumps(self.snapshot(), default=str))  # the one atomic-write helper

    def _loop(self) -> None:
        while not self._done.wait(1.0):
            try:
                self._write()
            except OSError:
                pass

    def close(self) -> None:
        self._done.set()
        self._thread.join(timeout=5)
        try:
            self._write()  # final state: "stopped", with the last positions
        except OSError:
            pass
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()


def main(argv: list[str] | None = None) -> int:
    """``python -m logpilot_kernel.ingest.worker ...``: the worker without the full CLI."""
    parser = argparse.ArgumentParser(prog="logpilot")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except LogPilotError as exc:
        print(f"logpilot: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
