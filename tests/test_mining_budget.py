"""The miner's budget: free text stays linear, every row is stored, coarse rows are flagged,
the report names the file; normal logs never reach the budget."""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

import pyarrow as pa
import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.mining import MiningBudget, TemplateMiner

LOW = MiningBudget(templates=50, comparisons=20_000, coarse_max=10)


def _free_text(n: int, seed: int = 5) -> list[str]:
    """Six random words per line, as in chat messages: one shape per line."""
    rng = random.Random(seed)
    words = ["".join(rng.choice("abcdefghijklmnopqrstuvwxyz") for _ in range(rng.randint(3, 9)))
             for _ in range(20_000)]
    return [" ".join(rng.choice(words) for _ in range(6)) for _ in range(n)]


def _normal(n: int, seed: int = 3) -> list[str]:
    rng = random.Random(seed)
    shapes = [lambda: f"user {rng.randint(1, 900)} logged in from 10.0.{rng.randint(0, 9)}.{rng.randint(1, 250)}",
              lambda: f"job {rng.randint(1000, 9999)} finished in {rng.randint(1, 60)} s",
              lambda: f"cache miss ratio {rng.random():.2f} above threshold",
              lambda: f"connection to db-{rng.randint(1, 4)} closed after {rng.randint(1, 900)} ms"]
    return [rng.choice(shapes)() for _ in range(n)]


def _fill(template: str, params: list[str]) -> str:
    it = iter(params)
    return re.sub(re.escape("<*>"), lambda _m: next(it), template)


def test_budget_trips_on_free_text_and_every_row_keeps_its_text() -> None:
    lines = _free_text(20_000)
    miner = TemplateMiner(budget=LOW)
    res = miner.mine(lines, groups=["INFO"] * len(lines))
    assert res.budget_hit == "50 new templates in one batch"
    flags = res.coarse.to_pylist()
    assert sum(flags) > 19_000  # almost every line past the budget
    assert len(res.template_id) == len(lines) and res.template_id.null_count == 0
    # the cost stayed within the budget (plus the one message that passed it)
    assert res.spent["tokens_compared"] < LOW.comparisons + 7 * LOW.templates
    assert res.spent["templates_created"] <= LOW.templates
    # bounded: Drain's clusters before the budget, at most 2 * coarse_max + 1 coarse ones
    assert len(miner.templates()) <= LOW.templates + 2 * LOW.coarse_max + 1
    texts, params = res.template.to_pylist(), res.params.to_pylist()
    for i in range(0, len(lines), 997):  # the template and its parameters give the message back
        assert _fill(texts[i], params[i]) == lines[i]


def test_known_templates_still_match_past_the_budget() -> None:
    normal = _normal(400)
    miner = TemplateMiner(budget=LOW)
    first = miner.mine(normal)
    assert first.budget_hit is None and first.coarse is None
    later = _normal(400, seed=9)
    res = miner.mine(_free_text(3_000) + later)
    assert res.budget_hit is not None
    flags = res.coarse.to_pylist()[3_000:]
    assert not any(flags)  # the normal lines met their templates on the fast path
    known = set(first.template_id.to_pylist())
    assert set(res.template_id.to_pylist()[3_000:]) <= known


def test_coarse_ids_survive_save_and_load(tmp_path: Path) -> None:
    lines = _free_text(5_000)
    a = TemplateMiner(tmp_path / "state.json", budget=LOW)
    ids = a.mine(lines).template_id.to_pylist()
    a.save()
    b = TemplateMiner(tmp_path / "state.json", budget=LOW)
    assert b.templates() == a.templates()
    again = b.mine(lines[-1000:], coarse=True)
    assert again.template_id.to_pylist() == ids[-1000:]
    assert again.new_templates == {}


def test_normal_logs_never_reach_the_default_budget() -> None:
    miner = TemplateMiner()
    for _ in range(3):
        res = miner.mine(pa.array(_normal(50_000), pa.large_string()))
        assert res.budget_hit is None and res.coarse is None


def test_ingest_stores_every_row_flags_coarse_rows_and_names_the_file(tmp_path: Path) -> None:
    data = tmp_path / "logs"
    data.mkdir()
    (data / "chat.log").write_text("\n".join(_free_text(20_000)) + "\n")
    (data / "app.log").write_text("\n".join(_normal(3_000)) + "\n")
    with Workspace(tmp_path / "ws") as ws:
        # the budget trips in chunk 1; chunks 2-4 of the file are coarse from the start
        rep = ingest(ws, [data], mining_budget=LOW, chunk_records=5_000)
        assert rep.balanced and rep.rows_loaded == 23_000
        chat = str(data / "chat.log")
        assert rep.budget_files == [chat]
        fr = next(f for f in rep.files if f.origin == chat)
        assert fr.coarse_rows > 19_000
        assert chat in rep.summary() and "mining budget passed" in rep.summary()
        q = ("SELECT origin, count(*) FROM logs WHERE json_extract_string(context, '$.template_quality') = 'coarse' "
             "GROUP BY origin")
        assert dict(ws.con.execute(q).fetchall()) == {chat: fr.coarse_rows}
        # the flag sits beside the parameters in valid JSON
        ctx = ws.scalar("SELECT context FROM logs WHERE origin = ? ORDER BY origin_offset DESC LIMIT 1", [chat])
        assert json.loads(ctx)["template_quality"] == "coarse" and json.loads(ctx)["params"]
        stored = json.loads(ws.scalar("SELECT report FROM ingest_runs WHERE run_id = ?", [rep.run_id]))
        assert [f["origin"] for f in stored["files"] if f["template_budget"]] == [chat]
        assert ws.scalar("SELECT count(*) FROM templates") <= LOW.templates + 4 * (2 * LOW.coarse_max + 1) + 10


@pytest.mark.parametrize("budget", [None, LOW])
def test_budget_does_not_change_templates_of_normal_logs(budget: MiningBudget | None) -> None:
    lines = _normal(5_000)
    base = TemplateMiner(budget=None).mine(lines)
    res = TemplateMiner(budget=budget).mine(lines)
    assert res.budget_hit is None
    assert res.template.to_pylist() == base.template.to_pylist()
