"""The ground truth of a demo estate: what was written, where the incidents are, exact counts.

Feature tests compute expected answers from this file, independently of any parser, so it
is written from the generator's own bookkeeping at write time and never re-derived.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class GroundTruth:
    """Everything a test needs to know about one generated estate (see ``to_dict``)."""

    start: str
    end: str
    seed: int
    days: int
    lines_target: int
    files: list[dict[str, Any]] = field(default_factory=list)
    incidents: list[dict[str, Any]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    services: dict[str, Any] = field(default_factory=dict)
    conventions: dict[str, Any] = field(default_factory=dict)
    #: original term -> its name in this estate (empty: the plain estate)
    renames: dict[str, str] = field(default_factory=dict)
    rename_seed: int | None = None
    #: True when the estate also carries the incidents of ``incidents.EXTRA_SCHEDULE``
    extra_incidents: bool = False

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able dict, the exact content of ``ground_truth.json``.

        The options are left out at their defaults so a plain estate's file stays
        byte-identical to the one written before the options existed.
        """
        out = asdict(self)
        for k, default in _OPTIONAL_DEFAULTS.items():
            if out[k] == default:
                del out[k]
        return out

    def save(self, path: str | os.PathLike) -> None:
        """Write as pretty JSON with sorted keys so identical estates give identical bytes."""
        with open(path, "w", encoding="utf-8", newline="\n") as fh:
            json.dump(self.to_dict(), fh, indent=1, sort_keys=True)
            fh.write("\n")

    @classmethod
    def load(cls, path: str | os.PathLike) -> "GroundTruth":
        """Read ``ground_truth.json`` (a file, or the estate directory that contains it)."""
        p = os.fspath(path)
        if os.path.isdir(p):
            p = os.path.join(p, "ground_truth.json")
        with open(p, encoding="utf-8") as fh:
            data = json.load(fh)
        known = set(cls.__dataclass_fields__)
        return cls(**{k: v for k, v in data.items() if k in known})

    def incident(self, kind_or_id: str) -> dict[str, Any]:
        """The incident with that ``kind`` (e.g. ``pool_exhaustion``) or ``id`` (``INC-3``)."""
        for inc in self.incidents:
            if kind_or_id in (inc["kind"], inc["id"]):
                return inc
        raise KeyError(kind_or_id)


_OPTIONAL_DEFAULTS: dict[str, Any] = {"renames": {}, "rename_seed": None,
                                      "extra_incidents": False}
