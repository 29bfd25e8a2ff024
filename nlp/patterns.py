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
from typing import TYPE_CHECKING, Any, Callable, Generic, Hashable, Iterable, NamedTuple, Sequence, TypeVar

import numpy

if TYPE_CHECKING:
    from nlp.tokens import TokenView

MAX_GAP = 6
# Per-string memos are cleared at this size, so a long run's vocabulary does not pile up.
MEMO_LIMIT = 200_000
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
        self._numbers: dict[int, int] = {}
        self.generation = 0
        # The flow's threads share one pipeline: numbering, and reading answers by number,
        # must not interleave with another thread's numbering or new generation.
        self.lock = threading.RLock()

    def of(self, string_ids: list[int]) -> numpy.ndarray:
        with self.lock:
            if len(self._numbers) + len(string_ids) > MEMO_LIMIT:
                self._numbers = {}
                self.generation += 1
            numbers = self._numbers
            return numpy.fromiter(
                (numbers.setdefault(i, len(numbers)) for i in string_ids), dtype="int64", count=len(string_ids))


STRING_NUMBERS = StringNumbers()


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
        # Each later word of each pattern, and per word which keys it matches.
        self._later: list[list[int]] = []  # per pattern: slot of each word after the first
        self._later_words: list[re.Pattern[str]] = []
        for pattern in self.patterns:
            self._later.append(list(range(len(self._later_words), len(self._later_words) + len(pattern.words) - 1)))
            self._later_words.extend(pattern.words[1:])
        self._later_memo = [Memo() for _ in self._later_words]
        # One alternation answers "could any pattern start here?" for most tokens at once.
        alternatives = "|".join(f"(?:{p.words[0].pattern})" for p in self.patterns) or "(?!)"
        self._any_first = re.compile(f"^(?:{alternatives})$", re.IGNORECASE)
        # "Can a pattern start with this string?" by STRING_NUMBERS number: 1 yes, 0 no, -1 not known yet.
        self._generation = -1
        self._can_start = numpy.full(0, -1, dtype="int8")

    def _starting_at(self, key: Hashable, text: Callable[[Any], str]) -> tuple[int, ...]:
        found = self._first.get(key)
        if found is None:
            form = text(key)
            if self._any_first.match(form):
                found = tuple(i for i, p in enumerate(self.patterns) if p.words[0].fullmatch(form))
            else:
                found = ()
            self._first[key] = found
        return found

    def _later_matches(self, slot: int, tokens: Tokens, j: int) -> bool:
        memo = self._later_memo[slot]
        for key in (tokens.lower[j], tokens.lemma[j]):
            found = memo.get(key)
            if found is None:
                found = memo[key] = self._later_words[slot].fullmatch(tokens.text(key)) is not None
            if found:
                return True
        return False

    def start_positions(self, view: "TokenView") -> numpy.ndarray:
        """The view's positions where some pattern may start (by form or lemma), in order.

        Each distinct string is tested once and the answer kept in an array by its number
        (StringNumbers), so for the strings seen before the whole doc is answered by numpy."""
        with STRING_NUMBERS.lock:
            return view.positions_where(self._can_start_by_number(view))

    def _can_start_by_number(self, view: "TokenView") -> numpy.ndarray:
        numbers = view.unique_numbers()
        if self._generation != STRING_NUMBERS.generation:
            self._generation = STRING_NUMBERS.generation
            self._can_start = numpy.full(0, -1, dtype="int8")
        if len(numbers) and numbers.max() >= len(self._can_start):
            size = max(int(numbers.max()) + 1, 2 * len(self._can_start))
            self._can_start = numpy.concatenate((self._can_start, numpy.full(size - len(self._can_start), -1, dtype="int8")))
        new = numpy.flatnonzero(self._can_start[numbers] < 0)
        if len(new):
            ids = view.unique_ids[new].tolist()
            self._can_start[numbers[new]] = numpy.fromiter(
                (bool(self._starting_at(i, view.text)) for i in ids), dtype="int8", count=len(ids))
        return self._can_start[numbers] == 1

    def find_matches(self, tokens: Tokens, starts: Iterable[int] | None = None) -> list[Match[Label]]:
        """All matches in a token sequence; `starts`, when given, are the only indices where a
        match may begin (see start_positions)."""
        matches: list[Match[Label]] = []
        n = len(tokens.lower)
        for i in range(n) if starts is None else starts:
            lower, lemma = tokens.lower[i], tokens.lemma[i]
            candidates = self._starting_at(lower, tokens.text)  # sorted; empty for most tokens
            if lemma != lower and (by_lemma := self._starting_at(lemma, tokens.text)):
                candidates = tuple(sorted(set(candidates).union(by_lemma)))
            for index in candidates:
                pattern = self.patterns[index]
                positions = [i]
                for slot, gap in zip(self._later[index], pattern.gaps[1:]):
                    position = positions[-1] + 1
                    limit = min(n, position + (MAX_GAP + 1 if gap else 1))
                    for j in range(position, limit):
                        if self._later_matches(slot, tokens, j):
                            positions.append(j)
                            break
                    else:
                        break
                else:
                    matches.append(Match(i, positions[-1] + 1, pattern, index, tuple(positions)))
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
