"""The workspace lexicon and the parser's grounding in it, on a small estate of invented words.

The words below (services "kiln" and "loom", fields "batch_ref", "peer_addr", "verdict",
"wait_ms") are not the demo's, so these tests check that the parser reads what the data
holds, not what it was written against: types and values learned from rows, linking by
stem and synonym, the stored table and its per-service refresh, readings, refusals that
name the nearest entries, and empty answers that say why.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.query import ask, to_sql, vocabulary
from logpilot_kernel.query.lexicon import load, refresh
from logpilot_kernel.query.nl import NotUnderstood, parse

NOW = dt.datetime(2024, 7, 3)


def _lines(service: str, n: int, start: dt.datetime) -> list[str]:
    out = []
    for i in range(n):
        ts = start + dt.timedelta(minutes=7 * i)
        rec = {"ts": ts.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "service": service,
               "trace_id": f"{i:032x}"}
        if service == "kiln":
            denied = i % 4 == 0
            rec.update(level="warn" if denied else "info",
                       msg="firing rejected" if denied else "firing accepted",
                       verdict="REJECT" if denied else "ACCEPT", batch_ref=f"BT-{5000 + i}",
                       peer_addr=f"10.1.{i % 3}.{i % 7 + 1}", wait_ms=10 + i % 50)
        else:
            rec.update(level="error" if i % 10 == 0 else "info",
                       msg="thread snapped" if i % 10 == 0 else "cloth woven",
                       colour=["red", "blue", "green"][i % 3], wait_ms=100 + i % 30)
        out.append(json.dumps(rec))
    return out


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("lex")
    for svc in ("kiln", "loom"):
        (root / "in" / svc).mkdir(parents=True)
        (root / "in" / svc / "app.jsonl").write_text(
            "\n".join(_lines(svc, 400, dt.datetime(2024, 7, 1))) + "\n")
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in" / "kiln"), str(root / "in" / "loom")], progress=False, parquet=False)
    yield w, root
    w.close()


def _rows(ws, sql: str):
    cur = ws.cursor()
    try:
        return cur.execute(sql).fetchall()
    finally:
        cur.close()


def test_the_lexicon_learns_types_and_values_from_the_rows(ws) -> None:
    w, _ = ws
    cur = w.cursor()
    lex = load(cur)
    cur.close()
    assert lex.services == ["kiln", "loom"]
    kinds = {(s, k): ki.kind for (s, k), ki in lex.info.items()}
    assert kinds[("kiln", "peer_addr")] == "ip"
    assert kinds[("kiln", "verdict")] == "categorical"
    assert kinds[("kiln", "batch_ref")] == "id"
    assert kinds[("loom", "colour")] == "categorical"
    assert lex.info[("kiln", "verdict")].values == {"REJECT": 100, "ACCEPT": 300}
    assert lex.info[("kiln", "batch_ref")].shape == r"BT\-\d+"
    assert lex.severities["loom"] == {"ERROR": 40, "INFO": 360}
    assert "snapped" in lex.words and "woven" in lex.words
    # stored in the workspace, one stamp per service
    assert {r[0] for r in _rows(w, "SELECT DISTINCT kind FROM lexicon")} >= {
        "service", "key", "value", "severity", "template"}
    assert sorted(r[0] for r in _rows(w, "SELECT service_name FROM lexicon_stamp")) == ["kiln", "loom"]


def test_refresh_redoes_only_the_services_whose_rows_changed(ws) -> None:
    w, root = ws
    cur = w.cursor()
    try:
        assert refresh(cur) == []  # the ingest run refreshed it already
        (root / "in" / "loom2").mkdir()
        (root / "in" / "loom2" / "more.jsonl").write_text(
            "\n".join(_lines("loom", 10, dt.datetime(2024, 7, 2, 23))) + "\n")
        ingest(w, [str(root / "in" / "loom2")], progress=False, parquet=False)
        assert refresh(cur) == []  # ...and again after this run, for loom only
        stamps = dict(cur.execute("SELECT service_name, rows FROM lexicon_stamp").fetchall())
        assert stamps == {"kiln": 400, "loom": 410}
        assert vocabulary(w, cur).rows == {"kiln": 400, "loom": 410}
    finally:
        cur.close()


def test_words_link_by_stem_and_synonym_to_this_workspace(ws) -> None:
    w, _ = ws
    cur = w.cursor()
    lex = load(cur)
    cur.close()
    # "denied" is a synonym of the value REJECT, found in kiln's verdict field
    i = parse("how many denied firings", lex, now=NOW).intent
    assert ("verdict", "REJECT") in i.filters or any("reject" in x for x in i.words)
    p = parse("average latency per day for kiln", lex, now=NOW)
    assert p.intent.measure == "avg" and p.intent.field == "wait_ms" and p.intent.group == ["day"]
    p = parse("top 3 peer addresses by rejected firings", lex, now=NOW)
    assert p.intent.group == ["ctx:peer_addr"] and p.intent.top == 3
    p = parse("how many unique batches", lex, now=NOW)
    assert p.intent.measure == "distinct" and p.intent.field == "ctx:batch_ref"
    p = parse("what fraction of loom logs are errors", lex, now=NOW)
    assert p.intent.measure == "rate" and p.intent.services == ["loom"]
    assert p.reading.startswith("share of rows with severity ERROR or FATAL among rows from service loom")


def test_answers_are_exact_and_carry_their_reading(ws) -> None:
    w, _ = ws
    res = ask(w, "how many rejected firings on July 1st", now=NOW)
    want = _rows(w, "SELECT count(*) FROM logs WHERE context->>'verdict' = 'REJECT' "
                    "AND timestamp < '2024-07-02'")[0][0]
    assert int(res.frame.iloc[0, -1]) == want > 0
    assert res.notes[0].startswith("reading: count of rows")
    assert "on 2024-07-01 UTC" in res.notes[0]
    res = ask(w, "p95 wait for loom", now=NOW)
    want = _rows(w, "SELECT quantile_cont(CAST(context->>'wait_ms' AS DOUBLE), 0.95) FROM logs "
                    "WHERE service_name = 'loom'")[0][0]
    assert float(res.frame.iloc[0, -1]) == pytest.approx(want)
    res = ask(w, "how many batches did 10.1.2.3 send", now=NOW)
    sql, _ = to_sql(w, "how many batches did 10.1.2.3 send", now=NOW)
    assert sql.startswith("-- reading: ")


def test_an_empty_answer_says_which_filter_removed_every_row(ws) -> None:
    w, _ = ws
    res = ask(w, "how many kiln errors", now=NOW)
    assert int(res.frame.iloc[0, -1]) == 0
    notes = " ".join(res.notes)
    assert "kiln has no rows with severity ERROR or FATAL; it has INFO (300), WARN (100)" in notes
    assert "without 'with severity ERROR or FATAL' there are 400" in notes


def test_a_word_that_links_to_nothing_is_refused_with_the_nearest_entries(ws) -> None:
    w, _ = ws
    cur = w.cursor()
    lex = load(cur)
    cur.close()
    with pytest.raises(NotUnderstood) as info:
        parse("how many snaped threads in the kilm", lex, now=NOW)
    assert "kilm" in info.value.unknown or "snaped" in info.value.unknown
    assert "snapped" in info.value.nearest.get("snaped", []) + info.value.nearest.get("kilm", []) \
        or "kiln" in info.value.nearest.get("kilm", [])
    # everyday verbs carry no filter
    assert parse("how many errors did loom get", lex, now=NOW).intent.severities == ("ERROR", "FATAL")


def test_a_threshold_compares_a_numeric_field_in_its_unit(ws) -> None:
    w, _ = ws
    res = ask(w, "how many kiln firings with a wait over 40 ms", now=NOW)
    want = _rows(w, "SELECT count(*) FROM logs WHERE service_name = 'kiln' "
                    "AND CAST(context->>'wait_ms' AS DOUBLE) > 40")[0][0]
    assert int(res.frame.iloc[0, -1]) == want > 0
    assert "where wait_ms is >40" in res.notes[0]
    res = ask(w, "how many loom lines took more than 0.12 seconds", now=NOW)
    want = _rows(w, "SELECT count(*) FROM logs WHERE service_name = 'loom' "
                    "AND CAST(context->>'wait_ms' AS DOUBLE) > 120")[0][0]
    assert int(res.frame.iloc[0, -1]) == want > 0


def test_classes_of_the_second_held_out_set(ws) -> None:
    """Measure + service + field, 'across every', ranking words, day-first dates, compounds."""
    w, _ = ws
    cur = w.cursor()
    lex = load(cur)
    cur.close()
    # a measure whose field follows a service name: the service stays a filter
    p = parse("median kiln latency", lex, now=NOW)
    assert (p.intent.measure, p.intent.field, p.intent.services) == ("p50", "wait_ms", ["kiln"])
    p = parse("mean loom wait", lex, now=NOW)
    assert (p.intent.measure, p.intent.field, p.intent.services) == ("avg", "wait_ms", ["loom"])
    # "across every service" is a total, not a grouping
    p = parse("errors across every service", lex, now=NOW)
    assert p.intent.group == [] and p.intent.severities == ("ERROR", "FATAL")
    # "most popular" ranks like "most common"
    p = parse("the two most popular colours", lex, now=NOW)
    assert p.intent.group == ["ctx:colour"] and p.intent.top == 2 and p.intent.direction == "desc"
    # a day-first date: no month 31, so 31/05 is the 31st of May
    p = parse("errors on 31/05", lex, now=NOW)
    assert p.intent.lo == dt.datetime(2024, 5, 31) and p.intent.hi == dt.datetime(2024, 6, 1)
    # a hyphenated compound of template words is read as those words
    p = parse("how many thread-snapped messages in loom", lex, now=NOW)
    assert p.intent.services == ["loom"] and any("thread" in x for x in p.intent.words)
    assert any("snap" in x for x in p.intent.words)
    # "all three days" names the whole range: no time filter, nothing refused
    p = parse("errors in loom, all three days", lex, now=NOW)
    assert p.intent.lo is None and p.intent.hi is None and p.intent.services == ["loom"]


def test_how_many_more_between_two_periods_is_one_difference(ws) -> None:
    w, _ = ws
    sql, _ = to_sql(w, "how many more loom lines on July 1 compared with July 2?", now=NOW)
    got = _rows(w, sql)
    day = {d: _rows(w, f"SELECT count(*) FROM logs WHERE service_name = 'loom' AND "
                       f"CAST(timestamp AS DATE) = DATE '2024-07-0{d}'")[0][0] for d in (1, 2)}
    assert len(got) == 1 and got[0][0] == day[1] - day[2]
    cur = w.cursor()
    lex = load(cur)
    cur.close()
    p = parse("how many more errors on july 2 than on july 1", lex, now=NOW)
    assert p.intent.difference == ("period", "2024-07-02", "2024-07-01")
    p = parse("errors on july 2 compared with july 1", lex, now=NOW)  # no "how many more"
    assert p.intent.difference is None and len(p.intent.compare) == 2


def test_which_modifier_field_groups_by_the_field_and_keeps_the_modifier(ws) -> None:
    w, _ = ws
    cur = w.cursor()
    lex = load(cur)
    cur.close()
    p = parse("which woven colour shows up least often", lex, now=NOW)
    assert p.intent.group == ["ctx:colour"] and p.intent.top == 1 and p.intent.direction == "asc"
    assert any("woven" in x for x in p.intent.words)
