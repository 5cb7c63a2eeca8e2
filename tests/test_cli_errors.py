"""Every CLI error is one line naming the option and the accepted form, exit status 2.

The sub-commands and their options are read from the parser itself, so a new
sub-command or option is covered the day it is added; an option that takes a value
without a validator (``type=`` from ``logpilot_kernel.cli_args``, ``choices`` or a plain
``int``) fails the test instead of being skipped. Positional free text (a question, a
SQL statement) is the library's to judge and is tested by its own commands.
"""

from __future__ import annotations

import argparse
import datetime as dt
import subprocess
import sys
from pathlib import Path

import pytest

from logpilot_kernel.cli import build_parser, main


def _subcommands() -> dict[str, argparse.ArgumentParser]:
    parser = build_parser()
    actions = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    assert len(actions) == 1
    return dict(actions[0].choices)


def _bad_value(action: argparse.Action, tmp: Path) -> str:
    """A value each validator must refuse (a file where a folder is expected, and so on)."""
    if action.choices is not None:
        return "not-a-choice"
    kind = getattr(action.type, "__name__", None)
    a_file = tmp / "a-file.txt"
    a_file.write_text("x")
    bad = {
        "iso_time": "notadate", "iso_date": "2024-13-01", "duration_ms": "soon",
        "positive_int": "0", "count_int": "-1", "any_int": "many", "int": "many", "float": "much",
        "port": "70000", "text": "", "names": " , ", "folder": str(a_file), "out_file": str(tmp),
        "in_file": "", "in_path": "", "zone": "Nowhere/Land",
    }
    assert kind in bad, f"{action.dest}: option {action.option_strings or action.dest} has no validator"
    return bad[kind]


def _cases(tmp: Path) -> list[tuple[str, list[str], str]]:
    """(sub-command, argv, what the message must name) for each value-taking argument."""
    cases = []
    for name, sub in sorted(_subcommands().items()):
        positionals = [a for a in sub._actions if not a.option_strings]
        for action in sub._actions:
            if isinstance(action, (argparse._HelpAction, argparse._VersionAction)) or action.nargs == 0:
                continue
            n = action.nargs if isinstance(action.nargs, int) else 1
            if action.option_strings:
                bad = [_bad_value(action, tmp)] * n
                cases.append((name, [name, action.option_strings[0], *bad], action.option_strings[0]))
            elif action is positionals[0] and (action.type is not None or action.choices is not None):
                # a free-text question is the library's to judge ("ask a question"); later
                # positionals need the earlier ones first
                bad = [_bad_value(action, tmp)] * n
                cases.append((name, [name, *bad], action.metavar or action.dest))
    return cases


def test_every_subcommand_and_every_option_taking_a_value_is_covered(tmp_path: Path) -> None:
    subs = _subcommands()
    cases = _cases(tmp_path)
    assert {c[0] for c in cases} == set(subs), "a sub-command without a value-taking argument?"
    assert len(cases) >= 60


def test_a_bad_value_of_any_option_is_one_line_naming_it_with_exit_2(tmp_path: Path, capsys) -> None:
    failures = []
    for name, argv, needle in _cases(tmp_path):
        try:
            code = main(argv)
        except SystemExit as exc:
            code = exc.code
        out, err = capsys.readouterr()
        lines = err.strip().splitlines()
        ok = (code == 2 and len(lines) == 1 and "Traceback" not in err and out == ""
              and lines[0].startswith(f"logpilot {name}: error:") and needle in lines[0])
        if not ok:
            failures.append((argv, code, err[-300:]))
    assert failures == []


def test_validators_name_the_accepted_form(tmp_path: Path, capsys) -> None:
    for argv, form in [
        (["ask", "q", "--now", "notadate"], "2024-06-01T10:00:00+02:00"),
        (["why", "--since", "notadate"], "ISO-8601"),
        (["demo-data", "--out", str(tmp_path / "d"), "--start", "2024-13-01"], "YYYY-MM-DD"),
        (["worker", "--bootstrap-servers", "b:9092", "--topic", "t", "--group", "g", "--batch-ms", "soon"], "2s"),
        (["templates", "x", "-n", "zero"], "whole number >= 1"),
        (["workspace", "--format", "yaml"], "choose from 'text', 'json'"),
    ]:
        with pytest.raises(SystemExit) as info:
            main(argv)
        err = capsys.readouterr().err
        assert info.value.code == 2 and form in err and err.count("\n") == 1, (argv, err)


def _cli(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_the_reported_tracebacks_are_one_line_errors_in_a_real_process(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    for args in (["ask", "errors", "--now", "notadate", "-w", ws], ["why", "--since", "notadate", "-w", ws],
                 ["demo-data", "--out", str(tmp_path / "d"), "--start", "2024-13-01"],
                 ["ingest", str(tmp_path / "does-not-exist.log"), "-w", ws],
                 ["mine", str(tmp_path / "missing.log"), "-o", str(tmp_path / "out.csv")],
                 ["bootstrap", str(tmp_path / "none" / "*.log"), "-w", ws, "--quiet"],
                 ["sql", "SELECT value FROM duckdb_settings()", "-w", ws],
                 ["registry", "test", "json_lines"]):
        p = _cli(*args, cwd=tmp_path)
        assert p.returncode == 2, (args, p.stderr)
        assert "Traceback" not in p.stderr and p.stderr.strip().count("\n") == 0, (args, p.stderr)
        assert p.stdout == "", (args, p.stdout)
    assert not (tmp_path / "ws").exists() or not any((tmp_path / "ws").glob("parquet/**/*.parquet"))


def test_a_missing_input_among_good_ones_loads_nothing(tmp_path: Path, capsys) -> None:
    good = tmp_path / "good.log"
    good.write_text("2024-06-01T10:00:00Z INFO hello\n")
    code = main(["ingest", str(good), str(tmp_path / "typo.log"), "-w", str(tmp_path / "ws"), "-q"])
    err = capsys.readouterr().err
    assert code == 2 and "typo.log" in err and "no such file" in err
    assert not (tmp_path / "ws").exists()


def test_an_offset_in_now_is_converted_not_dropped(tmp_path: Path) -> None:
    from logpilot_kernel.cli_args import iso_time

    parser = build_parser()
    for argv in (["ask", "q", "--now", "2024-06-01T10:00:00+02:00"], ["pilot", "q", "--now", "2024-06-01T10:00:00+02:00"],
                 ["why", "--now", "2024-06-01T10:00:00+02:00", "--since", "2024-06-01T10:00:00+02:00",
                  "--until", "2024-06-01T10:00:00+02:00"]):
        args = parser.parse_args(argv)
        for key in ("now", "since", "until"):
            if getattr(args, key, None) is not None:
                assert getattr(args, key) == dt.datetime(2024, 6, 1, 8, 0), (argv, key)
    assert iso_time("2024-06-01T10:00:00Z") == dt.datetime(2024, 6, 1, 10, 0)


def test_missing_input_files_are_refused_when_the_command_runs(tmp_path: Path, capsys) -> None:
    """Existence is checked at run time (a documented command line parses anywhere),
    still as one line naming the argument."""
    missing = str(tmp_path / "missing.log")
    for argv, needle in ((["mine", missing, "-o", str(tmp_path / "t.csv")], "INPUT"),
                         (["registry", "add", "--from-induced", missing, "-w", str(tmp_path / "ws")],
                          "--from-induced")):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and needle in err and "no such file" in err, err


@pytest.mark.parametrize("argv", [["sql", "SELECT 1"], ["ask", "how many rows"], ["why", "why errors"],
                                  ["pilot", "how many rows"], ["templates", "timeout"]])
def test_a_read_only_command_on_a_missing_workspace_is_an_error_and_creates_nothing(
        tmp_path: Path, capsys, argv: list[str]) -> None:
    ws = tmp_path / "typo-ws"
    assert main([*argv, "-w", str(ws)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "does not exist" in err and "logpilot ingest" in err
    assert not ws.exists()  # a mistyped folder is not left behind, empty
    (tmp_path / "empty").mkdir()
    assert main([*argv, "-w", str(tmp_path / "empty")]) == 2
    assert "holds no workspace" in capsys.readouterr().err
