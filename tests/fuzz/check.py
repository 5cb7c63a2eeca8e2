"""Run one corpus case through the real ``logpilot ingest`` and judge the outcome.

The CLI's ``main`` runs in this process (the same code path as the console script, without
paying for a new interpreter per case); the verdict reads the workspace's DuckDB file
afterwards, so the accounting is checked against what was stored, not against what the
report says about itself.
"""

from __future__ import annotations

import contextlib
import io
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.fuzz.corpus import Case


@dataclass
class Outcome:
    """What happened to one case and what was wrong with it (empty ``faults``: correct)."""

    case: Case
    exit_code: int | None
    message: str
    lines_read: int = 0
    rows: int = 0
    quarantined: int = 0
    merged: int = 0
    seconds: float = 0.0
    faults: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.faults


def _run_cli(argv: list[str]) -> tuple[int | None, str, str]:
    from logpilot_kernel.cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code: int | None = main(argv)
        except SystemExit as exc:  # argparse's own exits
            code = exc.code if isinstance(exc.code, int) else 2
        except BaseException as exc:  # noqa: BLE001 - an escaped exception is the fault we look for
            err.write(f"Traceback (escaped): {type(exc).__name__}: {exc}\n")
            code = None
    return code, out.getvalue(), err.getvalue()


def run_case(case: Case, ws: Path) -> Outcome:
    """Ingest ``case.path`` into a new workspace ``ws`` and check every expectation."""
    started = time.perf_counter()
    code, out, err = _run_cli(["ingest", str(case.path), "--workspace", str(ws), "--quiet"])
    seconds = time.perf_counter() - started
    stream = out if case.exit_code == 0 else err
    lines = stream.strip().splitlines()
    res = Outcome(case, code, lines[0] if lines else "", seconds=seconds)
    f = res.faults
    if code != case.exit_code:
        f.append(f"exit code {code}, expected {case.exit_code}")
    if "Traceback" in out + err:
        f.append("a traceback")
    if len(lines) != 1:
        f.append(f"{len(lines)} message lines, expected one")
    quiet = err if case.exit_code == 0 else out
    if quiet.strip():
        f.append(f"unexpected output: {quiet.strip()[:200]!r}")
    if case.exit_code != 0:
        if ws.exists():
            f.append("a refused ingest created the workspace")
        return res
    _check_store(case, ws, res)
    for p in case.outside:
        if p.exists():
            f.append(f"wrote outside the input: {p}")
    return res


def _check_store(case: Case, ws: Path, res: Outcome) -> None:
    import duckdb

    f = res.faults
    path = str(case.path)
    con = duckdb.connect(str(ws / "logpilot.duckdb"), read_only=True)
    try:
        where = "(origin = ? OR starts_with(origin, ?))"
        args = [path, path + "!"]
        res.rows = con.execute(f"SELECT count(*) FROM logs WHERE {where}", args).fetchone()[0]
        res.quarantined = con.execute(f"SELECT count(*) FROM quarantine WHERE origin_offset > 0 AND {where}",
                                      args).fetchone()[0]
        files = dict(con.execute(f"SELECT origin, reason FROM quarantine WHERE origin_offset = 0 AND {where}",
                                 args).fetchall())
        report = json.loads(con.execute("SELECT report FROM ingest_runs ORDER BY started_at DESC LIMIT 1")
                            .fetchone()[0])
        with_cr = con.execute(f"SELECT count(*) FROM logs WHERE {where} AND (contains(message, chr(13)) "
                              "OR contains(message, chr(8232)))", args).fetchone()[0]
        if case.forbidden_text:
            leaked = con.execute(f"SELECT count(*) FROM logs WHERE contains(message, ?)",
                                 [case.forbidden_text]).fetchone()[0]
            if leaked:
                f.append(f"{leaked} rows hold {case.forbidden_text!r} (a link was followed)")
    finally:
        con.close()
    res.lines_read = int(report["lines_read"])
    res.merged = int(report["merged_lines"])
    if res.lines_read != case.lines:
        f.append(f"{res.lines_read} lines read, the input has {case.lines}")
    if res.rows + res.quarantined + res.merged != case.lines:
        f.append(f"rows {res.rows} + quarantined {res.quarantined} + merged {res.merged} != {case.lines} lines")
    if res.quarantined < case.bad_lines:
        f.append(f"{res.quarantined} lines quarantined, but {case.bad_lines} hold control bytes or are too long")
    if report.get("duplicates"):
        f.append(f"{report['duplicates']} duplicates in a new workspace")
    if with_cr:
        f.append(f"{with_cr} messages keep a CR or U+2028")
    for origin, size in case.binary_files.items():
        reason = files.get(origin)
        if reason is None:
            f.append(f"binary {origin} is not a quarantined file")
        elif f"{size:,} bytes" not in reason:
            f.append(f"quarantined file {origin} does not give its size {size:,}: {reason}")
        if origin not in res.message or "whole file quarantined" not in res.message:
            f.append("the summary line does not list the quarantined file")
    extra = set(files) - set(case.binary_files)
    if extra:
        f.append(f"text files quarantined whole: {sorted(extra)}")


__all__ = ["Outcome", "run_case"]
