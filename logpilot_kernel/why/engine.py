"""``why()``: scope -> window -> contrast -> causality -> evidence -> narrative.

Every number in a :class:`WhyAnswer` is computed here from DuckDB aggregates; the
narrative (deterministic, or a model's when it passes the evidence check) only words them.
A window given as a short range (``since``/``until`` spanning at most
``GIVEN_WINDOW_MAX``) is taken as the incident window itself - that is what the
dashboard's "Explain this spike" passes; a longer range is a search scope in which the
window is detected.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import numpy as np

from . import abnormal as ab
from . import narrative as nar
from ..errors import LogPilotError
from ..isotime import to_utc
from .answer import WhyAnswer
from .causality import candidates_from, rank, trace_links
from .contrast import lead_rows, significant_terms, template_changes
from .entity import follow
from ..sqltext import literal, literal_list, placeholders
from .scope import Scope, parse_question, retrieve_templates
from .window import Window, bucket_seconds_for, detect, refine, series



class WhyError(LogPilotError):
    """A window choice the answer cannot honour (no such rank, no workspace)."""


GIVEN_WINDOW_MAX = dt.timedelta(minutes=90)
#: A question's "around 14:30": the window must meet 14:30 +- FOCUS_AROUND; the search
#: runs AROUND_SEARCH either side. Other time phrases are searched SEARCH_PAD wider.
FOCUS_AROUND = dt.timedelta(minutes=20)
AROUND_SEARCH = dt.timedelta(hours=3)
SEARCH_PAD = dt.timedelta(hours=2)
#: A time phrase at least this long is checked for a second burst of RIVAL_LLR_SHARE of
#: the strength of the one explained (a weekday can hold two incidents).
RIVAL_SPAN = dt.timedelta(hours=12)
RIVAL_LLR_SHARE = 0.3
#: A detected window with fewer signal rows than this is no incident (stray rows).
MIN_WINDOW_ROWS = 5
#: At most this many significant windows are listed in ``answer.windows``.
MAX_WINDOWS = 6
#: How long before the detected window the contrast starts (the cause leads the symptom).
LEAD = dt.timedelta(minutes=5)
#: How many more leads the contrast may reach back when a change starts at the lead's edge.
MAX_LEAD_STEPS = 2
BASELINE_MIN = dt.timedelta(hours=3)
SEVERE = "severity IN ('ERROR', 'FATAL')"
US = dt.timedelta(microseconds=1)


def _naive(t: Any) -> dt.datetime | None:
    """Accept datetimes, dates, ISO strings or None; return naive UTC."""
    return to_utc(t)


def _svc_where(services: list[str]) -> str:
    return f"service_name IN ({literal_list(services)})" if services else "TRUE"


def why(workspace: Any, question: str = "", *, since: Any = None, until: Any = None,
        service: str | list[str] | None = None, entity: str | None = None,
        now: Any = None, model: Any = None, window: int = 1) -> WhyAnswer:
    """Answer a why-question over ``workspace`` from evidence computed in DuckDB.

    ``model``: a LangChain chat model for the narrative; None uses ``LogPilot.llm`` when
    set (no model configured = deterministic narrative). ``window``: which of the scope's
    significant windows to explain, by rank (1 = the strongest; ``answer.windows`` lists
    them all). Never raises for bad data or an unreachable model: the answer says what
    was searched and what went wrong.
    """
    t0 = time.perf_counter()
    cur = workspace.cursor()
    try:
        ans = _answer(workspace, cur, question or "", _naive(since), _naive(until), service,
                      entity, _naive(now))
    finally:
        cur.close()
    ans._workspace, ans._model = workspace, model
    ans.timings["evidence_s"] = round(time.perf_counter() - t0, 3)
    _narrate(workspace, ans, model)
    ans.timings["total_s"] = round(time.perf_counter() - t0, 3)
    if window != 1:
        return explain_window(ans, window)
    return ans


def explain_window(ans: WhyAnswer, rank: int) -> WhyAnswer:
    """The same question explained on another of ``ans.windows`` (``rank`` 1-based).

    Why a new answer and not a mutation: the first answer stays valid (a notebook may hold
    both), and every number of the new one (candidates, terms, evidence, narrative) is
    recomputed for that window from DuckDB, not carried over. Needs the workspace the
    first answer came from to be open.
    """
    if ans.mode == "no_match" or not ans.windows:
        raise WhyError("this answer has no windows to choose from")
    if not 1 <= rank <= len(ans.windows):
        raise WhyError(f"window {rank} does not exist: this answer has {len(ans.windows)} "
                       f"window(s), ranked 1..{len(ans.windows)}")
    if rank == ans.selected:
        return ans
    cached = ans._alternatives.get(rank)
    if cached is not None:
        return cached
    ctx = ans._context
    if ans._workspace is None or ctx is None:
        raise WhyError("this answer was not computed here (no workspace to re-explain with)")
    t0 = time.perf_counter()
    new = WhyAnswer(question=ans.question, scope=ans.scope, mode=ans.mode,
                    windows=list(ans.windows), series=ans.series, entity=ans.entity,
                    warnings=list(ans.warnings), notes=list(ans.notes),
                    searched=dict(ans.searched), selected=rank)
    new._workspace, new._model, new._context = ans._workspace, ans._model, ctx
    new._alternatives = ans._alternatives
    ans._alternatives.setdefault(ans.selected, ans)
    cur = ans._workspace.cursor()
    try:
        if ans.mode == "abnormal":
            _explain(cur, new, ans.windows[rank - 1], ctx["lo"], ctx["hi"], None, None,
                     adjust_onset=False)
            new.mode = "why"
        else:
            _explain(cur, new, ans.windows[rank - 1], ctx["lo"], ctx["hi"], ctx["focus"],
                     ctx["trail"])
    finally:
        cur.close()
    new.timings["evidence_s"] = round(time.perf_counter() - t0, 3)
    _narrate(ans._workspace, new, ans._model)
    new.timings["total_s"] = round(time.perf_counter() - t0, 3)
    ans._alternatives[rank] = new
    return new


# --------------------------------------------------------------------------- core
def _answer(ws: Any, cur: Any, question: str, since: dt.datetime | None,
            until: dt.datetime | None, service: Any, entity: str | None,
            now: dt.datetime | None) -> WhyAnswer:
    dmin, dmax, total = cur.execute("SELECT min(timestamp), max(timestamp), count(*) FROM logs").fetchone()
    known = [r[0] for r in cur.execute(
        "SELECT service_name FROM logs GROUP BY 1 ORDER BY count(*) DESC").fetchall()]
    scope = parse_question(question, known, now, (dmin, dmax) if total else None)
    ans = WhyAnswer(question=question, scope=scope)
    ans._context = {"dmin": dmin, "dmax": dmax}
    if not total:
        ans.no_match("the workspace holds no rows", [])
        return ans
    if service:
        wanted = [service] if isinstance(service, str) else list(service)
        unknown = [s for s in wanted if s not in known]
        if unknown:
            ans.no_match(f"no service named {', '.join(map(repr, unknown))}",
                         _suggest(cur, dmin, dmax + US, [], known))
            return ans
        scope.services = list(dict.fromkeys(wanted + scope.services))
    if entity:
        scope.entities = [entity] + [e for e in scope.entities if e != entity]
    if since is not None or until is not None:
        scope.time = None  # the analyst's own window wins over the question's words
    scope.since = since or scope.since
    scope.until = until or scope.until
    lo = max(scope.since or dmin, dmin)
    hi = min(scope.until or dmax + US, dmax + US)
    focus = _focus(scope)
    if focus is not None:
        lo, hi = max(dmin, focus[2]), min(dmax + US, focus[3])
        if focus[1] <= dmin or focus[0] > dmax:
            lo = hi
    if lo >= hi and scope.time is not None:
        ans.no_match(f"no rows {scope.time.label} (read from {scope.time.text!r}); data covers "
                     f"{dmin:%Y-%m-%d %H:%M} .. {dmax:%Y-%m-%d %H:%M}",
                     _suggest(cur, dmin, dmax + US, scope.services, known))
        return ans
    if lo >= hi:
        ans.no_match(f"no rows between {scope.since} and {scope.until}; data covers "
                     f"{dmin:%Y-%m-%d %H:%M} .. {dmax:%Y-%m-%d %H:%M}",
                     _suggest(cur, dmin, dmax + US, scope.services, known))
        return ans

    # ---- entities: the trail anchors the window
    trail = None
    if scope.entities:
        for e in scope.entities:
            trail = follow(cur, e, lo if scope.since else None, hi if scope.until else None)
            if trail.direct:
                break
        if trail is None or not trail.direct:
            ans.no_match(f"no rows mention {', '.join(map(repr, scope.entities))} (searched "
                         "trace_id, host, every context value and the raw message)",
                         _suggest(cur, lo, hi, scope.services, known))
            return ans
        ans.entity = trail
        if not scope.since and trail.failure_at:
            lo = max(dmin, trail.failure_at - dt.timedelta(hours=6))
        if not scope.until and trail.failure_at:
            hi = min(dmax + US, trail.failure_at + dt.timedelta(hours=6))
        if not scope.services:
            scope.services = [s for s in trail.services if s in known]

    # ---- retrieval (hybrid), and services implied by the retrieved templates
    if scope.keywords or scope.numbers:
        scope.templates = retrieve_templates(ws, cur, scope)
    signal_services = list(scope.services)
    if not signal_services and scope.templates:
        signal_services = list(dict.fromkeys(t["service"] for t in scope.templates[:5] if t["service"]))
    in_scope = cur.execute(
        f"SELECT count(*) FROM logs WHERE timestamp >= ? AND timestamp < ? AND "
        f"{_svc_where(scope.services)}", [lo, hi]).fetchone()[0]
    ans.searched = {"services": scope.services or "all", "since": lo.isoformat(),
                    "until": hi.isoformat(), "keywords": scope.keywords,
                    "entities": scope.entities, "templates_found": len(scope.templates),
                    "rows_in_scope": in_scope}
    if scope.time is not None:
        ans.searched["time"] = f"{scope.time.label} (read from {scope.time.text.strip()!r})"
    if not in_scope:
        ans.no_match("no rows in that scope", _suggest(cur, dmin, dmax + US, [], known))
        return ans
    # a status the question names ("the 504s") is a signal of its own, found in any
    # service's rows, even when its other words ("the load balancer") match no template
    if (scope.keywords and not scope.templates and not scope.services and not scope.entities
            and not scope.abnormal and not scope.numbers):
        ans.no_match("no template matches the words " + ", ".join(map(repr, scope.keywords))
                     + " (semantic search in Chroma and text search in DuckDB)",
                     _suggest(cur, lo, hi, [], known))
        return ans

    if scope.abnormal and not scope.entities and not scope.keywords:
        _abnormal(cur, ans, lo, hi, scope, focus[:2] if focus else None)
        return ans

    # ---- window
    window, sig = _find_window(cur, ans, scope, lo, hi, signal_services, trail,
                               focus[:2] if focus else None)
    if window is None:
        ans.warnings.append("no significant change in the error rate of the scope; showing "
                            "what is abnormal instead")
        _abnormal(cur, ans, lo, hi, scope, focus[:2] if focus else None)
        return ans
    ans.windows = _other_windows(cur, window, ans.series, sig, trail,
                                 focus[:2] if focus else None)
    ans._context.update({"lo": lo, "hi": hi, "focus": focus, "trail": trail,
                         "symptoms": signal_services})
    _explain(cur, ans, window, lo, hi, focus, trail)
    return ans


def _other_windows(cur: Any, best: Window, s: Any, where: str, trail: Any,
                   focus: tuple[dt.datetime, dt.datetime] | None) -> list[Window]:
    """Every significant window of the scope's signal, the explained one first, ranked by
    LLR: a service with four bursts shows four, and the analyst may explain any of them.

    An entity's trail anchors one window (the other bursts are not that entity's), and
    an analyst's own window is the only one asked about.
    """
    if trail is not None or best.how == "given" or s is None:
        return [best]
    bucket = s.bucket_seconds
    found = detect(s, k=MAX_WINDOWS + 1, max_len=max(2, int(6 * 3600 / bucket)), overlap=focus)
    out = [best]
    for w in found:
        if w.inside < MIN_WINDOW_ROWS or any(w.start < o.end and w.end > o.start for o in out):
            continue
        out.append(refine(cur, w, where))
        if len(out) >= MAX_WINDOWS:
            break
    # masking changes the later statistics a little: rank the others by their own LLR
    return [best] + sorted(out[1:], key=lambda w: -w.llr)


def _explain(cur: Any, ans: WhyAnswer, window: Window, lo: dt.datetime, hi: dt.datetime,
             focus: Any, trail: Any, adjust_onset: bool = True) -> None:
    """Contrast, causality, terms and evidence for one window of the scope (fills ``ans``)."""
    ans.window = window
    # the cause precedes the symptom the window was found on (a disk fills a minute before
    # the first HTTP 500, a feed fails minutes before the carts do): contrast from a lead
    lead = max(dt.timedelta(seconds=window.bucket_seconds), LEAD)
    clo = max(lo, window.start - lead)
    base_lo, base_hi = baseline(window, lo, hi)
    dmin, dmax = ans._context["dmin"], ans._context["dmax"]
    if focus is not None:  # the search was narrowed to the question's time, not the baseline
        base_lo, base_hi = baseline(window, dmin, dmax + US)
    if window.how == "given":  # the analyst's window: the baseline may leave the scope
        base_lo, base_hi = baseline(window, dmin, dmax + US)
        clo = window.start
    mark = window.start if window.how != "given" else None
    changes = template_changes(cur, clo, window.end, base_lo, base_hi, mark=mark)
    pool = candidates_from(changes, onset=mark)
    for _ in range(MAX_LEAD_STEPS):  # a chain: the lead's first change starts at its edge
        if mark is None or not _starts_at_edge(pool, clo, lead) or clo - lead < max(lo, base_lo):
            break
        clo -= lead
        changes = template_changes(cur, clo, window.end, base_lo, base_hi, mark=mark)
        pool = candidates_from(changes, onset=mark)
    lead_rows(cur, clo, pool)
    links = trace_links(cur, clo, window.end, [c.template_id for c in pool])
    cands = rank(pool, links, clo, window.end, trail.templates if trail else None,
                 symptoms=ans._context.get("symptoms"))
    ans.candidates = cands[:10]
    ans.changes = changes
    if cands and window.how != "given" and adjust_onset:
        top = cands[0].change
        # a cause with no rows before (one alarm line) has no burst to find: its first row
        start = top.first_in_window if top.before == 0 and top.during < MIN_WINDOW_ROWS \
            and top.first_in_window and clo <= top.first_in_window < window.start else \
            _cause_onset(cur, top.template_id, window, clo, base_lo, base_hi)
        if start is not None:
            ans.window = Window(start, window.end, window.llr, window.inside, window.expected,
                                window.bucket_seconds, window.how)
    if ans.windows:
        ans.windows[ans.selected - 1] = ans.window
    top_ids = [c.change.template_id for c in cands[:5]]
    ans.terms = significant_terms(cur, clo, window.end, base_lo, base_hi, top_ids)
    ans.samples = _samples(cur, clo, window.end, top_ids[:3])
    ans.timeline = _timeline(cur, lo, hi, top_ids[:6], window)
    ans.build_evidence()


def _starts_at_edge(pool: list[Any], clo: dt.datetime, lead: dt.timedelta) -> bool:
    """Whether a change with no rows before the window begins within a tenth of the lead
    from its start: the symptom may be the second link of a chain (a broker alarm, then
    publishers failing, then, minutes later, a consumer's timeouts), whose first link
    lies before the lead."""
    edge = clo + lead / 10
    return any(c.before == 0 and c.first_in_window is not None and c.first_in_window < edge
               for c in pool)


def _warn_rivals(cur: Any, ans: WhyAnswer, s: Any, best: Window, where: str,
                 focus: tuple[dt.datetime, dt.datetime], bucket: int) -> None:
    """A long time phrase ("on Thursday") may hold two incidents: name the other ones of
    comparable strength instead of silently explaining only the strongest."""
    others = detect(s, k=3, overlap=focus, max_len=max(2, int(6 * 3600 / bucket)))
    for o in others:
        if o.start == best.start or o.llr < RIVAL_LLR_SHARE * best.llr:
            continue
        o = refine(cur, o, where)
        ans.warnings.append(
            f"another burst in that time: {o.start:%Y-%m-%d %H:%M}..{o.end:%H:%M} UTC "
            f"(LLR {o.llr:.0f} against {best.llr:.0f} for the one explained); ask about it "
            f"with its time, e.g. 'around {o.start + (o.end - o.start) / 2:%H:%M} UTC'")


def _cause_onset(cur: Any, template_id: str, window: Window, clo: dt.datetime,
                 base_lo: dt.datetime, base_hi: dt.datetime) -> dt.datetime | None:
    """When the top cause's own burst began, if in the lead before the detected window.

    The window is found on the symptom, which lags its cause (a disk fills a minute before
    the first HTTP 500); the cause's first row in the lead is not enough, since a template
    with a background rate (firewall blocks) has ordinary rows there too. A change-point
    on the cause's own counts says where its burst starts.
    """
    where = f"template_id = {literal(template_id)}"
    s = series(cur, where, base_lo, base_hi, "cause", window.bucket_seconds)
    found = detect(s, k=1, overlap=(window.start, window.end),
                   max_len=max(2, int(6 * 3600 / window.bucket_seconds)))
    if not found:
        return None
    w = refine(cur, found[0], where)
    return w.start if clo <= w.start < window.start else None


def baseline(w: Window, lo: dt.datetime, hi: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """The window's neighbourhood: six window-lengths (at least three hours) each side.

    A local baseline, as in log-rate analysis: against a whole multi-day scope every
    ordinary template looks "up" in a midday window because nights are quiet, and those
    diurnal artefacts would crowd the candidates and their traces.
    """
    pad = max(6 * (w.end - w.start), BASELINE_MIN)
    return max(lo, w.start - pad), min(hi, w.end + pad)


def _focus(scope: Scope) -> tuple[dt.datetime, dt.datetime, dt.datetime, dt.datetime] | None:
    """(focus_lo, focus_hi, search_lo, search_hi) for a time phrase of the question.

    The detected window must meet the focus (the phrase's own span, or ``FOCUS_AROUND``
    either side of an "around 14:30"); the search runs ``SEARCH_PAD`` wider so a burst
    that began before the phrase's span (or outlasts it) is found whole, with quiet
    buckets on both sides for the change-point model to compare against.
    """
    span = scope.time
    if span is None or span.start is None or span.end is None:
        return None
    if span.around is not None:
        return (span.around - FOCUS_AROUND, span.around + FOCUS_AROUND,
                span.around - AROUND_SEARCH, span.around + AROUND_SEARCH)
    return span.start, span.end, span.start - SEARCH_PAD, span.end + SEARCH_PAD


def _find_window(cur: Any, ans: WhyAnswer, scope: Scope, lo: dt.datetime, hi: dt.datetime,
                 services: list[str], trail: Any,
                 focus: tuple[dt.datetime, dt.datetime] | None = None) -> tuple[Window | None, str]:
    """Detect the window on the scope's errors, widening the signal when it is flat."""
    if scope.since and scope.until and (scope.until - scope.since) <= GIVEN_WINDOW_MAX \
            and not trail and scope.time is None:
        where = f"{SEVERE} AND {_svc_where(services)}"
        s = series(cur, where, lo - (hi - lo) * 6, hi + (hi - lo) * 6, "errors")
        ans.series = s
        n = cur.execute(f"SELECT count(*) FROM logs WHERE timestamp >= ? AND timestamp < ? AND {where}",
                        [lo, hi]).fetchone()[0]
        i0 = int((lo - s.start).total_seconds() // s.bucket_seconds)
        i1 = int((hi - s.start).total_seconds() // s.bucket_seconds)
        outside = np.concatenate([s.counts[:i0], s.counts[i1:]])
        rate = float(outside.mean()) if outside.size else 0.0
        return Window(lo, hi, 0.0, n, rate * max(1, i1 - i0), s.bucket_seconds, how="given"), where
    attempts = []
    quoted = [t["template_id"] for t in scope.templates if t["score"] >= 1.0]
    if quoted:  # text the analyst quoted names the symptom exactly
        attempts.append((f"template_id IN ({literal_list(quoted[:8])})",
                         "rows of the quoted text's templates"))
    if services and scope.numbers:  # "the gateway 504s": rows of that service naming 504
        attempts.append((f"{_svc_where(services)} AND {_naming(scope.numbers)}",
                         f"rows of {', '.join(services)} naming {', '.join(scope.numbers)}"))
        # "the checkout 504s" when checkout never writes 504: the proxy's 504s for checkout
        named = " OR ".join(f"message ILIKE {literal('%' + s + '%')}" for s in services)
        attempts.append((f"severity IN ('WARN', 'ERROR', 'FATAL') AND {_naming(scope.numbers)} "
                         f"AND ({named})", f"warnings and errors naming {', '.join(scope.numbers)} "
                         f"and {', '.join(services)}"))
    elif scope.numbers:  # "so many 409 responses": warnings and errors naming 409, anywhere
        attempts.append((f"severity IN ('WARN', 'ERROR', 'FATAL') AND {_naming(scope.numbers)}",
                         f"warnings and errors naming {', '.join(scope.numbers)}"))
    if services:
        attempts.append((f"{SEVERE} AND {_svc_where(services)}",
                         f"errors of {', '.join(services)}"))
    strong = [t["template_id"] for t in scope.templates if t["how"] != "semantic" or t["score"] >= 0.5]
    if strong and not scope.services:  # no service named: the question's words lead
        attempts.append((f"template_id IN ({literal_list(strong[:8])}) AND "
                         f"severity IN ('WARN', 'ERROR', 'FATAL')",
                         "warnings and errors of the templates the question's words name"))
    attempts.append((SEVERE, "errors of all services"))
    if scope.templates:
        ids = literal_list(t["template_id"] for t in scope.templates[:8])
        attempts.append((f"template_id IN ({ids}) AND severity IN ('WARN', 'ERROR', 'FATAL')",
                         "warnings and errors of the retrieved templates"))
    attempts.append(("severity IN ('WARN', 'ERROR', 'FATAL')", "warnings and errors of all services"))
    bucket = bucket_seconds_for(lo, hi)
    rejected: list[Window] = []  # bursts outside the question's time, on any signal
    for where, label in attempts:
        s = series(cur, where, lo, hi, label, bucket)
        found = detect(s, k=1, containing=trail.failure_at if trail else None,
                       max_len=max(2, int((3 if trail else 6) * 3600 / bucket)), overlap=focus,
                       rejected=rejected)
        if found and found[0].inside < MIN_WINDOW_ROWS and not trail:
            found = []  # two stray rows are no incident: try the next signal
        if found:
            ans.series = s
            w = refine(cur, found[0], where)
            if label != attempts[0][1]:
                ans.notes.append(f"window found on {label} (the first signal was flat)")
            if focus is not None and focus[1] - focus[0] >= RIVAL_SPAN:
                _warn_rivals(cur, ans, s, found[0], where, focus, bucket)
            return w, where
    ans.series = series(cur, attempts[-1][0], lo, hi, attempts[-1][1], bucket)
    return None, ""


def _naming(numbers: list[str]) -> str:
    """Rows whose message or any top-level context value is one of ``numbers`` (a status
    code lives in ``context`` for access logs and in the text for application logs)."""
    nums = sorted({n for n in numbers if n.isdigit()})
    ctx = " OR ".join(f"list_contains(json_extract_string(context, '$.*'), '{n}')" for n in nums)
    like = " OR ".join(f"CAST(context AS VARCHAR) LIKE '%{n}%'" for n in nums)
    return (f"((({like}) AND ({ctx})) OR regexp_matches(message, "
            f"'(^|[^0-9.])({'|'.join(nums)})([^0-9.]|$)'))")


def _abnormal(cur: Any, ans: WhyAnswer, lo: dt.datetime, hi: dt.datetime, scope: Scope,
              focus: tuple[dt.datetime, dt.datetime] | None = None) -> None:
    """The no-symptom path: rank templates and error bursts over the whole scope (bursts
    that meet ``focus``, the question's own time, when it names one)."""
    where = _svc_where(scope.services)
    bucket = bucket_seconds_for(lo, hi)
    s = series(cur, f"{SEVERE} AND {where}", lo, hi, "errors", bucket)
    ans.series = s
    ans.selected = 0  # no window explained yet: pick(rank) explains one
    ans._context.update({"lo": lo, "hi": hi, "focus": None, "trail": None})
    ans.windows = [refine(cur, w, f"{SEVERE} AND {where}")
                   for w in detect(s, k=5, max_len=max(2, int(6 * 3600 / bucket)), overlap=focus)]
    if ans.windows:
        ans.window = ans.windows[0]
    scan_bucket = bucket_seconds_for(lo, hi, max_buckets=200)
    ranked = ab.scan(cur, lo, hi, where, bucket_seconds=scan_bucket, limit=None)
    # each detected window's own root cause (the full contrast + causality ranking) leads
    leaders = []
    for w in ans.windows:
        clo = max(lo, w.start - dt.timedelta(seconds=w.bucket_seconds))
        pool = candidates_from(template_changes(cur, clo, w.end, *baseline(w, lo, hi), where))
        cands = rank(pool, trace_links(cur, clo, w.end, [c.template_id for c in pool]), clo, w.end)
        if cands:
            leaders.append(cands[0].change.template_id)
    ans.abnormal = ab.lead_with(ranked, leaders)[:25]
    ans.mode = "abnormal"
    top = [a.template_id for a in ans.abnormal[:6]]
    ans.samples = _samples(cur, lo, hi, top[:3])
    ans.timeline = _timeline(cur, lo, hi, top, ans.window)
    ans.build_evidence()


def _samples(cur: Any, lo: dt.datetime, hi: dt.datetime, ids: list[str], n: int = 3) -> dict[str, list]:
    """A few raw lines per template with provenance (first occurrences in the window)."""
    if not ids:
        return {}
    rows = cur.execute(
        f"SELECT template_id, timestamp, service_name, severity, message, trace_id, origin, "
        f"origin_offset FROM (SELECT *, row_number() OVER (PARTITION BY template_id "
        f"ORDER BY timestamp) AS k FROM logs WHERE timestamp >= ? AND timestamp < ? AND "
        f"template_id IN ({placeholders(len(ids))})) WHERE k <= {int(n)} ORDER BY timestamp",
        [lo, hi, *ids]).fetchall()
    out: dict[str, list] = {}
    for tid, ts, svc, sev, msg, trace, origin, off in rows:
        out.setdefault(tid, []).append({"timestamp": ts.isoformat(), "service": svc,
                                        "severity": sev, "message": msg[:400],
                                        "trace_id": trace, "origin": origin,
                                        "origin_offset": off})
    return out


def _timeline(cur: Any, lo: dt.datetime, hi: dt.datetime, ids: list[str],
              window: Window | None) -> dict[str, Any]:
    """Per-bucket counts of the top templates around the window (for the timeline chart)."""
    if not ids:
        return {}
    if window is not None:
        pad = max(window.end - window.start, dt.timedelta(minutes=30))
        lo, hi = max(lo, window.start - pad), min(hi, window.end + pad)
    bucket = bucket_seconds_for(lo, hi, max_buckets=240)
    rows = cur.execute(
        f"SELECT template_id, time_bucket(INTERVAL '{bucket} seconds', timestamp, ?::TIMESTAMP) "
        f"AS b, count(*) FROM logs WHERE timestamp >= ? AND timestamp < ? AND template_id IN "
        f"({placeholders(len(ids))}) GROUP BY 1, 2 ORDER BY 2", [lo, lo, hi, *ids]).fetchall()
    out: dict[str, Any] = {"bucket_seconds": bucket, "series": {}}
    for tid, b, n in rows:
        out["series"].setdefault(tid, []).append((b.isoformat(), n))
    return out


def _suggest(cur: Any, lo: dt.datetime, hi: dt.datetime, services: list[str],
             known: list[str]) -> list[dict[str, Any]]:
    """Scopes that do hold data: services with errors, and their busiest error hour."""
    rows = cur.execute(
        f"SELECT service_name, count(*) FILTER (WHERE {SEVERE}) AS errors, count(*) AS rows_, "
        f"min(timestamp), max(timestamp) FROM logs WHERE timestamp >= ? AND timestamp < ? "
        f"GROUP BY 1 ORDER BY errors DESC, rows_ DESC LIMIT 6", [lo, hi]).fetchall()
    if not rows:
        rows = cur.execute(
            f"SELECT service_name, count(*) FILTER (WHERE {SEVERE}), count(*), min(timestamp), "
            f"max(timestamp) FROM logs GROUP BY 1 ORDER BY 2 DESC LIMIT 6").fetchall()
    out = []
    for svc, errors, n, first, last in rows:
        peak = cur.execute(
            f"SELECT date_trunc('hour', timestamp) AS h, count(*) FROM logs WHERE service_name = ? "
            f"AND {SEVERE} GROUP BY 1 ORDER BY 2 DESC LIMIT 1", [svc]).fetchone()
        out.append({"service": svc, "errors": errors, "rows": n, "first": first.isoformat(),
                    "last": last.isoformat(),
                    "busiest_error_hour": peak[0].isoformat() if peak else None,
                    "try": f"--service {svc}" + (f" --since {peak[0]:%Y-%m-%dT%H:%M} --until "
                                                 f"{peak[0] + dt.timedelta(hours=1):%Y-%m-%dT%H:%M}"
                                                 if peak else "")})
    return out


def _narrate(ws: Any, ans: WhyAnswer, model: Any) -> None:
    """Deterministic narrative always; a model's only when configured and it passes."""
    ans.narrative = ans.deterministic_narrative()
    ans.narrative_source = "deterministic"
    if ans.mode == "no_match":
        return
    if model is None:
        try:
            from ..query.llm import make_model

            model = make_model(ws.settings)
        except Exception as exc:
            ans.warnings.append(f"model not usable ({str(exc).splitlines()[0][:160]}); "
                                "deterministic narrative shown")
            return
    if model is None:
        return
    text, note = nar.model_narrative(model, ans.question, ans.evidence,
                                     ans.window.to_dict() if ans.window else None)
    if text is None:
        ans.warnings.append(note or "model narrative rejected")
        return
    ans.model_text = text
    ans.narrative = text
    ans.narrative_source = "model"
