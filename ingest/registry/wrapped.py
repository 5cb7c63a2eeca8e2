"""Rules inside rules: a carrier line (syslog) whose message is a line of another format.

Syslog ships any program's line as its message: an HAProxy or nginx access line sent
through ``syslog`` arrives as ``<header> haproxy[123]: <the access line>``. Parsed by the
syslog rule alone, the payload is one opaque message and none of its fields is named.

A *carrier* rule (``carrier: true``: its ``message`` group holds the payload) and a
*payload* rule (``payload: true``: its format is also written as such a message) are
composed here into one regex rule: the carrier's pattern with its message group replaced
by the payload's pattern. Being an ordinary rule, the composition is detected, parsed
in bulk (one DuckDB query) and tested like any other; nothing is special-cased per
format. Which parts win where both rules name one:

* time: the payload's when its formats carry a year and the carrier's do not (a year-less
  syslog header around an access line's full date), else the carrier's;
* message: the payload's message group (the whole payload when it has none);
* level: the payload's (its ``severity_field``, an HTTP status for access logs) when it
  has one, else the carrier's (syslog PRI, else words);
* service, host, program, pid: the carrier's; a payload group of the same name is kept
  as ``payload_<name>`` in context.
"""

from __future__ import annotations

import re
from typing import Iterable

from .model import Rule

#: The carrier's message group, as carrier rules write it.
CARRIER_MESSAGE = "(?P<message>.*)"
#: Joins carrier and payload names into the composed rule's name (a legal rule name).
SEP = "."


def _strip_anchors(pattern: str) -> str:
    """A payload pattern without its ``^`` and final ``$`` (it now sits inside another)."""
    body = pattern[1:] if pattern.startswith("^") else pattern
    if body.endswith("$") and not body.endswith("\\$"):
        return body[:-1]
    return body + ".*"  # a pattern that allowed trailing text still does


def _rename(pattern: str, old: str, new: str | None) -> str:
    """``(?P<old>`` renamed to ``(?P<new>``, or made non-capturing when ``new`` is None."""
    return pattern.replace(f"(?P<{old}>", f"(?P<{new}>" if new else "(?:")


def _groups(pattern: str) -> set[str]:
    return set(re.compile(pattern).groupindex)


def can_carry(rule: Rule) -> bool:
    """Whether ``rule`` is a carrier whose message group can take a payload."""
    return bool(rule.carrier and rule.kind == "regex" and rule.pattern
                and rule.pattern.count(CARRIER_MESSAGE) == 1)


def can_be_payload(rule: Rule) -> bool:
    """Whether ``rule`` can sit inside a carrier: a one-line regex anchored at the start."""
    return bool(rule.payload and rule.kind == "regex" and rule.pattern and rule.pattern.startswith("^")
                and not rule.multiline_start and "\\n" not in rule.pattern and not rule.carrier)


def compose(carrier: Rule, payload: Rule) -> Rule | None:
    """The rule for ``payload`` lines carried as ``carrier``'s message (None: cannot)."""
    if not (can_carry(carrier) and can_be_payload(payload)):
        return None
    outer = carrier.pattern or ""
    inner = _strip_anchors(payload.pattern or "")
    outer_groups = _groups(outer) - {"message"}
    inner_groups = _groups(inner)
    payload_time = ("timestamp" in inner_groups and payload.has_year() and bool(payload.timestamp_formats)
                    and not ("timestamp" in outer_groups and carrier.has_year()))
    if "timestamp" in inner_groups and "timestamp" in outer_groups:
        if payload_time:
            outer = _rename(outer, "timestamp", None)
        else:
            inner = _rename(inner, "timestamp", None)
    for name in sorted(inner_groups & outer_groups - {"timestamp"}):
        inner = _rename(inner, name, f"payload_{name}")
    inner_groups = _groups(inner)
    body = f"(?:{inner})" if "message" in inner_groups else f"(?P<message>{inner})"
    pattern = outer.replace(CARRIER_MESSAGE, body)
    level_from_payload = payload.severity_field in inner_groups
    time_rule = payload if payload_time else carrier
    level_rule = payload if level_from_payload else carrier
    rule = Rule(
        name=f"{carrier.name}{SEP}{payload.name}",
        pattern=pattern,
        timestamp_formats=list(time_rule.timestamp_formats),
        timezone=time_rule.timezone,
        severity_field=level_rule.severity_field,
        severity_map=dict(level_rule.severity_map),
        default_severity=level_rule.default_severity,
        default_service=carrier.default_service,
        description=f"{payload.name} lines carried as the message of {carrier.name}: the "
                    f"payload's fields, its {'time' if payload_time else 'message'} and "
                    f"{'level' if level_from_payload else 'the carrier level'}.",
        examples=_examples(carrier, payload),
    )
    rule.builtin = carrier.builtin and payload.builtin
    try:
        rule.check_shape()
    except ValueError:
        return None
    return rule


def _examples(carrier: Rule, payload: Rule) -> list[str]:
    """Example lines of the composition: a carrier example with its message swapped for
    each payload example (so every composed rule is checked against its own examples)."""
    rx = re.compile(carrier.pattern or "")
    for line in carrier.examples:
        m = rx.match(line)
        if m and m.group("message") is not None:
            head, tail = line[: m.start("message")], line[m.end("message"):]
            return [head + ex + tail for ex in payload.examples]
    return []


def with_compositions(rules: Iterable[Rule], payloads: Iterable[Rule] | None = None) -> list[Rule]:
    """``rules`` with, before each carrier, its composition with every payload rule
    (``payloads``: the rules that may be payloads, default ``rules`` themselves), in
    order. Before the carrier: detection breaks ties by order after specificity, and a
    line the file's rule misses goes to the first rule in order that takes it, which must
    be the composition when the line carries a known payload."""
    rules = list(rules)
    pool = [r for r in (rules if payloads is None else list(payloads)) if can_be_payload(r)]
    out: list[Rule] = []
    for rule in rules:
        if can_carry(rule):
            out.extend(c for c in (compose(rule, p) for p in pool) if c is not None)
        out.append(rule)
    return out


def compositions_of(carrier: Rule, rules: Iterable[Rule]) -> list[Rule]:
    """Those of ``rules`` composed with ``carrier`` (by name), in order."""
    head = carrier.name + SEP
    return [r for r in rules if r.name.startswith(head) and r is not carrier]


__all__ = ["compose", "with_compositions", "compositions_of", "can_carry", "can_be_payload"]
