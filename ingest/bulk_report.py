"""What one ingest run did: :class:`IngestReport` and its per-file :class:`FileReport`.

Why a module of its own: the single-process job (``bulk``), the cluster client
(``cluster``) and the readers of past runs (``time_sources``, the status views) share the
report's shape and its accounting identity, and ``bulk`` stays under the size a reader
holds in mind.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from . import segments

__all__ = ["FileReport", "IngestReport"]


@dataclass
class FileReport:
    """What happened to one input file."""

    origin: str
    rule: str
    confidence: float
    lines_read: int = 0
    rows_loaded: int = 0
    duplicates: int = 0
    quarantined: int = 0
    merged_lines: int = 0
    skipped: str | None = None
    #: Rows whose time is not their own line's, by ``context.ts_source``.
    ts_inherited: int = 0
    ts_file_mtime: int = 0
    ts_none: int = 0
    #: What was induced (fields, timestamp layout, notes) when the rule is ``induced:...``.
    induced: dict[str, Any] | None = None
    #: The mining budget's limit this file passed (then its later new shapes are coarse).
    template_budget: str | None = None
    #: Rows whose template is coarse (``context.template_quality = "coarse"``).
    coarse_rows: int = 0

    @property
    def ts_not_from_line(self) -> int:
        return self.ts_inherited + self.ts_file_mtime + self.ts_none


@dataclass
class IngestReport:
    """Accounting of one run: ``lines_read == rows_loaded + duplicates + quarantined + merged_lines``.

    ``duplicates`` are records already in the workspace (same origin and offset), which a
    rerun of the same archive finds instead of loading twice.
    """

    run_id: str
    lines_read: int = 0
    rows_loaded: int = 0
    duplicates: int = 0
    merged_lines: int = 0
    quarantined: int = 0
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    new_templates: int = 0
    templates_embedded: int = 0
    files: list[FileReport] = field(default_factory=list)
    skipped_files: list[dict[str, str]] = field(default_factory=list)
    seconds: float = 0.0
    #: What opening the workspace cleaned after a killed run (``segments.recover``).
    recovered: dict[str, Any] = field(default_factory=dict)
    #: A ``--cluster`` run's figures (shards, lake, workers, per-phase and per-worker
    #: seconds, merge counts; ``ingest.cluster``); None for a single-process run.
    cluster: dict[str, Any] | None = None

    @property
    def budget_files(self) -> list[str]:
        """Files that passed the mining budget (their later new shapes are coarse)."""
        return [f.origin for f in self.files if f.template_budget]

    @property
    def lines_per_second(self) -> float:
        return self.lines_read / self.seconds if self.seconds > 0 else 0.0

    @property
    def balanced(self) -> bool:
        """True when every line read is accounted for as a row, duplicate, quarantine or merge."""
        return self.lines_read == self.rows_loaded + self.duplicates + self.quarantined + self.merged_lines

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["lines_per_second"] = round(self.lines_per_second, 1)
        d["balanced"] = self.balanced
        return d

    def summary(self) -> str:
        """One paragraph a person reads at the end of a run."""
        reasons = ", ".join(f"{k}: {v}" for k, v in sorted(self.quarantine_reasons.items())) or "none"
        text = (
            f"run {self.run_id}: {self.lines_read:,} lines read from {len(self.files)} file(s) in "
            f"{self.seconds:.1f} s ({self.lines_per_second:,.0f} lines/s); {self.rows_loaded:,} rows "
            f"loaded, {self.duplicates:,} already present, {self.merged_lines:,} continuation lines "
            f"merged, {self.quarantined:,} quarantined ({reasons}); {self.new_templates:,} new "
            f"templates, {self.templates_embedded:,} embedded."
        )
        per_file = []
        for f in self.files:
            notes = []
            if f.induced is not None:
                notes.append(f"induced rule {f.rule} (confidence {f.confidence:.2f})")
            if f.ts_not_from_line:
                notes.append(f"{f.ts_not_from_line:,} of {f.rows_loaded + f.duplicates:,} rows without a time of "
                             f"their own ({f.ts_inherited:,} inherited, {f.ts_file_mtime:,} file mtime, "
                             f"{f.ts_none:,} none)")
            if f.template_budget:
                notes.append(f"mining budget passed ({f.template_budget}): {f.coarse_rows:,} rows grouped "
                             "coarsely (context.template_quality = coarse)")
            if notes:
                per_file.append(f"{f.origin}: " + "; ".join(notes))
        if per_file:
            text += " Per file: " + " | ".join(per_file) + "."
        if self.skipped_files:
            text += " Skipped: " + "; ".join(f"{s['origin']} ({s['reason']})" for s in self.skipped_files)
        if self.cluster:
            c = self.cluster
            text += (f" Cluster: {c.get('shards', 0)} shard(s) on {len(c.get('workers') or [])} worker(s), "
                     f"lake {c.get('lake')}.")
        if segments.summary(self.recovered):
            text += " " + segments.summary(self.recovered)
        if not self.balanced:
            text += " WARNING: accounting does not balance."
        return text

    def _repr_markdown_(self) -> str:
        return self.summary()
