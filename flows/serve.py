"""`regiescan serve`: run the flow on a schedule, served against a real Prefect server.

Prefect's temporary server (what `regiescan run` starts when PREFECT_API_URL is unset) has
no scheduler, so scheduled runs need a long-running server: `make server` starts one on
127.0.0.1:4200. `regiescan serve` then registers the flow as a deployment with

* the run configuration (defaults <- --config YAML <- options) as its default parameters,
* one schedule: --cron (5-field cron expression) or --interval (seconds),
* a deployment concurrency limit of 1 with collision strategy CANCEL_NEW: a run that comes
  due while another is still running is cancelled instead of queued, so runs never overlap,

and keeps polling for due runs, executing each in a subprocess, until it is stopped
(Ctrl-C or SIGTERM), which pauses the schedule.

It never falls back to the temporary server: without a reachable PREFECT_API_URL it explains
what to start and exits 2.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Optional

import typer
from rich.markup import escape

from flows.config import ConfigError, RunConfig, load_config
from flows.console import console, fail

if TYPE_CHECKING:
    from prefect.client.schemas.objects import ConcurrencyLimitConfig
    from prefect.schedules import Schedule

DEFAULT_DEPLOYMENT = "regiescan-scheduled"
DEFAULT_API_URL = "http://127.0.0.1:4200/api"
DEFAULT_TIMEZONE = "Europe/Amsterdam"
HEALTH_TIMEOUT_SECONDS = 5.0


class ServeError(ValueError):
    """A problem the user has to fix before serving; the CLI exits 2 with this message."""


def no_server_message(url: str | None) -> str:
    reason = ("PREFECT_API_URL is not set" if not url
              else f"no Prefect server answers at {url} (checked {health_url(url)})")
    return (
        f"{reason}.\n"
        "Scheduled runs need a running Prefect server: the temporary server that "
        "`regiescan run` starts on its own cannot schedule.\n"
        "Start one in another terminal:\n\n"
        "    make server\n\n"
        "and point regiescan at it in this terminal:\n\n"
        f"    export PREFECT_API_URL={DEFAULT_API_URL}\n\n"
        "then run `regiescan serve` again."
    )


def health_url(api_url: str) -> str:
    return f"{api_url.rstrip('/')}/health"


def api_reachable(url: str, timeout: float = HEALTH_TIMEOUT_SECONDS) -> bool:
    """True when `<url>/health` answers 200 with `true` (Prefect's health check)."""
    import httpx

    try:
        response = httpx.get(health_url(url), timeout=timeout)
        return response.status_code == 200 and response.json() is True
    except (httpx.HTTPError, ValueError):
        return False


def configured_api_url() -> str | None:
    """PREFECT_API_URL from the environment or the active Prefect profile."""
    import prefect.settings

    return prefect.settings.PREFECT_API_URL.value() or None


def require_api() -> str:
    """The configured API URL if a server answers there; ServeError otherwise."""
    url = configured_api_url()
    if not url or not api_reachable(url):
        raise ServeError(no_server_message(url))
    return url


def build_schedule(cron: str | None, interval: float | None, timezone: str | None = DEFAULT_TIMEZONE) -> "Schedule":
    """Exactly one of a cron expression or an interval in seconds, validated as Prefect will."""
    from prefect.client.schemas.schedules import CronSchedule, IntervalSchedule
    from prefect.schedules import Cron, Interval
    from pydantic import ValidationError

    if (cron is None) == (interval is None):
        raise ServeError(
            "give exactly one schedule: --cron \"<minute> <hour> <day-of-month> <month> <day-of-week>\" "
            "(e.g. --cron \"0 6 * * 1\": Mondays at 06:00) or --interval <seconds>"
        )
    try:
        if cron is not None:
            CronSchedule(cron=cron, timezone=timezone)
            return Cron(cron, timezone=timezone)
        assert interval is not None
        if not math.isfinite(interval) or interval <= 0:
            raise ServeError(f"--interval must be a positive number of seconds, got {interval:g}")
        every = dt.timedelta(seconds=interval)
        IntervalSchedule(interval=every, timezone=timezone)
        return Interval(every, timezone=timezone)
    except ValidationError as exc:
        problems = "; ".join(str(err["msg"]).removeprefix("Value error, ") for err in exc.errors())
        if cron is not None and "cron" in problems.lower():
            raise ServeError(
                f"invalid --cron expression {cron!r}: {problems}. A cron expression has five fields, "
                "minute hour day-of-month month day-of-week, e.g. \"0 6 * * 1\" (Mondays at 06:00)"
            ) from exc
        raise ServeError(f"invalid schedule: {problems}") from exc


def describe_schedule(schedule: "Schedule") -> str:
    tz = schedule.timezone or "UTC"
    if schedule.cron is not None:
        return f"cron {schedule.cron!r} ({tz})"
    assert schedule.interval is not None
    return f"every {schedule.interval.total_seconds():g} s"


def concurrency_limit(limit: int = 1) -> "ConcurrencyLimitConfig":
    """At most `limit` runs of the deployment at once; a run due beyond that is cancelled."""
    from prefect.client.schemas.objects import ConcurrencyLimitConfig, ConcurrencyLimitStrategy

    if limit < 1:
        raise ServeError(f"the concurrency limit must be at least 1, got {limit}")
    return ConcurrencyLimitConfig(limit=limit, collision_strategy=ConcurrencyLimitStrategy.CANCEL_NEW)


def deployment_parameters(config: RunConfig) -> dict[str, Any]:
    """The flow's default parameters: the config as JSON, with absolute paths.

    Prefect stores deployment parameters as JSON and validates each run's parameters back
    into a RunConfig (the flow is type-annotated); absolute paths keep the runs independent
    of the directory a run process happens to start in.
    """
    def absolute(path: Path | None) -> Path | None:
        return None if path is None else path.expanduser().resolve()

    resolved = config.model_copy(update={
        "corpus": absolute(config.corpus),
        "out": absolute(config.out),
        "cache_dir": absolute(config.cache_dir),
        "ori": config.ori.model_copy(update={"cache_dir": absolute(config.ori.cache_dir)}),
    })
    return {"config": resolved.model_dump(mode="json")}


def serve_flow(
    config: RunConfig,
    cron: str | None = None,
    interval: float | None = None,
    name: str = DEFAULT_DEPLOYMENT,
    limit: int = 1,
    timezone: str | None = DEFAULT_TIMEZONE,
) -> None:
    """Serve regiescan_flow as deployment `regiescan/<name>` until stopped.

    Raises ServeError (before anything is registered) for a bad schedule or limit and when
    no Prefect server is reachable at PREFECT_API_URL.
    """
    schedule = build_schedule(cron, interval, timezone)
    limit_config = concurrency_limit(limit)
    parameters = deployment_parameters(config)
    api_url = require_api()  # checked before any Prefect client call could start a temporary server

    from prefect import serve as prefect_serve
    from prefect.types.entrypoint import EntrypointType

    from flows.pipeline import regiescan_flow

    try:
        deployment = regiescan_flow.to_deployment(
            name=name,
            schedule=schedule,
            paused=False,  # re-activate a schedule paused when an earlier `serve` stopped
            concurrency_limit=limit_config,
            parameters=parameters,
            description="regiescan on a schedule (regiescan serve)",
            tags=["regiescan", "scheduled"],
            # `flows.pipeline.regiescan_flow`, not a path relative to the current directory.
            entrypoint_type=EntrypointType.MODULE_PATH,
        )
    except ValueError as exc:  # e.g. a deployment name with characters Prefect does not allow
        raise ServeError(f"cannot create deployment {name!r}: {exc}") from exc
    # Set after construction so an update clears any work pool a deployment of this name
    # had: served runs execute here (as Runner.add_flow does).
    deployment.work_pool_name = None
    deployment.work_queue_name = None

    config_json = parameters["config"]
    console.print(
        f"Serving [bold]{escape(regiescan_flow.name)}/{escape(name)}[/] on {escape(api_url)}: "
        f"{escape(describe_schedule(schedule))}, at most {limit} run(s) at a time "
        "(a run due while one is running is cancelled).\n"
        f"Corpus: {escape(config_json['corpus'])}  Outputs: {escape(config_json['out'])}\n"
        "Stop with Ctrl-C (the schedule is paused until you serve again).",
        soft_wrap=True,
    )
    # Served as a deployment, not with `regiescan_flow.serve()`: that path pickles the flow
    # function by value into each run's process, where the string annotations of
    # flows/pipeline.py (`from __future__ import annotations`) no longer resolve and
    # parameter validation fails. Here each run is `python -m prefect.engine`, which imports
    # flows.pipeline by name like any worker would.
    prefect_serve(deployment, pause_on_shutdown=True)


def serve(
    cron: Optional[str] = typer.Option(None, "--cron", help='Cron schedule, e.g. "0 6 * * 1" (Mondays 06:00).'),
    interval: Optional[float] = typer.Option(None, "--interval", help="Run every this many seconds (instead of --cron)."),
    timezone: str = typer.Option(DEFAULT_TIMEZONE, "--timezone", help="IANA time zone the --cron times are in."),
    corpus: Optional[Path] = typer.Option(None, help="Folder of council documents (default: the bundled corpora/sample)."),
    out: Optional[Path] = typer.Option(None, help="Where run folders are written (default: outputs/)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file with settings (see README)."),
    source: Optional[str] = typer.Option(None, help="Where documents come from: folder (default) or ori."),
    municipality: list[str] = typer.Option([], "--municipality", "-m", help="With --source ori: a municipality (repeatable)."),
    query: Optional[str] = typer.Option(None, help="With --source ori: only documents matching this search."),
    name: str = typer.Option(DEFAULT_DEPLOYMENT, "--name", help="Deployment name (flow 'regiescan')."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's DEBUG logs."),
) -> None:
    """Run the pipeline on a schedule (--cron or --interval), never two runs at once.

    Needs a running Prefect server (`make server`) and PREFECT_API_URL pointing at it.
    """
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "DEBUG" if verbose else "INFO")
    ori = {"municipalities": municipality or None, "query": query}
    try:
        settings = load_config(config, {"corpus": corpus, "out": out, "source": source, "ori": ori})
        build_schedule(cron, interval, timezone)  # schedule errors first: they need no server
    except (ConfigError, ServeError) as exc:
        fail(str(exc))
    from flows.cli import check_source  # lazily: flows.cli imports this module

    check_source(settings)
    try:
        serve_flow(settings, cron=cron, interval=interval, name=name, timezone=timezone)
    except ServeError as exc:
        fail(str(exc))

