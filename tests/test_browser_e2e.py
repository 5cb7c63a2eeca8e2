"""End to end in a real browser: JupyterLab + the dashboard notebook in headless Chromium.

Set-up: ``tests/setup_browser.sh`` installs Debian's ``chromium`` and Playwright for Python
(Playwright's own browser download does not work offline, so it drives the Debian binary).
Under ``CI=true`` a missing browser FAILS this test; elsewhere it skips with the command.

The test starts JupyterLab on 127.0.0.1 (free port, token, notebook dir in tmp), opens the
dashboard notebook in a fresh kernel, runs every cell from the Run menu, and checks in the
DOM: every dashboard figure has data on its FIRST render (plotly traces with points, no
re-run: this is the blank-figure regression of plotly >= 6 FigureWidgets), a click on a
"failures by service" bar lists only that service's ERROR/FATAL rows, a click on a segment
of the stacked volume chart lists only that severity, and the Discover panel (opened from
the dashboard) filters by a field value and expands a row into its neighbours in the same
file. Three ``%%logsql --plot`` chart cells are appended to the notebook's copy, and the
notebook is saved by JupyterLab WITH its widget state: the file must stay under 1 MB (the
dashboard's charts carry no copy of plotly.js; at most one is loaded into the page).
Many readers, one writer: while the dashboard's kernel (the writer) is alive, a second
notebook opened in another tab starts a second kernel on the same workspace
(``LOGPILOT_HOME``), whose ``%%logsql`` count must equal the one the first kernel printed;
it reads the writer's snapshot (``logpilot_kernel.shared_db``), and says so.
Screenshots, the time to first render, the websocket bytes received until then and the
saved notebook's size go to ``test-output/browser/timings.json``.
The server (and its kernel) is stopped in every case.

Every wait is a condition with a deadline, never a fixed sleep; deadlines are multiplied
by ``LOGPILOT_E2E_TIMEOUT_SCALE`` (default 3: a 60 s base wait timed out once in a full
suite run at load average 6, with the same step taking a few seconds idle) so a loaded
machine can be given more time without editing the test.
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
CHART_QUERIES = (
    "SELECT severity, count(*) AS n FROM logs GROUP BY 1 ORDER BY 2 DESC",
    "SELECT service_name, count(*) AS n FROM logs GROUP BY 1 ORDER BY 2 DESC",
    "SELECT time_bucket(INTERVAL '1 hour', timestamp) AS t, count(*) AS n FROM logs GROUP BY 1 ORDER BY 1")


def _count_cells() -> list:
    """A ``%%logsql`` count, then one line the test reads: the count, the PID, the freshness
    (None on the live file, a "...: read-only snapshot taken at ..." line for a reader)."""
    import nbformat

    return [nbformat.v4.new_code_cell("%%logsql -o lp_seen\nSELECT count(*) AS n FROM logs"),
            nbformat.v4.new_code_cell(
                "import os\nprint(f\"lp-count={int(lp_seen['n'][0])} pid={os.getpid()} "
                "freshness={pilot.workspace.freshness}\")")]


COUNT_CELLS = _count_cells()


def _scale() -> float:
    try:
        return max(float(os.environ.get("LOGPILOT_E2E_TIMEOUT_SCALE", "3")), 0.1)
    except ValueError:
        return 3.0


def ms(seconds: float) -> float:
    """A deadline in milliseconds (Playwright's unit), scaled by LOGPILOT_E2E_TIMEOUT_SCALE."""
    return seconds * 1000 * _scale()


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
    """A loaded workspace and a JupyterLab server over a notebook dir holding the dashboard
    with three chart cells after it."""
    yield from _serve_lab(tmp_path_factory.mktemp("lab"), lines=20_000, charts=CHART_QUERIES)


def _serve_lab(root: Path, lines: int, charts: tuple[str, ...]):
    """Estate, workspace, notebook dir and a JupyterLab server over it (stopped at the end)."""
    chromium = _require_browser()
    from logpilot_kernel import Workspace, reports
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    generate(root / "estate", days=1, seed=7, lines=lines)
    ws = Workspace(root / "ws")
    try:
        ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    finally:
        ws.close()  # the notebook's kernel opens it
    nbdir = root / "notebooks"
    nbdir.mkdir()
    import nbformat

    nb = nbformat.read(str(reports.find("dashboard")), as_version=4)
    nb.cells += [nbformat.v4.new_code_cell(f"%%logsql --plot auto\n{q}") for q in charts]
    nb.cells += COUNT_CELLS
    nbformat.write(nb, str(nbdir / "dashboard.ipynb"))
    # The second kernel's notebook: the extension, then the same count.
    second = nbformat.v4.new_notebook()
    second.cells = [nbformat.v4.new_code_cell("%load_ext logpilot_kernel"), *COUNT_CELLS]
    second.metadata["kernelspec"] = nb.metadata.get("kernelspec", {
        "name": "python3", "display_name": "Python 3", "language": "python"})
    nbformat.write(second, str(nbdir / "second.ipynb"))
    # No news/update pop-up over the page: user settings live in tmp, not in ~/.jupyter.
    settings = root / "lab-settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    # Save widget state with the notebook (off by default): the Done-when measures that file.
    manager = root / "lab-settings" / "@jupyter-widgets" / "jupyterlab-manager"
    manager.mkdir(parents=True)
    (manager / "plugin.jupyterlab-settings").write_text(json.dumps({"saveState": True}))
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
        deadline = time.monotonic() + 90 * _scale()
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
                pytest.fail("jupyter lab did not answer within its deadline")
            time.sleep(0.5)  # poll interval of the condition above, not a wait for an effect
        yield {"base": base, "token": token, "chromium": chromium, "root": root,
               "notebook": nbdir / "dashboard.ipynb"}
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
    return page.locator(".lp-drill-box").inner_text(timeout=ms(5))


# Per dashboard figure: how many points its traces hold (plotly's own data on the element)
# and how many marks it drew (bar paths, heatmap image, scatter points).
_FIGURE_STATE = """() => [...document.querySelectorAll('.lp-dashboard [class*="lp-chart-"]')].map(box => {
  const el = box.querySelector('.js-plotly-plot');
  const name = [...box.classList].find(c => c.startsWith('lp-chart-'));
  if (!el) return {name, points: 0, marks: 0, xrange: null};
  const points = (el.data || []).reduce((n, t) => n + ((t.x || []).length || (t.z || []).length), 0);
  const marks = el.querySelectorAll('.bars .point path, .hm image, .scatterlayer .point').length;
  const xa = el._fullLayout && el._fullLayout.xaxis;
  return {name, points, marks, xrange: xa ? xa.range : null};
})"""


def _hover_and_click(page, chart: str, path) -> None:
    """Hover ``path`` until plotly shows its hover label (plotly picks the clicked point from
    the hover), then click at the same spot."""
    path.scroll_into_view_if_needed()
    box = path.bounding_box()
    assert box and box["height"] > 1 and box["width"] > 0, "the mark has no size"
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_function(f"() => document.querySelector('{chart} .hoverlayer .hovertext') !== null",
                           timeout=ms(15))
    page.mouse.click(x, y)


def _click_bar(page, index: int) -> str:
    """Click bar ``index`` of the failures chart; return its service name."""
    bar = page.locator(".lp-chart-failures .js-plotly-plot .bars .point path").nth(index)
    labels = page.locator(".lp-chart-failures .xaxislayer-above .xtick text")
    service = (labels.nth(index).text_content() or "").strip()
    _hover_and_click(page, ".lp-chart-failures", bar)
    return service


def _column(page, n: int) -> set[str]:
    return set(page.locator(f".lp-drill tbody tr td:nth-child({n})").all_inner_texts())


def _wait_drill_change(page, before: str) -> str:
    page.wait_for_function(
        "(before) => { const b = document.querySelector('.lp-drill-box');"
        " return b && b.innerText !== before && b.innerText.includes('matching rows'); }",
        arg=before, timeout=ms(60))
    return _drill_text(page)


def _run_all(page, lab, name: str = "dashboard.ipynb", workspace: str | None = None) -> float:
    """Open notebook ``name`` in a fresh kernel and Run All; returns the monotonic time of the click.
    ``workspace``: a JupyterLab workspace of its own (reset), so a second tab does not
    restore the notebooks of the first."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    where = f"workspaces/{workspace}/tree/{name}?reset&" if workspace else f"tree/{name}?"
    page.goto(f"{lab['base']}/lab/{where}token={lab['token']}")
    page.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=ms(90))
    # JupyterLab may ask which kernel to start even with one installed: accept it.
    dialog = page.locator(".jp-Dialog .jp-mod-accept")
    try:
        dialog.wait_for(timeout=ms(10))
        dialog.click()
    except PlaywrightTimeout:
        pass
    # The kernel must be idle before Run All, or the cells queue behind its start-up.
    page.wait_for_function(
        "() => { const s = document.querySelector('.jp-Toolbar-kernelStatus, "
        ".jp-Notebook-ExecutionIndicator'); return s && /idle/i.test(s.getAttribute('data-status') "
        "|| s.title || s.textContent || ''); }", timeout=ms(60))
    page.locator(".lm-MenuBar-item", has_text="Run").first.click()
    t_run = time.monotonic()
    page.locator(".lm-Menu-item", has_text="Run All Cells").first.click()
    return t_run


def _printed_count(page) -> dict[str, str]:
    """The count line of :func:`_count_cells` once the page shows it, as a dict."""
    # textContent, not innerText: JupyterLab skips rendering cells out of view
    # (content-visibility), and the count cells are the notebook's last.
    find = ("() => { const e = [...document.querySelectorAll('.jp-OutputArea-output')]"
            ".find(e => /lp-count=\\d+ pid=\\d+ freshness=/.test(e.textContent));"
            " return e ? e.textContent : null; }")
    page.wait_for_function(find, timeout=ms(180))
    text = page.evaluate(find)
    line = text[text.index("lp-count="):].splitlines()[0]
    head, _, freshness = line.partition(" freshness=")
    out = dict(part.split("=", 1) for part in head.split())
    out["freshness"] = freshness
    return out


def _kernels(lab) -> list[dict]:
    """The server's running kernels (its REST API)."""
    with urllib.request.urlopen(f"{lab['base']}/api/kernels?token={lab['token']}", timeout=30) as r:
        return json.loads(r.read())


def _second_kernel_counts(ctx, lab, first: dict[str, str]) -> None:
    """A second notebook (another tab, its own kernel) counts the same workspace while the
    dashboard's kernel holds it: the same number, read from the writer's snapshot."""
    page2 = ctx.new_page()
    try:
        _run_all(page2, lab, "second.ipynb", workspace="lp-second")
        second = _printed_count(page2)
        page2.screenshot(path=str(SHOTS / "second-kernel.png"))
    finally:
        page2.close()
    assert second["pid"] != first["pid"], (first, second)  # two kernels, not one
    assert second["lp-count"] == first["lp-count"], (first, second)
    assert first["freshness"] == "None", first  # the writer reads its live file
    assert "read-only snapshot taken at" in second["freshness"], second
    # ... and the first kernel was alive all along: both still run on the server.
    states = [k.get("execution_state") for k in _kernels(lab)]
    assert len(states) >= 2 and "dead" not in states, states


_ALL_DRAWN = (f"() => {{ const f = ({_FIGURE_STATE})(); return f.length === 5 && "
              "f.every(x => x.points > 0 && x.marks > 0); }")
_BLOB_SCRIPTS = "() => document.querySelectorAll('script[src^=\"blob:\"]').length"


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
            received = [0]  # websocket bytes from the server (kernel messages, widget state)

            def _count(payload) -> None:
                received[0] += len(payload)

            page.on("websocket", lambda sock: sock.on("framereceived", _count))
            t_run, bytes_before = _run_all(page, lab), received[0]

            # A fresh kernel's first render: every one of the five figures must get data
            # without re-running the cell (a blank figure never does: the wait fails).
            page.locator(".lp-dashboard").wait_for(timeout=ms(180))
            dashboard_output = time.monotonic() - t_run  # the kernel's part: cells run, widget shown
            try:
                page.wait_for_function(_ALL_DRAWN, timeout=ms(180))
            except PlaywrightTimeout:
                page.screenshot(path=str(SHOTS / "blank-figures.png"))
                pytest.fail(f"dashboard figures without data on first render: {page.evaluate(_FIGURE_STATE)}")
            first_render = time.monotonic() - t_run
            bytes_to_render = received[0] - bytes_before
            figures = page.evaluate(_FIGURE_STATE)
            assert [f["name"] for f in figures] == [
                "lp-chart-volume", "lp-chart-failures", "lp-chart-heatmap", "lp-chart-templates",
                "lp-chart-new-templates"], figures
            # Not plotly's empty-figure axes (-1..6): the volume axis spans real time.
            assert not (figures[0]["xrange"] == [-1, 6]), figures
            # plotly.js once per page: our views evaluate at most one copy (a blob script).
            loads = page.evaluate(_BLOB_SCRIPTS)
            assert loads <= 1, loads

            # The three chart cells, then JupyterLab saves the notebook with widget state.
            page.wait_for_function(
                "() => [...document.querySelectorAll('.jp-RenderedPlotly')]"
                ".filter(e => (e.data || []).length > 0).length === 3", timeout=ms(120))
            nb_path, mtime = lab["notebook"], lab["notebook"].stat().st_mtime_ns
            page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save')")
            deadline = time.monotonic() + 60 * _scale()
            while not (nb_path.stat().st_mtime_ns != mtime and "application/vnd.jupyter.widget-state+json"
                       in nb_path.read_text()):
                assert time.monotonic() < deadline, "JupyterLab did not save the widget state"
                time.sleep(0.2)  # poll interval of the condition above
            saved = json.loads(nb_path.read_text())
            state = saved["metadata"]["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
            size = nb_path.stat().st_size
            (SHOTS / "timings.json").write_text(json.dumps(
                {"dashboard_first_render_s": round(first_render, 1),
                 "dashboard_output_shown_s": round(dashboard_output, 1),
                 "websocket_bytes_to_save": received[0] - bytes_before,
                 "websocket_bytes_to_first_render": bytes_to_render,
                 "plotly_js_blob_scripts": loads,
                 "saved_notebook_bytes": size, "saved_widget_models": len(state),
                 "figures": figures}, indent=1))
            print(f"dashboard: Run All to the widget shown in {dashboard_output:.1f} s, to every "
                  f"figure drawn with data in {first_render:.1f} s, "
                  f"{bytes_to_render:,} websocket bytes; saved notebook {size:,} bytes")
            assert size < 1_000_000, size

            # Widgets rendered with data: filters, KPIs with numbers, five charts with marks.
            assert page.locator(".lp-dashboard .widget-text input").count() >= 2
            assert page.locator(".lp-dashboard select").count() >= 2
            kpis = page.locator(".lp-kpi-value").all_inner_texts()
            assert len(kpis) == 4 and int(kpis[0].replace(",", "")) > 10_000, kpis
            assert page.locator(".lp-chart-volume .bars .point path").count() > 20
            assert page.locator(".lp-chart-templates .bars .point path").count() == 10
            assert page.locator(".lp-chart-new-templates .scatterlayer .point").count() > 5
            assert page.locator(".lp-spark").count() == 10
            status = page.locator(".lp-status").inner_text()
            assert "rows in view" in status, status
            assert _drill_text(page).strip() == ""
            page.locator(".lp-chart-volume").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "dashboard.png"))

            # A failures bar: that service's ERROR/FATAL rows only.
            service = _click_bar(page, 0)
            page.wait_for_function(
                "() => document.querySelector('.lp-drill-box .lp-drill') !== null", timeout=ms(60))
            first = _drill_text(page)
            assert f"(failures of service {service})" in first and "matching rows" in first, first
            assert "logs/" in first  # provenance: the origin file of each row
            assert page.locator(".lp-drill tbody tr").count() > 0
            assert _column(page, 3) == {service}
            assert _column(page, 2) <= {"ERROR", "FATAL"}, _column(page, 2)
            page.locator(".lp-drill-box").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "dashboard-drilldown.png"))

            # Back to the whole view, then a segment of the stacked volume chart: that
            # bucket's rows of that severity only (the label names the segment's severity).
            page.locator(".lp-dashboard button", has_text="Clear selection").click()
            page.wait_for_function(
                "() => !document.querySelector('.lp-drill-box .lp-drill')", timeout=ms(60))
            segs = page.locator(".lp-chart-volume .bars .point path")
            heights = [(b or {}).get("height", 0) for b in
                       (segs.nth(i).bounding_box() for i in range(min(segs.count(), 60)))]
            _hover_and_click(page, ".lp-chart-volume", segs.nth(heights.index(max(heights))))
            second = _wait_drill_change(page, "")
            label = page.locator(".lp-dashboard .widget-html", has_text="Selected:").inner_text()
            severity = label.split("Selected:")[1].strip().split(" in ")[0]
            assert severity in ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"), label
            assert _column(page, 2) == {severity}, (label, _column(page, 2))
            assert "error" not in page.locator(".lp-status").first.inner_text().lower()

            # Discover from the dashboard: filter by a field value, expand a row.
            page.locator(".lp-dashboard button", has_text="Clear selection").click()
            page.wait_for_function(
                "() => !document.querySelector('.lp-drill-box .lp-drill')", timeout=ms(60))
            page.locator(".lp-dashboard button", has_text="Discover").click()
            disc = page.locator(".lp-discover")
            disc.wait_for(timeout=ms(60))
            page.wait_for_function(
                "() => document.querySelectorAll('.lp-discover .lp-row').length > 0 && "
                "document.querySelector('.lp-discover .lp-histogram') !== null", timeout=ms(60))
            hits = page.locator(".lp-discover .lp-hits").inner_text()
            plus = page.locator(".lp-discover .lp-field-in[title^='filter for service_name = ']").nth(1)
            value = (plus.get_attribute("title") or "").split(" = ", 1)[1]
            plus.scroll_into_view_if_needed()
            plus.click()
            page.wait_for_function(
                "(before) => { const h = document.querySelector('.lp-discover .lp-hits');"
                " return h && h.innerText !== before; }", arg=hits, timeout=ms(60))
            # The new rows are new widget views, drawn after the count: wait for them.
            try:
                page.wait_for_function(
                    "(v) => { const r = [...document.querySelectorAll('.lp-discover .lp-row')];"
                    " return r.length > 0 && r.every(e => e.querySelector('.lp-svc').textContent === v); }",
                    arg=value, timeout=ms(60))
            except PlaywrightTimeout:
                rows = page.locator(".lp-discover .lp-row").all_inner_texts()
                pytest.fail(f"rows after filtering service_name = {value}: {rows[:3]}")
            assert f"service_name: {value}" in disc.inner_text()
            toggle = page.locator(".lp-discover .lp-row-toggle").first
            toggle.scroll_into_view_if_needed()
            toggle.click()
            page.wait_for_function(
                "() => document.querySelector('.lp-discover .lp-neighbours .lp-here') !== null",
                timeout=ms(60))
            assert page.locator(".lp-discover .lp-neighbour").count() > 1
            page.locator(".lp-discover").scroll_into_view_if_needed()
            page.screenshot(path=str(SHOTS / "discover.png"))
            assert "failed" not in page.locator(".lp-discover .lp-status").inner_text()

            # A second kernel on the same workspace while this one is alive.
            first = _printed_count(page)
            assert int(first["lp-count"]) == int(kpis[0].replace(",", "")), (first, kpis)
            _second_kernel_counts(ctx, lab, first)
        finally:
            if "page" in locals():
                page.screenshot(path=str(SHOTS / "last.png"))
            ctx.close()

