"""spaCy component `regiescan_lemmatizer`: spaCy's Dutch lookup lemmatizer, once per distinct word.

spaCy's lookup lemmatizer works token by token in Python: a Token object, a lower-cased
string, a table look-up and a StringStore write per token, which cost more than the
tokenizer. Its answer depends only on the token's text, so this subclass looks each
distinct text up once (and remembers it) and writes a doc's lemmas with one
Doc.from_array call. Same tables (spacy-lookups-data), same lemmas: tests/test_lemmatizer.py
compares the two on every token.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy
from spacy.attrs import LEMMA, ORTH
from spacy.errors import Errors
from spacy.lang.nl.lemmatizer import DutchLemmatizer
from spacy.language import Language
from spacy.strings import StringStore
from spacy.tokens import Doc

from nlp.idmap import IdMap
from nlp.patterns import MEMO_LIMIT


class LookupLemmatizer(DutchLemmatizer):
    """DutchLemmatizer in lookup mode (the only mode that works without a tagger)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lemma_ids = IdMap("uint64", limit=MEMO_LIMIT)  # ORTH id -> LEMMA id in self._strings
        self._strings: StringStore | None = None

    def __call__(self, doc: Doc) -> Doc:
        if self.mode != "lookup":
            return super().__call__(doc)
        if not self._validated:
            self._validate_tables(Errors.E1004)
        if not len(doc):
            return doc
        strings = doc.vocab.strings
        # Lemma ids are only valid in the store they were added to.
        if strings is not self._strings:
            self._lemma_ids.clear()
            self._strings = strings
        rows = doc.to_array([ORTH, LEMMA]).reshape(-1, 2)
        orths, inverse = numpy.unique(rows[:, 0], return_inverse=True)
        table = self.lookups.get_table("lemma_lookup", {})
        lemma_ids = self._lemma_ids.get(orths, lambda new: [self._lemma_id(orth, strings, table) for orth in new])
        lemmas = lemma_ids[inverse.reshape(-1)]
        if not self.overwrite:  # as spaCy's: only tokens without a lemma get one
            lemmas = numpy.where(rows[:, 1] == 0, lemmas, rows[:, 1])
        doc.from_array([LEMMA], lemmas.reshape(-1, 1))
        return doc

    @staticmethod
    def _lemma_id(orth: int, strings: StringStore, table: Any) -> int:
        text = strings[orth].lower()  # DutchLemmatizer.lookup_lemmatize: the table's keys are lower case
        return strings.add(table.get(text, text))


@Language.factory(
    "regiescan_lemmatizer",
    assigns=["token.lemma"],
    default_config={
        "model": None, "mode": "lookup", "overwrite": False,
        "scorer": {"@scorers": "spacy.lemmatizer_scorer.v1"},
    },
    default_score_weights={"lemma_acc": 1.0},
)
def make_lookup_lemmatizer(
    nlp: Language, model: Any, name: str, mode: str, overwrite: bool, scorer: Callable[..., Any] | None,
) -> LookupLemmatizer:
    return LookupLemmatizer(nlp.vocab, model, name, mode=mode, overwrite=overwrite, scorer=scorer)
