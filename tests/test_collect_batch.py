"""collect_batch writes a batch's records to the run's tables and then lets go of them: the
outcome object can outlive the call in Prefect's reference cycles, and its records with it
(bench/README.md, run 7: a 10k rebuild held ~11 batches that way)."""

from __future__ import annotations

import pandas as pd

from flows.analysis import AnalyseOutcome, analyse_documents, classify_documents
from flows.config import RunConfig
from flows.results import DOCUMENT_META
from flows.steps import RunState, _analyser, collect_batch
from flows.tables import TableWriter
from nlp.pipeline import NlpConfig

TEXTS = {
    "a": "Wij willen als gemeente de regie houden over de uitvoering door de verbonden partijen.",
    "b": "De gemeente werkt samen met inwoners en partners als gelijkwaardige partij in het netwerk.",
}


def test_collect_batch_writes_the_records_and_releases_them(tmp_path):
    analyser = _analyser(NlpConfig().model_dump_json())
    documents = [{"doc_id": d, "cache_key": d, "pages": [text]} for d, text in TEXTS.items()]
    analysed = analyse_documents(analyser, documents)
    outcome = AnalyseOutcome()
    outcome.classified = classify_documents(analyser, analysed.pending)
    outcome.cached = {"b": outcome.classified.pop("b")}  # one new record, one from the cache
    meta = pd.DataFrame([{"doc_id": d, **{k: None for k in DOCUMENT_META}, "ref": f"{d}.txt", "gm_code": "GM0363",
                          "municipality": "Amsterdam", "municipality_original": "Amsterdam", "year": 2024,
                          "doc_type": "other"} for d in TEXTS]).set_index("doc_id")
    state = RunState(config=RunConfig(), folder=None, started_at="")  # collect_batch uses only the writers and counts
    state.writers = {name: TableWriter(name, tmp_path / f"{name}.parquet") for name in ("sentences", "evidence", "document_stance")}

    collect_batch.fn(state, meta, outcome)
    for writer in state.writers.values():
        writer.close()

    documents_written = pd.read_parquet(tmp_path / "document_stance.parquet")
    assert list(documents_written["doc_id"]) == ["a", "b"]
    assert list(documents_written["from_cache"]) == [False, True]
    assert set(pd.read_parquet(tmp_path / "sentences.parquet")["doc_id"]) == {"a", "b"}
    assert (state.n_analysed, state.n_from_cache) == (2, 1)
    assert outcome.cached == {} and outcome.classified == {}


def test_pages_that_fit_but_not_once_joined_are_rejected_not_parsed():
    """ingest.max_text_chars counts the pages' characters; the page breaks joined in between
    can take a document over the analyser's limit, which spaCy would refuse with an exception
    that ends the run."""
    from nlp.pipeline import MAX_TEXT_CHARS

    analyser = _analyser(NlpConfig().model_dump_json())
    half = MAX_TEXT_CHARS // 2
    documents = [{"doc_id": "long", "cache_key": "long", "pages": ["a" * half, "b" * half]},
                 {"doc_id": "short", "cache_key": "short", "pages": [TEXTS["a"]]}]
    outcome = analyse_documents(analyser, documents)
    assert [(r["doc_id"], r["reason_code"]) for r in outcome.rejected] == [("long", "too_large")]
    assert f"{MAX_TEXT_CHARS + 2:,} tekens > {MAX_TEXT_CHARS:,}" in outcome.rejected[0]["reason"]
    assert [p.doc_id for p in outcome.pending] == ["short"]
