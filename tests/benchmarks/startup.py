"""Fixed cost of a command and of loading the extension (issue 16, issue 18 "answers in seconds").

usage: python tests/benchmarks/startup.py [--repeat 7] [--before CHECKOUT] [--no-bytecode] [--json]

Median wall time of fresh processes, each command run ``--repeat`` times after one warm-up
run (not counted):

- ``logpilot --help`` and ``logpilot --version`` (targets: under 0.3 s);
- ``logpilot sql "SELECT 1" -w WS`` on a tiny workspace made for the run (target: under 1 s);
- ``python -c "import logpilot_kernel; <load the extension in an InteractiveShell>"``, and,
  measured inside that process, ``import logpilot_kernel`` plus ``%load_ext`` alone (IPython's own
  import and shell are the rest);
- the same plus importing what the first dashboard and ``%%logsql`` cells need and opening
  the workspace: lazy registration moves that cost to the first cell, it must not add to it
  (issue 18's dashboard budget is the sum);
- ``python -c pass``: the interpreter's floor on this machine.

Bytecode: an installed package has its ``.pyc`` files, so by default every child process
gets a fresh ``PYTHONPYCACHEPREFIX`` (the warm-up run fills it; nothing is written into the
checkout); ``--no-bytecode`` sets ``PYTHONDONTWRITEBYTECODE=1`` instead, to see the cost of
compiling the project's sources on every start.

``--before CHECKOUT``: the same commands with ``PYTHONPATH=CHECKOUT`` (a ``git worktree``
of an older commit whose ``logpilot_kernel/`` folder has symlinks ``magics``, ``widgets``,
``ingest`` and ``notebooks`` to the checkout's own folders, so the older package imports as
a whole), printed beside the current figures with the ratio. The figures are ratios and
medians for docs/benchmarks.md; nothing here asserts a time (tests/test_startup.py checks
what each command imports instead).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGETS = {"logpilot --help": 0.3, "logpilot --version": 0.3, 'logpilot sql "SELECT 1"': 1.0}

LOAD_EXT = ("import time\n"
            "from IPython.core.interactiveshell import InteractiveShell\n"
            "ip = InteractiveShell.instance()\n"
            "t0 = time.perf_counter()\n"
            "import logpilot_kernel\n"
            "ip.run_line_magic('load_ext', 'logpilot_kernel')\n"
            "print('INNER_S', time.perf_counter() - t0)\n")

# What the first dashboard cell adds after a lazy load_ext: the imports moved, not removed.
FIRST_DASHBOARD = LOAD_EXT.replace(
    "print('INNER_S'", "import logpilot_kernel.widgets.dashboard, logpilot_kernel.magics.logsql\n"
    "ip.user_ns['pilot'].workspace\nprint('INNER_S'")


_INNER = {LOAD_EXT: "import logpilot_kernel + %load_ext",
          FIRST_DASHBOARD: "%load_ext + dashboard imports + workspace open"}


def _cli() -> list[str]:
    """The console script users run (falls back to the module when it is not installed)."""
    script = Path(sys.executable).with_name("logpilot")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-c", "import sys; from logpilot_kernel.cli import main; sys.exit(main())"]


def _commands(ws: Path) -> dict[str, list[str]]:
    cli = _cli()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "logpilot --help": [*cli, "--help"],
        "logpilot --version": [*cli, "--version"],
        'logpilot sql "SELECT 1"': [*cli, "sql", "SELECT 1", "-w", str(ws)],
        "python -c 'import logpilot_kernel; load_ext'": [sys.executable, "-c", LOAD_EXT],
        "python -c 'load_ext; import the dashboard and %%logsql engines; open the workspace'":
            [sys.executable, "-c", FIRST_DASHBOARD],
    }


def _env(base: dict[str, str], pycache: Path | None, before: Path | None, home: Path) -> dict[str, str]:
    env = {k: v for k, v in base.items() if not k.startswith("LOGPILOT_")}
    env["LOGPILOT_HOME"] = str(home)
    env.pop("PYTHONPYCACHEPREFIX", None)
    if pycache is None:
        env["PYTHONDONTWRITEBYTECODE"] = "1"
    else:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(pycache)
    if before is not None:
        env["PYTHONPATH"] = str(before) + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
    else:
        env.pop("PYTHONPATH", None)
    return env


def _run(argv: list[str], env: dict[str, str], cwd: Path) -> tuple[float, float | None]:
    """Wall seconds of one run, and the in-process load_ext seconds when it prints them."""
    t0 = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, text=True, timeout=600)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.strip()[-800:]}")
    inner = None
    for line in proc.stdout.splitlines():
        if line.startswith("INNER_S "):
            inner = float(line.split()[1])
    return wall, inner


def measure(repeat: int, bytecode: bool, before: Path | None, work: Path) -> dict[str, dict[str, float]]:
    """Median and min wall seconds per command (one warm-up run first, not counted)."""
    tag = "before" if before is not None else "after"
    ws, home = work / f"ws-{tag}", work / f"home-{tag}"
    pycache = work / f"pyc-{tag}" if bytecode else None
    env = _env(dict(os.environ), pycache, before, home)
    subprocess.run([sys.executable, "-c", f"from logpilot_kernel.workspace import Workspace; "
                    f"Workspace({str(ws)!r}).close()"], env=env, cwd=work, check=True)
    out: dict[str, dict[str, float]] = {}
    for name, argv in _commands(ws).items():
        _run(argv, env, work)  # warm-up: fills the bytecode cache and the OS page cache
        walls, inners = [], []
        for _ in range(repeat):
            wall, inner = _run(argv, env, work)
            walls.append(wall)
            if inner is not None:
                inners.append(inner)
        out[name] = {"median_s": round(statistics.median(walls), 3), "min_s": round(min(walls), 3)}
        if inners:
            out[f"  of which in-process after the shell ({_INNER[argv[-1]]})"] = {
                "median_s": round(statistics.median(inners), 3), "min_s": round(min(inners), 3)}
    return out


def _table(after: dict[str, dict[str, float]], before: dict[str, dict[str, float]] | None) -> str:
    rows = ["| command | " + ("before median s | " if before else "") + "median s | min s | target s |"
            + (" before / after |" if before else ""),
            "| --- | " + ("---: | " if before else "") + "---: | ---: | ---: |" + (" ---: |" if before else "")]
    for name, fig in after.items():
        target = TARGETS.get(name)
        cells = [name.strip()]
        if before:
            cells.append(f"{before[name]['median_s']:.3f}" if name in before else "")
        cells += [f"{fig['median_s']:.3f}", f"{fig['min_s']:.3f}", f"< {target}" if target else ""]
        if before:
            b = before.get(name, {}).get("median_s")
            cells.append(f"{b / fig['median_s']:.1f}x" if b and fig["median_s"] else "")
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=7, help="timed runs per command (median of them; >= 5)")
    ap.add_argument("--before", type=Path, default=None, help="an older checkout to compare with")
    ap.add_argument("--no-bytecode", action="store_true", help="PYTHONDONTWRITEBYTECODE=1 in the children")
    ap.add_argument("--json", action="store_true", help="print JSON instead of a Markdown table")
    args = ap.parse_args()
    if args.repeat < 5:
        ap.error("--repeat must be >= 5 (a median of fewer runs is noise on a shared machine)")
    with tempfile.TemporaryDirectory(prefix="logpilot-startup-") as tmp:
        work = Path(tmp)
        before = measure(args.repeat, not args.no_bytecode, args.before.resolve(), work) if args.before else None
        after = measure(args.repeat, not args.no_bytecode, None, work)
    load = os.getloadavg()
    meta = {"repeat": args.repeat, "bytecode": not args.no_bytecode, "cores": os.cpu_count(),
            "loadavg_1m_at_end": round(load[0], 2)}
    if args.json:
        print(json.dumps({"meta": meta, "after": after, "before": before}, indent=2))
        return
    print(f"median of {args.repeat} fresh processes after one warm-up; bytecode cached: {meta['bytecode']}; "
          f"{meta['cores']} cores, load average {meta['loadavg_1m_at_end']} at the end\n")
    print(_table(after, before))


if __name__ == "__main__":
    main()
