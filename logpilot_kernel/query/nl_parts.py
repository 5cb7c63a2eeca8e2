"""Reading the parts of a question that are not filters: measures, ranking, grouping.

Why apart from :mod:`nl`: these readers consume the cue words of a question ("average
...", "top 3 ...", "by hour", "which X", "the busiest day") and resolve the dimension or
field they name through the lexicon; :mod:`nl` runs them in turn, and :mod:`nl_filters` links
what is left.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from . import nl_grammar as g
from . import nl_link as L
from . import nl_quantity as Q
from .lexicon import Lexicon
from .nl_filters import _key_unit
from .nl_filters import key_services as _key_services
from .nl_time import Text as _Text
from .nl_dims import (_add_group, _blank_words, _context_words, _dim, _in_one_template,
                      _param_over_key, _slot_dim, _take_dim, _ungrounded)

if TYPE_CHECKING:  # pragma: no cover
    from .nl import Intent


_WORDS = r"([a-z0-9_][a-z0-9_./:@-]*(?:\s+[a-z0-9_][a-z0-9_./:@-]*){0,2})"
_WORDS5 = r"([a-z0-9_][a-z0-9_./:@-]*(?:\s+[a-z0-9_][a-z0-9_./:@-]*){0,4})"


_AGG = {"average": "avg", "avg": "avg", "mean": "avg", "median": "p50", "total": "sum",
        "sum": "sum", "max": "max", "maximum": "max", "highest": "max", "largest": "max",
        "longest": "max", "slowest": "max", "peak": "max", "biggest": "max", "min": "min",
        "minimum": "min", "lowest": "min", "smallest": "min", "shortest": "min", "fastest": "min"}
_AGG_RE = (r"\b(average|avg|mean|median|total|sum|max|maximum|highest|largest|longest|"
           r"slowest|peak|biggest|min|minimum|lowest|smallest|shortest|fastest|"
           r"p(?:50|75|90|95|99)|(?:50|75|90|95|99)(?:th)?\s+percentile)\s+(?:of\s+)?(?:the\s+)?")


def _measures(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]) -> None:
    if t.take(r"\b(?:error|failure|fail)\s+(?:rate|ratio|percentage|share|proportion)s?\b|"
              r"\b(?:rate|ratio|percentage|share|proportion)\s+of\s+(?:errors|failures)\b(?!\s+to\b)"):
        intent.measure = "rate"
        intent.share.append("severity:ERROR,FATAL")
    m = t.take(r"\b(?:what|which)?\s*(?:fraction|percentage|percent|share|proportion|ratio|%)\s+"
               r"of\b(?:\s+(?:the|all))?|\bhow\s+much\s+of\b")
    if m:
        intent.measure = "rate"
        intent.share_at = m.end()
    _implied_statistic(t, intent, lex, scope)
    _implied_sum(t, intent, lex, scope)
    _how_long(t, intent, lex, scope)
    for m in re.finditer(r"\b(?:average|avg|mean|median)\s+(number\s+of)\s+([a-z0-9_]+)", t.s):
        if any(x.info.numeric and x.info.distinct != 1 for x in L.link_key(m.group(2), lex, scope)):
            t.blank(m.start(1), m.end(1))  # "average number of X", X a numeric field: its mean
    pos = 0
    while intent.field is None and intent.quantity is None and (
            m := re.compile(_AGG_RE + _WORDS5).search(t.s, pos)):
        words = m.group(2).split()
        got = None
        if words[0] in _NOT_A_FIELD:
            pos = m.end(1)
            continue
        words = [L.measure_word(x) for x in words]
        # the field may follow a service or a describing phrase ("p90 of SVC slow-x duration"):
        # up to three words are skipped and left behind for the filters; the last field named
        # before a function word is the head of the phrase ("p95 SVC-ish latency": latency)
        for j in range(0, min(4, len(words))):
            if j and (words[j - 1] in _NOT_A_FIELD or words[j] in L.skip_words()):
                break
            for k in range(min(3, len(words) - j), 0, -1):
                keys = [x for x in L.link_key(" ".join(words[j:j + k]), lex, scope)
                        if x.info.numeric and x.info.distinct != 1]
                if keys:
                    if got is None or j + k > got[1] + got[2]:  # the span ending last wins
                        got = (keys, j, k)
                    break
        if got is None and _quantity_after(t, m, intent, lex, scope):
            break
        if got is not None and (any(x.how == "synonym" for x in got[0]) or any(
                a != b for a, b in zip(words, m.group(2).split()))) and _quantity_after(
                t, m, intent, lex, scope, against=_key_services([x.info for x in got[0]])):
            break  # "average search time": the field was only a synonym, the text says more
        if got is None:
            if re.fullmatch(_STRICT_AGG, m.group(1)) and intent.ungrounded is None:
                # a percentile or mean of something that is not a number: never count rows
                # instead (a silent wrong answer); the parser refuses, naming numeric fields
                intent.ungrounded = (m.group(1), _ungrounded(m.group(1), m.group(2), lex, scope))
            pos = m.end(1)
            continue
        keys, j, k = got
        intent.measure = _stat_of(m.group(1))
        intent.field = keys[0].info.name
        intent.key_services[intent.field] = _key_services(
            [x.info for x in keys if x.info.name == intent.field])
        t.blank(m.start(), m.start(2))
        skipped = re.compile(r"(?:\S+\s+){%d}" % j).match(t.s, m.start(2))
        _blank_words(t, skipped.end() if skipped else m.start(2), k)
        _field_answer_unit(t, intent.field)
        break
    m = t.take(r"\b(?:how\s+many|number\s+of|count\s+of|count)?\s*(?:unique|distinct|different)\s+")
    if m:
        pos = m.start()
        words = t.s[m.end():].split()[:5]
        got, skip = None, 0
        for skip in range(0, min(3, len(words))):  # "distinct ADJ FIELD": the modifier stays
            if skip and words[skip - 1] in L.skip_words():
                break
            got = _dim(words[skip:skip + 3], lex, scope, counting=True, head=bool(skip))
            if got and skip and not (got[0].startswith("ctx:") and L.stem(got[0][4:]) == L.stem(
                    words[skip])):  # after a modifier only a field named as written
                got = None
            if got:
                break
        if got and _param_over_key(t, words[skip:skip + got[1]], got[0], intent, lex, scope) and \
                _distinct_param(t, m.end(), words, intent, lex, scope):
            intent.alternatives.append(f"distinct {got[0][4:]} values instead of the template's")
        elif got:
            dim, k, infos = got
            pre = re.compile(r"(?:\S+\s+){%d}" % skip).match(t.s, m.end()) if skip else None
            _blank_words(t, pre.end() if pre else m.end(), k)
            intent.measure, intent.field = "distinct", dim
            if infos:
                intent.key_services[dim[4:]] = _key_services(infos)
        elif words and _distinct_param(t, m.end(), words, intent, lex, scope):
            pass
        elif intent.ungrounded is None and words:
            # "how many different X" where X is no field: counting rows instead would be a
            # silent wrong answer, so the parser refuses and names the fields in scope
            names = sorted({ki.name for ki in lex.key_infos(scope) if ki.distinct != 1})[:6]
            intent.ungrounded = (m.group(0).strip(), (
                f"{' '.join(words[:3])!r} names no field to count distinct values of"
                f"{' in ' + ', '.join(scope) if scope else ''} (fields: {', '.join(names) or 'none'})"))
    else:
        m = re.search(r"\b(?:how\s+many|number\s+of)\s+" + _WORDS, t.s)
        if m:
            words = m.group(1).split()
            got = _dim(words, lex, scope, counting=True)
            rest = t.s[m.end(1):].split()[:2]
            phrase = got is not None and any(_in_one_template(words[got[1] - 1], x, lex)
                                             for x in (words[got[1]:] + rest)[:2])
            head = words[got[1] - 1] if got else ""
            plural = head.endswith("s") and not head.endswith(("ss", "us"))
            if got and not phrase and (got[2] and (got[2][0].kind in ("id", "ip") or plural)
                                       or got[0] in ("service", "host", "source")):
                dim, k, infos = got
                t.blank(m.start(), m.start(1))
                _blank_words(t, m.start(1), k)
                intent.measure, intent.field = "distinct", dim
                if infos:
                    intent.key_services[dim[4:]] = _key_services(infos)
                if (plural and infos and infos[0].numeric and dim.startswith("ctx:")
                        and (m2 := re.search(_TOTAL, t.s))):  # "how many bytes ... in total"
                    intent.measure, intent.field = "sum", dim[4:]
                    t.blank(m2.start(), m2.end())
                    intent.alternatives.append("number of distinct values instead of their sum")
                else:
                    intent.alternatives.append("count of rows instead of distinct values")
    for measure, rx in _FIRST_LAST:
        m = re.search(rx, t.s)
        if m:
            intent.measure = measure
            for tok in re.finditer(r"\S+", m.group(0)):
                if tok.group(0) in _WHEN_WORDS or tok.group(0).startswith(
                        ("appear", "occur", "report", "happen")):
                    t.blank(m.start() + tok.start(), m.start() + tok.end())
            break


def _distinct_param(t: _Text, start: int, words: list[str], intent: "Intent", lex: Lexicon,
                    scope: list[str]) -> bool:
    """"how many distinct product IDs ...": no field holds them, a template parameter the
    noun stands right before does ("Product <*> not found"); its distinct values."""
    named = []
    for w in words[:3]:
        if w in _STOP or (w in L.skip_words() and named):
            break
        if L.link_service(w, lex) or w in L.skip_words():
            continue
        named += [x for x in w.split("-") if x]
    if not named:
        return False
    q = Q.find_param(named, _context_words(t, intent), lex, scope)
    if q is None:
        return False
    intent.measure, intent.quantity = "distinct", q
    _blank_words(t, start, len(words[:len(named)]) if len(named) <= len(words) else 1)
    for x in q.notes:
        intent.notes.append(x)
    return True


def _stat_of(word: str) -> str:
    pm = re.match(r"p?(\d\d)", word)
    return f"p{pm.group(1)}" if pm else _AGG[word]


_STOP = frozenset("of for in on at by from per to the a an and or with than".split())


def _quantity_after(t: _Text, m: re.Match, intent: "Intent", lex: Lexicon, scope: list[str],
                    against: list[str] | None = None) -> bool:
    """"p95 latency of X", "longest GC pause": a statistic of a number written in the
    message text, when no field carries it; the words after the statistic name the slot
    (by the template's words before it or by the quantity's family). ``against``: the
    services of a field linked by synonym only; the number of the text wins over it when
    the question's own words are in its template and that field is not logged there."""
    named = []
    for w in m.group(2).split()[:4]:
        if w in _STOP:
            if named:
                break
            continue
        if L.link_service(w, lex) or L.sources_named(w, lex):
            continue
        if w not in L.skip_words() or len(w) > 4 or Q.family_of(w):
            named += [x for x in w.split("-") if x]
    fam = None if any(Q.family_of(w) for w in named) else Q.family_of(m.group(1))
    q = Q.find(named[:4], _context_words(t, intent), lex, scope, family=fam) if named else None
    if q is None or (against is not None and (q.own < 1 or {
            s.service for s in q.slots} & set(against))):
        return False
    if fam is not None and not q.by_name and q.score < 1:
        return False  # "the largest X" with X (nor a synonym) in no template: a ranking
    intent.measure, intent.quantity = _stat_of(m.group(1)), q
    intent.notes += [x for x in q.notes if x not in intent.notes]
    t.blank(m.start(), m.start(2))
    _answer_unit(t, q)
    _blank_quantity_words(t, q, m.start(2), m.end(2))
    return True


def _blank_quantity_words(t: _Text, q: "Q.Quantity", start: int, end: int) -> None:
    """Blank the words of ``t.s[start:end]`` that named the quantity (its family, a unit,
    or a template word right before the slot); the others stay for the filters."""
    before = {x for s in q.slots for x in (*s.before, s.after) if x}
    for tok in list(re.finditer(r"[a-z][a-z0-9_]*", t.s[start:end])):
        w = tok.group(0)
        if Q.family_of(w) or Q.unit(w) or (L.synonyms(w) | {L.stem(w)}) & before:
            t.blank(start + tok.start(), start + tok.end())


def _field_answer_unit(t: _Text, field: str) -> None:
    """"in ms" at the end of a statistic of a field whose name states that unit
    ("lag_ms"): the answer is already in it, so the words are no text filter."""
    m = re.search(rf"\b(?:in|as)\s+({Q.unit_rx()})(?![\w%])", t.s)
    u = Q.unit(m.group(1)) if m else None
    if u and _key_unit(field, u[0]) == u:
        t.blank(m.start(), m.end())


def _answer_unit(t: _Text, q: "Q.Quantity") -> None:
    """"in ms", "(milliseconds)" at the end: the unit the answer is given in."""
    rx = Q.unit_rx()
    m = re.search(rf"\b(?:in|as)\s+({rx})(?![\w%])", t.s) or re.search(
        rf"(?<![\w.])({rx})\s*$", t.s)
    if m and Q.in_unit(q, m.group(1)):
        t.blank(m.start(), m.end())


_HOW_LONG = re.compile(r"\bhow\s+long\b")
_HOW_LONG_STAT = (r"\bon\s+average\b|\b(?:average|avg|mean|median|typical(?:ly)?|longest|"
                  r"max(?:imum)?|shortest|min(?:imum)?|p(?:50|75|90|95|99))\b")


def _how_long(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]) -> None:
    """"how long did X take (on average)": a time written in the message text of X's
    templates (a field of durations is read by the statistic's own path)."""
    m = _HOW_LONG.search(t.s)
    if not m or intent.field is not None or intent.quantity is not None:
        return
    q = Q.find([], _context_words(t, intent), lex, scope, family="time")
    keys = [x for x in L.link_key("duration", lex, scope) if x.info.numeric
            and x.info.distinct != 1]
    if keys and (q is None or q.own < 1 or {s.service for s in q.slots} & {
            x.info.service for x in keys}):
        q = None  # a field of durations where the question points: the measure reads it
    elif q is None:
        if intent.ungrounded is None:  # never a row count instead of a time
            where = f" of {' or '.join(scope)}" if scope else ""
            intent.ungrounded = ("how long", f"no template the question's words name{where} "
                                 "carries a time, in a field or in its message text ('how long')")
        return
    t.blank(m.start(), m.end())
    stat = re.search(_HOW_LONG_STAT, t.s)
    word = (stat.group(0) if stat else "average").split()[-1]
    word = {"typical": "median", "typically": "median"}.get(word, word)
    intent.measure = _stat_of(word)
    if q is not None:
        intent.quantity = q
    else:
        intent.field = keys[0].info.name
        intent.key_services[intent.field] = _key_services(
            [x.info for x in keys if x.info.name == intent.field])
        _field_answer_unit(t, intent.field)
    if stat:
        t.blank(stat.start(), stat.end())
    else:
        intent.alternatives.append("the longest instead of the average")
    t.take_all(r"\b(?:take|took|taken|takes|taking|last|lasted)\b")
    if q is not None:
        _answer_unit(t, q)


def _implied_statistic(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]) -> None:
    """"the cheapest one": an adjective that is the min or max of the quantity it implies,
    when a numeric field of the services in scope carries that quantity."""
    table = L.superlatives()
    if not table:
        return
    rx = r"\b(" + "|".join(re.escape(k).replace("\\ ", r"\s+") for k in sorted(
        table, key=len, reverse=True)) + r")\b"
    m = re.search(rx, t.s)
    if not m:
        return
    stat, quantity = table[re.sub(r"\s+", " ", m.group(1))]
    keys = [x for x in L.link_key(quantity, lex, scope) if x.info.numeric and x.info.distinct != 1]
    if not keys:
        return
    intent.measure, intent.field = stat, keys[0].info.name
    intent.key_services[intent.field] = _key_services(
        [x.info for x in keys if x.info.name == intent.field])
    t.blank(m.start(), m.end())


def _implied_sum(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]) -> None:
    """"revenue on Thursday", "revenue difference A vs B": a noun that is a sum by its
    meaning, with no statistic and no count asked, is the sum of the numeric field it
    names (a row count of the templates with "price" in them would be silently wrong)."""
    words = L.implied_sums()
    if not words or intent.measure != "count" or intent.field is not None or intent.quantity is not None:
        return
    m = re.search(r"\b(" + "|".join(map(re.escape, words)) + r")\b", t.s)
    if not m or re.search(r"\bhow\s+many\b|\bnumber\s+of\b|\bcount\b|\b(?:" + _STRICT_AGG + r"|total|sum|"
                          r"max|min|maximum|minimum|highest|lowest)\b", t.s):
        return
    keys = [x for x in L.link_key(m.group(1), lex, scope) if x.info.numeric and x.info.distinct != 1]
    if not keys:
        return
    # the sum of transactions: a field logged with a transaction's id before one without
    # ("grand_total" of the sales before a "total" of a maintenance report)
    names = list(dict.fromkeys(x.info.name for x in keys))
    per = {n: _key_services([x.info for x in keys if x.info.name == n]) for n in names}
    name = next((n for n in names if _transaction(n, per[n], lex)), names[0])
    intent.measure, intent.field = "sum", name
    intent.key_services[name] = per[name]
    intent.once_per = _transaction(name, per[name], lex)
    t.blank(m.start(), m.end())


def _transaction(field: str, services: list[str], lex: Lexicon
                 ) -> tuple[str, tuple[str, ...], tuple[str, ...]] | None:
    """What a sum by meaning counts once: (the id every record of one transaction carries,
    the levels and template words of a failed one). Why: the same figure is logged at
    each step of a transaction (started, authorised, completed: one sum over them all
    counts it thrice), and a transaction that failed brought nothing in. The id is the
    id-like key every service of the field logs on at least as many rows as the field
    (so it can be on each of them), with the most distinct values (a customer's id
    repeats over their transactions); None when there is none."""
    if not services:
        return None
    per: dict[str, list[Any]] = {}
    for ki in lex.key_infos(services):
        have = lex.info.get((ki.service, field))
        if ki.kind == "id" and have is not None and ki.rows >= have.rows:
            per.setdefault(ki.name, []).append(ki)
    ranked = sorted(((-sum(k.distinct for k in v), name) for name, v in per.items()
                     if {k.service for k in v} >= set(services)))
    if not ranked:
        return None
    levels: tuple[str, ...] = ()
    forms: list[str] = []
    for word, kind in L.table().get("outcomes", {}).items():
        if kind != "failure":
            continue
        levels += tuple(x for x in L.severity_of(word) or () if x not in levels)
        syn = L.synonyms(word)
        forms += [w for w in lex.words if L.stem(w) in syn and w not in forms]
    return ranked[0][1], levels, tuple(sorted(forms))


#: Words that ask for the sum of a counted quantity ("how many bytes ... in total").
_TOTAL = r"\b(?:in\s+total|all\s+told|altogether|combined|summed|in\s+sum)\b"

#: Measure words that name a statistic of a number and nothing else ("highest", "total",
#: "longest" also rank or count rows, so they do not make the parser refuse).
_STRICT_AGG = (r"average|avg|mean|median|p(?:50|75|90|95|99)|(?:50|75|90|95|99)(?:th)?\s+"
               r"percentile")


#: "when did X first ...", "first seen", "the latest ...": the cue words only are consumed.
_FIRST_LAST = [
    ("first", r"\bwhen\s+(?:was|were|is|did)\s+the\s+(?:first|earliest)\b|"
              r"\b(?:what\s+)?time\s+(?:of|was|is)\s+the\s+(?:first|earliest)\b|"
              r"\b(?:when\s+(?:was|were|did|is)\b[^?]*?\b)?(?:first\s+(?:seen|logged|appear\w*|"
              r"occur\w*|time|reported|happen\w*)|earliest)\b|\b(?:when|what\s+time)\s+did\b[^?]*\bfirst\b|"
              r"\bwhen\s+did\b[^?]*\b(?:start|begin|began)\b"),
    ("last", r"\bwhen\s+(?:was|were|is|did)\s+the\s+(?:last|latest|most\s+recent)\b|"
             r"\b(?:what\s+)?time\s+(?:of|was|is)\s+the\s+(?:last|latest|most\s+recent)\b|"
             r"\b(?:when\s+(?:was|were|did|is)\b[^?]*?\b)?(?:last\s+(?:seen|logged|appear\w*|"
             r"occur\w*|time|reported|happen\w*)|latest|most\s+recent(?:ly)?)\b|"
             r"\b(?:when|what\s+time)\s+did\b[^?]*\blast\b|\bwhen\s+did\b[^?]*\b(?:stop|end)\b"),
]
_WHEN_WORDS = frozenset("when what was were is did the first earliest last latest most recent recently "
                        "seen time start begin began stop end".split())


#: The verb that splits a share into its base and its part ("of X were Y").
_PIVOT = re.compile(r"\b(?:are|were|was|is|got|get|returned|return|came|come|ended|had|have|has|"
                    r"targeted|resulted|went|hit|gave|produced|carried|contained|showed)\b")
_NOT_A_FIELD = frozenset("number count of rows records logs lines entries events messages".split())

_DESC = r"most|busiest|noisiest|loudest|biggest|largest|highest|heaviest|worst|chattiest"
_ASC = r"least|fewest|quietest|smallest|lowest|rarest"
#: Superlatives that name the dimension after them ("the busiest day"), not the thing counted.
_BEST = (r"busiest|noisiest|quietest|loudest|chattiest|most\s+active|least\s+active|"
         r"least\s+busy|most\s+talkative")


def _order(t: _Text, intent: "Intent") -> int | None:
    """Top/bottom N and superlatives; the offset right after "top N" (its dimension follows),
    negated after "the least common" (only a head noun there names the dimension)."""
    N = g._NUM
    after = None
    m = t.take(rf"\b(top|first|highest|bottom|lowest)\s+({N})\b")
    if m:
        intent.top = g.number(m[2])
        intent.direction = "asc" if m[1] in ("bottom", "lowest") else "desc"
        after = m.end()
    m = t.take(rf"\b(?:the\s+)?({N})\s+(?:(?:{_DESC})|(?:{_ASC}))\b(?:\s+(?:common|frequent|active|"
               rf"noisy|often|popular))?|\b({N})\s+(?:(?:{_DESC})|(?:{_ASC}))\b")
    if m:
        n = m.group(1) or m.group(2)
        intent.top = g.number(n)
        intent.direction = "asc" if re.search(rf"\b(?:{_ASC})\b", m.group(0)) else "desc"
        after = m.end()
    m = t.take(rf"\b(?:the\s+)?(?:{_ASC})\b(?:\s+(?:common|frequent|often|active|popular))?")
    if m:
        intent.direction = "asc"
        intent.special = intent.special or "superlative"
        after = after if after is not None or not _OF_FREQUENCY.search(m.group(0)) else -m.end()
    m = t.take(rf"\b(?:the\s+)?(?:{_DESC})\b(?:\s+(?:common|frequent|often|active|noisy|popular))?")
    if m:
        intent.special = intent.special or "superlative"
        after = after if after is not None or not _OF_FREQUENCY.search(m.group(0)) else -m.end()
    return after


#: "the least common X": a frequency adjective ranks the noun phrase after it by its rows.
_OF_FREQUENCY = re.compile(r"\b(?:common|frequent|popular)$")


def _dim_after(t: _Text, pos: int, intent: "Intent", lex: Lexicon, scope: list[str],
               head_only: bool = False) -> None:
    """The dimension of "top N [adjectives] X": up to two words may sit between; the head
    noun (the last word before a function word) is preferred ("job failure reasons").
    ``head_only`` ("the least common X"): only a head noun, so a superlative of rows
    ("the most common error") does not become a grouping by a word that follows it."""
    toks = list(re.compile(r"\S+").finditer(t.s, pos))[:5]
    words = [m.group(0) for m in toks]
    np_len = next((n for n, x in enumerate(words) if x in L.skip_words()), len(words))
    for j in range(1 - head_only, min(3, np_len)):
        got = _dim(words[j:np_len], lex, scope)
        if got and j + got[1] == np_len:
            dim, k, infos = got
            for m in toks[j:j + k]:
                t.blank(m.start(), m.end())
            _add_group(intent, dim, infos)
            return
    if head_only:
        return
    for j in range(0, min(3, len(words))):
        if j and words[j - 1] in ("by", "per"):
            return
        got = _dim(words[j:], lex, scope)
        if got and _param_over_key(t, words[j:j + got[1]], got[0], intent, lex, scope):
            slot = _slot_dim(words[j:j + 1], t, intent, lex, scope)  # "top 2 users rejected"
            got = (slot[0], got[1], []) if slot else got
        if got:
            dim, k, infos = got
            for m in toks[j:j + k]:
                t.blank(m.start(), m.end())
            _add_group(intent, dim, infos)
            return
    got = _slot_dim(words[:max(1, min(2, np_len))], t, intent, lex, scope) if words else None
    if got:  # "top 3 categories listed ...": a parameter of the message text
        for m in toks[:got[1]]:
            t.blank(m.start(), m.end())
        _add_group(intent, got[0], [])


def _best_dims(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]) -> None:
    """"the busiest day", "the quietest services": a superlative naming its dimension."""
    m = re.search(rf"\b(?:({g._NUM})\s+)?({_BEST})\s+\S", t.s)
    if not m:
        return
    best = _take_dim(t, re.escape(m.group(2)).replace("\\ ", r"\s+"), intent, lex, scope)
    if best:
        if m.group(1):
            intent.top = g.number(m.group(1))
            t.blank(m.start(1), m.end(1))
        elif intent.top is None:
            intent.top = 10 if best[0][1] else 1
        if re.fullmatch(rf"{_ASC}|least\s+active|least\s+busy", m.group(2)):
            intent.direction = "asc"


def _superlative_of_field(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]) -> None:
    """"the biggest single X ever ... - its weight?": a superlative that ranks nothing, in a
    question naming a numeric field by its exact name, is the max (or min) of that field."""
    for tok in re.finditer(r"[a-z][a-z0-9_]*", t.s):
        word = tok.group(0)
        keys = [x for x in L.link_key(word, lex, scope) if x.how == "exact" and x.info.numeric
                and x.info.distinct != 1 and x.info.name.lower() == word]
        if keys:
            intent.measure = "min" if intent.direction == "asc" else "max"
            intent.field = keys[0].info.name
            intent.key_services[intent.field] = _key_services(
                [x.info for x in keys if x.info.name == intent.field])
            t.blank(tok.start(), tok.end())
            return


def _groups(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str],
            after_top: int | None = None) -> None:
    if after_top is not None:
        _dim_after(t, abs(after_top), intent, lex, scope, head_only=after_top < 0)
    if t.take(r"\bday\s+of\s+(?:the\s+)?week\b"):  # before "by day" takes its first word
        _add_group(intent, "weekday", [])
    by = _take_dim(t, r"grouped\s+by|broken\s+down\s+by|split\s+by|by|per|for\s+each|for\s+every|"
                 r"in\s+each|each|every|across|among|distribution\s+of|breakdown\s+of|"
                 r"rank|ranked|sort|sorted|list", intent, lex, scope)
    topped = _take_dim(t, r"top", intent, lex, scope)
    bottomed = _take_dim(t, r"bottom", intent, lex, scope)
    if (topped or bottomed) and intent.top is None:
        intent.top = 10
    if bottomed:
        intent.direction = "asc"
    which = _take_dim(t, r"which|what", intent, lex, scope, modifier=True)

    for m in t.take_all(r"\b(minutely|hourly|daily|weekly|monthly)\b"):
        _add_group(intent, g.PERIOD_ADVERBS[m[1]], [])
    if t.take(r"\bday\s+of\s+(?:the\s+)?week\b|\bweekdays?\b"):
        _add_group(intent, "weekday", [])
    if t.take(r"\btrend\b|\bover\s+time\b|\btimeline\b|\bhour\s+by\s+hour\b"):
        _add_group(intent, "hour", [])
    pos = 0
    while (m := re.compile(r"\b" + _WORDS + r"\s+(?:breakdown|distribution|counts|totals)\b"
                           ).search(t.s, pos)):
        words = m.group(1).split()
        got = None
        for i in range(len(words)):
            got = _dim(words[i:], lex, scope)
            if got and got[1] == len(words) - i:
                _blank_words(t, m.start(1) + len(" ".join(words[:i])) + (1 if i else 0), got[1])
                _add_group(intent, got[0], got[2])
                break
        if got:
            t.take(r"\b(?:breakdown|distribution|counts|totals)\b")
        pos = m.end()
    if intent.top is None and which and intent.special == "superlative":
        intent.top = 10 if which[0][1] else 1
    elif intent.top is None and intent.special == "superlative" and intent.group:
        intent.top = 10 if by and by[0][1] else 1
    if intent.special == "superlative" and not intent.group and intent.measure == "count":
        _superlative_of_field(t, intent, lex, scope)
    if intent.special == "superlative":
        intent.special = None
    tb = [d for d in intent.group if d in ("minute", "hour", "day", "week", "month")]
    if len(tb) > 1:
        intent.group = [d for d in intent.group if d != "hour"] if "hour" in tb else intent.group
