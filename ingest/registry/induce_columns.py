"""Token columns of an unknown format's header: how a line is cut into tokens, what each
token column is (a level word, a number, ``program[pid]:``, a bracketed field, constant
punctuation...) by statistics over the sample, where the header ends, and the regex of
each column. Split from :mod:`.induce` (one concern: column typing) so both stay small.
Level spellings come from the shared alias table; nothing here knows a product.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any, Sequence

from logpilot_kernel.schema import SEVERITIES, SEVERITY_ALIASES

#: One-character level marks some formats use instead of words (debug, verbose,
#: notice, warning), read only when a whole column consists of them.
LEVEL_SYMBOLS: dict[str, str] = {".": "DEBUG", "-": "TRACE", "*": "INFO", "#": "WARN"}

#: Level spellings beyond the shared alias table (four-letter column abbreviations),
#: written into an induced rule's ``severity_map`` when its sample uses them.
LEVEL_EXTRA: dict[str, str] = {"erro": "ERROR", "eror": "ERROR", "debu": "DEBUG", "debg": "DEBUG",
                               "trac": "TRACE", "trce": "TRACE", "dbug": "DEBUG", "warng": "WARN", "wrn": "WARN",
                               "inf": "INFO", "fatl": "FATAL", "crt": "FATAL", "panc": "FATAL",
                               "v": "TRACE", "d": "DEBUG", "vrb": "TRACE", "trc": "TRACE", "ftl": "FATAL"}

#: Level families written with a fixed width: when a column uses one member, the
#: others are spellings it may use in lines the sample lacks (a rare FTL after INF/WRN).
LEVEL_FAMILIES: tuple[dict[str, str], ...] = (
    {"vrb": "TRACE", "trc": "TRACE", "dbg": "DEBUG", "inf": "INFO", "wrn": "WARN", "err": "ERROR",
     "ftl": "FATAL", "crt": "FATAL"},
)


def level_family(seen: set[str]) -> dict[str, str]:
    """Every member of the level families some of ``seen`` (lower-case) belong to."""
    out: dict[str, str] = {}
    for fam in LEVEL_FAMILIES:
        if seen & set(fam):
            out.update(fam)
    return out

#: A column is "stable" when its type holds for at least this share of the lines.
STABLE = 0.9
#: Share of lines whose column must be a level word for it to be the level column.
LEVEL_SHARE = 0.8
#: Columns after the timestamp looked at for header fields.
MAX_COLUMNS = 8

_TOKEN_RE = re.compile(r"(\s*)(\[[^\]]*\](?:[^\s\[\]]*\])*|<[^>]*>|\||[^\s\[<|]+|\S)")
_WRAP_RE = re.compile(r"^([\[<(#=]*)(.*?)([\]>),:;=]*)$", re.S)
_SEPARATORS = {"-", "--", "|", ":", "::", "]", "[", "-:", ">", "=>", "->"}


def level_words() -> dict[str, str]:
    """Every spelling of a level, lower-cased, to its level."""
    words = {k.lower(): v for k, v in SEVERITY_ALIASES.items() if not k.isdigit()}
    words.update({s.lower(): s for s in SEVERITIES})
    words.update({k: v for k, v in LEVEL_EXTRA.items() if k not in words})
    return words



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
        tail = re.fullmatch(r"\[[^\]]*/([A-Za-z]+)\]", tok)
        return "bracket_level" if tail and tail.group(1).lower() in words and len(tail.group(1)) > 1 else "bracket"
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
#: Initials of level names beyond the alias table's letters, read only in a column already
#: found to be a level-letter column (:func:`letter_level_column`): a letter alone is no
#: level elsewhere (a class code, a flag). Only initials no format writes for another
#: level: ``A`` (alert, audit) and ``C`` (critical, config) are not.
LETTER_LEVEL_EXTRA: dict[str, str] = {"t": "TRACE", "n": "INFO"}


def _level_spellings(cores: list[str], words: dict[str, str]) -> list[str]:
    """The alternation of a level column: what the sample shows, plus the common
    spellings in the sample's letter case(s); literal (no case folding: cheaper in RE2)."""
    seen = {c for c in cores if c.lower() in words}
    cases = {("upper" if c.isupper() else "lower" if c.islower() else "title") for c in seen if c.isalpha()}
    letters = any(len(c) == 1 for c in seen)
    base = list(COMMON_LEVELS) + (list(LEVEL_LETTERS) if letters else []) + \
        list(level_family({c.lower() for c in seen}))
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


#: Header columns read the same way whatever their values: kind -> (candidate field names,
#: what ``explain`` calls it, the pattern with NAME for the group). Data, so a new plain
#: column kind is one line here rather than another branch.
_PLAIN_COLUMNS: dict[str, tuple[tuple[str, ...], str, str]] = {
    "letter_level": (("kind", "field"), "letter column", r"(?P<NAME>[A-Z])"),
    "hex": (("thread", "tid", "field"), "hexadecimal id", r"(?P<NAME>(?:0x)?[0-9a-fA-F]+)"),
    "bracket": (("thread", "component", "tag"), "bracketed", r"\[(?P<NAME>.*?)\]"),
    "bracket_level": (("thread", "component", "tag"), "bracketed", r"\[(?P<NAME>.*?)\]"),
    "optional": (("request_id", "field"), "field, '-' when empty", r"(?P<NAME>[^\s|]+)"),
    "angle": (("process", "tag"), "in angle brackets", r"<(?P<NAME>[^>]*)>"),
    "dotted": (("logger", "component", "field"), "dotted name", r"(?P<NAME>[A-Za-z_$][\w$.<>]*)"),
    "colon_end": (("component", "logger", "field"), "name ending in ':'", r"(?P<NAME>\S*?):"),
    "close_end": (("source", "field"), "field closing a bracket", r"(?P<NAME>\S*?)\]"),
}


def _plain_column(kind: str, names: "_Names", info: list[dict[str, Any]]) -> str:
    candidates, label, pattern = _PLAIN_COLUMNS[kind]
    n = names.take(*candidates)
    info.append({"field": n, "kind": label})
    return pattern.replace("NAME", n)


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
        cores = [_wrap(t)[1].strip() for t in toks]
        alts = "|".join(_level_spellings(cores, words))
        if any(len(c) == 1 for c in cores) and all(c.isupper() for c in cores):
            alts += "|[A-Z]"  # a letter column: a letter no table reads (C) still opens a record
        info.append({"field": "severity", "kind": "level word" if any(len(_wrap(t)[1]) > 1 for t in toks)
                     else "level letter", "wrapped": pre + suf})
        return (re.escape(pre) + r"\s*(?P<severity>" + alts + r")\s*" + re.escape(suf)), True
    if kind == "level_slash" and not have_level:
        spell = sorted({w for w in words if re.fullmatch(r"[a-z]+", w)}, key=lambda w: (-len(w), w))
        n = names.take("process", "component")
        info.append({"field": "severity", "kind": "level/name"})
        close = r"\]" if all(t.endswith("]") for t in toks) else ""
        return r"(?P<severity>(?i:" + "|".join(spell) + rf"))/(?P<{n}>[^\s/\]]+)" + close, True
    if kind == "enum_level" and not have_level:
        info.append({"field": "severity", "kind": "word column, mostly level words", "values": sorted(set(toks))})
        return r"(?P<severity>[A-Z][a-z]+)", True
    if kind == "pri_level" and not have_level:
        info.append({"field": "severity", "kind": "syslog priority in parentheses",
                     "values": sorted({t for t in toks})})
        return r"[A-Za-z]{0,12}\((?P<pri>\d{1,3})\)", True
    if kind == "letter_level" and not have_level:
        info.append({"field": "severity", "kind": "level letter column", "values": sorted(set(toks))})
        return r"(?P<severity>[A-Z])", True
    if kind in _PLAIN_COLUMNS and kind not in ("bracket", "bracket_level"):
        return _plain_column(kind, names, info), False
    if kind == "number":
        n = names.take("pid", "tid", "num")
        info.append({"field": n, "kind": "number"})
        return re.escape(pre) + rf"(?P<{n}>\d+)" + re.escape(suf), False
    if kind == "prog_pid":
        names.take("program"), names.take("pid")
        info.append({"field": "program[pid]", "kind": "program with pid"})
        colon = ":" if all(t.endswith(":") for t in toks) else ":?"
        return r"(?P<program>[^\s\[\]]+)\[(?P<pid>\d+)\]" + colon, False
    if kind == "bracket_level" and not have_level:
        n = names.take("thread", "component", "tag")
        alts = "|".join(_level_spellings([t.rstrip("]").rsplit("/", 1)[-1] for t in toks], words))
        info.append({"field": n, "kind": "bracketed, with the level after a '/'"})
        info.append({"field": "severity", "kind": "level after a '/' in a bracket"})
        return rf"\[(?P<{n}>[^\]]*?)/(?P<severity>{alts})\]", True
    if kind in _PLAIN_COLUMNS:
        return _plain_column(kind, names, info), False
    n = names.take("host" if not info else "field", "field")
    info.append({"field": n, "kind": "word"})
    return rf"(?P<{n}>[^\s|]+)", False


_ENDS_HEADER = {"colon_end", "prog_pid", "close_end"}


#: Share of a one-letter column's values that must be level letters (I, W, E, D...),
#: at least two distinct ones, for the column to be the level: the other letters are
#: event types of the format's own (their level is inferred from the message).
LETTER_LEVEL_SHARE = 0.25
#: Tokens that are hexadecimal ids (a thread id written 0000004f): one column with numbers.
HEX_ID_RE = re.compile(r"0x[0-9a-fA-F]{1,16}|[0-9a-fA-F]{6,16}")
#: A column of a few capitalised words, this share of them level words, is the level
#: column (its other words - a format's own kinds - get a level inferred from the message).
ENUM_LEVEL_SHARE = 0.5
ENUM_LEVEL_VALUES = 12


#: Column kinds that hold the level.
LEVEL_KINDS = ("level", "symbol", "letter_level", "enum_level", "pri_level")
#: A syslog priority in parentheses, after an optional short name (``Wa(180)``, ``(14)``).
PRI_TOKEN_RE = re.compile(r"([A-Za-z]{0,12})\((\d{1,3})\)")
#: The largest syslog priority (facility 23, severity 7).
MAX_PRI = 191


def pri_level_column(toks: Sequence[str]) -> bool:
    """A column of syslog priorities in parentheses, a name before each or none, several
    distinct values, each name always with one priority: the level is the priority's
    severity (its value modulo 8), whatever the names say."""
    ms = [PRI_TOKEN_RE.fullmatch(t) for t in toks]
    if not toks or not all(ms):
        return False
    pris = {int(m.group(2)) for m in ms if m}
    by_name: dict[str, set[str]] = {}
    for m in ms:
        if m:
            by_name.setdefault(m.group(1), set()).add(m.group(2))
    return len(pris) >= 2 and max(pris) <= MAX_PRI and all(len(v) == 1 for v in by_name.values())


def enum_level_column(toks: Sequence[str], words: dict[str, str]) -> bool:
    """A column of a few capitalised words, several of them level words (``Default``,
    ``Info``, ``Error``, ``Fault``): the format's level column."""
    if not toks or not all(re.fullmatch(r"[A-Z][a-z]{2,}", t) for t in toks) or len(set(toks)) > ENUM_LEVEL_VALUES:
        return False
    lv = [t for t in toks if t.lower() in words]
    return len(set(lv)) >= 2 and len(lv) >= ENUM_LEVEL_SHARE * len(toks)


def letter_level_column(toks: Sequence[str]) -> bool:
    """A column of single capital letters, several distinct ones, mostly level letters:
    an event-type column (``I``, ``W``, ``E`` beside letters the alias table lacks)."""
    if not toks or not all(len(t) == 1 and "A" <= t <= "Z" for t in toks) or len(set(toks)) < 2:
        return False
    levels = [t for t in toks if t.lower() in LEVEL_LETTERS]
    return len(set(levels)) >= 2 and len(levels) >= LETTER_LEVEL_SHARE * len(toks)


def _typed_columns(rows: list[list[tuple[str, str]]], words: dict[str, str],
                   limit: int) -> list[tuple[str, list[str], list[str]]]:
    """(kind, tokens, separators) per column while a kind holds for STABLE of the rows."""
    cols = []
    n = len(rows)
    for j in range(limit):
        toks = [r[j][1] for r in rows if len(r) > j]
        if len(toks) < STABLE * n:
            break
        if pri_level_column(toks) and len(toks) == n:
            cols.append(("pri_level", toks, [r[j][0] for r in rows if len(r) > j]))
            continue
        if letter_level_column(toks) and len(toks) == n:
            cols.append(("letter_level", toks, [r[j][0] for r in rows if len(r) > j]))
            continue
        kinds = Counter(_kind(t, words) for t in toks)
        kind, cnt = kinds.most_common(1)[0]
        if kind in ("level", "word") and cnt < LEVEL_SHARE * n and len(toks) == n and enum_level_column(toks, words):
            cols.append(("enum_level", toks, [r[j][0] for r in rows if len(r) > j]))
            continue
        blank = sum(1 for t in toks if re.fullmatch(r"-+", t))
        if 0.2 * n <= blank < len(toks) and kind != "symbol":
            # a field that is sometimes empty ('-' or a dash run): message text never is
            cols.append(("optional", toks, [r[j][0] for r in rows if len(r) > j]))
            continue
        if kind == "bracket_level" and cnt < LEVEL_SHARE * n:
            kind = "bracket"
            cnt = sum(1 for t in toks if _kind(t, words) in ("bracket", "bracket_level"))
        if kind in ("number", "word") and cnt < STABLE * n and all(HEX_ID_RE.fullmatch(t) for t in toks):
            kind, cnt = "hex", len(toks)  # thread ids in hex: '00000001' and '0000004f' alike
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
_TERMINAL = {"level", "symbol", "letter_level", "enum_level", "pri_level", "level_slash", "optional", "prog_pid", "bracket", "bracket_level", "angle", "dotted", "colon_end", "close_end", "sep"}
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
        if kind in LEVEL_KINDS and have_level:
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
        level_next = nxt in LEVEL_KINDS and not have_level
        have_level = have_level or kind in LEVEL_KINDS
        if kind == "sep":
            if toks[0] in ("]", "[", "|") or nxt == "sep" or level_next or (nxt in ("close_end", "level_slash") and opened > 0):
                continue
            return end
        if kind in _ENDS_HEADER and not level_next:
            return end
    return end

