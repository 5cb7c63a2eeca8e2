"""Periods default to the data's range (issue 18): no hard-coded year anywhere a user
does not type one. A workspace whose logs are from 2023 must show full figures with the
dashboard's defaults, and its period box suggests the data's own year and month."""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import textwrap

from logpilot_kernel.widgets import Dashboard


def _rows_2023(ws) -> None:
    ws.con.execute(
        "INSERT INTO logs (timestamp, severity, service_name, body, template_id, message, context, "
        "source, origin, origin_offset) "
        "SELECT TIMESTAMP '2023-11-14 08:00' + to_minutes(i), CASE WHEN i % 5 = 0 THEN 'ERROR' "
        "ELSE 'INFO' END, CASE WHEN i % 2 = 0 THEN 'api' ELSE 'db' END, 'step <*> done', "
        "'T' || (i % 3), 'step ' || i || ' done', '{}', 'test', 'a.log', i FROM range(240) t(i)")
    ws.con.execute(  # the templates those rows use, first seen inside the data's range
        "INSERT INTO templates (template_id, template, first_service, first_seen, last_seen, count) "
        "SELECT 'T' || i, 'step <*> done ' || i, 'api', TIMESTAMP '2023-11-14 08:00' + to_minutes(i * 60), "
        "TIMESTAMP '2023-11-14 11:59', 80 FROM range(3) t(i)")


def test_dashboard_default_period_is_the_datas_range(workspace):
    _rows_2023(workspace)
    d = Dashboard(workspace)  # no period: the data's whole range, not a fixed year
    assert d.notice.value == "", d.notice.value
    assert d.kpis["volume"] == 240
    f = d.filters
    assert f.start == dt.datetime(2023, 11, 14, 8, 0) and f.end > dt.datetime(2023, 11, 14, 11, 59)
    for name, fig in d.figures.items():
        points = sum(len(t.x if t.x is not None else t.z or ()) for t in fig.data)
        assert points > 0, name
    assert "2023" in d.period_box.placeholder and "2024" not in d.period_box.placeholder
    assert "2023-11" in d.period_box.placeholder


def test_router_leaves_now_to_the_parser(monkeypatch):
    """``score``/``route`` without ``now`` hand None to the parser (its own convention),
    never a fixed date; a given ``now`` is passed through."""
    from logpilot_kernel.pilot import router
    from logpilot_kernel.query import nl

    seen: list = []
    real = nl.parse

    def recording(question, vocab, now=None):
        seen.append(now)
        return real(question, vocab, now=now)

    monkeypatch.setattr(nl, "parse", recording)
    router.route("errors by service in the last 24 hours", ["api"])
    assert seen and seen[-1] is None
    when = dt.datetime(2023, 11, 14, 12)
    router.route("errors by service in the last 24 hours", ["api"], now=when)
    assert seen[-1] == when


def test_first_logsql_does_not_load_jupysql(tmp_path):
    """Loading jupysql costs seconds (matplotlib and more); the first ``%%logsql`` chart
    must not pay it. A later ``%sql`` cell still sees the workspace as ``logpilot``."""
    code = textwrap.dedent("""
        import sys
        from IPython.core.interactiveshell import InteractiveShell
        ip = InteractiveShell.instance()
        ip.run_line_magic("load_ext", "logpilot_kernel")
        ip.run_cell("%%logsql --plot auto\\nSELECT 1 AS a, 2 AS b").raise_error()
        print("after logsql", "sql.magic" in sys.modules)
        r = ip.run_cell("%%sql logpilot\\nSELECT count(*) AS n FROM logs")
        r.raise_error()
        print("after sql", "sql.magic" in sys.modules, list(r.result.dict()["n"]))
    """)
    import os

    env = {k: v for k, v in os.environ.items() if not k.startswith("LOGPILOT_")}
    env["LOGPILOT_HOME"] = str(tmp_path / "ws")
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert "after logsql False" in out.stdout, out.stdout
    assert "after sql True [0]" in out.stdout, out.stdout
