"""The phrase grammar of the offline English parser: patterns for slots, and vocabulary.

Kept apart from :mod:`nl` (which builds SQL) so the phrases analysts use can grow without
touching the SQL builder. Every pattern consumes the words it explains; whatever is left
must be filler, or the parser refuses (it never guesses silently).
"""

from __future__ import annotations

import re
from typing import Iterable

MONTHS: dict[str, int] = {
    m: i + 1 for i, m in enumerate(
        ["january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"])
}
MONTHS.update({k[:3]: v for k, v in list(MONTHS.items())})
MONTHS["sept"] = 9
_MON = "(?:" + "|".join(sorted(MONTHS, key=len, reverse=True)) + ")"

NUMBERS: dict[str, int] = {
    "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "twenty": 20, "fifteen": 15, "twelve": 12,
}
_NUM = r"(?:\d+|" + "|".join(NUMBERS) + ")"

#: A calendar date in the forms analysts type: 2024-05-31, May 31(st) [2024], 31 May [2024].
DATE = (rf"(?:\d{{4}}-\d{{2}}-\d{{2}}|{_MON}\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+\d{{4}})?"
        rf"|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MON}(?:,?\s+\d{{4}})?)")
TIME = r"\d{1,2}:\d{2}(?::\d{2})?"
DATETIME = rf"(?:{DATE}(?:\s+(?:at\s+)?{TIME})?|{TIME})"

#: Severity words -> normalised levels ("errors" means ERROR and FATAL: at least ERROR).
SEVERITY_WORDS: list[tuple[str, tuple[str, ...]]] = [
    (r"(?:fatals?|critical)(?:\s+(?:errors?|failures?))?", ("FATAL",)),
    (r"errors?|failures?|failed|failing|fails?|error[- ]level", ("ERROR", "FATAL")),
    (r"warnings?|warns?|warn[- ]level", ("WARN",)),
    (r"info(?:rmational)?(?: messages)?", ("INFO",)),
    (r"debug(?: messages)?", ("DEBUG",)),
    (r"traces? messages", ("TRACE",)),
]

#: Grouping dimensions: phrase -> dimension name.
DIMENSIONS: list[tuple[str, str]] = [
    (r"services?|apps?|applications?|components?", "service"),
    (r"severit(?:y|ies)|levels?|log levels?", "severity"),
    (r"templates?|message types?|kinds? of messages?|messages? kinds?|event types?", "template"),
    (r"hosts?|machines?|servers?|nodes?", "host"),
    (r"hours?", "hour"),
    (r"days?|dates?", "day"),
    (r"months?", "month"),
    (r"(?:http )?status(?: codes?)?|response codes?", "status"),
    (r"(?:source|src|client|remote) (?:ip|address)(?:es|s)?|ips?|ip address(?:es)?", "src_ip"),
    (r"(?:destination |dest |dst |target )?ports?", "port"),
    (r"users?|customers?", "user"),
    (r"paths?|endpoints?|urls?", "path"),
    (r"sources?|streams?", "source"),
]
_DIM_ALT = "|".join(p for p, _ in DIMENSIONS)

#: Adverbs that mean "group by time".
PERIOD_ADVERBS = {"hourly": "hour", "daily": "day", "monthly": "month"}

#: Services called by another name; used only when the target exists in the workspace.
SERVICE_SYNONYMS: dict[str, str] = {
    "database": "postgres", "db": "postgres", "postgresql": "postgres", "ssh": "sshd",
    "web": "gateway", "nginx": "gateway", "ufw": "firewall", "payments": "payment",
    "orders": "checkout",
}


def services_in(text: str, services: Iterable[str]) -> list[str]:
    """Workspace services named in ``text``: their names, plural forms, or the synonyms.

    Shared by the why-engine's scope and the pilot's follow-up context, so a service a
    question names is found the same way by both (the SQL parser consumes its matches
    from the text instead, see ``nl._entities``).
    """
    low = text.lower()
    known = list(services)
    found: list[str] = []
    for svc in sorted(known, key=len, reverse=True):
        if re.search(rf"\b{re.escape(svc.lower())}(?:s|es)?\b", low):
            found.append(svc)
    for word, svc in SERVICE_SYNONYMS.items():
        if svc in known and svc not in found and re.search(rf"\b{re.escape(word)}\b", low):
            found.append(svc)
    return found

#: Candidate context keys for a semantic slot, in order of preference.
CONTEXT_SLOTS: dict[str, tuple[str, ...]] = {
    "src_ip": ("SRC", "src_ip", "client_ip", "remote_addr", "ip", "src"),
    "port": ("DPT", "dst_port", "dport", "port"),
    "status": ("status", "status_code", "http_status"),
    "user": ("user_id", "user", "username"),
    "path": ("path", "url", "uri"),
    "order": ("order_id",),
    "method": ("method", "http_method", "verb"),
}

#: Words that carry no meaning for the query once the slots are taken.
FILLER: frozenset[str] = frozenset("""
a an the of in on at for to from by per each every all any there is are was were be been
how many much what which who whose show me give list tell count counts number numbers
total totals amount log logs line lines record records row rows entries entry event events
message messages did do does have has had with and or that this these those it its please
overall altogether so far happen happened occur occurred occurring we our my i see get
find breakdown broken down split grouped group up across over during within most more
volume volumes distribution trend trends time series recorded seen logged produced
generated emitted went go biggest largest highest top most frequent common often
compare per-service than much as number-of connections connection attempts
activity happening kind kinds sort
""".split())

#: Phrases shown when a question is refused: the forms the parser does understand.
SUPPORTED_FORMS: list[str] = [
    "how many errors in May 2024",
    "how many errors yesterday",
    "how many warnings in the last 24 hours",
    "errors since 10:00",
    "errors between May 30 and May 31",
    "errors by service",
    "which service failed most",
    "log volume per hour for payment",
    "trend of errors for payment",
    "error rate by service",
    "top 5 templates for checkout errors",
    "top source IPs blocked by the firewall",
    "failed ssh logins by source ip",
    "requests by status code",
    "how many status 500 responses",
    'how many logs containing "order failed"',
    "count records by severity",
]

TOP_N = re.compile(rf"\b(?:top|first|the)\s+(?P<n>{_NUM})\b")
QUOTED = re.compile(r"\"([^\"]+)\"|'([^']+)'|“([^”]+)”")
IPV4 = r"\d{1,3}(?:\.\d{1,3}){3}"


def number(text: str) -> int:
    """``"5"`` or ``"five"`` -> 5."""
    return int(text) if text.isdigit() else NUMBERS[text]


def dim_phrase() -> str:
    """Alternation of every dimension phrase (for ``by X`` / ``per X`` patterns)."""
    return _DIM_ALT


def dimension_of(phrase: str) -> str | None:
    """The dimension a phrase names, or None."""
    for pattern, name in DIMENSIONS:
        if re.fullmatch(pattern, phrase.strip()):
            return name
    return None
