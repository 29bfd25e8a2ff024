"""The evidence sentences as the report's pages need them, read once and never all at once.

The evidence table grows with the corpus (a row per endorsed or rejected frame word, and per
frame word of an evidence sentence).
Document pages take their own sentences as the documents stream past (DocumentEvidence);
a municipality page shows counts, the strongest sentences per stance and the first sentences
in time, so per municipality only those few are kept (MunicipalityEvidence): memory stays
bounded by the number of municipalities, not by the number of documents.
"""

from __future__ import annotations

from collections import Counter
from operator import itemgetter
from typing import Any, Callable, Generic, Iterator, TypeVar

from flows.report.kwic import FRAMES, EvidenceSentence

T = TypeVar("T")


class DocumentEvidence:
    """Each document's evidence sentences, taken in the order the document pages are written.

    `groups` yields (doc_id, sentences) in the evidence table's order, which the run makes
    the documents' order; a document asked for out of that order is found by reading ahead,
    keeping what is passed over until it is asked for (or handed out by `rest`).
    """

    def __init__(self, groups: Iterator[tuple[str, list[EvidenceSentence]]], with_evidence: set[str]) -> None:
        self.groups = groups
        self.with_evidence = with_evidence
        self.ahead: dict[str, list[EvidenceSentence]] = {}

    def take(self, doc_id: str) -> list[EvidenceSentence]:
        if doc_id not in self.with_evidence:
            return []
        self.with_evidence.discard(doc_id)  # a document is taken once
        while doc_id not in self.ahead:
            found, sentences = next(self.groups)
            self.ahead[found] = sentences
        return self.ahead.pop(doc_id)

    def rest(self) -> Iterator[EvidenceSentence]:
        """The sentences of documents nobody asked for (documents without a page)."""
        for sentences in self.ahead.values():
            yield from sentences
        self.ahead = {}
        for _, sentences in self.groups:
            yield from sentences


class Top(Generic[T]):
    """The first `limit` items by `key` (as sorted() orders them) of a stream, keeping at most
    a few more than `limit` at any time. Exact: sorting is stable and the cut only drops items
    that can no longer be among the first."""

    def __init__(self, limit: int, key: Callable[[T], Any], reverse: bool = False) -> None:
        self.limit, self.key, self.reverse = limit, key, reverse
        self.slack = limit // 4 + 8
        self.keyed: list[tuple[Any, T]] = []  # each item's key computed once

    def add(self, item: T) -> None:
        self.keyed.append((self.key(item), item))
        if len(self.keyed) >= self.limit + self.slack:
            self._cut()

    def _cut(self) -> None:
        self.keyed.sort(key=itemgetter(0), reverse=self.reverse)
        del self.keyed[self.limit:]

    def first(self) -> list[T]:
        self._cut()
        return [item for _, item in self.keyed]


def strength_key(s: EvidenceSentence) -> tuple[Any, ...]:
    return (s.strength, -s.order)  # with reverse=True: strongest first, ties in table order


def time_key(s: EvidenceSentence) -> tuple[Any, ...]:
    return (str(s.date or ""), s.doc_id, s.page, s.sentence_start)


class MunicipalityEvidence:
    """What one municipality page shows of its evidence sentences."""

    def __init__(self, strongest_per_stance: int, first_in_time: int) -> None:
        self.n_by_stance: Counter[str] = Counter()
        self.n_by_document: Counter[str] = Counter()
        self.strongest = {stance: Top[EvidenceSentence](strongest_per_stance, strength_key, reverse=True)
                          for stance in FRAMES}
        self.in_time = Top[EvidenceSentence](first_in_time, time_key)

    def add(self, s: EvidenceSentence) -> None:
        self.n_by_stance[s.stance] += 1
        self.n_by_document[s.doc_id] += 1
        if s.stance in self.strongest:
            self.strongest[s.stance].add(s)
        self.in_time.add(s)

    @property
    def total(self) -> int:
        return sum(self.n_by_stance.values())

    def strongest_by_stance(self) -> list[tuple[str, list[EvidenceSentence]]]:
        """Per stance with sentences, the strongest; the stance with most sentences first."""
        found = [(stance, top.first()) for stance, top in self.strongest.items() if self.n_by_stance[stance]]
        return sorted(found, key=lambda item: -self.n_by_stance[item[0]])
