"""What the read-only snapshot costs the writer, and how fresh a reader in another process is.

usage: python tests/benchmarks/snapshot_cost.py [--rows 300000,1000000,5000000] [--repeat 3] [--keep DIR]

Per size: rows synthesized inside DuckDB (the dashboard benchmark's generator: no files,
no ingestion), then ``snapshot.take`` timed ``--repeat`` times (median and max seconds,
snapshot bytes vs the live file); then, with the writer process holding the workspace, a
reader process (``logpilot sql``'s path: ``Workspace`` finds the lock, opens the snapshot)
is started and the writer commits 1,000 more rows under ``write_lock``: "reader lag" is the
time from that commit to the reader's first count that includes them (it polls with a new
cursor every 50 ms), i.e. the quiet period + the copy + the reader's reopen.

Prints one JSON object per size.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from dashboard_rerender import SYNTH, TEMPLATES  # noqa: E402 (the one synthetic estate)

READER = """
import sys, time
from logpilot_kernel.workspace import Workspace
ws = Workspace(sys.argv[1])
want = int(sys.argv[2])
print("open", ws.read_only, flush=True)
sys.stdin.readline()  # the writer committed: start the clock
t0 = time.perf_counter()
while ws.scalar("SELECT count(*) FROM logs") < want:
    time.sleep(0.05)
print("lag", time.perf_counter() - t0, flush=True)
ws.close()
"""


def one(root: Path, rows: int, repeat: int) -> dict:
    from logpilot_kernel import snapshot
    from logpilot_kernel.workspace import Workspace

    path = root / f"ws-{rows}"
    ws = Workspace(path)
    try:
        ws.snapshot_now()
        if ws.scalar("SELECT count(*) FROM logs") != rows:
            ws.con.execute("DELETE FROM logs")
            ws.con.execute("DELETE FROM templates")
            ws.con.execute(SYNTH.replace("__ROWS__", str(int(rows))))
            ws.con.execute(TEMPLATES)
            ws.con.execute("CHECKPOINT")
        times = []
        for _ in range(repeat):
            done = snapshot.take(ws.con, ws.path)
            times.append(done["seconds"])
        live = ws.db_path.stat().st_size
        env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
        reader = subprocess.Popen([sys.executable, "-c", READER, str(path), str(rows + 1000)],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                  text=True, env=env)
        opened = reader.stdout.readline().split()  # type: ignore[union-attr]
        with ws.write_lock:
            ws.con.execute("INSERT INTO logs SELECT * REPLACE (message || ' again' AS message) FROM logs LIMIT 1000")
        reader.stdin.write("go\n")  # type: ignore[union-attr]
        reader.stdin.flush()  # type: ignore[union-attr]
        lag = float(reader.stdout.readline().split()[1])  # type: ignore[union-attr]
        reader.wait(timeout=600)
        return {"rows": rows, "copy_median_s": round(statistics.median(times), 3), "copy_max_s": round(max(times), 3),
                "snapshot_mb": round(done["bytes"] / 1e6, 1), "live_mb": round(live / 1e6, 1),
                "reader_opened_snapshot": opened == ["open", "True"], "reader_lag_s": round(lag, 2),
                "cpus": os.cpu_count()}
    finally:
        ws.close()


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", default="300000,1000000,5000000")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--keep", type=Path, help="keep the workspaces in this folder")
    args = ap.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="lp-snapshot-"))
    root.mkdir(parents=True, exist_ok=True)
    for n in (int(x) for x in args.rows.split(",")):
        print(json.dumps(one(root, n, args.repeat)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
