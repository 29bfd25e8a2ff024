"""A sentence splitter for council documents: abbreviations, list items, headings.

Rules (data in data/sentences.yml): a sentence ends at . ! ? (and closing quotes or
brackets after them) when a capital, digit or list marker follows; a blank line always
ends one; a single line break ends one before a list item, after a line that already
closed with punctuation, or after a short heading-like line. A line break inside a
wrapped paragraph (PDF) does not.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy
import yaml
from spacy.attrs import IS_SPACE, ORTH, SENT_START
from spacy.language import Language
from spacy.tokens import Doc

from nlp.lexicon import DATA_DIR

CLOSERS = {'"', "'", "”", "’", ")", "]", "»", "“", "‘"}
ENDERS = {".", "!", "?", "…", "...", "?!", "!?"}


@dataclass(frozen=True)
class SentenceRules:
    final_abbreviations: frozenset[str]
    list_markers: frozenset[str]
    heading_max_words: int


@lru_cache(maxsize=4)
def load_rules(path: Path = DATA_DIR / "sentences.yml") -> SentenceRules:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return SentenceRules(
        frozenset(a.lower() for a in data["final_abbreviations"]),
        frozenset(data["list_markers"]),
        int(data["heading_max_words"]),
    )


def _starts_new(text: str) -> bool:
    return text[:1].isupper() or text[:1].isdigit() or text[:1] in CLOSERS or not text[:1].isalnum()


def _is_list_item_start(words: list[str], i: int, rules: SentenceRules) -> bool:
    """Token i opens a list item: a marker, "1." / "1)" / "a)" at the start of a line."""
    text = words[i]
    if text in rules.list_markers:
        return True
    if i + 1 < len(words) and words[i + 1] in {".", ")"}:
        return text.isdigit() or (len(text) == 1 and text.isalpha() and words[i + 1] == ")")
    return False


def _token_texts(doc: Doc) -> tuple[list[str], list[bool]]:
    """Each token's text and whether it is whitespace, read from the doc's arrays: iterating
    the doc would build a Token object per token, which cost more than the rules."""
    strings = doc.vocab.strings
    rows = doc.to_array([ORTH, IS_SPACE]).tolist()
    memo: dict[int, str] = {}
    words = [memo.get(orth) or memo.setdefault(orth, strings[orth]) for orth, _ in rows]
    return words, [bool(space) for _, space in rows]


def set_sentence_starts(doc: Doc, rules: SentenceRules) -> Doc:
    if not len(doc):
        return doc
    words, spaces = _token_texts(doc)
    # Decided here and written in one call at the end: spaCy's Token.is_sent_start setter
    # scans the whole doc on every call, which made long documents quadratic.
    starts = [False] * len(doc)
    starts[0] = True
    line_start = True  # the current token is the first non-space token of a line
    line_words = 0
    previous: int | None = None  # index of the last non-space token
    pending_break = False  # a sentence ender was seen; the next real token may start a new one
    for i, text in enumerate(words):
        if spaces[i]:
            newlines = text.count("\n")
            if newlines and previous is not None:
                nxt = _next_non_space(spaces, i)
                if nxt is not None:
                    before = words[previous]
                    closed = before in ENDERS or before in CLOSERS or before.endswith(":")
                    heading = line_words <= rules.heading_max_words and words[nxt][:1].isupper()
                    if newlines >= 2 or closed or heading or _is_list_item_start(words, nxt, rules):
                        starts[nxt] = True
                        pending_break = False
                line_start, line_words = True, 0
            continue
        if pending_break and text not in CLOSERS:
            if _starts_new(text):
                starts[i] = True
            pending_break = False
        if text in ENDERS:
            # "1." opening a list item is not the end of a sentence.
            list_number = previous is not None and words[previous].isdigit() and _at_line_start(words, spaces, previous)
            if not list_number:
                pending_break = True
        elif text.lower() in rules.final_abbreviations:
            pending_break = True
        if line_start and _is_list_item_start(words, i, rules) and i > 0:
            starts[i] = True
        line_start = False
        line_words += 1
        previous = i
    values = numpy.array([1 if start else -1 for start in starts], dtype="int64")
    doc.from_array([SENT_START], values.astype("uint64").reshape(-1, 1))
    return doc


def _next_non_space(spaces: list[bool], i: int) -> int | None:
    for j in range(i + 1, len(spaces)):
        if not spaces[j]:
            return j
    return None


def _at_line_start(words: list[str], spaces: list[bool], i: int) -> bool:
    return i == 0 or (spaces[i - 1] and "\n" in words[i - 1])


@Language.factory("regiescan_sentences", default_config={"rules_path": None})
def make_sentence_splitter(nlp: Language, name: str, rules_path: str | None):  # type: ignore[no-untyped-def]
    rules = load_rules(Path(rules_path)) if rules_path else load_rules()

    def split(doc: Doc) -> Doc:
        return set_sentence_starts(doc, rules)

    return split
