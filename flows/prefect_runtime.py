"""Run flows against a Prefect API and shut a temporary one down cleanly.

Without PREFECT_API_URL, Prefect 3 starts a temporary server and stops it from an atexit
hook while its log and event workers may still be sending; the server then logs
CancelledError tracebacks. Here the server is started explicitly, the workers are drained
first and the server is stopped after, so a clean run ends cleanly. Real errors still
surface: nothing is filtered.

The temporary server is the very command Prefect's own SubprocessASGIServer runs (uvicorn
on Prefect's app factory), launched without importing Prefect's server code in this process
(4-5 s on this machine) and as early as possible, so that its start-up overlaps the rest of
regiescan's imports instead of adding to them.
"""

from __future__ import annotations

import inspect
import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from typing import Iterator

STARTUP_TIMEOUT_SECONDS = 180
PORT_IN_USE_EXIT_CODE = 3  # uvicorn's exit code when it cannot bind

# Telemetry would try (and fail, offline) to reach Prefect's servers and log an ERROR.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")


def configured_api_url() -> str | None:
    import prefect.settings

    return prefect.settings.PREFECT_API_URL.value() or None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class TemporaryServer:
    """A Prefect API server on 127.0.0.1 for this process only; `launch` returns at once."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = self._launch()

    def _launch(self) -> subprocess.Popen[bytes]:
        import prefect
        from prefect.settings import get_current_settings

        env = {**os.environ, "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
               **get_current_settings().to_environment_variables(exclude_unset=True)}
        return subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "--app-dir", str(prefect.__module_path__.parent), "--factory",
             "prefect.server.api.server:create_app", "--host", "127.0.0.1", "--port", str(self.port),
             "--log-level", "error", "--lifespan", "on"],
            env=env,
        )

    @property
    def api_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/api"

    def wait_ready(self, timeout: float = STARTUP_TIMEOUT_SECONDS) -> None:
        """Block until the server answers its health check (a fresh PREFECT_HOME first
        migrates its database, which on a busy 2-core machine can take a while)."""
        import httpx

        deadline = time.monotonic() + timeout
        with httpx.Client() as client:
            while time.monotonic() < deadline:
                code = self.process.poll()
                if code == PORT_IN_USE_EXIT_CODE:  # another process took the port meanwhile
                    self.port = _free_port()
                    self.process = self._launch()
                elif code is not None:
                    raise RuntimeError(f"Prefect's temporary server exited with code {code} before it was ready")
                try:
                    if client.get(f"{self.api_url}/health", timeout=5).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        raise RuntimeError(f"Prefect's temporary server did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def launch_server_if_needed() -> TemporaryServer | None:
    """Start a temporary server now, unless PREFECT_API_URL names one (pass it to prefect_api)."""
    return None if configured_api_url() else TemporaryServer()


@contextmanager
def prefect_api(server: TemporaryServer | None = None) -> Iterator[str]:
    """Yield the API URL in use: the configured one, or a temporary server's (the one given,
    already launched, or a new one); a temporary server is stopped on the way out."""
    configured = configured_api_url()
    if configured:
        if server is not None:
            server.stop()
        yield configured
        return
    import prefect.settings
    from prefect.events.worker import EventsWorker
    from prefect.logging.handlers import APILogWorker
    from prefect.utilities.asyncutils import run_coro_as_sync

    server = server or TemporaryServer()

    async def drain() -> None:
        for result in (APILogWorker.drain_all(), EventsWorker.drain_all()):
            if inspect.isawaitable(result):
                await result

    try:
        server.wait_ready(max(STARTUP_TIMEOUT_SECONDS, prefect.settings.PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS.value()))
        with prefect.settings.temporary_settings(updates={prefect.settings.PREFECT_API_URL: server.api_url}):
            try:
                yield server.api_url
            finally:
                run_coro_as_sync(drain())
    finally:
        server.stop()
