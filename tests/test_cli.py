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


def test_registry_list_detect_test_and_add_persist_in_the_workspace(tmp_path: Path) -> None:
    ws = str(tmp_path / "ws")
    sample = tmp_path / "app.log"
    sample.write_text("2024-05-30 10:00:00,123 ERROR [main] com.shop.App - boom 1\n"
                      "2024-05-30 10:00:01,456 INFO  [main] com.shop.App - fine 2\n")
    listed = json.loads(_cli("registry", "list", "-w", ws, "--format", "json").stdout)
    assert {"log4j", "nginx_access", "generic"} <= {r["name"] for r in listed}
    det = json.loads(_cli("registry", "detect", str(sample), "-w", ws, "--format", "json").stdout)
    assert det["rule"] == "log4j" and det["confidence"] > 0.8
    tested = _cli("registry", "test", "nginx_access", str(sample), "-w", ws, "--format", "json")
    assert tested.returncode == 1 and json.loads(tested.stdout)["matched"] == 0
    rule = tmp_path / "rule.json"
    rule.write_text(json.dumps({
        "name": "shop_app", "kind": "regex",
        "pattern": r"^(?P<timestamp>\S+ \S+) (?P<severity>[A-Z]+)\s+\[(?P<thread>[^\]]+)\] (?P<logger>\S+) - (?P<message>.*)$",
        "timestamp_formats": ["%Y-%m-%d %H:%M:%S,%f"], "default_service": "shop",
        "examples": ["2024-05-30 10:00:00,123 ERROR [main] com.shop.App - boom 1"]}))
    added = _cli("registry", "add", str(rule), "-w", ws)
    assert added.returncode == 0, added.stderr
    again = json.loads(_cli("registry", "test", "shop_app", str(sample), "-w", ws, "--format", "json").stdout)
    assert again["matched"] == 2 and again["lines"][0]["fields"]["service_name"] == "shop"
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"name": "broken", "kind": "regex", "pattern": "(?P<message>(unclosed"}))
    refused = _cli("registry", "add", str(bad), "-w", ws)
    assert refused.returncode == 2 and "broken" in refused.stderr and "Traceback" not in refused.stderr
