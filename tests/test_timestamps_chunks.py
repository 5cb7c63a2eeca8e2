"""Date-less times across parse chunks: a file of ``HH:MM:SS`` lines larger than one chunk
is dated from its mtime as a whole, so the days run on across chunk boundaries and
midnights (each chunk alone would end on the mtime's day)."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from logpilot_kernel import Workspace
from logpilot_kernel.ingest.bulk import ingest

T = dt.datetime


def _times(start: T, steps_min: list[int]) -> list[T]:
    out, t = [], start
    for s in steps_min:
        t = t + dt.timedelta(minutes=s)
        out.append(t)
    return out


def _write(path: Path, times: list[T], mtime: T) -> None:
    lines = [f"{t:%H:%M:%S}.{(i * 7) % 1000:03d} [info] worker {i % 5} finished job {1000 + i}"
             for i, t in enumerate(times)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stamp = mtime.replace(tzinfo=dt.timezone.utc).timestamp()
    os.utime(path, (stamp, stamp))


def _stored(ws: Workspace) -> list[T]:
    df = ws.sql("SELECT origin_offset, timestamp FROM logs ORDER BY origin_offset")
    return [ts.to_pydatetime() for ts in df["timestamp"]]


@pytest.mark.parametrize("chunk", [5, 7, 64])
def test_time_only_lines_keep_their_days_across_chunks_and_midnights(tmp_path: Path, chunk: int) -> None:
    # 40 records over four days: 22:10 on Mar 3 to the evening of Mar 6 (three midnights,
    # inside chunks and at chunk boundaries for the small chunk sizes)
    steps = [0] + [37] * 10 + [150] * 10 + [121] * 19
    times = _times(T(2024, 3, 3, 22, 10), steps)
    times = [t.replace(microsecond=((i * 7) % 1000) * 1000) for i, t in enumerate(times)]
    assert times[-1].date() == dt.date(2024, 3, 6) and times[0].date() == dt.date(2024, 3, 3)
    log = tmp_path / "worker.log"
    _write(log, times, mtime=times[-1] + dt.timedelta(minutes=3))
    with Workspace(tmp_path / "ws") as ws:
        rep = ingest(ws, [log], chunk_records=chunk, parquet=False)
        assert rep.rows_loaded == len(times) and rep.quarantined == 0
        got = _stored(ws)
    assert got == times


def test_a_file_written_just_after_midnight_ends_on_the_day_before(tmp_path: Path) -> None:
    """The last record at 23:50 in a file last written at 00:20 UTC is the previous day's,
    whatever the chunking (the same reading as one chunk)."""
    times = _times(T(2024, 3, 4, 20, 0), [0] + [10] * 23)  # 20:00 .. 23:50 on Mar 4
    log = tmp_path / "late.log"
    _write(log, times, mtime=T(2024, 3, 5, 0, 20))
    times = [t.replace(microsecond=((i * 7) % 1000) * 1000) for i, t in enumerate(times)]
    for chunk in (4, 1000):
        with Workspace(tmp_path / f"ws{chunk}") as ws:
            ingest(ws, [log], chunk_records=chunk, parquet=False)
            assert _stored(ws) == times
