"""The stance model's TF-IDF columns for new texts, computed once per distinct word.

A fitted TfidfVectorizer counts every n-gram of every text in Python: for the character
n-grams of a corpus that was about twice the cost of regiescan's whole analysis. A word's
character n-grams (analyzer "char_wb": within the word, padded with a space) depend on the
word alone, so FittedTfidf remembers each word's vocabulary columns; word unigrams and bigrams
are looked up in the vocabulary directly. The counts then get the vectorizer's own tf-idf
weighting (the same operations in the same order), so the matrix equals
vectorizer.transform(texts): tests/test_classifier.py compares them value for value.
Only the settings regiescan trains with are supported; others are refused.
"""

from __future__ import annotations

import re
from itertools import chain
from typing import Sequence

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.preprocessing import normalize

from nlp.patterns import Memo

_REQUIRED = {"input": "content", "lowercase": True, "preprocessor": None, "tokenizer": None, "strip_accents": None,
             "stop_words": None, "binary": False, "use_idf": True}


class FittedTfidf:
    def __init__(self, vectorizer: TfidfVectorizer) -> None:
        params = vectorizer.get_params()
        wrong = {k: params[k] for k, v in _REQUIRED.items() if params[k] != v}
        if params["analyzer"] not in ("word", "char_wb") or wrong or params["norm"] not in ("l2", None):
            raise ValueError(f"FittedTfidf supports analyzer word/char_wb with defaults; got "
                             f"analyzer={params['analyzer']!r}, norm={params['norm']!r}, {wrong}")
        self.vectorizer = vectorizer
        self.char = params["analyzer"] == "char_wb"
        self.ngram_range: tuple[int, int] = params["ngram_range"]
        if not self.char and tuple(self.ngram_range) not in ((1, 1), (1, 2)):
            raise ValueError(f"FittedTfidf supports word n-grams (1, 1) and (1, 2); got {self.ngram_range}")
        self.token_pattern = re.compile(params["token_pattern"])
        self.vocabulary: dict[str, int] = vectorizer.vocabulary_
        self._word_columns = Memo()  # char_wb: word -> its n-grams' columns (with repeats)

    def transform(self, texts: Sequence[str]) -> sp.csr_matrix:
        if self.char:
            return self._weighted(self._char_counts(texts))
        return self._weighted(_counts([self._token_columns(t) for t in texts], len(self.vocabulary)))

    def _char_counts(self, texts: Sequence[str]) -> sp.csr_matrix:
        """(texts x words) @ (words x n-grams): each distinct word's n-gram columns are listed
        once per call, not once per occurrence (about 14 columns per word in the bench corpus)."""
        words: dict[str, int] = {}  # this call's distinct words, numbered in order of appearance
        number = words.setdefault
        per_text = [[number(w, len(words)) for w in t.lower().split()] for t in texts]
        memo = self._word_columns
        grams = []
        for word in words:
            columns = memo.get(word)
            if columns is None:
                columns = memo[word] = self._ngram_columns(word)
            grams.append(columns)
        counts = _counts(per_text, len(words)) @ _counts(grams, len(self.vocabulary))
        counts.sort_indices()
        return counts

    def _weighted(self, counts: sp.csr_matrix) -> sp.csr_matrix:
        """TfidfTransformer.transform's operations on the counts."""
        if self.vectorizer.sublinear_tf:
            np.log(counts.data, counts.data)
            counts.data += 1.0
        counts.data *= self.vectorizer.idf_[counts.indices]
        if self.vectorizer.norm is not None:
            counts = normalize(counts, norm=self.vectorizer.norm, copy=False)
        return counts

    def _ngram_columns(self, word: str) -> list[int]:
        """sklearn's _char_wb_ngrams for one word, as vocabulary columns."""
        padded = f" {word} "
        low, high = self.ngram_range
        columns = []
        for n in range(low, high + 1):
            grams = [padded[i:i + n] for i in range(max(1, len(padded) - n + 1))]
            columns += [self.vocabulary[g] for g in grams if g in self.vocabulary]
            if len(padded) <= n:  # a short word counts once, at its shortest n
                break
        return columns

    def _token_columns(self, text: str) -> list[int]:
        tokens = self.token_pattern.findall(text.lower())
        grams = tokens if self.ngram_range[1] == 1 else tokens + [f"{a} {b}" for a, b in zip(tokens, tokens[1:])]
        vocabulary = self.vocabulary
        return [vocabulary[g] for g in grams if g in vocabulary]


def _counts(rows: Sequence[list[int]], n_columns: int) -> sp.csr_matrix:
    """A count matrix from each row's column numbers (repeats count): built as CSR directly,
    duplicates summed, indices sorted, as CountVectorizer gives them."""
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum([len(r) for r in rows], out=indptr[1:])
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=int(indptr[-1]))
    counts = sp.csr_matrix((np.ones(len(flat)), flat, indptr), shape=(len(rows), n_columns))
    counts.sum_duplicates()
    return counts
