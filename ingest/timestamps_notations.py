"""Ways of writing a time that are not a strptime pattern with a trailing ``±HH:MM``.

Why a module of its own: :mod:`.timestamps` splits a trailing zone (``Z``, ``+0200``,
``CET``) off the text and parses the rest with strptime; two notations fit neither part,
and they are read here, still in one vectorised SQL expression per record:

* **a UTC offset written in minutes** right after the clock's fraction: ``-240`` (minutes
  east of UTC, so UTC-4) or a Windows-style *bias* ``+300`` (minutes to add to the local
  time to get UTC, so also UTC-5). The sign convention is data: a format ends in a marker
  from ``timestamps.json``'s ``zone_notations`` table, so the finder, the rule compiler
  and rule induction all read the same table. The offset may sit inside the layout
  (a date written after the time), so the split cuts it out wherever it follows the
  fraction;
* **a TAI64N label** (``@`` + 16 hex digits of 2^62 + TAI seconds + 8 hex digits of
  nanoseconds), read like an epoch number.

TAI-UTC handling: a label's seconds minus 2^62 minus :data:`TAI_LABEL_OFFSET_S` (10 s),
with no leap-second table. This is what daemontools' ``tai64nlocal`` does; the
writers that make such labels (``tai64n``, ``multilog``) take them from the system's
Unix clock plus 10 s, so the labels already count UTC time, leap seconds left out. The
libtai reading (subtract 10 s and the leap seconds since 1972, 27 s more today) would be
right only for a clock that really counts TAI, and would move every such record 27 s
early.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache
from importlib import resources
from typing import Sequence

#: The special "format" of a TAI64N label (an epoch-like unit: UTC by definition).
TAI64N_FORMAT = "tai64n"
#: Seconds a TAI64 label is ahead of the Unix clock it was taken from (see module doc).
TAI_LABEL_OFFSET_S = 10
#: A TAI64N label: '@', 2^62 + seconds (16 hex digits, '4000000' while the seconds fit
#: in 36 bits), nanoseconds (8 hex digits).
TAI64N_RX = "@?4000000[0-9a-fA-F]{17}"

#: A minutes offset after the fraction of the clock: (text before)(offset)(text after).
MINUTES_SPLIT_RE = r"^(.*?[.:,][0-9]+)([+-][0-9]{1,4})([^0-9].*)?$"
#: Minutes offsets beyond this are not a zone (the widest real one is +14:00).
MAX_OFFSET_MINUTES = 14 * 60


@lru_cache(maxsize=1)
def zone_notations() -> dict[str, int]:
    """Format marker -> sign that turns the written minutes into minutes east of UTC
    (``timestamps.json``'s ``zone_notations``: +1 for an offset, -1 for a bias)."""
    text = resources.files(__package__).joinpath("timestamps.json").read_text(encoding="utf-8")
    table = json.loads(text).get("zone_notations", {}).get("markers", {})
    return {str(k): int(v["sign"]) for k, v in table.items()}


def notation_sign(formats: Sequence[str]) -> int | None:
    """The sign of the minutes-offset notation the formats are marked with (None: none)."""
    for fmt in formats:
        for marker, sign in zone_notations().items():
            if fmt.endswith(marker):
                return sign
    return None


def strip_notation(fmt: str) -> str:
    """``fmt`` without its zone-notation marker (the strptime pattern of the local time)."""
    for marker in zone_notations():
        if fmt.endswith(marker):
            return fmt[: -len(marker)]
    return fmt


def _lit(value: str) -> str:
    from ..sqltext import literal  # the one literal helper

    return literal(value)


def minutes_split_sql(text: str) -> str:
    """STRUCT(tzb, tzz): the text without its minutes offset, and the offset (NULL when
    the text has none after a fraction)."""
    x = f"regexp_extract({text}, {_lit(MINUTES_SPLIT_RE)}, ['a', 'tzz', 'b'])"
    return (f"CASE WHEN regexp_matches({text}, {_lit(MINUTES_SPLIT_RE)}) THEN "
            f"struct_pack(tzb := ({x}).a || ({x}).b, tzz := ({x}).tzz) END")


def minutes_offset_sql(tz: str, sign: int) -> str:
    """Minutes east of UTC for a written minutes offset ``tz`` (NULL past
    :data:`MAX_OFFSET_MINUTES`, so the time is rejected, never shifted by it)."""
    v = f"TRY_CAST({tz} AS INTEGER)"
    return f"(CASE WHEN abs({v}) <= {MAX_OFFSET_MINUTES} THEN {sign} * {v} END)"


def tai64n_sql(text: str, min_s: int, max_s: int) -> str:
    """The UTC TIMESTAMP of a TAI64N label (NULL when it is not one or out of range)."""
    hexs = f"ltrim({text}, '@')"
    secs = f"(TRY_CAST('0x' || substr({hexs}, 9, 8) AS BIGINT) - {TAI_LABEL_OFFSET_S})"
    nanos = f"TRY_CAST('0x' || substr({hexs}, 17, 8) AS BIGINT)"
    return (f"(CASE WHEN regexp_full_match({text}, {_lit(TAI64N_RX)}) AND starts_with({hexs}, '40000000') "
            f"AND {secs} BETWEEN {min_s} AND {max_s} AND {nanos} < 1000000000 "
            f"THEN make_timestamp({secs} * 1000000 + {nanos} // 1000) END)")


def is_notation_format(fmt: str) -> bool:
    """Whether ``fmt`` carries a zone-notation marker."""
    return strip_notation(fmt) != fmt


__all__ = ["TAI64N_FORMAT", "TAI_LABEL_OFFSET_S", "TAI64N_RX", "MINUTES_SPLIT_RE", "zone_notations",
           "notation_sign", "strip_notation", "minutes_split_sql", "minutes_offset_sql", "tai64n_sql",
           "is_notation_format"]
