"""Analyse and classify ingested documents; results are plain JSON-ready records.

One record per document holds everything later steps need (sentences with their stance,
frame mentions with page numbers), so it can be cached by content hash + lexicon version
+ model version and a rerun with unchanged inputs does no NLP work.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Sequence

from flows.tables import probability_column
from nlp.model_card import STANCES

if TYPE_CHECKING:  # spaCy and scikit-learn are imported by the tasks that analyse, not by the flow
    from nlp.analyser import Analysed, Analyser

PAGE_SEPARATOR = "\n\n"
PROBABILITY_COLUMNS = [probability_column(stance) for stance in STANCES]


def join_pages(pages: Sequence[str]) -> tuple[str, list[int]]:
    """The document text and the character offset where each page starts."""
    starts, offset = [], 0
    for page in pages:
        starts.append(offset)
        offset += len(page) + len(PAGE_SEPARATOR)
    return PAGE_SEPARATOR.join(pages), starts


def page_of(offset: int, page_starts: list[int]) -> int:
    return bisect.bisect_right(page_starts, offset)  # 1-based page number


@dataclass
class PendingDocument:
    """A parsed document waiting for classification."""

    doc_id: str
    cache_key: str
    analysed: Analysed
    page_starts: list[int]


class DocumentBatch:
    """Documents ({doc_id, cache_key, pages}) on their way to the analyse task.

    This and AnalyseOutcome are plain classes on purpose: Prefect walks the lists, dicts and
    dataclasses among task inputs in search of futures, and these hold every page and
    sentence of a batch (that walk took longer than the analysis itself). Annotations such as
    prefect's quote() do the same for threads but do not survive the Dask runner.
    """

    def __init__(self, documents: list[dict[str, Any]]) -> None:
        self.documents = documents


class AnalyseOutcome:
    """A batch's results as they pass from the analyse to the classify and collect tasks."""

    def __init__(self) -> None:
        self.cached: dict[str, dict[str, Any]] = {}  # doc_id -> result record
        self.pending: list[PendingDocument] = []
        self.rejected: list[dict[str, Any]] = []  # doc_id, reason_code, reason
        self.classified: dict[str, dict[str, Any]] = {}  # doc_id -> new result record


def analyse_documents(analyser: Analyser, documents: list[dict[str, Any]]) -> AnalyseOutcome:
    """spaCy analysis of documents ({doc_id, cache_key, pages}); non-Dutch ones are rejected."""
    from nlp.analyser import analyse_doc, gc_paused
    from nlp.language import NAMES_NL, guess_language

    outcome = AnalyseOutcome()
    joined = {d["doc_id"]: join_pages(list(d["pages"])) for d in documents}
    # spaCy refuses a text over nlp.max_length with an exception that would end the whole run.
    # ingest.max_text_chars keeps texts below it; the page breaks joined in can still add a few.
    limit = analyser.nlp.max_length
    parsable = []
    for document in documents:
        n_chars = len(joined[document["doc_id"]][0])
        if n_chars <= limit:
            parsable.append(document)
            continue
        outcome.rejected.append({
            "doc_id": document["doc_id"], "reason_code": "too_large",
            "reason": f"tekst met paginagrenzen te lang voor de taalanalyse ({n_chars:,} tekens > {limit:,}); "
                      "splits het document in delen",
        })
    documents = parsable
    texts = (joined[d["doc_id"]][0] for d in documents)
    with gc_paused():
        for document, parsed in zip(documents, analyser.parse(texts)):
            doc_id = document["doc_id"]
            language = guess_language(parsed)
            if language not in (None, "nl"):
                outcome.rejected.append({
                    "doc_id": doc_id, "reason_code": "not_dutch",
                    "reason": f"niet Nederlands (lijkt {NAMES_NL[language]})",
                })
                continue
            analysed = analyse_doc(parsed, text=joined[doc_id][0])
            outcome.pending.append(PendingDocument(doc_id, document["cache_key"], analysed, joined[doc_id][1]))
    return outcome


def classify_documents(analyser: Analyser, pending: list[PendingDocument]) -> dict[str, dict[str, Any]]:
    """Stance of every sentence and of every document, as cacheable records."""
    results = analyser.stances([p.analysed for p in pending])
    records: dict[str, dict[str, Any]] = {}
    for item, result in zip(pending, results):
        starts = item.page_starts
        records[item.doc_id] = {
            "cache_key": item.cache_key,
            "n_sentences": item.analysed.n_sentences,
            "n_tokens": item.analysed.n_tokens,
            "stance": result.stance,
            "probabilities": result.probabilities,
            "frames": result.frames,
            "sentences": [
                {
                    "start": u.unit.start, "end": u.unit.end, "page": page_of(u.unit.start, starts),
                    "text": u.unit.text, "stance": u.stance, "evidence": u.bears_stance,
                    **{column: round(p, 4) for column, p in zip(PROBABILITY_COLUMNS, u.probabilities.tolist())},
                }
                for u in result.units
            ],
            "mentions": [{**m.as_dict(), "page": page_of(m.start, starts)} for m in result.mentions],
        }
    return records
