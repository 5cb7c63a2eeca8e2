"""The model tier with LangChain's fake chat models: grounding, validation, repair, refusal."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.language_models.fake_chat_models import FakeListChatModel

from logpilot_kernel.query import GuardError, ask
from logpilot_kernel.query.llm import ModelError, extract_sql, generate_sql, grounding, make_model
from logpilot_kernel.schema import LogRecord, records_to_arrow


def seed(ws) -> None:
    t0 = dt.datetime(2024, 5, 30, 10, 0)
    recs = [LogRecord(timestamp=t0 + dt.timedelta(minutes=i), severity="ERROR" if i % 4 == 0 else "INFO",
                      service_name="checkout" if i % 2 else "payment", body="b <*>", template_id="T",
                      message=f"m {i}", source="demo", origin="f.log", origin_offset=i + 1,
                      context={"tx_id": f"tx{i}", "amount": i}) for i in range(12)]
    ws.con.register("batch", records_to_arrow(recs))
    ws.con.execute("INSERT INTO logs SELECT * FROM batch")
    ws.con.unregister("batch")


class Recorder(BaseCallbackHandler):
    """Keeps the messages every model call received."""

    def __init__(self) -> None:
        self.calls: list[list[Any]] = []

    def on_chat_model_start(self, serialized: Any, messages: Any, **kw: Any) -> None:
        self.calls.append(messages[0])


def fake(*responses: str) -> tuple[FakeListChatModel, Recorder]:
    rec = Recorder()
    return FakeListChatModel(responses=list(responses), callbacks=[rec]), rec


def test_the_prompt_is_grounded_in_schema_keys_and_real_values(workspace) -> None:
    seed(workspace)
    text = grounding(workspace.cursor())
    assert "logs(timestamp TIMESTAMP" in text and "context JSON" in text
    assert "service_name values: 'checkout', 'payment'" in text or "service_name values: 'payment', 'checkout'" in text
    assert "severity values: 'ERROR', 'INFO'" in text
    assert "- checkout: " in text and "tx_id 100%" in text and "amount 100%" in text
    assert "errors" in text  # the views are in the schema too
    model, rec = fake("```sql\nSELECT count(*) AS n FROM logs WHERE severity = 'ERROR'\n```")
    gen = generate_sql(model, "how many errors?", workspace.cursor())
    sent = "\n".join(m.content for m in rec.calls[0])
    assert "Question: how many errors?" in sent and "tx_id" in sent and "ONE read-only DuckDB SQL" in sent
    assert gen.sql == "SELECT count(*) AS n FROM logs WHERE severity = 'ERROR'"


def test_invalid_sql_is_repaired_from_duckdbs_error(workspace) -> None:
    seed(workspace)
    model, rec = fake("SELECT count(*) FROM logs WHERE level = 'ERROR'",
                      "SELECT count(*) AS n FROM logs WHERE severity = 'ERROR'")
    gen = generate_sql(model, "errors?", workspace.cursor(), attempts=2)
    assert len(rec.calls) == 2 and len(gen.attempts) == 2
    assert "level" in gen.attempts[0]["error"] and gen.attempts[1]["error"] is None
    repair = rec.calls[1][-1].content
    assert repair.startswith("DuckDB refused that SQL:") and '"level" not found' in repair


def test_repairs_stop_after_the_budget(workspace) -> None:
    seed(workspace)
    model, rec = fake("SELECT nope FROM logs", "SELECT nope2 FROM logs", "SELECT nope3 FROM logs")
    with pytest.raises(ModelError, match="did not validate after 1 repair"):
        generate_sql(model, "x", workspace.cursor(), attempts=1)
    assert len(rec.calls) == 2


def test_non_select_output_is_refused_never_run(workspace) -> None:
    seed(workspace)
    for bad in ("DELETE FROM logs", "SELECT 1; DROP TABLE logs", "COPY logs TO 'x.csv'",
                "SELECT * FROM read_csv('/etc/passwd')"):
        model, rec = fake(bad)
        with pytest.raises(GuardError) as info:
            generate_sql(model, "clean up", workspace.cursor(), attempts=2)
        assert "--write" not in str(info.value) and len(rec.calls) == 1
    assert workspace.scalar("SELECT count(*) FROM logs") == 12


def test_ask_uses_the_parser_first_and_the_model_for_the_rest(workspace) -> None:
    seed(workspace)
    model, rec = fake("SELECT avg(CAST(context->>'amount' AS DOUBLE)) AS avg_amount FROM logs")
    res = ask(workspace, "how many errors by service", model=model)
    assert res.origin == "parser" and not rec.calls
    assert dict(zip(res.frame["service_name"], res.frame["records"])) == {"payment": 3}
    # the parser reads this one now: 'per transaction' is the unit, not the payment service
    res = ask(workspace, "what is the average amount per transaction", model=model)
    assert res.origin == "parser" and not rec.calls and res.frame["avg_amount"][0] == 5.5
    res = ask(workspace, "what is the average spend of each customer cohort", model=model)
    assert res.origin == "model" and len(rec.calls) == 1 and res.frame["avg_amount"][0] == 5.5


def test_model_setting(workspace) -> None:
    assert make_model(workspace.settings) is None
    workspace.settings.llm = "no-such-provider:model-x"
    with pytest.raises(ModelError, match="cannot create model 'no-such-provider:model-x'"):
        make_model(workspace.settings)
    assert extract_sql("Here:\n```sql\nSELECT 1;\n```\nDone") == "SELECT 1"
