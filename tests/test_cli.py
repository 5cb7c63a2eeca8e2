"""The console script: sub-commands thin over the API, errors as one line and exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from logpilot_kernel.cli import build_parser, main


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "logpilot_kernel.cli", *args], capture_output=True,
                          text=True, timeout=300, cwd=cwd)


def test_workspace_info_as_json_creates_an_unknown_workspace(tmp_path: Path) -> None:
    p = _cli("workspace", "--workspace", str(tmp_path / "new"), "--format", "json")
    assert p.returncode == 0, p.stderr
    info = json.loads(p.stdout)
    assert info["rows"] == 0 and info["schema_version"] >= 1
    assert (tmp_path / "new" / "logpilot.duckdb").exists()


def test_errors_are_one_line_with_exit_status_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "logpilot.duckdb").write_text("not a database" * 20)
    p = _cli("workspace", "--workspace", str(bad))
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert p.stderr.strip().count("\n") == 0 and "logpilot.duckdb" in p.stderr


def test_invalid_config_is_one_line_naming_key_and_values(tmp_path: Path) -> None:
    (tmp_path / "logpilot.toml").write_text('log_level = "LOUD"\n')
    p = _cli("config", "--workspace", str(tmp_path))
    assert p.returncode == 2
    assert "log_level" in p.stderr and "DEBUG, INFO, WARNING, ERROR" in p.stderr
    assert "Traceback" not in p.stderr


def test_unknown_report_lists_what_exists(capsys) -> None:
    assert main(["report", "investigat_incident"]) == 2
    err = capsys.readouterr().err
    assert "did you mean" in err and "investigate_incident" in err


def test_the_documented_subcommands_exist() -> None:
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name in ("demo-data", "ingest", "mine", "bootstrap", "report", "workspace", "config",
                 "templates", "registry"):
        assert name in sub.choices, name
