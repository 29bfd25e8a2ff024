"""The regiescan flow, as on the design card: ingest -> analyse -> classify -> aggregate -> report."""

from __future__ import annotations

from typing import Any

from prefect import flow

from flows.analysis import DocumentBatch
from flows.config import RunConfig
from flows.runners import in_order
from flows.steps import (
    aggregate_stance, analyse_batch, classify_batch, collect_batch, document_batches, document_meta,
    ingest_documents, open_run, publish_run, report_run, write_run_record,
)


@flow(name="regiescan")
def regiescan_flow(config: RunConfig) -> dict[str, Any]:
    state = open_run(config)
    ingested = ingest_documents(state)
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
