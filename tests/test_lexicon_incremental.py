"""The lexicon refreshed from the new rows only equals the lexicon rebuilt from all rows.

The second batch below is chosen so that adding its entries to the first batch's would be
wrong in every way the lexicon can be: a categorical key whose values reach past the
categorical limit (its type changes), a value seen in both batches (the distinct count is
not the sum), categorical counts to add up, an id key whose values take a second shape, a
template parameter whose values pass the listing limit only together, and a unit that
becomes the most common only with the new rows. The words are invented (services
"quarry", "mill", "forge").
"""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query.lexicon import forget, load, refresh
from logpilot_kernel.query.lexicon_stats import mergeable


def _quarry(first: int, n: int, second: bool) -> list[str]:
    out = []
    for i in range(first, first + n):
        ts = dt.datetime(2024, 7, 1) + dt.timedelta(minutes=3 * i)
        name = "q" + chr(97 + i % 80 // 26) + chr(97 + i % 26) if second else ["granite", "slate", "marble", "basalt", "flint"][i % 5]
        took = f"{10 + i % 60}s" if second else f"{10 + i % 40}ms"
        rec = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "service": "quarry", "level": "info",
               "msg": f"hauled stone {name} in {took}",
               "grade": (["fine", "smooth"] if second else ["fine", "coarse", "mixed"])[i % (2 if second else 3)],
               "mode": f"m{i}" if second else ["a", "b"][i % 2],
               "crate": f"BX-{i}" if second else f"CR-{i}", "weight": _weight(i, second)}
        out.append(json.dumps(rec))
    return out


def _weight(i: int, second: bool) -> int | str:
    """Numbers; in the second batch one value in ten is a word, so that only the two
    batches together have 90% numbers."""
    return ("heavy" if i % 10 == 0 else i % 100) if second else i % 40


def _other(service: str, n: int, unit: str = "ms", day: int = 2) -> list[str]:
    return [json.dumps({"ts": (dt.datetime(2024, 7, day) + dt.timedelta(minutes=i)).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
                        "service": service, "level": "warn" if i % 7 == 0 else "info",
                        "msg": f"belt turned in {5 + i % 9}{unit}", "lane": ["east", "west"][i % 2]})
            for i in range(n)]


def _lexicon_table(cur) -> list[tuple]:
    return cur.execute("SELECT * FROM lexicon ORDER BY ALL").fetchall()


def _full_rebuild(cur) -> list[tuple]:
    forget(cur)
    refresh(cur)
    return _lexicon_table(cur)


@pytest.fixture()
def ws(tmp_path):
    (tmp_path / "in1" / "quarry").mkdir(parents=True)
    (tmp_path / "in1" / "mill").mkdir(parents=True)
    (tmp_path / "in1" / "quarry" / "a.jsonl").write_text("\n".join(_quarry(0, 300, False)) + "\n")
    (tmp_path / "in1" / "mill" / "m.jsonl").write_text("\n".join(_other("mill", 120)) + "\n")
    w = Workspace(tmp_path / "ws")
    ingest(w, [str(tmp_path / "in1")], progress=False, parquet=False)
    yield w, tmp_path
    w.close()


def _second_batch(w, root) -> None:
    """Lines appended to the first batch's file (same origin, higher offsets) and a new file."""
    with open(root / "in1" / "quarry" / "a.jsonl", "a") as f:
        f.write("\n".join(_quarry(300, 200, True)) + "\n")
    (root / "in1" / "quarry" / "b.jsonl").write_text("\n".join(_quarry(500, 400, True)) + "\n")
    (root / "in1" / "mill" / "m2.jsonl").write_text("\n".join(_other("mill", 100, "s", 3)) + "\n")
    (root / "in1" / "forge").mkdir()
    (root / "in1" / "forge" / "f.jsonl").write_text("\n".join(_other("forge", 50)) + "\n")
    ingest(w, [str(root / "in1")], progress=False, parquet=False)


def test_the_second_batch_is_merged_and_equals_a_rebuild(ws, caplog) -> None:
    w, root = ws
    cur = w.cursor()
    try:
        first = load(cur)
        assert first.info[("quarry", "mode")].kind == "categorical"
        assert first.info[("quarry", "crate")].shape == r"CR\-\d+"
        assert first.info[("quarry", "weight")].kind == "categorical"
        assert [x[3] for x in first.slot_values["granite"]] == ["granite"]
        with caplog.at_level(logging.DEBUG, logger="logpilot"):
            _second_batch(w, root)  # the ingest's own refresh: a merge, but forge is new
        assert "merged the new rows of ['mill', 'quarry']; rebuilt ['forge']" in caplog.text
        assert refresh(cur) == []
        merged = _lexicon_table(cur)
        lex = load(cur)
        # what a sum of the two batches' entries would get wrong
        assert lex.info[("quarry", "mode")].kind != "categorical"
        assert lex.info[("quarry", "grade")].values == {"fine": 400, "coarse": 100, "mixed": 100, "smooth": 300}
        assert lex.info[("quarry", "grade")].distinct == 4
        assert lex.info[("quarry", "crate")].shape is None
        weights = {str(_weight(i, i >= 300)) for i in range(900)}
        assert lex.info[("quarry", "weight")].kind == "numeric"
        assert lex.info[("quarry", "weight")].distinct == len(weights)
        assert "granite" not in lex.slot_values  # the parameter has more than 60 values now
        took = max((s for s in lex.slots if s.service == "quarry"), key=lambda s: s.numeric)
        assert took.unit == "s"  # 600 rows in s against 300 in ms
        assert {s.unit for s in lex.slots if s.service == "mill"} == {"ms"}  # 120 rows against 100
        assert lex.rows == {"quarry": 900, "mill": 220, "forge": 50}
        assert merged == _full_rebuild(cur)
        # a third batch of few values: the parameter had too many once, it still has
        with open(root / "in1" / "quarry" / "a.jsonl", "a") as f:
            f.write("\n".join(_quarry(900, 10, False)) + "\n")
        ingest(w, [str(root / "in1")], progress=False, parquet=False)
        assert "granite" not in load(cur).slot_values
        assert mergeable(cur, ["quarry"]) == ["quarry"]
        assert _lexicon_table(cur) == _full_rebuild(cur)
    finally:
        cur.close()


def test_rows_gone_or_rewritten_fall_back_to_a_rebuild(ws) -> None:
    w, root = ws
    cur = w.cursor()
    try:
        load(cur)
        # rows deleted below the offsets counted: the counts no longer add up
        cur.execute("DELETE FROM logs WHERE service_name = 'quarry' AND origin_offset % 10 = 0")
        assert mergeable(cur, ["quarry"]) == []
        assert refresh(cur) == ["quarry"]
        assert load(cur).rows["quarry"] == 270
        assert _lexicon_table(cur) == _full_rebuild(cur)
        # a rewrite in place (same provenance) that tells the lexicon: rebuilt, not merged
        cur.execute("CREATE TEMP TABLE r AS SELECT * REPLACE (CAST(json_merge_patch(context, "
                    "'{\"grade\":\"raw\"}') AS JSON) AS context) FROM logs WHERE service_name = 'mill'")
        cur.execute("DELETE FROM logs WHERE service_name = 'mill'")
        cur.execute("INSERT INTO logs SELECT * FROM r")
        forget(cur)
        assert load(cur).info[("mill", "grade")].values == {"raw": 120}
    finally:
        cur.close()


def test_a_read_only_connection_builds_the_same_lexicon_in_memory(ws) -> None:
    import duckdb

    w, _ = ws
    cur = w.cursor()
    try:
        stored = load(cur)
        cur.execute("DELETE FROM lexicon_stamp")  # stale: a reader would refresh it
    finally:
        cur.close()
    path = w.db_path
    w.close()
    con = duckdb.connect(str(path), read_only=True)
    try:
        lex = load(con)
        assert con.execute("SELECT count(*) FROM lexicon_stamp").fetchone()[0] == 0  # nothing stored
    finally:
        con.close()
    assert lex.info == stored.info and lex.rows == stored.rows
    assert sorted(lex.slots, key=repr) == sorted(stored.slots, key=repr)
