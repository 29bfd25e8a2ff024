"""Prefect tasks: one per step of the design card, each a thin call into library code."""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import resource
import shutil
import sys
import threading
import time
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator

import pandas as pd
from prefect import task
from prefect.cache_policies import NO_CACHE
from prefect.logging import get_run_logger

from flows.analysis import AnalyseOutcome, DocumentBatch, analyse_documents, classify_documents
from flows.cache import AnalysisCache, analysis_fingerprint, cache_key
from flows.config import RunConfig
from flows.ingest import REJECTED_COLUMNS, IngestResult, ingest
from flows.municipalities import default_registry
from flows.outputs import RunFolder, atomic_write_json, atomic_write_parquet
from flows.progress import progress_bar
from flows.provenance import package_versions
from flows.sources.base import DocumentSource
from flows.results import batch_tables
from flows.sources.folder import FolderSource
from flows.tables import TableWriter, copy_without, empty_table, iter_frames, iter_records, validate
from flows.unchanged import RunInputs, code_fingerprint, input_key, unchanged_run
from nlp.aggregate import aggregate, per_document_counts, sum_counts, trend
from nlp.lexicon import CUES_PATH, LEXICON_PATH, RULES_PATH
from nlp.model_card import read_model_card
from nlp.pipeline import NlpConfig, configured_lexicon, pipeline_identity

if TYPE_CHECKING:
    from nlp.analyser import Analyser

# Results are cached by content hash inside the steps themselves, not by Prefect's input
# hashing (which would hash whole corpora and client objects on every call).
STEP: dict[str, Any] = dict(cache_policy=NO_CACHE, persist_result=False)
STREAMED_TABLES = ("sentences", "evidence", "document_stance")
INGESTED = "ingested.parquet"  # every document read, streamed; becomes documents.parquet at the end
SENTENCE_BATCH_ROWS = 200_000  # sentence rows aggregation reads at a time


_ANALYSER_LOCK = threading.Lock()


def _analyser(nlp_config_json: str) -> Analyser:
    """One spaCy pipeline and model per worker process (building them takes seconds; the
    lock keeps two batches that start together from building it twice)."""
    with _ANALYSER_LOCK:
        return _build_analyser(nlp_config_json)


@lru_cache(maxsize=2)
def _build_analyser(nlp_config_json: str) -> Analyser:
    from nlp.analyser import long_lived_analyser  # spaCy and scikit-learn: only where a batch is analysed

    return long_lived_analyser(NlpConfig.model_validate_json(nlp_config_json))


def release_analysers() -> None:
    """Free this process's spaCy pipelines and stance models once every batch is done: the
    aggregation and the report would otherwise be built on top of them, and the report's peak
    is the flow process's peak (bench/README.md, run 6). With the Dask runner they live in the
    workers and there is nothing to free here."""
    if not _build_analyser.cache_info().currsize:
        return
    _build_analyser.cache_clear()
    gc.unfreeze()  # long_lived_analyser froze them out of the collector's view
    gc.collect()
    _return_free_memory()


def _return_free_memory() -> None:
    """glibc keeps freed heap pages of long-gone objects; malloc_trim hands them back."""
    libc = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if libc:
        try:
            ctypes.CDLL(libc).malloc_trim(0)
        except (OSError, AttributeError):  # another C library (musl): nothing to trim
            pass


@dataclass
class RunState:
    """What a run carries from step to step (lives in the flow's process)."""

    config: RunConfig
    folder: RunFolder
    started_at: str
    lexicon_version: str = ""
    analysis_fingerprint: str = ""  # part of every analysis cache key (flows/cache.py)
    model_card: dict[str, Any] = field(default_factory=dict)
    writers: dict[str, TableWriter] = field(default_factory=dict)
    late_rejections: list[dict[str, Any]] = field(default_factory=list)
    source: Any = None  # kept so publish_run can commit ORI watermarks once the run is published
    input_key: str = ""
    n_analysed: int = 0
    n_from_cache: int = 0
    steps_done: list[str] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=dict)  # time since the run opened, at the end of each step
    # the flow process's peak memory so far, at the end of each step (analysis in Dask
    # workers is not in it): shows which step raised it
    peak_rss_mib: dict[str, float] = field(default_factory=dict)
    opened: float = field(default_factory=time.monotonic)

    def done(self, *steps: str) -> None:
        self.steps_done.extend(steps)
        for step in steps:
            self.seconds[step] = round(time.monotonic() - self.opened, 3)
            self.peak_rss_mib[step] = _peak_rss_mib()

    def progress(self) -> dict[str, Any]:
        """What run.json says about the steps so far."""
        return {"steps_done": self.steps_done, "seconds": self.seconds, "peak_rss_mib": self.peak_rss_mib}


def _peak_rss_mib() -> float:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux, bytes on macOS
    return round(peak / (1024 * 1024 if sys.platform == "darwin" else 1024), 1)


@task(name="open-run", **STEP)
def open_run(config: RunConfig) -> RunState:
    """Check that model and lexicon fit (before any work), then open the partial run folder."""
    lexicon_version = configured_lexicon(config.nlp).version
    card = read_model_card(expected_lexicon=lexicon_version)
    folder = RunFolder(config.out)
    # The lexicon, rules and cue lists travel with the run: its method page cites them.
    method = folder.path("method")
    method.mkdir()
    for used, default in ((config.nlp.lexicon_path, LEXICON_PATH), (config.nlp.rules_path, RULES_PATH),
                          (config.nlp.cues_path, CUES_PATH)):
        shutil.copyfile(used or default, method / default.name)
    state = RunState(config, folder, dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"))
    state.lexicon_version = lexicon_version
    state.analysis_fingerprint = analysis_fingerprint(config.nlp.model)
    state.model_card = card
    state.writers = {name: TableWriter(name, folder.path(f"{name}.parquet")) for name in STREAMED_TABLES}
    return state


def make_source(config: RunConfig) -> DocumentSource:
    if config.source == "ori":
        from flows.sources.ori_source import build_ori_source

        o = config.ori
        return build_ori_source(
            o.municipalities, o.since, o.query, o.base_url, o.offline, api=o.api, until=o.until,
            cache_dir=o.cache_dir, max_attempts=o.max_attempts, timeout=o.timeout, page_size=o.page_size,
        )
    return FolderSource(config.corpus, config.ingest.max_file_mb, config.ingest.max_text_chars)


@task(name="find-inputs", **STEP)
def find_inputs(state: RunState) -> RunInputs:
    """List the source's documents (each read once for its digest) and key the run's inputs."""
    source = state.source = make_source(state.config)
    candidates = list(source.candidates())
    state.input_key = input_key(candidates, state.config.to_record(), state.lexicon_version,
                                str(state.model_card["model_version"]))
    state.done("inputs")
    return RunInputs(candidates)


def unchanged_since(state: RunState) -> dict[str, Any] | None:
    """The run `latest` points at, when it had exactly this run's inputs (and no --rebuild)."""
    return None if state.config.rebuild else unchanged_run(state.config.out, state.input_key)


def _commit(state: RunState, point_latest_here: bool = True) -> Path:
    """Publish the run folder; only then may the ORI watermarks move past its documents."""
    final = state.folder.commit(point_latest_here)
    if hasattr(state.source, "commit_watermarks"):
        state.source.commit_watermarks()
    return final


@task(name="keep-outputs", **STEP)
def keep_previous_outputs(state: RunState, previous: dict[str, Any]) -> dict[str, Any]:
    """Record that nothing changed since `previous`, whose outputs stand; `latest` stays."""
    from flows.report import publish_artifacts

    publish_artifacts(Path(previous["output_dir"]))  # the Prefect UI shows the results that stand
    state.done("keep-outputs")
    record = {
        "run_id": state.folder.run_id,
        "started_at": state.started_at,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "outputs_of": previous["run_id"],
        **{k: previous[k] for k in ("counts", "rejected_by_reason", "corpus_hash", "lexicon_version", "model")},
        "input_key": state.input_key,
        "analysis_cache": {"documents_from_cache": 0, "documents_analysed_now": 0},
        **state.progress(),
        "config": state.config.to_record(),
        "packages": package_versions(),
    }
    atomic_write_json(state.folder.path("run.json"), record)
    final = _commit(state, point_latest_here=False)
    return {**record, "output_dir": previous["output_dir"], "run_dir": str(final)}


@task(name="ingest", **STEP)
def ingest_documents(state: RunState, inputs: RunInputs) -> IngestResult:
    config = state.config
    ingested = TableWriter("documents", state.folder.path(INGESTED))
    with progress_bar("Reading documents", total=len(inputs.candidates)) as advance:
        result = ingest(inputs.candidates, state.source.name, default_registry(), config.ingest, advance, sink=ingested.add)
    ingested.close()
    # Every candidate (path, digest, metadata: 41 MiB for 50,000) has been read; the flow holds
    # `inputs` until it ends, so they are released here rather than through the whole analysis.
    inputs.candidates.clear()
    atomic_write_parquet(state.folder.path("duplicates.parquet"), validate("duplicates", result.duplicates))
    state.done("ingest")
    return result


def document_meta(ingested: IngestResult) -> pd.DataFrame:
    return ingested.documents.set_index("doc_id")


def document_batches(state: RunState) -> Iterator[DocumentBatch]:
    """The ingested documents, read back config.batch_size at a time, each with its cache key."""
    model_version = str(state.model_card["model_version"])
    path = state.folder.path(INGESTED)
    for rows in iter_records(path, ["doc_id", "content_sha256", "pages"], state.config.batch_size):
        for row in rows:
            row["cache_key"] = cache_key(row["content_sha256"], state.lexicon_version, model_version, state.analysis_fingerprint)
        yield DocumentBatch(rows)


@task(name="analyse", **STEP)
def analyse_batch(nlp_config: NlpConfig, cache_root: str, batch: DocumentBatch) -> AnalyseOutcome:
    """spaCy analysis of the batch's documents that are not in the cache."""
    cache = AnalysisCache(Path(cache_root))
    cached = {d["doc_id"]: hit for d in batch.documents if (hit := cache.get(d["cache_key"])) is not None}
    todo = [d for d in batch.documents if d["doc_id"] not in cached]
    outcome = analyse_documents(_analyser(nlp_config.model_dump_json()), todo) if todo else AnalyseOutcome()
    outcome.cached = cached
    return outcome


@task(name="classify", **STEP)
def classify_batch(nlp_config: NlpConfig, cache_root: str, analysed: AnalyseOutcome) -> AnalyseOutcome:
    """Stance of the new documents' sentences; their records go into the cache."""
    if analysed.pending:
        cache = AnalysisCache(Path(cache_root))
        analysed.classified = classify_documents(_analyser(nlp_config.model_dump_json()), analysed.pending)
        for record in analysed.classified.values():
            cache.put(record["cache_key"], record)
        analysed.pending = []  # the spaCy-derived objects are not needed any more
    return analysed


@task(name="collect", **STEP)
def collect_batch(state: RunState, meta: pd.DataFrame, outcome: AnalyseOutcome) -> None:
    """Append a batch's sentences, evidence and document stances to the run's tables."""
    results = {k: (v, True) for k, v in outcome.cached.items()}
    results.update({k: (v, False) for k, v in outcome.classified.items()})
    # In the documents' order, wherever a result came from: the tables' row order does not
    # depend on the cache, and the report reads the evidence alongside the documents.
    results = {doc_id: results[doc_id] for doc_id in sorted(results, key=meta.index.get_loc)}
    for name, frame in batch_tables(meta, results).items():
        state.writers[name].write(frame)
    state.n_analysed += len(results)
    state.n_from_cache += len(outcome.cached)
    state.late_rejections.extend(outcome.rejected)
    # The batch's records are written. The outcome stays reachable from reference cycles
    # (around Prefect's task runs) until a full garbage collection, and those grow rarer as
    # the heap grows: a 10k rebuild held ~11 batches of records (409 MiB) that way, freed by
    # gc.collect(). Emptied here, they go now.
    outcome.cached.clear()
    outcome.classified.clear()


@task(name="aggregate", **STEP)
def aggregate_stance(state: RunState) -> dict[str, pd.DataFrame]:
    """Municipality and municipality x year stance from the sentence stances."""
    for writer in state.writers.values():
        writer.close()
    release_analysers()  # every batch is in: the pipelines are not needed any more
    folder, config = state.folder, state.config.aggregation
    # Counted per document batch by batch: the sentence table grows with the corpus.
    parts = []
    for batch in iter_frames(folder.path("sentences.parquet"), ["doc_id", "stance", "evidence"], SENTENCE_BATCH_ROWS):
        batch.loc[~batch["evidence"], "stance"] = "geen"  # only evidence sentences count for a frame
        parts.append(per_document_counts(batch))
    counts = sum_counts(parts)
    documents = pd.read_parquet(folder.path("document_stance.parquet"), columns=["doc_id", "gm_code", "municipality", "year"])
    by_municipality = aggregate(counts, documents, ["gm_code"], config)
    dated = documents.dropna(subset=["year"]).astype({"year": int})
    by_year = aggregate(counts, dated, ["gm_code", "year"], config)
    if by_year.empty:  # no dated document
        by_year = empty_table("municipality_year_stance")
    if by_municipality.empty:  # every input was rejected
        by_municipality = empty_table("municipality_stance")
    else:
        years = documents.groupby("gm_code")["year"].agg(first_year="min", last_year="max").reset_index()
        trends = trend(by_year, by_municipality["gm_code"], config)
        by_municipality = by_municipality.merge(years, on="gm_code", how="left").merge(trends, on="gm_code", how="left")
    tables = {"municipality_stance": by_municipality, "municipality_year_stance": by_year}
    for name, frame in tables.items():
        atomic_write_parquet(folder.path(f"{name}.parquet"), validate(name, frame))
    state.done("analyse", "classify", "aggregate")
    return tables


@task(name="write-run-record", **STEP)
def write_run_record(state: RunState, ingested: IngestResult) -> dict[str, Any]:
    """Write the remaining tables and run.json and check the count invariant."""
    late = pd.DataFrame(state.late_rejections, columns=["doc_id", "reason_code", "reason"])
    docs = ingested.documents
    refs = docs.set_index("doc_id")
    late_rows = pd.DataFrame({
        "ref": [refs.at[d, "ref"] for d in late["doc_id"]], "source": [refs.at[d, "source"] for d in late["doc_id"]],
        "stage": "analyse", "reason_code": late["reason_code"], "reason": late["reason"],
        "municipality_input": [refs.at[d, "municipality_input"] for d in late["doc_id"]],
        "input_sha256": None,
    }, columns=REJECTED_COLUMNS)
    rejected = pd.concat([ingested.rejected, late_rows], ignore_index=True) if len(late_rows) else ingested.rejected
    ingested_path = state.folder.path(INGESTED)
    copy_without(ingested_path, state.folder.path("documents.parquet"), "doc_id", set(late["doc_id"]))
    ingested_path.unlink()
    atomic_write_parquet(state.folder.path("rejected.parquet"), validate("rejected", rejected))
    counts = {"inputs": ingested.inputs, "analysed": state.n_analysed, "rejected": len(rejected), "duplicates": len(ingested.duplicates)}
    if counts["inputs"] != counts["analysed"] + counts["rejected"] + counts["duplicates"]:
        raise RuntimeError(f"count invariant broken (a document was lost): {counts}")
    card = state.model_card
    record = {
        "run_id": state.folder.run_id,
        "started_at": state.started_at,
        "finished_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "counts": counts,
        "rejected_by_reason": rejected["reason_code"].value_counts().sort_index().to_dict(),
        "analysis_cache": {"documents_from_cache": state.n_from_cache, "documents_analysed_now": state.n_analysed - state.n_from_cache},
        **state.progress(),
        "input_key": state.input_key,
        "corpus_hash": ingested.corpus_hash,
        "code_sha256": code_fingerprint(),
        "spacy_pipeline": pipeline_identity(state.config.nlp.model),
        "lexicon_version": state.lexicon_version,
        "model": {"version": card["model_version"], "lexicon_version": card["lexicon_version"],
                  "cross_validation": {k: card["cross_validation"][k] for k in ("folds", "macro_f1", "accuracy", "per_class")}},
        "config": state.config.to_record(),
        "packages": package_versions(),
    }
    atomic_write_json(state.folder.path("run.json"), record)
    return record


@task(name="report", **STEP)
def report_run(state: RunState, record: dict[str, Any]) -> None:
    """The HTML report, exports and Prefect artifacts, built inside the partial run folder."""
    from flows.report import build_report, publish_artifacts

    try:
        build_report(state.folder.work, state.config.report_lang)
        publish_artifacts(state.folder.work)
    except Exception:  # keep the analysis; `regiescan report` can rebuild the report
        get_run_logger().exception("building the report failed; rebuild it with `regiescan report`")
        return
    state.done("report")
    atomic_write_json(state.folder.path("run.json"), {**record, **state.progress()})


@task(name="publish-run", **STEP)
def publish_run(state: RunState, record: dict[str, Any]) -> dict[str, Any]:
    """Rename the partial folder into place and point outputs/latest at it."""
    final = _commit(state)
    return {**record, **state.progress(), "output_dir": str(final), "run_dir": str(final)}
