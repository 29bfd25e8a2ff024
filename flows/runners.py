"""Which Prefect task runner executes the analyse/classify tasks."""

from __future__ import annotations

import os
from collections import deque
from typing import Any, Callable, Iterable, Iterator, TypeVar

from prefect.task_runners import ThreadPoolTaskRunner

from flows.config import RunConfig

Batch = TypeVar("Batch")


def make_task_runner(config: RunConfig) -> Any:
    """Threads in this process by default; Dask for scale-out: a local cluster of
    `dask_workers` processes, or an existing cluster at `dask_address` (e.g. one started by
    dask-jobqueue on SLURM or by dask-kubernetes)."""
    if config.task_runner == "dask":
        # distributed logs every worker start and stop at INFO; workers inherit this setting.
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        from prefect_dask import DaskTaskRunner

        if config.dask_address:
            return DaskTaskRunner(address=config.dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": config.dask_workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None,
                                              "preload": ["flows.dask_worker_logging"]})
    return ThreadPoolTaskRunner(max_workers=config.batches_in_flight)


def in_order(batches: Iterable[Batch], submit: Callable[[Batch], Any], window: int) -> Iterator[Any]:
    """Submit batches with at most `window` in flight and yield their results in order, so a
    corpus streams through the workers without being held in memory."""
    in_flight: deque[Any] = deque()
    for batch in batches:
        in_flight.append(submit(batch))
        if len(in_flight) >= window:
            yield in_flight.popleft().result()
    while in_flight:
        yield in_flight.popleft().result()
