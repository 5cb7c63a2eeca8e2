"""Resolving the words a question names into dimensions and fields of the workspace.

Why apart from :mod:`nl_parts`: the readers there (measures, ranking, grouping) and the
number-in-message readers all resolve "the X" the same way, through the lexicon (a column,
a context key, a template parameter), and blank the words they consumed; this module is
that shared step, so each reader calls one resolver instead of carrying its own.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import nl_grammar as g
from . import nl_link as L
from . import nl_quantity as Q
from .lexicon import KeyInfo, Lexicon
from .nl_filters import key_services as _key_services
from .nl_time import Text as _Text

if TYPE_CHECKING:  # pragma: no cover
    from .nl import Intent


_IP_WORDS = frozenset(L.stem(w) for w in ("ip", "ips", "address", "addr", "source", "src", "client", "remote"))


def _dim(words: list[str], lex: Lexicon, scope: list[str], counting: bool = False,
         head: bool = False) -> tuple[str, int, list[KeyInfo]] | None:
    """The longest prefix (3..1 words) that names a dimension: (dim, words used, keys).

    ``counting``: the dimension is counted distinct, so id-like fields come first."""
    for k in range(min(3, len(words)), 0, -1):
        phrase = " ".join(words[:k])
        if k == 1 and words[0] in L.skip_words() and L.builtin_dimension(phrase) is None:
            continue
        b = L.builtin_dimension(phrase)
        if head and (b is not None or k > 1):  # after a modifier: one field name only
            continue
        if b and L.stem(phrase) != L.stem(b):  # "component": a field of that name wins
            own = [m for m in L.link_key(phrase, lex, scope) if m.how == "exact"
                   and m.info.name.lower() in (phrase, phrase.rstrip("s")) and m.info.distinct != 1]
            if own:
                return "ctx:" + own[0].info.name, k, [m.info for m in own]
        if b:
            return b, k, []
        if k == 1 and L.severity_of(words[0]):
            continue
        keys = [m for m in L.link_key(phrase, lex, scope, counting) if m.info.distinct != 1]
        if keys:
            return "ctx:" + keys[0].info.name, k, [m.info for m in keys if m.info.name == keys[0].info.name]
        stems = {L.stem(x) for x in words[:k]}
        if stems <= _IP_WORDS and stems & {"ip", "address", "addr"}:
            return "msgip", k, []  # no field holds it here: the first IP of the message
    return None


def _blank_words(t: _Text, start: int, n: int) -> None:
    """Blank the next ``n`` words of ``t`` from offset ``start``."""
    pos = start
    for _ in range(n):
        m = re.compile(r"\S+").search(t.s, pos)
        if not m:
            break
        t.blank(m.start(), m.end())
        pos = m.end()


def _take_dim(t: _Text, cue: str, intent: "Intent", lex: Lexicon, scope: list[str],
              modifier: bool = False) -> list[tuple[str, bool]]:
    """Find ``cue`` followed by a dimension; consume both; return (dimension, plural)s.

    Between the cue and the dimension may stand "the", a number ("which two components":
    the limit) and the name of a service or source ("which HDFS component": left for the
    filters)."""
    out = []
    pos = 0
    rx = re.compile(rf"\b(?:{cue})\s+")
    while (m := rx.search(t.s, pos)) is not None:
        toks = list(re.compile(r"\S+").finditer(t.s, m.end()))[:6]
        j, n, named = 0, None, []
        while j < len(toks) and j < 3:
            word = toks[j].group(0)
            if word in ("the", "a", "all", "its", "their"):
                j += 1
            elif re.fullmatch(g._NUM, word) and n is None and not named:
                n = j
                j += 1
            elif L.link_service(word, lex) or L.services_named(word, lex) or L.sources_named(
                    word, lex):
                named.append(j)
                j += 1
            else:
                break
        got = _dim([x.group(0) for x in toks[j:]], lex, scope) if j < len(toks) else None
        if got is None and modifier and j + 1 < len(toks) and toks[j].group(0) not in L.skip_words():
            # "which ADJ FIELD": the modifier word stays behind as a filter
            got = _dim([x.group(0) for x in toks[j + 1:]], lex, scope, head=True)
            if got is not None:
                named.append(j)
                j += 1
        if got is not None and _param_over_key(t, [x.group(0) for x in toks[j:j + got[1]]], got[0],
                                               intent, lex, scope):
            slot = _slot_dim([toks[j].group(0)], t, intent, lex, scope)  # "which user name"
            got = (slot[0], got[1], []) if slot else got
        if got is None and j < len(toks):
            got = _slot_dim([x.group(0) for x in toks[j:j + 2]], t, intent, lex, scope)
        if got is None:
            pos = m.end()
            continue
        dim, k, infos = got
        if infos and j + k < len(toks) and _names_nothing(toks[j + k].group(0), lex):
            # "per oven chamber": a noun after the field that nothing here has
            # only says what the field's values are
            intent.notes.append(f"read {toks[j + k].group(0)!r} as describing {infos[0].name}")
            k += 1
        t.blank(m.start(), m.end())
        for idx, tok in enumerate(toks[:j + k]):
            if idx not in named:
                t.blank(tok.start(), tok.end())
        if n is not None:
            intent.top = g.number(toks[n].group(0))
        _add_group(intent, dim, infos)
        last = toks[j + k - 1].group(0)
        out.append((dim, last.endswith("s") and not last.endswith(("ss", "us"))))
        pos = m.start()
    return out


def _param_over_key(t: _Text, words: list[str], dim: str, intent: "Intent", lex: Lexicon,
                    scope: list[str]) -> bool:
    """"distinct usernames rejected": a field whose name does not hold the noun, linked by
    a synonym or an abbreviation only ("uid"), gives way to a template parameter the noun
    stands right before ("unknown user <*>") in the templates that hold the question's
    other words: those templates say what is counted, and the field may be logged by
    other rows only (a count of 0 would be silently wrong)."""
    if not dim.startswith("ctx:") or not words:
        return False
    own = {L.stem(x) for x in re.split(r"[^a-z0-9]+", dim[4:].lower()) if x}
    if any(L.stem(w) in own for w in words):
        return False
    context = _context_words(t, intent)
    q = Q.find_param(words, context, lex, scope)
    if q is None or q.own < 1:
        return False
    named = {x for w in words for x in L.synonyms(w)}
    rest = [w for w in context if w not in L.skip_words() and not L.link_service(w, lex)
            and L.stem(w) not in named]
    for s in q.slots:  # one of its templates holds every other word, as written, with a
        body = Q.body_stems(s.body)  # number glued to it ("ssh2") or as a synonym
        bare = {b.rstrip("0123456789") for b in body}
        if not s.constant and all(L.synonyms(w) & body or L.stem(w) in bare for w in rest):
            return True
    return False


def _names_nothing(word: str, lex: Lexicon) -> bool:
    """A plain word no service, host, field, value or template word of the workspace has
    (by form, stem or synonym), nor a word of the tables."""
    if not word.isalpha() or len(word) < 4 or word in L.skip_words() or L.builtin_dimension(word):
        return False
    return not (L.link_service(word, lex) or L.link_host(word, lex) or L.link_word(word, lex)
                or L.link_key(word, lex) or L.link_value(word, lex) or L.severity_of(word)
                or L.files_named(word, lex) or L.link_slot_value(word, lex))


def _slot_dim(words: list[str], t: _Text, intent: "Intent", lex: Lexicon, scope: list[str]
              ) -> tuple[str, int, list[KeyInfo]] | None:
    """"which three categories ...", "top 5 X by ...": no field holds X, a template
    parameter X stands right before does ("in category <*> page"): group by its values.
    The head noun is the last of up to two words ("product categories": categories)."""
    words = [w for w in words if w not in L.skip_words() and not L.link_service(w, lex)
             and not re.fullmatch(g._NUM, w)]
    ks = [2, 1] if len(words) > 1 and not words[1].endswith(("ed", "ing")) else [1]
    for k in ks if words else []:  # a verb after the noun ("categories listed") is no head
        head = words[k - 1]
        if L.builtin_dimension(head) or L.severity_of(head):
            return None
        q = Q.find_param([head], _context_words(t, intent), lex, scope)
        if q is not None:
            name = f"slot:{len(intent.slot_dims)}"
            intent.slot_dims[name] = q
            intent.notes += q.notes
            return name, k, []
    return None


def _add_group(intent: "Intent", dim: str, infos: list[KeyInfo]) -> None:
    if dim not in intent.group:
        intent.group.append(dim)
    if infos:
        intent.key_services[dim[4:]] = _key_services(infos)


def _scope(s: str, lex: Lexicon) -> list[str]:
    """Services the question names or implies (by a value only they hold); not consumed."""
    found: list[str] = []
    # a path or URL ("/api/NAME") is an entity of the message, not a service the question names
    s = " ".join(tok for tok in s.split() if "/" not in tok)
    for w in re.findall(r"[a-z][a-z0-9_-]*", s):
        if w in L.skip_words():
            continue
        hit = L.link_service(w, lex)
        if hit and hit[1] != "fuzzy":
            found.append(hit[0])
        elif not hit:
            src = L.sources_named(w, lex)
            found += ([x for x, s2 in lex.sources.items() if s2 in src] or L.services_named(w, lex)
                      or list(L.files_named(w, lex)))
        if hit and L.sources_named(w, lex):
            found += [x for x, s2 in lex.sources.items() if s2 in L.sources_named(w, lex)]
    if not found:
        for w in re.findall(r"[a-z][a-z0-9_-]*", s):
            if w in L.skip_words() or L.severity_of(w):
                continue
            vals = L.link_value(w, lex)
            # a value only one service holds implies it, unless other services' messages
            # write the word too ("for root": a field of one, a message word of another)
            if vals and len({v.info.service for v in vals}) == 1 and vals[0].how != "synonym" \
                    and not set(lex.words.get(w, {})) - {vals[0].info.service}:
                found.append(vals[0].info.service)
    return list(dict.fromkeys(found))


def _context_words(t: _Text, intent: "Intent") -> list[str]:
    """The words of the question still unread and of its quoted text, hyphenated ones
    split ("slow-statement"): what picks the template a number is read from."""
    text = t.s + " " + " ".join(intent.texts).lower()
    return [x for w in re.findall(r"[a-z][a-z0-9_-]*", text)
            for x in ([w] if "-" in w else []) + w.split("-") if x]


def _ungrounded(word: str, phrase: str, lex: Lexicon, scope: list[str]) -> str:
    """Why a statistic cannot be computed, in one line: what it was asked of, and the
    numeric fields (of the services in scope when there are some) nearest to that phrase."""
    import difflib
    infos = [ki for ki in lex.key_infos(scope) if ki.numeric and ki.distinct != 1] or [
        ki for ki in lex.key_infos() if ki.numeric and ki.distinct != 1]
    names = list(dict.fromkeys(ki.name for ki in sorted(infos, key=lambda k: -k.rows)))
    words = [x for x in phrase.split() if x not in L.skip_words()][:3]
    close = [n for x in words for n in difflib.get_close_matches(
        x, names, n=3, cutoff=0.4)] if words else []
    near = list(dict.fromkeys(close + names))[:5]
    what = " ".join(words) or phrase.strip()
    where = f" of {' or '.join(scope)}" if scope else ""
    return (f"{word.strip()!r} needs a numeric field and {what!r} is not a numeric field{where} "
            f"(numeric fields: {', '.join(near) or 'none'})")


def _in_one_template(a: str, b: str, lex: Lexicon) -> bool:
    """Both words occur in one template ("jobs stalled" -> "job stalled")."""
    if a in L.skip_words() or b in L.skip_words():
        return False
    fa, fb = set(L.template_forms_wide(a, lex)), set(L.template_forms_wide(b, lex))
    if not fa or not fb:
        return False
    for tpls in lex.templates.values():
        for _tid, body, _n in tpls:
            low = set(re.findall(r"[a-z][a-z0-9]*", body.lower()))
            if low & fa and low & fb:
                return True
    return False
