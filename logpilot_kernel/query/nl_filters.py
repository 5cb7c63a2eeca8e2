"""Linking the words a question has left, once measures, ranking, grouping and time are
read: services, hosts, severities, field = value pairs, entities (IPs, ids), categorical
values and template words, each through the lexicon (:mod:`nl_link`).

Why apart from :mod:`nl`: this is where "what does this word name here?" is decided, word
by word, with the preferences (entity, number with its field, service, host,
field + value, severity, value, template word, field) in one place.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import nl_grammar as g
from . import nl_link as L
from . import nl_quantity as Q
from . import nl_template_words as T
from .lexicon import KeyInfo, Lexicon
from .nl_time import Text as _Text

if TYPE_CHECKING:  # pragma: no cover
    from .nl import Intent


_LEVEL_NAMES = {"ERROR": "ERROR", "WARN": "WARN", "WARNING": "WARN", "FATAL": "FATAL",
                "INFO": "INFO", "DEBUG": "DEBUG", "TRACE": "TRACE"}


def key_services(infos: list[KeyInfo]) -> list[str]:
    """Services a key is read from: those holding at least 5% of its rows."""
    total = sum(i.rows for i in infos) or 1
    return sorted(i.service for i in infos if i.rows >= 0.05 * total)


_TOKEN = re.compile(r"/?[a-z0-9_][a-z0-9_./:@$()-]*[a-z0-9_)]|[a-z0-9_]")


class Words:
    """The words left after measures, ranking, grouping and time were read."""

    def __init__(self, t: _Text) -> None:
        self.t = t
        self.toks = [(m.start(), m.end(), m.group(0)) for m in _TOKEN.finditer(t.s)]
        self.done = [False] * len(self.toks)

    def word(self, i: int) -> str | None:
        if 0 <= i < len(self.toks) and not self.done[i]:
            return self.toks[i][2]
        return None

    def use(self, *idx: int) -> None:
        for i in idx:
            self.done[i] = True


#: Words after which a noun names the unit of a measure ("per request", "each call").
_UNIT_WORDS = frozenset({"per", "each", "every"})

_COMPARATORS = {("over",): ">", ("above",): ">", ("exceeding",): ">", ("more", "than"): ">",
                ("greater", "than"): ">", ("longer", "than"): ">", ("slower", "than"): ">",
                ("larger", "than"): ">", ("bigger", "than"): ">", ("at", "least"): ">=",
                ("under",): "<", ("below",): "<", ("less", "than"): "<", ("fewer", "than"): "<",
                ("shorter", "than"): "<", ("faster", "than"): "<", ("smaller", "than"): "<",
                ("at", "most"): "<="}
def _before_threshold(w: Words, i: int) -> bool:
    """Token ``i`` (or ``i`` and the next) stands right before "over N", "more than N"."""
    for gap in (1, 2):
        for words in _COMPARATORS:
            j = i + gap
            k = len(words)
            if (j + k < len(w.toks) and tuple(t[2] for t in w.toks[j:j + k]) == words
                    and re.fullmatch(r"\d+(\.\d+)?", w.toks[j + k][2])
                    and (gap == 1 or w.toks[i + 1][2] not in L.skip_words())):
                return True
    return False


def _threshold(w: Words, i: int, intent: "Intent", lex: Lexicon, scope: list[str]) -> bool:
    """"duration over 500 ms", "bytes above 1 MB": a numeric field compared with a number;
    else a number written in the message text ("slow queries over 5 seconds")."""
    op, n = None, 0
    for words, sym in _COMPARATORS.items():
        k = len(words)
        if i - k >= 0 and tuple(t[2] for t in w.toks[i - k:i]) == words:
            op, n = sym, k
    if op is None:
        return False
    nxt = w.toks[i + 1][2] if i + 1 < len(w.toks) else ""
    unit = Q.unit(nxt) if nxt and not re.fullmatch(r"\d+(\.\d+)?", nxt) else None
    keys: list[KeyInfo] = []
    named: list[str] = []
    for k in (2, 1):  # the field named right before the comparator
        idx = list(range(i - n - k, i - n))
        words = [w.toks[j][2] for j in idx if j >= 0]
        if len(words) == k and not any(x in ("a", "an", "the", "with", "of") for x in words):
            named = named or words
            found = [m.info for m in L.link_key(" ".join(words), lex, scope) if m.info.numeric
                     and (unit is None or _key_unit(m.info.name, unit[0]))]
            if found:
                keys = [x for x in found if x.name == found[0].name]
                w.use(*idx)
                break
    if not keys and unit:  # else the field the unit measures
        keys = [ki for ki in lex.key_infos(scope) if ki.numeric and _key_unit(ki.name, unit[0])]
        keys = [x for x in keys if keys and x.name == keys[0].name]
    value = float(w.toks[i][2])
    if not keys:
        q = Q.find(named, [t[2] for t in w.toks], lex, scope, family=unit[0] if unit else None)
        if q is None:
            return False
        base = value * (unit[1] if unit else q.out_factor)
        intent.qty_filters.append((q, op, base))
        before = {x for s in q.slots for x in s.before}
        for j in range(max(0, i - n - 2), i - n):  # the words that named the slot
            tok = w.toks[j][2]
            if Q.family_of(tok) or (L.synonyms(tok) | {L.stem(tok)}) & before:
                w.use(j)
    else:
        if unit:
            own = _key_unit(keys[0].name, unit[0])
            value *= unit[1] / (own[1] if own else 1.0)
        _add_filter(intent, keys, f"{op}{value:g}")
    if unit:
        w.use(i + 1)
    w.use(i, *range(i - n, i))
    return True


def _key_unit(name: str, family: str) -> tuple[str, float] | None:
    """The unit a field's name states ("wait_ms" -> ms), or the family's base unit when
    the name only says what it measures ("duration", "bytes"); None when neither."""
    toks = L.key_tokens(name)
    for t in toks:
        u = Q.unit(t)
        if u and u[0] == family:
            return u
    if any(Q.family_of(t) == family for t in toks):
        return family, 1.0
    return None


def _pick(keys: list, value: str | None) -> list[KeyInfo]:
    """The infos of the best-ranked key name, or of the best one holding ``value``."""
    names = list(dict.fromkeys(m.info.name for m in keys))
    if value is not None:
        for listed in (True, False):  # a key listing the value beats a numeric one
            for name in names:
                infos = [m.info for m in keys if m.info.name == name]
                if (any(ki.values for ki in infos) or not listed) and _has_value(infos, value):
                    return infos
    return [m.info for m in keys if m.info.name == names[0]]


def _key_before(w: Words, i: int, lex: Lexicon, scope: list[str], value: str | None = None
                ) -> tuple[list[KeyInfo], list[int]]:
    """A key named by the 1-2 words right before token ``i`` (e.g. "status code 500")."""
    for k in (2, 1):
        idx = list(range(i - k, i))
        words = [w.word(j) for j in idx]
        if idx and idx[0] >= 0 and all(words) and not any(x in L.skip_words() for x in words):
            keys = L.link_key(" ".join(words), lex, scope)
            if keys:
                return _pick(keys, value), idx
    return [], []


def _key_after(w: Words, i: int, lex: Lexicon, scope: list[str], value: str | None = None
               ) -> tuple[list[KeyInfo], list[int]]:
    for k in (2, 1):
        idx = list(range(i + 1, i + 1 + k))
        words = [w.word(j) for j in idx]
        if all(words) and not any(x in L.skip_words() for x in words):
            keys = L.link_key(" ".join(words), lex, scope)
            if keys:
                return _pick(keys, value), idx
    return [], []


def _add_filter(intent: "Intent", infos: list[KeyInfo], value: str) -> None:
    key = infos[0].name
    intent.filters.append((key, value))
    if not intent.services:
        intent.key_services.setdefault(key, key_services(infos))


def _has_value(infos: list[KeyInfo], value: str) -> bool:
    if re.fullmatch(r"\dxx", value):
        return any(v[:1] == value[0] for ki in infos for v in ki.values)
    return any(value.lower() == v.lower() for ki in infos for v in ki.values) or any(
        ki.numeric and not ki.values for ki in infos)


def _value_keys(lex: Lexicon, value: str, scope: list[str]) -> list[KeyInfo]:
    """Categorical keys (in scope first) that hold this literal value (or class ``5xx``)."""
    out = [ki for ki in lex.key_infos(scope) if ki.values and _has_value([ki], value)]
    if not out and scope:
        out = [ki for ki in lex.key_infos() if ki.values and _has_value([ki], value)]
    if re.fullmatch(r"\dxx", value):
        out = [ki for ki in out if all(re.fullmatch(r"\d{3}", v) for v in ki.values)]
    names = {ki.name for ki in out}
    if len(names) > 1:  # the key holding most rows of that value
        best = max(names, key=lambda n: sum(ki.values.get(value, 0) + ki.rows * 1e-9
                                           for ki in out if ki.name == n))
        out = [ki for ki in out if ki.name == best]
    return out


def filters(w: Words, intent: "Intent", lex: Lexicon, scope: list[str], q: str) -> list[str]:
    """Link every word left; return the content words that link to nothing."""
    unknown: list[str] = []
    words_at: list[tuple[int, list[str]]] = []
    skip = L.skip_words()
    ids = [ki for ki in lex.key_infos() if ki.shape]
    last_sev = -2
    paired: dict[int, list[str]] = {}
    w.use(*L.describing_words([w.word(j) for j in range(len(w.toks))], lex,
                              scope or intent.services))
    words_at += T.phrases(w, lex, scope or intent.services)
    for i in range(len(w.toks)):
        word = w.word(i)
        if word is None:
            continue
        host = L.link_host(word, lex)
        if host:
            w.use(i)
            intent.hosts.append(host)
            continue
        if word.startswith("/") and len(word) > 1:  # a path: the rows whose message names it
            w.use(i)  # written with its trailing slash ("/category/ pages"): the paths below it
            intent.entities.append(word + "/" if w.t.s[w.toks[i][1]:w.toks[i][1] + 1] == "/" else word)
            continue
        if re.fullmatch(g.IPV4, word) or (re.search(r"\d", word) and re.search(r"[a-z]", word)
                                         and not re.fullmatch(r"\dxx", word)):
            infos, idx = _key_before(w, i, lex, scope)
            shaped = [ki for ki in ids if re.fullmatch(ki.shape or "", word, re.I)]
            listed = _value_keys(lex, word, scope)
            if listed and not re.fullmatch(g.IPV4, word):
                w.use(i)
                _add_filter(intent, listed, next(v for ki in listed for v in ki.values
                                                 if v.lower() == word.lower()))
            elif infos and infos[0].kind in ("ip", "id"):
                w.use(*idx, i)
                _add_filter(intent, infos, word)
            elif shaped:
                w.use(i)
                name = shaped[0].name
                _add_filter(intent, [k for k in shaped if k.name == name], word)
            elif len(word) >= 4:
                w.use(i)
                intent.entities.append(word)
            continue
        if re.fullmatch(r"\d+(\.\d+)?", word) and _threshold(w, i, intent, lex, scope or
                                                              intent.services):
            continue
        if re.fullmatch(r"\d+(\.\d+)?|\dxx", word):
            infos, idx = _key_before(w, i, lex, scope, word)
            if not infos or not _has_value(infos, word):
                infos, idx = _key_after(w, i, lex, scope, word)
            if not infos or not _has_value(infos, word):
                infos, idx = _value_keys(lex, word, scope), []
            if infos and _has_value(infos, word):
                w.use(*idx, i)
                _add_filter(intent, infos, word)
            else:
                unknown.append(word)
            continue
        if word in skip and _event_verb(word, lex, scope or intent.services):
            w.use(i)  # "replies sent": the named service's event 'sent reply=<*>'
            words_at.append((i, [word]))
            continue
        if word in skip:
            w.use(i)
            upper = word.upper()
            if len(word) >= 2 and re.search(rf"(?<!\w){re.escape(upper)}(?!\w)", q):
                vals = [v for v in L.link_value(word, lex, scope or intent.services) if v.value == upper]
                if vals:  # "GET requests": a value the logs write in capitals, not the verb
                    _add_filter(intent, [v.info for v in vals if v.info.name == vals[0].info.name], upper)
            continue
        neg = L.opposite_of(word)
        if neg is not None:  # "successful X": the rows of X that did not fail
            w.use(i)
            forms = tuple(L.template_stems(neg, lex, scope or intent.services)) if lex.words else ()
            sev = L.severity_of(neg) or ()
            old = intent.exclude or ((), ())
            intent.exclude = (tuple(dict.fromkeys(old[0] + sev)), tuple(dict.fromkeys(old[1] + forms)))
            continue
        if _before_threshold(w, i):
            continue  # the field of a threshold, read with it
        if any(tuple(t[2] for t in w.toks[i:i + len(c)]) == c and re.fullmatch(
                r"\d+(\.\d+)?", w.toks[i + len(c)][2] if i + len(c) < len(w.toks) else "")
               for c in _COMPARATORS):
            continue  # read with the number that follows (a threshold)
        srcs = L.sources_named(word, lex)
        if srcs:  # a source holding more than the service of that name: the source
            same = L.link_service(word, lex)
            src_rows = sum(n for x, n in lex.rows.items() if lex.sources.get(x) in srcs)
            if not same or lex.rows.get(same[0], 0) < src_rows:
                w.use(i)
                intent.sources += [x for x in srcs if x not in intent.sources]
                continue
        svc = L.link_service(word, lex)
        before = w.toks[i - 1][2] if i > 0 else ""
        if svc and svc[1] != "exact" and before in _UNIT_WORDS:
            # "average FIELD per call": the unit the measure is taken over, not a filter on
            # a service that merely shares a synonym with it
            w.use(i)
            intent.notes.append(f"read {before + ' ' + word!r} as the unit of the measure, "
                                f"not as service {svc[0]}")
            continue
        around = [x for x in (intent.services or scope) if not svc or x != svc[0]]
        held = [ki for ki in lex.key_infos(around) if any(
            v.lower() == word for v in ki.values)] if svc and around and svc[0] not in around else []
        if held:  # "the db ... for the reports application": a value of the named service
            w.use(i)
            _add_filter(intent, [k for k in held if k.name == held[0].name],
                        next(v for v in held[0].values if v.lower() == word))
            continue
        if svc:
            w.use(i)
            if svc[0] not in intent.services:
                intent.services.append(svc[0])
            if svc[1] == "fuzzy":
                intent.notes.append(f"read {word!r} as service {svc[0]}")
            continue
        host = L.link_host(word, lex)
        if host:
            w.use(i)
            intent.hosts.append(host)
            continue
        named = L.services_named(word, lex)
        if named:  # "cron" -> every service whose name has that part: cron(pam_unix), ...
            w.use(i)
            intent.services += [x for x in named if x not in intent.services]
            continue
        files = L.files_named(word, lex)
        if files:  # a folder or file name; a service whose rows all come from it is that service
            w.use(i)
            whole = [svc for svc, n in files.items() if n >= 0.9 * lex.rows.get(svc, n)]
            if whole and len(whole) == len(files):
                intent.services += [x for x in sorted(whole) if x not in intent.services]
            else:
                intent.origins.append(word)
            continue
        if L.builtin_dimension(word) in ("service", "host", "source"):
            w.use(i)
            continue
        nxt = w.word(i + 1)
        infos, idx = _key_before(w, i + 1, lex, scope, nxt) if nxt else ([], [])
        val = next((v for ki in infos for v in ki.values if v.lower() == nxt.lower()), None) \
            if nxt and infos and idx == [i] else None
        if val is not None:
            w.use(i, i + 1)
            _add_filter(intent, infos, val)
            continue
        sev = L.severity_of(word)
        # template words are read in the services the filters so far pin down ("504s ...
        # customers": the web tier's rows, not another service's "user" messages)
        tscope = scope or intent.services or sorted(
            {x for k, _ in intent.filters for x in intent.key_services.get(k, [])})
        forms = L.template_stems(word, lex, tscope) if lex.words else []
        in_scope = L.link_word(word, lex, tscope)
        if i in paired:
            w.use(i)
            words_at.append((i, paired[i]))
            continue
        pair = T.template_pair(w, i, lex, scope or intent.services) if (sev or forms) else None
        if pair and (sev or L.link_word(w.toks[pair[0]][2], lex, scope or intent.services)):
            w.use(i)
            words_at.append((i, pair[1]))
            paired[pair[0]] = pair[2]
            if pair[0] < i:
                w.use(pair[0])
                words_at.append((pair[0], pair[2]))
            continue
        own = T.verb_forms(word, intent, lex, scope) if sev and not intent.services else []
        if own:
            # a verb ("batches ... failing") of the templates of the rows that carry the field
            # counted or grouped: what those rows say, not a level
            w.use(i)
            words_at.append((i, own))
            intent.alternatives.append(f"{word!r} as severity {' or '.join(sev)}")
            continue
        if sev and word.upper() in intent.level_names:  # "ERROR" as written: that level
            sev = (_LEVEL_NAMES.get(word.upper(), word.upper()),)
        if sev:
            w.use(i)
            both = tuple(x for x in intent.severities if x in sev)
            if last_sev == i - 1 and both:  # "fatal errors": the first word narrows
                intent.severities = both
            else:
                intent.severities = tuple(dict.fromkeys(intent.severities + sev))
            last_sev = i
            continue
        named = {f[0] for f in intent.filters}
        if named and any(k.info.name in named for k in L.link_key(word, lex, scope or intent.services)):
            w.use(i)  # "cam-x devices": the name of the field of a value read already
            continue
        vals = L.link_value(word, lex, scope or intent.services)
        if vals:
            syn = L.synonyms(word) | {L.stem(word)}
            whole = [v for v in vals if v.how == "exact" or (
                len(L._value_words(v.value)) == 1 and L._value_words(v.value)[0] in syn)]
            if whole and in_scope and 2 * sum(v.info.values[v.value] for v in whole) < max(
                    in_scope.values()):  # the word is mostly message text here
                whole = []
            if whole or not in_scope:
                chosen = whole or vals
                w.use(i)
                name = chosen[0].info.name
                same = [v for v in chosen if v.info.name == name]
                for value in dict.fromkeys(v.value for v in same):
                    _add_filter(intent, [v.info for v in same], value)
                others = sorted({v.info.name for v in chosen} - {name})
                if others:
                    intent.alternatives.append(f"{word!r} as a value of {', '.join(others)}")
                if in_scope and not whole:
                    intent.alternatives.append(f"{word!r} as message text")
                continue
            if in_scope:
                intent.alternatives.append(
                    f"{word!r} as {vals[0].info.name} = {vals[0].value} instead of message text")
        if forms and in_scope:
            w.use(i)
            words_at.append((i, forms))
            continue
        keys = L.link_key(word, lex, scope or intent.services)
        if keys:  # a field's name alone describes the rows ("customers"): no filter
            w.use(i)
            intent.alternatives.append(f"only rows that have {keys[0].info.name} ({word!r})")
            continue
        parts = T.compound_parts(word, lex, scope or intent.services)
        if parts:  # "slow-statement": each part a template word of the scope
            w.use(i)
            words_at += [(i, f) for f in parts]
            continue
        held = L.link_slot_value(word, lex, scope or intent.services)
        if held:  # a value the messages carry in a parameter: those rows
            w.use(i)
            intent.slot_filters.append((word, held))
            continue
        if L.is_skip_form(word) or word in L.weak_words():  # "returning": an everyday verb
            w.use(i)
            continue
        unknown.append(word)
    T.merge_words(intent, words_at, lex, {i: tok for i, (_a, _b, tok) in enumerate(w.toks)})
    return _outcome_of_value(unknown, intent)


def _event_verb(word: str, lex: Lexicon, services: list[str]) -> bool:
    """An everyday verb of the skip table that opens a template of the services the
    question names (their event: 'sent reply=<*> ...'): there it is that event's word."""
    if not services or len(word) < 4 or not word.isalpha():
        return False
    return any(re.match(rf"{word}\b", body.lower()) for svc in services
               for _t, body, _n in lex.templates.get(svc, []))


def _outcome_of_value(unknown: list[str], intent: "Intent") -> list[str]:
    """"PUTs ... refused with a 451": an outcome verb (the table's ``outcomes``) that no
    message of the rows in question writes only says what a value filter of the question
    means (a status code, say); it is dropped with a note, not refused."""
    if not intent.filters:
        return unknown
    outcome = {x for k in L.table().get("outcomes", {}) for x in L.synonyms(k)}
    said = [u for u in unknown if L.stem(u) in outcome or L.synonyms(u) & outcome]
    for u in said:
        key, value = intent.filters[-1]
        intent.notes.append(f"read {u!r} as what {key} = {value} says (no message here writes it)")
    return [u for u in unknown if u not in said]


def check_against_lexicon(intent: "Intent", lex: Lexicon) -> None:
    """Notes for filters naming what the workspace does not hold (never answer 0 silently),
    and the other reading of "errors" (ERROR only) where FATAL rows exist."""
    if intent.severities == ("ERROR", "FATAL") and lex.severities:
        svcs = intent.services or list(lex.severities)
        fatal = sum(lex.severities.get(x, {}).get("FATAL", 0) for x in svcs)
        if fatal:
            intent.alternatives.append(f"severity ERROR only, without the {fatal:,} FATAL rows")
    if intent.severities and lex.severities:
        svcs = intent.services or list(lex.severities)
        have = {s: n for svc in svcs for s, n in lex.severities.get(svc, {}).items()}
        if not any(s in have for s in intent.severities):
            holds = ", ".join(f"{s} ({n:,})" for s, n in sorted(have.items(), key=lambda p: -p[1]))
            where = " or ".join(intent.services) if intent.services else "the workspace"
            intent.notes.append(f"{where} has no rows with severity "
                                f"{' or '.join(intent.severities)}; it has {holds}")
    for key, value in intent.filters:
        if value[:1] in "<>":
            continue
        infos = [ki for ki in lex.key_infos(intent.services) if ki.name == key]
        if infos and all(ki.values for ki in infos) and not _has_value(infos, value):
            vals = sorted({v for ki in infos for v in ki.values})
            intent.notes.append(f"{key} has no value {value}; it has {', '.join(vals[:10])}")
