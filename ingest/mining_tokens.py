"""The miner's tokeniser: words split on whitespace and punctuation, separators kept.

Why keep separators: Drain compares words, but a template's text must keep the original
punctuation (``uid=<*>``) as Loghub-style labels and analysts expect, so every token
carries the separator run that follows it.  An empty value (``()``, ``key=`` before a
space) becomes an empty token so it lines up with the non-empty form of the same message.
"""

from __future__ import annotations

import re

from logpilot_kernel.ingest.known_templates import SEP_CHARS

__all__ = ["split"]

# Word separators for Drain; kept verbatim in the template text.
_SPLIT = re.compile(rf"((?:[{SEP_CHARS}]|\.{{2,}})+)")
# Inside a separator run: an empty value (split point keeps the bracket on each side).
_EMPTY_HINT = re.compile(r"\(\)|\[\]|\{\}|\"\"|''|=\s|=$")  # cheap whole-message test first
_EMPTY = re.compile(r"(?<=\()(?=\))|(?<=\[)(?=\])|(?<=\{)(?=\})|(?<=\")(?=\")|(?<=')(?=')|(?<==)(?=\s)")


def split(masked: str) -> tuple[list[str], list[str], str]:
    """Split into (raw tokens, separator after each token, leading separator)."""
    parts = _SPLIT.split(masked)  # tok, sep, tok, ..., tok (first/last may be "")
    lead = ""
    if parts[0] == "" and len(parts) > 1:
        lead, parts = parts[1], parts[2:]
    toks, seps = parts[0::2], parts[1::2] + [""]
    if toks and toks[-1] == "":
        toks, seps = toks[:-1], seps[:-1]
    if not toks and masked.strip():
        return [masked.strip()], [""], ""  # punctuation-only message: one token
    if _EMPTY_HINT.search(masked):
        return _with_empty_values(toks, seps, lead)
    return toks, seps, lead


def _with_empty_values(toks: list[str], seps: list[str], lead: str):
    """Give empty brackets/quotes and ``key=`` an empty token, so ``host ()`` lines up with
    ``host (name)``: an empty value is still a value (Drain can then generalise it)."""
    out_t: list[str] = []
    out_s: list[str] = []
    pieces = _EMPTY.split(lead)
    lead = pieces[0]
    for p in pieces[1:]:
        out_t.append("")
        out_s.append(p)
    for t, sep in zip(toks, seps):
        pieces = _EMPTY.split(sep)
        out_t.append(t)
        out_s.append(pieces[0])
        for p in pieces[1:]:
            out_t.append("")
            out_s.append(p)
    if out_s and out_s[-1].endswith("="):  # "key=" ends the message
        out_t.append("")
        out_s.append("")
    return out_t, out_s, lead
