"""Prefect tasks: one per step of the design card, each a thin call into library code."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from prefect import task
from prefect.cache_policies import NO_CACHE

from flows.config import RunConfig
from flows.ingest import IngestResult, ingest
from flows.municipalities import default_registry
from flows.outputs import RunFolder, atomic_write_json, atomic_write_parquet
from flows.progress import progress_bar
from flows.provenance import package_versions
from flows.sources.folder import FolderSource

# Results are cached by content hash inside the steps themselves, not by Prefect's input
# hashing (which would hash whole corpora and client objects on every call).
STEP = dict(cache_policy=NO_CACHE, persist_result=False)


@dataclass
class RunState:
    """What a run carries from step to step."""

    config: RunConfig
    folder: RunFolder
    started_at: str
    steps_done: list[str] = field(default_factory=list)
    steps_pending: list[str] = field(default_factory=list)


@task(name="open-run", **STEP)
def open_run(config: RunConfig) -> RunState:
    folder = RunFolder(config.out)
    started = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    return RunState(config=config, folder=folder, started_at=started)


@task(name="ingest", **STEP)
def ingest_documents(state: RunState) -> IngestResult:
    config = state.config
    source = FolderSource(config.corpus, config.ingest.max_file_mb)
    candidates = list(source.candidates())
    with progress_bar("Reading documents", total=len(candidates)) as advance:
        result = ingest(candidates, source.name, default_registry(), config.ingest, advance)
    atomic_write_parquet(state.folder.path("documents.parquet"), result.documents)
    atomic_write_parquet(state.folder.path("rejected.parquet"), result.rejected)
    atomic_write_parquet(state.folder.path("duplicates.parquet"), result.duplicates)
    state.steps_done.append("ingest")
    return result


@task(name="close-run", **STEP)
def close_run(state: RunState, ingested: IngestResult) -> dict[str, Any]:
    """Write run.json, check the count invariant and publish the run folder."""
    counts = {
        "inputs": ingested.inputs,
        "analysed": len(ingested.documents),
        "rejected": len(ingested.rejected),
        "duplicates": len(ingested.duplicates),
    }
    if counts["inputs"] != counts["analysed"] + counts["rejected"] + counts["duplicates"]:
        raise RuntimeError(f"count invariant broken (a document was lost): {counts}")
    record = {
        "run_id": state.folder.run_id,
        "started_at": state.started_at,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "counts": counts,
        "rejected_by_reason": ingested.rejected["reason_code"].value_counts().sort_index().to_dict(),
        "steps_done": state.steps_done,
        "steps_pending": state.steps_pending,
        "corpus_hash": ingested.corpus_hash,
        "config": state.config.to_record(),
        "packages": package_versions(),
    }
    atomic_write_json(state.folder.path("run.json"), record)
    final = state.folder.commit()
    return {**record, "output_dir": str(final)}
