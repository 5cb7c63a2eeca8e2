"""The zone a user states for times a file writes without one (issue 13: ``--timezone``).

Invented lines (no fixture is copied). A file of local times cannot tell its host's
zone; ``ingest(..., timezone=)`` / ``logpilot ingest --timezone`` / the magic's option
say it, and a record that writes its own offset keeps it. A bad zone is one line, exit 2,
before any work.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pytest

from logpilot_kernel.cli import main
from logpilot_kernel.errors import LogPilotError
from logpilot_kernel.ingest import zones
from logpilot_kernel.ingest.bulk import ingest
from logpilot_kernel.ingest.registry import Registry, RuleError
from logpilot_kernel.workspace import Workspace

T = dt.datetime


@pytest.mark.parametrize("text,want", [
    ("Asia/Tokyo", "Asia/Tokyo"), ("utc", "UTC"), ("+0530", "+05:30"), ("-07:00", "-07:00"),
    ("+9", "+09:00"), ("UTC-03:30", "-03:30"),
])
def test_a_zone_is_a_name_or_an_offset(text: str, want: str) -> None:
    assert zones.normalize_zone(text) == want


@pytest.mark.parametrize("text", ["Atlantis/Capital", "+15:00", "+05:75", "", "five", "Asia/Tokyo'; --"])
def test_a_bad_zone_names_the_accepted_forms(text: str) -> None:
    with pytest.raises(ValueError, match="IANA zone name"):
        zones.normalize_zone(text)


@pytest.mark.parametrize("zone,local,want", [
    ("+05:30", T(2023, 7, 1, 3, 0), T(2023, 6, 30, 21, 30)),
    ("-09:30", T(2023, 7, 1, 20, 0), T(2023, 7, 2, 5, 30)),
    ("Europe/Lisbon", T(2023, 1, 10, 12, 0), T(2023, 1, 10, 12, 0)),  # WET, +00:00 in winter
    ("Europe/Lisbon", T(2023, 7, 10, 12, 0), T(2023, 7, 10, 11, 0)),  # WEST, +01:00 in summer
])
def test_local_times_become_utc_in_sql(zone: str, local: T, want: T) -> None:
    con = duckdb.connect()
    got = con.execute(f"SELECT {zones.to_utc_sql('CAST(? AS TIMESTAMP)', zone)}", [local]).fetchone()[0]
    assert got == want


def _rows(tmp_path: Path, lines: list[str], timezone: str | None) -> list[tuple]:
    path = tmp_path / "plant.log"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with Workspace(tmp_path / "ws") as ws:
        ingest(ws, [path], parquet=False, timezone=timezone)
        return ws.cursor().execute("SELECT timestamp, severity, message FROM logs ORDER BY origin_offset").fetchall()


LINES = [
    "2023-07-01 01:10:00.125 WARN pump 3 pressure low",
    "2023-07-01 01:12:30.000 INFO pump 3 pressure back",
    "2023-07-01 01:13:00.000+09:00 ERROR relay wrote its own offset",
    "2023-07-01 01:14:45.500 INFO shift handover",
]


def test_a_stated_zone_moves_the_times_without_an_offset_only(tmp_path: Path) -> None:
    rows = _rows(tmp_path, LINES, "-04:00")
    assert [r[0] for r in rows] == [T(2023, 7, 1, 5, 10, 0, 125000), T(2023, 7, 1, 5, 12, 30),
                                    T(2023, 6, 30, 16, 13), T(2023, 7, 1, 5, 14, 45, 500000)]
    assert [r[1] for r in rows] == ["WARN", "INFO", "ERROR", "INFO"]


def test_an_iana_zone_follows_daylight_saving(tmp_path: Path) -> None:
    lines = ["2023-01-15 08:00:00 INFO winter reading", "2023-07-15 08:00:00 INFO summer reading"]
    rows = _rows(tmp_path, lines, "America/Denver")
    assert [r[0] for r in rows] == [T(2023, 1, 15, 15, 0), T(2023, 7, 15, 14, 0)]


def test_without_a_stated_zone_the_times_are_utc(tmp_path: Path) -> None:
    rows = _rows(tmp_path, LINES, None)
    assert rows[0][0] == T(2023, 7, 1, 1, 10, 0, 125000)
    assert rows[2][0] == T(2023, 6, 30, 16, 13)


def test_the_api_refuses_a_bad_zone_before_loading(tmp_path: Path) -> None:
    path = tmp_path / "x.log"
    path.write_text(LINES[0] + "\n", encoding="utf-8")
    with Workspace(tmp_path / "ws") as ws:
        with pytest.raises(LogPilotError, match="timezone"):
            ingest(ws, [path], parquet=False, timezone="Nowhere/Land")
        assert ws.cursor().execute("SELECT count(*) FROM logs").fetchone()[0] == 0


def test_the_cli_refuses_a_bad_zone_in_one_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "x.log"
    path.write_text(LINES[0] + "\n", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["ingest", str(path), "-w", str(tmp_path / "ws"), "--timezone", "Nowhere/Land"])
    assert exc.value.code == 2
    err = capsys.readouterr().err.strip()
    assert "--timezone" in err and "IANA zone name" in err and "\n" not in err
    assert not (tmp_path / "ws").exists()


def test_the_cli_states_an_offset_zone(tmp_path: Path, capsys) -> None:
    path = tmp_path / "plant.log"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["ingest", str(path), "-w", str(tmp_path / "ws"), "--timezone=+02:00", "-q"]) == 0
    with Workspace(tmp_path / "ws") as ws:
        first = ws.cursor().execute("SELECT min(timestamp) FILTER (WHERE origin_offset = 1) FROM logs").fetchone()[0]
    assert first == T(2023, 6, 30, 23, 10, 0, 125000)


def test_a_rule_may_state_an_offset_zone_and_a_bad_one_is_refused(tmp_path: Path) -> None:
    reg = Registry(tmp_path / "rules.json")
    rule = {"name": "plant", "pattern": r"^(?P<timestamp>\S+ \S+) (?P<severity>\w+) (?P<message>.*)$",
            "timestamp_formats": ["%Y-%m-%d %H:%M:%S.%f"], "timezone": "+05:45", "examples": [LINES[0]]}
    reg.add(rule)
    assert reg.get("plant").timezone == "+05:45"
    with pytest.raises(RuleError, match="timezone"):
        reg.add({**rule, "name": "plant2", "timezone": "Nowhere/Land"})


def test_the_registry_gives_each_rule_the_stated_zone_as_a_copy() -> None:
    reg = Registry()
    reg.state_zone("+0100")
    own = reg.get("logfmt")
    assert reg.zoned(own).timezone == "+01:00" and own.timezone == "UTC"
    assert all(r.timezone == "+01:00" for r in reg.fallback_rules())


def test_an_offset_west_of_utc_is_a_value_not_an_option(tmp_path: Path) -> None:
    path = tmp_path / "plant.log"
    path.write_text("\n".join(LINES) + "\n", encoding="utf-8")
    assert main(["ingest", str(path), "-w", str(tmp_path / "ws"), "--timezone", "-03:00", "-q"]) == 0
    with Workspace(tmp_path / "ws") as ws:
        first = ws.cursor().execute("SELECT min(timestamp) FILTER (WHERE origin_offset = 1) FROM logs").fetchone()[0]
    assert first == T(2023, 7, 1, 4, 10, 0, 125000)


def test_the_magic_reads_an_offset_west_of_utc_as_a_value() -> None:
    from logpilot_kernel.magics.core import _logpilot_parser

    args = _logpilot_parser().parse_args(["ingest", "logs/", "--timezone", "-03:00"])
    assert args.timezone is not None and args.inputs == ["logs/"]
