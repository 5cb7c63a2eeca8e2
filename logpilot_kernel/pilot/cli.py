"""``logpilot pilot "..."``: the routed question box from a terminal.

``add_subcommands(subparsers)`` registers ``pilot`` on the main parser
(``logpilot_kernel.cli``), whose ``main`` turns LogPilot errors into one line and exit
status 2. A terminal has no widgets, so the dashboard route prints the dashboard's plan
(period, services and the ``%logpilot dashboard`` line that opens it). One invocation is
one question: follow-ups need a kernel (``%%pilot``) or ``pilot.ask``.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..cli_args import add_format, add_now, add_workspace


def cmd_pilot(args: argparse.Namespace) -> int:
    """Route and answer one question; ``--format json`` prints :meth:`PilotAnswer.to_dict`."""
    from ..workspace import Workspace
    from . import ask

    with Workspace.existing(args.workspace) as ws:  # args.now: naive UTC already (iso_time converts an offset)
        ans = ask(ws, args.question, now=args.now, dry_run=args.dry_run, intent=args.intent)
        if args.format == "json":
            print(json.dumps(ans.to_dict(), indent=2, default=str))
        else:
            print(ans.text())
    return 0


def add_subcommands(subparsers: Any) -> None:
    """Register ``pilot`` on the ``logpilot`` sub-parser collection."""
    p = subparsers.add_parser(
        "pilot", help="ask anything: routed to the SQL engine, the why-engine or the dashboard")
    p.add_argument("question")
    add_workspace(p)
    add_format(p)
    p.add_argument("--dry-run", action="store_true",
                   help="show the route, the scope and the SQL or the evidence plan; run nothing")
    add_now(p)
    p.add_argument("--as", dest="intent", default=None,
                   choices=["report", "dashboard", "why", "trace", "schema"],
                   help="skip routing: answer as this intent (pick one of two offered readings)")
    p.set_defaults(func=cmd_pilot)
