"""The token view every matcher uses: a doc's non-space tokens as arrays of string ids.

The view is built once per doc (after the lemmatizer) from the doc's own arrays. The frame
matcher, the polarity rules and the classifier units all read it: they find the few
positions where a pattern could start with numpy (nlp/patterns.py) and read strings only
around those. Reading (lower, lemma) strings for every token, or a spaCy Token object per
token, cost several times what the tokenizer does.
"""

from __future__ import annotations

import bisect
import weakref
from typing import Iterator

import numpy
from spacy.attrs import IDX, IS_SPACE, LEMMA, LENGTH, LOWER, SENT_START
from spacy.strings import StringStore
from spacy.tokens import Doc

from nlp.idmap import IdMap
from nlp.patterns import MEMO_LIMIT, STRING_NUMBERS, Tokens

# Kept beside the doc, not in doc.user_data, so Doc.to_bytes keeps working for users.
_VIEWS: "weakref.WeakKeyDictionary[Doc, TokenView]" = weakref.WeakKeyDictionary()


class _LowerLemmas:
    """lemma id -> the id of the lemma in lower case (the same id when it already is; 0 for
    none), remembered per StringStore: the lower-cased string is added to the store the doc's
    strings are read from."""

    def __init__(self) -> None:
        self._lowered = IdMap("uint64", limit=MEMO_LIMIT)
        self._strings: StringStore | None = None

    def __call__(self, ids: numpy.ndarray, strings: StringStore) -> numpy.ndarray:
        if strings is not self._strings:
            self._lowered.clear()
            self._strings = strings
        return self._lowered.get(ids, lambda new: [self._lower(i, strings) for i in new])

    @staticmethod
    def _lower(lemma_id: int, strings: StringStore) -> int:
        if not lemma_id:
            return 0
        text = strings[lemma_id]
        return lemma_id if text.lower() == text else strings.add(text.lower())


_LOWER_LEMMAS = _LowerLemmas()


class TokenView:
    """A doc's non-space tokens; "position" k is the k-th non-space token."""

    def __init__(self, doc: Doc) -> None:
        if len(doc) and not doc.has_annotation("SENT_START"):
            raise ValueError("the doc has no sentence boundaries; regiescan_sentences must run before this component")
        self.strings: StringStore = doc.vocab.strings
        rows = doc.to_array([LOWER, LEMMA, IS_SPACE, IDX, LENGTH, SENT_START]).reshape(-1, 6)
        rows = rows.astype("uint64")  # SENT_START's -1 wraps; it is only compared with 1 below
        non_space = rows[:, 2] == 0
        self.indices: numpy.ndarray = numpy.flatnonzero(non_space)  # doc index of each position
        self.lower: numpy.ndarray = rows[non_space, 0]
        self.lemma: numpy.ndarray = self._lower_lemmas(rows[non_space, 1], self.lower)
        # before[i]: how many non-space tokens precede doc token i (len(doc) + 1 entries)
        self.before: numpy.ndarray = numpy.concatenate(([0], numpy.cumsum(non_space)))
        self.char_start: numpy.ndarray = rows[:, 3].astype("int64")  # per doc token
        self.char_end: numpy.ndarray = self.char_start + rows[:, 4].astype("int64")
        starts = numpy.flatnonzero(rows[:, 5] == 1) if len(doc) else numpy.zeros(0, dtype="int64")
        if len(doc) and (not len(starts) or starts[0] != 0):
            starts = numpy.concatenate(([0], starts))
        # Sentences as in doc.sents (as Python lists: they are read one item at a time):
        # the doc token each starts at, the positions lo..hi-1 it holds, and its characters,
        # leading and trailing whitespace tokens included as in spaCy's sentence span.
        ends = numpy.concatenate((starts[1:], [len(doc)])).astype("int64") if len(starts) else starts
        self.sentence_doc_start: list[int] = starts.tolist()
        self._sentence_lo = self.before[starts]
        self.sentence_lo: list[int] = self._sentence_lo.tolist()
        self._sentence_hi = self.before[ends]
        self.sentence_hi: list[int] = self._sentence_hi.tolist()
        self.sentence_chars: list[tuple[int, int]] = list(zip(
            self.char_start[starts].tolist(), self.char_end[ends - 1].tolist()))
        # Every distinct form and lemma id, and where each position's two ids are in it:
        # a per-string answer then spreads to the positions by indexing, in C.
        both = numpy.concatenate((self.lower, self.lemma))
        self.unique_ids, inverse = numpy.unique(both, return_inverse=True)
        inverse = inverse.reshape(-1)
        self.lower_in_unique, self.lemma_in_unique = inverse[:len(self.lower)], inverse[len(self.lower):]
        self._numbers, self._numbers_generation = numpy.zeros(0, dtype="int64"), -1
        self._all_tokens: Tokens | None = None

    def _lower_lemmas(self, lemma: numpy.ndarray, lower: numpy.ndarray) -> numpy.ndarray:
        """Lemma ids in lower case; a token without a lemma takes its lower form."""
        ids, inverse = numpy.unique(lemma, return_inverse=True)
        lowered = _LOWER_LEMMAS(ids, self.strings)[inverse.reshape(-1)] if len(ids) else lemma
        return numpy.where(lowered == 0, lower, lowered)

    def __len__(self) -> int:
        return len(self.indices)

    def unique_numbers(self) -> numpy.ndarray:
        """STRING_NUMBERS's number of each unique id (renumbered if a new generation began)."""
        if self._numbers_generation != STRING_NUMBERS.generation:
            self._numbers = STRING_NUMBERS.of(self.unique_ids)
            self._numbers_generation = STRING_NUMBERS.generation
        return self._numbers

    def positions_where(self, flags: numpy.ndarray, by_lemma: bool = True) -> numpy.ndarray:
        """Positions whose form (or lemma) is flagged (`flags`: one bool per unique id), in order."""
        found = flags[self.lower_in_unique]
        return numpy.flatnonzero(found | flags[self.lemma_in_unique] if by_lemma else found)

    def text(self, string_id: int) -> str:
        return self.strings[string_id]

    def tokens(self) -> Tokens:
        """All positions as the matcher reads them (string ids as keys); built once."""
        if self._all_tokens is None:
            # The string store's own lookup, not self.text: a bound method of the view would
            # make view -> tokens -> view a reference cycle, and every doc's view would then
            # wait for the garbage collector instead of going with its doc (1 in 10 of the
            # analyse step's time went to collections).
            self._all_tokens = Tokens(self.lower.tolist(), self.lemma.tolist(), self.strings.__getitem__)
        return self._all_tokens

    def sentence_numbers(self, positions: numpy.ndarray) -> numpy.ndarray:
        """The sentence number of each position."""
        return numpy.searchsorted(self._sentence_lo, positions, side="right") - 1

    def sentence_ends(self, numbers: numpy.ndarray) -> numpy.ndarray:
        """The end (exclusive position) of each numbered sentence."""
        return self._sentence_hi[numbers]

    def sentences(self) -> Iterator[tuple[int, int, int]]:
        """(sentence number, lo, hi) of the sentences holding a non-space token; positions lo..hi-1."""
        for number, (lo, hi) in enumerate(zip(self.sentence_lo, self.sentence_hi)):
            if hi > lo:
                yield number, lo, hi

    def sentence_of(self, doc_index: int) -> int:
        return bisect.bisect_right(self.sentence_doc_start, doc_index) - 1

    def position(self, doc_index: int) -> int:
        """The position of a non-space doc token."""
        return int(self.before[doc_index])


def token_view(doc: Doc) -> TokenView:
    view = _VIEWS.get(doc)
    if view is None:
        view = _VIEWS[doc] = TokenView(doc)
    return view
