"""``logpilot_kernel.pilot.ask`` on a real demo estate: routes, follow-ups, dry runs,
ambiguity, questions about data that is not there, and the notebook under papermill.

Expected numbers come from SQL written here (not the parser's) and from the generator's
ground truth. Tests that run the why-engine or the dashboard skip when those packages are
not importable (they arrive separately); see ``needs_why``.
"""

from __future__ import annotations

import datetime as dt
import importlib.util

import nbformat
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.pilot import Conversation, ask
from logpilot_kernel.pilot.engines import DashboardPlan, SchemaAnswer

NOW = dt.datetime(2024, 5, 31)
HAS_WHY = importlib.util.find_spec("logpilot_kernel.why") is not None
needs_why = pytest.mark.skipif(not HAS_WHY, reason="the why-engine (logpilot_kernel.why) is not installed")
ERR = "severity IN ('ERROR', 'FATAL')"


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    """A one-day demo estate, loaded, with no handle left open (papermill needs the file)."""
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("pilot")
    truth = generate(root / "estate", days=1, seed=7, lines=30_000).to_dict()
    ws = Workspace(root / "ws")
    try:
        ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    finally:
        ws.close()
    return root / "ws", truth


@pytest.fixture
def ws(estate):
    w = Workspace(estate[0])
    yield w
    w.close()


def _by_service(ws, where: str) -> dict[str, int]:
    return dict(ws.cursor().execute(
        f"SELECT service_name, count(*) FROM logs WHERE {where} GROUP BY 1").fetchall())


MAY = "timestamp >= '2024-05-01' AND timestamp < '2024-06-01'"


# ------------------------------------------------------------------ report
def test_report_goes_to_the_sql_engine_with_the_right_numbers(ws):
    ans = ask(ws, "errors by service in May 2024", now=NOW)
    assert (ans.mode, ans.route.intent, ans.route.engine) == ("answered", "report", "sql")
    got = dict(zip(ans.frame["service_name"], ans.frame["records"]))  # falls through to the QueryResult
    assert got == _by_service(ws, f"{ERR} AND {MAY}")
    d = ans.to_dict()
    assert d["route"]["engine"] == "sql" and d["answer"]["sql"] == ans.answer.sql
    assert {r["service_name"] for r in d["answer"]["rows"]} == set(got)


def test_followup_refines_the_previous_report(ws):
    conv = Conversation()
    ask(ws, "errors by service in May 2024", state=conv, now=NOW)
    ans = ask(ws, "and only payment?", state=conv, now=NOW)
    assert ans.route.followup and ans.route.intent == "report"
    assert ans.frame.to_dict("records") == [
        {"service_name": "payment", "records": _by_service(ws, f"{ERR} AND {MAY}")["payment"]}]
    assert "services = payment" in " ".join(ans.notes)
    ctx = conv.context()
    assert ctx["turns"] == 2 and ctx["scope"]["services"] == ["payment"]
    assert ctx["base_question"] == "errors by service in May 2024"
    # a new window replaces the old one and keeps the service and the breakdown
    ans = ask(ws, "what about yesterday?", state=conv, now=NOW)
    expected = _by_service(ws, f"{ERR} AND timestamp >= '2024-05-30' AND timestamp < '2024-05-31'")
    assert dict(zip(ans.frame["service_name"], ans.frame["records"])) == {"payment": expected["payment"]}
    conv.reset()
    assert not ask(ws, "and only checkout?", state=conv, now=NOW).route.followup


@needs_why
def test_why_followup_gets_the_conversation_scope(ws, estate):
    truth = estate[1]
    conv = Conversation()
    ask(ws, "errors by service in May 2024", state=conv, now=NOW)
    ask(ws, "and only payment?", state=conv, now=NOW)
    ans = ask(ws, "why?", state=conv, now=NOW)
    assert (ans.route.intent, ans.route.engine, ans.route.followup) == ("why", "why", True)
    assert ans.answer.searched["services"] == ["payment"]
    w = ans.answer.to_dict()["window"]
    start, end = dt.datetime.fromisoformat(w["start"]), dt.datetime.fromisoformat(w["end"])
    hits = [i for i in truth["incidents"] if "payment" in i["affected_services"]
            and dt.datetime.fromisoformat(i["start"][:19]) < end
            and start < dt.datetime.fromisoformat(i["end"][:19])]
    assert hits, (w, [(i["id"], i["start"], i["end"]) for i in truth["incidents"]])
    assert set(ans.to_dict()["answer"]) >= {"window", "root_causes", "evidence", "narrative"}


@needs_why
def test_entity_trace_follows_the_order(ws, estate):
    order = estate[1]["incidents"][0]["entities"]["order_id"]
    ans = ask(ws, f"trace order {order}", now=NOW)
    assert (ans.route.intent, ans.route.engine, ans.route.entity) == ("trace", "why", order)
    assert ans.answer.entity is not None and ans.answer.entity.entity == order
    assert ans.answer.entity.direct == ws.scalar(
        "SELECT count(*) FROM logs WHERE context->>'order_id' = ?", [order])


# ------------------------------------------------------------------ dry run
def test_dry_run_shows_the_plan_and_runs_nothing(ws, monkeypatch):
    from logpilot_kernel.pilot import engines

    conv = Conversation()
    ask(ws, "errors by service in May 2024", state=conv, now=NOW)
    before = conv.context()

    def boom(*a, **k):
        raise AssertionError("a dry run executed an engine")

    monkeypatch.setattr(engines, "run_report", boom)
    monkeypatch.setattr(engines, "run_why", boom)
    monkeypatch.setattr(engines, "run_dashboard", boom)
    ans = ask(ws, "and only payment?", state=conv, now=NOW, dry_run=True)
    assert (ans.mode, ans.answer) == ("dry_run", None)
    assert "service_name IN ('payment')" in ans.plan["sql"] and ans.plan["read_only"]
    assert "2024-05-01" in ans.plan["sql"]
    why = ask(ws, "why is checkout failing?", state=conv, now=NOW, dry_run=True)
    assert why.plan["engine"] == "why" and why.plan["arguments"]["question"] == "why is checkout failing?"
    assert any("G-test" in s for s in why.plan["steps"])
    if HAS_WHY:
        assert why.plan["engine_scope"]["services"] == ["checkout"]
    dash = ask(ws, "dashboard for payment in May 2024", now=NOW, dry_run=True)
    assert (dash.plan["period"], dash.plan["service"]) == ("2024-05", ["payment"])
    assert conv.context() == before  # a dry run leaves the conversation alone


# --------------------------------------------------------------- ambiguity
def test_an_ambiguous_question_offers_two_readings_and_runs_nothing(ws):
    conv = Conversation()
    ans = ask(ws, "payment errors spike", state=conv, now=NOW)
    assert ans.mode == "ambiguous" and ans.answer is None
    intents = [a["intent"] for a in ans.route.alternatives]
    assert sorted(intents) == ["report", "why"]
    assert all(a["hint"].startswith("%pilot --as ") for a in ans.route.alternatives)
    assert "pick one" in ans._repr_html_() and conv.context()["turns"] == 0
    # picking the report reading: a spike is seen in counts over time
    report = ask(ws, "payment errors spike", state=conv, now=NOW, intent="report")
    assert report.route.forced and report.effective_question == "payment errors per hour"
    hourly = dict(ws.cursor().execute(
        f"SELECT date_trunc('hour', timestamp), count(*) FROM logs WHERE service_name = 'payment' "
        f"AND {ERR} GROUP BY 1").fetchall())
    assert dict(zip(report.frame["hour"], report.frame["records"])) == hourly


# ----------------------------------------------------------------- no data
def _holds_everything(text: str, ws) -> None:
    s = ws.summary()
    for src in s["sources"]:
        assert src["source"] in text and src["first"][:16] in text
    assert s["first"][:19] in text and s["last"][:19] in text


def test_a_window_outside_the_data_says_what_the_workspace_holds(ws):
    ans = ask(ws, "how many errors in 2019", now=NOW)
    assert ans.mode == "no_data" and ans.answer is None
    assert "no rows between 2019-01-01" in ans.notes[0]
    _holds_everything(ans.notes[0], ws)
    ans = ask(ws, "why did payment fail in March?", now=NOW)
    assert ans.mode == "no_data" and ans.route.engine == "why"


def test_an_unknown_service_says_which_exist(ws):
    ans = ask(ws, "errors for the billing service", now=NOW)
    assert ans.mode == "no_data" and "no service named 'billing'" in ans.notes[0]
    for svc in _by_service(ws, "TRUE"):
        assert svc in ans.notes[0]


def test_an_empty_result_inside_the_data_adds_what_it_holds(ws):
    ans = ask(ws, 'how many errors containing "no-such-text-anywhere" in May 2024', now=NOW)
    assert ans.mode == "answered" and int(ans.frame.iloc[0, 0]) == 0
    assert ans.notes and ans.notes[-1].startswith("nothing matched")
    _holds_everything(ans.notes[-1], ws)


def test_an_empty_workspace(workspace):
    ans = ask(workspace, "how many errors yesterday", now=NOW)
    assert ans.mode == "no_data" and "holds no rows yet" in ans.notes[0]


# ------------------------------------------------------------ schema/help
def test_schema_question_answers_from_the_workspace(ws):
    ans = ask(ws, "what fields does the firewall log have", now=NOW)
    assert ans.route.intent == "schema" and isinstance(ans.answer, SchemaAnswer)
    keys = {r[0] for r in ws.cursor().execute(
        "SELECT DISTINCT unnest(json_keys(context)) FROM logs WHERE service_name = 'firewall'").fetchall()}
    assert set(ans.answer.keys) == {"firewall"} and set(ans.answer.keys["firewall"]) == keys
    helped = ask(ws, "banana", now=NOW)
    assert helped.mode == "help" and helped.answer.examples


# ---------------------------------------------------------------- dashboard
def test_dashboard_without_a_factory_is_its_plan(ws):
    ans = ask(ws, "open the dashboard for payment in May 2024", now=NOW)
    assert isinstance(ans.answer, DashboardPlan)
    assert ans.answer.command == "%logpilot dashboard --period 2024-05 --service payment"


def test_dashboard_with_the_notebook_factory(ws):
    pytest.importorskip("logpilot_kernel.widgets.dashboard", reason="the dashboard is not installed")
    from logpilot_kernel.magics.pilot_magic import dashboard_factory

    ans = ask(ws, "open the dashboard for payment in May 2024", now=NOW, dashboard=dashboard_factory)
    assert ans.route.engine == "dashboard"
    assert ans.answer.kpis["volume"] == _by_service(ws, MAY)["payment"]
    assert ans.to_dict()["answer"]["kind"] == "dashboard"


# ----------------------------------------------------------------- notebook
@needs_why
def test_ask_anything_notebook_runs_headless(estate, tmp_path):
    from logpilot_kernel import reports

    source = nbformat.read(str(reports.find("ask_anything")), as_version=4)
    assert source.metadata["kernelspec"]["name"] == "python3"
    tagged = [c for c in source.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1 and "workspace" in tagged[0].source
    assert sum(c.cell_type == "markdown" for c in source.cells) >= 5
    result = reports.run_report("05_ask_anything", {"workspace": str(estate[0])},
                                executed=tmp_path / "nb.ipynb", html=tmp_path / "nb.html")
    nb = nbformat.read(str(result.executed), as_version=4)
    errors = [o for c in nb.cells for o in c.get("outputs", []) if o.get("output_type") == "error"]
    assert not errors, errors
    text = "\n".join(str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", ""))
                     for c in nb.cells for o in c.get("outputs", []))
    for needle in ("Route: report -> sql", "Follow-up SQL filters payment: True",
                   "Route: why -> why", "Top cause: ", "Route: trace -> why for ORD-",
                   "dry run (nothing executed)", "pilot: conversation cleared"):
        assert needle in text, (needle, text[-1500:])
    assert "Plotly.newPlot" in result.html.read_text(encoding="utf-8")


def test_a_question_with_no_cue_that_the_workspace_lexicon_reads_is_a_report(ws):
    from logpilot_kernel.pilot import router

    q = "firewall blocks on port 22 yesterday"  # no cue word: only the data's words say SQL
    assert router.route(q, ["firewall"], now=NOW).intent == "schema"
    ans = ask(ws, q, now=NOW, dry_run=True)
    assert ans.route.intent == "report", ans.route.reasons


@pytest.mark.parametrize("q,intent", [
    ("p95 of checkout latency on Friday", "report"),
    ("median response size in bytes at the gateway", "report"),
    ("the longest wait anyone hit when the pool ran dry", "report"),
    ("what fraction of the failed ssh attempts were aimed at root?", "report"),
    ("when did 10.1.2.3 first fail an ssh login?", "report"),
    ("break down failed orders by reason over the whole window", "report"),
    ("orders placed each hour on Tuesday", "report"),
    ("between 09:10 and 09:45 checkout kept reporting timeouts - why?", "why"),
    ("checkout and catalog both logged write errors: what's the common cause?", "why"),
    ("what are the two most common reasons for failed orders?", "report"),
])
def test_statistics_first_seen_and_trailing_why_route_by_their_cues(q, intent):
    from logpilot_kernel.pilot import router

    assert router.route(q, ["checkout", "catalog", "gateway"], now=NOW).intent == intent
