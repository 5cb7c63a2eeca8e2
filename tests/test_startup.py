"""Start-up stays light: what ``logpilot --help`` and ``%load_ext`` import (issue 16).

Why: every command paid for importing every engine to build its parser (``--version`` took
9 s; a small ingest spent most of its time importing chromadb), and the extension's load
delayed the dashboard's first render. Wall time is noisy on a shared machine, so these tests
check the cause instead, in a fresh interpreter each: the modules present in ``sys.modules``
after the command. The figures themselves are in ``tests/benchmarks/startup.py``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

#: Engines no parser, ``--help``, ``--version`` or extension registration may import.
HEAVY = ("chromadb", "scipy", "langchain", "langchain_core", "plotly", "dask", "distributed",
         "pandas", "numpy", "pyarrow", "duckdb", "onnxruntime", "tokenizers", "matplotlib",
         "ipywidgets", "anywidget", "drain3", "sklearn", "torch")
#: Engines ``logpilot sql`` needs none of (DuckDB and pandas it does need).
NOT_FOR_SQL = ("chromadb", "scipy", "langchain", "langchain_core", "plotly", "dask", "distributed",
               "onnxruntime", "tokenizers", "matplotlib", "ipywidgets", "anywidget", "drain3")

_REPORT = "import json, sys; print('\\nMODULES=' + json.dumps(sorted({m.split('.')[0] for m in sys.modules})))"


def _modules_after(code: str, tmp_path: Path) -> tuple[set[str], str]:
    """Run ``code`` in a fresh interpreter; the top-level packages it imported and its output."""
    env = {**os.environ, "LOGPILOT_HOME": str(tmp_path / "home")}
    proc = subprocess.run([sys.executable, "-c", code + "\n" + _REPORT], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    head, _, tail = proc.stdout.rpartition("\nMODULES=")
    return set(json.loads(tail.splitlines()[0])), head  # (jupysql prints at exit)


def _cli(argv: list[str]) -> str:
    return ("from logpilot_kernel.cli import main\n"
            f"try:\n    code = main({argv!r})\nexcept SystemExit as exc:\n    code = exc.code\n"
            "assert code in (0, None), code\n")


@pytest.mark.parametrize("argv", [["--help"], ["--version"], ["sql", "--help"], ["why", "--help"],
                                  ["ingest", "--help"], ["pilot", "--help"], ["worker", "--help"]])
def test_help_and_version_import_no_engine(argv: list[str], tmp_path: Path) -> None:
    loaded, out = _modules_after(_cli(argv), tmp_path)
    assert "logpilot" in out  # the help or version text was printed
    assert sorted(loaded & set(HEAVY)) == []


def test_building_the_whole_parser_imports_no_engine(tmp_path: Path) -> None:
    loaded, out = _modules_after("from logpilot_kernel.cli import build_parser\n"
                                 "p = build_parser()\n"
                                 "print(sorted(p._subparsers._group_actions[0].choices))", tmp_path)
    for command in ("sql", "ask", "why", "pilot", "worker", "ingest", "templates", "report"):
        assert repr(command) in out
    assert sorted(loaded & set(HEAVY)) == []


def test_sql_runs_without_the_engines_it_does_not_use(tmp_path: Path) -> None:
    from logpilot_kernel.workspace import Workspace

    ws = tmp_path / "ws"
    Workspace(ws).close()  # sql reads an existing workspace; it no longer creates one
    code = (_cli(["sql", "SELECT 41 + 1 AS answer", "-w", str(ws), "--format", "json"]))
    loaded, out = _modules_after(code, tmp_path)
    assert json.loads(out)["rows"] == [{"answer": 42}]
    assert {"duckdb", "pandas"} <= loaded  # the check sees what was imported
    assert sorted(loaded & set(NOT_FOR_SQL)) == []


def test_load_ext_registers_every_magic_without_importing_an_engine(tmp_path: Path) -> None:
    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "ip = InteractiveShell.instance()\n"
            "ip.run_line_magic('load_ext', 'logpilot_kernel')\n"
            "m = ip.magics_manager.magics\n"
            "print(sorted(m['line']), sorted(m['cell']), repr(ip.user_ns['pilot']))\n")
    loaded, out = _modules_after(code, tmp_path)
    for magic in ("'logpilot'", "'logsql'", "'logwhy'", "'pilot'", "<LogPilot pilot"):
        assert magic in out
    assert sorted(loaded & set(HEAVY)) == []


def test_the_first_logsql_cell_loads_what_it_needs(tmp_path: Path) -> None:
    """Registration is lazy; the first query still gets its engine, DataFrame and chart kinds."""
    code = ("from IPython.core.interactiveshell import InteractiveShell\n"
            "ip = InteractiveShell.instance()\n"
            "ip.run_line_magic('load_ext', 'logpilot_kernel')\n"
            "df = ip.run_cell_magic('logsql', '--limit 1', 'SELECT 7 AS n')\n"
            "from logpilot_kernel.magics.logsql import ResultFrame\n"
            "print(type(df).__name__, isinstance(df, ResultFrame), df.to_dict('records'))\n")
    _, out = _modules_after(code, tmp_path)
    assert "ResultFrame True [{'n': 7}]" in out


def test_lazy_package_names_resolve_and_unknown_names_fail() -> None:
    import logpilot_kernel
    import logpilot_kernel.query as query
    import logpilot_kernel.why as why_pkg
    from logpilot_kernel import LogPilot, LogRecord, Workspace, load_settings
    from logpilot_kernel.config import LogPilot as ConfigLogPilot
    from logpilot_kernel.query import NotUnderstood, QueryResult, is_sql, run_query
    from logpilot_kernel.query.engine import QueryResult as EngineResult
    from logpilot_kernel.why import WhyAnswer, why
    from logpilot_kernel.why.engine import why as engine_why
    from logpilot_kernel.workspace import Workspace as WsClass

    assert LogPilot is ConfigLogPilot and Workspace is WsClass and QueryResult is EngineResult
    assert why is engine_why and callable(load_settings) and callable(run_query)
    assert is_sql("SELECT 1") and not is_sql("errors by service yesterday")
    assert LogRecord.__name__ == "LogRecord" and WhyAnswer.__name__ == "WhyAnswer"
    assert issubclass(NotUnderstood, Exception)
    for module, names in ((logpilot_kernel, logpilot_kernel.__all__), (query, query.__all__),
                          (why_pkg, why_pkg.__all__)):
        assert set(names) <= set(dir(module))
        for name in names:
            assert getattr(module, name) is not None
        with pytest.raises(AttributeError):
            getattr(module, "no_such_name")


def test_opening_a_workspace_imports_no_pandas(tmp_path: Path) -> None:
    """Issue 18 (the notebooks' opening cell): DuckDB imports pandas on the first parameter
    it binds; opening a workspace and its summary bind none, so neither pays that import."""
    ws = tmp_path / "ws"
    _modules_after(f"from logpilot_kernel import Workspace\nWorkspace({str(ws)!r}).close()", tmp_path)
    loaded, out = _modules_after(f"from logpilot_kernel import Workspace\n"
                                 f"ws = Workspace({str(ws)!r})\nprint('rows', ws.summary()['rows'])",
                                 tmp_path)
    assert "rows 0" in out
    assert "duckdb" in loaded and "pandas" not in loaded


def test_light_charts_cost_no_notebook_validator_and_stay_light(tmp_path: Path) -> None:
    """``use_light_charts()`` no longer imports plotly's renderer registry (it imports
    nbformat and jsonschema: about 2 s, most of the opening cell); a displayed figure is
    still the light bundle, and ``fig.show()`` still uses the ``logpilot`` renderer."""
    code = ("import sys\n"
            "from IPython.core.interactiveshell import InteractiveShell\n"
            "ip = InteractiveShell.instance()\n"
            "from logpilot_kernel.display import use_light_charts\n"
            "use_light_charts()\n"
            "print('after use:', 'nbformat' in sys.modules, 'jsonschema' in sys.modules)\n"
            "import plotly.graph_objects as go\n"
            "shown = []\n"
            "ip.display_pub.publish = lambda data, **kw: shown.append(sorted(data))\n"
            "fig = go.Figure(go.Bar(x=[1, 2], y=[3, 4]))\n"
            "print('format:', ip.display_formatter.format(fig), shown)\n"
            "print('after display:', 'nbformat' in sys.modules)\n"
            "import plotly.io as pio\n"
            "print('default:', pio.renderers.default)\n"
            "fig.show()\n"
            "print('show:', shown[-1])\n")
    _, out = _modules_after(code, tmp_path)
    bundle = "['application/vnd.plotly.v1+json', 'text/html', 'text/plain']"
    assert "after use: False False" in out
    assert f"format: ({{}}, {{}}) [{bundle}]" in out
    assert "after display: False" in out
    assert "default: logpilot" in out
    assert f"show: {bundle}" in out
