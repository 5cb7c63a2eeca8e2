"""Template words of a question: the words left after fields, values and services are
linked, read as the words of this workspace's templates (verb forms, multi-word phrases,
hyphenated compounds, neighbouring words of one template) and merged into the ILIKE
filters of the intent.

Why apart from :mod:`nl_filters`: that module decides what each word names; this one only
knows templates, so the template-text matching lives in one place.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import nl_link as L
from .lexicon import Lexicon

if TYPE_CHECKING:  # pragma: no cover
    from .nl import Intent
    from .nl_filters import Words


def _body_words(body: str) -> set[str]:
    """The lower-case words of a template body (a word starts with a letter)."""
    return set(re.findall(r"[a-z][a-z0-9]*", body.lower()))


def verb_forms(word: str, intent: "Intent", lex: Lexicon, scope: list[str]) -> list[str]:
    """Template words of the same stem as a verb form ("-ed", "-ing") in the services that
    log the fields the question counts or groups by; none when it names no such field."""
    if not re.search(r"(?:ed|ing)$", word) or word.upper() in intent.level_names or not lex.words:
        return []
    if not intent.key_services:
        return []
    where = sorted({x for svcs in intent.key_services.values() for x in svcs} | set(scope))
    if not where:
        return []
    return [f for f in L.template_stems(word, lex, where) if L.stem(f) == L.stem(word)]


def phrases(w: Words, lex: Lexicon, scope: list[str]) -> list[tuple[int, list[str]]]:
    """Runs of 2-4 words holding a function word that a template of the scope holds as
    written ("out of memory"): one template phrase, so its function words are not dropped
    and its content word does not match every template that has it alone."""
    if not lex.templates:
        return []
    bodies = [" ".join(re.findall(r"[a-z0-9]+", b.lower())) for svc, tpls in lex.templates.items()
              if not scope or svc in scope for _t, b, _n in tpls]
    skip = L.skip_words()
    out: list[tuple[int, list[str]]] = []
    i = 0
    while i < len(w.toks):
        for k in (4, 3, 2):
            idx = list(range(i, i + k))
            words = [w.word(j) for j in idx if j < len(w.toks)]
            if len(words) < k or not all(words) or any(
                    w.toks[a + 1][0] - w.toks[a][1] > 1 for a in idx[:-1]):
                continue  # not k adjacent words still unread
            n_skip = sum(x in skip for x in words)
            if not n_skip or n_skip == k or not all(re.fullmatch(r"[a-z]+", x) for x in words):
                continue
            if words[-1] in skip:
                said = _noun_verb(words, bodies) if k == 2 and words[0] not in skip and \
                    re.search(r"..(?:ed|en|ing)$", words[1]) else None
                if said:  # "thumbnails generated": the event 'Thumbnail generated', not any
                    w.use(*idx)
                    out.append((i, [said]))
                    i += 1
                    break
                continue
            phrase = " ".join(words)
            if any(re.search(rf"(?:^| ){re.escape(phrase)}(?: |$)", b) for b in bodies):
                w.use(*idx)
                out.append((i, [phrase]))
                i += k - 1
                break
        i += 1
    return out


def _noun_verb(words: list[str], bodies: list[str]) -> str | None:
    """A noun then an everyday verb of the skip table ("thumbnails generated") that a template
    of the scope writes as its two words, inflection aside: that template phrase."""
    want = [L.stem(x) for x in words]
    for b in bodies:
        toks = b.split()
        for a, c in zip(toks, toks[1:]):
            if [L.stem(a), L.stem(c)] == want:
                return f"{a} {c}"
    return None


def compound_parts(word: str, lex: Lexicon, scope: list[str]) -> list[list[str]]:
    """A hyphenated word whose every part is a template word in scope: each part's forms."""
    if "-" not in word.strip("-") or not lex.words:
        return []
    out = []
    for part in (x for x in word.split("-") if x):
        if part in L.skip_words():
            continue
        forms = L.template_stems(part, lex, scope)
        if not forms or not L.link_word(part, lex, scope):
            return []
        out.append(forms)
    for tpls in lex.templates.values():  # the parts must stand together in one template
        for _t, body, _n in tpls:
            low = _body_words(body)
            if all(low & set(f) for f in out):
                return out
    return []


def template_pair(w: Words, i: int, lex: Lexicon, scope: list[str]
                   ) -> tuple[int, list[str], list[str]] | None:
    """A word next to another word of the same templates ("failed logins"): (j, forms of
    word i, forms of word j), each restricted to the forms those templates hold."""
    for j in (i + 1, i + 2, i - 1):
        other = w.word(j)
        if not other or other in L.skip_words() or L.link_service(other, lex):
            continue
        if j == i + 2 and not ((w.word(i + 1) or "") in L.skip_words()
                               or L.link_service(w.word(i + 1) or "", lex)):
            continue
        a = set(L.template_forms_wide(w.toks[i][2], lex))
        b = set(L.template_forms_wide(other, lex))
        if not a or not b:
            continue
        fa: set[str] = set()
        fb: set[str] = set()
        for svc, tpls in lex.templates.items():
            if scope and svc not in scope:
                continue
            for _tid, body, _n in tpls:
                low = _body_words(body)
                if low & a and low & b:
                    fa |= low & a
                    fb |= low & b
        if fa and fb:
            return j, sorted(fa), sorted(fb)
    return None


def _jointly(words_at: list[tuple[int, list[str]]], raw: dict[int, str], lex: Lexicon
             ) -> list[tuple[int, list[str]]]:
    """When no template holds a form of every word, read each word by form or synonym
    within the templates that hold all of them ("failed ssh logins" -> failed, ssh2,
    password), if there are such templates."""
    texts = [" ".join(re.findall(r"[a-z][a-z0-9]*", b.lower()))
             for tpls in lex.templates.values() for _t, b, _n in tpls]
    # a body's words, and the phrases of the question it holds ("for root", read whole)
    asked = {f for _, fs in words_at for f in fs if " " in f}
    bodies = [_body_words(t) | {p for p in asked if f" {p} " in f" {t} "} for t in texts]
    if len(words_at) < 2 or any(all(body & set(f) for _, f in words_at) for body in bodies):
        return words_at
    wide = [(i, set(f) if any(" " in x for x in f) else
             set(L.template_forms_wide(raw.get(i, ""), lex)) | set(f)) for i, f in words_at]
    hits = [body for body in bodies if all(body & forms for _, forms in wide)]
    if not hits:
        # a word linked by synonym only ("logins" -> password) is the weaker reading: when
        # the words named by their own form stand together in a template, it describes them
        own = [(i, f) for i, f in words_at if any(
            x == raw.get(i, "").lower() or L.stem(x) == L.stem(raw.get(i, "")) for x in f)]
        if own and len(own) < len(words_at) and any(
                all(body & set(f) for _, f in own) for body in bodies):
            return own
        return words_at
    seen = set().union(*hits)
    return [(i, sorted(forms & seen)) for i, forms in wide]


def _either(words_at: list[tuple[int, list[str]]], raw: dict[int, str]
            ) -> list[tuple[int, list[str]]]:
    """"glazed or chipped": two template words joined by "or" are one word's
    alternatives (either template), not two words every row must hold."""
    out: list[tuple[int, list[str]]] = []
    for i, forms in words_at:
        if out and out[-1][0] == i - 2 and raw.get(i - 1) == "or":
            out[-1] = (out[-1][0], sorted(set(out[-1][1]) | set(forms)))
            continue
        out.append((i, forms))
    return out


def _as_parameter(intent: "Intent", words_at: list[tuple[int, list[str]]], raw: dict[int, str],
                  lex: Lexicon) -> list[tuple[int, list[str]]]:
    """"when did NAME last log in": NAME is a template word somewhere, but the templates of
    the other words hold it as a parameter ("Accepted key for <*>"): there it is that
    parameter's value (a slot filter), so the words are not read as two templates'."""
    if len(words_at) < 2:
        return words_at
    bodies = {(svc, t): _body_words(b) for svc, tpls in lex.templates.items() for t, b, _n in tpls}
    if any(all(body & set(f) for _, f in words_at) for body in bodies.values()):
        return words_at
    for n, (i, _forms) in enumerate(words_at):
        rest = [set(f) | set(L.template_forms_wide(raw.get(j, ""), lex))
                for j, f in words_at if j != i]
        held = [(svc, tid, idx, v) for svc, tid, idx, v, _c in lex.slot_values.get(raw.get(i, ""), [])
                if all(bodies.get((svc, tid), set()) & r for r in rest)]
        if held:
            intent.slot_filters.append((raw[i], held))
            return words_at[:n] + words_at[n + 1:]
    return words_at


def merge_words(intent: "Intent", words_at: list[tuple[int, list[str]]], lex: Lexicon,
                 w_raw: dict[int, str] | None = None) -> None:
    """Template words as ILIKE filters; each word's forms are alternatives. Neighbours that
    stand together in a template become one phrase ("jobs stalled" -> 'job stalled')."""
    words_at = _as_parameter(intent, _either(sorted(words_at), w_raw or {}), w_raw or {}, lex)
    words_at = _jointly(words_at, w_raw or {}, lex)
    bodies = [b.lower() for tpls in lex.templates.values() for _t, b, _n in tpls]
    k = 0
    while k < len(words_at):
        i, forms = words_at[k]
        if k + 1 < len(words_at) and words_at[k + 1][0] in (i + 1, i + 2):
            nxt = words_at[k + 1][1]
            phrases = sorted({f"{a} {b}" for a in forms for b in nxt
                              if any(f"{a} {b}" in body for body in bodies)} |
                             {f"{b} {a}" for a in forms for b in nxt
                              if any(f"{b} {a}" in body for body in bodies)})
            said = {L.stem(r) for r in (w_raw or {}).values()}
            own = [p for p in phrases if all(L.stem(part) in said for part in p.split())]
            if own:  # "failed key": the words as written, not a synonym pair of them
                phrases = own
            if phrases:
                intent.words.append("|".join(phrases[:6]))
                k += 2
                continue
        if forms:
            intent.words.append("|".join(forms[:6]))
        k += 1
