"""The regiescan flow, as on the design card: ingest -> analyse -> classify -> aggregate -> report."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.config import RunConfig
from flows.steps import close_run, ingest_documents, open_run


@flow(name="regiescan", log_prints=True)
def regiescan_flow(config: RunConfig) -> dict[str, Any]:
    state = open_run(config)
    ingested = ingest_documents(state)
    state.steps_pending = ["analyse", "classify", "aggregate", "report"]  # arrive with their issues
    return close_run(state, ingested)
