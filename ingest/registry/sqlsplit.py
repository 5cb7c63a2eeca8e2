"""A split-based reading of a regex rule's groups, for lines whose parse is forced.

Why: ``regexp_extract`` with a dozen groups costs about 10 us a record (RE2 tracks
submatches); matching alone (``regexp_matches``, a DFA) costs about 1.5 us, and cutting
a string at a delimiter with ``strpos``/``substr`` a fraction of that. Many layouts are a
row of fields, each closed by a fixed delimiter (``host ident user [time] "request"
status bytes``). For such a layout this module derives, from the rule's own pattern, a
chain of cuts that gives every group, and a guard that says when the cuts give exactly
what the regex gives. Lines outside the guard take ``regexp_extract`` as before.

The guarantee (why the cuts equal RE2's submatches). The pattern is read with Python's
regex parser into a top-level sequence ``^ lit0 F1 lit1 F2 ... Fn [litn] [(?:lit G...)?] $``.
A field F followed by a literal starting with ``d`` is *forced* when no parse can put a
``d`` inside F: F's literals hold no ``d``, and either none of its character classes
admits ``d`` or ``d`` is *counted*. Counting: the line holds exactly as many ``d`` as the
fewest any path through the pattern writes as literals; then, in every parse, the
literals take all of them and no class takes one. In every parse a forced F starts where
the previous cut ended, holds no ``d`` and is followed by ``d``, so it ends at the first
``d``: the parse's outer spans are unique, and ``regexp_matches`` (the first condition of
the guard) says one exists. Groups nested inside a field are read by ``regexp_extract``
of the field's own text against the field's own sub-pattern, anchored; with the outer
spans fixed, RE2's leftmost-first choice inside them is the same as on the whole line.
An optional tail ``(?:lit ...)?$`` is present exactly when text is left (it must start
with a literal). Anything else in the pattern (lookaround, back-references, flags, a
field not followed by a literal) makes :func:`split_plan` return None: the regex alone.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

try:  # Python 3.11+: the parser behind re.compile (sre_parse before that)
    from re import _constants as _c  # type: ignore[attr-defined]
    from re import _parser as _p  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - older Pythons are not supported by the package
    _p = None  # type: ignore[assignment]
    _c = None  # type: ignore[assignment]

#: Module switch: False compiles every regex rule to ``regexp_extract`` alone (the A/B of
#: tests and of tests/benchmarks/parse_rules.py).
ENABLED = True


@dataclass
class _Field:
    """One cut: a group (or an anonymous item) and the literal that closes it."""

    gid: int | None          # capture group number, None for a non-capturing item
    items: list              # its parsed body
    close: str               # the literal after it ('' = the field runs to the end)
    optional: bool = False   # inside the optional tail


@dataclass
class SplitPlan:
    """The cuts of a pattern and the delimiter counts its guard checks."""

    lead: str                                   # literal right after '^'
    fields: list[_Field]
    tail_lead: str | None = None                # literal opening the optional tail
    tail_gid: int | None = None                 # the tail's own capture group, if any
    counted: dict[str, int] = field(default_factory=dict)   # d -> literal count required


class _Refused(Exception):
    """The pattern has a part the cut reading does not cover."""


def _in_class(av: list, ch: str) -> bool:
    """Whether a character class (``IN``'s items) matches the ASCII character ``ch``."""
    neg = False
    hit = False
    o = ord(ch)
    for op, a in av:
        if op is _c.NEGATE:
            neg = True
        elif op is _c.LITERAL:
            hit |= a == o
        elif op is _c.RANGE:
            hit |= a[0] <= o <= a[1]
        elif op is _c.CATEGORY:
            hit |= _category(a, ch)
        else:
            raise _Refused(f"class item {op}")
    return hit != neg


def _category(cat: object, ch: str) -> bool:
    """ASCII semantics of ``\\d \\s \\w`` (RE2 and Python agree on printable ASCII)."""
    table = {
        _c.CATEGORY_DIGIT: ch.isdigit(), _c.CATEGORY_NOT_DIGIT: not ch.isdigit(),
        _c.CATEGORY_SPACE: ch == " ", _c.CATEGORY_NOT_SPACE: ch != " ",
        _c.CATEGORY_WORD: ch.isalnum() or ch == "_", _c.CATEGORY_NOT_WORD: not (ch.isalnum() or ch == "_"),
    }
    if cat not in table:
        raise _Refused(f"category {cat}")
    return table[cat]


def _scan(items: list, ch: str) -> tuple[bool, bool, int]:
    """(a class can match ``ch``, a literal ``ch`` occurs, fewest literal ``ch`` on a path)."""
    cls = lit = False
    least = 0
    for op, av in items:
        if op is _c.LITERAL:
            if av == ord(ch):
                lit, least = True, least + 1
        elif op is _c.NOT_LITERAL:
            cls |= av != ord(ch)
        elif op is _c.ANY:
            cls = True
        elif op is _c.IN:
            cls |= _in_class(av, ch)
        elif op is _c.SUBPATTERN:
            if av[1] or av[2]:
                raise _Refused("inline flags")
            c2, l2, n2 = _scan(list(av[3]), ch)
            cls, lit, least = cls or c2, lit or l2, least + n2
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            c2, l2, n2 = _scan(list(av[2]), ch)
            if av[1] != 0:
                cls, lit = cls or c2, lit or l2
            least += av[0] * n2
        elif op is _c.BRANCH:
            scans = [_scan(list(b), ch) for b in av[1]]
            cls |= any(s[0] for s in scans)
            lit |= any(s[1] for s in scans)
            least += min(s[2] for s in scans)
        else:
            raise _Refused(f"op {op}")
    return cls, lit, least


def _groups_in(items: list) -> list[int]:
    """Capture group numbers nested in ``items``, in order."""
    out: list[int] = []
    for op, av in items:
        if op is _c.SUBPATTERN:
            if av[0] is not None:
                out.append(av[0])
            out += _groups_in(list(av[3]))
        elif op in (_c.MAX_REPEAT, _c.MIN_REPEAT):
            out += _groups_in(list(av[2]))
        elif op is _c.BRANCH:
            for b in av[1]:
                out += _groups_in(list(b))
    return out


def _literal_run(items: list, i: int) -> tuple[str, int]:
    """The literal text starting at ``items[i]`` and the index after it."""
    chars = []
    while i < len(items) and items[i][0] is _c.LITERAL:
        chars.append(chr(items[i][1]))
        i += 1
    return "".join(chars), i


def _cut_fields(items: list, i: int, end: int, optional: bool) -> tuple[list[_Field], int]:
    """Fields of ``items[i:end]``: each item not a literal, closed by the literal after it."""
    fields: list[_Field] = []
    while i < end:
        op, av = items[i]
        if op is _c.LITERAL:
            raise _Refused("literal where a field was expected")
        if op is _c.AT:
            raise _Refused("anchor inside the sequence")
        gid = av[0] if op is _c.SUBPATTERN else None
        body = list(av[3]) if op is _c.SUBPATTERN else [(op, av)]
        close, j = _literal_run(items, i + 1)
        if not close and j < end:
            raise _Refused("two fields without a delimiter between them")
        fields.append(_Field(gid, body, close, optional))
        i = j
    return fields, i


def split_plan(pattern: str) -> SplitPlan | None:
    """The cut reading of ``pattern``, or None when its layout does not allow one."""
    if _p is None or not ENABLED:
        return None
    try:
        return _plan(pattern)
    except (_Refused, re.error, TypeError, ValueError, IndexError):
        return None


def _plan(pattern: str) -> SplitPlan:
    parsed = _p.parse(pattern)
    if parsed.state.flags & ~(_c.SRE_FLAG_UNICODE):
        raise _Refused("flags")
    items = list(parsed)
    if len(items) < 2 or items[0] != (_c.AT, _c.AT_BEGINNING) or items[-1] != (_c.AT, _c.AT_END):
        raise _Refused("not anchored at both ends")
    items = items[1:-1]
    lead, i = _literal_run(items, 0)
    end = len(items)
    tail: list | None = None
    tail_gid = None
    if items and items[-1][0] is _c.MAX_REPEAT and items[-1][1][:2] == (0, 1):
        sub = list(items[-1][1][2])  # the parser inlines a plain (?:...) into the sequence
        if len(sub) == 1 and sub[0][0] is _c.SUBPATTERN and not sub[0][1][1] and not sub[0][1][2]:
            tail, tail_gid, end = list(sub[0][1][3]), sub[0][1][0], len(items) - 1
        elif sub and sub[0][0] is _c.LITERAL:
            tail, end = sub, len(items) - 1
    fields, _ = _cut_fields(items, i, end, False)
    if fields and not fields[-1].close and tail is not None:
        raise _Refused("a field running to the end before the optional tail")
    if not fields and tail is None:
        raise _Refused("no field")
    plan = SplitPlan(lead, fields, tail_gid=tail_gid)
    if tail is not None:
        tail_lead, k = _literal_run(tail, 0)
        if not tail_lead:
            raise _Refused("optional tail not opened by a literal")
        more, _ = _cut_fields(tail, k, len(tail), True)
        if more and more[-1].close:
            raise _Refused("optional tail not running to the end")
        plan.tail_lead, plan.fields = tail_lead, fields + more
    whole = items  # '^' and '$' left out: they write nothing
    for f in plan.fields:
        if not f.close:
            continue
        d = f.close[0]
        if not " " <= d <= "~":
            raise _Refused("delimiter outside printable ASCII")
        cls, lit, _n = _scan(f.items, d)
        if lit:
            raise _Refused(f"field writes its own delimiter {d!r}")
        if cls and d not in plan.counted:
            plan.counted[d] = _scan(whole, d)[2]
    for f in plan.fields:  # every class and group of the pattern must be understood
        _scan(f.items, "a")
        if f.gid is None and _groups_in(f.items):
            raise _Refused("groups inside an anonymous item")
    return plan


def group_spans(pattern: str) -> dict[int, tuple[int, int]]:
    """Source span (body start, body end) of every capture group, by number."""
    spans: dict[int, tuple[int, int]] = {}
    stack: list[tuple[int | None, int]] = []
    n = 0
    i = 0
    while i < len(pattern):
        ch = pattern[i]
        if ch == "\\":
            i += 2
            continue
        if ch == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] == "^":
                j += 1
            if j < len(pattern) and pattern[j] == "]":
                j += 1
            while j < len(pattern) and pattern[j] != "]":
                j += 2 if pattern[j] == "\\" else 1
            i = j + 1
            continue
        if ch == "(":
            if pattern.startswith("(?P<", i):
                n += 1
                stack.append((n, pattern.index(">", i) + 1))
            elif pattern.startswith("(?", i):
                stack.append((None, i))
            else:
                n += 1
                stack.append((n, i + 1))
        elif ch == ")":
            gid, start = stack.pop()
            if gid is not None:
                spans[gid] = (start, i)
        i += 1
    return spans


def _lit(value: str) -> str:
    from ...sqltext import literal  # the one literal helper (issue 17)

    return literal(value)


def _split_char(plan: SplitPlan) -> str | None:
    """A counted delimiter to cut the line at first (``string_split``): every occurrence of
    it is then a literal of the pattern, so the pieces between them are known segments.
    Only one that the cuts' own literals write all of (none inside a field), and none
    that the optional tail writes (the segments would shift with it)."""
    for d in sorted(plan.counted):
        if plan.tail_lead is not None and (d in plan.tail_lead or any(d in f.close for f in plan.fields if f.optional)):
            continue
        cuts = plan.lead.count(d) + sum(f.close.count(d) for f in plan.fields if not f.optional)
        if cuts == plan.counted[d]:  # no field writes one inside itself
            return d
    return None


def split_select(pattern: str, n_groups: int, base: str, line: str, extract: str,
                 header_group: int | None = None) -> tuple[str, str] | None:
    """(FROM text, struct expression) reading the groups of ``pattern`` by cuts.

    ``base``: a SELECT with the column ``line``; the FROM text adds the cut columns to it.
    The struct has the fields ``_all, c1 .. c{n_groups}`` of ``extract`` (the
    ``regexp_extract`` it replaces, kept for the lines outside the guard). With
    ``header_group`` (the trailing message group that ``extract`` leaves out) ``_all`` is
    the text before that group, as the header-only regex gives it. None: no plan.

    Why segments: a function call per row costs about as much as the bytes it scans, so
    a counted delimiter cuts the line once (``string_split``, which also gives the count
    the guard needs) and each field is then a segment or a cut inside a short one.
    """
    plan = split_plan(pattern)
    if plan is None:
        return None
    spans = group_spans(pattern)
    d = _split_char(plan)
    layers: list[str] = []
    piece: dict[int, str] = {}     # group number -> SQL text of its value
    inner: list[tuple[str, str]] = []  # (column, regexp_extract of a field's own text)
    seg = 1

    def skip(expr: str, n: int) -> str:
        return f"substr({expr}, {n + 1})" if n else expr

    if d is not None:
        layers.append(f"string_split({line}, {_lit(d)}) AS _lp_parts")
        head, _, after = plan.lead.partition(d) if d in plan.lead else (plan.lead, "", "")
        seg = 1 + plan.lead.count(d)
        r = skip(f"_lp_parts[{seg}]", len(plan.lead.rsplit(d, 1)[-1]) if d in plan.lead else len(head))
    else:
        r = skip(line, len(plan.lead))
    present = None
    for k, f in enumerate(plan.fields):
        if f.optional and present is None:  # the optional tail opens here
            present = f"({r} <> '')"
            if plan.tail_gid is not None:
                piece[plan.tail_gid] = r
            r = skip(r, len(plan.tail_lead or ""))
        if not f.close:
            text = r
        elif d is not None and f.close.startswith(d):  # the field is the rest of its segment
            text = r
        else:
            p = f"_lp_p{k}"
            layers.append(f"{r} AS _lp_s{k}")
            layers.append(f"strpos(_lp_s{k}, {_lit(f.close[0])}) AS {p}")
            text = f"substr(_lp_s{k}, 1, greatest({p} - 1, 0))"
        if f.close and d is not None and d in f.close:
            seg += f.close.count(d)
            r = skip(f"_lp_parts[{seg}]", len(f.close.rsplit(d, 1)[-1]))
        elif f.close and text != r:
            r = f"substr(_lp_s{k}, {p} + {len(f.close)})"
        if present is not None and f.optional:
            text = f"CASE WHEN {present} THEN {text} ELSE '' END"
        if f.gid is not None:
            piece[f.gid] = text
            nested = _groups_in(f.items)
            if nested:
                lo, hi = spans[f.gid]
                names = ", ".join(_lit(f"c{g}") for g in nested)
                inner.append((f"_lp_i{k}", f"regexp_extract({text}, {_lit('^(?:' + pattern[lo:hi] + ')$')}, [{names}])"))
                for g in nested:
                    piece[g] = f"_lp_i{k}.c{g}"
    if plan.tail_lead is not None and present is None:  # a tail of literals only
        return None
    wanted = range(1, n_groups + 1)
    if any(g not in piece for g in wanted) or (header_group is not None and header_group not in piece):
        return None
    guard = [f"regexp_matches({line}, {_lit(pattern)})"]
    for c, n in sorted(plan.counted.items()):
        count = "len(_lp_parts) - 1" if c == d else f"len(string_split({line}, {_lit(c)})) - 1"
        guard.append(f"{count} = {n}")
    sql = base
    for layer in layers:
        sql = f"SELECT *, {layer} FROM ({sql})"
    sql = f"SELECT *, ({' AND '.join(guard)}) AS _lp_fast FROM ({sql})"
    if inner:
        cols = ", ".join(f"CASE WHEN _lp_fast THEN {expr} END AS {col}" for col, expr in inner)
        sql = f"SELECT *, {cols} FROM ({sql})"
    if header_group is not None:
        whole = f"substr({line}, 1, length({line}) - length({piece[header_group]}))"
    else:
        whole = line
    fields = ", ".join([f"_all := {whole}"] + [f"c{g} := {piece[g]}" for g in wanted])
    return sql, f"CASE WHEN _lp_fast THEN struct_pack({fields}) ELSE {extract} END"


#: A message where the space-separated words would NOT be exactly the matches of
#: ``sqlgen.KV_RE``: a word holding '=' and one of the characters that end a value or a
#: key (RE2's ``\s`` but space, ``,;"(){}[]``), a word with '=' that does not open with a
#: key's first character, or one whose text before its first '=' leaves the key's class.
KV_BREAKS_RE = (r'[\t\n\f\r,;"(){}\[\]][^ ]*=|=[^ ]*[\t\n\f\r,;"(){}\[\]]'
                r'|(?:^| )(?:=|[^A-Za-z_ ][^ ]*=)|(?:^| )[^ =]*[^A-Za-z0-9_.\- =][^ =]*=')


def kv_matches_sql(message: str, kv_re: str) -> str:
    """The texts of the ``kv_re`` matches in ``message`` (``regexp_extract_all``), read as
    the words holding '=' when :data:`KV_BREAKS_RE` finds no reason against it.

    Why it is the same list: without such a word, every word with '=' is a key (the
    longest run of key characters from its start, up to its first '='), '=' and an
    unquoted value running to the word's end, and a word without '=' holds no match (a
    match is one run without spaces around its '='). Firewall lines carry about 17 such
    pairs; pulling them by regex was most of their parse cost.
    """
    if not ENABLED:
        return f"regexp_extract_all({message}, {_lit(kv_re)})"
    return (f"CASE WHEN regexp_matches({message}, {_lit(KV_BREAKS_RE)}) THEN regexp_extract_all({message}, {_lit(kv_re)}) "
            f"ELSE list_filter(string_split({message}, ' '), lambda w: contains(w, '=')) END")


__all__ = ["ENABLED", "SplitPlan", "split_plan", "group_spans", "split_select", "kv_matches_sql", "KV_BREAKS_RE"]
