"""Accuracy of the offline question parser on question sets written without looking at it.

usage: python tests/benchmarks/question_accuracy.py [--sets demo,renamed,loghub]
           [--rename-seed N] [--shared PATH] [--demo-questions FILE] [--out DIR] [--json]
           [--show wrong,refused]

Sets:
- ``demo``: ``tests/data/questions_blind.json`` over the demo estate it names;
- ``renamed``: the same questions re-rendered for the estate renamed by ``--rename-seed``
  (services, context keys and message words replaced; answers renamed alike);
- ``loghub``: ``tests/benchmarks/data/loghub_questions.json`` over the eight Loghub-2k
  systems under ``--shared`` (``PATH/data/loghub-2k``), each ingested with ``--source``
  its lower-case name, into one workspace, as the file's protocol says.

Per set: exact (the answer equals the expected one), refused (the parser said it does not
understand), wrong, and *silent* wrong (wrong with no note and no other reading offered).
Judging follows the sets' conventions: scalars within the given tolerance (else 1e-9
relative, or 4 decimals for fractions); a share counts in either scale (0..1 or 0..100:
the two sets disagree on which a "percentage" is); values compared case-insensitively as
text; rows as sets (or lists when ordered) with times compared as instants, and a
year-less day ("06-30", the Loghub set's convention for Linux) by month and day. A question
whose answer is ``{"type": "refuse"}`` (the data cannot answer it) is exact when the parser
refuses and wrong when it returns any number: an honest refusal is the right answer there.
A tolerance is read from the question, else from its answer. With questions labelled by
``group``, the summary also gives exact per group.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BLIND = ROOT / "tests" / "data" / "questions_blind.json"
LOGHUB = ROOT / "tests" / "benchmarks" / "data" / "loghub_questions.json"
SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Spark", "Zookeeper"]


# ------------------------------------------------------------------ judging
def _num(v: Any) -> float | None:
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if hasattr(v, "item"):
        try:
            return float(v.item())
        except (TypeError, ValueError):
            return None
    return None


def _instant(v: Any) -> dt.datetime | None:
    if isinstance(v, dt.datetime):
        return v.replace(tzinfo=None)
    if isinstance(v, dt.date):
        return dt.datetime.combine(v, dt.time())
    if hasattr(v, "to_pydatetime"):
        return v.to_pydatetime().replace(tzinfo=None)
    if isinstance(v, str):
        s = v.strip().replace("T", " ")
        s = re.sub(r"(?:Z|[+-]00:?00)$", "", s)  # an explicit UTC offset: the same instant
        for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return dt.datetime.strptime(s, fmt)
            except ValueError:
                continue
    return None


def same(got: Any, want: Any, tol: float | None = None) -> bool:
    """One cell against one expected value (numbers, instants, text)."""
    g, w = _num(got), _num(want)
    if w is not None:
        if g is None:
            try:
                g = float(str(got))
            except ValueError:
                return False
        if math.isnan(g):
            return False
        if tol is not None:
            return abs(g - w) <= tol
        return abs(g - w) <= max(1e-9 * max(1.0, abs(w)), 5e-5 if w != int(w) else 0.0)
    if isinstance(want, str) and re.fullmatch(r"\d{2}-\d{2}", want.strip()):  # a year-less day
        gi = _instant(got)
        return gi is not None and f"{gi:%m-%d}" == want.strip()
    gi, wi = _instant(got), _instant(want)
    if wi is not None and gi is not None:
        if isinstance(want, str) and len(want.strip()) <= 16:  # a bucket label, to the minute
            return gi.replace(second=0, microsecond=0) == wi
        return abs((gi - wi).total_seconds()) < 1.0
    return str(got).strip().lower() == str(want).strip().lower()


def _scalar_ok(frame: Any, want: Any, tol: float | None) -> bool:
    if frame.shape[0] != 1:
        return False
    got = frame.iloc[0, -1]
    if same(got, want, tol):
        return True
    g, w = _num(got), _num(want)
    if g is not None and w is not None and 0 <= g <= 1:  # a share in the other scale
        return same(g * 100, w, None if tol is None else tol * 100) or same(round(g, 4), w, tol)
    return False


def judge(frame: Any, answer: dict[str, Any], tol: float | None = None) -> bool:
    """True when the result frame is the expected answer."""
    kind = answer["type"]
    if kind == "scalar":
        return _scalar_ok(frame, answer["value"], tol)
    if kind == "value":
        if frame.shape[0] < 1:
            return False
        row = list(frame.iloc[0])
        return any(same(c, answer["value"]) for c in row[:-1] or row)
    want = [list(r) for r in answer["rows"]]
    got = [list(r) for r in frame.itertuples(index=False)]
    if len(got) != len(want):
        return False
    width = len(want[0]) if want else 0
    got = [r[:width - 1] + [r[-1]] if len(r) > width else r for r in got]

    def match(g: list, w: list) -> bool:
        return len(g) == len(w) and all(same(a, b, tol) for a, b in zip(g, w))

    if answer.get("ordered"):
        return all(match(g, w) for g, w in zip(got, want))
    left = list(got)
    for w in want:
        hit = next((i for i, g in enumerate(left) if match(g, w)), None)
        if hit is None:
            return False
        left.pop(hit)
    return True


# ------------------------------------------------------------------ running
def ask_all(ws: Any, questions: list[dict[str, Any]], now: dt.datetime | None) -> dict[str, Any]:
    from logpilot_kernel.errors import LogPilotError
    from logpilot_kernel.query import ask
    from logpilot_kernel.query.nl import NotUnderstood

    out = {"exact": [], "refused": [], "wrong": [], "silent_wrong": [], "error": []}
    for q in questions:
        try:
            res = ask(ws, q["question"], now=now, model=None)
        except NotUnderstood as exc:
            if q["answer"].get("type") == "refuse":
                out["exact"].append({"id": q["id"], "group": q.get("group")})
                continue
            out["refused"].append({"id": q["id"], "group": q.get("group"), "question": q["question"], "why": str(exc)[:300]})
            continue
        except LogPilotError as exc:
            out["error"].append({"id": q["id"], "group": q.get("group"), "question": q["question"], "why": str(exc)[:300]})
            continue
        tol = q.get("tolerance", q["answer"].get("tolerance"))
        if q["answer"].get("type") != "refuse" and judge(res.frame, q["answer"], tol):
            out["exact"].append({"id": q["id"], "group": q.get("group")})
            continue
        notes = [n for n in res.notes if not n.startswith("reading: ")]
        reading = next((n[9:] for n in res.notes if n.startswith("reading: ")), "")
        item = {"id": q["id"], "group": q.get("group"), "question": q["question"], "reading": reading, "notes": notes,
                "expected_reading": q.get("reading", ""), "want": q["answer"],
                "got": res.records()[:6]}
        out["wrong"].append(item)
        if not notes:
            out["silent_wrong"].append({"id": q["id"], "question": q["question"]})
    return out


def _demo_workspace(base: Path, spec: dict[str, Any], rename_seed: int | None) -> tuple[Any, dict]:
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    est = base / "estate"
    truth = generate(est, days=spec["days"], seed=spec["seed"], start=spec.get("start", "2024-05-30"),
                     rename_seed=rename_seed).to_dict()
    ws = Workspace(base / "ws")
    dirs = sorted({s["dir"] for s in truth["services"].values()})
    report = ingest(ws, [str(est / d) for d in dirs], progress=False, parquet=False)
    if not report.rows_loaded:
        raise SystemExit(f"nothing ingested from {est}")
    return ws, truth


def run_demo(base: Path, rename_seed: int | None, questions: Path = BLIND) -> dict[str, Any]:
    from logpilot_kernel.demo import render_answer, render_question
    from logpilot_kernel.demo.renames import Renamer, has_placeholders

    data = json.loads(questions.read_text())
    ws, truth = _demo_workspace(base, data["estate"], rename_seed)
    renames = truth.get("renames") or {}
    if any(has_placeholders(q["question"]) for q in data["questions"]):
        qs = [dict(q, question=render_question(q["question"], renames),
                   answer=render_answer(q["answer"], renames)) for q in data["questions"]]
    else:
        # A set written in plain words (the blind sets): the renamed estate's analyst says
        # its words, so every renamable term standing as a token is replaced in the question
        # and in the expected answer, exactly as the estate's own bytes were renamed.
        ren = Renamer(renames)
        qs = [dict(q, question=ren.sub(q["question"]), answer=ren.truth(q["answer"]))
              for q in data["questions"]]
    end = dt.datetime.fromisoformat(data["estate"].get("start", "2024-05-30")) + dt.timedelta(
        days=data["estate"]["days"])
    if data.get("now"):  # a set that states the "now" its relative phrases mean
        end = dt.datetime.fromisoformat(data["now"].replace("Z", ""))
    try:
        return ask_all(ws, qs, now=end)
    finally:
        ws.close()


def run_loghub(base: Path, shared: Path) -> dict[str, Any]:
    from logpilot_kernel import Workspace
    from logpilot_kernel.ingest.bulk import ingest

    data = json.loads(LOGHUB.read_text())
    ws = Workspace(base / "ws")
    for system in SYSTEMS:
        path = shared / "data" / "loghub-2k" / system / f"{system}_2k.log"
        ingest(ws, [str(path)], source=system.lower(), progress=False, parquet=False)
    try:
        return ask_all(ws, data["questions"], now=None)
    finally:
        ws.close()


def by_group(res: dict[str, Any]) -> dict[str, list[int]]:
    """``group -> [exact, questions]`` for sets whose questions carry a ``group`` label."""
    out: dict[str, list[int]] = {}
    for kind in ("exact", "refused", "wrong", "error"):
        for item in res[kind]:
            if item.get("group"):
                cell = out.setdefault(item["group"], [0, 0])
                cell[0] += kind == "exact"
                cell[1] += 1
    return dict(sorted(out.items()))


def summary(name: str, res: dict[str, Any]) -> dict[str, Any]:
    n = sum(len(res[k]) for k in ("exact", "refused", "wrong", "error"))
    groups = by_group(res)
    return {"set": name, "questions": n, **({"groups": groups} if groups else {}),
            **{k: len(res[k]) for k in ("exact", "refused", "wrong", "silent_wrong", "error")},
            **{f"{k}_rate": round(len(res[k]) / n, 3) if n else 0.0
               for k in ("exact", "refused", "wrong")}}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sets", default="demo,renamed,loghub")
    p.add_argument("--rename-seed", type=int, default=1)
    p.add_argument("--shared", type=Path, default=None, help="folder holding data/loghub-2k")
    p.add_argument("--out", type=Path, default=None)
    p.add_argument("--demo-questions", type=Path, default=BLIND,
                   help="the question file of the demo and renamed sets (default: the blind set)")
    p.add_argument("--json", action="store_true")
    p.add_argument("--show", default="", help="print these outcomes per question: wrong,refused,error")
    args = p.parse_args(argv)
    sets = [s for s in args.sets.split(",") if s]
    rows, details = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in sets:
            t0 = time.perf_counter()
            base = Path(tmp) / name
            base.mkdir()
            if name == "demo":
                res = run_demo(base, None, args.demo_questions)
            elif name == "renamed":
                res = run_demo(base, args.rename_seed, args.demo_questions)
            elif name == "loghub":
                if args.shared is None:
                    print("loghub: skipped (give --shared PATH)", file=sys.stderr)
                    continue
                res = run_loghub(base, args.shared)
            else:
                raise SystemExit(f"unknown set {name!r}")
            row = summary(name, res)
            row["seconds"] = round(time.perf_counter() - t0, 1)
            rows.append(row)
            details[name] = res
            for kind in [k for k in args.show.split(",") if k]:
                for item in res.get(kind, []):
                    print(f"[{name} {kind}] {json.dumps(item, default=str)}")
    if args.out:
        args.out.mkdir(parents=True, exist_ok=True)
        (args.out / "question_accuracy.json").write_text(
            json.dumps({"summary": rows, "details": details}, indent=1, default=str))
    if args.json:
        print(json.dumps(rows, indent=1))
    else:
        print(f"{'set':8} {'n':>4} {'exact':>6} {'refused':>8} {'wrong':>6} {'silent':>7} {'error':>6}")
        for r in rows:
            print(f"{r['set']:8} {r['questions']:>4} {r['exact']:>3} ({r['exact_rate']:.2f}) "
                  f"{r['refused']:>4} ({r['refused_rate']:.2f}) {r['wrong']:>3} "
                  f"{r['silent_wrong']:>6} {r['error']:>6}")
            if r.get("groups"):
                print("         groups: " + ", ".join(f"{g} {e}/{n}" for g, (e, n) in r["groups"].items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
