"""The plain keyword count every stance figure is compared with.

Counts lexicon matches per frame, ignoring polarity and context; the most frequent frame
is the stance (ties: lexicon order), none at all is geen. This is what a word count
without regiescan's polarity rules and classifier would say.
"""

from __future__ import annotations

from collections import Counter

from nlp.lexicon import FRAMES
from nlp.mentions import Mention


def keyword_stance(mentions: list[Mention]) -> str:
    counts = Counter(m.frame for m in mentions)
    if not counts:
        return "geen"
    best = max(counts.values())
    return next(frame for frame in FRAMES if counts[frame] == best)
