"""Structured messages get templates built from their fields, not from their words.

Why: Drain sees an access-log request line, a ``key=value`` record or a JSON object as a
bag of words.  The route of a request is masked whole as a path (every request becomes
``GET <*> HTTP/<*>``), and the values of a record make one template per value mix.  An
analyst counts requests by route and records by shape, so before Drain sees such a
message the miner re-tokenises it by its shape (never by the rule that parsed it):

* **request line** (``METHOD /route[?query] [PROTOCOL] [rest]``): the route is split on
  ``/ ? & #`` so each segment is a token (ids inside it are masked as usual, words stay
  and are generalised by the merge pass when they vary: ``/api/orders/<*>``), query values
  are variables, and a three-digit status after the route keeps only its class
  (``2xx``): ``GET /api/orders/<*>?page=<*> HTTP/<*> 2xx``.  The request masks
  (``request_masks``) are the generic ones without ``path``/``url`` and without bare
  three-digit numbers, so the route and the status reach this step.
* **JSON object** (``{...}`` with ``"key":``): every single-token value is a variable; the
  keys, their order and the nesting are the template.
* **key=value record**: when key/value pairs make up at least ``kv_share`` of the tokens,
  every single-token value is a variable.  A quoted value of several words is free text
  and stays as it is.  Empty values stay empty (``ruser=``).
"""

from __future__ import annotations

import re
from typing import Sequence

from logpilot_kernel.ingest.known_templates import PARAM, SEP_CHARS
from logpilot_kernel.ingest.masks import Mask

__all__ = ["REQUEST_SHAPE", "SHAPE", "request_masks", "maybe_structured", "structure"]

#: Private-use marker that starts a structured message's hidden shape token (its kind and,
#: for records, its keys).  The token leads Drain's tokens, so only messages of one shape
#: meet in a cluster, and marks the cluster for exact matching of literals (``mining``).
SHAPE = "\ue003"

#: A request line: an upper-case method, then an absolute route or URL (RE2 and Python).
REQUEST_SHAPE = r"^[A-Z]{3,10} (?:/|[a-z][a-z0-9+.\-]*://)[^\s]*(?:\s|$)"
_REQ = re.compile(REQUEST_SHAPE)
_SPLIT_REQ = re.compile(rf"((?:[{SEP_CHARS}/?&#]|\.{{2,}})+)")
_BIND_KV = re.compile(r"^\s*=\s*[\"']?$")
_BIND_JSON = re.compile(r"^[\"']?\s*[:=]\s*[\"']?$")
_STATUS = re.compile(r"[1-5]\d\d")
# numbers as the generic ``num`` mask, except a bare three-digit integer (a status code)
_NUM_NOT_STATUS = (r"(?:\B[-+]|\b)(?:\d+(?:\.\d+)+|\d{4,}|\d{1,2})"
                   r"(?:[kKMGTP]i?[bB]|[bB]ytes|[mun]?s|secs?|min|[KMG])?\b"
                   r"|\b\d+(?:[kKMGTP]i?[bB]|[bB]ytes|[mun]?s|secs?|min|[KMG])\b")


def request_masks(masks: Sequence[Mask]) -> tuple[Mask, ...]:
    """The masks for request lines: the route must stay readable (no ``path``/``url``),
    and a status code must stay a number the re-tokeniser can classify."""
    out = []
    for m in masks:
        if m.name in ("path", "url"):
            continue
        out.append(Mask("num_not_status", _NUM_NOT_STATUS) if m.name == "num" else m)
    return tuple(out)


def maybe_structured(masked: str) -> bool:
    """Cheap test on the masked text: could this message be structured at all?"""
    return masked[:1] == "{" or masked.count("=") >= 2 or _REQ.match(masked) is not None


def split_request(masked: str) -> tuple[list[str], list[str], str] | None:
    """Tokens, separators and lead of a request line (route split into segments), or None."""
    if _REQ.match(masked) is None:
        return None
    parts = _SPLIT_REQ.split(masked)
    lead = ""
    if parts[0] == "" and len(parts) > 1:
        lead, parts = parts[1], parts[2:]
    toks, seps = parts[0::2], parts[1::2] + [""]
    if toks and toks[-1] == "":
        toks, seps = toks[:-1], seps[:-1]
    return toks, seps, lead


def structure(toks: list[str], seps: list[str], lead: str, kv_share: float,
              request: bool = False) -> tuple[str, list[str]] | None:
    """The shape token and Drain's tokens of a structured message (values as ``<*>``), or
    None if it is not one.

    ``toks`` are the raw tokens (masked values already ``<*>``); the result has the same
    length, so the raw tokens still give the parameters.
    """
    n = len(toks)
    if n == 0:
        return None
    is_json = not request and lead.lstrip()[:1] == "{" and any('":' in s or "':" in s for s in seps)
    bind = _BIND_JSON if is_json else _BIND_KV
    out = list(toks)
    covered = 0
    keys: list[str] = []
    i = 0
    while i < n:
        before = lead if i == 0 else seps[i - 1]
        if i > 0 and bind.match(before):
            covered += 2  # key and value
            keys.append(toks[i - 1])
            quote = before.rstrip()[-1:] if before.rstrip()[-1:] in "\"'" else ""
            j = i
            if quote:  # a quoted value runs to the separator that closes the quote
                while j < n - 1 and quote not in seps[j]:
                    j += 1
                covered += j - i
            if j == i and toks[i] != "":
                out[i] = PARAM
            i = j + 1
            continue
        i += 1
    if request:
        route_end = next((k for k in range(1, n) if any(c.isspace() for c in seps[k])), n - 1)
        for k in range(1, route_end + 1):  # a bare number in the route is an id
            if toks[k].isdigit():
                out[k] = PARAM
        for k in range(route_end + 1, n):
            if _STATUS.fullmatch(toks[k]):
                out[k] = toks[k][0] + "xx"
                for m in range(k + 1, n):  # any later bare number is a value (bytes, ms)
                    if toks[m].isdigit():
                        out[m] = PARAM
                break
            if toks[k].isdigit():
                out[k] = PARAM
        return SHAPE + "request", out
    if is_json or (covered and covered >= kv_share * n):
        return SHAPE + ("json " if is_json else "kv ") + " ".join(keys), out
    return None
