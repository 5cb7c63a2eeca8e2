"""Loading the packaged rules (``builtin_rules.json``): formats are data, not code.

Keeping the builtins in JSON means they are reviewed, diffed and extended exactly like
user rules, and the test suite can check every one against its own examples.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from .model import Rule, RuleError

BUILTIN_FILE = "builtin_rules.json"


@lru_cache(maxsize=1)
def _raw_builtins() -> tuple[dict, ...]:
    text = resources.files(__package__).joinpath(BUILTIN_FILE).read_text(encoding="utf-8")
    data = json.loads(text)
    if not isinstance(data, list):
        raise RuleError(BUILTIN_FILE, "expected a JSON list of rules")
    return tuple(data)


def load_builtins() -> list[Rule]:
    """Fresh :class:`Rule` objects for every packaged rule, in file (= priority) order."""
    rules = []
    for item in _raw_builtins():
        rule = Rule.from_dict(dict(item))
        rule.builtin = True
        rule.check_shape()
        rules.append(rule)
    return rules
