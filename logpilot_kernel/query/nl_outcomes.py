"""Outcome-aware readings of the parser: shares among tries, "ratio of A to B", and the
other template a number-in-message reading could mean.

Why apart from :mod:`nl`: these steps run after a question's words are linked and only
rework the intent against the workspace's templates (siblings that differ by one
outcome word, "failed" / "fired"); :mod:`nl` calls them in turn.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from . import nl_link as L
from . import nl_quantity as Q
from .lexicon import Lexicon
from .nl_filters import Words as _Words
from .nl_filters import filters as _filters
from .nl_time import Text as _Text

if TYPE_CHECKING:  # pragma: no cover
    from .nl import Intent


def _other_template(intent: "Intent", lex: Lexicon, question: str) -> None:
    """A number read from message text, in templates the question's words pick, while an
    everyday verb of the question ("serves", skipped as a verb) is the word of another
    template with that number ("product page serves": 'Served product <*> in <*>ms'):
    that template is offered as another reading, so the answer is never silently the
    wrong template's."""
    qs = [q for q, _op, _v in intent.qty_filters] + ([intent.quantity] if intent.quantity else [])
    if not qs or not intent.words:
        return
    chosen = {(s.service, s.template_id) for q in qs for s in q.slots}
    picked = {(svc, tid) for svc, tpls in lex.templates.items() for tid, body, _n in tpls
              if all(any(f in body.lower() for f in forms.split("|")) for forms in intent.words)}
    others = {(s.service, s.template_id): s.body for s in Q.slots(lex, {x[0] for x in chosen})
              if (s.service, s.template_id) in chosen and (s.service, s.template_id) not in picked}
    for word in re.findall(r"[a-z]+", question.lower()):
        if word not in L.skip_words() or len(word) < 5:
            continue
        hit = sorted(body for body in others.values()
                     if any(L.stem(x) == L.stem(word) for x in re.findall(r"[a-z]+", body.lower())))
        if hit:
            intent.alternatives.append(f"{word!r} as the template {hit[0][:80]!r} (its number "
                                       "instead of the one in the templates read)")
            return


#: Words that end the second part of "ratio of A to B" (what follows scopes both).
_RATIO_END = re.compile(r"\b(?:for|in|on|at|from|among|during|by|per|with|of|over|across)\b")


def _ratio_parts(t: _Text, intent: "Intent", lex: Lexicon, scope: list[str], q: str) -> bool:
    """"ratio of failed to successful X", "ratio of failures to successes": each side is
    read as its own conditions and the answer is count(A) / count(B) over the rows the
    rest of the question names. Two values of one field ("4xx to 5xx") and two periods
    are left to their own readers (same answer, their own reading)."""
    if intent.compare or not intent.share_at or not re.search(r"\bratio\b", q.lower()):
        return False
    to = re.compile(r"\bto\b").search(t.s, intent.share_at)
    if to is None:
        return False
    end = _RATIO_END.search(t.s, to.end())
    stop = end.start() if end else len(t.s) - 1
    a_txt, b_txt = t.s[intent.share_at:to.start()], t.s[to.end():stop]
    if not a_txt.split() or not b_txt.split():
        return False
    sides = []
    for txt in (a_txt, b_txt):
        side = type(intent)(level_names=intent.level_names)
        if _filters(_Words(_Text(" " + txt + " ")), side, lex, scope, q):
            return False
        sides.append(side)
    a, b = sides
    keys = {k for x in sides for k, _ in x.filters}
    if len(keys) == 1 and all(len(x.filters) == 1 and not (x.words or x.severities or x.exclude)
                              for x in sides):
        return False  # "ratio of 4xx to 5xx": two values of one field
    if not any((x.words, x.severities, x.filters, x.exclude, x.texts) for x in sides) or not all(
            x.words or x.severities or x.filters or x.exclude or x.texts for x in sides):
        return False
    for x, y in ((a, b), (b, a)):  # "failed to successful X": X is the noun of both sides
        if y.words and not (x.words or x.filters or x.texts) and (x.severities or x.exclude):
            intent.words += y.words
            y.words = []
    svcs = intent.services or scope or sorted(lex.templates)
    for x in sides:  # a fail verb read as a severity: the template word, where X's templates use it
        if x.severities and not x.words and intent.words:
            verbs = [w for w in re.findall(r"[a-z]+", (a_txt if x is a else b_txt))
                     if L.stem(w) in _outcome_stems() and L.severity_of(w)]
            within = {w for w in (L.template_stems(v, lex, svcs) for v in verbs[:1]) for w in w}
            held, _ = _siblings(intent.words + ["|".join(sorted(within))], svcs, lex) if within \
                else ([], [])
            if held:
                x.severities, x.words = (), ["|".join(sorted(within)[:6])]
    if b.exclude and not (b.words or b.filters) and (a.words or intent.words):
        a_all = intent.words + a.words
        # "failed to successful": the successful tries are the failures' sibling templates
        own, alts = _siblings(a_all, a.services or intent.services or scope, lex)
        others = [x for x in alts if x not in own]
        if others:
            b.exclude, b.severities, b.outcome_base = None, (), others
    if a.exclude and not (a.words or a.filters) and (b.words or intent.words):
        own, alts = _siblings(intent.words + b.words, b.services or intent.services or scope, lex)
        others = [x for x in alts if x not in own]
        if others:
            a.exclude, a.severities, a.outcome_base = None, (), others
    t.blank(intent.share_at, stop)
    t.blank(to.start(), to.end())
    intent.measure, intent.share_at, intent.ratio_parts = "count", 0, (a, b)
    for x in sides:
        intent.services += [s for s in x.services if s not in intent.services]
        x.services = []
    return True


def _siblings(words: list[str], services: list[str], lex: Lexicon
              ) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(templates holding every word filter, those of them with an outcome sibling and
    their siblings): templates of one service that differ by one outcome word only."""
    stems = _outcome_stems()

    def tokens(body: str) -> list[str]:
        return re.findall(r"<\*>|[a-z][a-z0-9]*", body.lower())

    own: list[tuple[str, str, str]] = []
    alts: list[tuple[str, str, str]] = []
    for svc in services or sorted(lex.templates):
        for tid, body, _n in lex.templates.get(svc, []):
            low = body.lower()
            if all(any(a in low for a in forms.split("|")) for forms in words):
                own.append((svc, tid, body))
    if not own or len(own) > 20:
        return own, []
    for svc, tid, body in own:
        mine = tokens(body)
        for tid2, body2, _n in lex.templates.get(svc, []):
            other = tokens(body2)
            if tid2 == tid or len(other) != len(mine):
                continue
            diff = [(x, y) for x, y in zip(mine, other) if x != y and "<*>" not in (x, y)]
            if len(diff) == 1 and L.stem(diff[0][0]) in stems and diff[0][1].isalpha():
                alts += [(svc, tid, body), (svc, tid2, body2)]
    return own, list(dict.fromkeys(alts))


def _outcome_stems(kind: str | None = None) -> frozenset[str]:
    """Stems of the words that say how a try ended (the table's ``outcomes`` groups), of
    one kind ("failure", "success") when given."""
    out: set[str] = set()
    for w, k in L.table().get("outcomes", {}).items():
        if kind is None or k == kind:
            out |= L.synonyms(w)
    return frozenset(out)


def _success_share(intent: "Intent", num: "Intent", lex: Lexicon) -> None:
    """"what fraction of X were successful": the tries of X's services that ended well
    among those that ended either way (templates differing by one outcome word)."""
    bad = _outcome_stems("failure")
    failing = [f"{w}" for w in lex.words if L.stem(w) in bad
               and any(s in intent.services for s in lex.words[w])]
    if not failing:
        return
    own, pairs = _siblings(["|".join(sorted(failing))], intent.services, lex)
    good = [x for x in pairs if x not in own]
    if good:
        num.exclude, num.severities, num.outcome_base = None, (), good
        intent.outcome_base = pairs


def _outcomes(intent: "Intent", lex: Lexicon, question: str) -> None:
    """"what fraction of X tries failed", "percentage of failed X": the share of one
    outcome is taken among the tries, i.e. the templates that differ from the
    outcome's own templates by the outcome word only ("batch failed" / "batch fired"),
    not among every line of the service. A fail verb read as a severity becomes the
    template word when the scope's templates use that verb. Nothing changes when no
    template of the scope has such a sibling."""
    if intent.measure != "rate" or intent.share:
        return
    if intent.numerator is None and intent.exclude and intent.services and not (
            intent.words or intent.filters or intent.texts or intent.severities):
        # "what fraction of X tries succeeded": the success is the part, X the whole
        intent.numerator = type(intent)(level_names=intent.level_names, exclude=intent.exclude)
        intent.exclude = None
    num = intent.numerator or intent
    if (num is not intent and num.exclude and intent.services
            and not (num.words or num.filters or num.texts)):
        _success_share(intent, num, lex)
        return
    stems = _outcome_stems()
    svcs = intent.services or sorted(lex.templates)
    if not num.words and num.severities and not num.filters and not num.texts:
        # a verb ("failed", "failing"), not a noun of levels ("errors", "failures")
        verbs = [w for w in re.findall(r"[a-z]+", question.lower()[intent.share_at:])
                 if L.stem(w) in stems and re.search(r"(?:ed|ing)$", w) and L.severity_of(w)]
        forms = sorted({w for v in verbs[:1] for w in L.template_stems(v, lex, svcs)
                        if L.stem(w) == L.stem(v)})
        if not forms or not _siblings(["|".join(forms[:6])], svcs, lex)[1]:
            return
        num.severities = ()
        num.words.append("|".join(forms[:6]))
    if not num.words:
        return
    _own, alts = _siblings(num.words, svcs, lex)
    if alts:  # the outcomes that have a sibling, and their siblings
        intent.outcome_base = list(dict.fromkeys(alts))
