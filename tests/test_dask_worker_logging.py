"""Dask workers of the local cluster load flows.dask_worker_logging, which turns the heartbeat
race at shutdown into a one-line warning and leaves every other record as it was."""

from __future__ import annotations

import io
import logging

from distributed import Client, LocalCluster

from flows.config import RunConfig
from flows.dask_worker_logging import HeartbeatFailureAsWarning, install
from flows.runners import make_task_runner


def logged_exception(logger: logging.Logger, message: str, error: Exception) -> str:
    """What `logger.exception(message)` writes while `error` is being handled, as distributed does."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
    logger.addHandler(handler)
    try:
        try:
            raise error
        except type(error):
            logger.exception(message)
    finally:
        logger.removeHandler(handler)
    return stream.getvalue()


def test_heartbeat_failure_becomes_a_one_line_warning():
    logger = logging.getLogger("test.dask.worker.heartbeat")
    install(logger.name)
    install(logger.name)  # a second preload adds no second filter
    assert sum(isinstance(f, HeartbeatFailureAsWarning) for f in logger.filters) == 1

    text = logged_exception(logger, "Failed to communicate with scheduler during heartbeat.", OSError("Stream is closed"))
    assert text == ("WARNING test.dask.worker.heartbeat Failed to communicate with scheduler during heartbeat: "
                    "OSError: Stream is closed\n")


def test_other_errors_keep_their_level_and_traceback():
    logger = logging.getLogger("test.dask.worker.other")
    install(logger.name)

    text = logged_exception(logger, "Compute Failed", ValueError("bad batch"))
    assert text.startswith("ERROR test.dask.worker.other Compute Failed\nTraceback")
    assert "ValueError: bad batch" in text


def _worker_filters() -> list[str]:
    return [type(f).__name__ for f in logging.getLogger("distributed.worker").filters]


def test_local_cluster_workers_load_the_filter():
    runner = make_task_runner(RunConfig(task_runner="dask", dask_workers=1))
    with LocalCluster(**runner.cluster_kwargs) as cluster, Client(cluster) as client:
        filters = client.run(_worker_filters)
    assert list(filters.values()) == [["HeartbeatFailureAsWarning"]]
