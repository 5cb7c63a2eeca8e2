"""The rule model: what a log format *is*, as plain data.

A :class:`Rule` is a declarative description (regex with named groups, or JSON / logfmt
key aliases) so the same rule can be stored as JSON, shown to a user, tested line by
line in Python and compiled into one vectorised DuckDB query for bulk parsing.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import asdict, dataclass, field, fields
from typing import Any, Literal, Mapping, Sequence

from logpilot_kernel.errors import LogPilotError
from logpilot_kernel.schema import SEVERITIES

#: Group / key names with a meaning of their own; any other group goes to ``context``.
GOLDEN_GROUPS: tuple[str, ...] = (
    "timestamp", "severity", "service", "host", "trace_id", "message", "program", "pid",
)

#: Groups whose value is read as an HTTP status when a rule's ``severity_field`` names
#: them (>=500 ERROR, >=400 WARN, else INFO): access logs and proxies carry no level.
HTTP_STATUS_FIELDS: tuple[str, ...] = ("status", "status_code")

#: Kinds of rules the engine knows how to compile.
RULE_KINDS: tuple[str, ...] = ("regex", "json", "logfmt")

from ..timestamps import EPOCH_FORMATS  # noqa: E402 - the one timestamp helper owns them

#: Words that give a level to records whose format carries none (syslog, CBS free text).
#: Checked top-down, first hit wins; matched case-insensitively at a word start and end.
#: Kept as data so docs, tests and the SQL compiler share one table.
SEVERITY_WORDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("FATAL", ("fatal", "panic", "panicked", "emerg", "emergency")),
    ("ERROR", ("error", "errors", "exception", "exceptions", "fail", "fails", "failed",
               "failure", "failures", "invalid", "denied", "refused", "timed out",
               "timeout", "timeouts", "unreachable", "cannot", "could not")),
    ("WARN", ("warn", "warning", "warnings", "block", "blocked", "drop", "dropped",
              "dropping", "retry", "retrying", "retries", "deprecated")),
)

#: Key aliases used by json/logfmt rules when the rule does not name its own.
DEFAULT_KEY_ALIASES: dict[str, list[str]] = {
    "timestamp": ["timestamp", "@timestamp", "ts", "time", "datetime", "date", "t"],
    "severity": ["level", "severity", "lvl", "loglevel", "log.level", "levelname", "priority"],
    "message": ["message", "msg", "@message", "text", "log", "event"],
    "service": ["service", "service_name", "service.name", "app", "application", "logger_name"],
    "host": ["host", "hostname", "host.name", "node"],
    "trace_id": ["trace_id", "traceId", "trace.id", "traceid", "request_id",
                 "x_request_id", "requestId"],
}


class RuleError(LogPilotError, ValueError):
    """A rule definition cannot be used (bad regex, unknown kind, examples not parsing)."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(f"rule {rule!r}: {message}")


class UnknownRuleError(LogPilotError, KeyError):
    """No rule of that name; carries close names so the UI can suggest them."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.suggestions = difflib.get_close_matches(name, list(known), n=3, cutoff=0.5)
        hint = f" (did you mean {', '.join(self.suggestions)}?)" if self.suggestions else ""
        super().__init__(f"no rule named {name!r}{hint}")

    def __str__(self) -> str:  # KeyError would repr() the message otherwise
        return str(self.args[0])


@dataclass
class Rule:
    """One log format.

    ``severity_field`` names the group/key whose value is mapped to the level (default
    ``severity``); when it is ``status`` (or ``status_code``, :data:`HTTP_STATUS_FIELDS`)
    the value is read as an HTTP status (>=500 ERROR,
    >=400 WARN, else INFO). Firewall rules point it at the ``action`` group and map
    BLOCK/ALLOW through ``severity_map``. ``comment_start``: lines matching it are the
    format's own header/comment lines (``#Fields:`` and the like), not records; they are
    kept in quarantine with that reason instead of becoming rows. ``fallback_pattern``:
    a looser regex (induced rules: the text before the timestamp and the timestamp only)
    tried first on the lines ``pattern`` misses, so a header variant of the same format
    keeps its own time instead of inheriting one. ``body_indent``: a regex of the
    indentation a format puts before its message lines (records whose header is a line
    of its own); it is taken off each continuation line of the message.
    ``message_close``: a closing mark (``>``) that ends a multi-line message alone on
    the record's last line (a format that wraps its message in brackets); it is not
    part of the message, nor the blanks before it. ``message_quote``: the quote a
    format puts around its message (a CSV export's text field): the closing one at the
    message's end is dropped and doubled ones are undone. ``message_drop``: a regex of
    whole lines that are layout, not text (frame lines of one repeated character): they
    are taken out of the message, and so are the line ends they leave at its end. ``file_date``: the day
    (``YYYY-MM-DD``) a file of times of day only writes in its header (induced rules): its
    first record is on that day, not on the mtime's. ``carrier``: the rule's ``message``
    group is a payload that may itself be a line of another format (syslog ships any
    program's line); ``payload``: this format is also written as a carrier's message.
    The registry composes each carrier with each payload rule (:mod:`.wrapped`), so a
    line of the one inside the other gets the payload's named fields too.
    """

    name: str
    kind: Literal["regex", "json", "logfmt"] = "regex"
    pattern: str | None = None
    timestamp_formats: list[str] = field(default_factory=list)
    timezone: str = "UTC"
    severity_map: dict[str, str] = field(default_factory=dict)
    default_severity: str | None = None
    default_service: str | None = None
    multiline_start: str | None = None
    key_aliases: dict[str, list[str]] = field(default_factory=dict)
    description: str = ""
    examples: list[str] = field(default_factory=list)
    severity_field: str = "severity"
    comment_start: str | None = None
    fallback_pattern: str | None = None
    body_indent: str | None = None
    message_close: str | None = None
    message_quote: str | None = None
    message_drop: str | None = None
    file_date: str | None = None
    carrier: bool = False
    payload: bool = False
    builtin: bool = False

    @classmethod
    def from_dict(cls, data: Mapping[str, Any] | "Rule") -> "Rule":
        """Build from JSON data, rejecting unknown keys so typos do not pass silently."""
        if isinstance(data, Rule):
            return data
        if not isinstance(data, Mapping):
            raise RuleError("?", f"expected a mapping, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        name = str(data.get("name") or "?")
        extra = [k for k in data if k not in known]
        if extra:
            close = difflib.get_close_matches(extra[0], sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise RuleError(name, f"unknown key {extra[0]!r}{hint}")
        if "name" not in data:
            raise RuleError(name, "a rule needs a 'name'")
        return cls(**{k: data[k] for k in data})

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the ``builtin`` flag is not persisted)."""
        out = asdict(self)
        out.pop("builtin", None)
        return out

    def group_names(self) -> list[str]:
        """Capture-group names by position (unnamed groups become ``_gN``).

        DuckDB's ``regexp_extract(s, p, [names])`` maps names to groups by *position*,
        so the list must cover every capturing group in order.
        """
        if self.kind != "regex" or not self.pattern:
            return []
        compiled = re.compile(self.pattern)
        by_index = {i: n for n, i in compiled.groupindex.items()}
        return [by_index.get(i, f"_g{i}") for i in range(1, compiled.groups + 1)]

    def has_year(self) -> bool:
        """Whether every timestamp format carries a year (syslog-style ones do not)."""
        for fmt in self.timestamp_formats:
            if fmt not in EPOCH_FORMATS and "%Y" not in fmt and "%y" not in fmt:
                return False
        return True

    def check_shape(self) -> None:
        """Validate everything that needs no engine: kind, regex syntax, levels, names."""
        if not re.fullmatch(r"(?:induced:)?[A-Za-z0-9][A-Za-z0-9_.\-]*", self.name or ""):
            raise RuleError(self.name, "name must be letters, digits, '_', '-', '.' (induced rules: 'induced:' + that)")
        if self.kind not in RULE_KINDS:
            raise RuleError(self.name, f"kind must be one of {', '.join(RULE_KINDS)}")
        if self.file_date is not None and not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(self.file_date)):
            raise RuleError(self.name, f"file_date must be YYYY-MM-DD, not {self.file_date!r}")
        if self.kind == "regex":
            if not self.pattern:
                raise RuleError(self.name, "a regex rule needs a pattern")
            try:
                compiled = re.compile(self.pattern)
            except re.error as exc:
                raise RuleError(self.name, f"pattern does not compile in Python: {exc}") from exc
            if not compiled.groupindex:
                raise RuleError(self.name, "pattern has no named groups (?P<name>...)")
            if re.search(r"\(\?<?[=!]", self.pattern):
                raise RuleError(self.name, "lookaround is not supported by DuckDB (RE2)")
            if re.search(r"\\[1-9]|\(\?P=", self.pattern):
                raise RuleError(self.name, "backreferences are not supported by DuckDB (RE2)")
            for gname in compiled.groupindex:
                if gname.startswith("_"):
                    raise RuleError(self.name, f"group name {gname!r} may not start with '_'")
        for level in list(self.severity_map.values()) + [self.default_severity]:
            if level is not None and level not in SEVERITIES:
                raise RuleError(self.name, f"severity {level!r} is not one of {', '.join(SEVERITIES)}")
        for golden in self.key_aliases:
            if golden not in GOLDEN_GROUPS:
                raise RuleError(self.name, f"key_aliases key {golden!r} is not one of {', '.join(GOLDEN_GROUPS)}")
        if self.fallback_pattern:
            try:
                re.compile(self.fallback_pattern)
            except re.error as exc:
                raise RuleError(self.name, f"fallback_pattern does not compile: {exc}") from exc
        if self.message_drop:
            try:
                re.compile(self.message_drop)
            except re.error as exc:
                raise RuleError(self.name, f"message_drop does not compile: {exc}") from exc
        if self.body_indent:
            try:
                re.compile(self.body_indent)
            except re.error as exc:
                raise RuleError(self.name, f"body_indent does not compile: {exc}") from exc
        if self.comment_start:
            try:
                re.compile(self.comment_start)
            except re.error as exc:
                raise RuleError(self.name, f"comment_start does not compile: {exc}") from exc
        if self.multiline_start:
            try:
                re.compile(self.multiline_start)
            except re.error as exc:
                raise RuleError(self.name, f"multiline_start does not compile: {exc}") from exc
        if not isinstance(self.timestamp_formats, list) or not all(
            isinstance(f, str) for f in self.timestamp_formats
        ):
            raise RuleError(self.name, "timestamp_formats must be a list of strings")

    def aliases(self, golden: str) -> list[str]:
        """Keys tried for a golden field in json/logfmt mode (rule's own first)."""
        own = list(self.key_aliases.get(golden, []))
        return own + [k for k in DEFAULT_KEY_ALIASES.get(golden, []) if k not in own]


@dataclass
class LineResult:
    """How one sample line fared under a rule (see ``Registry.test``)."""

    line: str
    matched: bool
    fields: dict[str, Any]
    reason: str | None = None


@dataclass
class RuleTest:
    """Per-line outcome of trying a rule on sample lines."""

    rule: str
    results: list[LineResult]

    @property
    def matched(self) -> int:
        return sum(1 for r in self.results if r.matched)

    @property
    def ratio(self) -> float:
        return self.matched / len(self.results) if self.results else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data (the CLI and the magic print the same thing)."""
        return {"rule": self.rule, "matched": self.matched, "total": len(self.results),
                "ratio": round(self.ratio, 3),
                "lines": [{"line": r.line, "matched": r.matched, "fields": r.fields,
                           "reason": r.reason} for r in self.results]}


@dataclass
class Detection:
    """Which rule fits a sample best, how sure we are, and every candidate's score."""

    rule: Rule
    confidence: float
    scores: list[tuple[str, float]]
    #: The :class:`~.induce.Induction` when the rule was induced from the sample.
    induced: Any = None
