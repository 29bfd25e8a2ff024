"""The regiescan flow, as on the design card: ingest -> analyse -> classify -> aggregate -> report.

A run whose inputs equal those of the run outputs/latest points at stops after listing them:
that run's outputs stand (flows/unchanged.py).
"""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.analysis import DocumentBatch
from flows.config import RunConfig
from flows.runners import in_order
from flows.steps import (
    aggregate_stance, analyse_batch, classify_batch, collect_batch, document_batches, document_meta, find_inputs,
    ingest_documents, keep_previous_outputs, open_run, publish_run, report_run, unchanged_since, write_run_record,
)


@flow(name="regiescan")
def regiescan_flow(config: RunConfig) -> dict[str, Any]:
    state = open_run(config)
    inputs = find_inputs(state)
    if (previous := unchanged_since(state)) is not None:  # nothing new: its outputs stand
        return keep_previous_outputs(state, previous)
    ingested = ingest_documents(state, inputs)
    meta = document_meta(ingested)
    cache = str(config.analysis_cache)

    def analyse_and_classify(batch: DocumentBatch) -> Any:
        return classify_batch.submit(config.nlp, cache, analyse_batch.submit(config.nlp, cache, batch))

    for classified in in_order(document_batches(state), analyse_and_classify, config.batches_in_flight):
        collect_batch(state, meta, classified)
    aggregate_stance(state)
    record = write_run_record(state, ingested)
    report_run(state, record)
    return publish_run(state, record)
