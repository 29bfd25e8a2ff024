"""Text units the stance classifier sees: a short passage whole, a long text by sentence.

The model is trained on passages of 1-4 sentences, so a text of up to
MAX_PASSAGE_SENTENCES sentences is one unit; longer texts (whole documents) are split
into sentences and their stance is built from the sentences' stances.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from spacy.tokens import Doc, Span

from nlp.features import unit_features
from nlp.mentions import Mention
from nlp.tokens import sentence_forms, span_text

MAX_PASSAGE_SENTENCES = 4


@dataclass
class Unit:
    text: str
    start: int  # character offsets in the analysed text
    end: int
    mentions: list[Mention]
    features: dict[str, float]


def text_sentences(doc: Doc, doc_text: str) -> list[Span]:
    """The doc's sentences that hold more than whitespace (`doc_text` is doc.text)."""
    return [s for s in doc.sents if span_text(doc_text, s).strip()]


class _MentionIndex:
    """The doc's mentions sorted by offset, so each unit finds its own in O(log n)."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]

    def within(self, start: int, end: int) -> list[Mention]:
        lo, hi = bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]


def _unit(doc: Doc, doc_text: str, sentences: list[Span], index: _MentionIndex) -> Unit:
    span = doc[sentences[0].start:sentences[-1].end]
    forms = [form for sent in sentences for form in sentence_forms(sent)[1]]
    mentions = index.within(span.start_char, span.end_char)
    raw = span_text(doc_text, span)
    text = raw.strip()
    offset = span.start_char + (len(raw) - len(raw.lstrip()))
    return Unit(text, offset, offset + len(text), mentions, unit_features(mentions, forms))


def passage_unit(doc: Doc, doc_text: str, sentences: list[Span], mentions: list[Mention]) -> Unit | None:
    """The whole text as one unit (training passages, short inputs); `sentences` are the
    doc's text sentences, `mentions` its mentions."""
    return _unit(doc, doc_text, sentences, _MentionIndex(mentions)) if sentences else None


def units_of(doc: Doc, doc_text: str, sentences: list[Span], mentions: list[Mention]) -> list[Unit]:
    """One unit for a passage (<= MAX_PASSAGE_SENTENCES sentences), else one per sentence."""
    if not sentences:
        return []
    index = _MentionIndex(mentions)
    if len(sentences) <= MAX_PASSAGE_SENTENCES:
        return [_unit(doc, doc_text, sentences, index)]
    return [_unit(doc, doc_text, [sent], index) for sent in sentences]
