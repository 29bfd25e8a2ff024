"""Run flows against a Prefect API and shut a temporary one down cleanly.

Without PREFECT_API_URL, Prefect 3 starts a temporary server and stops it from an atexit
hook while its log and event workers may still be sending; the server then logs
CancelledError tracebacks. Here the server is started explicitly, the workers are drained
first and the server is stopped after, so a clean run ends cleanly. Real errors still
surface: nothing is filtered.
"""

from __future__ import annotations

import inspect
import os
from contextlib import contextmanager
from typing import Iterator

STARTUP_TIMEOUT_SECONDS = 180

# Telemetry would try (and fail, offline) to reach Prefect's servers and log an ERROR.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


@contextmanager
def prefect_api() -> Iterator[str]:
    """Yield the API URL in use: the configured one, or a temporary server's."""
    import prefect.settings
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.server.api.server import SubprocessASGIServer
    from prefect.utilities.asyncutils import run_coro_as_sync

    configured = prefect.settings.PREFECT_API_URL.value()
    if configured:
        yield configured
        return
    server = SubprocessASGIServer()  # the instance Prefect's own clients would reuse
    # A fresh PREFECT_HOME migrates its database first, which on a busy 2-core machine can
    # take longer than Prefect's default start-up timeout.
    server.start(timeout=max(STARTUP_TIMEOUT_SECONDS, prefect.settings.PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))

    async def drain() -> None:
        for result in (APILogWorker.drain_all(), EventsWorker.drain_all()):
            if inspect.isawaitable(result):
                await result

    try:
        with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
            try:
                yield server.api_url
            finally:
                run_coro_as_sync(drain())
    finally:
        server.stop()
