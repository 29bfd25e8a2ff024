"""`regiescan serve`: scheduled runs against a real Prefect server.

The integration test starts `prefect server start` and `regiescan serve` as subprocesses (each
in its own process group, so everything they spawn is stopped too), waits for a scheduled run
to complete and checks its outputs. The other tests need no server.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import httpx
import pytest
from typer.testing import CliRunner

from flows.config import RunConfig
from flows.serve import (
    DEFAULT_API_URL, ServeError, api_reachable, build_schedule, concurrency_limit, deployment_parameters,
)

BIN_DIR = Path(sys.executable).parent
REGIESCAN = BIN_DIR / "regiescan"
PREFECT = BIN_DIR / "prefect"
SERVER_START_TIMEOUT = 120
RUN_TIMEOUT = 240

DOCS = {
    "den-bosch/2019-05-01_raadsvoorstel-regionale-samenwerking.txt":
        "Raadsvoorstel regionale samenwerking\n\n"
        "De gemeente voert de regie over de uitvoering van de jeugdzorg. "
        "Wij sturen op resultaat en maken heldere afspraken met de aanbieders.",
    "amersfoort/2020-03-02_raadsinformatiebrief-netwerk.txt":
        "Raadsinformatiebrief netwerk\n\n"
        "Wij werken samen met de andere gemeenten in de regio. "
        "Samen met onze partners bouwen wij aan een sterk netwerk.",
    "hellevoetsluis/2018-02-01_coalitieakkoord.txt":
        "Coalitieakkoord\n\n"
        "Wij blijven een zelfstandige gemeente en kiezen onze eigen koers.",
}


def write_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    for rel, text in DOCS.items():
        path = corpus / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return corpus


def prefect_env(home: Path, **extra: str) -> dict[str, str]:
    """This machine's environment without any PREFECT_* settings, plus a private PREFECT_HOME."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", **extra)
    return env


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def tail(path: Path, n: int = 60) -> str:
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines() if path.exists() else []
    return f"--- last lines of {path.name} ---\n" + "\n".join(lines[-n:])


@contextmanager
def process(cmd: list[str], env: dict[str, str], cwd: Path, log: Path, grace: float) -> Iterator[subprocess.Popen]:
    """Run `cmd` in a new session (its own process group); on exit stop it and its children.

    SIGTERM to the leader first so it can shut down cleanly (the runner pauses its schedule,
    uvicorn closes the database), then SIGKILL whatever is left in the group.
    """
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # the group outlives its leader while a child is alive
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(timeout=30)


def wait_for(what: str, check, timeout: float, *alive: subprocess.Popen, logs: tuple[Path, ...] = (), every: float = 1.0) -> Any:
    """Poll `check()` until it returns something truthy; fail (with the logs) on timeout or a dead process."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = check()
        except httpx.HTTPError:
            value = None
        if value:
            return value
        dead = [p for p in alive if p.poll() is not None]
        if dead or time.monotonic() > deadline:
            reason = f"exited with {dead[0].returncode}" if dead else f"not within {timeout:g} s"
            pytest.fail(f"waiting for {what}: {reason}\n" + "\n".join(tail(log) for log in logs))
        time.sleep(every)


def run_serve(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(REGIESCAN), "serve", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def flow_run_process_alive(pgid: int, flow_run_id: str) -> bool:
    """Whether a process of group `pgid` still runs flow run `flow_run_id` (Linux /proc)."""
    marker = f"PREFECT__FLOW_RUN_ID={flow_run_id}".encode()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[2]) != pgid:  # fields after ')': state ppid pgrp
                continue
            if marker in (stat.parent / "environ").read_bytes().split(b"\0"):
                return True
        except (OSError, IndexError, ValueError):
            continue
    return False


def parse_time(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


# --- the schedule, the limit and the parameters (no server) ------------------------------------


def test_build_schedule_takes_exactly_one_valid_cron_or_interval():
    weekly = build_schedule("0 6 * * 1", None, "Europe/Amsterdam")
    assert (weekly.cron, weekly.interval, weekly.timezone) == ("0 6 * * 1", None, "Europe/Amsterdam")
    every = build_schedule(None, 10, None)
    assert (every.cron, every.interval) == (None, dt.timedelta(seconds=10))
    for cron, interval in [(None, None), ("0 6 * * 1", 10)]:
        with pytest.raises(ServeError, match="exactly one"):
            build_schedule(cron, interval)
    for bad in ["61 * * * *", "0 6 * *", "elke maandag"]:
        with pytest.raises(ServeError, match="invalid --cron expression"):
            build_schedule(bad, None)
    for bad_interval in [0, -5, float("nan")]:
        with pytest.raises(ServeError, match="positive number of seconds"):
            build_schedule(None, bad_interval)
    with pytest.raises(ServeError, match="Invalid timezone"):
        build_schedule("0 6 * * 1", None, "Europe/Atlantis")


def test_concurrency_limit_is_one_run_and_cancels_new_ones():
    from prefect.client.schemas.objects import ConcurrencyLimitStrategy

    config = concurrency_limit()
    assert (config.limit, config.collision_strategy) == (1, ConcurrencyLimitStrategy.CANCEL_NEW)
    with pytest.raises(ServeError):
        concurrency_limit(0)


def test_deployment_parameters_are_json_with_absolute_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    config = RunConfig(corpus=Path("corpus"), out=Path("out"))
    params = deployment_parameters(config)
    assert set(params) == {"config"}
    restored = RunConfig.model_validate(json.loads(json.dumps(params))["config"])
    assert restored.corpus == tmp_path.resolve() / "corpus"
    assert restored.out == tmp_path.resolve() / "out"
    assert restored.model_dump(exclude={"corpus", "out", "ori"}) == config.model_dump(exclude={"corpus", "out", "ori"})


def test_api_reachable_checks_the_health_endpoint(httpserver):
    httpserver.expect_request("/api/health").respond_with_json(True)
    httpserver.expect_request("/broken/api/health").respond_with_data("oops", status=500)
    httpserver.expect_request("/other/api/health").respond_with_data("<html>not prefect</html>")
    assert api_reachable(httpserver.url_for("/api"))
    assert api_reachable(httpserver.url_for("/api/"))
    assert not api_reachable(httpserver.url_for("/broken/api"))
    assert not api_reachable(httpserver.url_for("/other/api"))
    assert not api_reachable(f"http://127.0.0.1:{free_port()}/api", timeout=2)


# --- the command line -----------------------------------------------------------------------


@pytest.mark.parametrize("args, message", [
    ([], "exactly one schedule"),
    (["--cron", "0 6 * * 1", "--interval", "60"], "exactly one schedule"),
    (["--cron", "61 * * * *"], "invalid --cron expression"),
    (["--cron", "* * * *"], "invalid --cron expression"),
    (["--interval", "0"], "positive number of seconds"),
    (["--cron", "0 6 * * 1", "--timezone", "Europe/Atlantis"], "Invalid timezone"),
])
def test_serve_rejects_a_missing_double_or_bad_schedule(args, message, tmp_path, monkeypatch):
    from flows.cli import app

    monkeypatch.setenv("PREFECT_LOGGING_LEVEL", "WARNING")
    monkeypatch.setenv("PREFECT_API_URL", f"http://127.0.0.1:{free_port()}/api")  # never reached
    result = CliRunner().invoke(app, ["serve", *args, "--corpus", str(write_corpus(tmp_path))])
    assert result.exit_code == 2, result.output
    assert message in " ".join(result.output.split())


@pytest.mark.parametrize("api_url", [None, "unreachable"])
def test_serve_without_a_server_explains_what_to_start_and_exits_2(api_url, tmp_path):
    home = tmp_path / "prefect-home"
    env = prefect_env(home)
    if api_url:
        env["PREFECT_API_URL"] = f"http://127.0.0.1:{free_port()}/api"
    result = run_serve("--cron", "0 6 * * 1", "--corpus", str(write_corpus(tmp_path)), env=env, cwd=tmp_path)
    assert result.returncode == 2, result.stdout + result.stderr
    message = " ".join(result.stderr.split())
    assert ("no Prefect server answers at" if api_url else "PREFECT_API_URL is not set") in message
    assert "make server" in message
    assert f"export PREFECT_API_URL={DEFAULT_API_URL}" in message
    assert "Traceback" not in result.stdout + result.stderr
    assert not (home / "prefect.db").exists(), "a temporary Prefect server was started"


# --- a real server, a real schedule -------------------------------------------------------------


def test_served_flow_runs_on_its_schedule_never_overlapping(tmp_path):
    corpus, out = write_corpus(tmp_path), tmp_path / "outputs"
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    server_log, serve_log = tmp_path / "server.log", tmp_path / "serve.log"
    logs = (server_log, serve_log)
    server_env = prefect_env(tmp_path / "server-home", PREFECT_SERVER_UI_ENABLED="false")
    server_cmd = [str(PREFECT), "server", "start", "--host", "127.0.0.1", "--port", str(port)]
    serve_env = prefect_env(tmp_path / "serve-home", PREFECT_API_URL=api, PREFECT_RUNNER_POLL_FREQUENCY="2")
    serve_cmd = [str(REGIESCAN), "serve", "--interval", "10", "--corpus", str(corpus), "--out", str(out)]

    with httpx.Client(base_url=api, timeout=10) as client, \
            process(server_cmd, server_env, tmp_path, server_log, grace=20) as server:
        wait_for("the Prefect server", lambda: api_reachable(api, timeout=2), SERVER_START_TIMEOUT, server, logs=logs)

        with process(serve_cmd, serve_env, tmp_path, serve_log, grace=30) as serving:

            def deployment() -> dict[str, Any] | None:
                response = client.get("/deployments/name/regiescan/regiescan-scheduled")
                return response.json() if response.status_code == 200 else None

            def runs(**state: Any) -> list[dict[str, Any]]:
                query = {"flow_runs": {"deployment_id": {"any_": [deployment_id]}, **state}, "sort": "START_TIME_ASC"}
                response = client.post("/flow_runs/filter", json=query)
                response.raise_for_status()
                return response.json()

            deployment_id = wait_for("the deployment", deployment, 60, serving, server, logs=logs)["id"]
            def completed_runs() -> list[dict[str, Any]]:
                broken = runs(state={"type": {"any_": ["FAILED", "CRASHED"]}})
                if broken:  # no point waiting for the next one
                    pytest.fail(f"a scheduled run ended {broken[0]['state_type']}: {broken[0]['state']['message']}\n"
                                + "\n".join(tail(log) for log in logs))
                return runs(state={"type": {"any_": ["COMPLETED"]}})

            completed = wait_for("a completed scheduled run", completed_runs, RUN_TIMEOUT, serving, server,
                                 logs=logs, every=2)

            details = deployment()
            assert details["global_concurrency_limit"]["limit"] == 1
            assert details["concurrency_options"]["collision_strategy"] == "CANCEL_NEW"
            assert [s["schedule"].get("interval") for s in details["schedules"]] == [10.0]
            assert details["paused"] is False
            assert details["parameters"]["config"]["corpus"] == str(corpus.resolve())
            assert completed[0]["auto_scheduled"], "the run was not created by the schedule"

            # Every run that ran, ran alone: each starts after the previous one ended. (Runs
            # cancelled by the limit never ran: run_count 0.)
            started = [r for r in runs() if r["run_count"] > 0 and r["start_time"]]
            now = dt.datetime.now(dt.timezone.utc)
            spans = sorted((parse_time(r["start_time"]), parse_time(r["end_time"]) if r["end_time"] else now) for r in started)
            for (_, previous_end), (start, _) in zip(spans, spans[1:]):
                assert start >= previous_end, f"overlapping runs: {spans}"

            folders = [p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and (p / "run.json").is_file()]
            assert folders, f"no run folder in {out}: {sorted(p.name for p in out.iterdir())}"
            record = json.loads(sorted(folders)[0].joinpath("run.json").read_text())
            assert record["counts"] == {"inputs": 3, "analysed": 3, "rejected": 0, "duplicates": 0}
            assert record["config"]["corpus"] == str(corpus.resolve())
            assert record["run_id"] == sorted(folders)[0].name

            # Stopping `serve` shuts the runner down (cancelling a run in progress, if any) and
            # pauses the schedule; a run that completed stays completed. Its process may still be
            # winding down after reporting Completed: a SIGTERM then would mark it cancelled.
            if Path("/proc").is_dir():
                wait_for("the completed run's process to exit",
                         lambda: not flow_run_process_alive(serving.pid, completed[0]["id"]), 60, serving, logs=logs)
            else:
                time.sleep(5)
            serving.send_signal(signal.SIGTERM)
            assert serving.wait(timeout=60) == 0, tail(serve_log)
            assert deployment()["paused"] is True
            assert client.get(f"/flow_runs/{completed[0]['id']}").json()["state_type"] == "COMPLETED"
        assert "Traceback" not in serve_log.read_text(errors="replace"), tail(serve_log)
