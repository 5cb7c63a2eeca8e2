"""Settings: environment, workspace TOML and %config, with one-line errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from logpilot_kernel.config import load_settings, resolve_home
from logpilot_kernel.errors import ConfigError


def test_precedence_file_then_env_then_arguments(tmp_path: Path) -> None:
    (tmp_path / "logpilot.toml").write_text('llm = "ollama:qwen"\ndisplay_rows = 20\n')
    s = load_settings(tmp_path, environ={})
    assert s.llm == "ollama:qwen" and s.display_rows == 20
    s = load_settings(tmp_path, environ={"LOGPILOT_DISPLAY_ROWS": "30"})
    assert s.display_rows == 30 and s.llm == "ollama:qwen"
    s = load_settings(tmp_path, overrides={"display_rows": 40}, environ={"LOGPILOT_DISPLAY_ROWS": "30"})
    assert s.display_rows == 40


def test_pyproject_tool_table_is_read(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[tool.logpilot]\nparquet_archive = false\n')
    assert load_settings(tmp_path, environ={}).parquet_archive is False


def test_unknown_key_suggests_the_nearest(tmp_path: Path) -> None:
    (tmp_path / "logpilot.toml").write_text('display_row = 20\n')
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    assert info.value.key == "display_row"
    assert "display_rows" in info.value.suggestions
    assert "did you mean display_rows" in str(info.value)


def test_env_typo_of_a_known_key_is_an_error_but_foreign_vars_are_ignored(tmp_path: Path) -> None:
    with pytest.raises(ConfigError):
        load_settings(tmp_path, environ={"LOGPILOT_DISPLAY_ROWZ": "3"})
    assert load_settings(tmp_path, environ={"LOGPILOT_SOMETHING_ELSE": "x"}).display_rows == 50


@pytest.mark.parametrize("key,value,accepted", [
    ("log_level", "LOUD", "DEBUG, INFO, WARNING, ERROR"),
    ("parquet_archive", "maybe", "boolean"),
    ("chunk_records", "many", "integer"),
])
def test_invalid_values_name_the_key_and_what_is_accepted(tmp_path, key, value, accepted) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={f"LOGPILOT_{key.upper()}": value})
    msg = str(info.value)
    assert key in msg and accepted in msg and "\n" not in msg


def test_invalid_toml_names_the_file(tmp_path: Path) -> None:
    (tmp_path / "logpilot.toml").write_text("llm = [unclosed\n")
    with pytest.raises(ConfigError) as info:
        load_settings(tmp_path, environ={})
    assert "logpilot.toml" in str(info.value)


def test_home_resolution(monkeypatch, tmp_path: Path) -> None:
    assert resolve_home() == Path("logpilot-workspace")
    monkeypatch.setenv("LOGPILOT_HOME", str(tmp_path / "h"))
    assert resolve_home() == tmp_path / "h"


def test_percent_config_reaches_the_kernel_settings(shell) -> None:
    shell.run_cell('%config LogPilot.llm = "openai:gpt-4o-mini"')
    assert shell.user_ns["pilot"].settings.llm == "openai:gpt-4o-mini"
    shell.run_cell("%config LogPilot.display_rows = 7")
    assert shell.user_ns["pilot"].settings.display_rows == 7
