"""End to end in a real browser: JupyterLab + the dashboard notebook in headless Chromium.

Set-up: ``tests/setup_browser.sh`` installs Debian's ``chromium`` and Playwright for Python
(Playwright's own browser download does not work offline, so it drives the Debian binary).
Under ``CI=true`` a missing browser FAILS this test; elsewhere it skips with the command.

The test starts JupyterLab on 127.0.0.1 (free port, token, notebook dir in tmp), opens the
dashboard notebook, runs every cell from the Run menu, checks the DOM (widgets, KPIs, plotly
bars with data), clicks a bar of "failures by service" and checks that the drill-down table
appeared and then changed with a second click, and saves screenshots under
``test-output/browser/``. The server (and its kernel) is stopped in every case.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHOTS = ROOT / "test-output" / "browser"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--disable-dev-shm-usage"]

pytestmark = pytest.mark.slow


def _chromium() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _require_browser() -> str:
    """The chromium path; fail under CI, skip elsewhere, when the set-up did not run."""
    missing = []
    path = _chromium()
    if path is None:
        missing.append("the Debian 'chromium' package")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        missing.append("Playwright for Python")
    if missing:
        msg = f"{' and '.join(missing)} missing: run tests/setup_browser.sh"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(msg)
        pytest.skip(msg)
    return path  # type: ignore[return-value]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A loaded workspace and a JupyterLab server over a notebook dir holding the dashboard."""
    chromium = _require_browser()
    from logpilot_kernel import Workspace, reports
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("lab")
    generate(root / "estate", days=1, seed=7, lines=20_000)
    ws = Workspace(root / "ws")
    try:
        ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    finally:
        ws.close()  # the notebook's kernel opens it
    nbdir = root / "notebooks"
    nbdir.mkdir()
    shutil.copy(reports.find("dashboard"), nbdir / "dashboard.ipynb")
    # No news/update pop-up over the page: user settings live in tmp, not in ~/.jupyter.
    settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    port, token = _free_port(), "logpilot-e2e-" + os.urandom(6).hex()
    env = dict(os.environ, LOGPILOT_HOME=str(root / "ws"),
               JUPYTERLAB_SETTINGS_DIR=str(root / "lab-settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "lab-workspaces"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"))
    cmd = [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--ip", "127.0.0.1",
           "--port", str(port), f"--IdentityProvider.token={token}",
           f"--ServerApp.root_dir={nbdir}", "--ServerApp.port_retries=0",
           "--LabApp.expose_app_in_browser=True"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = open(root / "jupyter.log", "w")
    proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=nbdir,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited: {(root / 'jupyter.log').read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("jupyter lab did not answer within 90 s")
            time.sleep(0.5)
        yield {"base": base, "token": token, "chromium": chromium, "root": root}
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen) -> None:
    """Stop the server we started (its process group: the kernel too), gently first."""
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait(5)


def _drill_text(page) -> str:
    return page.locator(".lp-drill-box").inner_text(timeout=5_000)


def _click_bar(page, index: int) -> str:
    """Click bar ``index`` of the failures chart at its centre; return its service name."""
    bars = page.locator(".lp-chart-failures .js-plotly-plot .bars .point path")
    bar = bars.nth(index)
    bar.scroll_into_view_if_needed()
    box = bar.bounding_box()
    assert box and box["height"] > 1, "the bar has no size"
    x, y = box["x"] + box["width"] / 2, box["y"] + max(box["height"] - 3, 1) / 2 + 1
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    labels = page.locator(".lp-chart-failures .xaxislayer-above .xtick text")
    return (labels.nth(index).text_content() or "").strip()


def test_dashboard_in_jupyterlab(lab):
    from playwright.sync_api import TimeoutError as PlaywrightTimeout
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(lab["root"] / "chromium-profile"), executable_path=lab["chromium"],
            headless=True, args=CHROMIUM_FLAGS, viewport={"width": 1500, "height": 1100})
        try:
            page = ctx.new_page()
            page.goto(f"{lab['base']}/lab/tree/dashboard.ipynb?token={lab['token']}")
            page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=90_000)
            # JupyterLab may ask which kernel to start even with one installed: accept it.
            dialog = page.locator(".jp-Dialog .jp-mod-accept")
            try:
                dialog.wait_for(timeout=10_000)
                dialog.click()
            except PlaywrightTimeout:
                pass
            # The kernel must be idle before Run All, or the cells queue behind its start-up.
            page.wait_for_function(
                "() => { const s = document.querySelector('.jp-Toolbar-kernelStatus, "
                ".jp-Notebook-ExecutionIndicator'); return s && /idle/i.test(s.getAttribute('data-status') "
                "|| s.title || s.textContent || ''); }", timeout=60_000)
            page.locator(".lm-MenuBar-item", has_text="Run").first.click()
            page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()

            dash = page.locator(".lp-dashboard")
            dash.wait_for(timeout=120_000)
            page.wait_for_function(
                "() => document.querySelectorAll('.lp-dashboard .js-plotly-plot').length >= 5 && "
                "document.querySelectorAll('.lp-chart-failures .bars .point path').length > 0",
                timeout=180_000)
            # Widgets rendered with data: filters, KPIs with numbers, five charts with marks.
            assert page.locator(".lp-dashboard .widget-text input").count() >= 2
            assert page.locator(".lp-dashboard select").count() >= 2
            kpis = page.locator(".lp-kpi-value").all_inner_texts()
            assert len(kpis) == 4 and int(kpis[0].replace(",", "")) > 10_000, kpis
            assert page.locator(".lp-chart-volume .bars .point path").count() > 20
            assert page.locator(".lp-chart-heatmap .hm, .lp-chart-heatmap image").count() >= 1
            assert page.locator(".lp-chart-templates .bars .point path").count() == 10
            assert page.locator(".lp-chart-new-templates .scatterlayer .point").count() > 5
            assert page.locator(".lp-spark").count() == 10
            status = page.locator(".lp-status").inner_text()
            assert "rows in view" in status, status
            assert _drill_text(page).strip() == ""
            page.locator(".lp-chart-volume").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "dashboard.png"))
            page.locator(".lp-chart-templates").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "dashboard-charts.png"))

            # Click the biggest failures bar: the dashboard filters and lists its rows.
            service = _click_bar(page, 0)
            page.wait_for_function(
                "() => document.querySelector('.lp-drill-box .lp-drill') !== null", timeout=60_000)
            first = _drill_text(page)
            assert f"(service {service})" in first and "matching rows" in first, first
            assert "logs/" in first  # provenance: the origin file of each row
            rows = page.locator(".lp-drill tbody tr")
            assert rows.count() > 0
            assert set(rows.locator("td:nth-child(3)").all_inner_texts()) == {service}
            page.locator(".lp-drill-box").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "dashboard-drilldown.png"))

            # The chart now shows that service only; pick its bucket in the volume chart instead:
            # a second click narrows to one time bucket, and the table must change.
            page.locator(".lp-chart-volume").scroll_into_view_if_needed()
            bar = page.locator(".lp-chart-volume .bars .point path").nth(3)
            box = bar.bounding_box()
            assert box is not None
            x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
            page.mouse.move(x, y)
            page.wait_for_timeout(300)
            page.mouse.click(x, y)
            page.wait_for_function(
                "(before) => { const b = document.querySelector('.lp-drill-box');"
                " return b && b.innerText !== before && b.innerText.includes('matching rows'); }",
                arg=first, timeout=60_000)
            second = _drill_text(page)
            assert second != first and f"service {service};" in second, second
            assert "error" not in page.locator(".lp-status").inner_text().lower()
        finally:
            if "page" in locals():
                page.screenshot(path=str(SHOTS / "last.png"))
            ctx.close()
