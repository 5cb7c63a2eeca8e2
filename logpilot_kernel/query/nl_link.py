"""Linking words of a question to the workspace lexicon: exact, stemmed, synonym, fuzzy.

Why a separate module: the parser (:mod:`nl`) decides what a phrase *does* (measure,
filter, grouping); this module only answers "what in this workspace does this word name?",
from the lexicon and the synonym table (``synonyms.json``), never from words in code.
"""

from __future__ import annotations

import difflib
import functools
import json
import os
import re
from dataclasses import dataclass
from importlib import resources
from typing import Iterable

from .lexicon import KeyInfo, Lexicon


@functools.lru_cache(maxsize=1)
def table() -> dict:
    """The synonym table (package data), parsed once."""
    return json.loads(resources.files(__package__).joinpath("synonyms.json").read_text("utf-8"))


def stem(word: str) -> str:
    """A crude suffix stripper: enough that blocked/blocks/block and denied/deny meet."""
    w = word.lower().strip(".,:;'\"")
    if len(w) == 3 and w.endswith("s"):
        return w[:2]
    if len(w) <= 3:
        return w
    prev = ""
    for _ in range(2):
        for suf, rep in (("sses", "ss"), ("ies", "y"), ("ied", "y"), ("ations", ""),
                         ("ation", ""), ("ing", ""), ("ed", ""),
                         ("es", "e"), ("s", "")):
            if prev in ("ed", "ing") and suf in ("es", "s"):
                break  # "refused" -> refus, as "refuse": no "-s" sits inside an "-ed" form
            if w.endswith(suf) and len(w) - len(suf) >= 3 and not w.endswith("ss"):
                w = w[: len(w) - len(suf)] + rep
                prev = suf
                break
        else:
            break
    if len(w) > 3 and w[-1] == w[-2] and w[-1] not in "aeiousl":
        w = w[:-1]
    if len(w) > 3 and w.endswith("e"):
        w = w[:-1]
    return w


@functools.lru_cache(maxsize=1)
def _groups() -> dict[str, frozenset[str]]:
    out: dict[str, set[str]] = {}
    for group in table()["groups"]:
        stems = {" ".join(stem(t) for t in g.split()) for g in group}
        for s in stems:
            out.setdefault(s, set()).update(stems)
    return {k: frozenset(v) for k, v in out.items()}


def synonyms(phrase: str) -> frozenset[str]:
    """Stemmed phrases meaning the same as ``phrase`` (itself included)."""
    s = " ".join(stem(t) for t in phrase.split())
    return _groups().get(s, frozenset()) | {s}


@functools.lru_cache(maxsize=1)
def skip_words() -> frozenset[str]:
    return frozenset(table()["skip"])


@functools.lru_cache(maxsize=1)
def _skip_stems() -> frozenset[str]:
    return frozenset(s for s in (stem(w) for w in skip_words()) if len(s) >= 4)


@functools.lru_cache(maxsize=1)
def weak_words() -> frozenset[str]:
    """Everyday words read as nothing only when nothing in the workspace has their name
    (the table's ``weak``): "sudo commands were run" skips "run", a job log's "failed
    runs" keeps it as its template word."""
    return frozenset(table().get("weak", []))


def is_skip_form(word: str) -> bool:
    """Whether ``word`` is an inflection ("-ing", "-ed", "-s") of an everyday verb of the
    skip table ("returning" of "returned"): read last, only for a word that links to
    nothing else in the workspace, so the table need not list every form."""
    return bool(re.search(r"(?:ing|ed|s)$", word)) and len(word) >= 5 and stem(word) in _skip_stems()


@functools.lru_cache(maxsize=1)
def severity_words() -> dict[str, tuple[str, ...]]:
    return {stem(k): tuple(v) for k, v in table()["severity"].items()}


def severity_of(word: str) -> tuple[str, ...] | None:
    """Levels a word names ("warnings" -> WARN, "failures" -> ERROR, FATAL), or None."""
    return severity_words().get(stem(word))


@functools.lru_cache(maxsize=1)
def dimension_words() -> dict[str, str]:
    out = {}
    for dim, words in table()["dimensions"].items():
        for w in words:
            out[" ".join(stem(t) for t in w.split())] = dim
    return out


def builtin_dimension(phrase: str) -> str | None:
    """service | severity | host | source | template | minute ... weekday, or None."""
    return dimension_words().get(" ".join(stem(t) for t in phrase.split()))


def opposite_of(word: str) -> str | None:
    """The word this one negates ("successful" -> "fail", from the table's ``opposites``),
    or None: such a word names the rows that are not of the other word's kind."""
    syn = synonyms(word)
    return next((neg for pos, neg in table().get("opposites", {}).items() if stem(pos) in syn),
                None)


def measure_word(word: str) -> str:
    """The quantity a word names right after a statistic ("median time" -> duration), from
    the table's ``measure_words``; other words unchanged."""
    return table().get("measure_words", {}).get(word.lower(), word)


def implied_sums() -> list[str]:
    """Nouns that are a sum by their meaning ("revenue": a total of what it names), from the
    table's ``implied_sums``."""
    return list(table().get("implied_sums", []))


def superlatives() -> dict[str, tuple[str, str]]:
    """Adjectives that are a statistic of an implied quantity ("cheapest" -> min, price),
    from the table's ``superlatives``."""
    return {k: (v[0], v[1]) for k, v in table().get("superlatives", {}).items()}


def key_tokens(name: str) -> list[str]:
    """A field name as stemmed words: ``wait_ms`` -> wait, millisecond; ``SPT`` ->
    source, port (abbreviations from the table)."""
    parts = re.sub(r"([a-z])([A-Z])", r"\1 \2", name).replace("_", " ").replace("-", " ").split()
    abbr = table()["abbreviations"]
    out: list[str] = []
    for p in parts:
        out += [stem(t) for t in abbr.get(p.lower(), p).split()]
    return out


#: Name parts that only say "identifier of": ``batch_id`` names batches as much as ``batch``.
_ID_WORDS = frozenset({"id", "identifier", "no", "ref", "num", "uuid"})


@dataclass(frozen=True)
class KeyMatch:
    info: KeyInfo
    how: str  # exact | stem | synonym
    extra: int  # key words the phrase did not name


def _phrase_covers(words: list[str], tokens: list[str], kind: str) -> tuple[bool, str, int]:
    """Every word of the phrase is a key token (or its synonym, or the key's type)."""
    how = "exact"
    toks = set(tokens) | ({"ip", "address"} if kind == "ip" else set()) | (
        {"id", "identifier"} if kind == "id" else set())
    used: set[str] = set()
    for w in words:
        s = stem(w)
        if s in toks:
            used.add(s)
            continue
        syn = synonyms(w) & toks
        if syn:
            used |= syn
            how = "synonym"
            continue
        return False, how, 0
    return True, how, len(set(tokens) - used - _ID_WORDS)


def shape_prefix(shape: str | None) -> str | None:
    """The word an id-like key's values start with (``LOT\\-\\d+`` -> "lot"), lower case;
    None when the shape does not start with two or more letters then a separator or digit."""
    m = re.match(r"([A-Za-z]{2,})(?:\\?[-_:#./]|\\d|\[0-9)", shape or "")
    return m.group(1).lower() if m else None


def link_key(phrase: str, lex: Lexicon, scope: Iterable[str] = (), counting: bool = False
             ) -> list[KeyMatch]:
    """Context keys this phrase names, best first; in-scope services' keys first.

    Ties go to categorical and IP fields (what one groups by), or with ``counting`` to
    id-like and IP fields (what one counts distinct); then to more distinct values."""
    words = [w for w in phrase.lower().replace("_", " ").split() if w]
    if not words:
        return []
    scope = list(scope)
    out: list[tuple[tuple, KeyMatch]] = []
    joined = phrase.lower().replace(" ", "_")
    whole = [p.split() for p in synonyms(" ".join(words)) if p != " ".join(stem(w) for w in words)]
    for ki in lex.key_infos():
        if ki.name.lower() in (joined, phrase.lower()) or stem(ki.name.lower()) == stem(joined):
            m = KeyMatch(ki, "exact", 0)
        elif len(words) == 1 and ki.kind == "id" and (pre := shape_prefix(ki.shape)) and \
                stem(pre) == stem(words[0]):  # "lots": the key whose values read LOT-<digits>
            m = KeyMatch(ki, "exact" if counting else "shape", 0)
        else:
            tokens = key_tokens(ki.name)
            ok, how, extra = _phrase_covers(words, tokens, ki.kind)
            for alt in whole:  # "response time" -> duration as a whole phrase
                if not ok:
                    ok, _, extra = _phrase_covers(alt, tokens, ki.kind)
                    how = "synonym"
            if not ok:
                continue
            m = KeyMatch(ki, how, extra)
        in_scope = not scope or ki.service in scope
        # a field with one value cannot be what a question groups or counts by
        kinds = ("id", "ip") if counting else ("categorical", "ip")
        rank = (not in_scope, ki.distinct == 1, m.how != "exact", m.extra,
                ki.kind not in kinds, -ki.distinct if ki.kind in ("ip", "id") else 0, -ki.rows)
        out.append((rank, m))
    out.sort(key=lambda p: p[0])
    best = [m for r, m in out if r[:4] == out[0][0][:4]] if out else []
    if scope and best and all(m.info.service not in scope for m in best):
        return []
    return [m for _, m in out if m in best] + [m for _, m in out if m not in best]


def link_service(word: str, lex: Lexicon) -> tuple[str, str] | None:
    """(service, how) for a word naming a service: exact, stem, synonym, fuzzy."""
    low = word.lower()
    for svc in lex.services:
        if svc.lower() == low:
            return svc, "exact"
    s = stem(low)
    for svc in lex.services:
        if stem(svc.lower()) == s:
            return svc, "stem"
    syn = synonyms(low)
    for svc in lex.services:
        if synonyms(svc.lower()) & syn and len(syn) > 1:
            return svc, "synonym"
    if len(low) >= 5 and low not in lex.words and not any(stem(w) == s for w in lex.words):
        near = difflib.get_close_matches(low, [x.lower() for x in lex.services], n=1, cutoff=0.88)
        if near:
            return next(x for x in lex.services if x.lower() == near[0]), "fuzzy"
        kin = [x for x in lex.services if _same_root(s, stem(x.lower()))]
        if len(kin) == 1:  # "reminders" / "reminding" of a service "reminder"
            return kin[0], "root"
    return None


def _same_root(a: str, b: str) -> bool:
    """Two stems of one word family ("translat" of translations, "translator"): a common
    start of six letters or more that leaves at most two letters of the shorter one (an
    agent or action ending the stemmer keeps)."""
    if not (a.isalpha() and b.isalpha()) or a == b:
        return False
    n = len(os.path.commonprefix([a, b]))
    return n >= 6 and n >= min(len(a), len(b)) - 2


def services_named(word: str, lex: Lexicon) -> list[str]:
    """Services whose name has this word as one of its parts ("cron" -> "cron(pam_unix)")."""
    low = word.lower()
    if len(low) < 3:
        return []
    return [s for s in lex.services if low in re.split(r"[^a-z0-9]+", s.lower())]


def sources_named(word: str, lex: Lexicon) -> list[str]:
    """Sources (the ``source`` column) this word names exactly, case aside."""
    low = word.lower()
    return sorted({src for src in lex.sources.values() if src and src.lower() == low})


def files_named(word: str, lex: Lexicon) -> dict[str, int]:
    """Services whose files or their folders have this word in their name ("linux" ->
    Linux_2k.log, "edge" -> edge/access.log) -> rows."""
    low = word.lower()
    out: dict[str, int] = {}
    if len(low) < 3 or severity_of(low):  # "errors" is a level, not the file error.log
        return out
    for name, per in lex.origins.items():
        # a part of the name, or a whole folder or file stem ("billing-api" of
        # billing/billing-api.log: the name a team calls the program by)
        stems = re.split(r"[/\\!]+", name.lower())
        stems += [x.rsplit(".", 1)[0] for x in stems if "." in x]
        if low in re.split(r"[^a-z0-9]+", name.lower()) or low in stems:
            for svc, n in per.items():
                out[svc] = out.get(svc, 0) + n
    return out


def link_host(word: str, lex: Lexicon) -> str | None:
    """The host this word names: its name, or the one host whose name is the word and a
    number or domain after it ("the vault" -> vault02, "mailer" -> mailer.example.org): people
    call a box by its role and leave out the counter."""
    low = word.lower()
    exact = next((h for h in lex.hosts if h.lower() == low), None)
    if exact or len(low) < 4 or not low.isalpha():
        return exact
    near = [h for h in lex.hosts if re.fullmatch(re.escape(low) + r"(?:[-_]?\d+|\.[a-z0-9.-]+)", h.lower())]
    return near[0] if len(near) == 1 else None


@dataclass(frozen=True)
class ValueMatch:
    info: KeyInfo
    value: str
    how: str


def _value_words(value: str) -> list[str]:
    return [stem(t) for t in re.split(r"[^A-Za-z0-9]+", value) if t]


def link_value(word: str, lex: Lexicon, scope: Iterable[str] = ()) -> list[ValueMatch]:
    """Categorical values a word names ("denied" -> a field whose value is DENY), in-scope first."""
    scope = list(scope)
    low, s = word.lower(), stem(word)
    syn = synonyms(word)
    out: list[tuple[tuple, ValueMatch]] = []
    for ki in lex.key_infos():
        for v in ki.values:
            if not re.search(r"[A-Za-z]", v):
                continue
            vw = _value_words(v)
            if v.lower() == low:
                how = "exact"
            elif s in vw:
                how = "stem"
            elif syn & set(vw):
                how = "synonym"
            else:
                continue
            rank = (bool(scope) and ki.service not in scope, how != "exact", how == "synonym")
            out.append((rank, ValueMatch(ki, v, how)))
    out.sort(key=lambda p: p[0])
    if scope and out and out[0][0][0]:
        return []
    if out:
        best = out[0][0]
        return [m for r, m in out if r == best]
    return []


def forms_of(word: str) -> set[str]:
    """The word and its stems: an action noun also as its verb's stem ("rotation" ->
    rotat, as "rotated"), which the suffix stripper alone leaves apart."""
    low = word.lower()
    out = {low, stem(low)}
    if re.search(r"[a-z]{3}ations?$", low):
        out.add(stem(re.sub(r"ations?$", "ate", low)))
    return out


def link_word(word: str, lex: Lexicon, scope: Iterable[str] = ()) -> dict[str, int]:
    """Services whose templates hold this word (or its stem / synonym, or it followed by a
    version number: ssh -> ssh2) -> rows."""
    scope = set(scope)
    forms = forms_of(word)
    out: dict[str, int] = {}
    for w, per in lex.words.items():
        if w in forms or stem(w) in forms or stem(w) in synonyms(word) or (
                len(word) >= 3 and w.rstrip("0123456789") == word.lower()):
            for svc, n in per.items():
                if not scope or svc in scope:
                    out[svc] = out.get(svc, 0) + n
    return out


def link_slot_value(word: str, lex: Lexicon, scope: Iterable[str] = ()
                    ) -> list[tuple[str, str, int, str]]:
    """Template parameters holding this word as a value ("deploy" in "Accepted publickey
    for <*>"): (service, template id, index, value), those of the scope's services when
    any of them holds it; none when only services outside the scope do."""
    hits = lex.slot_values.get(word.lower(), [])
    wanted = set(scope)
    inside = [h for h in hits if not wanted or h[0] in wanted]
    return [(svc, tid, idx, v) for svc, tid, idx, v, _n in inside]


def describing_words(words: list[str | None], lex: Lexicon, scope: Iterable[str] = ()
                     ) -> list[int]:
    """Positions of the words next to a parameter value that only say what the value is
    ("the deploy account", "user deploy": the word the templates write before that
    parameter, or its synonym). They describe the value and filter nothing of their own,
    so the caller consumes them before linking (else they pair with other template
    words). Only next to a value no template writes as a word and no service or field
    holds (those link before parameter values do). ``words``: the question's words, first
    to last, None where one is consumed already."""
    scope = list(scope)
    slot_at: dict[int, list] = {}
    for j, word in enumerate(words):
        if word and word not in lex.words and not link_service(word, lex) and not any(
                v.lower() == word for ki in lex.key_infos() for v in ki.values):
            held = link_slot_value(word, lex, scope)
            if held:
                slot_at[j] = held
    out: list[int] = []
    for j, held in slot_at.items():
        names: set[str] = set()
        for svc, tid, idx, _v in held:
            body = next((b for t, b, _n in lex.templates.get(svc, []) if t == tid), "")
            parts = body.split("<*>")
            lead = re.findall(r"[A-Za-z]+", parts[idx]) if idx < len(parts) else []
            if lead:
                names |= synonyms(lead[-1])
        out += [k for k in (j - 1, j + 1) if 0 <= k < len(words) and k not in slot_at
                and words[k] and stem(words[k] or "") in names]
    return out


def template_stems(word: str, lex: Lexicon, scope: Iterable[str] = ()) -> list[str]:
    """Template words of the workspace (of these services' templates when given) that this
    word names: by form first, else by synonym (for ILIKE filters)."""
    scope = set(scope)
    forms = forms_of(word)
    syn = synonyms(word)
    pool = [w for w, per in lex.words.items() if not scope or scope & set(per)]
    exact = sorted(w for w in pool if w in forms or stem(w) in forms
                   or (len(word) >= 3 and w.rstrip("0123456789") == word.lower() and w != word))
    return exact or sorted(w for w in pool if stem(w) in syn)


def template_forms_wide(word: str, lex: Lexicon) -> list[str]:
    """Template words this word names, by form or by synonym (for pairing words)."""
    forms = forms_of(word)
    syn = synonyms(word)
    return sorted(w for w in lex.words if w in forms or stem(w) in forms or stem(w) in syn
                  or (len(word) >= 3 and w.rstrip("0123456789") == word.lower()))


def nearest(word: str, lex: Lexicon, n: int = 3) -> list[str]:
    """The lexicon entries closest to an unlinked word (named in the refusal)."""
    names = lex.names()
    low = {x.lower(): x for x in names}
    return [low[m] for m in difflib.get_close_matches(word.lower(), list(low), n=n, cutoff=0.5)]
