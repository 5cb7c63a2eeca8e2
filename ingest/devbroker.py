"""A real Kafka-protocol broker on 127.0.0.1 for development, tests and benchmarks.

Debian has no Kafka and no JVM download is possible offline, so the dev extra ships the
``noida-db`` wheel, whose binary speaks the Kafka protocol, keeps topics and committed
offsets across restarts and answers offsets-by-time. One class starts it on a free
loopback port (or a given one, to restart the same broker), waits until it answers, makes
topics with the admin client, and stops it by PID: the stream tests and the stream
benchmark share it instead of each carrying a copy.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from pathlib import Path
from typing import Any, Callable

from ..errors import MissingDependencyError


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def until(pred: Callable[[], Any], timeout: float, what: str, every: float = 0.05) -> Any:
    """Poll ``pred`` until it returns something truthy; TimeoutError naming ``what`` otherwise."""
    end = time.monotonic() + timeout
    while True:
        got = pred()
        if got:
            return got
        if time.monotonic() > end:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(every)


def _binary() -> Path:
    try:
        import noida_db
    except ImportError as exc:
        raise MissingDependencyError("noida-db", "dev", "A local Kafka broker") from exc
    return Path(noida_db.__file__).parent / "noida-db"


class LoopbackBroker:
    """A noida-db broker process bound to 127.0.0.1, data in ``data_dir``, stopped by PID."""

    def __init__(self, data_dir: Path, port: int | None = None) -> None:
        self.binary = _binary()
        self.data_dir = Path(data_dir)
        self.port = port or free_port()
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.data_dir.parent / f"broker-{self.port}.log"

    def start(self, timeout: float = 30) -> "LoopbackBroker":
        """Start (or restart on the same port and data) and wait until it answers."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [str(self.binary), "start", "--only", "kafka", "--kafka-port", str(self.port),
                 "--host", "127.0.0.1", "--data-dir", str(self.data_dir)],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        until(self._ready, timeout, f"the broker on {self.bootstrap}", every=0.2)
        return self

    def _ready(self) -> bool:
        from kafka import KafkaAdminClient

        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"the broker exited at start; see {self.log_path}")
        try:
            admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=3000)
        except Exception:  # noqa: BLE001 - not listening yet
            return False
        try:
            admin.list_topics()
            return True
        except Exception:  # noqa: BLE001 - up but not serving yet
            return False
        finally:
            admin.close()

    def topic(self, name: str, partitions: int = 1, **configs: str) -> str:
        """Create a topic (brokers here do not auto-create reliably); returns its name."""
        from kafka import KafkaAdminClient
        from kafka.admin import NewTopic

        admin = KafkaAdminClient(bootstrap_servers=self.bootstrap, request_timeout_ms=10000)
        try:
            admin.create_topics([NewTopic(name, partitions, 1, topic_configs=configs or None)])
        finally:
            admin.close()
        return name

    def stop(self, sig: int = signal.SIGTERM) -> None:
        """Stop the process (SIGTERM by default, then SIGKILL if it hangs)."""
        proc, self.proc = self.proc, None
        if proc is None or proc.poll() is not None:
            return
        proc.send_signal(sig)
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)
