"""Quantities written inside message text: "took <*>", "latency=<*>", "size <*> bytes".

Why: many logs carry their numbers in the message, not in a field ("Served product 1042 in
85ms"); "how long did X take on average", "p95 latency of X", "how many requests over 2s"
must be answered from the template parameter that holds the number. Which parameter that
is comes from the template's own words around its ``<*>`` (the word before it, a unit
glued to it or written after it) and from the values the lexicon sampled there
(:class:`lexicon.Slot`); units are data (``units.json``: unit -> family and factor to the
family's base unit). Nothing here names a template, a service or a field.

The SQL reads the parameter from ``context.params`` (the values of a template's ``<*>``
first to last), strips its unit and converts it: to the family's base unit for comparisons
("over 2s"), and for an answer to the unit the question asks for ("in ms") or else the
unit the logs write (so "how long ... on average" answers in the logged ms).
"""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from dataclasses import dataclass, field
from importlib import resources
from typing import Iterable

from . import nl_link as L
from .lexicon import NUMBER_UNIT, Lexicon


@functools.lru_cache(maxsize=1)
def table() -> dict:
    """The unit table (package data), parsed once."""
    return json.loads(resources.files(__package__).joinpath("units.json").read_text("utf-8"))


def unit(word: str) -> tuple[str, float] | None:
    """(family, factor to the family's base unit) of a unit word ("ms" -> time, 0.001)."""
    hit = table()["units"].get(word.lower().strip())
    return (hit[0], float(hit[1])) if hit else None


@functools.lru_cache(maxsize=1)
def _family_stems() -> dict[str, str]:
    return {L.stem(w): fam for fam, words in table()["families"].items() for w in words}


def family_of(word: str) -> str | None:
    """The quantity family a question word names ("latency" -> time, "payload" -> size)."""
    u = unit(word)
    return u[0] if u else _family_stems().get(L.stem(word))


def base_name(family: str) -> str:
    return table()["names"].get(family, "")


def short_name(word: str) -> str:
    """The shortest spelling of a unit ("milliseconds" -> "ms"), for labels and columns."""
    u = unit(word)
    if u is None:
        return word
    same = [k for k, (fam, f) in table()["units"].items() if fam == u[0] and float(f) == u[1]]
    return min(same, key=lambda k: (len(k), k)) if same else word


def unit_rx() -> str:
    """Alternation of every unit word, longest first (for "in ms", "over 2 s")."""
    return "|".join(re.escape(u) for u in sorted(table()["units"], key=len, reverse=True))


@dataclass(frozen=True)
class QSlot:
    """A numeric parameter of one template, with what the template says around it."""

    service: str
    template_id: str
    index: int
    body: str
    family: str  # time | size | percent | "" (a number the template names, no unit)
    unit: str  # the unit its numbers are written in ('' unknown)
    glued: bool  # the values carry their unit ("157ms"): read per row
    before: tuple[str, ...]  # stems of the words right before the slot (and its key name)
    rows: int
    after: str = ""  # stem of the noun the number counts ("wrote <*> buffers"), not a unit
    #: the word a sibling template writes where this one has the parameter ("for <word>
    #: from" beside "for unknown user <*> from"): the value of every row of that template
    constant: str = ""

    @property
    def factor(self) -> float:
        u = unit(self.unit) if self.unit else None
        return u[1] if u else 1.0

    def value_sql(self) -> str:
        """The number of this slot in the family's base unit (NULL when not a number)."""
        p = f"json_extract_string(context, '$.params[{self.index}]')"
        rx = NUMBER_UNIT.replace("'", "''")
        num = f"TRY_CAST(regexp_extract({p}, '{rx}', 1) AS DOUBLE)"
        if not self.glued or not self.family:
            return f"{num} * {self.factor!r}"
        units = [(u, f) for u, (fam, f) in table()["units"].items() if fam == self.family]
        cases = " ".join(f"WHEN '{u}' THEN {float(f)!r}" for u, f in units if "'" not in u)
        return (f"{num} * CASE lower(regexp_extract({p}, '{rx}', 2)) {cases} "
                f"ELSE {self.factor!r} END")


@dataclass
class Quantity:
    """The quantity a question names: one or more slots (of templates that say the same
    thing), read in the family's base unit and answered in ``out_unit``."""

    slots: list[QSlot]
    family: str
    out_unit: str = ""
    notes: list[str] = field(default_factory=list)
    own: int = 0  # question words found as written in the chosen templates
    score: int = 0  # those and their synonyms (0: linked by family only)
    by_name: bool = False  # a question word is the template's word right before the number

    @property
    def out_factor(self) -> float:
        u = unit(self.out_unit) if self.out_unit else None
        return u[1] if u else 1.0

    def base_sql(self) -> str:
        whens = " ".join(
            f"WHEN service_name = {_lit(s.service)} AND template_id = {_lit(s.template_id)} "
            f"THEN {s.value_sql()}" for s in self.slots)
        return f"(CASE {whens} END)"

    def raw_sql(self) -> str:
        """The parameter's text as logged (for counting distinct values)."""
        whens = " ".join(
            f"WHEN service_name = {_lit(s.service)} AND template_id = {_lit(s.template_id)} "
            f"THEN {_lit(s.constant) if s.constant else _param(s.index)}" for s in self.slots)
        return f"(CASE {whens} END)"

    def sql(self) -> str:
        """The value in the answer's unit."""
        f = self.out_factor
        return self.base_sql() if f == 1.0 else f"({self.base_sql()} / {f!r})"

    @property
    def name(self) -> str:
        first = self.slots[0] if self.slots else None
        word = self.family or (first.after if first and first.after else None) or (
            first.before[-1] if first and first.before else "value")
        return f"{word}_{self.out_unit}" if self.out_unit else word

    def label(self) -> str:
        """English: which number of which templates, in what unit."""
        where = "; ".join(sorted({f"'{_mark(s)}' ({s.service})" for s in self.slots}))
        unit_txt = f", in {self.out_unit}" if self.out_unit else ""
        return f"the number marked [*] in {where}{unit_txt}"


def _mark(s: QSlot) -> str:
    """The template with its slot marked ``[*]`` (the other parameters stay ``<*>``); a
    constant sibling's word is marked ``[word]``."""
    if s.constant:
        word = rf"(?<![\w<]){re.escape(s.constant)}(?![\w>])"
        return re.sub(word, f"[{s.constant}]", s.body, count=1)[:120]
    return mark(s.body, s.index)


def _param(index: int) -> str:
    return f"json_extract_string(context, '$.params[{index}]')"


def mark(body: str, index: int) -> str:
    """``body`` with parameter ``index`` marked ``[*]`` (the others stay ``<*>``), for readings."""
    parts = body.split("<*>")
    out = parts[0]
    for k, part in enumerate(parts[1:]):
        out += ("[*]" if k == index else "<*>") + part
    return out[:120]


def _lit(v: str) -> str:
    from ..sqltext import literal

    return literal(v)


_UNIT_AFTER = re.compile(r"^([A-Za-z%µ]+)(?![A-Za-z])|^\s+([A-Za-z%µ]+)(?![A-Za-z])")


def _read_slot(svc: str, tid: str, body: str, index: int, value_unit: str, rows: int
               ) -> QSlot | None:
    """What the template says about its ``index``-th parameter; None when it is no
    quantity (no unit anywhere and no word of a quantity family before it)."""
    pieces = body.split("<*>")
    if index + 1 >= len(pieces):
        return None
    before_txt, after_txt = pieces[index], pieces[index + 1]
    words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", before_txt)[-2:]
    before = tuple(t for w in words for t in L.key_tokens(w))
    fixed = ""
    m = _UNIT_AFTER.match(after_txt)
    if m and unit(m.group(1) or m.group(2)):
        fixed = (m.group(1) or m.group(2)).lower()
    named = next((t for t in reversed(before) if unit(t)), "")  # "lag_ms=<*>"
    u = fixed or value_unit or named
    fam = unit(u)[0] if u and unit(u) else next(
        (f for t in reversed(before) if (f := family_of(t))), "")
    noun = re.match(r"\s+([A-Za-z][A-Za-z0-9_]*)", after_txt)
    after = L.stem(noun.group(1)) if noun and not unit(noun.group(1)) else ""
    return QSlot(svc, tid, index, body, fam, u, bool(value_unit) and not fixed, before, rows,
                 after)


def slots(lex: Lexicon, scope: Iterable[str] = ()) -> list[QSlot]:
    """The numeric template parameters of these services (every service when none)."""
    wanted = set(scope)
    return [s for s in _cached(lex) if not wanted or s.service in wanted]


def _cached(lex: Lexicon) -> list[QSlot]:
    got = getattr(lex, "_qslots", None)
    if got is None:
        bodies = {(svc, tid): body for svc, tpls in lex.templates.items() for tid, body, _n in tpls}
        got = []
        for s in lex.slots:
            body = bodies.get((s.service, s.template_id))
            if body is None or s.numeric < 0.9 * s.rows:
                continue
            q = _read_slot(s.service, s.template_id, body, s.index, s.unit, s.numeric)
            if q is not None:
                got.append(q)
        object.__setattr__(lex, "_qslots", got)
    return got


def find_param(named: list[str], context: list[str], lex: Lexicon, scope: Iterable[str] = ()
               ) -> Quantity | None:
    """The template parameter a noun names by the word right before its ``<*>`` ("product
    <*>", "invalid user <*>"), numbers or not, for counting its distinct values; the
    question's other words pick among the templates. None when no template has it."""
    wanted = set(scope)
    bodies = {(svc, tid): body for svc, tpls in lex.templates.items() for tid, body, _n in tpls}
    syn: set[str] = set()
    for w in named:
        if L.stem(w) not in ("id", "identifier", "number", "no"):
            syn |= L.synonyms(w) | {L.stem(w)}
    pool = []
    for s in lex.slots:
        body = bodies.get((s.service, s.template_id))
        if body is None or (wanted and s.service not in wanted):
            continue
        pieces = body.split("<*>")
        if s.index + 1 >= len(pieces):
            continue
        words = re.findall(r"[A-Za-z][A-Za-z0-9_]*", pieces[s.index])
        if not words or not pieces[s.index].endswith(" ") or not (
                syn & set(L.key_tokens(words[-1]))):
            continue  # the noun must stand right before the slot ("user <*>", not "user=<*>x")
        pool.append(QSlot(s.service, s.template_id, s.index, body, "", "", False,
                          tuple(w.lower() for w in words[-2:]), s.rows))
    if not pool:
        return None
    context = [w for w in context if not L.link_service(w, lex)]  # scope, not template words
    own = {L.stem(w) for w in context if w not in L.skip_words() or len(w) > 3} - syn
    syn_ctx = {x for w in context for x in L.synonyms(w)} - own - syn
    scored = [((len(own & b), len(syn_ctx & b)), s) for s in pool for b in [body_stems(s.body)]]
    best = max(n for n, _ in scored)
    chosen = [s for n, s in scored if n == best]
    if len({s.before for s in chosen}) > 1:
        return None  # "for product <*>" and "load product <*>": which is meant is a guess
    # a sibling that writes the value as a word counts when it holds the question's words as
    # the chosen ones do ("non-existent usernames": not the sibling without "invalid user")
    nouns = {t for s in chosen for t in L.key_tokens(s.before[-1])}
    mods = {x for w in named if not (L.synonyms(w) | {L.stem(w)}) & nouns
            for x in L.synonyms(w) | {L.stem(w)}}  # "unknown usernames": "unknown"
    held = mods & set().union(*(body_stems(s.body) for s in chosen))
    chosen += [s for s in constant_siblings(chosen, lex)
               if (len(own & (b := body_stems(s.body))), len(syn_ctx & b)) == best and held <= b]
    q = Quantity(chosen, "", own=best[0], score=best[0] + best[1], by_name=True)
    if len({(s.service, s.template_id) for s in chosen}) > 1:
        q.notes.append("the values are read from several templates: " + "; ".join(
            sorted({f"'{_mark(s)}'" for s in chosen})[:4]))
    return q


_TOKEN = re.compile(r"<\*>|[^\s<]+|<")


def constant_siblings(chosen: list[QSlot], lex: Lexicon) -> list[QSlot]:
    """Templates of the same service that say the same thing with one word where a chosen
    template has its parameter and the words that name it: "... for warden from <*> ..."
    beside "... for unknown user <*> from <*> ...". The miner keeps a value that is always
    the same (the one named account) in the text, so a count of distinct values must read
    it from there. Aligned by the longest common head and tail of words: both at least two
    words long, the head holding no parameter (so the sentences are the same sentence)."""
    have = {(s.service, s.template_id) for s in chosen}
    out: list[QSlot] = []
    for s in chosen:
        toks = _TOKEN.findall(s.body)
        slots_at = [k for k, x in enumerate(toks) if x == "<*>"]
        if s.constant or s.index >= len(slots_at):
            continue
        at = slots_at[s.index]
        for tid, body, n in lex.templates.get(s.service, []):
            if (s.service, tid) in have:
                continue
            other = _TOKEN.findall(body)
            head = 0
            while head < min(len(toks), len(other)) and toks[head] == other[head]:
                head += 1
            tail = 0
            while tail < min(len(toks), len(other)) - head and toks[-1 - tail] == other[-1 - tail]:
                tail += 1
            middle = other[head:len(other) - tail]
            if (head < 2 or tail < 2 or "<*>" in toks[:head] or len(middle) != 1
                    or not re.fullmatch(r"[A-Za-z][\w.-]*", middle[0])
                    or not head <= at < len(toks) - tail or toks[at + 1:len(toks) - tail]):
                continue  # the parameter must end the part that differs
            have.add((s.service, tid))
            out.append(dataclasses.replace(s, template_id=tid, body=body, rows=n, constant=middle[0]))
    return out


def body_stems(body: str) -> set[str]:
    """The stems of a template's words (its parameters left out)."""
    return {L.stem(w) for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", body.replace("<*>", " "))}


def find(named: list[str], context: list[str], lex: Lexicon, scope: Iterable[str] = (),
         family: str | None = None) -> Quantity | None:
    """The quantity named by ``named`` (the words right after a statistic, or the field
    of a threshold) among the slots in scope; ``context`` (the question's other content
    words) picks among them by the templates' words. ``family`` when the question names
    one by a unit or "how long"."""
    # a number with no unit and no quantity word before it ("Lot <*> not sifted") is an
    # identifier or a count the template names, not a quantity: never a measure's slot
    every = slots(lex, scope)
    pool = [s for s in every if s.family]
    fams = {f for w in named if (f := family_of(w))}
    fam = family or (fams.pop() if len(fams) == 1 else None)
    syn = set()
    for w in named:
        syn |= L.synonyms(w) | {L.stem(w)}
    # the noun a number counts ("wrote <*> buffers") is the question's noun ("buffers
    # written"): that number, before one merely written after the noun ("buffers (<*>%)")
    counted = [s for s in every if not fam and s.after and s.after in syn]
    if not pool and not counted:
        return None
    by_name = counted or [s for s in pool if syn & set(s.before[-2:])]
    if counted:
        pool = counted
    elif by_name:
        pool = by_name
        if fam and any(s.family == fam for s in pool):
            pool = [s for s in pool if s.family == fam]
    elif fam:
        pool = [s for s in pool if s.family == fam]
    else:
        return None
    if not pool:
        return None
    if not by_name:  # "the slowest query": the family chose the slots, the noun picks among them
        context = [*context, *(w for w in named if not family_of(w))]
    own = {L.stem(w) for w in context if w not in L.skip_words() or len(w) > 3}
    syn_ctx = {x for w in context for x in L.synonyms(w)} - own
    scored = [((len(own & b), len(syn_ctx & b)), s) for s in pool
              for b in [body_stems(s.body)]]
    best = max(n for n, _ in scored)
    chosen = [s for n, s in scored if n == best]
    if best == (0, 0) and not by_name and len({(s.service, s.template_id) for s in chosen}) > 1:
        return None  # only the family links: which template's number is meant is a guess
    q = Quantity(chosen, chosen[0].family or "", own=best[0], score=best[0] + best[1], by_name=bool(by_name))
    if counted:
        other = [s for s in every if s.family and syn & set(s.before[-2:])
                 and (s.service, s.template_id) in {(c.service, c.template_id) for c in chosen}]
        if other:
            q.notes.append(f"another reading: the number marked [*] in '{_mark(other[0])}'")
    units = {s.unit for s in chosen}
    if len(units) == 1 and (u := units.pop()):
        q.out_unit = short_name(u)
    elif q.family:
        q.out_unit = base_name(q.family)
    if len({(s.service, s.template_id) for s in chosen}) > 1:
        q.notes.append("the number is read from several templates: " + "; ".join(
            sorted({f"'{_mark(s)}'" for s in chosen})[:4]))
    return q


def in_unit(q: Quantity, word: str) -> bool:
    """Answer in the unit the question asks for ("in ms"), when it is of the family."""
    u = unit(word)
    if u is None or (q.family and u[0] != q.family):
        return False
    q.out_unit = short_name(word)
    return True
