"""Token patterns with globs: the one matching engine for lexicon, exclusions and cues.

Syntax: words separated by spaces, each a glob ("*" any characters, "?" one character,
a backslash makes the next character literal: "\\?" is a question mark),
matched case-insensitively against a token's surface form or its lemma. "..." between
two words allows a gap of up to MAX_GAP tokens (Dutch separable verbs: "stuurt ... aan").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Generic, Iterable, Sequence, TypeVar

MAX_GAP = 6
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


@dataclass(frozen=True)
class Match(Generic[Label]):
    start: int  # index into the token sequence given to find_matches
    end: int  # exclusive
    pattern: TokenPattern[Label]
    rank: int  # the pattern's position in its PatternSet: earlier patterns win ties
    positions: tuple[int, ...]  # the tokens the pattern's words matched (a gap's tokens are free)


class PatternSet(Generic[Label]):
    """Many patterns, matched together; first-word tests are cached per token form."""

    def __init__(self, patterns: Iterable[TokenPattern[Label]]) -> None:
        self.patterns = list(patterns)
        self._first_cache: dict[str, tuple[int, ...]] = {}
        # One alternation answers "could any pattern start here?" for most tokens at once.
        alternatives = "|".join(f"(?:{p.words[0].pattern})" for p in self.patterns) or "(?!)"
        self._any_first = re.compile(f"^(?:{alternatives})$", re.IGNORECASE)

    def _starting_at(self, form: str) -> tuple[int, ...]:
        found = self._first_cache.get(form)
        if found is None:
            if self._any_first.match(form):
                found = tuple(i for i, p in enumerate(self.patterns) if p.words[0].fullmatch(form))
            else:
                found = ()
            self._first_cache[form] = found
        return found

    def find_matches(self, forms: Sequence[tuple[str, str]]) -> list[Match[Label]]:
        """All matches in a token sequence given as (lower form, lemma) pairs."""
        matches: list[Match[Label]] = []
        for i, (lower, lemma) in enumerate(forms):
            candidates = self._starting_at(lower)  # sorted; empty for most tokens
            if lemma != lower and (by_lemma := self._starting_at(lemma)):
                candidates = tuple(sorted(set(candidates).union(by_lemma)))
            for index in candidates:
                pattern = self.patterns[index]
                positions = _match_rest(pattern, forms, i)
                if positions is not None:
                    matches.append(Match(i, positions[-1] + 1, pattern, index, positions))
        return matches


def _word_matches(regex: re.Pattern[str], form: tuple[str, str]) -> bool:
    return regex.fullmatch(form[0]) is not None or (form[1] != form[0] and regex.fullmatch(form[1]) is not None)


def _match_rest(
    pattern: TokenPattern[Label], forms: Sequence[tuple[str, str]], start: int
) -> tuple[int, ...] | None:
    positions = [start]
    for regex, gap in zip(pattern.words[1:], pattern.gaps[1:]):
        position = positions[-1] + 1
        limit = min(len(forms), position + (MAX_GAP + 1 if gap else 1))
        for j in range(position, limit):
            if _word_matches(regex, forms[j]):
                positions.append(j)
                break
        else:
            return None
    return tuple(positions)


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
