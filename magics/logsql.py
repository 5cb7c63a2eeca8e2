"""``%%logsql``: SQL over the workspace's DuckDB, returned as a DataFrame.

Minimal form (issue 5 grows it: plain English, read-only guard, snippets, charts).
"""

from __future__ import annotations

import time
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import HTML, display

from ..errors import LogPilotError
from .args import MagicArgumentParser, split_line
from .pilot import Pilot


def _parser() -> MagicArgumentParser:
    parser = MagicArgumentParser(prog="%%logsql", add_help=True)
    parser.add_argument("-o", "--out", help="store the DataFrame in this variable")
    return parser


@magics_class
class LogSQLMagics(Magics):
    """``%%logsql`` bound to one :class:`Pilot`."""

    def __init__(self, shell: Any, pilot: Pilot) -> None:
        super().__init__(shell)
        self.pilot = pilot

    @line_cell_magic
    def logsql(self, line: str, cell: str | None = None) -> Any:
        """``%%logsql [-o VAR]``: run the cell's SQL on the workspace, return a DataFrame."""
        args = _parser().parse_args(split_line(line) if cell is not None else [])
        query = cell if cell is not None else line
        if not query or not query.strip():
            raise UsageError("%%logsql: the cell is empty; write a SQL query")
        t0 = time.perf_counter()
        try:
            df = self.pilot.sql(query)
        except LogPilotError as exc:
            raise UsageError(str(exc)) from None
        except Exception as exc:  # duckdb errors: one line, no traceback wall
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise UsageError(f"SQL error: {first}") from None
        elapsed = time.perf_counter() - t0
        display(HTML(f"<small>{len(df):,} rows in {elapsed * 1000:.0f} ms</small>"))
        if args.out:
            self.shell.user_ns[args.out] = df
        return df
