"""``WhyAnswer``: the evidence, the ranked root causes, charts and the narrative.

Why evidence items with ids: a narrative (ours or a model's) cites ``[E3]`` and a reader
can check the claim against the numbered item; the model check accepts only numbers that
occur in these items. The deterministic narrative is written from the same items, so it
passes the same check by construction (a test asserts it).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from typing import Any

from ..isotime import to_utc
from .scope import Scope

MAX_CANDIDATES_IN_EVIDENCE = 5


def _t(s: Any) -> str:
    """A timestamp as HH:MM:SS (date too when it helps), for prose."""
    if s is None:
        return "?"
    if isinstance(s, str):
        s = to_utc(s)
    return s.strftime("%Y-%m-%d %H:%M:%S")


def _pct(p: float) -> str:
    return f"{p:.3g}"


def clip(text: Any, n: int) -> str:
    """``text`` cut to at most ``n`` characters at a word boundary, with an ellipsis.

    Template text in prose must never end mid-word ("connection po"): a reader takes a
    cut word for the template's own text. A single word longer than ``n`` is cut hard.
    """
    text = " ".join(str(text or "").split())
    if len(text) <= n:
        return text
    cut = text[:n - 1]
    space = cut.rfind(" ")
    if space >= n // 2:
        cut = cut[:space]
    return cut.rstrip(" ,;:-") + "\u2026"


@dataclass
class WhyAnswer:
    """The answer to a why-question; display it in a notebook or call ``to_dict()``."""

    question: str
    scope: Scope
    mode: str = "why"  # why | abnormal | no_match
    window: Any = None
    windows: list[Any] = field(default_factory=list)
    candidates: list[Any] = field(default_factory=list)
    abnormal: list[Any] = field(default_factory=list)
    changes: list[Any] = field(default_factory=list)
    terms: list[dict[str, Any]] = field(default_factory=list)
    samples: dict[str, list] = field(default_factory=dict)
    timeline: dict[str, Any] = field(default_factory=dict)
    series: Any = None
    entity: Any = None
    evidence: list[dict[str, Any]] = field(default_factory=list)
    narrative: str = ""
    narrative_source: str = "deterministic"
    model_text: str | None = None
    warnings: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    searched: dict[str, Any] = field(default_factory=dict)
    suggestions: list[dict[str, Any]] = field(default_factory=list)
    reason: str = ""
    timings: dict[str, float] = field(default_factory=dict)
    #: Which of ``windows`` (1-based rank) this answer explains; 0 = none (abnormal mode).
    selected: int = 1
    # Kept to re-explain another window (``pick``); not part of the answer's data.
    _workspace: Any = field(default=None, repr=False, compare=False)
    _model: Any = field(default=None, repr=False, compare=False)
    _context: Any = field(default=None, repr=False, compare=False)
    _alternatives: dict[int, Any] = field(default_factory=dict, repr=False, compare=False)

    # ------------------------------------------------------- other windows
    def pick(self, rank: int) -> "WhyAnswer":
        """The same question explained on ``windows[rank - 1]`` (rank as shown, 1 = strongest).

        Returns a new answer (cached: picking twice costs nothing); this one is unchanged.
        The workspace it came from must still be open.
        """
        from .engine import explain_window

        return explain_window(self, rank)

    def explain_all(self, limit: int = 6) -> list["WhyAnswer"]:
        """Explain the first ``limit`` windows now, so the HTML view's window menu can
        switch between them without a kernel (an HTML report); returns them in rank order."""
        return [self.pick(r) for r in range(1, min(limit, len(self.windows)) + 1)]

    # ------------------------------------------------------------ building
    def no_match(self, reason: str, suggestions: list[dict[str, Any]]) -> None:
        """Mark the answer as 'nothing matched', keeping what was searched and suggestions."""
        self.mode = "no_match"
        self.reason = reason
        self.suggestions = suggestions
        if not self.searched:
            s = self.scope
            self.searched = {"services": s.services or "all", "keywords": s.keywords,
                             "entities": s.entities,
                             "since": s.since.isoformat() if s.since else None,
                             "until": s.until.isoformat() if s.until else None}

    @property
    def root_causes(self) -> list[dict[str, Any]]:
        """Ranked candidates as dicts (``template``, ``service``, ``score``, counts, ...)."""
        if self.mode == "abnormal":
            return [a.to_dict() for a in self.abnormal]
        return [c.to_dict() for c in self.candidates]

    def build_evidence(self) -> None:
        """Number every fact the narrative may use: E1, E2, ... (order = reading order)."""
        ev: list[dict[str, Any]] = []

        def add(kind: str, text: str, **data: Any) -> str:
            eid = f"E{len(ev) + 1}"
            ev.append({"id": eid, "kind": kind, "text": text, **data})
            return eid

        if self.window is not None:
            w = self.window.to_dict()
            sig = self.series.label if self.series is not None else "errors"
            add("window", f"{sig}: {w['signal_rows']} rows in {w['start']} .. {w['end']} "
                f"({w['minutes']} min), {w['expected_rows']} expected at the baseline rate",
                **w, signal=sig)
        for rank, extra in enumerate(self.windows, 1):
            if rank == self.selected:
                continue
            w = extra.to_dict()
            add("other_window", f"another burst: {w['signal_rows']} rows in {w['start']} .. "
                f"{w['end']}", rank=rank, **w)
        if self.entity is not None:
            e = self.entity
            bad = next((r for r in e.rows if r["timestamp"] == e.failure_at), None)
            add("entity", f"{e.entity}: {e.direct} rows name it; {len(e.trace_ids)} traces; "
                f"services in order {', '.join(e.services)}",
                entity=e.entity, direct_rows=e.direct, trace_ids=e.trace_ids[:5],
                services=e.services,
                failure={k: (str(bad[k])[:200] if k != "timestamp" else bad[k].isoformat())
                         for k in ("timestamp", "service", "severity", "message")} if bad else None,
                rows=[{"timestamp": r["timestamp"].isoformat(), "service": r["service"],
                       "severity": r["severity"], "message": r["message"][:200]}
                      for r in e.rows[:15]])
        for i, c in enumerate(self.candidates[:MAX_CANDIDATES_IN_EVIDENCE], 1):
            d = c.to_dict()
            ch = c.change
            text = (f"{d['service']} template changed: {d['count_before']} before/after, "
                    f"{d['count_during']} during the window; p={_pct(ch.p_value)}")
            c.evidence_id = add("root_cause_candidate", text, rank=i, **{
                k: d[k] for k in ("template_id", "template", "service", "severity",
                                  "count_before", "count_during", "rate_before_per_min",
                                  "rate_during_per_min", "g", "p_value", "first_in_window",
                                  "new", "score", "score_explained", "shared_traces",
                                  "first_in_shared_traces", "downstream_services")},
                samples=self.samples.get(ch.template_id, []))
        for i, a in enumerate(self.abnormal[:8], 1):
            d = a.to_dict()
            a.evidence_id = add("abnormal_template", f"{d['service']} {d['severity']} template, "
                                f"{d['count']} rows, peak {d['peak_count']} in one bucket",
                                rank=i, **{k: d[k] for k in (
                                    "template_id", "template", "service", "severity", "count",
                                    "first_seen", "peak_bucket", "peak_count", "score",
                                    "score_explained")},
                                samples=self.samples.get(a.template_id, []))
        for t in self.terms[:6]:
            whose = "" if t.get("before_of", "this template") == "this template" else \
                " of all rows"
            add("significant_term", f"{t['field']}={t['value']} in {t['share_during']} of the "
                f"window's rows of {t['template_id']} vs {t['share_before']}{whose} before (p="
                f"{_pct(t['p_value'])})", **t)
        shown = {c.change.template_id for c in self.candidates[:MAX_CANDIDATES_IN_EVIDENCE]}
        new = [c for c in self.changes if c.new and c.template_id not in shown]
        new.sort(key=lambda c: c.first_in_window or dt.datetime.max)
        for c in new[:4]:
            add("new_template", f"new in the window: {c.service} {c.severity}, {c.during} rows, "
                f"first at {c.first_in_window.isoformat()}", template_id=c.template_id,
                template=c.template, service=c.service, count_during=c.during,
                first_in_window=c.first_in_window.isoformat())
        drops = [c for c in self.changes if c.p_value < 1e-3 and c.ratio < 0.33]
        drops.sort(key=lambda c: c.p_value)
        for c in drops[:3]:
            add("dropped_template", f"{c.service} template fell from "
                f"{round(c.rate_before * 60, 3)} to {round(c.rate_during * 60, 3)} per min "
                f"(p={_pct(c.p_value)})" + (" - disappeared" if c.disappeared else ""),
                template_id=c.template_id, template=c.template, service=c.service,
                count_before=c.before, count_during=c.during,
                rate_before_per_min=round(c.rate_before * 60, 3),
                rate_during_per_min=round(c.rate_during * 60, 3), p_value=float(f"{c.p_value:.3g}"))
        self.evidence = ev

    # ----------------------------------------------------------- narrative
    def _ev(self, kind: str) -> list[dict[str, Any]]:
        return [e for e in self.evidence if e["kind"] == kind]

    def deterministic_narrative(self) -> str:
        """A readable explanation from the evidence alone (no model): same numbers, cited."""
        if self.mode == "no_match":
            tries = "; ".join(s["try"] for s in self.suggestions[:4]) or "a wider time range"
            return (f"Nothing to explain: {self.reason}. Searched: "
                    f"{json.dumps(self.searched, default=str)}. Scopes with data: {tries}.")
        out = []
        win = self._ev("window")
        if win:
            w = win[0]
            out.append(f"Between {_t(w['start'])} and {_t(w['end'])} UTC ({w['minutes']} min) the "
                       f"{w['signal']} reached {w['signal_rows']} rows where the baseline rate "
                       f"predicts {w['expected_rows']} [{w['id']}].")
        ent = self._ev("entity")
        if ent:
            e = ent[0]
            out.append(f"{e['entity']} appears on {e['direct_rows']} rows; its traces cross "
                       f"{', '.join(e['services'])} [{e['id']}].")
            if e.get("failure"):
                f = e["failure"]
                out.append(f"Its first failure: {f['service']} {f['severity']} at {_t(f['timestamp'])}, "
                           f"\u201c{clip(f['message'], 120)}\u201d [{e['id']}].")
        if self.mode == "abnormal":
            ab = self._ev("abnormal_template")
            if ab:
                a = ab[0]
                out.append(f"The most abnormal template is \u201c{a['template']}\u201d in "
                           f"{a['service']} ({a['severity']}, {a['count']} rows, peak "
                           f"{a['peak_count']} in one bucket) [{a['id']}].")
                rest = ", ".join(f"\u201c{clip(x['template'], 60)}\u201d [{x['id']}]" for x in ab[1:4])
                if rest:
                    out.append(f"Next: {rest}.")
            return " ".join(out) or "No template stands out in this scope."
        cands = self._ev("root_cause_candidate")
        if not cands:
            out.append("No template changed significantly in the window.")
            return " ".join(out)
        c = cands[0]
        before = ("it was never logged before" if c["new"] or c["count_before"] == 0 else
                  f"{c['rate_before_per_min']} per min before")
        out.append(f"The most likely root cause is \u201c{c['template']}\u201d in {c['service']}: "
                   f"{c['count_during']} rows in the window at {c['rate_during_per_min']} per min "
                   f"({before}), first at {_t(c['first_in_window'])}, p={_pct(c['p_value'])} "
                   f"[{c['id']}].")
        if c["shared_traces"]:
            out.append(f"It came first in {c['first_in_shared_traces']} of {c['shared_traces']} "
                       f"traces it shares with other services"
                       + (f" ({', '.join(c['downstream_services'])} logged after it)"
                          if c["downstream_services"] else "") + f" [{c['id']}].")
        terms = [t for t in self._ev("significant_term") if t["template_id"] == c["template_id"]]
        if terms:
            out.append("Its rows concentrate on " + ", ".join(
                f"{t['field']}={t['value']} [{t['id']}]" for t in terms[:3]) + ".")
        if len(cands) > 1:
            out.append("Other changes, ranked: " + "; ".join(
                f"\u201c{clip(x['template'], 70)}\u201d in {x['service']} [{x['id']}]"
                for x in cands[1:4]) + ".")
        new = self._ev("new_template")
        if new:
            out.append("New in the window: " + "; ".join(
                f"\u201c{clip(x['template'], 70)}\u201d at {_t(x['first_in_window'])} [{x['id']}]"
                for x in new[:3]) + ".")
        drops = self._ev("dropped_template")
        if drops:
            out.append("Fell: " + "; ".join(f"\u201c{clip(x['template'], 60)}\u201d in {x['service']} "
                                            f"[{x['id']}]" for x in drops[:2]) + ".")
        return " ".join(out)

    # -------------------------------------------------------------- output
    def to_dict(self) -> dict[str, Any]:
        """JSON-able dict; ``window``, ``root_causes``, ``evidence``, ``narrative`` always present."""
        return {
            "question": self.question, "mode": self.mode,
            "window": self.window.to_dict() if self.window is not None else None,
            "windows": [{"rank": i, **w.to_dict()} for i, w in enumerate(self.windows, 1)],
            "selected_window": self.selected,
            "root_causes": self.root_causes,
            "evidence": self.evidence, "narrative": self.narrative,
            "narrative_source": self.narrative_source, "warnings": self.warnings,
            "notes": self.notes, "scope": self.scope.to_dict(), "searched": self.searched,
            "suggestions": self.suggestions, "reason": self.reason,
            "entity": self.entity.to_dict() if self.entity is not None else None,
            "timings": self.timings,
        }

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, default=str)

    def rate_figure(self) -> Any:
        """Plotly: the signal per bucket over the scope, the window shaded."""
        import plotly.graph_objects as go

        fig = go.Figure()
        if self.series is not None:
            fig.add_trace(go.Scatter(x=self.series.times(), y=list(self.series.counts),
                                     mode="lines", name=self.series.label))
        shaded = list(self.windows) or ([self.window] if self.window is not None else [])
        for rank, w in enumerate(shaded, 1):
            chosen = rank == self.selected or (not self.windows and rank == 1)
            fig.add_vrect(x0=w.start, x1=w.end, fillcolor="red" if chosen else "orange",
                          opacity=0.2, line_width=0, annotation_text=f"#{rank}",
                          annotation_position="top left")
        fig.update_layout(title=f"{self.series.label if self.series else 'signal'} per "
                          f"{self.series.bucket_seconds if self.series else '?'} s",
                          height=280, margin=dict(l=40, r=10, t=40, b=30))
        return fig

    def timeline_figure(self) -> Any:
        """Plotly: counts of the top templates per bucket around the window."""
        import plotly.graph_objects as go

        names = {c.change.template_id: f"{c.change.service}: {clip(c.change.template, 50)}"
                 for c in self.candidates}
        names.update({a.template_id: f"{a.service}: {clip(a.template, 50)}" for a in self.abnormal})
        fig = go.Figure()
        for tid, pts in self.timeline.get("series", {}).items():
            fig.add_trace(go.Scatter(x=[p[0] for p in pts], y=[p[1] for p in pts],
                                     mode="lines+markers", name=names.get(tid, tid)))
        if self.window is not None:
            fig.add_vrect(x0=self.window.start, x1=self.window.end, fillcolor="red",
                          opacity=0.12, line_width=0)
        fig.update_layout(title="top templates over time", height=320,
                          margin=dict(l=40, r=10, t=40, b=30), legend=dict(font=dict(size=9)))
        return fig

    def figures(self) -> list[Any]:
        return [self.rate_figure(), self.timeline_figure()] if self.mode != "no_match" else []

    def _repr_html_(self) -> str:
        from .view import answer_html

        return answer_html(self)

    def __repr__(self) -> str:
        top = self.root_causes[:3]
        lines = [f"WhyAnswer({self.question!r}, mode={self.mode})"]
        if self.window is not None:
            lines.append(f"  window {self.window.start} .. {self.window.end}")
        lines += [f"  {i}. {r['service']}: {clip(r['template'], 80)} (score {r['score']})"
                  for i, r in enumerate(top, 1)]
        return "\n".join(lines)
