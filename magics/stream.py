"""``%logpilot stream start|stop|status``: the notebook face of ``pilot.stream``.

Parsing only: the line becomes a typed namespace (errors are one-line ``UsageError``s,
never a dead cell) and the call goes to :class:`StreamController`, so a script doing
``pilot.stream.start(...)`` gets exactly what the magic does.
"""

from __future__ import annotations

from typing import Any

from ..config import STREAM_DEFAULTS as D
from .args import MagicArgumentParser


def _parser() -> MagicArgumentParser:
    p = MagicArgumentParser(prog="%logpilot stream", add_help=True,
                            description="Consume Kafka topics into the open workspace in the background.")
    sub = p.add_subparsers(dest="action", required=True, metavar="start|stop|status",
                           parser_class=MagicArgumentParser)
    s = sub.add_parser("start", help="start consuming (returns at once)")
    s.add_argument("topics", nargs="+", help="topic(s) to consume")
    s.add_argument("--bootstrap-servers", "-b", default=D.bootstrap_servers,
                   help="host:port of a broker (default: %(default)s)")
    s.add_argument("--group", "-g", default=D.kernel_group, help="consumer group id (default: %(default)s)")
    s.add_argument("--format", default=None, help="registry rule (default: detect once)")
    s.add_argument("--source", default=None, help="golden source (default: the rule's name)")
    s.add_argument("--batch-size", type=int, default=D.batch_size,
                   help="flush after this many messages (default: %(default)s)")
    s.add_argument("--batch-ms", type=int, default=D.batch_ms,
                   help="... or when the oldest pending one is this old (default: %(default)s ms)")
    s.add_argument("--max-record-bytes", type=int, default=D.max_record_bytes,
                   help="larger messages are quarantined (default: %(default)s)")
    s.add_argument("--start", choices=D.starts, default=D.start,
                   help="where a partition with no stored position starts (default: %(default)s)")
    s.add_argument("--no-embed", action="store_true", help="do not embed new templates into Chroma")
    t = sub.add_parser("stop", help="flush, commit and stop")
    t.add_argument("--timeout", type=float, default=D.stop_timeout, help="seconds (default: %(default)s)")
    sub.add_parser("status", help="rate, lag per partition, last error, rows written")
    return p


def stream_magic(pilot: Any, argv: list[str]) -> Any:
    """Run ``%logpilot stream ...`` (``argv`` is the words after ``stream``) on ``pilot.stream``."""
    args = _parser().parse_args(argv)
    controller = pilot.stream
    if args.action == "start":
        return controller.start(args.topics, bootstrap_servers=args.bootstrap_servers, group=args.group,
                                format=args.format, source=args.source, batch_size=args.batch_size,
                                batch_ms=args.batch_ms, start=args.start, embed=not args.no_embed,
                                max_record_bytes=args.max_record_bytes)
    if args.action == "stop":
        return controller.stop(timeout=args.timeout)
    return controller.status()


__all__ = ["stream_magic"]
