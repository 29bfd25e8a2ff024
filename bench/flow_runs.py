"""Time regiescan flow runs one after another in ONE process, as a long-running deployment
(`regiescan serve`) runs them: Python's imports and Prefect's server are paid once, before
the first run, and are not part of any run's time.

    .venv/bin/python bench/flow_runs.py --corpus corpora/sample --out /tmp/o --config c.yml full unchanged rebuild

Each label is one flow run: `full` and `unchanged` are plain runs (the first on an empty
out folder does everything, the second finds nothing new), `rebuild` is `--rebuild`.
Prints one JSON object: {label: {"seconds", "steps_seconds", "outputs_of", "analysis_cache"}}.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

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
            record = regiescan_flow.with_options(task_runner=make_task_runner(config))(config)
            timings[label] = {"seconds": round(time.perf_counter() - started, 3), "steps_seconds": record.get("seconds"),
                              "outputs_of": record.get("outputs_of"), "analysis_cache": record.get("analysis_cache")}
    print(json.dumps(timings))


if __name__ == "__main__":
    main()
