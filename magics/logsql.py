"""``%%logsql`` / ``%logsql``: SQL or a plain-English question over the workspace.

The LINE carries options only (jupysql style: ``-o/--out VAR``, ``VAR <<``, ``--save``,
``--with``, ``--limit``, ``--plot``, ``--explain``, ``--write``); the CELL is the query,
never split, so DuckDB's ``->>``/``->`` and ``--`` comments reach DuckDB intact. In the
line form, options come first and the rest of the line is the query. DuckDB's parser
decides whether the query is SQL or a question (``logpilot_kernel.query.is_sql``).

The result is a pandas DataFrame (through Arrow) shown with its SQL, row count and time,
paged by ``LogPilot.display_rows``. The workspace connection is registered with jupysql
as ``logpilot`` so ``%sql``, ``%%sql`` and ``%sqlplot`` see the same data (once a ``%%logsql``
ran, just before the first cell that calls jupysql: loading jupysql costs seconds).
"""

from __future__ import annotations

import argparse
import atexit
import html
import re
import sys
import weakref
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_cell_magic, magics_class
from IPython.display import HTML, display

from ..errors import LogPilotError
from ..display import show_figure
from ..lazy import lazy_exports
from .args import MagicArgumentParser, split_line
from .pilot import Pilot

if TYPE_CHECKING:
    from ..query.engine import QueryResult

# duckdb, pandas and the query engine are imported in the functions that run a query, so
# `%load_ext logpilot_kernel` registers this magic without them (issue 16: start-up).

JUPYSQL_ALIAS = "logpilot"
#: a cell that calls jupysql (``%sql``, ``%%sql``, ``%sqlplot``, ``%sqlcmd``)
_JUPYSQL_CELL = re.compile(r"(?m)^\s*%%?sql(?:plot|cmd)?\b")

# ``ResultFrame`` is still importable from here; it loads pandas on first use.
__getattr__, __dir__ = lazy_exports(__name__, {"ResultFrame": ".result_frame"})

_ASSIGN = re.compile(r"^\s*([A-Za-z_]\w*)\s*<<\s*")
_TEMPLATE = re.compile(r"\{\{\s*([A-Za-z_][\w.]*)\s*\}\}")
_OPTION = re.compile(r"^\s*(--explain|--write|--no-execute|(?:-o|--out|--save|--with|--limit|"
                     r"--plot)(?:\s+|=)(?:\"[^\"]*\"|'[^']*'|[^\s\"']+))(?=\s|$)")


@dataclass
class LogSQLArgs:
    """The parsed line: what to do with the query and where to put the result."""

    out: str | None = None
    save: str | None = None
    with_: list[str] = field(default_factory=list)
    limit: int | None = None
    plot: str = "none"
    explain: bool = False
    write: bool = False
    no_execute: bool = False
    query: str = ""


def _parser() -> MagicArgumentParser:
    from ..query import charts

    p = MagicArgumentParser(prog="%%logsql", add_help=False,
                            description="SQL or a plain-English question over the workspace.")
    p.add_argument("-o", "--out", help="store the DataFrame in this variable")
    p.add_argument("--save", help="save the query as a snippet NAME (usable with --with)")
    p.add_argument("--with", dest="with_", action="append", default=[], metavar="NAME",
                   help="prepend saved snippet NAME as a CTE")
    p.add_argument("--limit", type=int, help="return at most N rows (DuckDB stops early)")
    p.add_argument("--plot", choices=charts.KINDS, default="none", help="chart the result")
    p.add_argument("--explain", action="store_true", help="show the SQL and plan; do not run")
    p.add_argument("--write", action="store_true", help="allow your own SQL to write")
    p.add_argument("--no-execute", action="store_true", help="with --save: only save")
    return p


def parse_line(line: str, cell: str | None) -> LogSQLArgs:
    """Turn the magic's line (and cell) into :class:`LogSQLArgs` without touching the query."""
    out = None
    m = _ASSIGN.match(line)
    if m:
        out, line = m.group(1), line[m.end():]
    if cell is None:
        opts: list[str] = []
        while (om := _OPTION.match(line)) is not None:
            opts.append(om.group(1))
            line = line[om.end():]
        option_text, query = " ".join(opts), line.strip()
    else:
        option_text, query = line, cell
    ns: argparse.Namespace = _parser().parse_args(split_line(option_text))
    if ns.limit is not None and ns.limit < 0:
        raise UsageError("%%logsql: --limit must be >= 0")
    return LogSQLArgs(out=ns.out or out, save=ns.save, with_=ns.with_, limit=ns.limit,
                      plot=ns.plot, explain=ns.explain, write=ns.write,
                      no_execute=ns.no_execute, query=query)


def _parse_error(text: str) -> str:
    """DuckDB's own parse error for ``text`` (why it was not taken as SQL), one line."""
    import duckdb

    from ..query.engine import one_line

    try:
        duckdb.extract_statements(text)
    except duckdb.Error as exc:
        return one_line(exc)
    return "no statement found"


def _read_only_reason(ws: Any) -> str:
    """Why ``ws`` takes no write in this kernel, in the workspace's own one-line words (a
    snapshot names the process that holds the file; a read-only handle says so)."""
    try:
        ws.write_lock  # noqa: B018 - the property is where a read-only handle refuses a write
    except LogPilotError as exc:
        return str(exc).splitlines()[0]
    return "the workspace is open read-only in this kernel"


def _only_comments(text: str) -> bool:
    return not re.sub(r"--[^\n]*|/\*.*?\*/", "", text, flags=re.DOTALL).strip()


@magics_class
class LogSQLMagics(Magics):
    """``%%logsql`` bound to one :class:`Pilot`; snippets live with the magic instance."""

    def __init__(self, shell: Any, pilot: Pilot) -> None:
        super().__init__(shell)
        self.pilot = pilot
        self.snippets: dict[str, str] = {}
        self._registered: Any = None
        self._exit_hook = False
        self._used: Any = None  # the workspace a %%logsql ran on: jupysql cells may expect it
        shell.events.register("pre_run_cell", self._before_cell)

    @line_cell_magic
    def logsql(self, line: str, cell: str | None = None) -> Any:
        """``%%logsql [VAR <<] [-o VAR] [--save N] [--with N] [--limit N] [--plot K]
        [--explain] [--write]`` then SQL or a question in the cell."""
        args = parse_line(line, cell)
        query = self._render(args.query)
        if not query.strip():
            raise UsageError("%%logsql: the cell is empty; write SQL or a question")
        try:
            return self._run(args, query)
        except LogPilotError as exc:
            raise UsageError(str(exc)) from None

    # ------------------------------------------------------------------ steps
    def _render(self, query: str) -> str:
        def sub(m: re.Match[str]) -> str:
            name, *attrs = m.group(1).split(".")
            if name not in self.shell.user_ns:
                raise UsageError(f"%%logsql: {{{{{m.group(1)}}}}}: no variable {name!r} in the notebook")
            value = self.shell.user_ns[name]
            for a in attrs:
                value = getattr(value, a)
            return str(value)

        return _TEMPLATE.sub(sub, query)

    def _with_snippets(self, sql: str, names: list[str]) -> str:
        missing = [n for n in names if n not in self.snippets]
        if missing:
            known = ", ".join(sorted(self.snippets)) or "none saved yet"
            raise UsageError(f"%%logsql: unknown snippet {missing[0]!r} (saved: {known})")
        if not names:
            return sql
        ctes = ",\n".join(f"{n} AS (\n{self.snippets[n]}\n)" for n in names)
        body = sql.strip()
        if body[:4].upper() == "WITH":
            return f"WITH {ctes},\n{body[4:].lstrip()}"
        return f"WITH {ctes}\n{body}"

    def _run(self, args: LogSQLArgs, query: str) -> Any:
        from ..query.engine import explain, run_query
        from ..query.guard import is_sql
        from ..query.nl import NotUnderstood

        ws = self.pilot.workspace
        self._used = ws
        settings = self.pilot.settings
        question = None
        if _only_comments(query):
            raise UsageError("%%logsql: the cell holds only comments; write SQL or a question")
        if is_sql(query):
            sql, origin = self._with_snippets(query.strip().rstrip(";"), args.with_), "sql"
        else:
            from ..query import to_sql

            question = query.strip()
            if args.write:
                raise UsageError("%%logsql: --write applies to your own SQL, never to generated SQL")
            try:
                sql, origin = to_sql(ws, question)
            except NotUnderstood as exc:
                raise UsageError(f"{exc} If this was meant as SQL, DuckDB says: "
                                 f"{_parse_error(question)}") from None
        if args.save:
            self.snippets[args.save] = sql
            if args.no_execute:
                display(HTML(f"<small>saved snippet <code>{html.escape(args.save)}</code></small>"))
                return None
        if args.write and not args.explain and ws.read_only:
            raise UsageError(f"%%logsql --write: writes are refused here: {_read_only_reason(ws)}")
        cur = ws.cursor()
        try:
            read_only = not args.write and bool(settings.read_only_sql) or origin != "sql"
            if args.explain:
                plan = explain(cur, sql, read_only=read_only, generated=origin != "sql")
                self._show_sql(sql, origin, question)
                display(HTML(f"<pre>{html.escape(plan)}</pre>"))
                return None
            result = run_query(cur, sql, read_only=read_only, generated=origin != "sql",
                               limit=args.limit, origin=origin, question=question)
        finally:
            cur.close()
        return self._present(result, args)

    def _show_sql(self, sql: str, origin: str, question: str | None) -> None:
        if origin == "sql":
            return
        who = "offline parser" if origin == "parser" else f"model {self.pilot.settings.llm}"
        display(HTML(f"<small>SQL generated by the {html.escape(who)} for "
                     f"<i>{html.escape(question or '')}</i> (copy it into a cell to edit):</small>"
                     f"<pre>%%logsql\n{html.escape(sql)}</pre>"))

    def _present(self, result: QueryResult, args: LogSQLArgs) -> Any:
        from ..query import charts
        from .result_frame import ResultFrame

        self._show_sql(result.sql, result.origin, result.question)
        display(HTML(f"<small>{html.escape(result.summary())}</small>"))
        frame = ResultFrame(result.frame)
        frame.page_size = int(self.pilot.settings.display_rows)
        frame.attrs.update({"sql": result.sql, "origin": result.origin,
                            "elapsed": result.elapsed})
        if args.plot != "none" and not frame.empty:
            fig = charts.make_chart(result.frame, args.plot, title=result.question)
            if fig is not None:
                show_figure(fig)
        if args.out:
            self.shell.user_ns[args.out] = frame
        return frame

    # --------------------------------------------------------------- jupysql
    def _before_cell(self, info: Any) -> None:
        """Register with jupysql just before the first cell that uses it, not in the first
        ``%%logsql``: loading jupysql imports matplotlib and more (about 1.5 s idle, 4.8 s on
        a loaded machine), which made the first chart miss its 3 s budget (issue 18)."""
        ws = self._used
        if ws is None or getattr(ws, "_closed", True) or ws is not self.pilot._workspace:
            return  # closed or switched (e.g. after %reload_ext): never reopen a workspace here
        if _JUPYSQL_CELL.search(getattr(info, "raw_cell", "") or ""):
            self.register_jupysql()

    def register_jupysql(self) -> None:
        """Register the workspace connection with jupysql as ``logpilot`` (once per workspace).

        jupysql accepts a native DuckDB connection given by variable name with
        ``--alias``; a cursor of the shared instance is used so both see the same data.
        """
        ws = self.pilot.workspace
        if self._registered is ws:
            return
        try:
            if "sql" not in self.shell.magics_manager.magics["line"]:
                self.shell.run_line_magic("load_ext", "sql")
            self.shell.user_ns["_logpilot_con"] = ws.cursor()
            self.shell.run_line_magic("config", "SqlMagic.displaycon = False")
            self.shell.run_line_magic("sql", f"_logpilot_con --alias {JUPYSQL_ALIAS}")
        except Exception as exc:  # jupysql is an add-on: never break %%logsql over it
            display(HTML(f"<small>jupysql not registered: {html.escape(str(exc))}</small>"))
        else:
            if self._registered is None and not self._exit_hook:
                # registered after jupysql's own exit handler, so it runs before it
                atexit.register(_unregister_at_exit, weakref.ref(self))
                self._exit_hook = True
        self._registered = ws

    def unregister_jupysql(self) -> None:
        """Take the workspace's connection out of jupysql and close its cursor.

        Why: jupysql closes the connections it still holds at interpreter exit and
        *displays* "Closing logpilot" as it does; by then the exit handlers of IPython shells
        have run (``history_manager`` None) and that display raised a traceback at the end
        of a test run. Called when the extension unloads and, for a shell torn down without
        unloading, from an exit handler that runs before jupysql's.
        """
        self._registered = None
        self.shell.user_ns.pop("_logpilot_con", None)
        conn_mod = sys.modules.get("sql.connection")  # jupysql never loaded: nothing to undo
        manager = getattr(conn_mod, "ConnectionManager", None)
        if manager is None or JUPYSQL_ALIAS not in manager.connections:
            return
        conn = manager.connections[JUPYSQL_ALIAS]
        try:
            manager.close_connection_with_descriptor(JUPYSQL_ALIAS)
        except Exception:  # noqa: BLE001 - already closed with its workspace: gone either way
            manager.connections.pop(JUPYSQL_ALIAS, None)
        if manager.current is conn:
            manager.current = None

    def close(self) -> None:
        """The extension unloads: out of jupysql, and no more pre-cell hook."""
        self.unregister_jupysql()
        try:
            self.shell.events.unregister("pre_run_cell", self._before_cell)
        except ValueError:  # already unregistered
            pass


def _unregister_at_exit(ref: Any) -> None:
    magics = ref()
    if magics is not None:
        try:
            magics.unregister_jupysql()
        except Exception:  # noqa: BLE001 - at exit: nothing left to report to
            pass
