"""The zone of times a file writes without one: a name the user states, checked and used.

Why: many formats write the host's local time and no zone at all. The file cannot tell
which zone that was; only the user can (``logpilot ingest --timezone ZONE``, the magic's
``--timezone``, ``ingest(..., timezone=)``, a rule's ``timezone`` field). A zone is an
IANA name (``Europe/Berlin``, so daylight saving follows the date) or a fixed offset
``±HH:MM``. DuckDB's ICU does not read a bare offset, so an offset becomes minutes
subtracted in SQL, and a name goes through ``timezone()``. A record that writes its own
offset keeps it: this zone is only for the ones that do not (``sqlgen``). In the core, not
in ``ingest``, because the CLI's validators check a zone before any engine is imported.
"""

from __future__ import annotations

import re

import duckdb

from .errors import ValidationError

ACCEPTED = "an IANA zone name (e.g. Europe/Berlin, America/New_York, UTC) or an offset ±HH:MM (e.g. +05:30)"
_UTC_NAMES = ("UTC", "Z", "GMT", "ETC/UTC", "ETC/GMT", "+00:00", "-00:00")
_OFFSET = re.compile(r"^(?:UTC|GMT)?\s*([+-])(\d{1,2})(?::?(\d{2}))?$", re.I)
MAX_OFFSET_MINUTES = 14 * 60


def is_utc(zone: str | None) -> bool:
    """True for no zone or a name of UTC itself (no conversion needed)."""
    return not zone or zone.strip().upper() in _UTC_NAMES


def offset_minutes(zone: str) -> int | None:
    """Minutes east of UTC of a fixed-offset zone (``+05:30`` → 330), None for a name."""
    m = _OFFSET.match(zone.strip())
    if not m:
        return None
    minutes = int(m[2]) * 60 + int(m[3] or 0)
    return -minutes if m[1] == "-" else minutes


def normalize_zone(text: str) -> str:
    """The zone as a rule stores it (``+0530`` → ``+05:30``, a name as given), or a
    ValidationError (a ValueError) naming the accepted forms: a typo must fail before a
    long load, not give every row a wrong time."""
    zone = (text or "").strip()
    if not zone or "\x00" in zone or "'" in zone:
        raise ValidationError("timezone", text, ACCEPTED)
    if is_utc(zone):
        return "UTC"
    mins = offset_minutes(zone)
    if mins is not None:
        if abs(mins) > MAX_OFFSET_MINUTES or int(_OFFSET.match(zone)[3] or 0) >= 60:  # type: ignore[index]
            raise ValidationError("timezone", text, ACCEPTED + "; the offset is out of range")
        sign = "-" if mins < 0 else "+"
        return f"{sign}{abs(mins) // 60:02d}:{abs(mins) % 60:02d}"
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_+\-/]*", zone):
        raise ValidationError("timezone", text, ACCEPTED)
    try:
        probe = to_utc_sql("TIMESTAMP '2024-01-01'", zone)
        duckdb.connect().execute(f"SELECT {probe}").fetchall()
    except duckdb.Error:
        raise ValidationError("timezone", text, ACCEPTED + "; no zone has that name") from None
    return zone


def to_utc_sql(local: str, zone: str | None) -> str:
    """SQL turning the naive local TIMESTAMP ``local`` of ``zone`` into naive UTC."""
    if is_utc(zone):
        return local
    assert zone is not None
    mins = offset_minutes(zone)
    if mins is not None:
        return f"({local} - to_minutes(CAST({mins} AS BIGINT)))"
    return f"timezone('UTC', timezone('{zone}', {local}))"


__all__ = ["ACCEPTED", "is_utc", "normalize_zone", "offset_minutes", "to_utc_sql"]
