"""``log_level`` has an effect (issue 17 item 8: it was read and validated, then ignored).

The setting is the level of the ``logpilot`` logger: set when the extension loads (from
``LOGPILOT_LOG_LEVEL`` or ``logpilot.toml``), at once on ``%config LogPilot.log_level``,
and the default of ``logpilot worker --log-level``. Each case in a fresh interpreter, so
the process-wide logger state of one test cannot leak into another.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(code: str, tmp_path: Path, **env: str) -> str:
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300, env={**os.environ, "LOGPILOT_HOME": str(tmp_path / "ws"), **env})
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_the_extension_applies_the_setting_and_config_changes_it(tmp_path: Path) -> None:
    out = _run(
        "import logging\n"
        "from IPython.core.interactiveshell import InteractiveShell\n"
        "log = logging.getLogger('logpilot.any')\n"
        "print('before', logging.getLevelName(log.getEffectiveLevel()))\n"
        "ip = InteractiveShell.instance()\n"
        "ip.run_line_magic('load_ext', 'logpilot_kernel')\n"
        "print('loaded', logging.getLevelName(log.getEffectiveLevel()), log.isEnabledFor(logging.WARNING))\n"
        "ip.run_line_magic('config', 'LogPilot.log_level = \"DEBUG\"')\n"
        "print('config', logging.getLevelName(log.getEffectiveLevel()), log.isEnabledFor(logging.DEBUG))\n",
        tmp_path, LOGPILOT_LOG_LEVEL="ERROR")
    assert "before WARNING" in out, out  # Python's default: the setting was not in effect yet
    assert "loaded ERROR False" in out, out
    assert "config DEBUG True" in out, out


def test_loading_settings_alone_leaves_the_process_logger_alone(tmp_path: Path) -> None:
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws" / "logpilot.toml").write_text('log_level = "DEBUG"\n')
    out = _run("import logging\nfrom logpilot_kernel.config import load_settings\n"
               "s = load_settings('ws')\n"
               "print(s.log_level, logging.getLevelName(logging.getLogger('logpilot').level))\n", tmp_path)
    assert out.split() == ["DEBUG", "NOTSET"], "a workspace handle's settings do not reset the session's level"


def test_the_worker_defaults_to_the_workspace_setting(tmp_path: Path) -> None:
    ws = tmp_path / "wsw"
    ws.mkdir()
    (ws / "logpilot.toml").write_text('log_level = "WARNING"\n')
    code = ("import argparse\nfrom logpilot_kernel.ingest.worker import add_subcommands, _settings_level\n"
            "p = argparse.ArgumentParser(); add_subcommands(p.add_subparsers(dest='c'))\n"
            "base = ['worker', '--bootstrap-servers', 'h:1', '--topic', 't', '--group', 'g', '-w', %r]\n"
            "a = p.parse_args(base)\n"
            "print(a.log_level, _settings_level(a))\n"
            "b = p.parse_args(base + ['--log-level', 'DEBUG'])\n"
            "print(b.log_level)\n") % str(ws)
    assert _run(code, tmp_path).split() == ["None", "WARNING", "DEBUG"]
