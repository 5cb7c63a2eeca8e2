"""The pilot: one question box that routes to the SQL engine, the why-engine or the dashboard.

Public API (``%%pilot``, ``pilot.ask``, ``logpilot pilot`` all call exactly this)::

    from logpilot_kernel.pilot import ask, Conversation
    conv = Conversation()
    ans = ask(workspace, "errors by service in May", state=conv)
    ans = ask(workspace, "and only payment?", state=conv)   # refines the previous question
    ans = ask(workspace, "why?", state=conv)                # the why-engine, same scope
    ans.route.to_dict()   # {intent, engine, reason, confidence, alternatives, ...}

Two tiers, like the engines: with no model configured, the deterministic
:mod:`.router` decides; with one (``model=`` or ``LogPilot.llm``), the LangChain agent of
:mod:`.agent` calls the same engines as tools, and falls back to the router when it
fails. ``dry_run`` shows the route, the scope and the SQL or the evidence plan without
executing anything (and without changing the conversation).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import TYPE_CHECKING, Any, Callable

from ..errors import LogPilotError
from ..isotime import to_utc
from ..lazy import lazy_exports

if TYPE_CHECKING:
    from .answer import PilotAnswer
    from .conversation import Conversation, Resolved, Scope, Turn
    from .router import INTENTS, Route, route

__all__ = ["Conversation", "INTENTS", "PilotAnswer", "Route", "Scope", "ask", "route"]

# The conversation, router and answer modules load on first use: ``logpilot pilot``'s
# parser is registered from ``pilot.cli``, which imports this package, and their
# module-level patterns cost every command (``--help`` included) about 0.08 s (issue 16).
__getattr__, __dir__ = lazy_exports(__name__, {
    "PilotAnswer": ".answer", "Conversation": ".conversation", "Resolved": ".conversation",
    "Scope": ".conversation", "Turn": ".conversation", "INTENTS": ".router", "Route": ".router",
    "route": ".router"})


def _naive(t: Any) -> dt.datetime | None:
    return to_utc(t)


def known_services(ws: Any) -> list[str]:
    """The workspace's ``service_name`` values, busiest first (the router's vocabulary)."""
    cur = ws.cursor()
    try:
        return [r[0] for r in cur.execute(
            "SELECT service_name FROM logs GROUP BY 1 ORDER BY count(*) DESC").fetchall()]
    finally:
        cur.close()


def _vocabulary(ws: Any) -> Any:
    """The workspace's lexicon for the router's parser cue (the SQL engine's cached one);
    None when it cannot be had, and the router reads with the service names alone."""
    from ..query import vocabulary

    try:
        cur = ws.cursor()
        try:
            return vocabulary(ws, cur)
        finally:
            cur.close()
    except Exception:  # noqa: BLE001 - routing must not fail for a lexicon it can do without
        return None


def _hint(question: str, intent: str) -> str:
    return f"%pilot --as {intent} {question}"


def ask(workspace: Any, question: str, *, state: Conversation | None = None,
        now: Any = None, model: Any = None, dry_run: bool = False, intent: str | None = None,
        dashboard: Callable[..., Any] | None = None) -> PilotAnswer:
    """Route ``question`` to an engine and return its answer with the route.

    ``state``: the conversation a follow-up refines (None: a one-off question).
    ``now``: what relative times refer to (naive UTC or ISO; default the real clock).
    ``model``: a LangChain chat model for the agent tier; None uses ``LogPilot.llm``.
    ``intent``: skip routing (one of :data:`INTENTS`), e.g. to pick an offered reading.
    ``dashboard``: ``factory(workspace, period=, service=)`` building the dashboard widget
    (the notebook layer passes it; without one the answer is the dashboard's plan).
    """
    from .conversation import Conversation
    from .router import route

    t0 = time.perf_counter()
    question = (question or "").strip()
    if not question:
        raise LogPilotError("ask a question, e.g. 'errors by service in May', 'why is checkout "
                            "failing?', 'show me the dashboard', 'help'")
    when = _naive(now)
    clock = when or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    conv = state if state is not None else Conversation()
    known = known_services(workspace)
    res = conv.resolve(question, known, clock)
    rt = route(question, known, now=clock, previous=res.previous.intent if res.previous else None,
               followup=res.followup, force=intent, vocabulary=_vocabulary(workspace))
    notes: list[str] = []
    if model is None and not dry_run and not rt.forced:
        from ..query.llm import make_model

        try:
            model = make_model(workspace.settings)
        except LogPilotError as exc:  # a misconfigured model must not cost the answer
            notes.append(f"{exc}; the router answered")
    if model is not None and not dry_run and not rt.forced and not rt.ambiguous:
        from .agent import run_agent

        agent_answer, note = run_agent(workspace, question, rt, res, model=model, now=when,
                                       dashboard=dashboard)
        if agent_answer is not None:
            _finish(conv, agent_answer, res, t0)
            return agent_answer
        notes.append(note or "the model could not answer; the deterministic router answered")
    ans = _deterministic(workspace, question, rt, res, when, clock, model, dry_run, dashboard, known)
    ans.notes[:0] = notes
    if ans.mode in ("answered", "help") and not dry_run:
        _finish(conv, ans, res, t0)
    else:
        ans.context = conv.context()
        ans.elapsed = time.perf_counter() - t0
    return ans


def _finish(conv: Conversation, ans: PilotAnswer, res: Resolved, t0: float) -> None:
    """Record the answered turn (so follow-ups refine it) and stamp context and time."""
    from .conversation import Turn

    sql = getattr(ans.answer, "sql", None) if ans.answer is not None else None
    conv.record(Turn(ans.question, ans.route.intent, ans.route.engine, res.scope,
                     res.base if res.followup else ans.question,
                     sql if isinstance(sql, str) else None, ans.effective_question))
    ans.context = conv.context()
    ans.elapsed = time.perf_counter() - t0


def _deterministic(ws: Any, question: str, rt: Route, res: Resolved, when: dt.datetime | None,
                   clock: dt.datetime, model: Any, dry_run: bool,
                   dashboard: Callable[..., Any] | None, known: list[str]) -> PilotAnswer:
    """The router's answer: ambiguity, coverage, then the chosen engine (or its plan)."""
    from . import engines as E
    from ..query.nl import NotUnderstood
    from .answer import PilotAnswer

    scope = res.scope
    ans = PilotAnswer(question, rt, scope=scope.to_dict(), effective_question=question)
    if res.followup:
        ans.notes.append("follow-up of " + repr(res.previous.question if res.previous else "")
                         + ": " + ("; ".join(res.changes) or "same scope") + " -> "
                         + _scope_line(scope))
    if rt.ambiguous:
        ans.mode = "ambiguous"
        for alt in rt.alternatives:
            alt["hint"] = _hint(question, alt["intent"])
        return ans
    cov = E.coverage(ws)
    if rt.engine == "schema":
        ans.answer = E.run_schema(ws, scope)
        ans.mode = "help" if rt.confidence == 0.0 else "answered"
        if dry_run:
            ans.mode, ans.plan = "dry_run", {"reads": "workspace summary, tables, context keys"}
        return ans
    reason = E.no_data_reason(question, scope, cov, known)
    if reason:
        ans.mode = "no_data"
        ans.notes.append(f"{reason}. {E.holds(cov)}")
        return ans
    if rt.engine == "sql":
        try:
            sql, origin, effective = E.report_sql(ws, question, res.base, scope, res.followup,
                                                  when or clock, model)
        except NotUnderstood as exc:
            ans.mode = "help"
            ans.notes.append(str(exc))
            ans.answer = E.run_schema(ws, scope)
            return ans
        ans.effective_question = effective
        if dry_run:
            ans.mode, ans.plan = "dry_run", {"engine": "sql", "sql": sql, "origin": origin,
                                             "read_only": True}
            return ans
        ans.answer = E.run_report(ws, sql, origin, effective)
        if ans.answer.rows == 0 or _all_zero(ans.answer):
            ans.notes.append("nothing matched. " + E.holds(cov))
        return ans
    if rt.engine == "why":
        args = E.why_arguments(question, scope, res.followup, rt.intent)
        if rt.intent == "trace" and not args.get("entity") and scope.entity:
            args["entity"] = scope.entity
        if dry_run:
            ans.mode, ans.plan = "dry_run", {"engine": "why", **E.why_plan(ws, args, when or clock)}
            return ans
        ans.answer = E.run_why(ws, args, when, model)
        if getattr(ans.answer, "mode", "") == "no_match":
            ans.notes.append(f"{ans.answer.reason}. {E.holds(cov)}")
        return ans
    if rt.engine == "dashboard":
        plan = E.DashboardPlan(E.period_of(scope), list(scope.services))
        if dry_run:
            ans.mode, ans.plan = "dry_run", {"engine": "dashboard", **plan.to_dict()}
            return ans
        ans.answer = E.run_dashboard(ws, scope, dashboard)
        return ans
    raise LogPilotError(f"no engine for intent {rt.intent!r}")  # pragma: no cover


def _scope_line(scope: Scope) -> str:
    d = scope.to_dict()
    parts = [f"services {', '.join(d['services'])}" if d["services"] else "all services"]
    if d["since"] or d["until"]:
        parts.append(f"{d['since'] or '...'} .. {d['until'] or '...'}")
    if d["entity"]:
        parts.append(f"entity {d['entity']}")
    return ", ".join(parts)


def _all_zero(result: Any) -> bool:
    """A one-row count of zero ("how many errors in 2019") is 'nothing matched' too."""
    f = result.frame
    if len(f) != 1:
        return False
    nums = [c for c in f.columns if str(f[c].dtype).startswith(("int", "float", "Int", "Float"))]
    return bool(nums) and all((f[c].fillna(0) == 0).all() for c in nums)
