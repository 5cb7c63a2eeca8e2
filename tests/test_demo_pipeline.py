"""The demo estate through the real pipeline, checked against the generator's ground truth.

One small estate is generated and ingested once per session (module-scoped); every check
compares what DuckDB holds with counts the generator wrote while producing the files.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.demo import generate
from logpilot_kernel.ingest.bulk import ingest


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    base = tmp_path_factory.mktemp("demo")
    truth = generate(base / "estate", days=1, seed=3, start=dt.date(2024, 5, 31))
    ws = Workspace(base / "ws")
    report = ingest(ws, [base / "estate" / "logs"])
    yield truth.to_dict(), ws, report
    ws.close()


def test_every_line_is_accounted_for(loaded) -> None:
    truth, ws, report = loaded
    lines = sum(f["lines"] for f in truth["files"])
    records = sum(f["records"] for f in truth["files"])
    assert report.balanced, report.summary()
    assert report.lines_read == lines
    assert report.rows_loaded == records, report.summary()
    assert report.quarantined == 0, report.quarantine_reasons


def test_rows_per_service_severity_day_match_the_ground_truth(loaded) -> None:
    truth, ws, _ = loaded
    expected = Counter()
    for c in truth["counts"]["by_service_severity_day"]:
        expected[(c["service"], c["severity"], c["day"])] += c["records"]
    got = Counter({(s, sev, str(d)): n for s, sev, d, n in ws.cursor().execute(
        "SELECT service_name, severity, CAST(timestamp AS DATE), count(*) FROM logs GROUP BY ALL").fetchall()})
    assert got == expected


def test_firewall_blocks_by_source_ip_match(loaded) -> None:
    truth, ws, _ = loaded
    expected = truth["counts"]["firewall_blocks_by_src_ip"]
    got = dict(ws.cursor().execute(
        "SELECT context->>'SRC', count(*) FROM logs WHERE service_name = 'firewall' "
        "AND message LIKE '%UFW BLOCK%' GROUP BY 1").fetchall())
    assert got == expected


def test_incident_root_cause_templates_are_mined_in_their_windows(loaded) -> None:
    truth, ws, _ = loaded
    cur = ws.cursor()
    for inc in truth["incidents"]:
        start = dt.datetime.fromisoformat(inc["start"].replace("Z", "+00:00")).replace(tzinfo=None)
        end = dt.datetime.fromisoformat(inc["end"].replace("Z", "+00:00")).replace(tzinfo=None)
        example = inc["root_cause"]["message_example"]
        rows = cur.execute(
            "SELECT template_id, min(timestamp), max(timestamp) FROM logs "
            "WHERE service_name = ? AND split_part(message, chr(10), 1) = ? GROUP BY 1",
            [inc["root_cause"]["service"], example]).fetchall()
        assert rows, f"{inc['id']}: root-cause example not found as a message"
        tid = rows[0][0]
        first = cur.execute("SELECT min(timestamp) FROM logs WHERE template_id = ? AND timestamp >= ?",
                            [tid, start - dt.timedelta(minutes=1)]).fetchone()[0]
        assert start - dt.timedelta(minutes=2) <= first <= end, inc["id"]


def test_trace_ids_join_services(loaded) -> None:
    _, ws, _ = loaded
    n = ws.scalar("SELECT count(*) FROM (SELECT trace_id FROM logs WHERE trace_id IS NOT NULL "
                  "GROUP BY 1 HAVING count(DISTINCT service_name) >= 2)")
    assert n > 10
