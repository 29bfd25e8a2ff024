"""The token view every matcher uses: a sentence's non-space tokens as (lower, lemma).

The view is built once per doc (after the lemmatizer) and sliced per sentence: the frame
matcher, the polarity rules and the classifier units all read it, and building it from
spaCy Token objects in each of them cost more than the tokenizer itself.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from spacy.attrs import IS_SPACE, LEMMA, LOWER
from spacy.tokens import Doc, Span

# Kept beside the doc, not in doc.user_data, so Doc.to_bytes keeps working for users.
_VIEWS: "weakref.WeakKeyDictionary[Doc, TokenView]" = weakref.WeakKeyDictionary()


@dataclass(frozen=True)
class TokenView:
    indices: list[int]  # doc indices of the non-space tokens
    forms: list[tuple[str, str]]  # their (lower form, lower lemma)
    before: list[int]  # before[i]: how many non-space tokens precede doc token i (len(doc)+1 entries)


def token_view(doc: Doc) -> TokenView:
    view = _VIEWS.get(doc)
    if view is None:
        view = _VIEWS[doc] = _build_view(doc)
    return view


def _build_view(doc: Doc) -> TokenView:
    strings = doc.vocab.strings
    memo: dict[tuple[int, int], tuple[str, str]] = {}
    indices: list[int] = []
    forms: list[tuple[str, str]] = []
    before: list[int] = []
    for i, (lower_id, lemma_id, is_space) in enumerate(doc.to_array([LOWER, LEMMA, IS_SPACE]).tolist()):
        before.append(len(indices))
        if is_space:
            continue
        form = memo.get((lower_id, lemma_id))
        if form is None:
            lower = strings[lower_id]
            lemma = strings[lemma_id].lower() if lemma_id else ""
            form = memo[(lower_id, lemma_id)] = (lower, lemma or lower)
        indices.append(i)
        forms.append(form)
    before.append(len(indices))
    return TokenView(indices, forms, before)


def sentence_forms(sent: Span) -> tuple[list[int], list[tuple[str, str]]]:
    """Doc indices of the sentence's non-space tokens and their (lower form, lower lemma)."""
    view = token_view(sent.doc)
    lo, hi = view.before[sent.start], view.before[sent.end]
    return view.indices[lo:hi], view.forms[lo:hi]


def span_text(doc_text: str, span: Span) -> str:
    """span.text from the doc's text, read once by the caller (doc.text and span.text both
    join a new Token object per token on every call; this is the same string)."""
    return doc_text[span.start_char:span.end_char]
