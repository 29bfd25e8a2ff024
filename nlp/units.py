"""Text units the stance classifier sees: a short passage whole, a long text by sentence.

The model is trained on passages of 1-4 sentences, so a text of up to
MAX_PASSAGE_SENTENCES sentences is one unit; longer texts (whole documents) are split
into sentences and their stance is built from the sentences' stances.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass
from typing import Sequence

import numpy

from nlp.features import unit_features, voice_patterns
from nlp.mentions import Mention
from nlp.tokens import TokenView

MAX_PASSAGE_SENTENCES = 4


@dataclass
class Unit:
    text: str
    start: int  # character offsets in the analysed text
    end: int
    mentions: list[Mention]
    features: dict[str, float]


class _MentionIndex:
    """The doc's mentions sorted by offset, so each unit finds its own in O(log n)."""

    def __init__(self, mentions: list[Mention]) -> None:
        self.mentions = sorted(mentions, key=lambda m: m.start)
        self.starts = [m.start for m in self.mentions]

    def within(self, start: int, end: int) -> list[Mention]:
        lo, hi = bisect.bisect_left(self.starts, start), bisect.bisect_left(self.starts, end)
        return [m for m in self.mentions[lo:hi] if m.end <= end]


class _UnitMaker:
    """Units of one doc: sentence numbers of its view in, text, mentions and features out."""

    def __init__(self, view: TokenView, doc_text: str, mentions: list[Mention]) -> None:
        self.view, self.doc_text = view, doc_text
        self.index = _MentionIndex(mentions)
        # Voice markers are matched once over the whole doc; a unit counts those that lie
        # wholly inside it, which is what matching the unit's own tokens finds.
        voice = voice_patterns()
        self.voice = voice.find_matches(view.tokens(), voice.start_positions(view).tolist())
        self.voice_starts = [m.start for m in self.voice]

    def sentence_units(self, sentences: list[int]) -> list[Unit]:
        """One unit per sentence (numbers, in order): the same units as unit(n, n) for each,
        with the voice markers and mentions grouped by sentence once for the whole doc."""
        view = self.view
        numbers = view.sentence_numbers(numpy.array(self.voice_starts, dtype="int64"))
        voice: dict[int, list[str]] = {}
        for match, number in zip(self.voice, numbers.tolist()):
            if match.end <= view.sentence_hi[number]:
                voice.setdefault(number, []).append(match.pattern.label)
        mentions: dict[int, list[Mention]] = {}  # by the character the mention's sentence starts at
        for mention in self.index.mentions:
            mentions.setdefault(mention.sentence_start, []).append(mention)
        units = []
        for number in sentences:
            start_char, end_char = view.sentence_chars[number]
            found = mentions.get(start_char, [])
            units.append(self._unit(start_char, end_char, found, voice.get(number, ())))
        return units

    def unit(self, first: int, last: int) -> Unit:
        """The unit from sentence `first` through sentence `last` (sentence numbers)."""
        view = self.view
        lo, hi = view.sentence_lo[first], view.sentence_hi[last]
        start_char, end_char = view.sentence_chars[first][0], view.sentence_chars[last][1]
        a, b = bisect.bisect_left(self.voice_starts, lo), bisect.bisect_left(self.voice_starts, hi)
        voice = [m.pattern.label for m in self.voice[a:b] if m.end <= hi]
        return self._unit(start_char, end_char, self.index.within(start_char, end_char), voice)

    def _unit(self, start_char: int, end_char: int, mentions: list[Mention], voice: Sequence[str]) -> Unit:
        """The unit of the text between those characters, without its surrounding whitespace."""
        raw = self.doc_text[start_char:end_char]
        text = raw.strip()
        offset = start_char + (len(raw) - len(raw.lstrip()))
        return Unit(text, offset, offset + len(text), mentions, unit_features(mentions, voice))


def text_sentences(view: TokenView) -> list[int]:
    """Numbers of the doc's sentences that hold more than whitespace."""
    return [number for number, _, _ in view.sentences()]


def passage_unit(view: TokenView, doc_text: str, sentences: list[int], mentions: list[Mention]) -> Unit | None:
    """The whole text as one unit (training passages, short inputs); `sentences` are the
    doc's text sentences, `mentions` its mentions."""
    return _UnitMaker(view, doc_text, mentions).unit(sentences[0], sentences[-1]) if sentences else None


def units_of(view: TokenView, doc_text: str, sentences: list[int], mentions: list[Mention]) -> list[Unit]:
    """One unit for a passage (<= MAX_PASSAGE_SENTENCES sentences), else one per sentence."""
    if not sentences:
        return []
    maker = _UnitMaker(view, doc_text, mentions)
    if len(sentences) <= MAX_PASSAGE_SENTENCES:
        return [maker.unit(sentences[0], sentences[-1])]
    return maker.sentence_units(sentences)
