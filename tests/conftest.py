"""Shared fixtures: real workspaces in temporary folders and a real IPython shell."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
OFFLINE_ENV = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "ANONYMIZED_TELEMETRY": "False"}


@pytest.fixture(autouse=True)
def _offline_and_isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test may reach a hub, and none may pick up a developer's LOGPILOT_* settings."""
    for k in list(os.environ):
        if k.startswith("LOGPILOT_"):
            monkeypatch.delenv(k, raising=False)
    for k, v in OFFLINE_ENV.items():
        monkeypatch.setenv(k, v)


@pytest.fixture
def workspace(tmp_path: Path):
    from logpilot_kernel import Workspace

    ws = Workspace(tmp_path / "ws")
    yield ws
    ws.close()


@pytest.fixture
def shell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """A real InteractiveShell whose run_cell re-raises, with the extension loaded."""
    from IPython.core.interactiveshell import InteractiveShell

    monkeypatch.setenv("LOGPILOT_HOME", str(tmp_path / "kernel-ws"))
    ip = InteractiveShell.instance()
    original = ip.run_cell

    def run_cell(src: str, **kw):
        result = original(src, **kw)
        result.raise_error()
        return result

    ip.run_cell = run_cell  # type: ignore[method-assign]
    ip.run_line_magic("load_ext", "logpilot_kernel")
    yield ip
    ip.run_line_magic("unload_ext", "logpilot_kernel")
    ip.run_cell = original  # type: ignore[method-assign]
    InteractiveShell.clear_instance()


def python() -> str:
    """The interpreter running the tests (child processes use the same environment)."""
    return sys.executable
