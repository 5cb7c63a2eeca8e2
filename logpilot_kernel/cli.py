"""``logpilot``: one command line, sub-commands thin over the Python API.

Each handler parses its options, calls the library, and prints. Every error is one line
on stderr naming what was wrong and what is accepted, with exit status 2: bad option
values are refused by the validators of :mod:`.cli_args` before any work starts, and
``main`` turns the library's structured errors (and ``ValueError``/``OSError``) into one
line; an unexpected exception is one line too (exit 1; ``LOGPILOT_DEBUG=1`` shows the
traceback). This module is an entry point, so it may import the layers above the core
(``ingest``), lazily, per sub-command.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any, Callable, Sequence

from .cli_args import (
    CliParser, UsageError, add_format, add_workspace, any_int, folder, in_file, in_path, iso_date, names,
    out_file, positive_int, require_file, text, zone,
)
from .errors import LogPilotError

Handler = Callable[[argparse.Namespace], int]


def _open(args: argparse.Namespace, existing: bool = False) -> Any:
    """The command's workspace; ``existing``: a command that only reads refuses a folder
    that holds none rather than creating an empty one (:meth:`Workspace.existing`)."""
    from .workspace import Workspace

    return Workspace.existing(args.workspace) if existing else Workspace(args.workspace)


def _print_json(obj: Any) -> None:
    print(json.dumps(obj, indent=2, default=str))


# ----------------------------------------------------------------- handlers
def cmd_demo_data(args: argparse.Namespace) -> int:
    from .demo import generate

    kwargs: dict[str, Any] = {"days": args.days, "seed": args.seed, "lines": args.lines}
    if args.start:
        kwargs["start"] = args.start  # a date already (iso_date)
    if getattr(args, "rename_seed", None) is not None:
        kwargs["rename_seed"] = args.rename_seed
    if getattr(args, "extra_incidents", False):
        kwargs["extra_incidents"] = True
    from .progress import for_cli

    truth = generate(args.out, progress=for_cli(getattr(args, "progress", False)), **kwargs)
    d = truth.to_dict()
    lines = sum(f["lines"] for f in d["files"])
    print(f"wrote {lines:,} lines in {len(d['files'])} files to {args.out} "
          f"({len(d['incidents'])} incidents; ground truth: {Path(args.out) / 'ground_truth.json'})")
    return 0


def _require_inputs(paths: Sequence[str], what: str = "input") -> None:
    """A path that names nothing is a usage error (exit 2), not a skipped file with exit 0."""
    from .ingest.readers import missing_inputs

    missing = missing_inputs(paths)
    if missing:
        raise UsageError(f"{what} {', '.join(repr(m) for m in missing)}: no such file, folder or matching glob "
                         "(accepted: existing files, folders or glob patterns)")


def cmd_ingest(args: argparse.Namespace) -> int:
    from .ingest.bulk import check_cluster_options, ingest
    from .progress import for_cli

    check_cluster_options(args.cluster, args.lake)  # before a workspace is opened or created
    _require_inputs(args.inputs)
    with _open(args) as ws:  # --cluster: the same job as Dask tasks writing a Parquet lake (ingest/cluster.py)
        report = ingest(ws, args.inputs, source=args.source, rule=args.format,
                        progress=for_cli(args.progress, args.quiet),
                        parquet=False if args.no_parquet else None,
                        no_builtin=args.no_builtin or (), cluster=args.cluster, lake=args.lake,
                        timezone=args.timezone)
    if args.json:
        _print_json(report.to_dict())
    else:
        print(report.summary())
    return 0 if report.balanced else 1


def cmd_mine(args: argparse.Namespace) -> int:
    from .ingest.mining import mine_file

    require_file(args.input, "INPUT")
    n = mine_file(args.input, args.output)
    print(f"mined {n:,} lines -> {args.output}", file=sys.stderr)
    return 0


def cmd_bootstrap(args: argparse.Namespace) -> int:
    from .ingest.bulk import check_cluster_options
    from .reports import run_report

    check_cluster_options(args.cluster, args.lake)  # before a notebook runs or a workspace is created
    _require_inputs([args.archive_glob], "ARCHIVE_GLOB")
    ws = str(Path(args.workspace or _default_home()).resolve())
    # the notebook's parameters are strings ("" = not set); --cluster/--lake reach
    # bulk.ingest there exactly as `logpilot ingest --cluster/--lake` passes them
    params = {"archive_glob": args.archive_glob, "workspace": ws,
              "source": args.source or "", "format": args.format or "",
              "cluster": args.cluster or "", "lake": args.lake or ""}
    executed = Path(ws) / "runs" / f"bootstrap-{_stamp()}.ipynb"
    res = run_report("bootstrap", params, executed=executed,
                     html=Path(args.html) if args.html else None, progress=not args.quiet)
    print(f"bootstrap done in {res.seconds:.1f} s; run log: {res.executed}"
          + (f"; HTML: {res.html}" if res.html else ""))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from .reports import parse_parameters, run_report

    params = parse_parameters(args.parameter)
    if args.workspace:
        params.setdefault("workspace", str(Path(args.workspace).resolve()))
    executed = Path(args.output) if args.output else None
    res = run_report(args.name, params, executed=executed,
                     html=Path(args.html) if args.html else None, progress=not args.quiet,
                     show_code=args.show_code)
    if args.json:
        _print_json(res.to_dict())
    else:
        print(f"{res.notebook} ran in {res.seconds:.1f} s; executed copy: {res.executed}"
              + (f"; HTML: {res.html}" if res.html else ""))
    return 0


def cmd_workspace(args: argparse.Namespace) -> int:
    with _open(args) as ws:
        info = ws.summary()
        info["foreign_entries"] = ws.foreign_entries()
        info["handover"] = {k: v.isoformat() for k, v in ws.handover_marks().items()}
        from .ingest.bulk import time_sources

        info["time_sources"] = time_sources(ws)
    if args.format == "json":
        _print_json(info)
        return 0
    print(f"workspace {info['path']} (schema v{info['schema_version']})")
    files = info.get("quarantined_files") or []
    print(f"  {info['rows']:,} rows from {info['first']} to {info['last']}; "
          f"{info['templates']:,} templates; {info['quarantined']:,} quarantined lines"
          + (f", {len(files):,} quarantined files" if files else ""))
    for q in files:  # whole (binary) files set aside, with their size in the reason
        print(f"  quarantined file {q['origin']}: {q['reason']}")
    for s in info["sources"]:
        print(f"  {s['source']:<24} {s['rows']:>10,} rows  {s['first']} .. {s['last']}")
    odd = [t for t in info["time_sources"] if t["inherited"] or t["file_mtime"] or t["none"]
           or str(t["rule"]).startswith("induced:")]
    if odd:
        print("  files with induced rules or rows whose time is not their own line's:")
        for t in odd:
            print(f"    {t['origin']}: rule {t['rule']} ({t['confidence']}), {t['rows']:,} rows; time inherited "
                  f"{t['inherited']:,}, file mtime {t['file_mtime']:,}, none {t['none']:,}")
    if info["foreign_entries"]:
        print("  not LogPilot's: " + ", ".join(info["foreign_entries"]))
    return 0


def cmd_config(args: argparse.Namespace) -> int:
    from .config import keys, load_settings

    settings = load_settings(args.workspace or _default_home())
    values = {k: getattr(settings, k) for k in keys()}
    if args.format == "json":
        _print_json(values)
    else:
        for k, v in values.items():
            print(f"LogPilot.{k} = {v!r}")
    return 0


def cmd_templates(args: argparse.Namespace) -> int:
    if args.text == "remine":  # `logpilot templates remine -w WS`: re-mine with the current miner
        from .ingest.templates_remine import remine_workspace

        with _open(args, existing=True) as ws:
            report = remine_workspace(ws)
        if args.format == "json":
            _print_json(report.__dict__)
        else:
            print(report.summary())
        return 0
    with _open(args, existing=True) as ws:
        hits = ws.search_templates(args.text, n=args.n)
    if args.format == "json":
        _print_json(hits)
    else:
        for h in hits:
            print(f"{h['distance']:.3f}  {h['template_id']}  [{h['service']}]  {h['template']}")
    return 0


def cmd_registry(args: argparse.Namespace) -> int:
    from .ingest.registry import Registry

    home = Path(args.workspace or _default_home())
    reg = Registry(home / "rules.json", disabled=_names(args.no_builtin))
    if args.action == "list":
        rules = reg.list()
        if args.format == "json":
            _print_json([{"name": r.name, "kind": r.kind, "description": r.description} for r in rules])
        else:
            for r in rules:
                print(f"{r.name:<22} {r.kind:<7} {r.description}")
        return 0
    if args.action == "add":
        if args.from_induced:
            from .ingest.registry.report import file_stem

            require_file(args.from_induced, "--from-induced")

            det = reg.detect_file(_read_sample(args.rule_file, args.lines), stem=file_stem(args.rule_file))
            if det.induced is None:
                print(f"{args.rule_file}: the known rule {det.rule.name} fits (confidence "
                      f"{det.confidence:.2f}); nothing to induce")
                return 1
            rule = reg.add(det.induced.rule)
            print(f"added induced rule {rule.name} (confidence {det.confidence:.2f}) to {home / 'rules.json'}")
            return 0
        spec = json.loads(Path(args.rule_file).read_text(encoding="utf-8"))
        rule = reg.add(spec)
        print(f"added rule {rule.name} to {home / 'rules.json'}")
        return 0
    lines = _read_sample(args.file, args.lines)
    if args.action == "detect" and (args.explain or args.format == "json"):
        from .ingest.registry.report import explain, explain_text, file_stem

        info = explain(reg, lines, stem=file_stem(args.file), origin=args.file)
        _print_json(info) if args.format == "json" else print(explain_text(info))
        return 0
    if args.action == "detect":
        from .ingest.registry.report import file_stem

        det = reg.detect_file(lines, stem=file_stem(args.file))
        out = {"rule": det.rule.name, "confidence": round(det.confidence, 3),
               "scores": [(n, round(s, 3)) for n, s in det.scores[:5]]}
        _print_json(out) if args.format == "json" else print(
            f"{det.rule.name} (confidence {det.confidence:.2f}); next: "
            + ", ".join(f"{n} {s:.2f}" for n, s in det.scores[1:4]))
        return 0
    result = reg.test(args.rule, lines)
    if args.format == "json":
        _print_json(result.to_dict())
    else:
        print(f"{result.rule}: {result.matched}/{len(result.results)} lines parsed ({result.ratio:.0%})")
        for r in result.results[:20]:
            mark = "ok " if r.matched else "NO "
            print(f"  {mark}{r.line[:100]}" + ("" if r.matched else f"  <- {r.reason}"))
    return 0 if result.matched else 1


def _names(text: str | None) -> list[str]:
    return [n for n in (text or "").replace(",", " ").split() if n]


def _read_sample(path: str, n: int) -> list[str]:
    out: list[str] = []
    with open(path, encoding="utf-8", errors="replace") as fh:
        for line in fh:
            out.append(line.rstrip("\n"))
            if len(out) >= n:
                break
    return out


def _default_home() -> str:
    from .config import resolve_home

    return str(resolve_home())


def _stamp() -> str:
    import datetime as dt

    return dt.datetime.now().strftime("%Y%m%d-%H%M%S")


# ------------------------------------------------------------------- parser
def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used by the docs test to check documented commands)."""
    parser = CliParser(prog="logpilot", description="Log analytics workbench for Jupyter.")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("demo-data", help="generate the demo estate with its ground truth")
    p.add_argument("--out", required=True, type=folder, help="output folder")
    p.add_argument("--days", type=positive_int, default=3)
    p.add_argument("--seed", type=any_int, default=7)
    p.add_argument("--lines", type=positive_int, default=None, help="scale to about this many lines")
    p.add_argument("--start", default=None, type=iso_date, help="first day, YYYY-MM-DD")
    p.add_argument("--rename-seed", type=any_int, default=None,
                   help="rename services, context keys and message words by this seed")
    p.add_argument("--extra-incidents", action="store_true",
                   help="add incidents whose root cause is outside the symptom's service")
    p.add_argument("--progress", action="store_true", help="progress bars on stderr even when it is not a terminal")
    p.set_defaults(func=cmd_demo_data)

    p = sub.add_parser("ingest", help="bulk-load files, folders or globs into a workspace")
    p.add_argument("inputs", nargs="+", type=in_path)
    add_workspace(p)
    p.add_argument("--source", default=None, type=text, help="logical source name for these rows")
    p.add_argument("--format", default=None, type=text, metavar="RULE",
                   help="registry rule to use instead of detection")
    p.add_argument("--no-parquet", action="store_true", help="skip the Parquet archive")
    p.add_argument("--cluster", default=None, metavar="ADDRESS|local:N", type=text,
                   help="run the job on a Dask scheduler (tcp://host:8786) or N local worker processes")
    p.add_argument("--lake", default=None, metavar="PATH|s3://BUCKET/PREFIX", type=text,
                   help="with --cluster: where the Parquet segments go (default: the workspace's parquet/)")
    p.add_argument("--no-builtin", default=None, metavar="NAMES", type=names,
                   help="comma-separated builtin rules to switch off for this run (e.g. to measure induction)")
    p.add_argument("--timezone", default=None, metavar="ZONE", type=zone,
                   help="zone of times the files write without an offset (IANA name or ±HH:MM, "
                        "e.g. Europe/Berlin, -05:00; default UTC); times with an offset keep theirs")
    p.add_argument("--json", action="store_true", help="print the IngestReport as JSON")
    p.add_argument("--quiet", "-q", action="store_true")
    p.add_argument("--progress", action="store_true",
                   help="a bar per phase on stderr even when it is not a terminal (default: only on a terminal)")
    p.set_defaults(func=cmd_ingest)

    p = sub.add_parser("mine", help="mine templates of one-message-per-line INPUT into a CSV")
    p.add_argument("input", type=in_file)
    p.add_argument("--output", "-o", required=True, type=out_file)
    p.set_defaults(func=cmd_mine)

    p = sub.add_parser("bootstrap", help="run the bootstrap notebook over an archive glob")
    p.add_argument("archive_glob", type=in_path)
    add_workspace(p)
    p.add_argument("--source", default=None, type=text)
    p.add_argument("--format", default=None, type=text, metavar="RULE")
    p.add_argument("--cluster", default=None, metavar="ADDRESS|local:N", type=text,
                   help="the notebook's ingest runs on a Dask scheduler (tcp://host:8786) or N local workers")
    p.add_argument("--lake", default=None, metavar="PATH|s3://BUCKET/PREFIX", type=text,
                   help="with --cluster: where the Parquet segments go (default: the workspace's parquet/)")
    p.add_argument("--html", default=None, type=out_file, help="also render the run log as HTML")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_bootstrap)

    p = sub.add_parser("report", help="run a shipped notebook with papermill (optionally to HTML)")
    p.add_argument("name", help="report name, e.g. investigate_incident, daily_report")
    p.add_argument("-p", "--parameter", nargs=2, action="append", metavar=("KEY", "VALUE"), type=text)
    add_workspace(p)
    p.add_argument("--html", default=None, type=out_file)
    p.add_argument("--show-code", action="store_true", help="keep the code cells in the HTML report")
    p.add_argument("--output", default=None, type=out_file, help="where to keep the executed notebook")
    p.add_argument("--json", action="store_true")
    p.add_argument("--quiet", "-q", action="store_true")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("workspace", help="what a workspace holds")
    add_workspace(p)
    add_format(p)
    p.set_defaults(func=cmd_workspace)

    p = sub.add_parser("config", help="show the effective settings")
    add_workspace(p)
    add_format(p)
    p.set_defaults(func=cmd_config)

    p = sub.add_parser("templates", help="semantic search over the workspace's templates "
                                         "(`templates remine`: re-mine them with the current miner)")
    p.add_argument("text")
    add_workspace(p)
    p.add_argument("-n", type=positive_int, default=5)
    add_format(p)
    p.set_defaults(func=cmd_templates)

    p = sub.add_parser("registry", help="list, add, test and detect parsing rules")
    p.add_argument("action", choices=["list", "add", "test", "detect"])
    p.add_argument("target", nargs="?", type=text, help="add: rule JSON file; test: RULE; detect: FILE")
    p.add_argument("file", nargs="?", type=text, help="test: FILE of sample lines")
    add_workspace(p)
    p.add_argument("--lines", type=positive_int, default=200, help="sample size")
    add_format(p)
    p.add_argument("--explain", action="store_true",
                   help="detect: what was induced, and sample lines split into fields")
    p.add_argument("--from-induced", default=None, metavar="FILE", type=in_file,
                   help="add: induce a rule from FILE and save it to the workspace rules")
    p.add_argument("--no-builtin", default=None, metavar="NAMES", type=names,
                   help="comma-separated builtin rules to switch off")
    p.set_defaults(func=_registry_dispatch)

    from .query.cli import add_subcommands  # `sql` and `ask`, thin over logpilot_kernel.query

    add_subcommands(sub)
    from .why.cli import add_subcommands as add_why_subcommands  # `why`

    add_why_subcommands(sub)
    from .pilot.cli import add_subcommands as add_pilot  # `pilot`: one routed question

    add_pilot(sub)
    from .ingest.worker import add_subcommands as add_worker  # `worker`: the stream daemon

    add_worker(sub)
    return parser


def _registry_dispatch(args: argparse.Namespace) -> int:
    if args.action == "add":
        if not args.target and not args.from_induced:
            raise UsageError("add needs the rule's JSON FILE (or --from-induced FILE)")
        args.rule_file = args.from_induced or args.target
    elif args.action == "detect":
        if not args.target:
            raise UsageError("detect needs a FILE to sample")
        args.file = args.target
    elif args.action == "test":
        if not args.target or not args.file:
            raise UsageError("test needs RULE and FILE")
        args.rule = args.target
    return cmd_registry(args)


def _version() -> str:
    from . import __version__

    return f"logpilot {__version__}"


def _one_line(text: Any) -> str:
    return " ".join(str(text).split())


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``logpilot`` console script: exit 0 done, 1 done with a warning
    (an unbalanced ingest, a rule that fits nothing) or an unexpected error, 2 a bad
    command line or input, 130 interrupted. Every error is one line on stderr."""
    parser = build_parser()
    args = parser.parse_args(argv)
    prog = f"logpilot {args.command}"
    try:
        return int(args.func(args) or 0)
    except json.JSONDecodeError as exc:
        print(f"{prog}: error: invalid JSON: {_one_line(exc)}", file=sys.stderr)
        return 2
    except (LogPilotError, ValueError) as exc:
        print(f"{prog}: error: {_one_line(exc)}", file=sys.stderr)
        return 2
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        print(f"{prog}: error: {_one_line(exc.strerror or exc)}{where}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{prog}: interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 - a bug still ends in one line, not a traceback
        if os.environ.get("LOGPILOT_DEBUG"):
            raise
        print(f"{prog}: internal error: {type(exc).__name__}: {_one_line(exc)} "
              "(set LOGPILOT_DEBUG=1 to see the traceback)", file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
