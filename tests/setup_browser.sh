#!/usr/bin/env bash
# Set-up for tests/test_browser_e2e.py: Debian's chromium and Playwright for Python.
# Playwright's own browser download does not work offline, so the test points Playwright
# at the Debian binary instead. Idempotent: does nothing when both are already present.
# Usage: tests/setup_browser.sh [PYTHON]   (default: .venv/bin/python)
set -euo pipefail
PY="${1:-.venv/bin/python}"
if ! command -v chromium >/dev/null 2>&1; then
    SUDO=""
    if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi
if ! "$PY" -c "import playwright" >/dev/null 2>&1; then
    "$PY" -m pip install -q "playwright>=1.40,<2"
fi
echo "browser set-up: $(command -v chromium) ($(chromium --version 2>/dev/null | head -1)), playwright $("$PY" -c 'import importlib.metadata as m; print(m.version("playwright"))')"
