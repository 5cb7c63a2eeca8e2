"""The HTML view of a :class:`~logpilot_kernel.why.WhyAnswer`, with a window menu.

Why a menu of windows: a service often bursts several times in a scope and the answer
explains the strongest; the analyst must see the others and switch to one. Explanations
already computed (``answer.explain_all()``, or earlier ``answer.pick(n)``) are embedded as
panels and a ``<select>`` switches them with a line of inline script, so the menu also
works in an HTML report without a kernel; a window not yet explained says how to ask.
"""

from __future__ import annotations

import html
import itertools
import math
from typing import Any

_ids = itertools.count(1)


def _t(s: Any) -> str:
    from .answer import _t as fmt

    return fmt(s)


def table(cols: list[str], rows: list[dict[str, Any]]) -> str:
    """A plain HTML table of ``rows`` (dicts) restricted to ``cols``."""
    e = html.escape
    head = "".join(f"<th>{e(c)}</th>" for c in cols)

    def cell(v: Any) -> str:
        if isinstance(v, float) and not math.isfinite(v):
            v = "inf"
        return f"<td style='text-align:left'>{e(str(v if v is not None else ''))}</td>"

    body = "".join("<tr>" + "".join(cell(r.get(c)) for c in cols) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def body_html(ans: Any) -> str:
    """Window, narrative, candidates, terms and evidence of one explained answer."""
    from .answer import clip

    e = html.escape
    parts = []
    if ans.window is not None:
        w = ans.window.to_dict()
        parts.append(f"<div><b>Window</b> {e(_t(w['start']))} &rarr; {e(_t(w['end']))} "
                     f"({w['minutes']} min, {e(w['how'])}, LLR {w['llr']})</div>")
    parts.append(f"<p><b>Narrative</b> <small>({e(ans.narrative_source)})</small><br>"
                 f"{e(ans.narrative)}</p>")
    rc = ans.root_causes[:8]
    if rc:
        cols = (["evidence_id", "score", "service", "severity", "template", "count",
                 "peak_count"] if ans.mode == "abnormal" else
                ["evidence_id", "score", "service", "severity", "template", "count_before",
                 "count_during", "p_value", "first_in_window", "score_explained"])
        parts.append("<b>Root-cause candidates</b>" + table(cols, rc))
    if ans.terms:
        parts.append("<b>Significant terms</b> <small>(share of the template's rows in the "
                     "window against before; <i>before_of</i> says whose rows)</small>" + table(
                         ["template_id", "field", "value", "share_during", "share_before",
                          "before_of", "p_value"], ans.terms[:8]))
    ev = "".join(f"<li><b>{e(x['id'])}</b> {e(x['text'])}"
                 + "".join(f"<br><code>{e(clip(s['message'], 200))}</code> <small>"
                           f"{e(str(s['origin']))}:{s['origin_offset']}</small>"
                           for s in x.get("samples", [])[:2]) + "</li>"
                 for x in ans.evidence)
    parts.append(f"<details><summary>Evidence ({len(ans.evidence)} items)</summary>"
                 f"<ul>{ev}</ul></details>")
    return "".join(parts)


def windows_html(ans: Any) -> tuple[str, str] | None:
    """The ranked windows as a table plus a menu switching the explained one (and the
    panels' class name); None for a single window."""
    e = html.escape
    if len(ans.windows) < 2:
        return None
    uid = f"lpwhy{next(_ids)}"
    rows = []
    for rank, w in enumerate(ans.windows, 1):
        d = w.to_dict()
        rows.append({"#": rank, "start": _t(d["start"]), "end": _t(d["end"]),
                     "minutes": d["minutes"], "signal_rows": d["signal_rows"],
                     "expected_rows": d["expected_rows"], "llr": d["llr"],
                     "explained": "yes" if rank == ans.selected else ""})
    opts = "".join(
        f"<option value='{rank}'{' selected' if rank == ans.selected else ''}>#{rank} "
        f"{e(_t(w.start))} ({round(w.minutes)} min, {w.inside} rows)</option>"
        for rank, w in enumerate(ans.windows, 1))
    if ans.selected == 0:  # abnormal mode: the ranked templates come first
        opts = "<option value='0' selected>none: the most abnormal templates</option>" + opts
    script = (f"var r=this.value;document.querySelectorAll('.{uid}').forEach(function(p){{"
              f"p.style.display=(p.dataset.rank===r)?'':'none';}});")
    return (f"<div><b>Significant windows in the scope</b> ({len(ans.windows)}, strongest "
            f"first)" + table(list(rows[0]), rows)
            + f"<label>Explain window <select onchange=\"{script}\">{opts}</select></label>"
              f" <small>(or <code>answer.pick(N)</code>, <code>%%logwhy --window N</code>)</small>"
              f"</div>"), uid


def answer_html(ans: Any) -> str:
    """The whole answer: header, window menu, then one panel per window."""
    e = html.escape
    parts = [f"<div class='logpilot-why'><b>Why:</b> {e(ans.question or '(no question)')}<br>"]
    if ans.scope.time is not None:  # the reading of the question's time, never implicit
        t = ans.scope.time
        parts.append(f"<div><b>Time</b> {e(t.label)} <small>(read from "
                     f"&ldquo;{e(t.text.strip())}&rdquo;)</small></div>")
    for wmsg in ans.warnings:
        parts.append(f"<div style='color:#a60'>&#9888; {e(wmsg)}</div>")
    if ans.mode == "no_match":
        parts.append(f"<p>{e(ans.narrative)}</p>")
        if ans.suggestions:
            parts.append(table(["service", "errors", "rows", "busiest_error_hour", "try"],
                               ans.suggestions))
        return "".join(parts) + "</div>"
    menu = windows_html(ans)
    if menu is None:
        parts.append(body_html(ans))
    else:
        head, uid = menu
        parts.append(head)
        explained = dict(ans._alternatives)
        explained[ans.selected] = ans
        for rank in range(1, len(ans.windows) + 1):
            hidden = "" if rank == ans.selected else " style='display:none'"
            alt = explained.get(rank)
            inner = (body_html(alt) if alt is not None else
                     f"<p><i>Window #{rank} is not explained yet: run "
                     f"<code>answer.pick({rank})</code> (or <code>%%logwhy --window {rank}</code>; "
                     f"<code>answer.explain_all()</code> explains every window).</i></p>")
            parts.append(f"<div class='{uid}' data-rank='{rank}'{hidden}>{inner}</div>")
        if ans.selected == 0:  # abnormal mode: the ranked templates are the answer
            parts.append(f"<div class='{uid}' data-rank='0'>{body_html(ans)}</div>")
    parts.append("<small>Charts: <code>.rate_figure()</code>, <code>.timeline_figure()</code>; "
                 "windows: <code>.windows</code>, <code>.pick(N)</code>; data: "
                 "<code>.to_dict()</code></small></div>")
    return "".join(parts)
