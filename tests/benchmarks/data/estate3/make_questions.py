"""Builds questions.json and questions_renamed.json for estate 3 from the generator's own records.

usage: make_questions.py [--seed N --days D --start YYYY-MM-DD] [--out DIR]
Why it re-runs the generator in memory: the answers must come from what was simulated, and a few of them are
then checked against the written text with plain regexes, so a rendering bug cannot hide behind the truth.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from formats import Renderer  # noqa: E402
from generate import build  # noqa: E402
from names import variant  # noqa: E402
from qlib import Q  # noqa: E402
from questions import specs  # noqa: E402
from why import why_specs  # noqa: E402

DOC = ("Estate 3 is a video-streaming platform. All times are UTC (the nginx access log and the entitlement CSV "
       "write local time with a +02:00 offset, PostgreSQL/Redis/Kafka/klog write UTC, pino writes epoch "
       "milliseconds). Day, weekday, hour and part-of-day ranges are half-open [start, end) in UTC. "
       "'errors' are entries whose format writes an error-or-worse severity: pino level 50/60, PostgreSQL "
       "ERROR/FATAL/PANIC, klog E/F, Kafka ERROR/FATAL; Redis has no error level. 'warnings' are pino 40, "
       "PostgreSQL WARNING, Redis '#', klog W, Kafka WARN. The nginx access log and the entitlement CSV carry no "
       "level and contribute no severity (HTTP status is a field, not a severity). A Kafka entry with its "
       "stack-trace lines counts once; every PostgreSQL line carries its own prefix and is one entry. Parts of "
       "day: early hours 00-06, morning 06-12, afternoon 12-18, evening 18-24. 'This week'/'the whole week' "
       "is the whole estate. Shares are fractions 0..1. Percentiles are linear (numpy default). Group-by "
       "answers list only non-empty groups; hours are labelled by their start instant (YYYY-MM-DD HH:MM), days "
       "as YYYY-MM-DD, weekdays by English name. Top-N questions are chosen with no tie at the cut. 'now' is "
       "the end of the estate; 'yesterday' is the last day before now. A slow query is a PostgreSQL "
       "'duration: ... ms' line (log_min_duration_statement = 100 ms). Request time is nginx $request_time "
       "in seconds; a playback session started/ended is the playback API's session-started/ended message.")


def fill(text: str, srcs: dict, words: dict, rd: Renderer) -> str:
    """Replaces the rename placeholders of a question template."""
    text = re.sub(r"\{v:([^}]+)\}", lambda m: rd.v(m.group(1)), text)
    text = re.sub(r"\{k:([^}]+)\}", lambda m: words.get(m.group(1), m.group(1)), text)
    text = re.sub(r"\{c:(\d+)\}", lambda m: words["csv_header"][int(m.group(1))], text)
    return re.sub(r"\{(\w+)\}", lambda m: srcs[m.group(1)][0] if m.group(1) in srcs else m.group(0), text)


def crosscheck(qs: dict, files: dict, srcs: dict, words: dict) -> int:
    """Regexes over the written text must agree with answers computed from the records."""
    by = {q["kind"]: q["answer"]["value"] for q in qs["questions"]}
    f = lambda s: files["/".join(srcs[s])]  # noqa: E731
    ng = f("nginx")
    assert len(ng) == by["total"], (len(ng), by["total"])
    fatal = sum(bool(re.match(r"^\d{4}-\d\d-\d\d [\d:.]+ UTC \[\d+\] \S+@\S+ FATAL:  ", ln)) for ln in f("pg"))
    assert fatal == by["fatal"], (fatal, by["fatal"])
    n404 = sum(bool(re.search(r'HTTP/1\.1" 404 \d+ ', ln)) for ln in ng)
    assert abs(n404 / len(ng) - by["share_404"]) < 1e-6
    key = words["watchedSec"]
    watched = sum(int(m.group(1)) for ln in f("playback") for m in [re.search(rf'"{key}":(\d+)', ln)] if m)
    assert watched == by["watched"], (watched, by["watched"])
    first = next(ln for ln in f("pg") if "too many clients already" in ln)
    m = re.match(r"^(\d{4}-\d\d-\d\d) ([\d:.]+) UTC", first)
    assert f"{m.group(1)}T{m.group(2)}Z" == by["first_too_many"], (first, by["first_too_many"])
    kerr = sum(bool(re.match(r"^\[[\d :,-]+\] (ERROR|FATAL) ", ln)) for ln in f("kafka"))
    assert kerr == dict(map(tuple, by["errors_by_service"]))[srcs["kafka"][0]]
    return 6


def render(seed: int, days: int, start: str, k: int) -> tuple[dict, int]:
    est, truth, files = build(seed, days, start, k)
    srcs, words = variant(k)
    rd = Renderer(words)
    rd.svc = {s: srcs[s][0] for s in srcs}
    q = Q(est)
    out = []
    for i, (group, kind, text, ans, notes) in enumerate(specs(q, rd), 1):
        out.append({"id": f"e3-{i:03d}", "group": group, "kind": kind, "question": fill(text, srcs, words, rd),
                    "answer": ans, "notes": fill(notes, srcs, words, rd)})
    why = []
    for j, w in enumerate(why_specs(truth), 1):
        why.append({**w, "id": f"e3w-{j}", "question": fill(w["question"], srcs, words, rd)})
        why[-1] = {k2: why[-1][k2] for k2 in ("id", "question", "time_style", "names_root_service", "now", "expected")}
    args = {"generator": "tests/benchmarks/data/estate3/generate.py", "seed": seed, "days": days, "start": start}
    if k:
        args["args"] = ["--rename", str(k)]
    doc = {"doc": DOC, "now": est.t_end and Q.iso(est.t_end).replace(".000Z", "Z"), "estate": args,
           "questions": out, "why": why}
    return doc, crosscheck(doc, files, srcs, words)


def dump(doc: dict) -> str:
    """JSON with one question per line: diffable, and short enough to read whole."""
    parts = []
    for k, v in doc.items():
        if isinstance(v, list):
            body = ",\n".join("  " + json.dumps(x, ensure_ascii=False) for x in v)
            parts.append(f' {json.dumps(k)}: [\n{body}\n ]')
        else:
            parts.append(f" {json.dumps(k)}: {json.dumps(v, ensure_ascii=False)}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--days", type=int, default=7)
    ap.add_argument("--start", default="2026-06-01")
    ap.add_argument("--out", default=str(HERE))
    a = ap.parse_args(argv)
    base, n0 = render(a.seed, a.days, a.start, 0)
    ren, n1 = render(a.seed, a.days, a.start, 1)
    names = {"top_device_stall", "lat_by_plan", "errors_by_service"}  # answers that contain a renamed name
    for x, y in zip(base["questions"], ren["questions"]):
        assert x["kind"] == y["kind"]
        if x["kind"] not in names:
            assert x["answer"] == y["answer"], x["kind"]
    for name, doc in (("questions.json", base), ("questions_renamed.json", ren)):
        (Path(a.out) / name).write_text(dump(doc), encoding="utf-8")
    print(f"{len(base['questions'])} questions, {len(base['why'])} why; crosschecks {n0}+{n1} passed")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
