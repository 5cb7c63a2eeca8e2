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

from ..cli_args import add_format, add_now, add_workspace, iso_time, positive_int, text


def cmd_why(args: argparse.Namespace) -> int:
    """Answer a why-question and print it as text or JSON."""
    from ..workspace import Workspace
    from . import why

    with Workspace.existing(args.workspace) as ws:
        ans = why(ws, args.question or "", since=args.since, until=args.until,
                  service=args.service or None, entity=args.entity, now=args.now,
                  window=args.window)
    if args.format == "json":
        print(ans.to_json())
        return 0
    for w in ans.warnings:
        print(f"warning: {w}", file=sys.stderr)
    if ans.scope.time is not None:
        print(f"time: {ans.scope.time.label} (read from {ans.scope.time.text.strip()!r})")
    if ans.window is not None:
        print(f"window: {ans.window.start} .. {ans.window.end} ({ans.window.how})")
    if len(ans.windows) > 1:
        print("windows: " + "; ".join(
            f"{'*' if i == ans.selected else ''}#{i} {w.start:%Y-%m-%d %H:%M}..{w.end:%H:%M} "
            f"({w.inside} rows)" for i, w in enumerate(ans.windows, 1))
            + "  (explain another with --window N)")
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
    add_workspace(p)
    p.add_argument("--since", default=None, type=iso_time, metavar="ISO",
                   help="ISO time: start of the scope (an offset is converted to UTC)")
    p.add_argument("--until", default=None, type=iso_time, metavar="ISO", help="ISO time: end of the "
                   "scope; a range of 90 minutes or less is taken as the incident window itself")
    p.add_argument("--service", action="append", default=[], type=text, help="restrict the symptom "
                   "to a service (repeatable)")
    p.add_argument("--entity", default=None, type=text, help="a user, order, IP or trace id to follow")
    add_now(p)
    add_format(p)
    p.add_argument("--window", type=int, default=1, metavar="N",
                   help="explain the N-th significant window of the scope (1 = strongest)")
    p.add_argument("--top", type=positive_int, default=5, help="root-cause candidates shown as text")
    p.set_defaults(func=cmd_why)
