"""One real Dask cluster for the cluster tests: a ``LocalCluster`` of worker processes on
127.0.0.1, waited for with a generous deadline and stopped afterwards (three test modules
had their own copy of these lines)."""

from __future__ import annotations

from typing import Any, Iterator


def local_client(n_workers: int) -> Iterator[Any]:
    """Yield a ``distributed.Client`` on ``n_workers`` single-threaded worker processes;
    ``yield from`` it in a fixture so the cluster closes when the fixture ends."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address=":0")
    c = Client(cluster)
    try:
        c.wait_for_workers(n_workers, timeout=120)
        yield c
    finally:
        c.close()
        cluster.close()
