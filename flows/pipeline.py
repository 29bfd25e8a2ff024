"""The regiescan flow, as on the design card: ingest -> analyse -> classify -> aggregate -> report."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.config import RunConfig
from flows.steps import (
    aggregate_stance, analyse_batch, classify_batch, close_run, collect_batch, document_batches,
    document_meta, ingest_documents, open_run,
)


@flow(name="regiescan")
def regiescan_flow(config: RunConfig) -> dict[str, Any]:
    state = open_run(config)
    ingested = ingest_documents(state)
    meta = document_meta(ingested)
    cache = str(config.analysis_cache)
    for batch in document_batches(state, ingested):
        analysed = analyse_batch(config.nlp, cache, batch)
        classified = classify_batch(config.nlp, cache, analysed)
        collect_batch(state, meta, classified)
    aggregate_stance(state)
    return close_run(state, ingested)
