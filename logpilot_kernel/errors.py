"""Exceptions with structured fields.

The CLI and the magics turn these into one readable line at their edge; the fields let
tests and callers react to *what* went wrong without parsing a message.
"""

from __future__ import annotations

from typing import Any, Sequence


class LogPilotError(Exception):
    """Base of every error LogPilot raises on purpose (as opposed to a bug)."""


class ValidationError(LogPilotError, ValueError):
    """A golden-standard field holds a value it cannot hold."""

    def __init__(self, field: str, value: Any, expected: str) -> None:
        self.field = field
        self.value = value
        self.expected = expected
        shown = repr(value)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        super().__init__(f"invalid {field}: {shown} (expected {expected})")


class ConfigError(LogPilotError, ValueError):
    """A configuration key is unknown or its value is not accepted."""

    def __init__(self, key: str, message: str, suggestions: Sequence[str] = ()) -> None:
        self.key = key
        self.suggestions = list(suggestions)
        hint = f" (did you mean {', '.join(self.suggestions)}?)" if self.suggestions else ""
        super().__init__(f"config {key}: {message}{hint}")


class WorkspaceError(LogPilotError):
    """A workspace file is unreadable, foreign, or of a newer schema."""

    def __init__(self, path: str, message: str) -> None:
        self.path = path
        super().__init__(f"{path}: {message}")


class WorkspaceLockedError(WorkspaceError):
    """Another process holds the workspace's DuckDB file."""

    def __init__(self, path: str, holder: str | None) -> None:
        self.holder = holder
        who = f" by {holder}" if holder else " by another process"
        super().__init__(
            path,
            f"the database is locked{who}. Close that kernel or process (or use "
            "a different workspace); the Parquet archive stays readable meanwhile.",
        )


class MissingDependencyError(LogPilotError, ImportError):
    """An optional dependency is missing; the message names the extra to install."""

    def __init__(self, package: str, extra: str, purpose: str) -> None:
        self.package = package
        self.extra = extra
        super().__init__(
            f"{purpose} needs the '{package}' package: pip install 'logpilot[{extra}]'"
        )
