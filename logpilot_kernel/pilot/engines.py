"""Hand a routed question to its engine, or describe what the engine would do (dry run).

Each engine keeps its own contract; this module only translates the pilot's scope into
the engine's arguments:

- SQL engine: a new question goes through :func:`logpilot_kernel.query.to_sql` (offline
  parser, else the model); a follow-up re-parses the *base* question and overrides the
  parsed intent's services and window, so the SQL is rebuilt by the same builder rather
  than by editing text;
- why-engine: ``why(ws, question, since=, until=, service=, entity=)`` (imported lazily:
  the core must not fail when it is absent);
- dashboard: the widget lives in a layer above the core, so the caller passes a factory
  (the ``pilot`` object does); without one the answer is the dashboard's plan;
- schema/help: the workspace's own summary, tables and JSON keys, and example questions.

Coverage: before running, a window that misses the data, or a service word the workspace
does not hold, is answered with what the workspace *does* hold (sources, time range).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..isotime import to_utc
from ..query import nl
from ..query import nl_grammar as g
from .conversation import YEAR, Scope

#: Words that may precede "service"/"logs" without naming a service.
_NOT_A_SERVICE = frozenset("""
the a an all every each any which what this that my our your per by of for each other some
error errors warning warnings which web http ssh database db access app application
""".split())

#: Symptom words that, read as a report, ask for counts over time ("errors spike").
SYMPTOMS = frozenset("spike spikes spiked spiking surge surges jump jumps burst bursts".split())

WHY_EXAMPLES = ["why is checkout failing?", "what is abnormal in the last 24 hours?",
                "what caused the spike of payment errors?"]
OTHER_EXAMPLES = ["show me the dashboard for payment", "trace order ORD-1234",
                  "what fields does the firewall log have?"]


# ------------------------------------------------------------------ coverage
def coverage(ws: Any) -> dict[str, Any]:
    """What the workspace holds: rows, first/last time, sources and services with ranges."""
    summary = ws.summary()
    cur = ws.cursor()
    try:
        services = [{"service": s, "rows": n} for s, n in cur.execute(
            "SELECT service_name, count(*) FROM logs GROUP BY 1 ORDER BY 2 DESC").fetchall()]
    finally:
        cur.close()
    return {"rows": summary["rows"], "first": summary["first"], "last": summary["last"],
            "sources": summary["sources"], "services": services}


def holds(cov: dict[str, Any]) -> str:
    """One sentence naming the sources and the time range the workspace holds."""
    if not cov["rows"]:
        return ("The workspace holds no rows yet: load logs with `%logpilot ingest PATH` or "
                "`logpilot ingest PATH --workspace W`.")
    srcs = ", ".join(f"{s['source']} ({s['rows']:,} rows, {s['first'][:16]} .. {s['last'][:16]})"
                     for s in cov["sources"])
    svcs = ", ".join(s["service"] for s in cov["services"])
    return (f"The workspace holds {cov['rows']:,} rows from {cov['first'][:19]} to "
            f"{cov['last'][:19]} UTC; sources: {srcs}; services: {svcs}.")


def unknown_services(question: str, known: list[str]) -> list[str]:
    """Words used as a service name ("the billing service", "kafka logs") that none is."""
    low = question.lower()
    words = set(re.findall(r"\b([a-z][\w-]{2,})\s+(?:service|app|logs?)\b", low))
    words |= set(re.findall(r"\b(?:service|app)\s+([a-z][\w-]{2,})\b", low))
    names = {k.lower() for k in known} | set(g.SERVICE_SYNONYMS)
    dims = {w for w in re.findall(r"[a-z]+", g.dim_phrase())}
    out = []
    for w in sorted(words):
        base = w[:-1] if w.endswith("s") else w
        if (w in names or base in names or w in _NOT_A_SERVICE or w in g.FILLER or w in dims
                or any(re.fullmatch(p, w) for p, _ in g.SEVERITY_WORDS)):
            continue
        out.append(w)
    return out


def no_data_reason(question: str, scope: Scope, cov: dict[str, Any], known: list[str]) -> str | None:
    """Why nothing can match (window outside the data, unknown service), else None."""
    if not cov["rows"]:
        return "the workspace is empty"
    missing = unknown_services(question, known)
    if missing and not scope.services:
        return "no service named " + ", ".join(repr(m) for m in missing)
    first, last = to_utc(cov["first"]), to_utc(cov["last"])
    if scope.since is not None and scope.since > last or scope.until is not None and scope.until <= first:
        return (f"no rows between {scope.since:%Y-%m-%d %H:%M} and {scope.until:%Y-%m-%d %H:%M}"
                if scope.since and scope.until else "no rows in that time range")
    return None


# ---------------------------------------------------------------------- SQL
def report_sql(ws: Any, question: str, base: str, scope: Scope, followup: bool,
               now: dt.datetime | None, model: Any) -> tuple[str, str, str]:
    """``(sql, origin, effective question)``; nothing is executed."""
    from ..query import to_sql, vocabulary

    if not followup:
        try:
            sql, origin = to_sql(ws, question, now=now, model=model)
            return sql, origin, question
        except nl.NotUnderstood as exc:
            # "payment errors spike" read as a report: a burst is seen in counts over time.
            if exc.unknown and all(w in SYMPTOMS for w in exc.unknown):
                kept = [w for w in re.findall(r"\S+", question) if w.strip("?!.,").lower()
                        not in SYMPTOMS]
                trend = " ".join(kept) + " per hour"
                sql, origin = to_sql(ws, trend, now=now, model=model)
                return sql, origin, trend
            # "errors in 2024": the pilot read a year the SQL grammar does not; rebuild the
            # question without it and apply the window to the parsed intent.
            stripped = " ".join(YEAR.sub(" ", question).split())
            if stripped == question or scope.since is None:
                raise
            base, followup = stripped, True
    cur = ws.cursor()
    try:
        vocab = vocabulary(ws, cur)
        try:
            parsed = nl.parse(base, vocab, now=now)
        except nl.NotUnderstood:
            parsed = None
    finally:
        cur.close()
    words = []
    if scope.services:
        words.append("for " + " and ".join(scope.services))
    if scope.since and scope.until:
        words.append(f"between {scope.since:%Y-%m-%d %H:%M} and {scope.until:%Y-%m-%d %H:%M}")
    effective = f"{base} ({', '.join(words)})" if words else base
    if parsed is None:  # the base came from the model: let it read the refined wording
        sql, origin = to_sql(ws, effective, now=now, model=model)
        return sql, origin, effective
    intent = parsed.intent
    if scope.services:
        intent.services = list(scope.services)
    if scope.since or scope.until:
        intent.lo, intent.hi = scope.since, scope.until
    return nl.build_sql(intent, vocab), "parser", effective


def run_report(ws: Any, sql: str, origin: str, effective: str) -> Any:
    """Run generated SQL through the read-only guard (the SQL engine's own runner)."""
    from ..query.engine import run_query

    cur = ws.cursor()
    try:
        return run_query(cur, sql, read_only=True, generated=True, origin=origin,
                         question=effective, limit=ws.settings.display_rows * 20)
    finally:
        cur.close()


# ---------------------------------------------------------------------- why
def why_arguments(question: str, scope: Scope, followup: bool, intent: str) -> dict[str, Any]:
    """Keyword arguments for ``why()``: a new question speaks for itself; a follow-up
    passes its inherited scope explicitly (the words "why?" alone carry none)."""
    args: dict[str, Any] = {"question": question}
    if followup:
        args.update(since=scope.since, until=scope.until, service=scope.services or None)
    if scope.entity and (intent == "trace" or followup):
        args["entity"] = scope.entity
    return args


def run_why(ws: Any, args: dict[str, Any], now: dt.datetime | None, model: Any) -> Any:
    """The why-engine's answer (raises a one-line LogPilotError when it is not installed)."""
    try:
        from ..why import why
    except ImportError as exc:
        from ..errors import LogPilotError

        raise LogPilotError(f"the why-engine is not available ({exc}); ask a quantitative "
                            "question or write SQL") from None
    kwargs = dict(args)
    question = kwargs.pop("question")
    return why(ws, question, now=now, model=model, **kwargs)


def why_plan(ws: Any, args: dict[str, Any], now: dt.datetime | None) -> dict[str, Any]:
    """The evidence plan: the scope the why-engine would read, and its steps; nothing runs."""
    plan: dict[str, Any] = {"arguments": {k: (v.isoformat() if isinstance(v, dt.datetime) else v)
                                          for k, v in args.items() if v is not None},
                            "steps": [
        "scope: services, window and entities from the question and the arguments",
        "retrieve templates by meaning (Chroma) and by words (DuckDB)",
        "detect the incident window on the scope's errors per time bucket",
        "contrast every template's rate in the window against the baseline (G-test)",
        "correlate shared traces and rank root-cause candidates",
        "number the evidence [E1..] and narrate it (numbers checked against the evidence)"]}
    if args.get("entity"):
        plan["steps"].insert(1, f"follow {args['entity']} across trace_id, host and context values")
    try:
        from ..why.scope import parse_question
    except ImportError:
        plan["engine_scope"] = None
        plan["note"] = "the why-engine is not installed here"
        return plan
    cur = ws.cursor()
    try:
        known = [r[0] for r in cur.execute(
            "SELECT service_name FROM logs GROUP BY 1 ORDER BY count(*) DESC").fetchall()]
        first, last = cur.execute("SELECT min(timestamp), max(timestamp) FROM logs").fetchone()
    finally:
        cur.close()
    when = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    rng = (first, last) if first is not None else None  # as the engine reads it
    plan["engine_scope"] = parse_question(args.get("question", ""), known, when, rng).to_dict()
    return plan


# ---------------------------------------------------------------- dashboard
def period_of(scope: Scope) -> Any:
    """The dashboard's ``period`` for a scope: YYYY, YYYY-MM, YYYY-MM-DD, (lo, hi) or all."""
    lo, hi = scope.since, scope.until
    if lo is None or hi is None:
        return "all"
    midnight = lo.time() == dt.time() and hi.time() == dt.time()
    if midnight and lo.month == 1 and lo.day == 1 and hi == lo.replace(year=lo.year + 1):
        return f"{lo:%Y}"
    if midnight and lo.day == 1 and hi == (lo + dt.timedelta(days=32)).replace(day=1):
        return f"{lo:%Y-%m}"
    if midnight and hi - lo == dt.timedelta(days=1):
        return f"{lo:%Y-%m-%d}"
    return (lo, hi)


@dataclass
class DashboardPlan:
    """What the dashboard would show; the answer when no widget factory is at hand (CLI)."""

    period: Any
    service: list[str] = field(default_factory=list)

    @property
    def command(self) -> str:
        p = self.period if isinstance(self.period, str) else \
            f"{self.period[0]:%Y-%m-%dT%H:%M}..{self.period[1]:%Y-%m-%dT%H:%M}"
        svc = "".join(f" --service {s}" for s in self.service)
        return f"%logpilot dashboard --period {p}{svc}"

    @property
    def text(self) -> str:
        return f"The dashboard opens in a notebook: {self.command}"

    def to_dict(self) -> dict[str, Any]:
        p = self.period if isinstance(self.period, str) else [t.isoformat() for t in self.period]
        return {"kind": "dashboard", "period": p, "service": self.service, "command": self.command}

    def _repr_html_(self) -> str:
        import html

        return (f"<p>The dashboard opens in a notebook: <code>{html.escape(self.command)}</code></p>")


def run_dashboard(ws: Any, scope: Scope, factory: Callable[..., Any] | None) -> Any:
    """The dashboard widget from ``factory`` (the notebook layer's), else its plan."""
    plan = DashboardPlan(period_of(scope), list(scope.services))
    if factory is None:
        return plan
    return factory(ws, period=plan.period, service=plan.service or None)


# ------------------------------------------------------------------- schema
@dataclass
class SchemaAnswer:
    """What the workspace holds and what can be asked of it (the help/schema route)."""

    coverage: dict[str, Any]
    tables: dict[str, list[tuple[str, str]]]
    keys: dict[str, dict[str, float]]
    examples: list[str]
    focus: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return holds(self.coverage)

    def to_dict(self) -> dict[str, Any]:
        return {"kind": "schema", "holds": self.text, "coverage": self.coverage,
                "tables": {t: [c for c, _ in cols] for t, cols in self.tables.items()},
                "context_keys": {s: list(k) for s, k in self.keys.items()},
                "examples": self.examples}

    def _repr_html_(self) -> str:
        import html

        e = html.escape
        keys = "".join(f"<li><b>{e(s)}</b>: {e(', '.join(list(k)[:15]))}</li>"
                       for s, k in self.keys.items())
        logs = ", ".join(c for c, _ in self.tables.get("logs", []))
        ex = "".join(f"<li><code>{e(q)}</code></li>" for q in self.examples)
        return (f"<p>{e(self.text)}</p><p><b>logs</b>({e(logs)}); other tables and views: "
                f"{e(', '.join(t for t in self.tables if t != 'logs'))}</p>"
                f"<p>JSON keys in <code>context</code> (read with <code>context-&gt;&gt;'key'"
                f"</code>):</p><ul>{keys}</ul><p>Questions to try:</p><ul>{ex}</ul>")


def run_schema(ws: Any, scope: Scope) -> SchemaAnswer:
    """The workspace's summary, tables, JSON keys per service (scoped when named), examples."""
    from ..query.schema_info import context_keys_by_source, describe_tables

    cov = coverage(ws)
    cur = ws.cursor()
    try:
        tables = describe_tables(cur)
        keys = context_keys_by_source(cur, by="service_name") if cov["rows"] else {}
    finally:
        cur.close()
    if scope.services:
        keys = {s: k for s, k in keys.items() if s in scope.services}
    examples = g.SUPPORTED_FORMS[:6] + WHY_EXAMPLES + OTHER_EXAMPLES
    return SchemaAnswer(cov, tables, keys, examples, list(scope.services))
