"""What detection decided for a file, in a form a person checks before a long load.

The CLI (``logpilot registry detect FILE --explain``) prints it, the notebook
(``%logpilot detect PATH``) renders it as an HTML table: the rule, its confidence, what
was induced, and three sample lines split into the fields the rule gives them.
"""

from __future__ import annotations

import html
import os
import re
from typing import TYPE_CHECKING, Any, Sequence

if TYPE_CHECKING:  # pragma: no cover
    from . import Registry

#: Sample lines shown split into fields.
SHOWN_LINES = 3
_FIELDS = ("timestamp", "severity", "service_name", "host", "message")


def file_stem(path: str) -> str:
    """The name an induced rule gets from its file (compression and .log suffixes off)."""
    name = os.path.basename(path.replace("\\", "/"))
    for suffix in (".gz", ".bz2", ".xz", ".zst", ".zstd", ".log", ".txt"):
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return name or "file"


def explain(registry: "Registry", lines: Sequence[str], *, stem: str, origin: str = "") -> dict[str, Any]:
    """Detection (with induction) of one file's sample, plus sample lines split into fields."""
    det = registry.detect_file(lines, stem=stem)
    body = [ln for ln in lines if ln and ln.strip()]
    if det.rule.comment_start:  # the format's own header lines (a legend, #Fields) are no records
        head = re.compile(det.rule.comment_start)
        body = [ln for ln in body if not head.match(ln)]
    shown = []
    if body:
        test = registry.test(det.rule, body[: SHOWN_LINES])
        for r in test.results:
            extra = {k: v for k, v in (r.fields.get("context") or {}).items()
                     if k not in ("_rule", "ts_source", "severity_source", "severity_raw")}
            shown.append({"line": r.line, "matched": r.matched,
                          **{k: (str(r.fields.get(k)) if r.fields.get(k) is not None else None) for k in _FIELDS},
                          "fields": extra, "reason": r.reason})
    return {"origin": origin, "rule": det.rule.name, "confidence": round(det.confidence, 3),
            "scores": [(n, round(s, 3)) for n, s in det.scores[:5]],
            "induced": det.induced.to_dict() if det.induced is not None else None,
            "samples": shown}


def explain_text(info: dict[str, Any]) -> str:
    """Plain-text form for the CLI."""
    out = [f"{info['origin'] or 'sample'}: {info['rule']} (confidence {info['confidence']:.2f})"]
    ind = info.get("induced")
    if ind:
        ts = ind.get("timestamp") or {}
        if ts:
            out.append(f"  timestamp: {ts['layout']} at column {ts['position']}, formats {ts['formats']}, "
                       f"parsed {ts['parsed']}/{ts['of']} sample lines")
        if ind.get("fields"):
            out.append("  header fields: " + ", ".join(f"{f['field']} ({f['kind']})" for f in ind["fields"]))
        for note in ind.get("notes", []):
            out.append(f"  note: {note}")
        if ind.get("pattern"):  # a JSON rule given a level key has none
            out.append(f"  pattern: {ind['pattern']}")
    else:
        out.append("  next: " + ", ".join(f"{n} {s:.2f}" for n, s in info["scores"][1:4]))
    for s in info["samples"]:
        out.append(f"  line: {s['line'][:120]}")
        out.append("    " + "  ".join(f"{k}={s[k]!r}" for k in _FIELDS if s.get(k) is not None)[:300]
                   + (f"  fields={s['fields']}" if s["fields"] else "")
                   + (f"  <- {s['reason']}" if s["reason"] else ""))
    return "\n".join(out)


def explain_html(infos: Sequence[dict[str, Any]]) -> str:
    """One HTML table: a row per file, its sample lines split into fields."""
    e = html.escape
    rows = []
    for info in infos:
        ind = info.get("induced")
        if ind:
            ts = ind.get("timestamp") or {}
            what = (f"timestamp <code>{e(str(ts.get('layout', 'none')))}</code> at column {ts.get('position', '-')}"
                    + ("; fields: " + e(", ".join(f["field"] for f in ind.get("fields", []))) if ind.get("fields") else "")
                    + "".join(f"<br><i>{e(n)}</i>" for n in ind.get("notes", [])))
        else:
            what = "a known rule (nothing induced)"
        samples = "".join(
            "<div style='margin-bottom:4px'><code>" + e(s["line"][:160]) + "</code><br>"
            + " &middot; ".join(f"<b>{k}</b>: {e(str(s[k]))[:120]}" for k in _FIELDS if s.get(k) is not None)
            + ("".join(f" &middot; <b>{e(k)}</b>: {e(str(v))[:60]}" for k, v in s["fields"].items()))
            + (f" <span style='color:#b00'>{e(s['reason'])}</span>" if s["reason"] else "") + "</div>"
            for s in info["samples"])
        rows.append(f"<tr><td>{e(info['origin'])}</td><td><code>{e(info['rule'])}</code></td>"
                    f"<td>{info['confidence']:.2f}</td><td>{what}</td><td>{samples}</td></tr>")
    head = "<tr><th>file</th><th>rule</th><th>confidence</th><th>induced</th><th>sample lines, split</th></tr>"
    return ("<table style='text-align:left;vertical-align:top'>" + head + "".join(rows) + "</table>")


__all__ = ["explain", "explain_text", "explain_html", "file_stem"]
