"""Templates across shards and time: merge two miners' template sets, re-mine a workspace.

Why re-mine and not compare strings: two miners (bulk and stream, two Dask workers, last
year's miner and today's) name the same event differently, or split what one of them
merged.  Like Loki's querier and Elasticsearch's reduce phase, which merge the patterns
of shards by running the pattern step again over the patterns, we mine the template
texts themselves (their ``<*>`` slots are values to the miner) and map every id of one
merged group to one survivor; the mapping is returned and kept.

Re-mining a workspace goes one level lower: its distinct messages (first line and
severity, as ingest mines them) are mined again with the current miner, so rows get the
templates that miner would have given them, without reading the files again.  Rows keep
their provenance (``origin``, ``origin_offset``, every other column); only
``template_id``, ``body`` and the ``params`` of ``context`` change, through delete +
insert (``workspace.rewrite_rows``: no UPDATE while a stream may be open).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

import pyarrow as pa

from logpilot_kernel.ingest.known_templates import HOLE, PARAM
from logpilot_kernel.ingest.mining import TemplateMiner

__all__ = ["merge_template_sets", "remine_workspace", "RemineReport"]

_GROUP = "\ue002"  # the miner's group-key marker (see mining)


def merge_template_sets(sets: Sequence[Mapping[str, str]], groups: Mapping[str, str] | None = None,
                        settings: dict[str, Any] | None = None) -> tuple[dict[str, str], dict[str, str]]:
    """Merge template sets ``{id: text}`` by mining their texts again.

    Returns ``(templates, mapping)``: the surviving ``{id: text}`` and, for every input
    id, the id that now stands for it (itself for a survivor).  The survivor of a group
    is its first id in input order (the first set is the older one).  ``groups`` (id ->
    key, e.g. the severity) keeps templates of different groups apart, as in ``mine``.
    """
    ids: list[str] = []
    masked: list[str] = []
    seen: set[str] = set()
    for s in sets:
        for tid, text in s.items():
            if tid in seen:
                continue
            seen.add(tid)
            ids.append(tid)
            body = text.replace(HOLE, "\ufffd").replace(PARAM, HOLE)  # a slot is a masked value
            masked.append(body if groups is None else f"{groups.get(tid, '')}{_GROUP}{body}")
    miner = TemplateMiner(settings=settings)
    touched: set[str] = set()
    clusters = miner._cluster(masked, touched)
    miner._merge_pass(touched, frozen=set())
    new_ids = [miner._tid[c.cluster_id] for c, _, _ in clusters]
    survivor: dict[str, str] = {}
    mapping: dict[str, str] = {}
    for tid, nid in zip(ids, new_ids):
        mapping[tid] = survivor.setdefault(nid, tid)
    texts = miner.templates()
    templates = {survivor[nid]: texts[nid] for nid in survivor}
    return templates, mapping


@dataclass
class RemineReport:
    """What a re-mine changed (printed by ``logpilot templates remine``)."""

    run_id: str
    distinct_messages: int = 0
    rows_rewritten: int = 0
    templates_before: int = 0
    templates_after: int = 0
    merged: dict[str, str] = field(default_factory=dict)  # retired id -> the id now standing for it
    seconds: float = 0.0

    def summary(self) -> str:
        return (f"re-mined {self.distinct_messages:,} distinct messages: {self.templates_before:,} -> "
                f"{self.templates_after:,} templates, {len(self.merged):,} ids retired, "
                f"{self.rows_rewritten:,} rows rewritten ({self.seconds:.1f}s, run {self.run_id})")


def _choose_ids(new_ids: list[str], old_ids: list[str], counts: list[int]) -> tuple[dict[str, str], dict[str, str]]:
    """Stable ids through a re-mine: each new template takes the old id holding most of its
    rows (an old id can stand for one new template only); returns (new -> final id,
    old -> the final id holding most of its rows)."""
    votes: dict[str, Counter] = {}
    for n, o, c in zip(new_ids, old_ids, counts):
        votes.setdefault(n, Counter())[o] += c
    final: dict[str, str] = {}
    taken: set[str] = set()
    olds = set(old_ids)
    for n in sorted(votes, key=lambda k: (-sum(votes[k].values()), k)):
        pick = next((o for o, _ in sorted(votes[n].items(), key=lambda x: (-x[1], x[0])) if o not in taken), None)
        if pick is None:
            pick = n
            while pick in taken or pick in olds:
                pick = "T" + hashlib.sha1(pick.encode()).hexdigest()[:10]
        final[n] = pick
        taken.add(pick)
    where: dict[str, Counter] = {}
    for n, o, c in zip(new_ids, old_ids, counts):
        where.setdefault(o, Counter())[final[n]] += c
    old_to = {o: max(cnt.items(), key=lambda x: (x[1], x[0]))[0] for o, cnt in where.items()}
    return final, old_to


def remine_workspace(ws: Any, settings: dict[str, Any] | None = None) -> RemineReport:
    """Re-mine ``ws``'s distinct messages with the current miner (see the module docstring)."""
    from logpilot_kernel.workspace import record_template_merges, rewrite_rows, transaction
    from logpilot_kernel.query.lexicon import forget as forget_lexicon

    t0 = time.perf_counter()
    report = RemineReport(run_id="remine-" + dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
                          + "-" + uuid.uuid4().hex[:6])
    cur = ws.cursor()
    src = cur.execute(
        "SELECT split_part(message, chr(10), 1) AS m, severity AS g, template_id AS old, count(*) AS n "
        "FROM logs GROUP BY ALL ORDER BY min(origin), min(origin_offset), old").to_arrow_table()
    report.templates_before = cur.execute("SELECT count(*) FROM templates").fetchone()[0]
    miner = TemplateMiner(settings=settings)
    res = miner.mine(src.column("m"), con=cur, groups=src.column("g"))
    final, old_to = _choose_ids(res.template_id.to_pylist(), src.column("old").to_pylist(),
                                src.column("n").to_pylist())
    miner.rename(final)
    texts = miner.templates()
    tids = [final[t] for t in res.template_id.to_pylist()]
    report.distinct_messages = src.num_rows
    report.merged = {o: n for o, n in old_to.items() if o != n}
    remap = pa.table({"m": src.column("m"), "g": src.column("g"), "old": src.column("old"),
                      "tid": pa.array(tids, pa.string()), "body": pa.array([texts[t] for t in tids], pa.string()),
                      "params": res.params})
    cur.register("_lp_remine", remap)
    try:
        with ws.write_lock, transaction(cur):
            report.rows_rewritten = rewrite_rows(
                cur, "logs", ["origin", "origin_offset"],
                "SELECT l.* REPLACE (r.tid AS template_id, r.body AS body, CAST(CASE WHEN len(r.params) = 0 "
                "THEN json_merge_patch(l.context, '{\"params\":null}') ELSE json_merge_patch(l.context, "
                "json_object('params', r.params)) END AS JSON) AS context) "
                "FROM logs l JOIN _lp_remine r ON split_part(l.message, chr(10), 1) = r.m "
                "AND l.severity = r.g AND l.template_id = r.old "
                "WHERE l.template_id <> r.tid OR l.body <> r.body "
                "OR CAST(l.context->'params' AS VARCHAR) IS DISTINCT FROM "
                "CASE WHEN len(r.params) = 0 THEN NULL ELSE CAST(to_json(r.params) AS VARCHAR) END")
            live = pa.table({"template_id": list(texts), "template": list(texts.values())})
            cur.register("_lp_remine_t", live)
            try:
                rewrite_rows(cur, "templates", ["template_id"],
                             "SELECT t.* REPLACE (n.template AS template) FROM templates t "
                             "JOIN _lp_remine_t n USING (template_id) WHERE t.template <> n.template")
                cur.execute("DELETE FROM templates WHERE template_id NOT IN (SELECT template_id FROM _lp_remine_t)")
                cur.execute(
                    "INSERT INTO templates (template_id, template, first_service, created_run) "
                    "SELECT n.template_id, n.template, (SELECT min(service_name) FROM logs l "
                    "WHERE l.template_id = n.template_id), ? FROM _lp_remine_t n "
                    "WHERE n.template_id NOT IN (SELECT template_id FROM templates)", [report.run_id])
            finally:
                cur.unregister("_lp_remine_t")
            rewrite_rows(cur, "templates", ["template_id"],
                         "SELECT t.* REPLACE (s.n AS count, s.f AS first_seen, s.l AS last_seen) FROM templates t "
                         "JOIN (SELECT template_id, count(*) AS n, min(timestamp) AS f, max(timestamp) AS l "
                         "FROM logs GROUP BY template_id) s USING (template_id) "
                         "WHERE t.count IS DISTINCT FROM s.n OR t.first_seen IS DISTINCT FROM s.f "
                         "OR t.last_seen IS DISTINCT FROM s.l")
            cur.execute("DELETE FROM template_counts_pending")  # the recount above spent them
            record_template_merges(cur, report.merged, report.run_id)
            forget_lexicon(cur)  # rows' template ids and params changed in place
            report.templates_after = cur.execute("SELECT count(*) FROM templates").fetchone()[0]
            report.seconds = time.perf_counter() - t0
            cur.execute("INSERT INTO ingest_runs (run_id, kind, started_at, finished_at, status, inputs, "
                        "new_templates, seconds, report) VALUES (?, 'remine', current_timestamp, current_timestamp, "
                        "'done', ?, ?, ?, ?)",
                        [report.run_id, json.dumps({"distinct_messages": src.num_rows}),
                         max(0, report.templates_after - report.templates_before), report.seconds,
                         json.dumps({"rows_rewritten": report.rows_rewritten, "merged": report.merged})])
    finally:
        cur.unregister("_lp_remine")
    miner.save(ws.miner_state_path)  # later ingests continue with these templates and ids
    retired = sorted(set(report.merged) - set(texts))
    if retired and ws.chroma_path.exists():  # the new texts are embedded by the next embed pass
        ws.templates_collection.delete(ids=retired)
    return report
