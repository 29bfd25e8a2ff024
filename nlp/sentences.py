"""A sentence splitter for council documents: abbreviations, list items, headings.

Rules (data in data/sentences.yml): a sentence ends at . ! ? (and closing quotes or
brackets after them) when a capital, digit or list marker follows; a blank line always
ends one; a single line break ends one before a list item, after a line that already
closed with punctuation, or after a short heading-like line. A line break inside a
wrapped paragraph (PDF) does not. A sentence of more than max_words words is cut.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy
import yaml
from spacy.attrs import ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from nlp.idmap import IdMap
from nlp.lexicon import DATA_DIR
from nlp.patterns import MEMO_LIMIT

CLOSERS = {'"', "'", "”", "’", ")", "]", "»", "“", "‘"}
ENDERS = {".", "!", "?", "…", "...", "?!", "!?"}


@dataclass(frozen=True)
class SentenceRules:
    final_abbreviations: frozenset[str]
    list_markers: frozenset[str]
    heading_max_words: int
    max_words: int


@lru_cache(maxsize=4)
def load_rules(path: Path = DATA_DIR / "sentences.yml") -> SentenceRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return SentenceRules(
        frozenset(a.lower() for a in data["final_abbreviations"]),
        frozenset(data["list_markers"]),
        int(data["heading_max_words"]),
        int(data["max_words"]),
    )


# Per-string properties the rules read, as bits (one int per distinct token text).
SPACE, NEWLINE, BLANK_LINE, ENDER, CLOSER, CLOSES_LINE, UPPER, STARTS_NEW = (1 << b for b in range(8))
MARKER, DIGITS, ABBREVIATION, LETTER, DOT_OR_PAREN, PAREN = (1 << b for b in range(8, 14))


def _properties(text: str, rules: SentenceRules) -> int:
    first, is_space = text[:1], text.isspace()  # spaCy's IS_SPACE
    bits = {
        SPACE: is_space,
        NEWLINE: is_space and "\n" in text,
        BLANK_LINE: is_space and text.count("\n") >= 2,
        ENDER: text in ENDERS,
        CLOSER: text in CLOSERS,
        CLOSES_LINE: text in ENDERS or text in CLOSERS or text.endswith(":"),
        UPPER: first.isupper(),
        STARTS_NEW: first.isupper() or first.isdigit() or first in CLOSERS or not first.isalnum(),
        MARKER: text in rules.list_markers,
        DIGITS: text.isdigit(),
        ABBREVIATION: text.lower() in rules.final_abbreviations,
        LETTER: len(text) == 1 and text.isalpha(),
        DOT_OR_PAREN: text in {".", ")"},
        PAREN: text == ")",
    }
    return sum(bit for bit, value in bits.items() if value)


class SentenceSplitter:
    """The rules above, applied to a whole doc at once with numpy.

    Each distinct token text is classified once (remembered by ORTH id); the sentence
    starts are then computed from those bits over the doc's arrays. A per-token Python loop
    (or a Token object per token) cost more than the tokenizer."""

    def __init__(self, rules: SentenceRules) -> None:
        self.rules = rules
        self._properties = IdMap("int64", limit=MEMO_LIMIT)  # ORTH id -> bits

    def __call__(self, doc: Doc) -> Doc:
        if len(doc):
            starts = self.sentence_starts(self._token_properties(doc))
            values = numpy.where(starts, 1, -1).astype("uint64")  # -1 wraps, as spaCy stores it
            # Written in one call: spaCy's Token.is_sent_start setter scans the whole doc
            # on every call, which made long documents quadratic.
            doc.from_array([SENT_START], values.reshape(-1, 1))
        return doc

    def _token_properties(self, doc: Doc) -> numpy.ndarray:
        orths, inverse = numpy.unique(doc.to_array(ORTH), return_inverse=True)
        strings = doc.vocab.strings
        bits = self._properties.get(orths, lambda new: [_properties(strings[orth], self.rules) for orth in new])
        return bits[inverse.reshape(-1)]

    def sentence_starts(self, bits: numpy.ndarray) -> numpy.ndarray:
        """Which tokens start a sentence, from each token's property bits."""
        n = len(bits)
        has = lambda bit: (bits & bit) != 0  # noqa: E731
        space, newline = has(SPACE), has(SPACE) & has(NEWLINE)
        words = numpy.flatnonzero(~space)  # the non-space tokens, in order
        starts = numpy.zeros(n, dtype=bool)
        starts[0] = True
        if not len(words):
            return starts
        # A token opens a list item: a marker, or "1." / "1)" / "a)".
        following = numpy.append(bits[1:], 0)
        list_item = has(MARKER) | (
            ((following & DOT_OR_PAREN) != 0) & (has(DIGITS) | (has(LETTER) & ((following & PAREN) != 0))))
        # Newlines seen up to and including each token; words seen before each token.
        newlines_upto = numpy.cumsum(newline)
        words_before = numpy.concatenate(([0], numpy.cumsum(~space)))[:-1]

        # Line breaks: a newline token between two words starts a sentence at the next word
        # after a blank line, after a line closed by punctuation, after a short heading-like
        # line before a capital, or before a list item.
        breaks = numpy.flatnonzero(newline)
        word_after = numpy.searchsorted(words, breaks)  # index into words of the next word
        inside = (words_before[breaks] > 0) & (word_after < len(words))
        breaks, word_after = breaks[inside], word_after[inside]
        before, after = words[word_after - 1], words[word_after]
        previous_break = numpy.concatenate(([0], breaks[:-1]))
        line_words = words_before[breaks] - numpy.where(
            numpy.arange(len(breaks)) > 0, words_before[previous_break], 0)
        fires = (
            has(BLANK_LINE)[breaks] | has(CLOSES_LINE)[before] | list_item[after]
            | ((line_words <= self.rules.heading_max_words) & has(UPPER)[after])
        )
        fired = numpy.zeros(n, dtype=bool)
        fired[after[fires]] = True
        starts |= fired

        # A list item at the start of a line (after a newline, or the doc's first word).
        line_start = numpy.ones(len(words), dtype=bool)
        line_start[1:] = newlines_upto[words[1:]] > newlines_upto[words[:-1]]
        starts[words[line_start & list_item[words] & (words > 0)]] = True

        # After . ! ? (not "1." opening a line) or a final abbreviation, the next word that is
        # not a closing quote or bracket starts a sentence if it looks like a start, unless a
        # line break between them already started one (on a closer).
        previous_word = numpy.concatenate(([-1], words[:-1]))
        at_line_start = (previous_word == 0) | (
            (previous_word > 0) & newline[numpy.maximum(previous_word - 1, 0)])
        list_number = (previous_word >= 0) & has(DIGITS)[numpy.maximum(previous_word, 0)] & at_line_start
        ender = has(ENDER)[words]
        sets_pending = (ender & ~list_number) | (~ender & has(ABBREVIATION)[words])
        open_words = numpy.flatnonzero(~has(CLOSER)[words])  # indexes into words
        takers = words[open_words[1:]]
        givers = words[open_words[:-1]]
        fired_upto = numpy.cumsum(fired)
        pending = sets_pending[open_words[:-1]] & (fired_upto[takers] == fired_upto[givers])
        starts[takers[pending & has(STARTS_NEW)[takers]]] = True

        # A sentence longer than max_words words is cut every max_words words.
        word_starts = starts[words]
        word_starts[0] = True  # the first word opens the first sentence (token 0 may be a space)
        first_word = numpy.flatnonzero(word_starts)  # index into words of each sentence's first word
        position = numpy.arange(len(words)) - first_word[numpy.cumsum(word_starts) - 1]
        starts[words[(position > 0) & (position % self.rules.max_words == 0)]] = True
        return starts


@Language.factory("regiescan_sentences", default_config={"rules_path": None})
def make_sentence_splitter(nlp: Language, name: str, rules_path: str | None):  # type: ignore[no-untyped-def]
    return SentenceSplitter(load_rules(Path(rules_path)) if rules_path else load_rules())
