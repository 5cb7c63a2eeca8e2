"""The one ISO-8601-to-UTC converter: every time a person or a file hands LogPilot.

Why one: LogPilot stores and compares naive UTC (``logs.timestamp``), so a time given with
an offset must be *converted*, never have its offset dropped: ``2024-06-01T10:00+02:00``
is 08:00 UTC. Copies of this conversion drifted apart (two dropped the offset), so the CLI
options, the magics, the pilot, the why-engine, the dashboard and the golden-record
validator all call :func:`to_utc`; a naive time is taken as UTC already.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from .errors import ValidationError

#: The accepted form, quoted by every error about a time.
ACCEPTED = "an ISO-8601 time such as 2024-06-01T10:00 or 2024-06-01T10:00:00+02:00 (no offset = UTC)"


def to_utc(value: Any, *, what: str = "time") -> dt.datetime | None:
    """``value`` (ISO string, datetime, date or None) as a naive UTC datetime.

    ``None`` and ``""`` give ``None``; a date is its midnight; ``Z``, ``+HH:MM`` and a space
    instead of ``T`` are accepted. Anything else raises :class:`ValidationError` (a
    ``ValueError``) naming ``what`` and the accepted form.
    """
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = value.strip()
        try:
            value = dt.datetime.fromisoformat(text[:-1] + "+00:00" if text.endswith(("Z", "z")) else text)
        except ValueError:
            raise ValidationError(what, value, ACCEPTED) from None
    elif isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        value = dt.datetime.combine(value, dt.time())
    if not isinstance(value, dt.datetime):
        raise ValidationError(what, value, ACCEPTED)
    if value.tzinfo is not None:
        value = value.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return value


__all__ = ["ACCEPTED", "to_utc"]
