"""A cause that is one warning line, never seen before, a second ahead of the burst.

Invented estate (JSON lines, two days): service "ingestor" writes to a queue service
"spool". All along, spool logs "session closed for client N" every few minutes (ordinary
background). On day two, spool logs once "disk quota reached on volume v3" (WARN, the
first such line ever) and twenty seconds later ingestor starts failing ("enqueue rejected"
dozens of times). The single quota line must lead the candidates: novel, at warning
level, in another service, and first; the background "session closed" row that happens to
fall in the lead before the burst must not take the onset from it. The burst is also
asked about by its status alone, with words that name no template ("the 507s from the
front door" on a date): the window must still be found.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.why import why
from logpilot_kernel.why.causality import candidates_from, onset_time, rank
from logpilot_kernel.why.contrast import TemplateChange

START = dt.datetime(2024, 5, 6)
BURST = START + dt.timedelta(days=1, hours=11)
BURST_MIN = 20
QUOTA = BURST - dt.timedelta(seconds=20)


def _line(t: dt.datetime, level: str, svc: str, msg: str, **kw: object) -> str:
    return json.dumps({"ts": t.isoformat(timespec="milliseconds") + "Z", "level": level,
                       "service": svc, "msg": msg, **kw}) + "\n"


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("why_novel")
    rng = random.Random(11)
    lines, t, crossed = [], START, False
    while t < START + dt.timedelta(days=2):
        if t >= BURST and not crossed:
            t, crossed = BURST, True  # the first failure is at BURST exactly
        if BURST <= t < BURST + dt.timedelta(minutes=BURST_MIN):
            lines.append(_line(t, "error", "ingestor", "enqueue rejected by spool",
                               status=507))
        else:
            lines.append(_line(t, "info", "ingestor", "batch enqueued", status=201))
        t += dt.timedelta(seconds=rng.randint(10, 30))
    t = START
    while t < START + dt.timedelta(days=2):
        lines.append(_line(t, "info", "spool", f"session closed for client {rng.randint(1, 40)}"))
        t += dt.timedelta(seconds=rng.randint(120, 600))
    # one ordinary row in the lead, three minutes before the burst
    lines.append(_line(BURST - dt.timedelta(minutes=3), "info", "spool",
                       "session closed for client 7"))
    lines.append(_line(QUOTA, "warn", "spool", "disk quota reached on volume v3"))
    lines.sort(key=lambda s: json.loads(s)["ts"])
    (root / "in").mkdir()
    (root / "in" / "estate.jsonl").write_text("".join(lines))
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in")], progress=False, parquet=False)
    yield w
    w.close()


def test_a_single_novel_warning_in_another_service_leads(ws) -> None:
    ans = why(ws, "why was ingestor failing around 11:10 on 7 May 2024?")
    assert ans.window is not None
    assert abs((ans.window.start - BURST).total_seconds()) < 120, ans.window
    top = ans.root_causes[0]
    assert "quota" in top["template"], [r["template"] for r in ans.root_causes[:3]]
    assert top["new"] and top["score_components"]["novelty"] > 0.5
    ranked = [r["template"] for r in ans.root_causes]
    closed = [i for i, r in enumerate(ranked) if "session closed" in r]
    assert not closed or closed[0] > ranked.index(next(r for r in ranked if "enqueue" in r))


def test_a_status_with_words_that_name_nothing_still_finds_the_burst(ws) -> None:
    ans = why(ws, "what caused the 507s from the front door on 7 May 2024?")
    assert ans.window is not None, ans.warnings
    assert abs((ans.window.start - BURST).total_seconds()) < 120, ans.window
    assert "quota" in ans.root_causes[0]["template"]


def _change(tid: str, svc: str, sev: str, during: int, rate_before: float, first: dt.datetime,
            new: bool, g: float, lead: int = 0, after: dt.datetime | None = None) -> TemplateChange:
    return TemplateChange(tid, tid, svc, sev, 0 if new else 5, during, 0, rate_before,
                          during / 1200, g, 1e-9 if g > 20 else 0.05, None, first, first,
                          not new, new=new, lead=lead, lead_s=300.0, first_after_mark=after)


def test_background_rows_in_the_lead_do_not_set_the_onset() -> None:
    mark = dt.datetime(2024, 1, 1, 12, 5)
    # one row a few minutes before the mark from a template with a steady rate: background
    bg = _change("bg", "spool", "INFO", 10, 1 / 400, mark - dt.timedelta(minutes=3), False,
                 30.0, lead=1, after=mark + dt.timedelta(seconds=40))
    assert onset_time(bg) == mark + dt.timedelta(seconds=40)
    # twenty rows in the same lead are a burst that began there
    burst = _change("burst", "spool", "INFO", 30, 1 / 400, mark - dt.timedelta(minutes=3),
                    False, 30.0, lead=20, after=mark + dt.timedelta(seconds=1))
    assert onset_time(burst) == mark - dt.timedelta(minutes=3)
    # with the lead's rows known: one ordinary row long before, then a burst 30 s ahead
    burst.mark = bg.mark = mark
    burst.lead_times = [mark - dt.timedelta(minutes=4)] + \
        [mark - dt.timedelta(seconds=30 - i) for i in range(19)]
    assert onset_time(burst) == mark - dt.timedelta(seconds=30)
    bg.lead_times = [mark - dt.timedelta(minutes=3)]
    assert onset_time(bg) == mark + dt.timedelta(seconds=40)


def test_novel_warnings_join_the_pool_only_near_the_onset() -> None:
    mark = dt.datetime(2024, 1, 1, 12, 5)
    sym = _change("sym", "front", "ERROR", 40, 0.0, mark, True, 120.0)
    early = _change("early", "back", "WARN", 1, 0.0, mark - dt.timedelta(seconds=20), True, 4.0)
    late = _change("late", "back", "WARN", 1, 0.0, mark + dt.timedelta(minutes=10), True, 4.0)
    info = _change("info", "back", "INFO", 1, 0.0, mark - dt.timedelta(seconds=2), True, 4.0)
    pool = candidates_from([sym, early, late, info], onset=mark)
    assert [c.template_id for c in pool] == ["sym", "early"]
    assert [c.template_id for c in candidates_from([sym, early, late, info])] == ["sym"]
    ranked = rank(pool, {}, mark - dt.timedelta(minutes=5), mark + dt.timedelta(minutes=20))
    assert ranked[0].change.template_id == "early"
    # the same single line in the symptom's own service gets no novelty
    same = _change("same", "front", "WARN", 1, 0.0, mark - dt.timedelta(seconds=20), True, 4.0)
    ranked = rank(candidates_from([sym, same], onset=mark), {}, mark - dt.timedelta(minutes=5),
                  mark + dt.timedelta(minutes=20))
    assert next(c for c in ranked if c.change.template_id == "same").components["novelty"] == 0.0
