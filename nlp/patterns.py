"""Token patterns with globs: the one matching engine for lexicon, exclusions and cues.

Syntax: words separated by spaces, each a glob ("*" any characters, "?" one character,
a backslash makes the next character literal: "\\?" is a question mark),
matched case-insensitively against a token's surface form or its lemma. "..." between
two words allows a gap of up to MAX_GAP tokens (Dutch separable verbs: "stuurt ... aan").
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from itertools import repeat
from typing import TYPE_CHECKING, Any, Callable, Generic, Hashable, Iterable, NamedTuple, Sequence, TypeVar

import numpy

from nlp.idmap import IdMap

if TYPE_CHECKING:
    from nlp.tokens import TokenView

MAX_GAP = 6
# Per-string memos are cleared at this size, so a long run's vocabulary does not pile up.
# The bench corpus brings ~4 new words a document, so the memos grow with the corpus up to
# this limit: 17 MiB in 54,000 entries after 10,000 documents, the largest memo (words'
# character n-grams) at ~400 bytes an entry, ~80 MiB for it alone at a limit of 200,000.
# A cleared memo only costs recomputing the answers for the words that come next.
MEMO_LIMIT = 50_000
GAP = "..."

Label = TypeVar("Label")


def glob_to_regex(glob: str) -> str:
    out: list[str] = []
    escaped = False
    for ch in glob.lower():
        if escaped:
            out.append(re.escape(ch))
            escaped = False
        elif ch == "\\":
            escaped = True
        else:
            out.append(".*" if ch == "*" else "." if ch == "?" else re.escape(ch))
    if escaped:
        out.append(re.escape("\\"))
    return "".join(out)


@dataclass(frozen=True)
class TokenPattern(Generic[Label]):
    text: str
    words: tuple[re.Pattern[str], ...]
    gaps: tuple[bool, ...]  # gaps[i]: a gap is allowed before words[i] (gaps[0] is False)
    label: Label

    @classmethod
    def parse(cls, text: str, label: Label) -> "TokenPattern[Label]":
        words: list[re.Pattern[str]] = []
        gaps: list[bool] = []
        gap_next = False
        for part in text.split():
            if part == GAP:
                if not words:
                    raise ValueError(f"pattern {text!r} cannot start with '...'")
                gap_next = True
                continue
            words.append(re.compile(glob_to_regex(part), re.IGNORECASE))
            gaps.append(gap_next)
            gap_next = False
        if not words or gap_next:
            raise ValueError(f"pattern {text!r} is empty or ends with '...'")
        return cls(text, tuple(words), tuple(gaps), label)


class Memo(dict):  # type: ignore[type-arg]
    """A dict of remembered answers that empties itself when a new key would take it past
    MEMO_LIMIT entries."""

    def __setitem__(self, key: Any, value: Any) -> None:
        if len(self) >= MEMO_LIMIT and key not in self:
            self.clear()
        super().__setitem__(key, value)


class StringNumbers:
    """Small dense numbers for string ids (64-bit hashes), so per-string answers can be kept in
    numpy arrays and looked up for a whole doc at once. Numbering starts again (a new
    generation) when MEMO_LIMIT strings are numbered, so a long run's vocabulary does not pile up."""

    def __init__(self) -> None:
        self._numbers = IdMap("int64")
        self.generation = 0
        # The flow's threads share one pipeline: numbering, and reading answers by number,
        # must not interleave with another thread's numbering or new generation.
        self.lock = threading.RLock()

    def of(self, string_ids: numpy.ndarray) -> numpy.ndarray:
        """The number of each of the (distinct) string ids."""
        with self.lock:
            if len(self._numbers) + len(string_ids) > MEMO_LIMIT:
                self._numbers.clear()
                self.generation += 1
            first = len(self._numbers)
            return self._numbers.get(string_ids, lambda new: range(first, first + len(new)))


STRING_NUMBERS = StringNumbers()


# Answer bits of PatternSet.start_positions.
_STARTS_ALONE, _STARTS_DIRECT, _SECOND = 1, 2, 4


def _alternation(words: Iterable[re.Pattern[str]]) -> re.Pattern[str]:
    """One regex that fully matches what any of the words matches (none: matches nothing)."""
    alternatives = "|".join(f"(?:{w.pattern})" for w in words) or "(?!)"
    return re.compile(f"^(?:{alternatives})$", re.IGNORECASE)


class Match(NamedTuple, Generic[Label]):
    start: int  # index into the token sequence given to find_matches
    end: int  # exclusive
    pattern: TokenPattern[Label]
    rank: int  # the pattern's position in its PatternSet: earlier patterns win ties
    positions: tuple[int, ...]  # the tokens the pattern's words matched (a gap's tokens are free)


class Tokens(NamedTuple):
    """A token sequence as the matcher reads it: a key per token for its lower-case form and
    one for its lower-case lemma, and how to get a key's text. The keys are the strings
    themselves (of_forms) or spaCy string ids (TokenView.tokens), so the per-key memos never
    need the strings of a doc's ordinary tokens."""

    lower: Sequence[Hashable]
    lemma: Sequence[Hashable]
    text: Callable[[Any], str]

    @classmethod
    def of_forms(cls, forms: Iterable[tuple[str, str]]) -> "Tokens":
        pairs = list(forms)
        return cls([lower for lower, _ in pairs], [lemma for _, lemma in pairs], str)


class PatternSet(Generic[Label]):
    """Many patterns, matched together; every word test is remembered per token key."""

    def __init__(self, patterns: Iterable[TokenPattern[Label]]) -> None:
        self.patterns = list(patterns)
        self._first = Memo()  # key -> the patterns whose first word it is
        # Per pattern, each word after the first: its regex, which keys it matches (a memo),
        # and how many tokens it may be looked for in (1, or 1 + MAX_GAP after a gap).
        self._later: list[tuple[tuple[re.Pattern[str], Memo, int], ...]] = [
            tuple((word, Memo(), MAX_GAP + 1 if gap else 1) for word, gap in zip(p.words[1:], p.gaps[1:]))
            for p in self.patterns
        ]
        # "Could a pattern start here?" is answered for a whole doc with numpy from three
        # answers per distinct string (alternations of the words concerned): it is the first
        # word of a one-word pattern or of one with a gap after its first word; it is the first
        # word of a pattern whose second word must follow directly; it is such a second word.
        # Most candidates are function words ("het", "van", "de") that open multi-word
        # patterns, so testing the next token's string removes most of them.
        direct = [p for p in self.patterns if len(p.words) > 1 and not p.gaps[1]]
        alone = [p for p in self.patterns if len(p.words) == 1 or p.gaps[1]]
        self._word_tests = (
            (_STARTS_ALONE, _alternation(p.words[0] for p in alone)),
            (_STARTS_DIRECT, _alternation(p.words[0] for p in direct)),
            (_SECOND, _alternation(p.words[1] for p in direct)),
        )
        self._any_first = _alternation(p.words[0] for p in self.patterns)
        # Those answers (bits) by STRING_NUMBERS number; -1: not known yet.
        self._generation = -1
        self._answers = numpy.full(0, -1, dtype="int8")

    def _starting_at(self, key: Hashable, text: Callable[[Any], str]) -> tuple[int, ...]:
        found = self._first.get(key)
        if found is None:
            form = text(key)
            found = ()
            if self._any_first.match(form):
                found = tuple(i for i, p in enumerate(self.patterns) if p.words[0].fullmatch(form))
            self._first[key] = found
        return found

    def start_positions(self, view: "TokenView") -> numpy.ndarray:
        """The view's positions where some pattern may start, in order: a superset of the
        match starts (a pattern's first word by form or lemma, and its second word next)."""
        with STRING_NUMBERS.lock:
            answers = self._answers_by_number(view)
        bits = answers[view.lower_in_unique] | answers[view.lemma_in_unique]
        second_next = numpy.append((bits[1:] & _SECOND) != 0, False)
        return numpy.flatnonzero(((bits & _STARTS_ALONE) != 0) | (((bits & _STARTS_DIRECT) != 0) & second_next))

    def _answers_by_number(self, view: "TokenView") -> numpy.ndarray:
        """The answer bits of each of the view's unique strings; each string is tested once."""
        numbers = view.unique_numbers()
        if self._generation != STRING_NUMBERS.generation:
            self._generation = STRING_NUMBERS.generation
            self._answers = numpy.full(0, -1, dtype="int8")
        if len(numbers) and numbers.max() >= len(self._answers):
            size = max(int(numbers.max()) + 1, 2 * len(self._answers))
            self._answers = numpy.concatenate((self._answers, numpy.full(size - len(self._answers), -1, dtype="int8")))
        new = numpy.flatnonzero(self._answers[numbers] < 0)
        if len(new):
            texts = [view.text(i) for i in view.unique_ids[new].tolist()]
            self._answers[numbers[new]] = numpy.fromiter(
                (sum(bit for bit, test in self._word_tests if test.match(text)) for text in texts),
                dtype="int8", count=len(texts))
        return self._answers[numbers]

    def matches_in(self, view: "TokenView", sentences: numpy.ndarray | None = None) -> list[Match[Label]]:
        """The set's matches in a doc's view, each within one sentence (in view positions);
        `sentences`: only those in these sentence numbers."""
        starts = self.start_positions(view)
        numbers = view.sentence_numbers(starts)
        if sentences is not None:
            # A mask by sentence number: numpy.isin's sorting costs more than the rest here.
            wanted = numpy.zeros(len(view.sentence_lo), dtype=bool)
            wanted[sentences] = True
            inside = wanted[numbers]
            starts, numbers = starts[inside], numbers[inside]
        return self.find_matches(view.tokens(), starts.tolist(), view.sentence_ends(numbers).tolist())

    def find_matches(
        self, tokens: Tokens, starts: Iterable[int] | None = None, ends: Iterable[int] | None = None,
    ) -> list[Match[Label]]:
        """All matches in a token sequence; `starts`, when given, are the only indices where a
        match may begin (see start_positions), and `ends` the index each of those matches must
        end by (exclusive: the end of its sentence)."""
        matches: list[Match[Label]] = []
        lower_keys, lemma_keys, text = tokens.lower, tokens.lemma, tokens.text
        n = len(lower_keys)
        for i, bound in zip(range(n) if starts is None else starts, repeat(n) if ends is None else ends):
            lower, lemma = lower_keys[i], lemma_keys[i]
            candidates = self._starting_at(lower, text)  # sorted; empty for most tokens
            if lemma != lower and (by_lemma := self._starting_at(lemma, text)):
                candidates = tuple(sorted(set(candidates).union(by_lemma)))
            for index in candidates:
                positions = [i]
                for word, memo, window in self._later[index]:
                    position = positions[-1] + 1
                    for j in range(position, min(bound, position + window)):
                        key = lower_keys[j]  # the form, then the lemma (each test remembered)
                        hit = memo.get(key)
                        if hit is None:
                            hit = memo[key] = word.fullmatch(text(key)) is not None
                        if not hit and (key := lemma_keys[j]) != lower_keys[j]:
                            hit = memo.get(key)
                            if hit is None:
                                hit = memo[key] = word.fullmatch(text(key)) is not None
                        if hit:
                            positions.append(j)
                            break
                    else:
                        break
                else:
                    matches.append(Match(i, positions[-1] + 1, self.patterns[index], index, tuple(positions)))
        return matches


def longest_non_overlapping(matches: Iterable[Match[Label]]) -> list[Match[Label]]:
    """Keep the matches with most matched words; ties go to the pattern listed first, then the
    leftmost. Only matched words are claimed, so "werken ... samen" leaves "gelijkwaardige
    partners" in its gap to other patterns."""
    chosen: list[Match[Label]] = []
    taken: set[int] = set()
    for match in sorted(matches, key=lambda m: (-len(m.positions), m.rank, m.start)):
        if taken.intersection(match.positions):
            continue
        chosen.append(match)
        taken.update(match.positions)
    return sorted(chosen, key=lambda m: m.start)
