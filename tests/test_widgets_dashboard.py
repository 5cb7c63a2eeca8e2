"""The dashboard without a browser: its state after filter changes and simulated clicks.

Clicks go through plotly's own dispatch (``trace._dispatch_on_click``), the path a browser
click takes once it reaches the kernel. Expected numbers come from plain SQL written here,
not from the data layer under test.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
from plotly.callbacks import Points

from logpilot_kernel.widgets import Dashboard, Selection
from logpilot_kernel.widgets import dashboard_data as D


@pytest.fixture(scope="module")
def demo_ws(tmp_path_factory):
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("dash")
    generate(root / "estate", days=1, seed=7, lines=20_000)
    ws = Workspace(root / "ws")
    ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    yield ws
    ws.close()


def click(trace, index: int) -> None:
    """What plotly does when a browser click on point ``index`` of ``trace`` arrives."""
    trace._dispatch_on_click(Points(point_inds=[index], xs=[trace.x[index]],
                                    ys=[trace.y[index]], trace_index=0), None)


def test_initial_render_matches_sql(demo_ws):
    d = Dashboard(demo_ws, period="2024")
    total = demo_ws.scalar("SELECT count(*) FROM logs")
    errors = demo_ws.scalar("SELECT count(*) FROM logs WHERE severity IN ('ERROR','FATAL')")
    assert d.last_error is None, d.last_error
    assert d.kpis["volume"] == total > 0
    assert d.kpis["errors"] == errors
    assert d.kpis["error_rate"] == pytest.approx(errors / total * 100)
    assert d.kpis["templates"] == demo_ws.scalar("SELECT count(DISTINCT template_id) FROM logs")
    # The volume chart's stacked bars add up to every row; failures to every failure.
    assert sum(sum(t.y) for t in d.figures["volume"].data) == total
    assert sum(d.figures["failures"].data[0].y) == errors
    top = d.figures["templates"].data[0]
    assert list(top.x) == sorted(top.x, reverse=True) and len(top.x) == 10
    busiest = demo_ws.scalar("SELECT count(*) FROM logs GROUP BY template_id ORDER BY 1 DESC LIMIT 1")
    assert top.x[0] == busiest
    assert "lp-spark" in d.templates_table.value
    assert sum(map(sum, d.figures["heatmap"].data[0].z)) == total
    assert len(d.figures["new_templates"].data[0].x) == d.kpis["new_templates"] > 0
    assert "2024" in d.title.value and f"{total:,}" in d.kpi_html.value
    assert d.drill_html.value == ""  # no selection, no drill-down yet


def test_figure_state_carries_the_data(demo_ws):
    """The browser draws a chart from its view's synced state, whenever the view comes up
    (a fresh kernel's first cell included): that state must hold the figure's data from the
    first render on and after every re-render, and no copy of plotly.js."""
    import json

    from logpilot_kernel.widgets.plotly_view import PlotlyView

    d = Dashboard(demo_ws, period="all")
    assert set(d.views) == set(d.figures)
    for name, view in d.views.items():
        assert isinstance(view, PlotlyView) and view.figure is d.figures[name]
        state = json.loads(view.get_state()["figure_json"])
        assert state["data"] == json.loads(d.figures[name].to_json())["data"], name
        assert any(len(t.get("x") or t.get("z") or []) for t in state["data"]), name
        assert len(view.get_state()["_esm"]) < 20_000  # plotly.js is loaded once per page
    vol = json.loads(d.views["volume"].figure_json)
    assert sum(sum(t["y"]) for t in vol["data"]) == d.kpis["volume"]
    d.set_filters(services=["sshd"])
    vol = json.loads(d.views["volume"].figure_json)
    assert sum(sum(t["y"]) for t in vol["data"]) == d.kpis["volume"] == demo_ws.scalar(
        "SELECT count(*) FROM logs WHERE service_name = 'sshd'")
    assert json.loads(d.views["failures"].figure_json)["data"][0]["x"] == ["sshd"]
    assert vol["layout"]["xaxis"]["range"]


def test_view_serves_plotly_js_and_routes_clicks(demo_ws):
    """The two custom messages of a view's front end, through the real comm handler: a
    request for plotly.js is answered with the installed bundle as one binary buffer, and a
    plotly.js click event reaches the dashboard's click callback (drill-down)."""
    import plotly

    d = Dashboard(demo_ws, period="all")
    view = d.views["failures"]
    sent = []
    view.send = lambda content, buffers=None: sent.append((content, buffers))
    view._handle_custom_msg({"type": "plotly-js"}, [])
    (content, buffers), = sent
    assert content == {"type": "plotly-js"} and len(buffers) == 1
    assert f"plotly.js v{plotly.offline.get_plotlyjs_version()}".encode() in bytes(buffers[0][:200])
    worst = d.figures["failures"].data[0].x[0]
    view._handle_custom_msg({"type": "click", "points": [
        {"trace": 0, "index": 0, "x": worst, "y": 1}]}, [])
    assert d.selection == Selection.failures(worst) and d.drill_total > 0
    assert set(d.drill["severity"]) <= {"ERROR", "FATAL"}
    view._handle_custom_msg({"type": "click", "points": [{"trace": 7, "index": 0}]}, [])
    assert d.selection == Selection.failures(worst) and d.last_error is None
    # In JupyterLab the views need no kernel round trip: the dashboard's first child is a
    # hidden plotly output, which the plotly extension draws with its own plotly.js.
    loader = d.children[0]
    assert loader.layout.display == "none"
    assert loader.outputs[0]["data"]["application/vnd.plotly.v1+json"] == {"data": [], "layout": {}}


def test_filter_change_rerenders(demo_ws):
    d = Dashboard(demo_ws, period="2024")
    d.service_box.value = ("sshd",)
    n = demo_ws.scalar("SELECT count(*) FROM logs WHERE service_name = 'sshd'")
    assert d.kpis["volume"] == n
    assert list(d.figures["failures"].data[0].x) == ["sshd"]
    d.text_box.value = "Failed password"
    n2 = demo_ws.scalar("SELECT count(*) FROM logs WHERE service_name = 'sshd' "
                        "AND body ILIKE '%failed password%'")
    assert 0 < d.kpis["volume"] == n2 < n
    d.set_filters(services=[], text="", severities=["ERROR", "FATAL"])
    assert d.kpis["error_rate"] == pytest.approx(100.0)
    assert d.last_error is None


def test_click_bar_filters_and_drills_down(demo_ws):
    d = Dashboard(demo_ws, period="all")
    bar = d.figures["failures"].data[0]
    worst = bar.x[0]
    click(bar, 0)
    assert d.selection == Selection.failures(worst)
    # A failures bar lists that service's failures only (ERROR/FATAL), as many as the bar.
    expected = demo_ws.scalar("SELECT count(*) FROM logs WHERE service_name = ? AND severity "
                              "IN ('ERROR', 'FATAL')", [worst])
    assert d.drill_total == expected == d.kpis["volume"] == bar.y[0] > 0
    assert set(d.drill["service_name"]) == {worst}
    assert set(d.drill["severity"]) <= {"ERROR", "FATAL"}
    assert {"origin", "origin_offset"} <= set(d.drill.columns)
    assert d.drill["origin"].str.contains("logs/").all()
    assert "lp-drill" in d.drill_html.value and not d.clear_button.disabled
    # A second click on a segment of the volume chart narrows to that bucket and severity.
    trace = next(t for t in d.figures["volume"].data if any(t.y))
    i = next(j for j, v in enumerate(trace.y) if v)
    lo = pd.Timestamp(trace.x[i]).to_pydatetime()
    hi = lo + dt.timedelta(seconds=d.bucket[1])  # the bucket of the chart that was clicked
    click(trace, i)
    assert (d.selection.start, d.selection.end) == (lo, hi)
    n = demo_ws.scalar("SELECT count(*) FROM logs WHERE service_name = ? AND timestamp >= ? "
                       "AND timestamp < ? AND severity = ?", [worst, lo, hi, trace.name])
    assert d.drill_total == n == trace.y[i] and d.selection.service == worst
    assert set(d.drill["severity"]) == {trace.name}
    d.clear_button.click()
    assert d.selection is None and d.drill_html.value == ""
    assert d.kpis["volume"] == demo_ws.scalar("SELECT count(*) FROM logs")


def test_click_template_and_heatmap(demo_ws):
    d = Dashboard(demo_ws, period="all")
    top = d.frames["templates"]
    click(d.figures["templates"].data[0], 1)
    assert d.selection.template_id == top["template_id"][1]
    assert set(d.drill["template_id"]) == {top["template_id"][1]}
    assert d.drill_total == top["rows"][1]
    d.clear_selection()
    heat = d.figures["heatmap"].data[0]
    heat._dispatch_on_click(Points(point_inds=[0], xs=[heat.x[3]], ys=[heat.y[0]],
                                   trace_index=0), None)
    assert d.selection.service == heat.y[0] and d.selection.end - d.selection.start == dt.timedelta(hours=1)
    assert set(d.drill["service_name"]) == {heat.y[0]}


def test_period_with_no_rows(demo_ws):
    d = Dashboard(demo_ws, period="2023")
    assert d.kpis["volume"] == 0
    assert "No rows match period <b>2023</b>" in d.notice.value
    assert "2024-05-30" in d.notice.value  # says what the workspace does hold
    assert d.last_error is None
    d.period_box.value = "2024-05"
    assert d.notice.value == "" and d.kpis["volume"] > 0


def test_empty_workspace_names_the_load_command(workspace):
    d = Dashboard(workspace)
    assert "holds no logs yet" in d.notice.value
    assert "%logpilot ingest" in d.notice.value and "logpilot ingest" in d.notice.value
    assert d.charts.layout.display == "none"
    assert d.last_error is None
    # Rows arrive (a load in another cell): refresh shows them, services included.
    workspace.con.execute(
        "INSERT INTO logs (timestamp, severity, service_name, body, template_id, message, context, "
        "source, origin, origin_offset) VALUES ('2024-03-01 10:00', 'ERROR', 'api', 'boom <*>', "
        "'T1', 'boom 1', '{}', 'test', 'a.log', 1), ('2024-03-01 10:05', 'INFO', 'api', 'ok', "
        "'T2', 'ok', '{}', 'test', 'a.log', 2)")
    d.refresh()
    assert d.charts.layout.display is None and d.notice.value == ""
    assert d.kpis["volume"] == 2 and d.kpis["error_rate"] == 50.0
    assert d.service_box.options == ("api",)


def test_callback_errors_show_in_status_line(demo_ws, tmp_path):
    from logpilot_kernel import Workspace

    d = Dashboard(demo_ws, period="all")
    d.period_box.value = "next tuesday"
    assert "PeriodError" in d.status_line.value and "next tuesday" in d.status_line.value
    d.period_box.value = "all"
    assert d.last_error is None and d.kpis["volume"] > 0
    # Explain this spike: the why-engine's answer lands below, or the status line says why not.
    d.select(Selection("service gateway", service="gateway"))
    d.explain_button.click()
    try:
        import logpilot_kernel.why  # noqa: F401
    except ImportError:
        assert "explain this spike failed" in d.status_line.value
    else:
        assert d.last_error is None, d.last_error
        assert "explained: why did gateway spike" in d.status_line.value
        assert len(d.why_out.outputs) == 1 and "text/html" in d.why_out.outputs[0]["data"]
    # A workspace closed under the dashboard: the click is reported, the widget lives on.
    other = Workspace(demo_ws.path)
    d2 = Dashboard(other, period="all")
    other.let_go(d2)  # a dashboard holds its workspace (Workspace.hold): force the close here
    other.close()
    click(d2.figures["failures"].data[0], 0)
    assert "click failed" in d2.status_line.value and "closed" in d2.status_line.value
    assert d2.children and d2.kpis["volume"] > 0  # last good state kept


def test_parse_period_forms():
    ext = D.Extent(10, dt.datetime(2024, 5, 30), dt.datetime(2024, 5, 31, 12), [])
    assert D.parse_period("2024") == (dt.datetime(2024, 1, 1), dt.datetime(2025, 1, 1))
    assert D.parse_period("2024-12") == (dt.datetime(2024, 12, 1), dt.datetime(2025, 1, 1))
    assert D.parse_period("2024-05-30")[1] == dt.datetime(2024, 5, 31)
    assert D.parse_period("last 24h", ext)[0] == dt.datetime(2024, 5, 30, 12, 0, 1)
    assert D.parse_period("2024-05-30T09:00Z..2024-05-30T10:00")[0] == dt.datetime(2024, 5, 30, 9)
    assert D.parse_period("all", ext)[0] == ext.first
    with pytest.raises(D.PeriodError, match="last 7d"):
        D.parse_period("2024-13")


def test_export_is_standalone(demo_ws, tmp_path: Path):
    d = Dashboard(demo_ws, period="all", service="gateway")
    click(d.figures["volume"].data[2], 0)
    out = d.export(tmp_path / "dash.html")
    text = out.read_text()
    assert text.count("Plotly.newPlot") == 5 and len(text) > 1_000_000  # plotly.js inlined
    assert "<script src=" not in text  # nothing fetched: opens offline, no kernel
    assert "gateway" in text and "lp-drill" in text and "lp-kpis" in text


def test_dashboard_magic(demo_ws, tmp_path: Path):
    from IPython.core.error import UsageError

    from logpilot_kernel.config import load_settings
    from logpilot_kernel.magics.dashboard import dashboard_magic
    from logpilot_kernel.magics.pilot import Pilot

    pilot = Pilot(load_settings(demo_ws.path), demo_ws.path)
    try:
        d = dashboard_magic(pilot, ["--period", "all", "--service", "sshd,firewall",
                                    "--export", str(tmp_path / "x.html")])
        assert set(d.figures["failures"].data[0].x) == {"sshd", "firewall"}
        assert (tmp_path / "x.html").exists()
        with pytest.raises(UsageError):
            dashboard_magic(pilot, ["--nope"])
    finally:
        pilot.close()


def test_saved_notebook_with_dashboard_and_three_charts_stays_under_one_megabyte(tmp_path: Path):
    """Issue 18's Done-when, on a real saved notebook: a fresh kernel (nbclient) runs the
    dashboard and three ``%%logsql --plot`` charts, and the .ipynb is written WITH the
    widget state (nbclient stores every widget model's state in the notebook metadata, as
    JupyterLab's "save widget state" does). Five plotly FigureWidgets put five copies of
    plotly's 4.9 MB front-end bundle in that state; the dashboard's own views must not."""
    import json

    import nbformat

    from tests.chart_notebook import run_chart_notebook

    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    generate(tmp_path / "estate", days=1, seed=3, lines=5_000)
    with Workspace(tmp_path / "ws") as ws:  # closed: the notebook's kernel opens it
        ingest(ws, [str(tmp_path / "estate" / "logs")], progress=False, parquet=False)
    nb = run_chart_notebook(tmp_path / "ws", ["%logpilot dashboard --period all"], store_widget_state=True)
    errors = [o for c in nb.cells for o in c.outputs if o.output_type == "error"]
    assert not errors, errors
    out = tmp_path / "dashboard.ipynb"
    nbformat.write(nb, str(out))
    state = nb.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    size = out.stat().st_size
    print(f"saved notebook (dashboard + three charts, widget state included): {size:,} bytes; "
          f"widget state {len(json.dumps(state)):,} bytes")
    views = [m for m in state.values() if m["model_name"] == "AnyModel"]
    assert len(views) == 5, [m["model_name"] for m in state.values()]  # the five charts
    # Each view holds its figure's data (drawn on first render) and a small front end.
    for m in views:
        assert json.loads(m["state"]["figure_json"])["data"], m["state"].get("figure_json", "")[:200]
        assert len(m["state"]["_esm"]) < 20_000
    assert size < 1_000_000, size
