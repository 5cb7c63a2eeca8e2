"""The SQL and the English reading of a parsed question, and why an answer came out empty.

Why together: the reading shown above the SQL must say exactly what the SQL counts, so
both are made from the same list of conditions (label, SQL); the same list lets
:func:`diagnose` tell which condition removed every row, instead of answering 0 silently.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # pragma: no cover
    from .lexicon import Lexicon
    from .nl import Intent, Parsed

_TIME_DIMS = ("minute", "hour", "day", "week", "month", "weekday")


def _lit(v: str) -> str:
    from ..sqltext import literal  # the one literal helper (issue 17): NULs too

    return literal(str(v))


def ctx(key: str) -> str:
    # Parenthesised: in DuckDB ``a AND context->>'k' = v`` binds as ``(a AND context)->>...``.
    return f"(context->>{_lit(key)})"


def alias(name: str) -> str:
    a = re.sub(r"[^a-z0-9_]+", "_", name.lower()).strip("_") or "value"
    return a if not a[0].isdigit() else "f_" + a


def dim_expr(dim: str) -> tuple[str, str]:
    """(SQL expression, column alias) of a grouping dimension."""
    simple = {"service": ("service_name", "service_name"), "severity": ("severity", "severity"),
              "template": ("body", "template"), "host": ("host", "host"),
              "source": ("source", "source"),
              "minute": ("date_trunc('minute', timestamp)", "minute"),
              "hour": ("date_trunc('hour', timestamp)", "hour"),
              "day": ("CAST(timestamp AS DATE)", "day"),
              "week": ("CAST(date_trunc('week', timestamp) AS DATE)", "week"),
              "month": ("strftime(timestamp, '%Y-%m')", "month"),
              "weekday": ("dayname(timestamp)", "weekday"),
              "trace": ("trace_id", "trace_id"),
              "msgip": (r"nullif(regexp_extract(message, '(\d{1,3}(?:\.\d{1,3}){3})', 1), '')",
                        "ip")}
    if dim in simple:
        return simple[dim]
    key = dim[4:] if dim.startswith("ctx:") else dim
    return ctx(key), alias(key)


def _dim_name(dim: str) -> str:
    return dim[4:] if dim.startswith("ctx:") else "IP in the message" if dim == "msgip" else dim


def _keys_used(i: "Intent") -> list[str]:
    keys = [k for k, _ in i.filters] + list(i.present)
    keys += [d[4:] for d in i.group if d.startswith("ctx:")]
    if i.field:
        keys.append(i.field[4:] if i.field.startswith("ctx:") else i.field)
    return list(dict.fromkeys(keys))


def _filter_sql(key: str, value: str, kind: str) -> str:
    expr = ctx(key)
    m = re.fullmatch(r"([<>]=?)(-?\d+(?:\.\d+)?)", value)
    if m:
        return f"TRY_CAST({expr} AS DOUBLE) {m.group(1)} {m.group(2)}"
    if re.fullmatch(r"\dxx", value):
        return f"{expr} LIKE {_lit(value[0] + '%')}"
    if kind in ("id", "ip"):
        return f"lower({expr}) = {_lit(value.lower())}"
    return f"{expr} = {_lit(value)}"


def _kind(lex: "Lexicon", key: str) -> str:
    kinds = {ki.kind for (s, k), ki in lex.info.items() if k == key}
    return kinds.pop() if len(kinds) == 1 else "categorical"


def text_pattern(text: str, lex: Lexicon) -> str:
    """The ILIKE pattern of a quoted phrase: as written, or across the slots of a template.

    Why: analysts quote a message as they read it, without its variable parts ("'widget
    not ready'" for "Widget <*> not ready"). When no template holds the phrase as written
    but one holds its words in sequence with only slots between, those gaps become ``%``.
    """
    low = text.lower()
    words = re.findall(r"\S+", low)
    bodies = [body.lower() for tpls in lex.templates.values() for _t, body, _n in tpls]
    if len(words) < 2 or any(low in b for b in bodies):
        return "%" + text + "%"
    held = _elided(text, bodies)
    if held is not None:
        return held
    gap = r"(?:\s+<\*>)+\s+|\s+"
    rx = re.compile(r"(?<!\w)" + ("(" + gap + ")").join(re.escape(w) for w in words) + r"(?!\w)")
    for b in bodies:
        m = rx.search(b)
        if m and "<*>" in m.group(0):
            out = words[0]
            for w, sep in zip(words[1:], m.groups()):
                out += ("%" if "<*>" in sep else " ") + w
            return "%" + out + "%"
    return "%" + text + "%"


#: Stand-ins analysts write for the variable parts of a quoted message: "...", "N", "Nms".
_ELLIPSIS = re.compile(r"\.{3,}|…")
_PLACEHOLDER = re.compile(r"(?:[NXn]|<\w+>)([A-Za-z%µ]*)")


def _elided(text: str, bodies: list[str]) -> str | None:
    """The ILIKE pattern of a quote with "..." or a placeholder ("'Served X in Nms'") when
    a template holds it with those parts as its slots; None when it has none or no
    template holds it (the quote is then read as written)."""
    from .nl_quantity import unit

    def held_out(t: str) -> re.Match | None:  # "N", "X", "<n>", "Nms": a number's place
        m = _PLACEHOLDER.fullmatch(t)
        return m if m and (t[0] != "n" or t.startswith("<")) and (
            not m.group(1) or unit(m.group(1))) else None

    toks = text.split()
    if not any(_ELLIPSIS.fullmatch(t) or held_out(t) for t in toks):
        return None
    rx, like = [], []
    for t in toks:
        if _ELLIPSIS.fullmatch(t):
            rx.append(r".*?")
            like.append("%")
        elif m := held_out(t):
            rx.append(r"<\*>" + (f"(?:{re.escape(m.group(1).lower())})?" if m.group(1) else ""))
            like.append("%")
        else:
            rx.append(re.escape(t.lower()))
            like.append(t.lower())
    pattern = re.compile(r"(?<!\w)" + r"\s*".join(rx))
    if not any(pattern.search(b) for b in bodies):
        return None
    out = " ".join(like)
    return "%" + re.sub(r"(?:\s*%\s*)+", "%", out) + "%"


def _slot_mark(lex: "Lexicon | None", svc: str, tid: str, idx: int) -> str:
    """'template with [*] at the parameter' (service), for a reading."""
    from .nl_quantity import mark

    body = next((b for t, b, _n in (lex.templates.get(svc, []) if lex else []) if t == tid), tid)
    return f"'{mark(body, idx)[:100]}' ({svc})"


def conditions(i: "Intent", lex: "Lexicon") -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(base conditions, numerator conditions of a share) as (English, SQL) pairs."""
    base: list[tuple[str, str]] = []
    num: list[tuple[str, str]] = []
    share = i.measure == "rate"
    if i.not_services:
        base.append((f"not from service {' or '.join(i.not_services)}",
                     f"service_name NOT IN ({', '.join(map(_lit, i.not_services))})"))
    if i.services:
        base.append((f"from service {' or '.join(i.services)}",
                     f"service_name IN ({', '.join(map(_lit, i.services))})"))
    elif not i.sources:
        keys = [k for k in _keys_used(i) if i.key_services.get(k)]
        if keys:
            sets = [set(i.key_services[k]) for k in keys]
            svcs = sorted(set.intersection(*sets) or set.union(*sets))
            base.append((f"from service {' or '.join(svcs)} (where {', '.join(keys)} "
                         f"{'is' if len(keys) == 1 else 'are'} logged)",
                         f"service_name IN ({', '.join(map(_lit, svcs))})"))
    if i.sources:
        base.append((f"from source {' or '.join(i.sources)}",
                     f"source IN ({', '.join(map(_lit, i.sources))})"))
    if i.hosts:
        base.append((f"on host {' or '.join(i.hosts)}", f"host IN ({', '.join(map(_lit, i.hosts))})"))
    if i.lo is not None or i.hi is not None:
        sql = []
        if i.lo is not None:
            sql.append(f"timestamp >= TIMESTAMP '{i.lo:%Y-%m-%d %H:%M:%S}'")
        if i.hi is not None:
            sql.append(f"timestamp < TIMESTAMP '{i.hi:%Y-%m-%d %H:%M:%S}'")
        base.append((i.time_label or "in the time window", " AND ".join(sql)))
    for o in i.origins:
        rx = "(?i)(^|[^a-z0-9])" + re.escape(o) + "([^a-z0-9]|$)"
        base.append((f"from files named like {o!r}",
                     f"regexp_matches(regexp_extract(origin, '([^/\\\\!]+/)?[^/\\\\!]+$', 0), "
                     f"{_lit(rx)})"))
    for e in i.entities:
        rx = ("(?i)(^|[\\s\"'=])" + re.escape(e) + ("" if e.endswith("/") else "($|[\\s\"'?;,])")
              if e.startswith("/")
              else "(?i)(^|[^0-9a-z.])" + re.escape(e) + "($|[^0-9a-z.])")
        base.append((f"mentioning {e}", f"regexp_matches(message, {_lit(rx)})"))
    if share and i.numerator is not None:  # "what fraction of X were Y": Y over X
        nb, _ = conditions(i.numerator, lex)
        num += [c for c in nb if c[0]]
        share = False
        if not any(x.startswith("from service") for x, _ in base):
            base += [c for c in nb if c[0].startswith("from service") and "(where" in c[0]]
        for key in dict.fromkeys(k for k, _ in i.numerator.filters):
            base.append((f"that have {key}", f"{ctx(key)} IS NOT NULL"))
    if i.outcome_base:
        shown = ", ".join(repr(b[:60]) for _s, _t, b in i.outcome_base[:4])
        base.append((f"among the outcomes {shown}", "(" + " OR ".join(
            f"(service_name = {_lit(s)} AND template_id = {_lit(t)})"
            for s, t, _b in i.outcome_base) + ")"))
    target = num if share else base
    levels = [x for x in i.share if x.startswith("severity:")]
    sev = tuple(levels[0][9:].split(",")) if levels else i.severities
    if sev:
        target.append((f"with severity {' or '.join(sev)}",
                       f"severity IN ({', '.join(map(_lit, sev))})"))
    if i.exclude:
        levels, forms = i.exclude
        label = "that did not fail (" + ", ".join(
            ([f"severity not {' or '.join(levels)}"] if levels else []) +
            ([f"template mentions none of {', '.join(repr(f) for f in forms[:6])}"] if forms
             else [])) + ")"
        sql = ([f"severity NOT IN ({', '.join(map(_lit, levels))})"] if levels else []) + (
            ["NOT (" + " OR ".join(f"body ILIKE {_lit('%' + f + '%')}" for f in forms) + ")"]
            if forms else [])
        if sql:
            target.append((label, " AND ".join(sql)))
    if i.once_per and i.field:
        base.append(_once_per(i))
    for text in i.texts:
        pat = _lit(text_pattern(text, lex))
        target.append((f"whose message contains {text!r}",
                       f"(body ILIKE {pat} OR message ILIKE {pat})"))
    for forms in i.words:
        alts = forms.split("|")
        target.append((f"whose template mentions {' or '.join(repr(a) for a in alts)}",
                       "(" + " OR ".join(f"body ILIKE {_lit('%' + a + '%')}" for a in alts) + ")"))
    for word, held in i.slot_filters:
        shown = "; ".join(sorted({_slot_mark(lex, svc, tid, idx) for svc, tid, idx, _v in held}))[:240]
        target.append((f"whose message has {word!r} as the value marked [*] in {shown}",
                       "(" + " OR ".join(
                           f"(service_name = {_lit(svc)} AND template_id = {_lit(tid)} AND "
                           f"json_extract_string(context, '$.params[{idx}]') = {_lit(v)})"
                           for svc, tid, idx, v in held) + ")"))
    by_key: dict[str, list[str]] = {}
    for key, value in i.filters:
        by_key.setdefault(key, []).append(value)
    for key, values in by_key.items():
        kind = _kind(lex, key)
        sql = " OR ".join(_filter_sql(key, v, kind) for v in values)
        target.append((f"where {key} is {' or '.join(values)}", f"({sql})" if len(values) > 1 else sql))
        if share:
            base.append((f"that have {key}", f"{ctx(key)} IS NOT NULL"))
    for key in i.present:
        base.append((f"that have {key}", f"{ctx(key)} IS NOT NULL"))
    for d in i.group:
        if d in i.slot_dims:
            base.append(("", f"{i.slot_dims[d].raw_sql()} IS NOT NULL"))
            continue
        expr, _ = dim_expr(d)
        if d.startswith("ctx:") or d in ("host", "msgip", "trace"):
            base.append(("", f"{expr} IS NOT NULL"))
    for q, op, value in i.qty_filters:
        shown = value / q.out_factor
        target.append((f"where {q.label().replace(', in ' + q.out_unit, '')} is {op} "
                       f"{shown:g} {q.out_unit}".rstrip(), f"{q.base_sql()} {op} {value!r}"))
        if share:
            base.append((f"that have {q.label()}", f"{q.base_sql()} IS NOT NULL"))
    if i.quantity is not None and i.measure == "distinct":
        base.append(("", f"{i.quantity.raw_sql()} IS NOT NULL"))
    if i.quantity is not None and i.measure not in ("count", "rate", "distinct", "first", "last"):
        base.append(("", f"{i.quantity.base_sql()} IS NOT NULL"))
    if i.field and i.measure not in ("distinct",) and not i.field.startswith(
            ("service", "host", "source", "template")):
        key = i.field[4:] if i.field.startswith("ctx:") else i.field
        base.append(("", f"TRY_CAST({ctx(key)} AS DOUBLE) IS NOT NULL"))
    if i.compare:
        spans = " OR ".join(_span_sql(lo, hi) for _, lo, hi in i.compare)
        base.append(("", f"({spans})"))
    return base, num


def _once_per(i: "Intent") -> tuple[str, str]:
    """The condition of a sum by meaning: each transaction (rows of one id) once, at its
    last row with the field, and only when none of its rows failed (a failure level or a
    failure word in its template). The time window applies to that last row only."""
    key, levels, forms = i.once_per
    field = i.field[4:] if i.field.startswith("ctx:") else i.field
    idx, val = ctx(key), ctx(field)
    svcs = sorted(i.key_services.get(field, []))
    where = f"service_name IN ({', '.join(map(_lit, svcs))}) AND " if svcs else ""
    stamp = f"{idx} || '|' || CAST(timestamp AS VARCHAR)"
    last = (f"SELECT {idx} || '|' || CAST(max(timestamp) AS VARCHAR) FROM logs WHERE {where}"
            f"TRY_CAST({val} AS DOUBLE) IS NOT NULL AND {idx} IS NOT NULL GROUP BY {idx}")
    bad = ([f"severity IN ({', '.join(map(_lit, levels))})"] if levels else []) + [
        f"body ILIKE {_lit('%' + f + '%')}" for f in forms]
    sql = f"{stamp} IN ({last})"
    if bad:
        sql += f" AND {idx} NOT IN (SELECT {idx} FROM logs WHERE {idx} IS NOT NULL AND ({' OR '.join(bad)}))"
    shown = ", ".join(repr(f) for f in forms[:4])
    return (f"once per {key} (its last record with {field}), leaving out each {key} with a record "
            f"that failed ({' or '.join(levels) or 'no level'}{', or a template mentioning ' + shown if forms else ''})",
            sql)


def _span_sql(lo: Any, hi: Any) -> str:
    parts = []
    if lo is not None:
        parts.append(f"timestamp >= TIMESTAMP '{lo:%Y-%m-%d %H:%M:%S}'")
    if hi is not None:
        parts.append(f"timestamp < TIMESTAMP '{hi:%Y-%m-%d %H:%M:%S}'")
    return "(" + (" AND ".join(parts) or "TRUE") + ")"


def _metric(i: "Intent", num: list[tuple[str, str]], lex: "Lexicon | None" = None) -> tuple[str, str]:
    m = i.measure
    if i.ratio_parts is not None:
        a, b = (" AND ".join(sql for _l, sql in conditions(x, lex)[0] if sql) or "TRUE"
                for x in i.ratio_parts) if lex is not None else ("TRUE", "TRUE")
        return (f"count(CASE WHEN {a} THEN 1 END) / nullif(count(CASE WHEN {b} THEN 1 END), 0)",
                "ratio")
    if i.ratio_values is not None:
        key, a, b = i.ratio_values
        kind = _kind(lex, key) if lex is not None else "categorical"
        ca, cb = _filter_sql(key, a, kind), _filter_sql(key, b, kind)
        return (f"count(CASE WHEN {ca} THEN 1 END) / nullif(count(CASE WHEN {cb} THEN 1 END), 0)",
                "ratio")
    if m == "rate":
        cond = " AND ".join(s for _, s in num) or "severity IN ('ERROR', 'FATAL')"
        name = "error_rate" if not num or all(s.startswith("severity") for _, s in num) else "share"
        return f"avg(CASE WHEN {cond} THEN 1.0 ELSE 0.0 END)", name
    if m == "distinct" and i.quantity is not None:
        return f"count(DISTINCT {i.quantity.raw_sql()})", f"distinct_{alias(i.quantity.name)}"
    if m == "distinct":
        expr, a = dim_expr(i.field or "service")
        return f"count(DISTINCT {expr})", f"distinct_{a}"
    if m in ("first", "last"):
        return ("min(timestamp)", "first_seen") if m == "first" else ("max(timestamp)", "last_seen")
    if i.field or i.quantity is not None:
        if i.quantity is not None:
            x, a = i.quantity.sql(), alias(i.quantity.name)
        else:
            key = i.field[4:] if i.field.startswith("ctx:") else i.field
            x, a = f"TRY_CAST({ctx(key)} AS DOUBLE)", alias(key)
        if m.startswith("p") and m[1:].isdigit():
            return f"quantile_cont({x}, {int(m[1:]) / 100})", f"{m}_{a}"
        return f"{m}({x})", f"{m}_{a}"
    return "count(*)", "records"


def build_sql(i: "Intent", lex: "Lexicon") -> str:
    """The SQL of an intent: one SELECT over ``logs``, aggregation in DuckDB."""
    base, num = conditions(i, lex)
    dims = [(i.slot_dims[d].raw_sql(), alias(i.slot_dims[d].slots[0].before[-1]))
            if d in i.slot_dims else dim_expr(d)
            for d in (i.group or ([i.difference[0]] if i.difference
                                  and i.difference[0] != "period" else []))]
    if i.compare:
        case = " ".join(f"WHEN {_span_sql(lo, hi)} THEN {_lit(label)}" for label, lo, hi in i.compare)
        dims.insert(0, (f"CASE {case} END", "period"))
    agg, metric = _metric(i, num, lex)
    select = ", ".join([f"{e} AS {a}" for e, a in dims] + [f"{agg} AS {metric}"])
    sql = f"SELECT {select}\nFROM logs"
    where = [s for _, s in base]
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    if dims:
        sql += "\nGROUP BY ALL"
        names = ", ".join(a for _, a in dims)
        timeish = [a for _, a in dims if a in _TIME_DIMS or a == "period"]
        if i.top is not None:
            sql += f"\nORDER BY {metric} {'ASC' if i.direction == 'asc' else 'DESC'}, {names}\nLIMIT {i.top}"
        elif timeish and not i.by_metric:
            sql += "\nORDER BY " + ", ".join(
                "isodow(min(timestamp))" if a == "weekday" else
                "min(timestamp)" if a == "period" else a for _, a in dims)
        else:
            sql += f"\nORDER BY {metric} DESC, {names}"
    if i.difference:
        dim, a, b = i.difference
        col = "period" if dim == "period" else dim_expr(dim)[1]
        left = f"coalesce(sum(CASE WHEN {col} = {_lit(a)} THEN {metric} END), 0)"
        right = f"coalesce(sum(CASE WHEN {col} = {_lit(b)} THEN {metric} END), 0)"
        if i.ratio:
            sql = (f"WITH per AS (\n{sql}\n)\nSELECT {left} / nullif({right}, 0) AS ratio\nFROM per")
        else:
            sql = f"WITH per AS (\n{sql}\n)\nSELECT {left} - {right} AS difference\nFROM per"
    return sql


_MEASURE_WORDS = {"sum": "total", "avg": "average", "min": "minimum", "max": "maximum"}


def reading_of(i: "Intent", lex: "Lexicon") -> str:
    """One canonical English sentence of what the SQL computes."""
    base, num = conditions(i, lex)
    m = i.measure
    if m == "rate":
        what = " and ".join(x for x, _ in num if x) or "with severity ERROR or FATAL"
        head = f"share of rows {what} among rows"
    elif m == "distinct" and i.quantity is not None:
        head = f"number of distinct values of {i.quantity.label()} over rows"
    elif m == "distinct":
        head = f"number of distinct {_dim_name(i.field or 'service')} values over rows"
    elif m in ("first", "last"):
        head = f"{'first' if m == 'first' else 'last'} time seen of rows"
    elif i.quantity is not None:
        word = f"{m[1:]}th percentile" if m.startswith("p") else _MEASURE_WORDS.get(m, m)
        head = f"{word} of {i.quantity.label()} over rows"
    elif i.field:
        key = _dim_name(i.field)
        word = f"{m[1:]}th percentile of" if m.startswith("p") else _MEASURE_WORDS.get(m, m)
        head = f"{word} {key} over rows"
    else:
        head = "count of rows"
    parts = [x for x, _ in base if x]
    text = head + (" " + " ".join(parts) if parts else "")
    if i.compare:
        text += ", compared between " + " and ".join(label for label, _, _ in i.compare)
    if i.ratio_parts:
        a, b = (" ".join(x for x, _ in conditions(p, lex)[0] if x) or "all rows"
                for p in i.ratio_parts)
        text = text.replace("count of rows", f"ratio of rows {a} to rows {b} among rows", 1)
    if i.ratio_values:
        key, a, b = i.ratio_values
        text = text.replace("count of rows", f"ratio of rows where {key} is {a} to rows where {key} is {b}", 1)
    if i.difference:
        text += f", {i.difference[1]} {'divided by' if i.ratio else 'minus'} {i.difference[2]}"
    elif i.group:
        text += ", per " + " and ".join(
            i.slot_dims[d].label().replace("the number marked", "the value marked")
            if d in i.slot_dims else _dim_name(d) for d in i.group)
    if i.top is not None and i.group:
        text += f", {'bottom' if i.direction == 'asc' else 'top'} {i.top}"
    return text


def diagnose(cur: Any, parsed: "Parsed", lex: "Lexicon") -> list[str]:
    """Why an answer is empty or zero: which condition alone removes every row.

    Each condition is dropped in turn and the rest counted; the note names the condition
    and what the data holds instead (for severities and values: what the scope has).
    """
    i = parsed.intent
    base, num = conditions(i, lex)
    conds = [c for c in base + num if c[0]]
    if not conds:
        return []
    notes = []
    for k, (label, _) in enumerate(conds):
        rest = [s for j, (_, s) in enumerate(conds) if j != k]
        where = (" WHERE " + " AND ".join(rest)) if rest else ""
        try:
            n = cur.execute(f"SELECT count(*) FROM logs{where}").fetchone()[0]
        except Exception:  # noqa: BLE001 - a hint must never break the answer
            continue
        if n:
            extra = ""
            if label.startswith("with severity"):
                have = cur.execute(f"SELECT severity, count(*) FROM logs{where} GROUP BY 1 "
                                   "ORDER BY 2 DESC").fetchall()
                extra = "; it has " + ", ".join(f"{s} ({c:,})" for s, c in have)
            elif label.startswith("where "):
                key = label.split()[1]
                have = cur.execute(f"SELECT {ctx(key)}, count(*) FROM logs{where} GROUP BY 1 "
                                   "ORDER BY 2 DESC LIMIT 5").fetchall()
                extra = f"; {key} there is " + ", ".join(f"{v} ({c:,})" for v, c in have)
            notes.append(f"no rows {' '.join(x for x, _ in conds)}: without "
                         f"'{label}' there are {n:,}{extra}")
    return notes or [f"no rows {' '.join(x for x, _ in conds)} (each condition alone leaves "
                     "none either)"] if conds else []


def is_empty(frame: Any) -> bool:
    """No rows, or one row whose value is 0 or missing (a count that found nothing)."""
    if len(frame) == 0:
        return True
    if len(frame) == 1 and frame.shape[1] >= 1:
        v = frame.iloc[0, -1]
        try:
            return v is None or v != v or float(v) == 0.0
        except (TypeError, ValueError):
            return False
    return False
