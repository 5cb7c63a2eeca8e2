"""Merging template sets and re-mining a real workspace (DuckDB) with the current miner."""

from __future__ import annotations

import json
from pathlib import Path

from logpilot_kernel import Workspace
from logpilot_kernel.cli import main
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.mining import TemplateMiner
from logpilot_kernel.ingest.templates_remine import merge_template_sets, remine_workspace


def test_merge_template_sets_maps_every_id_to_one_survivor() -> None:
    a = {"A1": "connection to alpha lost", "A2": "disk <*> full", "A3": "fan failed"}
    b = {"B1": "connection to bravo lost", "B2": "connection to charlie lost", "B3": "disk <*> full"}
    templates, mapping = merge_template_sets([a, b])
    assert mapping == {"A1": "A1", "A2": "A2", "A3": "A3", "B1": "A1", "B2": "A1", "B3": "A2"}
    assert templates == {"A1": "connection to <*> lost", "A2": "disk <*> full", "A3": "fan failed"}


def test_merge_template_sets_keeps_groups_apart() -> None:
    a = {"A1": "payment <*> accepted"}
    b = {"B1": "payment <*> accepted"}
    _, mapping = merge_template_sets([a, b], groups={"A1": "INFO", "B1": "ERROR"})
    assert mapping == {"A1": "A1", "B1": "B1"}
    _, mapping = merge_template_sets([a, b])
    assert mapping["B1"] == "A1"


def _write(path: Path, words: list[str], minute: int) -> Path:
    lines = [f"2024-05-01 10:{minute + i:02d}:00,000 - app.net - INFO - user {w} on {w}-box logged out now"
             for i, w in enumerate(words)]
    lines.append(f"2024-05-01 10:{minute + len(words):02d}:00,000 - app.net - ERROR - disk {minute} full")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _rows(ws: Workspace) -> list[tuple]:
    return ws.cursor().execute(
        "SELECT origin, origin_offset, timestamp, severity, message, service_name, template_id, body, "
        "CAST(context->'params' AS VARCHAR) FROM logs ORDER BY origin, origin_offset").fetchall()


def test_remine_merges_ids_of_earlier_runs_keeps_provenance_and_the_mapping(tmp_path: Path) -> None:
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        # two runs: the first sees two values of the word, too few to call it a variable
        # (two templates); the second brings two more: the older template takes them, but
        # the second run may not retire the first run's other id; so two templates remain
        ingest(ws, [_write(tmp_path / "a.log", ["alpha", "bravo"], 0)], parquet=False)
        ingest(ws, [_write(tmp_path / "b.log", ["charlie", "delta"], 10)], parquet=False)
        before = _rows(ws)
        conn = [r for r in before if r[4].startswith("user")]
        assert len({r[6] for r in conn}) == 2
        assert "user bravo on bravo-box logged out now" in {r[7] for r in conn}

        report = remine_workspace(ws)
        after = _rows(ws)
        assert [r[:6] for r in after] == [r[:6] for r in before]  # provenance and content untouched
        conn_after = [r for r in after if r[4].startswith("user")]
        survivor = conn_after[0][6]
        assert {r[6] for r in conn_after} == {survivor} and survivor in {r[6] for r in conn}
        assert {r[7] for r in conn_after} == {"user <*> on <*> logged out now"}
        assert [json.loads(r[8]) for r in conn_after] == [[w, f"{w}-box"] for w in ("alpha", "bravo", "charlie", "delta")]
        retired = {r[6] for r in conn} - {survivor}
        assert report.merged == {t: survivor for t in retired}
        assert ws.template_merges() == report.merged
        assert report.rows_rewritten == sum(1 for b, a in zip(before, after) if b[6:] != a[6:]) >= 1
        assert report.templates_after == report.templates_before - 1
        cur = ws.cursor()
        kept = dict(cur.execute("SELECT template_id, count FROM templates").fetchall())
        assert survivor in kept and not retired & set(kept) and kept[survivor] == 4
        assert cur.execute("SELECT count(*) FROM ingest_runs WHERE kind = 'remine' AND status = 'done'"
                           ).fetchone()[0] == 1

        again = remine_workspace(ws)  # nothing left to change
        assert again.rows_rewritten == 0 and again.merged == {}
        assert _rows(ws) == after

        # the saved miner continues with the survivor's id
        assert TemplateMiner(ws.miner_state_path).templates()[survivor] == "user <*> on <*> logged out now"
        ingest(ws, [_write(tmp_path / "c.log", ["echo"], 20)], parquet=False)
        new = [r for r in _rows(ws) if r[0].endswith("c.log") and r[4].startswith("user")]
        assert [r[6] for r in new] == [survivor]


def test_cli_templates_remine(tmp_path: Path, capsys) -> None:
    ws_path = tmp_path / "ws"
    with Workspace(ws_path) as ws:
        ingest(ws, [_write(tmp_path / "a.log", ["alpha", "bravo", "charlie"], 0)], parquet=False)
    assert main(["templates", "remine", "-w", str(ws_path)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("re-mined ") and "templates" in out
