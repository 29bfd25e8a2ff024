"""Polarity cue lists (data/cues.yml), compiled into one pattern set."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.lexicon import CUES_PATH, LexiconError
from nlp.patterns import PatternSet, TokenPattern

# Cue kinds. Direction is part of the kind where it matters: a rejection cue "before"
# precedes what it rejects, "after" follows it.
ATTRIBUTION = "attribution"
REPLACEMENT = "replacement"
TRANSITION_FROM = "transition_from"
TRANSITION_TO = "transition_to"
REJECT_BEFORE = "rejection_before"
REJECT_AFTER = "rejection_after"
NEGATION = "negation"
ENDORSEMENT = "endorsement"


@dataclass(frozen=True)
class CueRules:
    cues: PatternSet[frozenset[str]]  # label: the kinds this cue text has
    # Phrases that hold an attribution cue but attribute nothing ("laten wij zien"): an
    # attribution match overlapping one of these is dropped; other cues are left alone.
    not_attribution: PatternSet[str]
    scope_end: PatternSet[str]
    contrast_negators: frozenset[str]
    contrast_markers: frozenset[str]
    min_quote_tokens: int
    transition_window: int
    rejection_before_window: int
    rejection_after_window: int
    negation_window: int
    negation_after_window: int
    negation_after_barriers: frozenset[str]
    endorsement_window: int


def _strings(data: dict, key: str, path: Path) -> list[str]:  # type: ignore[type-arg]
    value = data.get(key)
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise LexiconError(f"{path}: {key} must be a list of strings")
    return value


@lru_cache(maxsize=4)
def load_cues(path: Path = CUES_PATH) -> CueRules:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise LexiconError(f"cannot read cue lists {path}: {exc}") from exc
    kinds: dict[str, set[str]] = {}

    def add(texts: list[str], kind: str) -> None:
        for text in texts:
            kinds.setdefault(text, set()).add(kind)

    add(_strings(data["attribution"], "cues", path), ATTRIBUTION)
    add(_strings(data, "replacement", path), REPLACEMENT)
    add(_strings(data["transition"], "from", path), TRANSITION_FROM)
    add(_strings(data["transition"], "to", path), TRANSITION_TO)
    add(_strings(data["rejection"], "before", path), REJECT_BEFORE)
    add(_strings(data["rejection"], "after", path), REJECT_AFTER)
    add(_strings(data["negation"], "cues", path), NEGATION)
    add(_strings(data["endorsement"], "cues", path), ENDORSEMENT)
    try:
        cues = PatternSet(TokenPattern.parse(text, frozenset(k)) for text, k in kinds.items())
        scope_end = PatternSet(TokenPattern.parse(t, "scope_end") for t in _strings(data, "scope_end", path))
        not_attribution = PatternSet(TokenPattern.parse(t, "not_cue") for t in _strings(data["attribution"], "not_cues", path))
    except ValueError as exc:
        raise LexiconError(f"{path}: {exc}") from exc
    return CueRules(
        cues=cues,
        not_attribution=not_attribution,
        scope_end=scope_end,
        contrast_negators=frozenset(_strings(data["contrast"], "negators", path)),
        contrast_markers=frozenset(_strings(data["contrast"], "markers", path)),
        min_quote_tokens=int(data["attribution"]["min_quote_tokens"]),
        transition_window=int(data["transition"]["window"]),
        rejection_before_window=int(data["rejection"]["before_window"]),
        rejection_after_window=int(data["rejection"]["after_window"]),
        negation_window=int(data["negation"]["window"]),
        negation_after_window=int(data["negation"]["after_window"]),
        negation_after_barriers=frozenset(_strings(data["negation"], "after_barriers", path)),
        endorsement_window=int(data["endorsement"]["window"]),
    )
