"""No import cycle between ``logpilot_kernel`` and ``logpilot_kernel.workspace`` (issue 17 item 8).

Each import runs first in a fresh interpreter: a cycle shows only in the order that enters
it, and any earlier import in the same process would hide it.
"""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.parametrize("first", [
    "import logpilot_kernel",
    "import logpilot_kernel.workspace",
    "from logpilot_kernel.workspace import Workspace",
    "from logpilot_kernel import Workspace",
    "import logpilot_kernel.config",
])
def test_each_entry_imports_first_in_a_fresh_interpreter(first: str) -> None:
    code = (f"{first}\n"
            "import logpilot_kernel, logpilot_kernel.workspace\n"
            "assert logpilot_kernel.Workspace is logpilot_kernel.workspace.Workspace\n"
            "print('ok')\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0 and proc.stdout.strip() == "ok", proc.stderr[-3000:]
