"""Preload module for regiescan's Dask workers (`dask_setup` is called by distributed).

When a local cluster shuts down, a worker's heartbeat can race the scheduler closing its end;
distributed then logs "Failed to communicate with scheduler during heartbeat." at ERROR with
a traceback, after a run that succeeded (dask/distributed#7105). The worker closes or
reconnects by itself, so a traceback is noise to an operator; the message stays, as a one-line
warning naming the error. Workers of an existing cluster can load it too:
`dask worker --preload flows.dask_worker_logging ...`.
"""

from __future__ import annotations

import logging
from typing import Any

HEARTBEAT_FAILURE = "Failed to communicate with scheduler during heartbeat"


class HeartbeatFailureAsWarning(logging.Filter):
    """Turns distributed's heartbeat-failure record into a warning without its traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.msg, str) and record.msg.startswith(HEARTBEAT_FAILURE) and record.exc_info:
            error = record.exc_info[1]
            record.msg = f"{record.msg.rstrip('.')}: {type(error).__name__}: {error}"
            record.args = None
            record.exc_info = None
            record.exc_text = None
            record.levelno = logging.WARNING
            record.levelname = logging.getLevelName(logging.WARNING)
        return True


def install(logger_name: str = "distributed.worker") -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, HeartbeatFailureAsWarning) for f in logger.filters):
        logger.addFilter(HeartbeatFailureAsWarning())


def dask_setup(worker: Any) -> None:
    install()
