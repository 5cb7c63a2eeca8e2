"""``%%pilot`` / ``%pilot``: ask anything; the pilot picks the SQL engine, the why-engine or
the dashboard, shows which it chose and why, and keeps the conversation for follow-ups.

The LINE carries options (``--dry-run``, ``--as INTENT``, ``--now T``, ``--format F``,
``-o VAR``) or one of the words ``reset`` / ``context``; the question is the CELL, or in
the line form the rest of the line after the options. The conversation lives on the
``pilot`` object (one per kernel), so ``pilot.ask(...)`` and ``%%pilot`` share it.
LogPilot errors become one-line ``UsageError``s, like every magic here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from ..errors import LogPilotError
from ..isotime import to_utc
from .args import MagicArgumentParser, split_line

INTENTS = ("report", "dashboard", "why", "trace", "schema")


class _Parser(MagicArgumentParser):
    """Argument errors as one line (``%pilot?`` shows the usage)."""

    def error(self, message: str) -> Any:
        raise UsageError(f"%%pilot: {message}")


def _parser() -> MagicArgumentParser:
    p = _Parser(prog="%%pilot", add_help=False,
                description="Ask anything: routed to the SQL engine, the why-engine or the dashboard.")
    p.add_argument("--dry-run", action="store_true",
                   help="show the route, the scope and the SQL or evidence plan; run nothing")
    p.add_argument("--as", dest="intent", choices=INTENTS, help="skip routing: answer as INTENT")
    p.add_argument("--now", help="ISO time that 'yesterday' / 'last 2 hours' refer to")
    p.add_argument("--format", choices=["html", "json", "text"], default="html")
    p.add_argument("-o", "--out", help="store the PilotAnswer in this variable")
    p.add_argument("words", nargs="*", help="reset | context | the question (line form)")
    return p


def parse_line(line: str, cell: str | None) -> tuple[argparse.Namespace, str]:
    """The options and the question (the cell, else the rest of the line)."""
    ns = _parser().parse_args(split_line(line))
    if cell is not None and ns.words:
        raise UsageError("%%pilot: put the question in the cell, options on the line "
                         f"(unexpected {' '.join(ns.words)!r})")
    question = (cell if cell is not None else " ".join(ns.words)).strip()
    return ns, question


def conversation_of(pilot: Any) -> Any:
    """The kernel's conversation: ``pilot.conversation`` (kept on the pilot for ``pilot.ask``)."""
    conv = getattr(pilot, "conversation", None)
    if conv is None:
        from ..pilot import Conversation

        conv = Conversation()
        try:
            pilot.conversation = conv
        except AttributeError:  # a read-only property that returned None: keep our own
            pass
    return conv


def dashboard_factory(workspace: Any, period: Any = "all", service: Any = None) -> Any:
    """Build the dashboard widget (the widgets layer sits above the core, so the core's
    router receives this factory instead of importing it)."""
    from ..widgets import Dashboard

    return Dashboard(workspace, period=period, service=service)


def pilot_ask(pilot: Any, question: str, *, now: Any = None, dry_run: bool = False,
              intent: str | None = None, model: Any = None) -> Any:
    """``logpilot_kernel.pilot.ask`` on the pilot's workspace and conversation."""
    from ..pilot import ask

    return ask(pilot.workspace, question, state=conversation_of(pilot), now=now, model=model,
               dry_run=dry_run, intent=intent, dashboard=dashboard_factory)


def _time(value: str | None) -> dt.datetime | None:
    try:
        return to_utc(value or None)
    except ValueError:
        raise UsageError(f"%%pilot: --now {value!r} is not an ISO time (e.g. 2024-05-31T11:00)") from None


@magics_class
class PilotMagics(Magics):
    """``%%pilot`` bound to one ``Pilot`` (no module-level state)."""

    def __init__(self, shell: Any, pilot: Any) -> None:
        super().__init__(shell)
        self.pilot = pilot

    @line_cell_magic
    def pilot(self, line: str, cell: str | None = None) -> Any:
        """``%%pilot [--dry-run] [--as INTENT] [--now T] [--format html|json|text] [-o VAR]``
        then the question; ``%pilot reset`` forgets the conversation, ``%pilot context``
        shows what a follow-up would refine."""
        ns, question = parse_line(line, cell)
        conv = conversation_of(self.pilot)
        if cell is None and question.lower() in ("reset", "context"):
            if question.lower() == "reset":
                conv.reset()
                print("pilot: conversation cleared")
                return None
            ctx = conv.context()
            if ns.format == "json":
                print(json.dumps(ctx, indent=2, default=str))
                return None
            return ctx
        if not question:
            raise UsageError("%%pilot: ask a question (e.g. 'errors by service in May', 'why is "
                             "checkout failing?', 'show me the dashboard', 'help')")
        try:
            ans = pilot_ask(self.pilot, question, now=_time(ns.now), dry_run=ns.dry_run,
                            intent=ns.intent)
        except LogPilotError as exc:
            raise UsageError(f"%%pilot: {exc}") from None
        if ns.out:
            self.shell.user_ns[ns.out] = ans
        if ns.format == "json":
            print(ans.to_json())
        elif ns.format == "text":
            print(ans.text())
        else:
            display(ans)
        return None


def load_ipython_extension(ipython: Any) -> None:
    """``%load_ext logpilot_kernel.magics.pilot_magic``: register ``%%pilot`` on the kernel's
    ``pilot`` (until the main extension registers it itself)."""
    pilot = getattr(ipython, "_logpilot_pilot", None)
    if pilot is None:
        raise UsageError("%load_ext logpilot_kernel first")
    ipython.register_magics(PilotMagics(ipython, pilot))
