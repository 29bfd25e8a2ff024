"""Time regiescan flow runs one after another in ONE process: the flows themselves, without
what each process pays before its flow starts (Python's imports, Prefect's temporary server).
Besides the wall time of each flow call it reads the run's duration as Prefect records it.

    .venv/bin/python bench/flow_runs.py --corpus corpora/sample --out /tmp/o --config c.yml full unchanged rebuild

Each label is one flow run: `full` and `unchanged` are plain runs (the first on an empty
out folder does everything, the second finds nothing new), `rebuild` is `--rebuild`.
Prints one JSON object: {label: {"seconds" (the flow call, engine included),
"prefect_total_run_time" (the run's duration as Prefect records it), "steps_seconds",
"outputs_of", "analysis_cache"}}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from prefect import get_client

from flows.config import load_config
from flows.pipeline import regiescan_flow
from flows.prefect_runtime import prefect_api
from flows.runners import make_task_runner


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--config", type=Path, default=None)
    parser.add_argument("labels", nargs="+", choices=("full", "unchanged", "rebuild"))
    args = parser.parse_args()
    settings = load_config(args.config, {"corpus": args.corpus, "out": args.out})
    timings = {}
    with prefect_api():
        for label in args.labels:
            config = settings.model_copy(update={"rebuild": label == "rebuild"})
            started = time.perf_counter()
            state = regiescan_flow.with_options(task_runner=make_task_runner(config))(config, return_state=True)
            seconds = time.perf_counter() - started
            record = state.result()
            with get_client(sync_client=True) as client:  # the run's duration as Prefect records it
                recorded = client.read_flow_run(state.state_details.flow_run_id).total_run_time.total_seconds()
            timings[label] = {"seconds": round(seconds, 3), "prefect_total_run_time": round(recorded, 3),
                              "steps_seconds": record.get("seconds"), "outputs_of": record.get("outputs_of"),
                              "analysis_cache": record.get("analysis_cache")}
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
