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
from nlp.tokens import sentence_forms

MAX_PASSAGE_SENTENCES = 4


@dataclass
class Unit:
    text: str
    start: int  # character offsets in the analysed text
    end: int
    mentions: list[Mention]
    features: dict[str, float]


def _sentences(doc: Doc) -> list[Span]:
    return [s for s in doc.sents if s.text.strip()]


class _MentionIndex:
    """The doc's mentions sorted by offset, so each unit finds its own in O(log n)."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]

    def within(self, start: int, end: int) -> list[Mention]:
        lo, hi = bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]


def _unit(doc: Doc, sentences: list[Span], index: _MentionIndex) -> Unit:
    span = doc[sentences[0].start:sentences[-1].end]
    forms = [form for sent in sentences for form in sentence_forms(sent)[1]]
    mentions = index.within(span.start_char, span.end_char)
    text = span.text.strip()
    offset = span.start_char + (len(span.text) - len(span.text.lstrip()))
    return Unit(text, offset, offset + len(text), mentions, unit_features(mentions, forms))


def passage_unit(doc: Doc, mentions: list[Mention]) -> Unit | None:
    """The whole text as one unit (training passages, short inputs); `mentions` are the doc's."""
    sentences = _sentences(doc)
    return _unit(doc, sentences, _MentionIndex(mentions)) if sentences else None


def units_of(doc: Doc, mentions: list[Mention]) -> list[Unit]:
    """One unit for a passage (<= MAX_PASSAGE_SENTENCES sentences), else one per sentence."""
    sentences = _sentences(doc)
    if not sentences:
        return []
    index = _MentionIndex(mentions)
    if len(sentences) <= MAX_PASSAGE_SENTENCES:
        return [_unit(doc, sentences, index)]
    return [_unit(doc, [sent], index) for sent in sentences]
