"""Why-questions in every time-phrase style, over the demo estate, judged by its ground truth.

usage: python tests/benchmarks/why_questions.py [--seed 7] [--days 3] [--extra-incidents]
       [--rename-seed N] [--out DIR] [--show]

Every injected incident of the demo generator is asked in five time-phrase styles
("around 14:30 UTC on May 31st", "in the afternoon of 31 May", "between 10:00 and 13:00 on
2024-05-31", "yesterday afternoon" with ``now`` the next day, "on Friday"). The questions
name the *symptom* (a downstream service of ``affected_services`` and its HTTP status), never
the root-cause service, and no since/until is passed: the time phrase alone must bound the
search. The true root-cause template is found from the truth's ``line_contains`` in the
truth's file, never from the engine. Printed: hit@1, hit@3 (true template first / in the
top 3 of ``root_causes``) and the window error in minutes (the larger of the start and end
differences to the truth), overall and per style.

``tests/test_why_incidents.py`` imports :func:`styled_questions` and :func:`evaluate`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

VERBS = ("what explains the {sym} {time}?", "what caused the {sym} {time}?",
         "what is behind the {sym} {time}?", "what made {svc} fail {time}?",
         "what broke {svc} {time}?")
PARTS = ((0, 6, "early hours"), (6, 12, "morning"), (12, 18, "afternoon"), (18, 22, "evening"),
         (22, 24, "night"))


def ts(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00")).replace(tzinfo=None)


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def _part(t: dt.datetime) -> str:
    return next(name for a, b, name in PARTS if a <= t.hour < b)


def symptom(inc: dict[str, Any]) -> tuple[str, str]:
    """(service, words) a user would report: the most downstream affected service that is
    not the root cause, and its HTTP status when the truth names one."""
    root = inc["root_cause"]["service"]
    others = [s for s in inc.get("affected_services", []) if s != root]
    svc = inc.get("symptom_service") or (others[-1] if others else "")
    status = (inc.get("http_symptom") or {}).get("status") or []
    words = f"{status[0]} errors" if status else "errors"
    return svc, (f"{svc} {words}" if svc else words)


def styled_questions(inc: dict[str, Any], k: int = 0) -> list[tuple[str, str, dt.datetime | None]]:
    """(style, question, now) for one incident, in each time-phrase style; ``k`` (the
    incident's index) rotates the phrasings so every style meets every verb."""
    start, end = ts(inc["start"]), ts(inc["end"])
    t = start + min(dt.timedelta(minutes=10), (end - start) / 2)
    t = t.replace(minute=t.minute - t.minute % 5, second=0, microsecond=0)
    svc, sym = symptom(inc)
    month = t.strftime("%B")
    part = _part(t)
    h0, h1 = max(0, start.hour - 1), min(23, end.hour + 2)
    times = [
        ("around", f"around {t:%H:%M} UTC on {month} {_ordinal(t.day)}", None),
        ("part_of_day", f"in the {part} of {t.day} {month}", None),
        ("between", f"between {h0:02d}:00 and {h1:02d}:00 on {t:%Y-%m-%d}", None),
        ("yesterday", f"yesterday {part}",
         dt.datetime.combine(t.date() + dt.timedelta(days=1), dt.time(9, 0))),
        ("weekday", f"on {t:%A}", None),
    ]
    out = []
    for i, (style, phrase, now) in enumerate(times):
        q = VERBS[(i + k) % len(VERBS)].format(sym=sym, svc=svc or "everything", time=phrase)
        out.append((style, q, now))
    return out


def true_template(ws: Any, inc: dict[str, Any]) -> str:
    """The template id of the truth's root-cause lines (majority over matching rows)."""
    rc = inc["root_cause"]
    conds = " AND ".join("message LIKE ?" for _ in rc["line_contains"])
    row = ws.cursor().execute(
        f"SELECT template_id, count(*) FROM logs WHERE origin LIKE ? AND {conds} "
        f"GROUP BY 1 ORDER BY 2 DESC LIMIT 1",
        # the file or its rotated copies (catalog.log.1.gz): the generator names the live one
        ["%" + rc["file"].split("/", 1)[1] + "%"] + [f"%{x}%" for x in rc["line_contains"]]).fetchone()
    if row is None:
        raise LookupError(f"no row of {rc['file']} contains {rc['line_contains']}")
    return row[0]


def evaluate(ws: Any, truth: dict[str, Any]) -> list[dict[str, Any]]:
    """One row per (incident, style): hit@1, hit@3, window error in minutes."""
    from logpilot_kernel.why import why

    rows = []
    for k, inc in enumerate(truth["incidents"]):
        want = true_template(ws, inc)
        s0, e0 = ts(inc["start"]), ts(inc["end"])
        for style, q, now in styled_questions(inc, k):
            ans = why(ws, q, now=now)
            ids = [r["template_id"] for r in ans.root_causes]
            w = ans.window
            err = window_error(w, s0, e0)
            rows.append({"incident": inc["kind"], "style": style, "question": q,
                         "now": now.isoformat() if now else None, "hit1": ids[:1] == [want],
                         "hit3": want in ids[:3], "window_error_min": round(err, 2),
                         "window": [w.start.isoformat(), w.end.isoformat()] if w else None,
                         "top": ans.root_causes[0]["template"][:60] if ans.root_causes else None})
    return rows


def window_error(w: Any, s0: dt.datetime, e0: dt.datetime) -> float:
    """Minutes: the larger of the start and end differences to the truth (inf: no window)."""
    if w is None:
        return float("inf")
    return max(abs((w.start - s0).total_seconds()), abs((w.end - e0).total_seconds())) / 60


def aggregate(rs: list[dict[str, Any]]) -> dict[str, Any]:
    """hit@1, hit@3, median window error and the share within 2 minutes of some rows."""
    errs = [r["window_error_min"] for r in rs]
    return {"n": len(rs), "hit1": round(sum(r["hit1"] for r in rs) / len(rs), 3),
            "hit3": round(sum(r["hit3"] for r in rs) / len(rs), 3),
            "window_median_min": round(statistics.median(errs), 2),
            "window_within_2min": round(sum(e <= 2 for e in errs) / len(errs), 3)}


def summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """hit@1, hit@3, median window error and the share within 2 minutes."""
    agg = aggregate
    out = {"all": agg(rows)}
    for style in dict.fromkeys(r["style"] for r in rows):
        out[style] = agg([r for r in rows if r["style"] == style])
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--days", type=int, default=3)
    ap.add_argument("--extra-incidents", action="store_true",
                    help="add the generator's incidents whose root cause is outside the symptom")
    ap.add_argument("--rename-seed", type=int, default=None,
                    help="the renamed estate (services, keys and wording renamed by this seed)")
    ap.add_argument("--out", default=None, help="folder for the estate and workspace")
    ap.add_argument("--show", action="store_true", help="print every question's result")
    args = ap.parse_args(argv)
    from logpilot_kernel import Workspace
    from logpilot_kernel.demo import generate
    from logpilot_kernel.ingest.bulk import ingest

    root = Path(args.out or tempfile.mkdtemp(prefix="why-questions-"))
    t0 = time.perf_counter()
    truth = generate(root / "estate", days=args.days, seed=args.seed,
                     extra_incidents=args.extra_incidents, rename_seed=args.rename_seed).to_dict()
    ws = Workspace(root / "ws")
    ingest(ws, [str(root / "estate" / "logs")], progress=False, parquet=False)
    t1 = time.perf_counter()
    rows = evaluate(ws, truth)
    t2 = time.perf_counter()
    ws.close()
    if args.show:
        for r in rows:
            print(f"{'ok ' if r['hit1'] else ('top3' if r['hit3'] else 'MISS')} "
                  f"{r['window_error_min']:7.1f} min  {r['incident']:16} {r['question']}"
                  f"  -> {r['top']}")
    res = {"seed": args.seed, "days": args.days, "extra_incidents": args.extra_incidents,
           "rename_seed": args.rename_seed, "incidents": len(truth["incidents"]),
           "build_s": round(t1 - t0, 1), "questions_s": round(t2 - t1, 1), **summary(rows)}
    print(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
