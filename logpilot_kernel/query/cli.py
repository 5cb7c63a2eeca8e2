"""``logpilot sql`` and ``logpilot ask``: the query layer from a terminal.

``add_subcommands(subparsers)`` registers both on the main parser (``logpilot_kernel.cli``),
so the one ``main`` keeps turning LogPilot errors into one line and exit status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from ..cli_args import add_format, add_now, add_workspace, positive_int


def _workspace(args: argparse.Namespace) -> Any:
    from ..workspace import Workspace

    return Workspace.existing(args.workspace)  # a read-only command: a mistyped folder is an error


def _emit(result: Any, fmt: str, extra: dict[str, Any] | None = None) -> None:
    frame = result.frame
    if fmt == "json":
        payload = dict(extra or {})
        payload.update({"sql": result.sql, "origin": result.origin, "columns": list(frame.columns),
                        "rows": result.records(), "row_count": result.rows,
                        "elapsed_ms": round(result.elapsed * 1000, 1)})
        print(json.dumps(payload, indent=2, default=str))
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    else:
        if extra and extra.get("question"):
            print(f"-- {extra['question']}\n{result.sql}\n")
            for note in extra.get("notes") or []:
                if note not in result.sql:
                    print(f"-- note: {note}")
        if frame.empty:
            print("(no rows: the query returned an empty result)")
        else:
            print(frame.to_string(index=False, max_rows=200))
        print(f"\n{result.summary()}", file=sys.stderr)


def cmd_sql(args: argparse.Namespace) -> int:
    """Run SQL read-only (``--write`` to allow writes) and print it as table, CSV or JSON."""
    from . import run_sql

    with _workspace(args) as ws:
        result = run_sql(ws, args.query, write=args.write, limit=args.limit)
    _emit(result, args.format)
    return 0


def cmd_ask(args: argparse.Namespace) -> int:
    """Answer a plain-English question; JSON output holds ``sql`` and ``rows``."""
    from . import ask

    with _workspace(args) as ws:  # args.now: naive UTC already (iso_time converts an offset)
        result = ask(ws, args.question, now=args.now, limit=args.limit)
    reading = next((n[9:] for n in result.notes if n.startswith("reading: ")), None)
    _emit(result, args.format, {"question": args.question, "reading": reading,
                                "notes": [n for n in result.notes if not n.startswith("reading: ")]})
    return 0


def add_subcommands(subparsers: Any) -> None:
    """Register ``sql`` and ``ask`` on the ``logpilot`` sub-parser collection."""
    p = subparsers.add_parser("sql", help="run read-only SQL on a workspace")
    p.add_argument("query", help="one SQL statement (SELECT/WITH/DESCRIBE/SHOW/EXPLAIN/SUMMARIZE)")
    add_workspace(p)
    add_format(p, ["table", "csv", "json"])
    p.add_argument("--limit", type=positive_int, default=None, help="at most N rows")
    p.add_argument("--write", action="store_true", help="allow SQL that writes")
    p.set_defaults(func=cmd_sql)

    p = subparsers.add_parser("ask", help="answer a plain-English question with generated SQL")
    p.add_argument("question")
    add_workspace(p)
    add_format(p, ["table", "csv", "json"])
    p.add_argument("--limit", type=positive_int, default=None, help="at most N rows")
    add_now(p)
    p.set_defaults(func=cmd_ask)
