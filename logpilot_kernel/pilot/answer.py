"""``PilotAnswer``: the chosen engine's answer, plus the route that chose it.

Why wrap instead of returning the engine's object alone: the analyst must see which
engine answered and why (and what else it could have been), a dry run must show the
plan in the same place an answer would be, and an ambiguous question must offer its
two readings. The engine's own object stays intact in :attr:`PilotAnswer.answer`
(a ``QueryResult``, a ``WhyAnswer``, the dashboard widget, ...), and attribute access
falls through to it, so ``pilot.ask("errors by service").frame`` still works.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from typing import Any

from ..display import show_figure
from .router import ENGINE_LABEL, Route

MODES = ("answered", "dry_run", "ambiguous", "no_data", "help")


@dataclass
class PilotAnswer:
    """A routed answer; ``to_dict()`` for JSON, rich display in a notebook."""

    question: str
    route: Route
    mode: str = "answered"
    answer: Any = None
    effective_question: str = ""
    scope: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    narrative: str | None = None
    context: dict[str, Any] = field(default_factory=dict)
    elapsed: float = 0.0

    def __getattr__(self, name: str) -> Any:
        # Only called for names the dataclass lacks: fall through to the engine's answer.
        if name.startswith("_") or name in ("answer",):
            raise AttributeError(name)
        inner = self.__dict__.get("answer")
        if inner is None:
            raise AttributeError(name)
        return getattr(inner, name)

    # ------------------------------------------------------------------ data
    @property
    def engine(self) -> str:
        return self.route.engine

    def answer_dict(self) -> Any:
        """The engine's answer as JSON-able data (what ``to_dict()['answer']`` holds)."""
        a = self.answer
        if a is None:
            return None
        if hasattr(a, "frame") and hasattr(a, "records"):  # the SQL engine's QueryResult
            return {"kind": "sql", "sql": a.sql, "origin": a.origin,
                    "columns": [str(c) for c in a.frame.columns], "rows": a.records(),
                    "row_count": a.rows, "elapsed_ms": round(a.elapsed * 1000, 1)}
        if hasattr(a, "to_dict"):
            return a.to_dict()
        if hasattr(a, "kpis"):  # the dashboard widget
            return {"kind": "dashboard", "kpis": json.loads(json.dumps(a.kpis, default=str)),
                    "repr": repr(a)}
        return {"kind": type(a).__name__, "repr": repr(a)}

    def to_dict(self) -> dict[str, Any]:
        """JSON-able: question, mode, route {intent, engine, reason, confidence,
        alternatives}, scope, plan, notes, narrative, answer, context."""
        return json.loads(json.dumps({
            "question": self.question, "effective_question": self.effective_question or self.question,
            "mode": self.mode, "route": self.route.to_dict(), "scope": self.scope,
            "plan": self.plan, "notes": self.notes, "narrative": self.narrative,
            "answer": self.answer_dict(), "context": self.context,
            "elapsed_ms": round(self.elapsed * 1000, 1)}, default=str))

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2)

    # ---------------------------------------------------------------- display
    def text(self) -> str:
        """Plain text: the route line, then the answer's gist (terminal and ``repr``)."""
        r = self.route
        head = (" or ".join(a["intent"] for a in r.alternatives) + " (ambiguous)"
                if r.ambiguous else f"{r.intent} -> {ENGINE_LABEL.get(r.engine, r.engine)}")
        lines = [f"[{head}, confidence {r.confidence:.2f}] {r.reason}"]
        if self.effective_question and self.effective_question != self.question:
            lines.append(f"read as: {self.effective_question}")
        lines += [f"note: {n}" for n in self.notes]
        if self.mode == "ambiguous":
            lines.append("Two readings; pick one:")
            lines += [f"  {a['intent']}: {a.get('hint', '')}" for a in r.alternatives]
        elif self.mode == "dry_run":
            lines.append("dry run (nothing executed):")
            lines.append(json.dumps(self.plan, indent=2, default=str))
        elif self.narrative:
            lines.append(self.narrative)
        a = self.answer
        if self.mode == "answered" and a is not None:
            if hasattr(a, "frame"):
                lines.append(a.sql)
                lines.append(a.frame.to_string(index=False, max_rows=30) if not a.frame.empty
                             else "(no rows)")
                lines.append(a.summary())
            elif hasattr(a, "narrative"):
                lines.append(a.narrative or getattr(a, "reason", ""))
            elif hasattr(a, "text") and isinstance(getattr(a, "text"), str):
                lines.append(a.text)
            else:
                lines.append(repr(a))
        return "\n".join(lines)

    def __repr__(self) -> str:
        return self.text()

    def banner_html(self) -> str:
        """The route, its reasons, its confidence and the alternatives, as a small box."""
        r = self.route
        e = html.escape
        alts = ", ".join(f"{a['intent']} ({a['score']})" for a in r.alternatives) or "none"
        read = ""
        if self.effective_question and self.effective_question != self.question:
            read = f"<div>read as: <i>{e(self.effective_question)}</i></div>"
        notes = "".join(f"<div>&#9432; {e(n)}</div>" for n in self.notes)
        if r.ambiguous:
            head = "<b>ambiguous</b>: " + " or ".join(
                f"<b>{e(a['intent'])}</b> ({e(ENGINE_LABEL.get(a['engine'], a['engine']))})"
                for a in r.alternatives) + f" (confidence {r.confidence:.2f}): {e(r.reason)}"
            return (f"<div class='logpilot-route' style='border-left:3px solid #c93;padding:2px "
                    f"8px;margin:4px 0;font-size:90%'>{head}</div>")
        return (f"<div class='logpilot-route' style='border-left:3px solid #4a7;padding:2px 8px;"
                f"margin:4px 0;font-size:90%'><b>{e(r.intent)}</b> &rarr; "
                f"<b>{e(ENGINE_LABEL.get(r.engine, r.engine))}</b> (confidence "
                f"{r.confidence:.2f}{', follow-up' if r.followup else ''}): {e(r.reason)}"
                f"<div>alternatives: {e(alts)}</div>{read}{notes}</div>")

    def _repr_html_(self) -> str:
        e = html.escape
        body = ""
        a = self.answer
        if self.mode == "ambiguous":
            items = "".join(f"<li><b>{e(x['intent'])}</b> ({e(x['engine'])}): "
                            f"<code>{e(x.get('hint', ''))}</code></li>" for x in self.route.alternatives)
            body = f"<p>This question reads two ways; pick one:</p><ul>{items}</ul>"
        elif self.mode == "dry_run":
            body = ("<p>Dry run: nothing was executed.</p><pre>"
                    + e(json.dumps(self.plan, indent=2, default=str)) + "</pre>")
        elif a is not None and hasattr(a, "frame"):
            frame = a.frame
            table = frame.head(50).to_html(index=False, border=0) if not frame.empty else \
                "<p>(no rows)</p>"
            body = (f"<pre>-- {e(a.origin)}\n{e(a.sql)}</pre>{table}"
                    f"<p style='color:#666'>{e(a.summary())}</p>")
        elif a is not None and hasattr(a, "_repr_html_") and not hasattr(a, "kpis"):
            body = a._repr_html_() or ""
        if self.narrative:
            body = f"<p>{e(self.narrative)}</p>" + body
        return self.banner_html() + body

    def _ipython_display_(self) -> None:
        """Banner and answer; widgets and charts are displayed as themselves."""
        from IPython.display import HTML, display

        a = self.answer
        if self.mode == "answered" and a is not None and hasattr(a, "kpis"):
            display(HTML(self.banner_html()))
            display(a)
            return
        display(HTML(self._repr_html_()))
        if self.mode != "answered" or a is None:
            return
        for fig in self.figures():
            show_figure(fig)

    def figures(self) -> list[Any]:
        """Charts of the answer: the why-engine's, or one chosen from the SQL result's shape."""
        a = self.answer
        if hasattr(a, "figures"):
            return [f for f in a.figures() if f is not None]
        if hasattr(a, "frame"):
            from ..query.charts import make_chart

            fig = make_chart(a.frame, "auto", title=self.effective_question or self.question)
            return [fig] if fig is not None else []
        return []
