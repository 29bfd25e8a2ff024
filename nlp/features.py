"""Classifier features of a text unit (a passage, or one sentence of a document).

The unit's spaCy analysis contributes log counts of frame mentions by frame x polarity
and frame x polarity x sub-category, plus author-voice marker groups (data/voice.yml).
Words and character n-grams are added by the classifier's own TF-IDF vectorisers.
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path
from typing import Sequence

import yaml

from nlp.lexicon import DATA_DIR, FRAMES, POLARITIES, Lexicon
from nlp.mentions import Mention
from nlp.patterns import PatternSet, TokenPattern

VOICE_PATH = DATA_DIR / "voice.yml"


@lru_cache(maxsize=2)
def voice_patterns(path: Path = VOICE_PATH) -> PatternSet[str]:
    groups = yaml.safe_load(path.read_text(encoding="utf-8"))
    return PatternSet(TokenPattern.parse(p, group) for group, patterns in groups.items() for p in patterns)


@lru_cache(maxsize=2)
def voice_groups(path: Path = VOICE_PATH) -> tuple[str, ...]:
    return tuple(yaml.safe_load(path.read_text(encoding="utf-8")))


def feature_names(lexicon: Lexicon) -> list[str]:
    names = [f"frame:{f}:{p}" for f in FRAMES for p in POLARITIES]
    names += [f"cue:{f}:{p}" for f in FRAMES for p in ("endorse", "reject")]
    names += [
        f"sub:{f}.{s}:{p}" for f, subs in lexicon.entries.items() for s in subs for p in POLARITIES
    ]
    names += [f"voice:{g}" for g in voice_groups()]
    return names


def unit_features(mentions: list[Mention], voice_groups_found: Sequence[str]) -> dict[str, float]:
    """Feature values of one unit from its mentions and the group of each voice marker in it."""
    if not mentions and not voice_groups_found:  # most sentences of a long document
        return {}
    counts: dict[str, float] = {}
    for m in mentions:
        for key in _mention_keys(m.frame, m.subcategory, m.polarity, m.explicit):
            counts[key] = counts.get(key, 0.0) + 1.0
    for group in voice_groups_found:
        key = _voice_key(group)
        counts[key] = counts.get(key, 0.0) + 1.0
    return {k: math.log1p(v) for k, v in counts.items()}


@lru_cache(maxsize=4096)
def _mention_keys(frame: str, subcategory: str, polarity: str, explicit: bool) -> tuple[str, ...]:
    """The feature names a mention counts towards (remembered: a corpus has few combinations)."""
    keys = (f"frame:{frame}:{polarity}", f"sub:{frame}.{subcategory}:{polarity}")
    return keys + (f"cue:{frame}:{polarity}",) if explicit and polarity in ("endorse", "reject") else keys


@lru_cache(maxsize=256)
def _voice_key(group: str) -> str:
    return f"voice:{group}"
