"""Text units the stance classifier sees: a short passage whole, a long text by sentence.

The model is trained on passages of 1-4 sentences, so a text of up to
MAX_PASSAGE_SENTENCES sentences is one unit; longer texts (whole documents) are split
into sentences and their stance is built from the sentences' stances.
"""

from __future__ import annotations

from dataclasses import dataclass

from spacy.tokens import Doc, Span

from nlp.features import unit_features
from nlp.mentions import Mention, mention_from_span
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


def _unit(doc: Doc, sentences: list[Span]) -> Unit:
    start, end = sentences[0].start, sentences[-1].end
    span = doc[start:end]
    forms = [form for sent in sentences for form in sentence_forms(sent)[1]]
    mentions = [mention_from_span(m) for m in doc._.frame_mentions if start <= m.start and m.end <= end]
    text = span.text.strip()
    offset = span.start_char + (len(span.text) - len(span.text.lstrip()))
    return Unit(text, offset, offset + len(text), mentions, unit_features(mentions, forms))


def passage_unit(doc: Doc) -> Unit | None:
    """The whole text as one unit (training passages, short inputs)."""
    sentences = _sentences(doc)
    return _unit(doc, sentences) if sentences else None


def units_of(doc: Doc) -> list[Unit]:
    """One unit for a passage (<= MAX_PASSAGE_SENTENCES sentences), else one per sentence."""
    sentences = _sentences(doc)
    if not sentences:
        return []
    if len(sentences) <= MAX_PASSAGE_SENTENCES:
        return [_unit(doc, sentences)]
    return [_unit(doc, [sent]) for sent in sentences]
