"""Plain English -> read-only SQL with no model: a small semantic parser over slots.

Why a parser and not a model: the product must answer the questions analysts ask most
("how many errors in May", "which service failed most", "top source IPs blocked by the
firewall") offline, exactly, and must say so when it does not understand instead of
guessing. Each phrase pattern (see :mod:`nl_grammar`) fills a slot of an :class:`Intent`
and consumes its words; any word left that is not filler makes the parser refuse with the
nearest supported forms (:class:`NotUnderstood`).

Relative times ("last 24 hours", "yesterday", "today", "since 10:00", "in May") are
relative to ``now``, a naive UTC datetime that defaults to the real clock and that tests
pass explicitly (the demo estate's end time). "since 10:00" means the latest 10:00 at or
before ``now``; a date without a year is its latest occurrence at or before ``now``; a
date-only end bound ("between May 30 and May 31") includes that whole day.

Conventions: "errors" means severity ERROR or FATAL (at least ERROR); "warnings" WARN.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from dataclasses import dataclass, field
from typing import Any

import duckdb

from ..errors import LogPilotError
from . import nl_grammar as g


class NotUnderstood(LogPilotError):
    """The question has words the parser cannot place; nothing was guessed."""

    def __init__(self, question: str, unknown: list[str], suggestions: list[str],
                 reason: str = "") -> None:
        self.question = question
        self.unknown = unknown
        self.suggestions = suggestions
        what = reason or ("I do not understand " + ", ".join(repr(w) for w in unknown))
        forms = "; ".join(suggestions)
        super().__init__(f"{what} in {question!r}. Questions I can answer look like: {forms}. "
                         "Or write SQL, or configure a model (%config LogPilot.llm).")


@dataclass
class Vocabulary:
    """What the workspace holds that words can refer to: services, hosts, context keys."""

    services: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    keys: dict[str, dict[str, int]] = field(default_factory=dict)

    @classmethod
    def from_cursor(cls, cur: duckdb.DuckDBPyConnection, sample: int = 300_000) -> "Vocabulary":
        """Read services, hosts and context keys per service (keys from a bounded sample)."""
        services = [r[0] for r in cur.execute(
            "SELECT DISTINCT service_name FROM logs ORDER BY 1").fetchall()]
        hosts = [r[0] for r in cur.execute(
            "SELECT DISTINCT host FROM logs WHERE host IS NOT NULL ORDER BY 1").fetchall()]
        keys: dict[str, dict[str, int]] = {}
        for svc, key, n in cur.execute(
                f"SELECT service_name, k, count(*) FROM (SELECT service_name, "
                f"unnest(json_keys(context)) AS k FROM (SELECT service_name, context FROM logs "
                f"USING SAMPLE reservoir({int(sample)} ROWS) REPEATABLE (7))) GROUP BY ALL"
                ).fetchall():
            keys.setdefault(svc, {})[key] = n
        return cls(services, hosts, keys)

    def key_for(self, slot: str, services: list[str]) -> str | None:
        """The context key that holds ``slot`` (e.g. src_ip -> SRC) for these services."""
        pools = [self.keys.get(s, {}) for s in services] or list(self.keys.values())
        for cand in g.CONTEXT_SLOTS.get(slot, (slot,)):
            if any(cand in p for p in pools):
                return cand
        return None


@dataclass
class Intent:
    """The meaning of a question, slot by slot; :func:`build_sql` turns it into SQL."""

    measure: str = "count"  # count | rate | distinct
    distinct_slot: str | None = None
    severities: tuple[str, ...] = ()
    services: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    group: list[str] = field(default_factory=list)
    lo: dt.datetime | None = None
    hi: dt.datetime | None = None
    texts: list[str] = field(default_factory=list)
    filters: list[tuple[str, str]] = field(default_factory=list)
    top: int | None = None
    special: str | None = None
    requests: bool = False


@dataclass
class Parsed:
    """A parsed question: its intent and the SQL that answers it."""

    question: str
    intent: Intent
    sql: str


# ------------------------------------------------------------------- times
def _year_for(month: int, day: int, now: dt.datetime) -> int:
    year = now.year
    return year if dt.datetime(year, month, day) <= now else year - 1


def parse_date(text: str, now: dt.datetime) -> tuple[dt.datetime, bool]:
    """A DATETIME phrase -> (naive UTC datetime, has_time_of_day)."""
    text = text.strip().lower().replace(",", " ")
    tm = re.search(g.TIME, text)
    t = dt.time(*map(int, tm.group(0).split(":"))) if tm else None
    body = (text[:tm.start()] + text[tm.end():]).replace(" at ", " ").strip() if tm else text
    if not body:
        base = dt.datetime.combine(now.date(), t or dt.time())
        return (base if base <= now else base - dt.timedelta(days=1)), True
    m = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", body)
    if m:
        d = dt.date(int(m[1]), int(m[2]), int(m[3]))
    else:
        words = re.sub(r"(\d)(st|nd|rd|th)\b", r"\1", body).replace(" of ", " ").split()
        month = next(g.MONTHS[w] for w in words if w in g.MONTHS)
        nums = [int(w) for w in words if w.isdigit()]
        day = next(n for n in nums if n <= 31)
        year = next((n for n in nums if n > 31), None) or _year_for(month, day, now)
        d = dt.date(year, month, day)
    return dt.datetime.combine(d, t or dt.time()), t is not None


def _month_range(month: int, year: int | None, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    if year is None:
        year = now.year if dt.datetime(now.year, month, 1) <= now else now.year - 1
    lo = dt.datetime(year, month, 1)
    hi = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return lo, hi


_UNITS = {"minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1),
          "day": dt.timedelta(days=1), "week": dt.timedelta(weeks=1)}


class _Text:
    """The question being consumed: matched spans are blanked out."""

    def __init__(self, s: str) -> None:
        self.s = f" {s} "

    def take(self, pattern: str, flags: int = 0) -> re.Match[str] | None:
        m = re.search(pattern, self.s, flags)
        if m:
            self.s = self.s[:m.start()] + " " * (m.end() - m.start()) + self.s[m.end():]
        return m

    def take_all(self, pattern: str) -> list[re.Match[str]]:
        out = []
        while (m := self.take(pattern)) is not None:
            out.append(m)
        return out


def _set_range(intent: Intent, lo: dt.datetime, hi: dt.datetime, q: str) -> None:
    if intent.lo is not None or intent.hi is not None:
        raise NotUnderstood(q, [], g.SUPPORTED_FORMS[:4], "two time ranges")
    intent.lo, intent.hi = lo, hi


def _times(t: _Text, intent: Intent, now: dt.datetime, q: str) -> None:
    D = g.DATETIME
    m = t.take(rf"\b(?:between|from)\s+({D})\s+(?:and|to|until)\s+({D})\b")
    if m:
        lo, _ = parse_date(m[1], now)
        hi, has_t = parse_date(m[2], now)
        _set_range(intent, lo, hi if has_t else hi + dt.timedelta(days=1), q)
    m = t.take(rf"\b(?:since|after|from)\s+({D})\b")
    if m:
        _set_range(intent, parse_date(m[1], now)[0], now, q)
    m = t.take(rf"\b(?:in|during|over|for|within)?\s*(?:the\s+)?(?:last|past|previous)\s+"
               rf"(?:({g._NUM})\s+)?(minute|hour|day|week)s?\b")
    if m:
        n = g.number(m[1]) if m[1] else 1
        _set_range(intent, now - n * _UNITS[m[2]], now, q)
    m = t.take(r"\b(yesterday|today)\b")
    if m:
        day = dt.datetime.combine(now.date(), dt.time())
        lo = day - dt.timedelta(days=1) if m[1] == "yesterday" else day
        _set_range(intent, lo, lo + dt.timedelta(days=1), q)
    m = t.take(rf"\b(?:on|for|at)?\s*({g.DATE})\b")
    if m:
        lo, _ = parse_date(m[1], now)
        _set_range(intent, lo, lo + dt.timedelta(days=1), q)
    m = t.take(rf"\b(?:in|during|for|of)?\s*({g._MON})(?:\s+(\d{{4}}))?\b")
    if m:
        year = int(m[2]) if m[2] else None
        _set_range(intent, *_month_range(g.MONTHS[m[1]], year, now), q)


# ------------------------------------------------------------------- parse
def parse(question: str, vocab: Vocabulary, now: dt.datetime | None = None) -> Parsed:
    """Parse ``question`` into SQL over ``logs``; raise :class:`NotUnderstood` otherwise."""
    now = now or dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    intent = Intent()
    quoted = [next(x for x in m.groups() if x) for m in g.QUOTED.finditer(question)]
    intent.texts = quoted
    rest = g.QUOTED.sub(" ", question).lower()
    rest = re.sub(r"[?!;()]", " ", rest).replace("’", "'").replace("'s ", " ")
    t = _Text(rest)
    _times(t, intent, now, question)
    _specials(t, intent, vocab)
    _filters(t, intent)
    _groups(t, intent)
    _entities(t, intent, vocab)
    for pattern, levels in g.SEVERITY_WORDS:
        if t.take(rf"\b(?:{pattern})\b") and intent.measure != "rate":
            intent.severities = tuple(dict.fromkeys(intent.severities + levels))
    left = [w for w in re.findall(r"[a-z0-9_.:'-]+", t.s)
            if w.strip(".:'-") and w.strip(".:'-") not in g.FILLER]
    if left:
        near = difflib.get_close_matches(question.lower(), g.SUPPORTED_FORMS, n=3, cutoff=0.0)
        raise NotUnderstood(question, left, near)
    return Parsed(question, intent, build_sql(intent, vocab))


def _specials(t: _Text, intent: Intent, vocab: Vocabulary) -> None:
    if t.take(r"\b(?:blocked|denied|dropped)\s+by\s+(?:the\s+)?(?:firewall|ufw)\b|"
              r"\b(?:firewall|ufw)\s+(?:blocks?|blocked|denied|drops?)\b|"
              r"\b(?:blocked|blocks?|denied)\b(?:\s+by\s+(?:the\s+)?(?:firewall|ufw))?"):
        intent.special = "blocked"
    if t.take(r"\bfailed\s+(?:ssh\s+|sshd\s+)?(?:log\s?ins?|logons?|login attempts|passwords?|"
              r"authentications?)\b|\b(?:ssh\s+)?log\s?in failures\b|\bfailed\s+to\s+log\s+in\b"):
        intent.special = "failed_login"
    if t.take(r"\b(?:error|failure)\s+(?:rate|ratio|percentage|share)s?\b|"
              r"\b(?:rate|ratio|percentage|share|proportion)\s+of\s+(?:errors|failures)\b"):
        intent.measure = "rate"
        intent.severities = ("ERROR", "FATAL")
    m = t.take(r"\b(?:unique|distinct|different)\s+(users?|customers?|ips?|ip addresses|"
               r"source ips?|orders?)\b")
    if m:
        intent.measure = "distinct"
        word = m[1]
        intent.distinct_slot = ("user" if word.startswith(("user", "customer")) else
                                "order" if word.startswith("order") else "src_ip")
    if t.take(r"\btrend\b|\bover\s+time\b|\btimeline\b"):
        intent.group.append("hour")


def _filters(t: _Text, intent: Intent) -> None:
    for m in t.take_all(r"\b(?:status(?:\s+code)?|http|code)\s+(\d{3}|\dxx)\b(?:\s+(?:errors?|"
                        r"responses?|codes?))?|\b(\d{3}|\dxx)\s+(?:errors?|responses?|"
                        r"status(?:\s+codes?)?|codes?)\b"):
        intent.filters.append(("status", m[1] or m[2]))
    if t.take(r"\b(?:http\s+)?(?:requests|responses|hits)\b"):
        intent.requests = True
    for m in t.take_all(r"\b(?:destination\s+|dst\s+|dest\s+)?port\s+(\d{1,5})\b"):
        intent.filters.append(("port", m[1]))
    for m in t.take_all(rf"\b(?:from|by|src|source|source ip|ip|client)\s+({g.IPV4})\b|\b({g.IPV4})\b"):
        intent.filters.append(("src_ip", m[1] or m[2]))
    for m in t.take_all(r"\b(?:order\s+)?(ord-\d+)\b"):
        intent.filters.append(("order", m[1].upper()))
    for m in t.take_all(r"\b(?:user\s+)(u\d+)\b"):
        intent.filters.append(("user", m[1]))
    if intent.texts:  # the quoted text was lifted out already; its verb stays behind
        t.take_all(r"\b(?:containing|contains|mentioning|matching|with text|saying|with)\b\s*$|"
                   r"\b(?:containing|contains|mentioning|matching|with text|saying)\b")
    for m in t.take_all(r"\b(?:containing|mentioning|matching|like|with text|saying|about)\s+"
                        r"([a-z0-9_./-]+)"):
        intent.texts.append(m[1])


def _groups(t: _Text, intent: Intent) -> None:
    D = g.dim_phrase()
    m = t.take(rf"\btop\s+(?:({g._NUM})\s+)?(?:most\s+(?:common|frequent)\s+)?({D})\b")
    if m:
        intent.top = g.number(m[1]) if m[1] else 10
        intent.group.append(g.dimension_of(m[2]) or "")
    m = t.take(rf"\b(?:the\s+)?(?:({g._NUM})\s+)?most\s+(?:(?:common|frequent|active|noisy)\s+)?({D})\b")
    if m:
        intent.top = g.number(m[1]) if m[1] else 10
        intent.group.append(g.dimension_of(m[2]) or "")
    m = t.take(rf"\b(?:which|what)\s+({D})\b")
    if m:
        dim = g.dimension_of(m[1]) or ""
        intent.group.append(dim)
        if intent.top is None:
            plural = m[1].endswith("s") and dim not in ("status",)
            intent.top = 10 if plural else 1
    for m in t.take_all(rf"\b(?:grouped\s+by|broken\s+down\s+by|split\s+by|by|per|for\s+each|"
                        rf"for\s+every|each|every|across)\s+({D})\b"):
        intent.group.append(g.dimension_of(m[1]) or "")
    m = t.take(rf"\b({D})\s+breakdown\b|\bbreakdown\s+(?:of|by)\s+({D})\b")
    if m:
        intent.group.append(g.dimension_of(m[1] or m[2]) or "")
    m = t.take(rf"\btop\s+({g._NUM})\b")
    if m and intent.top is None:
        intent.top = g.number(m[1])
    for m in t.take_all(r"\b(hourly|daily|monthly)\b"):
        intent.group.append(g.PERIOD_ADVERBS[m[1]])
    intent.group = [d for d in dict.fromkeys(intent.group) if d]
    if len([d for d in intent.group if d in ("hour", "day", "month")]) > 1:
        intent.group = [d for d in intent.group if d != "hour"]


def _entities(t: _Text, intent: Intent, vocab: Vocabulary) -> None:
    for svc in sorted(vocab.services, key=len, reverse=True):
        if t.take(rf"\b{re.escape(svc.lower())}s?\b(?:\s+(?:service|app))?"):
            intent.services.append(svc)
    for word, svc in g.SERVICE_SYNONYMS.items():
        if svc in vocab.services and svc not in intent.services and t.take(rf"\b{word}\b"):
            intent.services.append(svc)
    for host in sorted(vocab.hosts, key=len, reverse=True):
        if t.take(rf"(?<![\w.-]){re.escape(host.lower())}(?![\w.-])(?:\s+host)?"):
            intent.hosts.append(host)
    if intent.special == "blocked" and "firewall" in vocab.services and not intent.services:
        intent.services.append("firewall")
    if intent.special == "failed_login" and "sshd" in vocab.services and not intent.services:
        intent.services.append("sshd")


# --------------------------------------------------------------------- SQL
def _lit(v: str) -> str:
    return "'" + v.replace("'", "''") + "'"


def _ctx(vocab: Vocabulary, slot: str, services: list[str]) -> str:
    key = vocab.key_for(slot, services)
    if key is not None:
        # Parenthesised: in DuckDB ``a AND context->>'k' = v`` binds as ``(a AND context)->>...``.
        return f"(context->>{_lit(key)})"
    if slot == "src_ip":
        return r"nullif(regexp_extract(message, '(\d{1,3}(?:\.\d{1,3}){3})', 1), '')"
    raise LogPilotError(f"no field in context holds {slot.replace('_', ' ')} for "
                        f"{', '.join(services) or 'these logs'}")


def _dim_expr(dim: str, vocab: Vocabulary, services: list[str]) -> tuple[str, str]:
    simple = {"service": "service_name", "severity": "severity", "template": "body",
              "host": "host", "source": "source"}
    if dim in simple:
        return simple[dim], dim if dim != "service" else "service_name"
    if dim == "hour":
        return "date_trunc('hour', timestamp)", "hour"
    if dim == "day":
        return "CAST(timestamp AS DATE)", "day"
    if dim == "month":
        return "strftime(timestamp, '%Y-%m')", "month"
    return _ctx(vocab, dim, services), dim


def build_sql(intent: Intent, vocab: Vocabulary) -> str:
    """The SQL of an intent: one SELECT over ``logs``, aggregation in DuckDB."""
    where: list[str] = []
    services = intent.services
    if services:
        where.append(f"service_name IN ({', '.join(map(_lit, services))})")
    if intent.hosts:
        where.append(f"host IN ({', '.join(map(_lit, intent.hosts))})")
    if intent.severities and intent.measure != "rate":
        where.append(f"severity IN ({', '.join(map(_lit, intent.severities))})")
    if intent.lo is not None:
        where.append(f"timestamp >= TIMESTAMP '{intent.lo:%Y-%m-%d %H:%M:%S}'")
    if intent.hi is not None:
        where.append(f"timestamp < TIMESTAMP '{intent.hi:%Y-%m-%d %H:%M:%S}'")
    for text in intent.texts:
        where.append(f"(body ILIKE {_lit('%' + text + '%')} OR message ILIKE {_lit('%' + text + '%')})")
    if intent.special == "blocked":
        if vocab.key_for("action", services):
            where.append("(context->>'action') ILIKE '%BLOCK%'")
        else:
            where.append("(message LIKE '%BLOCK%' OR message ILIKE '%denied%')")
    if intent.special == "failed_login":
        where.append("message LIKE 'Failed password%'")
    if intent.requests or "status" in intent.group or any(f[0] == "status" for f in intent.filters):
        # A status code is a property of an HTTP request: count access-log rows only.
        where.append(f"{_ctx(vocab, 'method', services)} IS NOT NULL")
    for slot, value in intent.filters:
        expr = _ctx(vocab, slot, services)
        if value.endswith("xx"):
            where.append(f"{expr} LIKE {_lit(value[0] + '%')}")
        else:
            where.append(f"{expr} = {_lit(value)}")
    dims = [_dim_expr(d, vocab, services) for d in intent.group]
    for expr, _ in dims:
        if "context" in expr or expr == "host":
            where.append(f"{expr} IS NOT NULL")
    if intent.measure == "rate":
        levels = ", ".join(map(_lit, intent.severities or ("ERROR", "FATAL")))
        agg = f"avg(CASE WHEN severity IN ({levels}) THEN 1.0 ELSE 0.0 END) AS error_rate"
        metric = "error_rate"
    elif intent.measure == "distinct":
        expr = _ctx(vocab, intent.distinct_slot or "user", services)
        metric = f"distinct_{intent.distinct_slot}s"
        agg = f"count(DISTINCT {expr}) AS {metric}"
    else:
        agg, metric = "count(*) AS records", "records"
    select = ", ".join([f"{e} AS {a}" for e, a in dims] + [agg])
    sql = f"SELECT {select}\nFROM logs"
    if where:
        sql += "\nWHERE " + "\n  AND ".join(where)
    if dims:
        sql += "\nGROUP BY ALL"
        timeish = [a for _, a in dims if a in ("hour", "day", "month")]
        if intent.top is not None:
            keys = ", ".join(a for _, a in dims)
            sql += f"\nORDER BY {metric} DESC, {keys}\nLIMIT {intent.top}"
        elif timeish:
            sql += "\nORDER BY " + ", ".join(a for _, a in dims)
        else:
            sql += f"\nORDER BY {metric} DESC, " + ", ".join(a for _, a in dims)
    return sql


def answer_kind(parsed: Parsed) -> dict[str, Any]:
    """How the question was read, for display under the SQL (slots that were filled)."""
    i = parsed.intent
    out: dict[str, Any] = {"measure": i.measure}
    for name in ("severities", "services", "hosts", "group", "texts", "filters", "top", "special"):
        value = getattr(i, name)
        if value:
            out[name] = list(value) if isinstance(value, (tuple, list)) else value
    if i.lo or i.hi:
        out["time"] = [x.isoformat() if x else None for x in (i.lo, i.hi)]
    return out
