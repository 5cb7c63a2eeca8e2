"""Docs checked by tests: what the README and architecture notes promise exists."""

from __future__ import annotations

import re
from pathlib import Path

from logpilot_kernel.cli import build_parser
from logpilot_kernel.schema import FIELDS

ROOT = Path(__file__).resolve().parent.parent


def test_readme_starts_with_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    first_block = text.split("```")[1]
    assert "make demo" in first_block and "make test" in first_block


def test_every_cli_command_in_the_readme_parses() -> None:
    text = (ROOT / "README.md").read_text()
    parser = build_parser()
    commands = re.findall(r"^logpilot ([^#\n]+)", text, flags=re.M)
    assert len(commands) >= 5
    for cmd in commands:
        argv = re.findall(r"'[^']*'|\"[^\"]*\"|\S+", cmd.strip())
        parser.parse_args([a.strip("'\"") for a in argv])


def test_every_golden_field_is_documented() -> None:
    text = (ROOT / "docs" / "architecture.md").read_text()
    for f in FIELDS:
        assert f"| `{f.name}` | {f.duckdb_type}" in text, f.name


def test_makefile_targets_named_in_the_readme_exist() -> None:
    make = (ROOT / "Makefile").read_text()
    for target in re.findall(r"make (\w[\w-]*)", (ROOT / "README.md").read_text()):
        assert re.search(rf"^{target}:", make, flags=re.M), target


def test_ci_runs_the_readme_test_command() -> None:
    assert "make test" in (ROOT / ".ci" / "run").read_text()
