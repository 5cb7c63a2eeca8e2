"""``%%logwhy`` / ``%logwhy``: evidence-first root cause of a symptom, in the notebook.

The LINE carries options (``--since --until --service --entity --now --format -o``); the
question is the CELL, or in the line form the rest of the line after the options. The
answer is a :class:`~logpilot_kernel.why.WhyAnswer` (rich HTML, then the rate and
timeline charts); ``--format json`` prints its JSON, ``--format text`` the narrative.
LogPilot errors become one-line ``UsageError``s, like every magic here.
"""

from __future__ import annotations

import argparse
import datetime as dt
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import display

from ..errors import LogPilotError
from ..isotime import to_utc
from ..display import show_figure
from .args import MagicArgumentParser, split_line
from .pilot import Pilot
from .working import working


class _Parser(MagicArgumentParser):
    """Argument errors as one line (the usage text is one ``%logwhy?`` away)."""

    def error(self, message: str) -> Any:
        raise UsageError(f"%%logwhy: {message}")


def _parser() -> MagicArgumentParser:
    p = _Parser(prog="%%logwhy", add_help=False,
                            description="Why did it fail? Evidence from templates, statistics "
                                        "and traces; a narrative on top.")
    p.add_argument("--since", help="ISO time (UTC): start of the scope")
    p.add_argument("--until", help="ISO time (UTC): end of the scope (<= 90 min: the window)")
    p.add_argument("--service", action="append", default=[], help="symptom service (repeatable)")
    p.add_argument("--entity", help="a user, order, IP or trace id to follow")
    p.add_argument("--now", help="ISO time that 'last 2 hours' refers to (default: now, UTC)")
    p.add_argument("--format", choices=["html", "json", "text"], default="html")
    p.add_argument("-o", "--out", help="store the WhyAnswer in this variable")
    p.add_argument("--no-charts", action="store_true", help="do not draw the charts")
    p.add_argument("--window", type=int, default=1, metavar="N",
                   help="explain the N-th significant window of the scope (1 = strongest)")
    p.add_argument("--explain-all", action="store_true",
                   help="explain every window now, so the window menu works without a kernel")
    p.add_argument("question", nargs="*", help="the question (line form)")
    return p


def _time(value: str | None, name: str) -> dt.datetime | None:
    try:
        return to_utc(value or None)
    except ValueError:
        raise UsageError(f"%%logwhy: {name} {value!r} is not an ISO time "
                         "(e.g. 2024-05-31T11:00)") from None


def parse_line(line: str, cell: str | None) -> tuple[argparse.Namespace, str]:
    """The options namespace and the question (cell, else the rest of the line)."""
    ns = _parser().parse_args(split_line(line))
    question = (cell if cell is not None else " ".join(ns.question)).strip()
    if cell is not None and ns.question:
        raise UsageError("%%logwhy: put the question in the cell, options on the line "
                         f"(unexpected {' '.join(ns.question)!r})")
    return ns, question


@magics_class
class LogWhyMagics(Magics):
    """``%%logwhy`` bound to one :class:`Pilot`."""

    def __init__(self, shell: Any, pilot: Pilot) -> None:
        super().__init__(shell)
        self.pilot = pilot

    @line_cell_magic
    def logwhy(self, line: str, cell: str | None = None) -> Any:
        """``%%logwhy [--since T] [--until T] [--service S] [--entity E] [--format F]
        [--window N] [--explain-all] [-o VAR]`` then the question in the cell (empty +
        --since/--until: explain that)."""
        ns, question = parse_line(line, cell)
        since, until, now = _time(ns.since, "--since"), _time(ns.until, "--until"), \
            _time(ns.now, "--now")
        if since and until and since >= until:
            raise UsageError("%%logwhy: --since must be before --until")
        if not question and not (since or until or ns.service or ns.entity):
            raise UsageError("%%logwhy: ask a question (e.g. 'why is checkout failing?', "
                             "'what is abnormal?') or give --since/--until/--service/--entity")
        # the evidence takes seconds: a status line at once (kernel only), blanked when in
        what = f" for: {question[:80]}" if question else ""
        with working(f"%%logwhy: gathering evidence{what} ...", self.shell):
            from ..why import why

            try:
                ans = why(self.pilot.workspace, question, since=since, until=until,
                          service=ns.service or None, entity=ns.entity, now=now, window=ns.window)
                if ns.explain_all:
                    ans.explain_all()
            except LogPilotError as exc:
                raise UsageError(f"%%logwhy: {exc}") from None
        if ns.out:
            self.shell.user_ns[ns.out] = ans
        if ns.format == "json":
            print(ans.to_json())
            return None
        if ns.format == "text":
            print(ans.narrative)
            return None
        display(ans)
        if not ns.no_charts:
            for fig in ans.figures():
                show_figure(fig)
        return None
