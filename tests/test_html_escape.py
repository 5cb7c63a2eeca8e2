"""Log text with markup renders as text in every HTML surface (issue 17, item 6).

A real ingest of lines whose message, service, context key and value and file name carry
``<script>``, ``<img onerror>`` and ``"'&``; then the why-answer, the ask answers, the status
panel, Discover (rows, fields, neighbours), the schema view, the live panel, the dashboard
widget and its HTML export must hold the markup only escaped. The HTML report (papermill +
nbconvert, heavy) is in :func:`test_html_report_escapes_log_text`.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path
from typing import Any

import ipywidgets as w
import pytest

from logpilot_kernel import Workspace

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(2)>"
AMP = "\"q'&x"
MSG = f"payment rejected {SCRIPT} {IMG} {AMP}"
SVC = "<b>svc</b><script>alert(3)</script>"
KEY = "<script>alert(4)</script>"
VALUE = "<img src=y onerror=alert(5)>"
FILE = "<img src=z onerror=alert(6)>.log"
START = dt.datetime(2024, 3, 4)
NOW = START + dt.timedelta(hours=6)


def assert_text_only(page: str, *, expect: tuple[str, ...] = ()) -> None:
    """No live markup from the log; each of ``expect`` present in its escaped form (so the
    surface did render the value instead of hiding it)."""
    assert not re.search(r"<script>alert|<img src=[xyz]|<b>svc", page), _near(page, "alert(")
    assert "&x" not in page.replace("&amp;x", ""), _near(page, "&x")  # a bare & is escaped
    for raw in expect:
        assert _escaped(raw) in page or _escaped(raw, quote=False) in page, (raw, page[:3000])


def _escaped(raw: str, quote: bool = True) -> str:
    import html

    return html.escape(raw, quote=quote)


def _near(page: str, needle: str) -> str:
    i = page.find(needle)
    return page[max(0, i - 300): i + 300]


def _widget_html(widget: Any) -> str:
    """Every HTML value in a widget tree (Labels and Buttons show text, HTML widgets markup)."""
    out = []
    stack = [widget]
    while stack:
        x = stack.pop()
        if isinstance(x, (w.HTML, w.HTMLMath)):
            out.append(x.value)
        stack.extend(getattr(x, "children", ()) or ())
    return "\n".join(out)


def _load(root: Path) -> Workspace:
    """A real ingest of a quiet baseline then a burst of the hostile failure."""
    from logpilot_kernel.ingest.bulk import ingest

    src = root / "in" / FILE
    src.parent.mkdir(parents=True)
    lines = []
    for m in range(0, 300, 2):
        t = START + dt.timedelta(minutes=m)
        lines.append({"ts": t.isoformat() + "Z", "level": "info", "service": "web",
                      "msg": f"request served in {m % 17} ms", "trace_id": f"a{m}"})
    for k in range(60):
        t = START + dt.timedelta(hours=4, seconds=20 * k)
        lines.append({"ts": t.isoformat() + "Z", "level": "error", "service": SVC, "msg": MSG,
                      "trace_id": f"b{k}", KEY: VALUE})
    src.write_text("".join(json.dumps(x) + "\n" for x in lines), encoding="utf-8")
    space = Workspace(root / "ws")
    report = ingest(space, [str(src)], progress=False, parquet=False)
    assert report.rows_loaded == len(lines)
    assert space.scalar("SELECT count(*) FROM logs WHERE message = ?", [MSG]) == 60
    return space


@pytest.fixture(scope="module")
def ws(tmp_path_factory: pytest.TempPathFactory):
    space = _load(tmp_path_factory.mktemp("html"))
    yield space
    space.close()


def test_why_answer_html(ws) -> None:
    from logpilot_kernel.why import why

    ans = why(ws, f"why did payments get rejected {SCRIPT}?", now=NOW)
    page = ans._repr_html_()
    assert_text_only(page, expect=(SCRIPT,))
    ans = why(ws, "why errors", service=SVC, now=NOW)
    assert_text_only(ans._repr_html_(), expect=(IMG,))


def test_ask_answers_html(ws) -> None:
    from logpilot_kernel.pilot import ask

    for q in ("which messages are most common among errors", f'how many logs containing "{SCRIPT}"',
              "errors by service", "why did payments get rejected", "what can I ask"):
        ans = ask(ws, q, now=NOW)
        assert_text_only(ans._repr_html_())
    ans = ask(ws, "top 5 messages of errors", now=NOW)
    assert_text_only(ans._repr_html_())


def test_status_schema_and_live_panels(ws) -> None:
    from logpilot_kernel.query.schema_info import schema_view
    from logpilot_kernel.widgets.live import render_status
    from logpilot_kernel.widgets.status import WorkspaceStatus

    assert_text_only(_widget_html(WorkspaceStatus(ws)))
    cur = ws.cursor()
    try:
        assert_text_only(schema_view(cur)._repr_html_(), expect=(KEY,))
    finally:
        cur.close()
    page = render_status({"state": SCRIPT, "rows_per_s": 3.0, "rows_written": 9,
                          "lag": {FILE: 4}, "last_error": IMG,
                          "newest_templates": [{"template": MSG}, AMP]})
    assert_text_only(page, expect=(SCRIPT, IMG, FILE))


def test_discover_rows_fields_and_neighbours(ws) -> None:
    from logpilot_kernel.widgets.discover import Discover

    d = Discover(ws, "all")
    d.search("payment rejected")
    assert d.total == 60
    d.filter_value("service_name", SVC)
    d.filter_value(f"ctx.{KEY}", VALUE)
    assert d.total == 60
    d.expand(0)
    page = _widget_html(d)
    assert_text_only(page, expect=(SCRIPT, SVC, VALUE))


def test_dashboard_widget_and_export(ws, tmp_path: Path) -> None:
    from logpilot_kernel.widgets.dashboard import Dashboard
    from logpilot_kernel.widgets.dashboard_data import Selection

    dash = Dashboard(ws, "all", text="rejected")
    assert dash.last_error is None, dash.last_error
    dash.select(Selection.failures(SVC))
    assert dash.drill_total == 60
    assert_text_only(_widget_html(dash), expect=(SVC,))
    out = dash.export(tmp_path / "dash.html", include_plotlyjs=False)
    page = Path(out).read_text(encoding="utf-8")
    assert_text_only(page, expect=(SVC, SCRIPT))
    # the plotly figures carry the service name in JSON inside <script>: never a closing tag
    assert "</script><script>alert" not in page and "alert(3)</script>" not in page
    dash.set_filters(text=f"rejected {SCRIPT}")
    assert_text_only(dash.export(tmp_path / "dash2.html", include_plotlyjs=False).read_text(encoding="utf-8"))


def test_html_report_escapes_log_text(tmp_path: Path) -> None:
    """The investigation report (papermill, then nbconvert) over the hostile estate: its
    evidence and samples show the markup as text."""
    from logpilot_kernel import reports

    space = _load(tmp_path)
    path = space.path
    space.close()  # the papermill kernel must be able to open the file
    result = reports.run_report("investigate_incident", {
        "workspace": str(path), "question": "why did payments get rejected",
        "since": (START + dt.timedelta(hours=3)).isoformat(),
        "until": (START + dt.timedelta(hours=5)).isoformat()},
        executed=tmp_path / "10.ipynb", html=tmp_path / "10.html")
    page = result.html.read_text(encoding="utf-8")
    body = page.split("<main>", 1)[-1]  # the report's content, not nbconvert's own CSS/JS
    assert_text_only(body, expect=(SCRIPT,))


def test_no_script_of_the_log_runs_in_a_browser(ws, tmp_path: Path) -> None:
    """The exported dashboard (plotly.js inline, so the charts draw the hostile service
    name) and the why-answer opened in headless chromium: no ``alert`` fires. A control
    page with the same markup unescaped must fire one, so the check can fail."""
    from playwright.sync_api import sync_playwright

    from logpilot_kernel.why import why
    from logpilot_kernel.widgets.dashboard import Dashboard
    from logpilot_kernel.widgets.dashboard_data import Selection
    from tests.test_browser_e2e import CHROMIUM_FLAGS, _require_browser

    chromium = _require_browser()
    dash = Dashboard(ws, "all")
    dash.select(Selection.failures(SVC))
    pages = {"dashboard": dash.export(tmp_path / "dash.html", include_plotlyjs=True)}
    answer = why(ws, "why did payments get rejected", now=NOW)._repr_html_()
    pages["why"] = tmp_path / "why.html"
    pages["why"].write_text(f"<!DOCTYPE html><html><body>{answer}</body></html>", encoding="utf-8")
    pages["control"] = tmp_path / "control.html"
    pages["control"].write_text(f"<!DOCTYPE html><html><body>{IMG}</body></html>", encoding="utf-8")
    fired: dict[str, list[str]] = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        try:
            for name, path in pages.items():
                page = browser.new_page()
                fired[name] = []
                page.on("dialog", lambda d, n=name: (fired[n].append(d.message), d.dismiss()))
                page.goto(Path(path).resolve().as_uri(), wait_until="load")
                page.wait_for_timeout(1500)  # onerror of a broken image fires after load
                if name == "dashboard":
                    assert page.locator(".plot-container").count() >= 1  # the charts did draw
                page.close()
        finally:
            browser.close()
    assert fired["control"], "the control page's alert did not fire: the check is blind"
    assert fired["dashboard"] == [] and fired["why"] == [], fired
