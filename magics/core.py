"""``%logpilot``: a thin magic over :class:`Pilot`.

Each magic parses its line into a typed namespace first (errors are ``UsageError``), then
calls the Python API, and turns LogPilot errors into one readable line at this edge.
"""

from __future__ import annotations

import argparse
import html
from typing import Any

from IPython.core.error import UsageError
from IPython.core.magic import Magics, line_magic, magics_class
from IPython.display import HTML, display

from ..cli_args import zone
from ..errors import LogPilotError
from .args import MagicArgumentParser, split_line
from .pilot import Pilot


def _logpilot_parser() -> MagicArgumentParser:
    parser = MagicArgumentParser(prog="%logpilot", add_help=True,
                                 description="Workspace, ingestion and status from a notebook.")
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    p = sub.add_parser("open", help="open (or create) a workspace")
    p.add_argument("path", nargs="?")
    sub.add_parser("status", help="what the workspace holds")
    p = sub.add_parser("ingest", help="bulk-load files, folders or globs")
    p.add_argument("inputs", nargs="+")
    p.add_argument("--source")
    p.add_argument("--format")
    p.add_argument("--no-builtin", default=None, help="comma-separated builtin rules to switch off")
    p.add_argument("--timezone", default=None, type=zone,
                   help="zone of times written without an offset (IANA name or ±HH:MM; default UTC)")
    p.add_argument("--cluster", default=None, help="a Dask scheduler address (tcp://host:8786) or local:N")
    p.add_argument("--lake", default=None, help="with --cluster: a folder or s3://bucket/prefix for the segments")
    p = sub.add_parser("detect", help="per file: rule, confidence, what was induced, sample lines split")
    p.add_argument("paths", nargs="+")
    p.add_argument("--lines", type=int, default=200)
    p = sub.add_parser("templates", help="semantic template search")
    p.add_argument("text", nargs="+")
    p.add_argument("-n", type=int, default=10)
    p = sub.add_parser("schema", help="tables and columns (--all: LogPilot's internal tables too)")
    p.add_argument("--all", action="store_true")
    p = sub.add_parser("registry", help="parsing rules: list | detect FILE | test RULE FILE | add RULE.json")
    p.add_argument("registry_action", choices=["list", "detect", "test", "add"])
    p.add_argument("operands", nargs="*")
    p.add_argument("--lines", type=int, default=200)
    sub.add_parser("config", help="effective settings")
    p = sub.add_parser("dashboard", help="the analyst dashboard", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("discover", help="search and browse rows, fields and patterns", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p = sub.add_parser("stream", help="Kafka ingestion in the background: start | stop | status")
    p.add_argument("stream_args", nargs=argparse.REMAINDER)
    return parser


@magics_class
class LogPilotMagics(Magics):
    """Magics bound to one :class:`Pilot` (no module-level state)."""

    def __init__(self, shell: Any, pilot: Pilot) -> None:
        super().__init__(shell)
        self.pilot = pilot

    @line_magic
    def logpilot(self, line: str) -> Any:
        """``%logpilot open|status|ingest|templates|schema|config ...``"""
        words = split_line(line)
        if words and words[0] in ("dashboard", "discover"):
            # Their own parsers read the rest: argparse's REMAINDER drops a rest that
            # starts with an option (``dashboard --period all`` was "unrecognized").
            args = argparse.Namespace(action=words[0], rest=words[1:])
        else:
            args = _logpilot_parser().parse_args(words)
        try:
            return self._run(args)
        except LogPilotError as exc:
            raise UsageError(str(exc)) from None

    def _run(self, args: Any) -> Any:
        pilot = self.pilot
        if args.action == "open":
            ws = pilot.open(args.path)
            return pilot.status() if ws else None
        if args.action == "status":
            self._freshness()
            self._time_sources()
            self._quarantined_files()
            return pilot.status()
        if args.action == "detect":
            return self._detect(args)
        if args.action == "ingest":  # one entry point: bulk.ingest (``cluster`` delegates to the Dask path)
            from ..ingest.bulk import check_cluster_options, ingest

            check_cluster_options(args.cluster, args.lake)  # before the workspace is opened
            report = ingest(pilot.workspace, list(args.inputs), source=args.source, rule=args.format,
                            no_builtin=args.no_builtin or (), cluster=args.cluster, lake=args.lake,
                            progress=True, timezone=args.timezone)
            display(HTML(f"<pre>{html.escape(report.summary())}</pre>"))
            return report
        if args.action == "templates":
            return pilot.search_templates(" ".join(args.text), n=args.n)
        if args.action == "schema":
            from ..query.schema_info import schema_view

            cur = pilot.workspace.cursor()
            try:
                return schema_view(cur, include_internal=args.all)
            finally:
                cur.close()
        if args.action == "dashboard":
            from .dashboard import dashboard_magic

            return dashboard_magic(pilot, args.rest)
        if args.action == "discover":
            from ..widgets.discover import discover_magic

            return discover_magic(pilot, args.rest)
        if args.action == "stream":
            from .stream import stream_magic

            return stream_magic(pilot, args.stream_args)
        if args.action == "registry":
            return self._registry(args)
        if args.action == "config":
            from ..config import keys

            return {k: getattr(pilot.settings, k) for k in keys()}
        raise UsageError(f"unknown action {args.action}")  # pragma: no cover - argparse guards

    def _freshness(self) -> None:
        """Reading another kernel's snapshot: say so and how old it is (one line, not an error)."""
        line = self.pilot.workspace.freshness
        if line:
            import html

            display(HTML(f"<div class='lp-freshness'><i>{html.escape(line)}</i></div>"))

    def _time_sources(self) -> None:
        """Files read with an induced rule or with rows whose time is not their own line's."""
        from ..ingest.bulk import time_sources

        odd = [t for t in time_sources(self.pilot.workspace)
               if t["inherited"] or t["file_mtime"] or t["none"] or str(t["rule"]).startswith("induced:")]
        if not odd:
            return
        import html

        rows = "".join(
            f"<tr><td>{html.escape(t['origin'])}</td><td><code>{html.escape(str(t['rule']))}</code></td>"
            f"<td>{t['confidence']}</td><td>{t['rows']:,}</td><td>{t['inherited']:,}</td>"
            f"<td>{t['file_mtime']:,}</td><td>{t['none']:,}</td></tr>" for t in odd)
        display(HTML("<b>Files with induced rules or rows without a time of their own</b><table>"
                     "<tr><th>file</th><th>rule</th><th>confidence</th><th>rows</th><th>time inherited</th>"
                     "<th>file mtime</th><th>none</th></tr>" + rows + "</table>"))

    def _quarantined_files(self) -> None:
        """Which files the quarantined lines came from, so a count is never unexplained."""
        import html

        rows = self.pilot.workspace.sql(
            "SELECT origin, reason, count(*) AS lines, min(origin_offset) AS first_line "
            "FROM quarantine GROUP BY ALL ORDER BY lines DESC, origin LIMIT 20")
        if rows.empty:
            return
        body = "".join(f"<tr><td>{html.escape(str(r.origin))}</td><td>{html.escape(str(r.reason))}</td>"
                       f"<td>{r.lines:,}</td><td>{r.first_line}</td></tr>" for r in rows.itertuples())
        display(HTML("<b>Quarantined lines by file</b> <small>(raw text kept in the "
                     "<code>quarantine</code> table)</small><table><tr><th>file</th><th>reason</th>"
                     "<th>lines</th><th>first line</th></tr>" + body + "</table>"))

    def _detect(self, args: Any) -> Any:
        """``%logpilot detect PATH...``: what a load would do, before the load."""
        from ..ingest.readers import expand_inputs, read_records
        from ..ingest.registry import Registry
        from ..ingest.registry.report import explain, explain_html, file_stem

        reg = Registry(self.pilot.workspace.rules_path)
        files, problems = expand_inputs(args.paths)
        if not files:
            raise UsageError("; ".join(f"{p.origin}: {p.reason}" for p in problems) or "no input files")
        infos = []
        for f in files:
            sample: list[str] = []
            for rc in read_records(f, chunk_records=args.lines):
                sample = [r for r in rc.table.column("raw").to_pylist() if r]
                break
            infos.append(explain(reg, sample, stem=file_stem(f.member or f.path or f.origin), origin=f.origin))
        return HTML(explain_html(infos))

    def _registry(self, args: Any) -> Any:
        """Rules live in the open workspace (``rules.json``), shared with the CLI and the stream."""
        import json
        from pathlib import Path

        import pandas as pd

        from ..ingest.registry import Registry

        reg = Registry(self.pilot.workspace.rules_path)
        ops = args.operands
        if args.registry_action == "list":
            return pd.DataFrame([{"name": r.name, "kind": r.kind, "builtin": r.builtin,
                                  "description": r.description} for r in reg.list()])
        need = {"detect": 1, "test": 2, "add": 1}[args.registry_action]
        if len(ops) != need:
            raise UsageError(f"%logpilot registry {args.registry_action} needs {need} operand(s)")
        if args.registry_action == "add":
            return reg.add(json.loads(Path(ops[0]).read_text(encoding="utf-8")))
        lines = _sample(ops[-1], args.lines)
        if args.registry_action == "detect":
            from ..ingest.registry.report import file_stem

            det = reg.detect_file(lines, stem=file_stem(ops[-1]))
            return {"rule": det.rule.name, "confidence": round(det.confidence, 3),
                    "scores": det.scores[:5]}
        return reg.test(ops[0], lines).to_dict()


def _sample(path: str, n: int) -> list[str]:
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            return [line.rstrip("\n") for _, line in zip(range(n), fh)]
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror}") from None
