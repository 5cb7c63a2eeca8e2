"""``%logpilot dashboard [--period P] [--service S ...] [--severity L ...] [--text T] [--export F]``.

Kept apart from ``core.py`` so the dashboard's options live next to each other; the
``%logpilot`` parser delegates the rest of the line here (see :func:`dashboard_magic`).
"""

from __future__ import annotations

import argparse
from typing import Any, Sequence

from .args import MagicArgumentParser


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    """The dashboard's options (shared by the stand-alone parser and ``%logpilot``)."""
    parser.add_argument("--period", default="all",
                        help="a year, month or day (YYYY, YYYY-MM, YYYY-MM-DD), 'A..B', 'last 7d' "
                             "or all (default: all, the data's own time range)")
    parser.add_argument("--service", action="append", default=[],
                        help="service to show (repeat, or a,b)")
    parser.add_argument("--severity", action="append", default=[], help="severity to show (repeat)")
    parser.add_argument("--text", default="", help="text the template must contain")
    parser.add_argument("--export", metavar="FILE", help="also write a standalone HTML file")
    return parser


def dashboard_magic(pilot: Any, argv: Sequence[str]) -> Any:
    """Parse ``argv`` (the words after ``dashboard``) and return ``pilot``'s dashboard widget."""
    ns = add_arguments(MagicArgumentParser(prog="%logpilot dashboard")).parse_args(list(argv))
    services = [s.strip() for item in ns.service for s in item.split(",") if s.strip()]
    severities = [s.strip().upper() for item in ns.severity for s in item.split(",") if s.strip()]
    from ..widgets import Dashboard

    dash = Dashboard(pilot.workspace, period=ns.period, service=services or None,
                     severities=severities or None, text=ns.text)
    if ns.export:
        dash.export(ns.export)
    return dash
