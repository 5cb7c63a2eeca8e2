"""Numbers inside message text ("Smelted ingot 1042 in 85ms"), on an estate of invented words.

Nothing here is a demo word: the service ("foundry"), its templates and their units are
made up, so each test shows that the parser finds the parameter that holds the quantity
from the template's own words around the ``<*>`` (the word before it, a unit glued to its
values or written after it), converts units from the unit table, and refuses a quantity
that no template carries instead of counting rows. Expected values are computed here from
the generated numbers, not by LogPilot.
"""

from __future__ import annotations

import datetime as dt
import random

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask
from logpilot_kernel.query.nl import NotUnderstood

NOW = dt.datetime(2024, 7, 3)
N = 480


def _quantile(values: list[float], q: float) -> float:
    """Linear interpolation between closest ranks (DuckDB's quantile_cont)."""
    s = sorted(values)
    pos = (len(s) - 1) * q
    lo = int(pos)
    hi = min(lo + 1, len(s) - 1)
    return s[lo] + (s[hi] - s[lo]) * (pos - lo)


@pytest.fixture(scope="module")
def estate(tmp_path_factory):
    root = tmp_path_factory.mktemp("qty")
    r = random.Random(5)
    truth = {"smelt_ms": [], "upload_bytes": [], "upload_ms": [], "quench_s": []}
    lines = []
    t = dt.datetime(2024, 7, 1)
    for i in range(N):
        t += dt.timedelta(seconds=97)
        ts = t.strftime("%Y-%m-%dT%H:%M:%S.000Z")
        kind = i % 4
        if kind == 0:
            v = r.randint(20, 900)
            truth["smelt_ms"].append(v)
            lines.append(f"{ts} INFO [crucible] Smelted ingot {1000 + i} in {v}ms")
        elif kind == 1:
            b, ms = r.randint(100, 90000), r.randint(5, 80)
            truth["upload_bytes"].append(b)
            truth["upload_ms"].append(ms)
            lines.append(f"{ts} INFO [crucible] upload done size {b} bytes latency={ms}ms")
        elif kind == 2:
            v = r.choice(["1.5s", "800ms", "2s", "350ms", "3.25s"])
            truth["quench_s"].append(float(v[:-2]) / 1000 if v.endswith("ms") else float(v[:-1]))
            lines.append(f"{ts} WARN [crucible] quench slow took {v}")
        else:
            lines.append(f"{ts} ERROR [crucible] quench failed code={r.randint(1, 3)}")
    (root / "in" / "foundry").mkdir(parents=True)
    (root / "in" / "foundry" / "foundry.log").write_text("\n".join(lines) + "\n")
    ws = Workspace(root / "ws")
    ingest(ws, [str(root / "in" / "foundry")], progress=False, parquet=False)
    yield ws, truth
    ws.close()


def _one(ws, q: str):
    res = ask(ws, q, now=NOW, model=None)
    assert res.frame.shape[0] == 1, res.frame
    return float(res.frame.iloc[0, -1]), res


def test_average_of_a_glued_unit_in_the_logged_unit(estate):
    ws, truth = estate
    got, res = _one(ws, "How long did smelting an ingot take on average?")
    want = sum(truth["smelt_ms"]) / len(truth["smelt_ms"])
    assert got == pytest.approx(want)
    assert "Smelted ingot <*> in [*]" in res.notes[0] and "in ms" in res.notes[0]


def test_percentile_and_max_named_by_the_word_before_the_slot(estate):
    ws, truth = estate
    got, res = _one(ws, "max latency of uploads")
    assert got == max(truth["upload_ms"])
    assert "latency=[*]" in res.notes[0]
    got, _ = _one(ws, "p95 upload latency in seconds")
    assert got == pytest.approx(_quantile(truth["upload_ms"], 0.95) / 1000)


def test_size_family_and_its_unit_written_after_the_number(estate):
    ws, truth = estate
    got, res = _one(ws, "what was the largest upload size?")
    assert got == max(truth["upload_bytes"])
    assert "size [*] bytes" in res.notes[0]


def test_threshold_over_values_written_in_mixed_units(estate):
    ws, truth = estate
    got, _ = _one(ws, "how many quenches took over 1s?")
    assert got == sum(1 for v in truth["quench_s"] if v > 1)
    got, _ = _one(ws, "how many quenches took more than 900 ms")
    assert got == sum(1 for v in truth["quench_s"] if v > 0.9)
    got, _ = _one(ws, "what was the longest quench, in ms")
    assert got == pytest.approx(max(truth["quench_s"]) * 1000)


def test_quoted_template_with_an_ellipsis_and_a_placeholder(estate):
    ws, truth = estate
    got, _ = _one(ws, "average time of the 'Smelted ingot ... in Nms' lines")
    assert got == pytest.approx(sum(truth["smelt_ms"]) / len(truth["smelt_ms"]))


@pytest.mark.parametrize("question", ["what is the average furnace temperature?",
                                      "p95 of the crucible pressure"])
def test_a_quantity_no_template_carries_is_refused_with_a_reason(estate, question):
    ws, _ = estate
    with pytest.raises(NotUnderstood) as err:
        ask(ws, question, now=NOW, model=None)
    assert "numeric" in str(err.value) or "not in this workspace" in str(err.value)


def test_the_quantity_module_and_unit_table_name_no_demo_word(tmp_path_factory):
    """nl_quantity.py and units.json join the parser modules the vocabulary test greps."""
    import re
    from pathlib import Path

    import logpilot_kernel.query as query_pkg
    from tests.test_no_demo_vocabulary import _literals, demo_words

    words = demo_words.__wrapped__(tmp_path_factory)
    rx = re.compile(r"(?<![A-Za-z0-9_])(" + "|".join(
        re.escape(w) for w in sorted(words, key=len, reverse=True)) + r")(?![A-Za-z0-9_])")
    here = Path(query_pkg.__file__).parent
    hits = [(n, m.group(1)) for n, text in _literals(here / "nl_quantity.py")
            for m in rx.finditer(text)]
    hits += [(0, m.group(1)) for m in rx.finditer((here / "units.json").read_text())]
    assert not hits, hits


def test_how_long_with_no_time_anywhere_is_refused_in_one_line(tmp_path):
    """A workspace whose only number is a count: "how long" names no time there."""
    (tmp_path / "in" / "tally").mkdir(parents=True)
    lines = [f"2024-07-01T00:{i:02d}:00.000Z INFO [main] counted {i} pebbles" for i in range(60)]
    (tmp_path / "in" / "tally" / "tally.log").write_text("\n".join(lines) + "\n")
    ws = Workspace(tmp_path / "ws")
    try:
        ingest(ws, [str(tmp_path / "in" / "tally")], progress=False, parquet=False)
        with pytest.raises(NotUnderstood) as err:
            ask(ws, "how long did counting the pebbles take?", now=NOW, model=None)
        assert "carries a time" in str(err.value) and "\n" not in str(err.value)
    finally:
        ws.close()


def test_distinct_values_of_a_parameter_the_noun_stands_before(estate):
    """"Smelted ingot <*> in ...": no field holds ingots, the template's parameter does."""
    ws, truth = estate
    got, res = _one(ws, "how many distinct ingots were smelted?")
    assert got == len(truth["smelt_ms"])  # each line smelts its own ingot
    assert "Smelted ingot [*]" in res.notes[0]


def test_grouping_by_a_parameter_of_the_message_text(tmp_path):
    """"Shelved crate in aisle <*> bay <*>": 'which two aisles' groups by that parameter."""
    aisles = ["north", "south", "east", "north", "north", "south", "west"]
    (tmp_path / "in" / "depot").mkdir(parents=True)
    lines = [f"2024-07-01T00:{i % 60:02d}:{i // 60:02d}.000Z INFO [main] Shelved crate in aisle "
             f"{aisles[i % 7]} bay {i % 11}" for i in range(140)]
    (tmp_path / "in" / "depot" / "depot.log").write_text("\n".join(lines) + "\n")
    ws = Workspace(tmp_path / "ws")
    try:
        ingest(ws, [str(tmp_path / "in" / "depot")], progress=False, parquet=False)
        for q in ("which two aisles had the most crates shelved?", "top 2 aisles"):
            res = ask(ws, q, now=NOW, model=None)
            got = {str(r[0]): int(r[-1]) for r in res.frame.itertuples(index=False)}
            assert got == {"north": 60, "south": 40}, (q, got)
    finally:
        ws.close()
