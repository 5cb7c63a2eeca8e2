"""Mining throughput: our bulk miner vs the previous miner and plain Drain3 (with the shared baseline's masks).

usage: python tests/benchmarks/mining_speed.py [--lines 2000000] [--baseline-lines 100000]
       [--distinct-words 0] [--seed 7] [--previous REV]

Generates synthetic mixed-system messages (HDFS/Hadoop/ssh/kernel-like shapes whose
variables are numbers, IPs, block ids, hex, paths, durations), then times
``TemplateMiner.mine`` end to end (mask + dedup + Drain + join-back + params) and
plain Drain3 on a prefix of the same messages, in the same process.  The baseline runs
on fewer lines because it is ~50x slower; lines/s is what we compare.
``--distinct-words N`` mixes in N random identifier-like words (not masked) to show
how throughput falls as masked messages stop repeating.  The previous miner (the code of
git revision ``--previous``, loaded from git by ``mining_accuracy.previous_miner_module``)
mines the same lines in the same process, so the ratio is a same-run figure.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from typing import Any

SHAPES = [
    "Receiving block blk_{blk} src: /{ip}:{port} dest: /{ip}:50010",
    "PacketResponder {small} for block blk_{blk} terminating",
    "Received block blk_{blk} of size {num} from /{ip}",
    "BLOCK* NameSystem.addStoredBlock: blockMap updated: {ip}:50010 is added to blk_{blk} size {num}",
    "Verification succeeded for blk_{blk}",
    "Deleting block blk_{blk} file /mnt/hadoop/dfs/data/current/subdir{small}/blk_{blk}",
    "Progress of TaskAttempt attempt_{ts}_0020_m_{task}_0 is : {frac}",
    "Task succeeded with attempt attempt_{ts}_0020_m_{task}_0",
    "Assigned container container_{ts}_0020_01_{task} to attempt_{ts}_0020_m_{task}_0",
    "Accepted socket connection from /{ip}:{port}",
    "Closed socket connection for client /{ip}:{port} which had sessionid 0x{hex}",
    "Expiring session 0x{hex}, timeout of {num}ms exceeded",
    "Failed password for invalid user admin from {ip} port {port} ssh2",
    "session opened for user root by (uid={small})",
    "authentication failure; logname= uid={small} euid={small} tty=NODEVssh ruser= rhost={ip}",
    "Out of memory: Killed process {num} (java) total-vm:{num}kB, anon-rss:{num}kB",
    "GET /api/v1/items/{num} HTTP/1.1 200 {num} {frac}ms",
    "Reading broadcast variable {small} took {num} ms",
    "Finished task {frac} in stage {frac} (TID {num}). {num} bytes result sent to driver",
    "Connection to {ip} timed out after {num} ms, retrying ({small}/5)",
]


def generate(n: int, seed: int, distinct_words: int) -> list[str]:
    rnd = random.Random(seed)
    words = [f"svc{rnd.getrandbits(24):x}z" for _ in range(distinct_words)]
    out = []
    for _ in range(n):
        shape = SHAPES[int(rnd.paretovariate(1.2)) % len(SHAPES)]
        msg = shape.format(
            blk=rnd.randint(-2**62, 2**62), ip=f"10.{rnd.randint(0, 255)}.{rnd.randint(0, 255)}.{rnd.randint(1, 254)}",
            port=rnd.randint(1024, 65535), small=rnd.randint(0, 9), num=rnd.randint(0, 10**7),
            ts=rnd.randint(10**12, 2 * 10**12), task=f"{rnd.randint(0, 999):06d}",
            frac=f"{rnd.random() * 100:.1f}", hex=f"{rnd.getrandbits(56):x}")
        if words:
            msg += " via " + rnd.choice(words)
        out.append(msg)
    return out


def drain3_baseline(lines: list[str]) -> float:
    """Plain Drain3 with the shared baseline's generic masks; returns seconds."""
    from drain3 import TemplateMiner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from mining_accuracy import BASELINE_MASKS

    c = TemplateMinerConfig()
    c.profiling_enabled = False
    c.masking_instructions = [MaskingInstruction(p, m) for p, m in BASELINE_MASKS]
    tm = TemplateMiner(config=c)
    t = time.perf_counter()
    for line in lines:
        tm.add_log_message(line)
    return time.perf_counter() - t


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lines", type=int, default=2_000_000)
    ap.add_argument("--baseline-lines", type=int, default=100_000)
    ap.add_argument("--distinct-words", type=int, default=0)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--previous", default=None, help="git revision of the previous miner ('' to skip)")
    ap.add_argument("--repeat", type=int, default=2, help="runs of each miner, interleaved; the best counts")
    a = ap.parse_args(argv)
    sys.path.insert(0, str(__import__("pathlib").Path(__file__).parent))
    from mining_accuracy import PREVIOUS_REV, previous_miner_module

    import duckdb
    import pyarrow as pa

    from logpilot_kernel.ingest.mining import TemplateMiner

    t = time.perf_counter()
    lines = generate(a.lines, a.seed, a.distinct_words)
    arr = pa.array(lines, pa.large_string())
    print(f"generated {len(lines)} lines in {time.perf_counter() - t:.1f}s", flush=True)

    rev = PREVIOUS_REV if a.previous is None else a.previous
    prev_mod = previous_miner_module(rev) if rev else None

    def timed(make: Any) -> tuple[float, float, Any]:
        miner = make()
        t, c = time.perf_counter(), time.process_time()
        res = miner.mine(arr, duckdb.connect())
        assert len(res.template_id) == len(lines)
        return time.perf_counter() - t, time.process_time() - c, miner

    # interleaved, best of --repeat: the machine is shared, so one run of each can mislead;
    # CPU seconds of this process (all DuckDB threads) are steadier than wall time
    ours = before = ours_cpu = before_cpu = float("inf")
    for _ in range(a.repeat):
        dt, cpu, miner = timed(TemplateMiner)
        ours, ours_cpu = min(ours, dt), min(ours_cpu, cpu)
        if prev_mod is not None:
            dt, cpu, prev = timed(prev_mod.TemplateMiner)
            before, before_cpu = min(before, dt), min(before_cpu, cpu)
    print(f"ours:   {len(lines)} lines in {ours:.2f}s = {len(lines) / ours:,.0f} lines/s, "
          f"{len(miner.templates())} templates", flush=True)
    if prev_mod is not None:
        print(f"previous ({rev}): {len(lines)} lines in {before:.2f}s = {len(lines) / before:,.0f} lines/s, "
              f"{len(prev.templates())} templates; ours / previous = {before / ours:.2f}x "
              f"(CPU seconds {ours_cpu:.2f} vs {before_cpu:.2f}: {before_cpu / ours_cpu:.2f}x)", flush=True)

    base_n = min(a.baseline_lines, len(lines))
    base = drain3_baseline(lines[:base_n])
    print(f"drain3: {base_n} lines in {base:.2f}s = {base_n / base:,.0f} lines/s")
    print(f"speed-up: {(len(lines) / ours) / (base_n / base):.1f}x")


if __name__ == "__main__":
    main()
