"""Ingest: every candidate of a source becomes a document, a rejection or a duplicate."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable

import pandas as pd

from flows.config import IngestConfig
from flows.municipalities import MunicipalityRegistry, UnknownMunicipality
from flows.provenance import corpus_hash
from flows.sources.base import Candidate
from flows.sources.metadata import cleaned
from flows.sources.rejection import Rejected

logger = logging.getLogger(__name__)

DOCUMENT_COLUMNS = [
    "doc_id", "ref", "source", "format", "municipality_input", "gm_code", "municipality",
    "municipality_original", "merged", "date", "year", "doc_type", "title", "source_url",
    "n_pages", "n_chars", "content_sha256", "pages",
]
REJECTED_COLUMNS = ["ref", "source", "stage", "reason_code", "reason", "municipality_input", "input_sha256"]
DUPLICATE_COLUMNS = ["ref", "source", "duplicate_of_ref", "doc_id"]


def content_hash(pages: list[str]) -> str:
    return hashlib.sha256("\f".join(pages).encode("utf-8")).hexdigest()


@dataclass
class IngestResult:
    documents: pd.DataFrame  # metadata of the kept documents; their pages went to the sink
    rejected: pd.DataFrame
    duplicates: pd.DataFrame
    corpus_hash: str
    inputs: int


@dataclass
class _Collector:
    source: str
    sink: Callable[[dict[str, Any]], None]
    documents: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[dict[str, Any]] = field(default_factory=list)
    duplicates: list[dict[str, Any]] = field(default_factory=list)
    # doc_id (text and municipality) -> ref of the input kept for it
    kept: dict[str, str] = field(default_factory=dict)
    digests: list[tuple[str, str]] = field(default_factory=list)

    def reject(self, candidate: Candidate, rejection: Rejected, municipality: str | None = None) -> None:
        self.rejected.append({
            "ref": candidate.ref, "source": self.source, "stage": "ingest",
            "reason_code": rejection.code, "reason": rejection.reason,
            "municipality_input": municipality, "input_sha256": candidate.digest or None,
        })


def ingest(
    candidates: Iterable[Candidate],
    source_name: str,
    registry: MunicipalityRegistry,
    limits: IngestConfig,
    advance: Callable[[str], None] = lambda ref: None,
    sink: Callable[[dict[str, Any]], None] = lambda document: None,
) -> IngestResult:
    """Read every candidate once; of identical texts filed for one municipality the first (in
    source order) is kept. The same text filed for two municipalities (a joint regional vision
    adopted by both councils) is a document of each.

    Each kept document (with its pages) is handed to `sink` as soon as it is read; only its
    metadata stays in memory, so memory does not grow with the size of the texts.
    """
    out = _Collector(source_name, sink)
    for candidate in candidates:
        out.digests.append((candidate.ref, candidate.digest))
        try:
            _ingest_one(candidate, out, registry, limits)
        finally:
            advance(candidate.ref)
    return IngestResult(
        documents=pd.DataFrame(out.documents, columns=[c for c in DOCUMENT_COLUMNS if c != "pages"]),
        rejected=pd.DataFrame(out.rejected, columns=REJECTED_COLUMNS),
        duplicates=pd.DataFrame(out.duplicates, columns=DUPLICATE_COLUMNS),
        corpus_hash=corpus_hash(out.digests),
        inputs=len(out.digests),
    )


def _ingest_one(candidate: Candidate, out: _Collector, registry: MunicipalityRegistry, limits: IngestConfig) -> None:
    municipality_input: str | None = None
    try:
        loaded = candidate.load()
        meta = cleaned(loaded.metadata)
        municipality_input = meta.municipality
        n_chars = sum(len(page) for page in loaded.pages)
        if n_chars > limits.max_text_chars:
            raise Rejected(
                "too_large",
                f"tekst te lang ({n_chars:,} tekens > {limits.max_text_chars:,}; zie ingest.max_text_chars)",
            )
        try:
            municipality = registry.resolve(meta.municipality)
        except UnknownMunicipality as exc:
            raise Rejected("unknown_municipality", f"{exc.reason}: {exc.value!r}") from exc
    except Rejected as rejection:
        out.reject(candidate, rejection, municipality_input)
        return
    except Exception as exc:  # a reader bug must cost one document, never the run
        logger.warning("unexpected error reading %s", candidate.ref, exc_info=True)
        out.reject(candidate, Rejected("reader_error", f"onverwachte fout bij lezen: {type(exc).__name__}: {exc}"[:300]), municipality_input)
        return
    text_hash = content_hash(loaded.pages)
    doc_id = document_id(text_hash, municipality.gm_code)
    if doc_id in out.kept:
        out.duplicates.append({
            "ref": candidate.ref, "source": out.source, "duplicate_of_ref": out.kept[doc_id], "doc_id": doc_id,
        })
        return
    out.kept[doc_id] = candidate.ref
    document = {
        "doc_id": doc_id, "ref": candidate.ref, "source": out.source,
        "format": loaded.format, "municipality_input": municipality_input,
        "gm_code": municipality.gm_code, "municipality": municipality.name,
        "municipality_original": municipality.original_name, "merged": municipality.merged,
        "date": meta.date, "year": meta.date.year if meta.date else None,
        "doc_type": meta.doc_type, "title": meta.title, "source_url": meta.source_url,
        "n_pages": len(loaded.pages), "n_chars": n_chars, "content_sha256": text_hash,
        "pages": loaded.pages,
    }
    out.sink(document)
    out.documents.append({k: v for k, v in document.items() if k != "pages"})


def document_id(text_hash: str, gm_code: str) -> str:
    """16 hex characters of the hash of text and municipality: the same text filed by two
    councils is two documents, and an id depends on neither file names nor source order."""
    return hashlib.sha256(f"{text_hash}|{gm_code}".encode("utf-8")).hexdigest()[:16]
