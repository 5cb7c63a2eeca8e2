"""Rule induction: an ordinary registry :class:`Rule` for a format nobody wrote a rule for.

From a sample of lines: the timestamp's layout and position come from the one finder
(:mod:`..timestamps`); the text before and after it is cut into tokens, and each token
column is typed by statistics over the sample (a level word in most lines, a number, a
``program[pid]:``, a bracketed field, a constant separator...). The header is the run of
columns that are stable across the sample and end in something that ends a header (a
level, a ``name:``, a closing bracket, a ``-`` separator); the message is the rest. The
result is a regex rule like any other, so it is shown, tested, saved and streamed the
same way. A level may also be a short phrase before a ':' ("Fatal error:"), read whole
after the tokens every line shares. A JSON rule that fits a file but finds none of its
level keys there gets, as data, the key whose sample values are all level spellings.
Nothing here knows a product: level spellings come from the shared alias table
and a small table of level symbols.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Sequence

from logpilot_kernel.schema import SEVERITIES, SEVERITY_ALIASES

from ..timestamps import SEARCH_CHARS, LayoutHit, find_layouts
from .model import Rule

#: One-character level marks some formats use instead of words (debug, verbose,
#: notice, warning), read only when a whole column consists of them.
LEVEL_SYMBOLS: dict[str, str] = {".": "DEBUG", "-": "TRACE", "*": "INFO", "#": "WARN"}

#: Level spellings beyond the shared alias table (four-letter column abbreviations),
#: written into an induced rule's ``severity_map`` when its sample uses them.
LEVEL_EXTRA: dict[str, str] = {"erro": "ERROR", "eror": "ERROR", "debu": "DEBUG", "debg": "DEBUG",
                               "trac": "TRACE", "trce": "TRACE", "warng": "WARN", "wrn": "WARN",
                               "inf": "INFO", "fatl": "FATAL", "crt": "FATAL", "panc": "FATAL",
                               "v": "TRACE", "d": "DEBUG"}

#: A column is "stable" when its type holds for at least this share of the lines.
STABLE = 0.9
#: Share of lines whose column must be a level word for it to be the level column.
LEVEL_SHARE = 0.8
#: How far into a line a timestamp is looked for when most sample lines have none in
#: the finder's usual window (:data:`..timestamps.SEARCH_CHARS`).
WIDE_SEARCH_CHARS = 160
#: Columns after the timestamp looked at for header fields.
MAX_COLUMNS = 8
#: Lines shaped like the continuation of a record (indented, or a stack trace's lines).
CONTINUATION_RE = re.compile(
    r"^(?:\s|at |Caused by|Suppressed:|\.\.\. \d+|Traceback|File \"|[\w$.]+(?:Exception|Error|Throwable)\b)")
#: Lines starting like this, in a file whose other lines do not, are header/comment lines.
COMMENT_RE = r"^#"

_TOKEN_RE = re.compile(r"(\s*)(\[[^\]]*\](?:[^\s\[\]]*\])*|<[^>]*>|\||[^\s\[<|]+|\S)")
_WRAP_RE = re.compile(r"^([\[<(#]*)(.*?)([\]>),:;]*)$", re.S)
_SEPARATORS = {"-", "--", "|", ":", "::", "]", "[", "-:", ">", "=>", "->"}


def level_words() -> dict[str, str]:
    """Every spelling of a level, lower-cased, to its level."""
    words = {k.lower(): v for k, v in SEVERITY_ALIASES.items() if not k.isdigit()}
    words.update({s.lower(): s for s in SEVERITIES})
    words.update({k: v for k, v in LEVEL_EXTRA.items() if k not in words})
    return words


@dataclass
class Induction:
    """An induced rule, how well it parses its own sample, and what was found."""

    rule: Rule
    confidence: float
    fields: list[dict[str, Any]] = field(default_factory=list)
    timestamp: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"rule": self.rule.name, "confidence": round(self.confidence, 3),
                "timestamp": self.timestamp, "fields": self.fields, "notes": self.notes,
                "pattern": self.rule.pattern}


def _tokens(text: str) -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in _TOKEN_RE.finditer(text)]


def _wrap(tok: str) -> tuple[str, str, str]:
    m = _WRAP_RE.match(tok)
    assert m is not None
    pre, core, suf = m.groups()
    if tok.startswith("[") and tok.endswith("]"):
        return "[", tok[1:-1], "]"
    return pre, core, suf


def _kind(tok: str, words: dict[str, str]) -> str:
    """Type of one token: level, symbol, number, prog_pid, bracket, colon_end,
    close_end, sep (constant-looking punctuation) or word."""
    if tok in LEVEL_SYMBOLS:
        return "symbol"
    if tok in _SEPARATORS or re.fullmatch(r"([-=|*~])\1{2,}", tok):
        return "sep"
    pre, core, suf = _wrap(tok)
    if core.strip().lower() in words and not core.strip().isdigit() and len(pre) <= 1 and len(suf) <= 2:
        return "level"
    if re.fullmatch(r"[^\s\[\]]+\[\d+\]:?", tok):
        return "prog_pid"
    lead = re.match(r"([A-Za-z]+)/[^\s/\]]+\]?$", tok)
    if lead and lead.group(1).lower() in words:
        return "level_slash"
    if tok.startswith("[") and tok.endswith("]"):
        return "bracket"
    if tok.startswith("<") and tok.endswith(">") and len(tok) > 2:
        return "angle"
    if re.fullmatch(r"[A-Za-z_$][\w$]*(?:\.[\w$<>]+){2,}", tok):
        return "dotted"
    if core.isdigit() and pre in ("", "[", "#", "(") and suf in ("", "]", ":", ")", ","):
        return "number"
    if tok.endswith(":") and len(tok) > 1:
        return "colon_end"
    if tok.endswith("]") and len(tok) > 1:
        return "close_end"
    return "word"


#: Level spellings a header may use beyond those seen in the sample (rare levels such as
#: FATAL may not be in the first lines); written in the sample's letter case.
COMMON_LEVELS = ("trace", "debug", "info", "notice", "warn", "warning", "error", "err", "severe",
                 "critical", "crit", "fatal", "alert", "emerg", "panic", "verbose", "fine", "finer", "finest")
LEVEL_LETTERS = ("v", "d", "i", "w", "e", "f")


def _level_spellings(cores: list[str], words: dict[str, str]) -> list[str]:
    """The alternation of a level column: what the sample shows, plus the common
    spellings in the sample's letter case(s); literal (no case folding: cheaper in RE2)."""
    seen = {c for c in cores if c.lower() in words}
    cases = {("upper" if c.isupper() else "lower" if c.islower() else "title") for c in seen if c.isalpha()}
    letters = any(len(c) == 1 for c in seen)
    base = list(COMMON_LEVELS) + (list(LEVEL_LETTERS) if letters else [])
    out = set(seen)
    for case in cases:
        out |= {getattr(w, case)() if case != "title" else w.title() for w in base}
    return sorted((re.escape(w) for w in out), key=lambda w: (-len(w), w))


def _sep_rx(seps: Sequence[str]) -> str:
    if all(s == "" for s in seps):
        return ""
    if any(s == "" for s in seps):
        return r"\s*"
    if all(s == " " for s in seps):
        return " "
    return r"\s+"


class _Names:
    """Group names in order of use (``pid`` then ``tid`` for numbers, and so on)."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def take(self, *choices: str) -> str:
        for c in choices:
            if c not in self.used:
                self.used.add(c)
                return c
        base = choices[-1]
        k = 2
        while f"{base}{k}" in self.used:
            k += 1
        self.used.add(f"{base}{k}")
        return f"{base}{k}"


def _column_rx(kind: str, toks: list[str], names: _Names, have_level: bool,
               info: list[dict[str, Any]], words: dict[str, str]) -> tuple[str, bool]:
    """(regex of one header column, whether it holds the level)."""
    wraps = Counter(_wrap(t)[0::2] for t in toks)
    (pre, suf), _ = wraps.most_common(1)[0]
    if kind == "sep":
        val = Counter(toks).most_common(1)[0][0]
        return re.escape(val), False
    if kind in ("level", "symbol") and not have_level:
        if kind == "symbol":
            seen = sorted({t for t in toks if t in LEVEL_SYMBOLS})
            alts = "|".join(re.escape(s) for s in seen)
            info.append({"field": "severity", "kind": "level symbols",
                         "values": {t: LEVEL_SYMBOLS[t] for t in seen}})
            return f"(?P<severity>{alts})", True
        alts = "|".join(_level_spellings([_wrap(t)[1].strip() for t in toks], words))
        info.append({"field": "severity", "kind": "level word" if any(len(_wrap(t)[1]) > 1 for t in toks)
                     else "level letter", "wrapped": pre + suf})
        return (re.escape(pre) + r"\s*(?P<severity>" + alts + r")\s*" + re.escape(suf)), True
    if kind == "level_slash" and not have_level:
        spell = sorted({w for w in words if re.fullmatch(r"[a-z]+", w)}, key=lambda w: (-len(w), w))
        n = names.take("process", "component")
        info.append({"field": "severity", "kind": "level/name"})
        close = r"\]" if all(t.endswith("]") for t in toks) else ""
        return r"(?P<severity>(?i:" + "|".join(spell) + rf"))/(?P<{n}>[^\s/\]]+)" + close, True
    if kind == "number":
        n = names.take("pid", "tid", "num")
        info.append({"field": n, "kind": "number"})
        return re.escape(pre) + rf"(?P<{n}>\d+)" + re.escape(suf), False
    if kind == "prog_pid":
        names.take("program"), names.take("pid")
        info.append({"field": "program[pid]", "kind": "program with pid"})
        colon = ":" if all(t.endswith(":") for t in toks) else ":?"
        return r"(?P<program>[^\s\[\]]+)\[(?P<pid>\d+)\]" + colon, False
    if kind == "bracket":
        n = names.take("thread", "component", "tag")
        info.append({"field": n, "kind": "bracketed"})
        return rf"\[(?P<{n}>.*?)\]", False
    if kind == "optional":
        n = names.take("request_id", "field")
        info.append({"field": n, "kind": "field, '-' when empty"})
        return rf"(?P<{n}>[^\s|]+)", False
    if kind == "angle":
        n = names.take("process", "tag")
        info.append({"field": n, "kind": "in angle brackets"})
        return rf"<(?P<{n}>[^>]*)>", False
    if kind == "dotted":
        n = names.take("logger", "component", "field")
        info.append({"field": n, "kind": "dotted name"})
        return rf"(?P<{n}>[A-Za-z_$][\w$.<>]*)", False
    if kind == "colon_end":
        n = names.take("component", "logger", "field")
        info.append({"field": n, "kind": "name ending in ':'"})
        return rf"(?P<{n}>\S*?):", False
    if kind == "close_end":
        n = names.take("source", "field")
        info.append({"field": n, "kind": "field closing a bracket"})
        return rf"(?P<{n}>\S*?)\]", False
    n = names.take("host" if not info else "field", "field")
    info.append({"field": n, "kind": "word"})
    return rf"(?P<{n}>[^\s|]+)", False


_ENDS_HEADER = {"colon_end", "prog_pid", "close_end"}


def _typed_columns(rows: list[list[tuple[str, str]]], words: dict[str, str],
                   limit: int) -> list[tuple[str, list[str], list[str]]]:
    """(kind, tokens, separators) per column while a kind holds for STABLE of the rows."""
    cols = []
    n = len(rows)
    for j in range(limit):
        toks = [r[j][1] for r in rows if len(r) > j]
        if len(toks) < STABLE * n:
            break
        kinds = Counter(_kind(t, words) for t in toks)
        kind, cnt = kinds.most_common(1)[0]
        blank = sum(1 for t in toks if re.fullmatch(r"-+", t))
        if 0.2 * n <= blank < len(toks) and kind != "symbol":
            # a field that is sometimes empty ('-' or a dash run): message text never is
            cols.append(("optional", toks, [r[j][0] for r in rows if len(r) > j]))
            continue
        if kind in ("word", "close_end", "colon_end", "number", "prog_pid", "bracket") and cnt < STABLE * n:
            break
        if kind == "symbol" and len({t for t in toks if t in LEVEL_SYMBOLS}) < 2:
            kind = "sep"  # one mark everywhere is punctuation, not a level
        if kind in ("level", "symbol"):
            if cnt < LEVEL_SHARE * n:
                break
        elif kind == "sep":
            if Counter(toks).most_common(1)[0][1] < STABLE * n:
                break
        elif cnt < STABLE * n:
            break
        cols.append((kind, toks, [r[j][0] for r in rows if len(r) > j]))
    return cols


#: Columns that can end a header (what comes after them is the message).
_TERMINAL = {"level", "symbol", "level_slash", "optional", "prog_pid", "bracket", "angle", "dotted", "colon_end", "close_end", "sep"}
#: At most this many plain words / numbers in a row inside a header (host, pid, tid,
#: node...); a longer run is the message (an access log's fields are its message).
MAX_WEAK_RUN = 3


def _header_end(cols: list[tuple[str, list[str], list[str]]], open_brackets: int) -> int:
    """How many columns form the header (the rest is the message)."""
    end = 0
    opened = open_brackets
    weak = 0
    have_level = False
    for j, (kind, toks, _) in enumerate(cols):
        nxt = cols[j + 1][0] if j + 1 < len(cols) else None
        if kind in ("level", "symbol") and have_level:
            kind = "word"  # a second level-like column is message text
        if kind == "optional" and (j == 0 or cols[j - 1][0] not in _TERMINAL):
            kind = "word"  # a sometimes-empty field ends a header only right after structure
        if kind in ("close_end", "level_slash") and opened > 0 and toks[0].endswith("]"):
            opened -= 1
            end, weak = j + 1, 0
            have_level = have_level or kind == "level_slash"
            continue
        if kind not in _TERMINAL:
            weak += 1
            if weak > MAX_WEAK_RUN:
                return end
            continue
        weak = 0
        end = j + 1
        level_next = nxt in ("level", "symbol") and not have_level
        have_level = have_level or kind in ("level", "symbol")
        if kind == "sep":
            if toks[0] in ("]", "[", "|") or nxt == "sep" or level_next or (nxt in ("close_end", "level_slash") and opened > 0):
                continue
            return end
        if kind in _ENDS_HEADER and not level_next:
            return end
    return end


def _prefix(best: LayoutHit, sample: list[str], words: dict[str, str], names: _Names,
            info: list[dict[str, Any]]) -> tuple[str, list[int], int, bool]:
    """Regex of the text before the timestamp (``^`` included), the sample lines it
    describes (those with the modal number of tokens there), open brackets, level found."""
    idx = [i for i, t in enumerate(best.texts) if t is not None]
    pre_toks = [_tokens(sample[i][: best.starts[i]]) for i in idx]
    k = Counter(len(t) for t in pre_toks).most_common(1)[0][0]
    keep = [j for j, t in enumerate(pre_toks) if len(t) == k]
    idx = [idx[j] for j in keep]
    rows = [pre_toks[j] for j in keep]
    parts = ["^"]
    opened = 0
    have_level = False
    for c in range(k):
        toks = [r[c][1] for r in rows]
        seps = [r[c][0] for r in rows]
        parts.append(_sep_rx(seps) if c else (r"\s*" if any(seps) else ""))
        kind, cnt = Counter(_kind(t, words) for t in toks).most_common(1)[0]
        if len(set(toks)) == 1 and not re.search(r"[A-Za-z0-9]", toks[0]) and toks[0] != "-":
            parts.append(re.escape(toks[0]))  # constant punctuation: '[', '<', ...
            opened += toks[0].count("[") - toks[0].count("]")
        elif kind == "level" and cnt >= LEVEL_SHARE * len(toks) and not have_level:
            rx, have_level = _column_rx(kind, toks, names, have_level, info, words)
            parts.append(rx)
        elif kind in ("number", "bracket", "prog_pid", "colon_end") and cnt == len(toks):
            parts.append(_column_rx(kind, toks, names, have_level, info, words)[0])
        else:
            n = names.take("field")
            info.append({"field": n, "kind": "token before the timestamp"})
            parts.append(rf"(?P<{n}>[^\s|]+)")
    between = [sample[i][: best.starts[i]][len("".join(s + t for s, t in r)):] for r, i in zip(rows, idx)]
    parts.append(_sep_rx(between) if k else "")
    return "".join(parts), idx, opened, have_level


def _continuation(best: LayoutHit, hits: list[LayoutHit], sample: list[str]) -> tuple[bool, str | None]:
    """Whether the lines without the file's timestamp continue the record above them:
    shaped like a stack trace, or neither JSON nor dated another way (and a minority)."""
    other_ts = [any(h.texts[i] is not None for h in hits[1:]) for i in range(len(sample))]
    without = [(ln, o) for ln, t, o in zip(sample, best.texts, other_ts) if t is None]
    cont = sum(1 for ln, o in without if CONTINUATION_RE.match(ln)
               or (not o and not ln.lstrip().startswith("{")))
    if without and cont >= 0.5 * len(without) and len(without) <= 0.5 * len(sample):
        return True, (f"{len(without)} sample line(s) without a timestamp, {cont} shaped like a "
                      "continuation: read as continuation lines")
    return False, None


#: A level written as a phrase before a ':' ("Fatal error:") has at most this many words.
MAX_PHRASE_WORDS = 3
#: Constant tokens (a program name, a closing bracket) allowed before such a phrase.
MAX_PHRASE_LEAD = 3


@dataclass
class _Phrase:
    """A level column written as a short phrase ending in ':' (found by :func:`_level_phrase`)."""

    lead: int                     # constant tokens before the phrase (header fields / punctuation)
    ends: list[int | None]        # per row, index of the token ending in ':' (None: no phrase)
    levels: dict[str, str]        # each phrase as seen (words joined by one space) -> level


def _phrase_level(phrase: list[str], words: dict[str, str]) -> str | None:
    """Level of a phrase: the whole phrase in the alias table ("fatal error"), else the
    first of its words that is a level word (one letter does not count: "a", "e")."""
    key = " ".join(w.lower() for w in phrase)
    if key in words:
        return words[key]
    for w in phrase:
        if len(w) >= 3 and w.lower() in words:
            return words[w.lower()]
    return None


def _level_phrase(rows: list[list[tuple[str, str]]], words: dict[str, str]) -> _Phrase | None:
    """A level of several words before a ':' after a constant lead, in most rows.

    Column typing sees one token per column, so "Warning:" in one line and "Fatal error:"
    in the next look like a level column that misses some lines. Here each row's phrase
    is read whole: after the tokens every row shares (a program name, punctuation), up
    to :data:`MAX_PHRASE_WORDS` plain words, the last ending in ':', naming a level in
    LEVEL_SHARE of the rows. Only used when some phrase has two words or more: a single
    word is what column typing reads already, and a constant word before it may be a host.
    """
    n = len(rows)
    if not n:
        return None
    lead = 0
    while lead < MAX_PHRASE_LEAD and all(len(r) > lead for r in rows) \
            and len({r[lead][1] for r in rows}) == 1 and not rows[0][lead][1].endswith(":"):
        lead += 1
    ends: list[int | None] = []
    levels: dict[str, str] = {}
    multi = False
    for r in rows:
        end = None
        for c in range(lead, min(len(r), lead + MAX_PHRASE_WORDS)):
            sep, tok = r[c]
            if (c > lead and sep != " ") or not re.fullmatch(r"[A-Za-z]+:?", tok):
                break
            if tok.endswith(":"):
                end = c
                break
        if end is not None:
            phrase = [t.rstrip(":") for _, t in r[lead:end + 1]]
            level = _phrase_level(phrase, words)
            if level is None:
                end = None
            else:
                levels[" ".join(phrase)] = level
                multi = multi or len(phrase) > 1
        ends.append(end)
    found = sum(1 for e in ends if e is not None)
    if not multi or found < LEVEL_SHARE * n or len(levels) > max(6, n // 2):
        return None
    return _Phrase(lead=lead, ends=ends, levels=levels)


def _phrase_rx(ph: _Phrase, rows: list[list[tuple[str, str]]], names: _Names,
               info: list[dict[str, Any]], words: dict[str, str]) -> tuple[str, str]:
    """(regex of the constant lead and the level phrase with its ':', separator before
    the message). The alternation holds the phrases seen and every level spelling of the
    alias table (a rare level may be missing from the sample), matched case-insensitively."""
    parts = []
    for j in range(ph.lead):
        tok = rows[0][j][1]
        seps = [r[j][0] for r in rows]
        if re.search(r"[A-Za-z0-9]", tok):
            n = names.take("component", "tag", "field")
            info.append({"field": n, "kind": "constant word before the level"})
            parts.append(_sep_rx(seps) + rf"(?P<{n}>[^\s|:]+)")
        else:
            parts.append(_sep_rx(seps) + re.escape(tok))
    spellings = {w.lower() for w in ph.levels} | {w for w in words if len(w) >= 3 and re.fullmatch(r"[a-z]+(?: [a-z]+)*", w)}
    alts = "|".join(re.escape(w).replace(r"\ ", r"\s+")
                    for w in sorted(spellings, key=lambda w: (-len(w), w)))
    seps = [r[ph.lead][0] for r, e in zip(rows, ph.ends) if e is not None]
    parts.append(_sep_rx(seps) + r"(?P<severity>(?i:" + alts + r"))\s*:")
    info.append({"field": "severity", "kind": "level phrase before ':'", "values": dict(ph.levels)})
    after = [r[e + 1][0] if len(r) > e + 1 else "" for r, e in zip(rows, ph.ends) if e is not None]
    return "".join(parts), (r"\s*" if any(s == "" for s in after) else r"\s+")


def _tag_after_level(rest_rows: list[list[tuple[str, str]]], end: int) -> bool:
    """'LEVEL tag: message' with tags of varying shape (spaces, padding): true when the
    first ': ' close after the level is in nearly every line."""
    tails = ["".join(a + b for a, b in r[end:]).lstrip() for r in rest_rows]
    tag_rx = re.compile(r"[^\s:\[\](){}](?:[^:\[\](){}\n]{0,30}?[^\s:\[\](){}])?\s*: ")
    return bool(tails) and sum(1 for t in tails if tag_rx.match(t)) >= STABLE * len(tails)


#: A record's second line starting with a level word and ':' ("INFO: Starting ...").
_LEVEL_LINE_RE = re.compile(r"^[ \t]*([A-Za-z]+)[ \t]*:(?:[ \t]|$)")


def _level_line_pairs(best: LayoutHit, sample: list[str], words: dict[str, str]) -> list[str] | None:
    """Level words of the second lines when records are two-line headers: timestamped
    lines carrying no level word, each followed (in STABLE of them) by a line without
    the timestamp that starts with a level word and ':'. None when the sample is not so."""
    ts = [i for i, t in enumerate(best.texts) if t is not None and i + 1 < len(sample)]
    if len(ts) < 2:
        return None
    levels: list[str] = []
    with_level = 0
    for i in ts:
        after = sample[i][best.starts[i] + len(best.texts[i] or ""):]
        if any(_wrap(t)[1].strip().lower() in words and len(_wrap(t)[1].strip()) > 1
               for _, t in _tokens(after)[:MAX_COLUMNS]):
            with_level += 1
        m = _LEVEL_LINE_RE.match(sample[i + 1])
        if best.texts[i + 1] is None and m and m.group(1).lower() in words and len(m.group(1)) > 1:
            levels.append(m.group(1))
    if with_level > (1 - STABLE) * len(ts) or len(levels) < STABLE * len(ts):
        return None
    return levels


def induced_name(stem: str) -> str:
    """``induced:<stem>`` with the stem cut to the characters a rule name allows."""
    return "induced:" + (re.sub(r"[^A-Za-z0-9_.\-]+", "_", stem).strip("_.-") or "file")


def induce(con: Any, lines: Sequence[str], *, stem: str, ref: dt.datetime | None = None) -> Induction | None:
    """An induced rule for ``lines`` (None when the sample has no text at all).

    ``con`` is a DuckDB connection (the timestamp finder runs there); ``ref`` the file's
    mtime, for year-less layouts. The rule's confidence is left to the caller, who
    scores it with the real parser (:meth:`Registry.detect_file`).
    """
    words = level_words()
    sample = [ln.rstrip("\r\n") for ln in lines if ln and ln.strip()]
    if not sample:
        return None
    notes: list[str] = []
    commented = [ln for ln in sample if re.match(COMMENT_RE, ln)]
    comment = COMMENT_RE if commented and len(commented) < len(sample) / 2 else None
    if comment:
        sample = [ln for ln in sample if not re.match(COMMENT_RE, ln)]
        notes.append(f"{len(commented)} header/comment line(s) starting with '#' in the sample")
    name = induced_name(stem)
    hits = find_layouts(con, sample, ref=ref)
    wide_ts = False
    best: LayoutHit | None = hits[0] if hits and hits[0].parsed >= 0.5 * len(sample) else None
    pair_levels: list[str] | None = None
    if hits:
        # two-line records: the timestamped lines are half the sample or fewer
        pair_levels = _level_line_pairs(hits[0], sample, words)
        if pair_levels is not None and hits[0].parsed + len(pair_levels) >= 0.5 * len(sample):
            best = hits[0]
        else:
            pair_levels = None
    if best is None:  # a time after a long header (a request log's fields before it)
        wide = find_layouts(con, sample, ref=ref, search_chars=WIDE_SEARCH_CHARS)
        if wide and wide[0].parsed >= 0.5 * len(sample):
            hits, best, wide_ts = wide, wide[0], True
            notes.append(f"no timestamp in the first {SEARCH_CHARS} characters of most lines: "
                         f"found at column {best.position} (searched {WIDE_SEARCH_CHARS})")
    info: list[dict[str, Any]] = []
    names = _Names()
    multiline: str | None = None
    ts_info: dict[str, Any] = {}
    if best is None:
        pattern, fmts, open_brackets, have_level = None, [], 0, False
        rest_rows = [_tokens(r) for r in sample]
        notes.append("no timestamp layout fits the sample: records take the previous record's or the file's time")
    else:
        prefix_rx, idx, open_brackets, have_level = _prefix(best, sample, words, names, info)
        fmts = list(best.formats)
        rest_rows = [_tokens(sample[i][best.starts[i] + len(best.texts[i] or ""):]) for i in idx]
        ts_info = {"layout": best.layout.name, "formats": fmts, "position": best.position,
                   "parsed": best.parsed, "of": len(sample)}
        pattern = prefix_rx + f"(?P<timestamp>{best.layout.regex})"
        joined, note = _continuation(best, hits, sample)
        if joined:
            multiline = pattern
            notes.append(note or "")
    if pair_levels is not None and pattern is not None and not have_level:
        # two-line records: time (and source) on line 1, 'LEVEL: message' on line 2
        alts = "|".join(_level_spellings(pair_levels, words))
        info.append({"field": "source", "kind": "rest of the first line"})
        info.append({"field": "severity", "kind": "level word before ':' on the second line"})
        notes.append(f"{len(pair_levels)} timestamped line(s) without a level, each followed by a "
                     "'LEVEL: ' line: read as one record (time from line 1, level and message from line 2)")
        rule = Rule(name=name, pattern=pattern + r"(?:[ \t]+(?P<source>[^\n]*?))?[ \t]*\n[ \t]*(?P<severity>"
                    + alts + r")[ \t]*:[ \t]*(?P<message>.*)$",
                    timestamp_formats=fmts, multiline_start=pattern, comment_start=comment,
                    description=f"Induced from a sample of the file: timestamp {ts_info['layout']} at column "
                    f"{ts_info['position']}, source, then a second line with the level and the message")
        rule.examples = sample[:2]
        seen = {w.lower() for w in pair_levels}
        rule.severity_map.update({k: v for k, v in LEVEL_EXTRA.items() if k in seen})
        return Induction(rule=rule, confidence=0.0, fields=info, timestamp=ts_info, notes=notes)
    phrase = None if (have_level or wide_ts) else _level_phrase(rest_rows, words)
    parts = []
    if wide_ts:
        # a time after a long header: the header is the fields, the text after the time
        # (past the bracket closing it) the message
        cols = _typed_columns(rest_rows, words, 1)
        end = 1 if cols and cols[0][0] == "sep" and cols[0][1][0] == "]" and open_brackets > 0 else 0
    elif phrase is not None:
        rx, msg_sep = _phrase_rx(phrase, rest_rows, names, info, words)
        parts.append(rx)
        have_level, end, cols = True, 0, []
    else:
        cols = _typed_columns(rest_rows, words, MAX_COLUMNS)
        end = _header_end(cols, open_brackets)
    for j in range(end):
        kind, toks, seps = cols[j]
        rx, lvl = _column_rx(kind, toks, names, have_level, info, words)
        have_level = have_level or lvl
        parts.append(_sep_rx(seps) + rx)
    if phrase is None:
        after = [r[end][0] if len(r) > end else "" for r in rest_rows]
        msg_sep = r"\s*" if any(s == "" for s in after) else r"\s+"
    if end and cols[end - 1][0] == "sep" and cols[end - 1][1][0] == "|":
        msg_sep = ""  # a delimited format: the message starts right after the delimiter
    if have_level and end and cols[end - 1][0] in ("level", "symbol") and _tag_after_level(rest_rows, end):
        n = names.take("tag", "component")
        info.append({"field": n, "kind": "name before ': '"})
        parts.append(msg_sep + rf"(?P<{n}>[^\s:\[\](){{}}](?:[^:\[\](){{}}]{{0,30}}?[^\s:\[\](){{}}])?)\s*:")
        msg_sep = " "
    body = "".join(parts)
    loose = (pattern + (r"\]?" if open_brackets > 0 else "") + r"\s*(?P<message>.*)$") \
        if (pattern is not None and body) else None
    if pattern is None:
        pattern = "^" + body.lstrip() if body else "^"
    else:
        pattern += body
    pattern += (msg_sep if (body or best is not None) else "") + "(?P<message>.*)$"
    rule = Rule(name=name, pattern=pattern, timestamp_formats=fmts, multiline_start=multiline,
                fallback_pattern=loose, comment_start=comment,
                description="Induced from a sample of the file: " + (
                    f"timestamp {ts_info['layout']} at column {ts_info['position']}" if ts_info else "no timestamp")
                + (", " + ", ".join(f["field"] for f in info) if info else ""))
    try:
        rx = re.compile(pattern)
        rule.examples = [ln for ln in sample if rx.match(ln)][:3] or sample[:1]
    except re.error:
        rule.examples = sample[:1]
    for f in info:
        if f.get("kind") == "level symbols":
            rule.severity_map = dict(f["values"])
        if f.get("kind") == "level phrase before ':'":  # phrases the alias table lacks whole
            rule.severity_map.update({k.lower(): v for k, v in f["values"].items() if k.lower() not in words})
    if have_level:  # spellings the shared alias table lacks, when the sample uses them
        seen = {w.lower() for ln in sample[:100] for w in re.findall(r"[A-Za-z]+", ln[:96])}
        rule.severity_map.update({k: v for k, v in LEVEL_EXTRA.items() if k in seen})
    else:
        notes.append("no level in the format: severity is inferred from the message words")
    return Induction(rule=rule, confidence=0.0, fields=info, timestamp=ts_info, notes=notes)


__all__ = ["Induction", "induce", "induced_name", "LEVEL_SYMBOLS", "level_words"]
