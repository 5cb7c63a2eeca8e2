"""One ISO-to-UTC helper: an offset is converted (10:00+02:00 is 08:00 UTC) everywhere.

Two copies used to drop the offset (``.replace(tzinfo=None)`` on the parsed time); each
surface that takes a time from a person is checked here, and a source scan keeps new
copies of the conversion from appearing beside :func:`logpilot_kernel.isotime.to_utc`.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest

from logpilot_kernel.errors import ValidationError
from logpilot_kernel.isotime import to_utc

ROOT = Path(__file__).resolve().parent.parent
GIVEN = "2024-06-01T10:00:00+02:00"
UTC8 = dt.datetime(2024, 6, 1, 8, 0)


def test_the_helper_converts_and_refuses_with_the_accepted_form() -> None:
    assert to_utc(GIVEN) == UTC8
    assert to_utc("2024-06-01T08:00:00Z") == UTC8 == to_utc("2024-06-01 08:00") == to_utc(UTC8)
    assert to_utc(dt.datetime(2024, 6, 1, 10, tzinfo=dt.timezone(dt.timedelta(hours=2)))) == UTC8
    assert to_utc(dt.date(2024, 6, 1)) == dt.datetime(2024, 6, 1)
    assert to_utc(None) is None and to_utc("") is None
    with pytest.raises(ValidationError) as info:
        to_utc("notadate", what="--now")
    assert "--now" in str(info.value) and "2024-06-01T10:00:00+02:00" in str(info.value)


def test_every_surface_reads_the_offset_as_utc() -> None:
    from logpilot_kernel.cli_args import iso_time
    from logpilot_kernel.magics.logwhy import _time as logwhy_time
    from logpilot_kernel.magics.pilot_magic import _time as pilot_magic_time
    from logpilot_kernel.pilot import _naive as pilot_naive
    from logpilot_kernel.pilot.agent import _time as agent_time
    from logpilot_kernel.query.timephrase import _naive as phrase_naive
    from logpilot_kernel.schema import _utc as schema_utc
    from logpilot_kernel.why.engine import _naive as why_naive
    from logpilot_kernel.widgets.dashboard_data import parse_period

    seen = {
        "cli --now/--since/--until": iso_time(GIVEN),
        "%%logwhy": logwhy_time(GIVEN, "--since"),
        "%%pilot": pilot_magic_time(GIVEN),
        "pilot.ask(now=)": pilot_naive(GIVEN),
        "pilot agent tools": agent_time(GIVEN),
        "why(since=)": why_naive(GIVEN),
        "golden record": schema_utc(GIVEN),
        "time phrases (now=)": phrase_naive(dt.datetime.fromisoformat(GIVEN)),
        "dashboard period": parse_period(f"{GIVEN}..2024-06-01T12:00:00+02:00")[0],
    }
    assert {k: v for k, v in seen.items() if v != UTC8} == {}


def test_no_other_iso_to_utc_copies_in_the_product() -> None:
    """Only date-only parsing may call ``fromisoformat`` outside the helper."""
    offenders = []
    for folder in ("logpilot_kernel", "ingest", "magics", "widgets"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            if path.name == "isotime.py":
                continue
            for no, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                if re.search(r"datetime\.fromisoformat\(|\.astimezone\(dt\.timezone\.utc\)", line):
                    offenders.append(f"{path.relative_to(ROOT)}:{no}: {line.strip()}")
    assert offenders == []
