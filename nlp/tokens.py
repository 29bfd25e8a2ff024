"""The token view every matcher uses: a sentence's non-space tokens as (lower, lemma)."""

from __future__ import annotations

from spacy.tokens import Span


def sentence_forms(sent: Span) -> tuple[list[int], list[tuple[str, str]]]:
    """Doc indices of the sentence's non-space tokens and their (lower form, lower lemma)."""
    indices: list[int] = []
    forms: list[tuple[str, str]] = []
    for token in sent:
        if token.is_space:
            continue
        indices.append(token.i)
        lower = token.lower_
        forms.append((lower, token.lemma_.lower() or lower))
    return indices, forms
