"""The interface every document source implements, and the record a candidate loads into."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

from flows.sources.metadata import Metadata


@dataclass(frozen=True)
class LoadedDocument:
    pages: list[str]
    metadata: Metadata
    format: str  # "pdf", "docx", "ori", ...


class Candidate(Protocol):
    """One input: it ends up analysed, rejected or a duplicate, never lost."""

    ref: str  # stable reference shown to users: a path relative to the corpus, or an API id
    digest: str  # sha256 of the raw input bytes ("" when they could not be read)

    def load(self) -> LoadedDocument:
        """Read and describe the input; raises Rejected with the reason it cannot be used."""
        ...


class DocumentSource(Protocol):
    name: str

    def candidates(self) -> Iterator[Candidate]:
        """Every input of this source, in a deterministic order."""
        ...
