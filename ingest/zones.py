"""Zones for ingestion: the core's zone rules (:mod:`logpilot_kernel.zones`), re-exported for
the parser, plus the key names of key=value lines that write date, clock and zone apart.
"""

from __future__ import annotations

import json
from functools import lru_cache
from importlib import resources

from ..zones import ACCEPTED, is_utc, normalize_zone, offset_minutes, to_utc_sql


@lru_cache(maxsize=1)
def split_time_keys() -> tuple[list[str], list[str]]:
    """(date keys, zone keys) of key=value lines whose date, clock and zone are three
    pairs (``timestamps.json`` ``split_time_keys``: data, not code)."""
    data = json.loads(resources.files(__package__).joinpath("timestamps.json").read_text(encoding="utf-8"))
    keys = data.get("split_time_keys") or {}
    return list(keys.get("date") or []), list(keys.get("zone") or [])


__all__ = ["ACCEPTED", "is_utc", "normalize_zone", "offset_minutes", "split_time_keys", "to_utc_sql"]
