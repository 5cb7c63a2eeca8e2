"""A why-question that names a service and a status code the service itself never writes.

Invented estate (JSON lines): service "ledger" fails twice on one day. In the first burst
an upstream ("vault") is unreachable, ledger logs timeouts and the proxy ("edge") answers
504 for /v1/ledger; in the second, stronger burst ledger's own signing key has expired and
the proxy answers 502. "The ledger 504s" must pick the first burst: the 504s live in the
proxy's lines that name ledger, not in ledger's (the blind why set 2 found this). Also
"root cause" is what is asked for, not a keyword, and "504s" is the status 504.
"""

from __future__ import annotations

import datetime as dt
import json
import random

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.why import why
from logpilot_kernel.why.scope import parse_question

START = dt.datetime(2024, 3, 4)
FIRST = (START + dt.timedelta(hours=9), 25)   # vault unreachable -> 504
SECOND = (START + dt.timedelta(hours=17), 35)  # key expired -> 502, more rows


def _line(t: dt.datetime, level: str, svc: str, msg: str, **kw: object) -> str:
    return json.dumps({"ts": t.isoformat(timespec="milliseconds") + "Z", "level": level,
                       "service": svc, "msg": msg, **kw}) + "\n"


def _inside(t: dt.datetime, burst: tuple) -> bool:
    return burst[0] <= t < burst[0] + dt.timedelta(minutes=burst[1])


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    from logpilot_kernel.ingest.bulk import ingest

    root = tmp_path_factory.mktemp("why_proxy")
    rng = random.Random(5)
    lines, t = [], START
    while t < START + dt.timedelta(days=1):
        ms = rng.randint(20, 90)
        if _inside(t, FIRST) and rng.random() < 0.6:
            lines.append(_line(t - dt.timedelta(milliseconds=30), "error", "vault",
                               f"listener unreachable on port {8200 + rng.randint(0, 3)}"))
            lines.append(_line(t, "error", "ledger", "upstream vault timed out"))
            lines.append(_line(t, "warn", "edge", f"POST /v1/ledger 504 {ms}ms"))
        elif _inside(t, SECOND) and rng.random() < 0.9:
            lines.append(_line(t, "error", "ledger", "signing key expired for batch posting"))
            lines.append(_line(t, "error", "ledger", "batch posting rejected"))
            lines.append(_line(t, "error", "edge", f"POST /v1/ledger 502 {ms}ms"))
        else:
            lines.append(_line(t, "info", "ledger", "batch posted"))
            lines.append(_line(t, "info", "edge", f"POST /v1/ledger 200 {ms}ms"))
            if rng.random() < 0.3:
                lines.append(_line(t, "info", "vault", "lease renewed"))
        t += dt.timedelta(seconds=rng.randint(5, 15))
    (root / "in").mkdir()
    (root / "in" / "estate.jsonl").write_text("".join(lines))
    w = Workspace(root / "ws")
    ingest(w, [str(root / "in")], progress=False, parquet=False)
    yield w
    w.close()


def test_status_codes_in_the_plural_and_root_cause_is_not_a_keyword() -> None:
    scope = parse_question("root cause of the ledger 504s on 4 March?", ["ledger", "edge"], None,
                           (START, START + dt.timedelta(days=1)))
    assert scope.numbers == ["504"]
    assert "root" not in scope.keywords and "cause" not in scope.keywords


def test_the_status_of_the_proxy_lines_naming_the_service_picks_the_window(ws) -> None:
    ans = why(ws, "root cause of the ledger 504s on 4 March 2024?")
    assert ans.window is not None
    assert abs((ans.window.start - FIRST[0]).total_seconds()) < 5 * 60, ans.window
    assert "vault" in ans.root_causes[0]["template"] or "unreachable" in ans.root_causes[0]["template"]
    strong = why(ws, "what broke ledger on 4 March 2024?")  # no status: the stronger burst
    assert abs((strong.window.start - SECOND[0]).total_seconds()) < 5 * 60, strong.window
