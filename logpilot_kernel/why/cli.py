"""``logpilot why "question"``: the why-engine from a terminal.

``add_subcommands(subparsers)`` registers ``why`` on the main parser (``logpilot_kernel.cli``),
so the one ``main`` keeps turning LogPilot errors into one line and exit status 2. JSON
output always has the keys ``window``, ``root_causes`` (each with ``template``,
``service``, ``score``), ``evidence`` and ``narrative``.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any


def cmd_why(args: argparse.Namespace) -> int:
    """Answer a why-question and print it as text or JSON."""
    from ..workspace import Workspace
    from . import why

    with Workspace(args.workspace) as ws:
        ans = why(ws, args.question or "", since=args.since, until=args.until,
                  service=args.service or None, entity=args.entity, now=args.now)
    if args.format == "json":
        print(ans.to_json())
        return 0
    for w in ans.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if ans.scope.time is not None:
        print(f"time: {ans.scope.time.label} (read from {ans.scope.time.text.strip()!r})")
    if ans.window is not None:
        print(f"window: {ans.window.start} .. {ans.window.end} ({ans.window.how})")
    for i, r in enumerate(ans.root_causes[:args.top], 1):
        print(f"{i:2}. [{r['score']:.3f}] {r['service']}: {r['template']}")
    print()
    print(ans.narrative)
    return 0


def add_subcommands(subparsers: Any) -> None:
    """Register ``why`` on the ``logpilot`` sub-parser collection."""
    p = subparsers.add_parser("why", help="evidence-first root cause of a symptom "
                                          "(or 'what is abnormal?')")
    p.add_argument("question", nargs="?", default="",
                   help="e.g. 'why is checkout failing?', 'why did user u42 fail?', "
                        "'what is abnormal?'")
    p.add_argument("--workspace", "-w", default=None,
                   help="workspace folder (default: $LOGPILOT_HOME or ./logpilot-workspace)")
    p.add_argument("--since", default=None, help="ISO time (UTC): start of the scope")
    p.add_argument("--until", default=None, help="ISO time (UTC): end of the scope; a range "
                   "of 90 minutes or less is taken as the incident window itself")
    p.add_argument("--service", action="append", default=[], help="restrict the symptom to a "
                   "service (repeatable)")
    p.add_argument("--entity", default=None, help="a user, order, IP or trace id to follow")
    p.add_argument("--now", default=None, help="ISO time relative phrases refer to "
                   "(default: the real clock, UTC)")
    p.add_argument("--format", choices=["text", "json"], default="text")
    p.add_argument("--top", type=int, default=5, help="root-cause candidates shown as text")
    p.set_defaults(func=cmd_why)
