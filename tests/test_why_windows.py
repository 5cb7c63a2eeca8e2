"""The why-engine over several windows: every significant burst listed, any one explained.

Invented estate (JSON lines): an api service whose requests fail in three separate bursts,
each caused by a different upstream template, so the test knows which cause belongs to
which window. Real ingest into a real DuckDB workspace; no mocks.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.why import why
from logpilot_kernel.why.answer import clip
from logpilot_kernel.why.engine import WhyError
from logpilot_kernel.why.narrative import check

START = dt.datetime(2024, 3, 4, 0, 0, 0)
# (start hour, minutes, failing share, cause service, cause message, context)
BURSTS = [
    (2.0, 30, 0.8, "db", "deadlock detected on table orders while waiting for row lock", {}),
    (5.0, 20, 0.6, "cache", "cache shard evicted every key under memory pressure", {"node": "n7"}),
    (7.0, 12, 0.7, "auth", "token signing key rotation left verifiers without a key", {}),
]


def _line(t: dt.datetime, level: str, svc: str, tid: str, msg: str, **kw: object) -> str:
    return json.dumps({"ts": t.isoformat(timespec="milliseconds") + "Z", "level": level,
                       "service": svc, "trace_id": tid, "msg": msg, **kw}) + "\n"


def _burst(t: dt.datetime) -> tuple | None:
    for b in BURSTS:
        lo = START + dt.timedelta(hours=b[0])
        if lo <= t < lo + dt.timedelta(minutes=b[1]):
            return b
    return None


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("why_windows")
    rng = random.Random(11)
    lines, t = [], START
    while t < START + dt.timedelta(hours=9):
        tid = "%032x" % rng.getrandbits(128)
        node = f"n{rng.randint(1, 5)}"
        b = _burst(t)
        if b is not None and rng.random() < b[2]:
            lines.append(_line(t, "error", b[3], tid, b[4], node=b[5].get("node", node)))
            lines.append(_line(t + dt.timedelta(milliseconds=4), "error", "api", tid,
                               f"request failed after {rng.randint(20, 90)} ms", node=node))
        else:
            lines.append(_line(t, "info", "cache", tid, f"cache hit ratio {rng.randint(80, 99)}",
                               node=node))
            lines.append(_line(t + dt.timedelta(milliseconds=4), "info", "api", tid,
                               f"request served in {rng.randint(5, 40)} ms", node=node))
            if rng.random() < 0.01:
                lines.append(_line(t, "error", "api", tid, "client closed connection early",
                                   node=node))
        t += dt.timedelta(seconds=rng.randint(4, 10))
    path = root / "logs" / "estate.jsonl"
    path.parent.mkdir(parents=True)
    path.write_text("".join(lines), encoding="utf-8")
    w = Workspace(root / "ws")
    ingest(w, [str(path.parent)], progress=False, parquet=False)
    yield w
    w.close()


def _meets(w, burst) -> bool:
    lo = START + dt.timedelta(hours=burst[0])
    return w.start < lo + dt.timedelta(minutes=burst[1]) and w.end > lo


def test_every_burst_is_a_ranked_window_and_the_top_one_is_explained(ws) -> None:
    ans = why(ws, "why are api requests failing?", service="api")
    assert len(ans.windows) >= 3, [w.to_dict() for w in ans.windows]
    for burst in BURSTS:  # each burst is one of the listed windows
        assert sum(_meets(w, burst) for w in ans.windows) == 1, (burst, ans.windows)
    assert ans.selected == 1 and ans.window is ans.windows[0]
    assert [w.llr for w in ans.windows[1:]] == sorted((w.llr for w in ans.windows[1:]), reverse=True)
    assert _meets(ans.window, BURSTS[0])
    assert ans.root_causes[0]["template"].startswith("deadlock detected")
    d = ans.to_dict()
    assert d["selected_window"] == 1 and [x["rank"] for x in d["windows"]] == list(range(1, len(ans.windows) + 1))


def test_picking_another_window_explains_that_window_from_its_own_numbers(ws) -> None:
    ans = why(ws, "why are api requests failing?", service="api")
    rank = next(i for i, w in enumerate(ans.windows, 1) if _meets(w, BURSTS[1]))
    other = ans.pick(rank)
    assert other is not ans and other.selected == rank and ans.selected == 1
    assert _meets(other.window, BURSTS[1]) and other.window is other.windows[rank - 1]
    assert other.root_causes[0]["template"].startswith("cache shard evicted"), other.root_causes[:3]
    assert other.evidence[0]["kind"] == "window" and other.evidence[0]["start"] == other.window.start.isoformat()
    assert check(other.narrative, other.evidence, other.window.to_dict()) == [], other.narrative
    assert ans.pick(rank) is other  # cached
    same = why(ws, "why are api requests failing?", service="api", window=rank)
    assert same.root_causes[0]["template_id"] == other.root_causes[0]["template_id"]
    with pytest.raises(WhyError, match="window 99 does not exist"):
        ans.pick(99)


def test_html_view_has_a_window_menu_with_a_panel_per_explained_window(ws) -> None:
    ans = why(ws, "why are api requests failing?", service="api")
    page = ans._repr_html_()
    assert page.count("<option") == len(ans.windows) and "answer.pick(2)" in page
    ans.explain_all()
    page = ans._repr_html_()
    panels = re.findall(r"data-rank='(\d+)'", page)
    assert panels == [str(i) for i in range(1, len(ans.windows) + 1)]
    assert page.count("<b>Narrative</b>") == len(ans.windows)  # every panel explained
    assert "not explained yet" not in page


def test_p_values_are_for_the_contrast_the_table_shows(ws) -> None:
    ans = why(ws, "why are api requests failing?", service="api")
    other = ans.pick(next(i for i, w in enumerate(ans.windows, 1) if _meets(w, BURSTS[1])))
    node = [t for t in other.terms if t["field"] in ("node", "host") and t["value"] == "n7"]  # node: the host
    assert node, other.terms
    t = node[0]
    assert t["share_during"] == 1.0 and t["share_before"] < 0.05 and t["before_of"] == "all rows"
    assert t["p_value"] < 1e-6
    for term in ans.terms + other.terms:  # never a p of 1 for a share that moved from 0 to 1
        if term["share_during"] >= 0.99 and term["share_before"] <= 0.01 and term["count_during"] >= 5:
            assert term["p_value"] < 0.01, term


def test_narrative_never_cuts_a_template_mid_word(ws) -> None:
    ans = why(ws, "why are api requests failing?", service="api")
    templates = {c["template"] for c in ans.root_causes} | {e.get("template", "") for e in ans.evidence}
    for quoted in re.findall("\u201c([^\u201d]*)\u201d", ans.narrative):
        if quoted.endswith("\u2026"):
            head = quoted[:-1]
            assert any(t.startswith(head) and t[len(head)] in " ,;:-" for t in templates if len(t) > len(head)), quoted
        else:
            assert quoted in templates or any(quoted in t for t in templates), quoted


def test_clip_cuts_at_a_word() -> None:
    assert clip("connection pool exhausted after waiting", 20) == "connection pool\u2026"
    assert clip("short", 20) == "short"
    assert clip("x" * 30, 10) == "x" * 9 + "\u2026"


def test_logwhy_magic_takes_a_window_rank(ws, shell) -> None:
    shell.run_cell(f"%logpilot open {ws.path}")  # the same file: one DuckDB per process
    shell.run_cell("%%logwhy --service api --window 2 --no-charts -o picked\n"
                   "why are api requests failing?")
    picked = shell.user_ns["picked"]
    assert picked.selected == 2 and picked.window is picked.windows[1]
