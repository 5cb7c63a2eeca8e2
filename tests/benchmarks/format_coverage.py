"""Format coverage: does every file become rows, with the right time, level and message?

usage: python tests/benchmarks/format_coverage.py [--shared PATH] [--fixtures DIR ...] [--out FILE]
                                                    [--structural-only] [--stated-zones]

Runs the real ``logpilot ingest`` (the console command, one process per mode, into a
temporary workspace) over

* the 8 Loghub-2k systems in ``PATH/data/loghub-2k`` (the raw ``*_2k.log``, not the
  Content column), scored against ``*_structured_corrected.csv``: rows / records, share
  of rows whose timestamp equals the CSV's (month-day-time only for year-less logs),
  level agreement (where the CSV has a level), first line of ``message`` == ``Content``,
  and full-path GA / PA of the stored templates (scorer: ``PATH/tools/score_templates.py``);
* the blind format fixtures (``tests/fixtures/formats``), scored against their
  ``expected.json`` the same way (a fixture's ``date_hint`` / ``year_hint`` becomes the
  copied file's mtime, which is where the product takes a missing date or year from),

once with every builtin rule and once with ``--no-builtin hdfs,hadoop,spark,zookeeper,bgl``
(the rules written for Loghub), so the second run measures rule induction. The header
layouts in ``formats.json`` are used here only to build the expected timestamps.
Without ``--shared`` only the fixtures are scored; ``--fixtures`` may be given several
times (``tests/fixtures/formats``, ``formats_holdout``, ``formats_holdout3``, ...).

``--structural-only`` is the leave-one-set-out figure: one run with the known-layout
table switched off (``LOGPILOT_TS_STRUCTURAL_ONLY=1``) and every builtin line rule off
(``--no-builtin`` all but ``json_lines``, ``logfmt`` and the ``generic`` fallback), so
only the structural timestamp inference finds the times of the line formats. Every
fixture set then counts as unseen by the finder: that figure predicts a format nobody
has written a layout for.

``--stated-zones`` adds a third run: every builtin rule on, and each fixture whose
``expected.json`` gives a ``tz`` other than UTC ingested with ``--timezone <tz>`` (one
``logpilot ingest`` per zone into the same workspace). The first run is what a user gets
by default (a time written without a zone is read as UTC), the third what a user gets
after stating the host's zone, which no file can tell.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib.util
import json
import os
import pathlib
import shutil
import subprocess
import sys
import tempfile
import time
from typing import Any

import duckdb

SYSTEMS = ["Apache", "BGL", "HDFS", "Hadoop", "HealthApp", "Linux", "Spark", "Zookeeper"]
NO_BUILTIN = "hdfs,hadoop,spark,zookeeper,bgl"
FIXTURES = pathlib.Path(__file__).resolve().parents[1] / "fixtures" / "formats"
#: The file's mtime for the year-less systems' year (a value, scored without the year).
MTIME = dt.datetime(2017, 12, 31, tzinfo=dt.timezone.utc).timestamp()


def _fixture_mtime(expected: dict) -> float | None:
    """The mtime a fixture is given, as a file written then would carry: the end of its
    ``date_hint`` day (lines with a time of day only take their date from it), else the
    end of its ``year_hint`` year (year-less lines take their year from it), else none
    (the copy's own mtime: the format carries its dates)."""
    day = expected.get("date_hint")
    if day:
        return dt.datetime.fromisoformat(f"{day}T23:59:59+00:00").timestamp()
    year = expected.get("year_hint")
    if year:
        return dt.datetime(int(year), 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc).timestamp()
    return None


def _expected_ts(system: str, r: dict[str, str]) -> tuple[dt.datetime | None, bool]:
    """(expected time, has a year) from the structured CSV of one Loghub system."""
    p = dt.datetime.strptime
    try:
        if system == "Apache":
            return p(r["Time"], "%a %b %d %H:%M:%S %Y"), True
        if system == "BGL":
            return p(r["Time"], "%Y-%m-%d-%H.%M.%S.%f"), True
        if system == "HDFS":
            return p(r["Date"].zfill(6) + " " + r["Time"].zfill(6), "%y%m%d %H%M%S"), True
        if system in ("Hadoop", "Zookeeper"):
            return p(r["Date"] + " " + r["Time"], "%Y-%m-%d %H:%M:%S,%f"), True
        if system == "HealthApp":
            return p(r["Time"], "%Y%m%d-%H:%M:%S:%f"), True
        if system == "Linux":
            return p(f"2000 {r['Month']} {r['Date']} {r['Time']}", "%Y %b %d %H:%M:%S"), False
        if system == "Spark":
            return p(r["Date"] + " " + r["Time"], "%y/%m/%d %H:%M:%S"), True
    except (KeyError, ValueError):
        return None, True
    return None, True


def _level(system: str, r: dict[str, str]) -> str | None:
    from logpilot_kernel.schema import normalize_severity

    if system in ("HealthApp", "Linux"):  # no level field (Linux's "Level" column is the host)
        return None
    raw = r.get("Level")
    return normalize_severity(raw, default="") or None if raw else None


def _ingest_zoned(files: list[pathlib.Path], ws: pathlib.Path, no_builtin: str | None,
                  zones: dict[pathlib.Path, str]) -> tuple[float, dict]:
    """One ingest per stated zone (and one for the files without) into the same workspace."""
    groups: dict[str | None, list[pathlib.Path]] = {}
    for f in files:
        groups.setdefault(zones.get(f), []).append(f)
    secs, merged = 0.0, {"files": [], "quarantined": 0}
    for zone, part in groups.items():
        t, rep = _ingest(part, ws, no_builtin, timezone=zone)
        secs += t
        merged["files"] += rep["files"]
        merged["quarantined"] += rep["quarantined"]
    return secs, merged


def _ingest(files: list[pathlib.Path], ws: pathlib.Path, no_builtin: str | None,
            structural: bool = False, timezone: str | None = None) -> tuple[float, dict]:
    cmd = [sys.executable, "-m", "logpilot_kernel.cli", "ingest", *map(str, files), "-w", str(ws),
           "--no-parquet", "--json", "-q"]
    if no_builtin:
        cmd += ["--no-builtin", no_builtin]
    if timezone:
        cmd += [f"--timezone={timezone}"]  # "=": an offset such as -06:00 is not an option
    env = dict(os.environ)
    if structural:
        from logpilot_kernel.ingest.timestamps import STRUCTURAL_ONLY_ENV

        env[STRUCTURAL_ONLY_ENV] = "1"
    t0 = time.perf_counter()
    out = subprocess.run(cmd, capture_output=True, text=True, check=False, env=env)
    if out.returncode not in (0, 1):
        raise SystemExit(f"ingest failed: {out.stderr.strip()[-500:]}")
    return time.perf_counter() - t0, json.loads(out.stdout)


def _rows(ws: pathlib.Path, name: str) -> dict[int, tuple]:
    con = duckdb.connect(str(ws / "logpilot.duckdb"), read_only=True)
    try:
        return {r[0]: r[1:] for r in con.execute(
            "SELECT origin_offset, timestamp, severity, message, body, template_id FROM logs "
            "WHERE origin LIKE ? ORDER BY 1", [f"%/{name}"]).fetchall()}
    finally:
        con.close()


def _scorer(shared: pathlib.Path) -> Any:
    path = shared / "tools" / "score_templates.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("score_templates", path)
    mod = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
    spec.loader.exec_module(mod)  # type: ignore[union-attr]
    return mod


def _score_loghub(system: str, data: pathlib.Path, ws: pathlib.Path, files: dict, scorer: Any) -> dict:
    gt = list(csv.DictReader(open(data / system / f"{system}_2k.log_structured_corrected.csv",
                                  newline="", encoding="utf-8", errors="replace")))
    rows = _rows(ws, f"{system}_2k.log")
    ts_ok = lvl_ok = lvl_n = msg_ok = 0
    for r in gt:
        row = rows.get(int(r["LineId"]))
        if row is None:
            continue
        want, has_year = _expected_ts(system, r)
        got = row[0]
        if want is not None and got is not None:
            if (got == want) if has_year else (got.replace(year=2000) == want):
                ts_ok += 1
        lv = _level(system, r)
        if lv:
            lvl_n += 1
            lvl_ok += row[1] == lv
        msg_ok += (row[2] or "").split("\n", 1)[0].rstrip() == r["Content"].rstrip()
    n = len(gt)
    out = {"system": system, "rule": files.get(f"{system}_2k.log", {}).get("rule"),
           "confidence": files.get(f"{system}_2k.log", {}).get("confidence"),
           "rows": len(rows), "records": n, "ts": ts_ok / n, "level": (lvl_ok / lvl_n) if lvl_n else None,
           "message": msg_ok / n, "GA": None, "PA": None}
    if scorer is not None and rows:
        pred = [{"LineId": str(k), "EventTemplate": v[3] or "", "ClusterId": v[4] or ""} for k, v in rows.items()]
        s = scorer.score(gt, pred, pred_template_col="EventTemplate", pred_group_col="ClusterId")
        out["GA"], out["PA"] = s["GA"], s["PA"]
    return out


def _score_fixture(name: str, ws: pathlib.Path, files: dict, folder: pathlib.Path = FIXTURES,
                   prefix: str = "") -> dict:
    exp = json.loads((folder / f"{name}.expected.json").read_text(encoding="utf-8"))
    recs = exp["records"]
    rows = _rows(ws, f"{prefix}/{name}.log" if prefix else f"{name}.log")
    ts_ok = lvl_ok = lvl_n = msg_ok = 0
    for rec in recs:
        row = rows.get(rec["line"])
        if row is None:
            continue
        want = dt.datetime.fromisoformat(rec["timestamp"].replace("Z", "+00:00"))
        if want.tzinfo is not None:
            want = want.astimezone(dt.timezone.utc).replace(tzinfo=None)
        ts_ok += row[0] == want
        if rec.get("severity"):
            lvl_n += 1
            lvl_ok += row[1] == rec["severity"]
        msg = row[2] or ""
        msg_ok += (msg if "\n" in rec["message"] else msg.split("\n", 1)[0]) == rec["message"]
    n = len(recs)
    same_rows = sorted(rows) == [r["line"] for r in recs]
    return {"system": name, "rule": files.get(f"{name}.log", {}).get("rule"),
            "confidence": files.get(f"{name}.log", {}).get("confidence"),
            "rows": len(rows), "records": n, "rows_ok": same_rows, "ts": ts_ok / n,
            "level": (lvl_ok / lvl_n) if lvl_n else None, "message": msg_ok / n}


def _line_rules() -> str:
    """Every builtin rule that reads a line layout (all but the JSON/logfmt readers and
    the generic fallback), for the structural-only run."""
    from logpilot_kernel.ingest.registry.builtins import load_builtins

    return ",".join(r.name for r in load_builtins() if r.name not in ("json_lines", "logfmt", "generic"))


def _pct(v: float | None) -> str:
    return "-" if v is None else f"{100 * v:.1f}%"


def _table(rows: list[dict], loghub: bool) -> str:
    head = "| input | rule (confidence) | rows / records | timestamp ok | level ok | message ok |"
    sep = "| --- | --- | --- | --- | --- | --- |"
    if loghub:
        head += " GA | PA |"
        sep += " --- | --- |"
    lines = [head, sep]
    for r in rows:
        line = (f"| {r['system']} | `{r['rule']}` ({r['confidence']}) | {r['rows']} / {r['records']} | "
                f"{_pct(r['ts'])} | {_pct(r['level'])} | {_pct(r['message'])} |")
        if loghub:
            ga = "-" if r["GA"] is None else f"{r['GA']:.3f}"
            pa = "-" if r["PA"] is None else f"{r['PA']:.3f}"
            line += f" {ga} | {pa} |"
        lines.append(line)
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=pathlib.Path, default=None,
                    help="the shared folder with data/loghub-2k (without it: fixtures only)")
    ap.add_argument("--fixtures", type=pathlib.Path, action="append", default=None,
                    help="a fixture folder (repeatable; default tests/fixtures/formats)")
    ap.add_argument("--out", type=pathlib.Path, default=None, help="also write the tables (markdown) here")
    ap.add_argument("--structural-only", action="store_true",
                    help="known-layout table and builtin line rules off: the structural inference alone")
    ap.add_argument("--stated-zones", action="store_true",
                    help="a third run: fixtures whose expected tz is not UTC ingested with --timezone <tz>")
    args = ap.parse_args(argv)
    folders: list[pathlib.Path] = args.fixtures or [FIXTURES]
    data = args.shared / "data" / "loghub-2k" if args.shared else None
    scorer = _scorer(args.shared) if args.shared else None
    systems = SYSTEMS if data is not None else []
    sets = [(folder, sorted(p.name[: -len(".expected.json")] for p in folder.glob("*.expected.json")))
            for folder in folders]
    tmp = pathlib.Path(tempfile.mkdtemp(prefix="lp-coverage-"))
    report: list[str] = []
    try:
        inputs = []
        zones: dict[pathlib.Path, str] = {}  # a fixture's stated zone (--stated-zones)
        for s in systems:
            dst = tmp / "in" / f"{s}_2k.log"
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(data / s / f"{s}_2k.log", dst)  # type: ignore[operator]
            os.utime(dst, (MTIME, MTIME))
            inputs.append(dst)
        for folder, names in sets:
            for name in names:
                dst = tmp / "in" / folder.name / f"{name}.log"
                dst.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(folder / f"{name}.log", dst)
                exp = json.loads((folder / f"{name}.expected.json").read_text(encoding="utf-8"))
                if str(exp.get("tz") or "UTC").upper() not in ("UTC", "Z", "+00:00", "GMT"):
                    zones[dst] = str(exp["tz"])
                mt = _fixture_mtime(exp)
                if mt is not None:
                    os.utime(dst, (mt, mt))
                inputs.append(dst)
        modes: list[tuple[str, str | None, bool | str]]
        if args.structural_only:
            modes = [("structural only: known-layout table off, --no-builtin every line rule", _line_rules(), True)]
        else:
            modes = [("all builtin rules", None, False), (f"--no-builtin {NO_BUILTIN}", NO_BUILTIN, False)]
        if args.stated_zones:
            modes.append(("all builtin rules, zones stated (--timezone <tz> for each fixture whose tz is not UTC)",
                          None, "zones"))
        mean = lambda rows, k: sum(r[k] for r in rows if r[k] is not None) / max(1, sum(1 for r in rows if r[k] is not None))  # noqa: E731
        for label, nb, structural in modes:
            ws = tmp / ("ws-" + ("tz" if structural == "zones" else "st" if structural else "nb" if nb else "all"))
            if structural == "zones":
                secs, rep = _ingest_zoned(inputs, ws, nb, zones)
            else:
                secs, rep = _ingest(inputs, ws, nb, bool(structural))
            files = {"/".join(pathlib.Path(f["origin"]).parts[-2:]).removeprefix("in/"): f for f in rep["files"]}
            text = f"### {label}\n\ningest of all {len(inputs)} files {secs:.1f} s, {rep['quarantined']} quarantined\n\n"
            if systems:
                lh = [_score_loghub(s, data, ws, files, scorer) for s in systems]  # type: ignore[arg-type]
                zero = sum(1 for r in lh if r["rows"] == 0)
                ga = "-" if all(r["GA"] is None for r in lh) else f"{mean(lh, 'GA'):.3f}"
                pa = "-" if all(r["PA"] is None for r in lh) else f"{mean(lh, 'PA'):.3f}"
                text += (f"Loghub-2k (in-sample: the team has seen these systems), files with 0 rows: {zero}\n\n"
                         + _table(lh, True)
                         + f"\n\nmean: timestamp {_pct(mean(lh, 'ts'))}, level {_pct(mean(lh, 'level'))}, "
                         f"message {_pct(mean(lh, 'message'))}, GA {ga}, PA {pa}\n\n")
            for folder, names in sets:
                sub = {k.split("/", 1)[1]: v for k, v in files.items() if k.startswith(folder.name + "/")}
                fx = [_score_fixture(n, ws, sub, folder, prefix=folder.name) for n in names]
                text += (f"Format fixtures `{folder.name}` ({len(fx)} formats, none a builtin rule):\n\n"
                         + _table(fx, False)
                         + f"\n\nmean: rows = records in {sum(r['rows_ok'] for r in fx)}/{len(fx)}, timestamp "
                         f"{_pct(mean(fx, 'ts'))}, level {_pct(mean(fx, 'level'))}, message {_pct(mean(fx, 'message'))}"
                         f", files with 0 rows: {sum(1 for r in fx if r['rows'] == 0)}\n\n")
            report.append(text)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    text = "\n".join(report)
    print(text)
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
