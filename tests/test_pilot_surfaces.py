"""The pilot's other surfaces on a real (small) estate: the model tier with LangChain fake
chat models, ``logpilot pilot`` and ``%%pilot`` / ``%pilot`` through a real shell.

The fakes say nothing of model quality; they script what a model would do (call a tool,
write text) so the loop, the read-only guard, the number check and the fallbacks are tested.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json

import pytest
from IPython.core.error import UsageError
from langchain_core.language_models.fake_chat_models import GenericFakeChatModel
from langchain_core.messages import AIMessage

from logpilot_kernel import Workspace
from logpilot_kernel.pilot import ask

NOW = dt.datetime(2024, 5, 31)
ERRORS_PAYMENT = ("SELECT count(*) FROM logs WHERE service_name = 'payment' "
                  "AND severity IN ('ERROR', 'FATAL')")


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("pilot-surfaces")
    generate(root / "estate", days=1, seed=11, lines=8_000)
    ws = Workspace(root / "ws")
    try:
        ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    finally:
        ws.close()
    return root / "ws"


@pytest.fixture
def ws(estate):
    w = Workspace(estate)
    yield w
    w.close()


class ToolFake(GenericFakeChatModel):
    """A scripted chat model that accepts tools and records what it was sent."""

    seen: list = []

    def bind_tools(self, tools, **kwargs):  # the loop binds the engines as tools
        self.seen.append([t.name for t in tools])
        return self

    def invoke(self, messages, *args, **kwargs):
        self.seen.append(list(messages))
        return super().invoke(messages, *args, **kwargs)


def _call(name: str, args: dict, cid: str = "c1") -> AIMessage:
    return AIMessage(content="", tool_calls=[{"name": name, "args": args, "id": cid}])


def _model(*replies: AIMessage) -> ToolFake:
    return ToolFake(messages=iter(replies), seen=[])


# --------------------------------------------------------------- model tier
def test_agent_calls_the_sql_engine_and_its_numbers_are_checked(ws):
    n = ws.scalar(ERRORS_PAYMENT)
    model = _model(_call("sql_answer", {"question": "how many errors for payment"}),
                   AIMessage(content=f"Payment logged {n} errors."))
    ans = ask(ws, "how bad was payment?", now=NOW, model=model)
    assert (ans.route.engine, ans.route.intent) == ("sql", "report")
    assert "the model called sql_answer" in ans.route.reason
    assert int(ans.frame.iloc[0, 0]) == n and ans.narrative == f"Payment logged {n} errors."
    assert model.seen[0] == ["sql_answer", "run_sql", "search_templates", "why", "dashboard"]
    system = model.seen[1][0].content
    assert "service_name values" in system and "'payment'" in system  # grounded like the SQL tier
    assert "The workspace holds" in system
    assert ans.route.alternatives[0]["source"] == "router"

    invented = _model(_call("sql_answer", {"question": "how many errors for payment"}),
                      AIMessage(content=f"Payment logged {n + 4217} errors."))
    ans = ask(ws, "how bad was payment?", now=NOW, model=invented)
    assert ans.narrative is None and str(n + 4217) in ans.notes[-1]
    assert int(ans.frame.iloc[0, 0]) == n  # the engine's answer stands


def test_agent_sql_is_read_only(ws):
    rows = ws.scalar("SELECT count(*) FROM logs")
    model = _model(_call("run_sql", {"sql": "DELETE FROM logs"}),
                   _call("run_sql", {"sql": ERRORS_PAYMENT}, "c2"),
                   AIMessage(content="done"))
    ans = ask(ws, "count payment errors", now=NOW, model=model)
    assert ws.scalar("SELECT count(*) FROM logs") == rows
    tool_replies = [m.content for m in model.seen[-1] if getattr(m, "type", "") == "tool"]
    assert tool_replies[0].startswith("error:")
    assert ans.answer.origin == "model" and int(ans.frame.iloc[0, 0]) == ws.scalar(ERRORS_PAYMENT)


@pytest.mark.parametrize("case", ["no_tools", "raises", "no_engine", "too_long"])
def test_agent_failures_fall_back_to_the_router(ws, case):
    if case == "no_tools":
        model = GenericFakeChatModel(messages=iter([AIMessage(content="x")]))
    elif case == "raises":
        class Down(ToolFake):
            def invoke(self, *a, **k):
                raise ConnectionError("connection refused")
        model = Down(messages=iter([]), seen=[])
    elif case == "no_engine":
        model = _model(AIMessage(content="payment had 12 errors"))
    else:
        model = _model(*[_call("search_templates", {"text": "payment"}, f"c{i}") for i in range(8)])
    ans = ask(ws, "errors by service", now=NOW, model=model)
    assert (ans.route.engine, ans.route.reason.startswith("the model")) == ("sql", False)
    assert ans.notes and "router answered" in ans.notes[0]
    assert dict(zip(ans.frame["service_name"], ans.frame["records"])) == dict(
        ws.cursor().execute("SELECT service_name, count(*) FROM logs WHERE severity IN "
                            "('ERROR', 'FATAL') GROUP BY 1").fetchall())


def test_a_misconfigured_model_costs_no_answer(ws):
    ws.settings.llm = "no-such-provider:model"
    try:
        ans = ask(ws, "errors by service", now=NOW)
    finally:
        ws.settings.llm = ""
    assert ans.route.engine == "sql" and not ans.frame.empty
    assert "no-such-provider" in ans.notes[0] and "router answered" in ans.notes[0]


def test_agent_dashboard_tool_without_a_widget_factory(ws):
    model = _model(_call("dashboard", {"period": "2024-05", "service": "payment"}),
                   AIMessage(content="Here is the payment dashboard."))
    ans = ask(ws, "give me something to look at for payment", now=NOW, model=model)
    assert (ans.route.intent, ans.route.engine) == ("dashboard", "dashboard")
    assert ans.answer.command == "%logpilot dashboard --period 2024-05 --service payment"


@pytest.mark.skipif(importlib.util.find_spec("logpilot_kernel.why") is None,
                    reason="the why-engine (logpilot_kernel.why) is not installed")
def test_agent_why_tool_and_a_narrative_from_its_evidence(ws):
    from logpilot_kernel.why import why

    direct = why(ws, "why is checkout failing?", now=NOW)
    first = direct.evidence[0]
    number = next(n for n in (first.get("signal_rows"), first.get("direct_rows"), first.get("count"))
                  if n is not None)
    model = _model(_call("why", {"question": "why is checkout failing?"}),
                   AIMessage(content=f"The window holds {number} error rows [{first['id']}]."))
    ans = ask(ws, "checkout is unhappy, tell me more", now=NOW, model=model)
    assert (ans.route.intent, ans.route.engine) == ("why", "why")
    assert ans.answer.to_dict()["root_causes"] == direct.to_dict()["root_causes"]
    assert ans.narrative and str(number) in ans.narrative


def test_dry_run_never_calls_the_model(ws):
    class Never(ToolFake):
        def invoke(self, *a, **k):
            raise AssertionError("dry run called the model")
    ans = ask(ws, "errors by service", now=NOW, model=Never(messages=iter([]), seen=[]), dry_run=True)
    assert ans.mode == "dry_run" and ans.plan["origin"] == "parser"


# ---------------------------------------------------------------------- CLI
def _cli(argv: list[str]) -> argparse.Namespace:
    from logpilot_kernel.pilot.cli import add_subcommands

    parser = argparse.ArgumentParser(prog="logpilot")
    sub = parser.add_subparsers(dest="command", required=True)
    add_subcommands(sub)
    return parser.parse_args(argv)


def test_cli_json(estate, capsys):
    args = _cli(["pilot", "how many errors for payment", "--workspace", str(estate), "--format", "json"])
    assert args.func(args) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["route"]["intent"] == "report" and out["route"]["engine"] == "sql"
    assert {"reason", "confidence", "alternatives"} <= set(out["route"])
    with Workspace(estate) as w:
        assert out["answer"]["rows"][0]["records"] == w.scalar(ERRORS_PAYMENT)


def test_cli_dry_run_and_text(estate, capsys):
    args = _cli(["pilot", "dashboard for payment", "-w", str(estate), "--dry-run", "--format", "json"])
    args.func(args)
    out = json.loads(capsys.readouterr().out)
    assert out["mode"] == "dry_run" and out["plan"]["command"].endswith("--service payment")
    args = _cli(["pilot", "payment errors spike", "-w", str(estate)])
    args.func(args)
    text = capsys.readouterr().out
    assert "Two readings" in text and "%pilot --as why payment errors spike" in text
    args = _cli(["pilot", "payment errors spike", "-w", str(estate), "--as", "report", "--dry-run"])
    assert args.intent == "report"


def test_cli_is_wired_into_logpilot(estate, capsys):
    from logpilot_kernel import cli

    parser = cli.build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    if "pilot" not in sub.choices:
        pytest.skip("`logpilot pilot` is not registered in logpilot_kernel/cli.py yet")
    assert cli.main(["pilot", "how many errors in 2019", "-w", str(estate), "--now",
                     "2024-05-31", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["mode"] == "no_data"
    assert cli.main(["pilot", "   ", "-w", str(estate)]) == 2
    assert "ask a question" in capsys.readouterr().err


# ------------------------------------------------------------------- magics
@pytest.fixture
def pshell(shell, estate):
    from logpilot_kernel.magics.pilot_magic import PilotMagics

    if "pilot" not in shell.magics_manager.magics["cell"]:
        shell.register_magics(PilotMagics(shell, shell._logpilot_pilot))
    shell.run_line_magic("logpilot", f"open {estate}")
    return shell


def test_magic_conversation(pshell, capsys):
    pshell.run_cell("%%pilot -o first --now 2024-05-31\nerrors by service")
    first = pshell.user_ns["first"]
    assert first.route.engine == "sql" and not first.frame.empty
    # the line form without "?": IPython reads a trailing "?" on a line as a help request
    pshell.run_cell("%pilot -o narrowed --now 2024-05-31 and only payment")
    narrowed = pshell.user_ns["narrowed"]
    assert narrowed.route.followup and list(narrowed.frame["service_name"]) == ["payment"]
    ctx = pshell.run_line_magic("pilot", "context")
    assert ctx["turns"] == 2 and ctx["scope"]["services"] == ["payment"]
    pilot = pshell.user_ns["pilot"]
    assert pilot.conversation.context() == ctx  # the state lives on the pilot object
    pshell.run_line_magic("pilot", "reset")
    assert "conversation cleared" in capsys.readouterr().out
    assert pshell.run_line_magic("pilot", "context")["turns"] == 0


def test_magic_dry_run_json_and_errors(pshell, capsys):
    pshell.run_cell("%%pilot --dry-run --format json\nerrors by service")
    out = json.loads(capsys.readouterr().out)
    # the parser's reading sits above its SQL as comments
    assert out["mode"] == "dry_run" and out["plan"]["sql"].startswith("-- reading: count of rows")
    assert "\nSELECT " in out["plan"]["sql"]
    assert pshell.run_line_magic("pilot", "context")["turns"] == 0
    pshell.run_cell("%%pilot --format text\npayment errors spike")
    assert "Two readings" in capsys.readouterr().out
    with pytest.raises(UsageError, match="ask a question"):
        pshell.run_cell("%%pilot\n   ")
    with pytest.raises(UsageError, match="not an ISO time"):
        pshell.run_cell("%%pilot --now yesterday\nerrors by service")
    with pytest.raises(UsageError, match="invalid choice"):
        pshell.run_cell("%%pilot --as sql\nerrors by service")


def test_magic_shows_the_dashboard_widget(pshell):
    pytest.importorskip("logpilot_kernel.widgets.dashboard", reason="the dashboard is not installed")
    pshell.run_cell("%%pilot -o board\nshow me the dashboard for payment")
    board = pshell.user_ns["board"]
    assert board.route.engine == "dashboard" and type(board.answer).__name__ == "Dashboard"
    with Workspace(pshell.user_ns["pilot"].workspace.path) as w:
        assert board.answer.kpis["volume"] == w.scalar(
            "SELECT count(*) FROM logs WHERE service_name = 'payment'")
