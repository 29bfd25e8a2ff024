"""Plain records of a doc's frame mentions, and the per-frame polarity that dominates."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, fields
from typing import Any

from spacy.tokens import Doc

from nlp.extensions import CUE, CUE_KIND, DEFAULTS, EXPLICIT, FRAME, POLARITY, SUBCATEGORY, record_key
from nlp.lexicon import FRAMES
from nlp.tokens import token_view


@dataclass(frozen=True)
class Mention:
    frame: str
    subcategory: str
    polarity: str
    cue: str | None
    cue_kind: str | None
    explicit: bool
    text: str
    start: int  # character offsets in the doc's text
    end: int
    sentence: str
    sentence_start: int

    def as_dict(self) -> dict[str, Any]:
        # Field by field: dataclasses.asdict deep-copies each value, which cost more than the
        # classifier for a corpus's mentions (the values are all strings, numbers and None).
        return {name: getattr(self, name) for name in MENTION_FIELDS}


MENTION_FIELDS = tuple(f.name for f in fields(Mention))


def mentions_of(doc: Doc, doc_text: str | None = None) -> list[Mention]:
    """The doc's mentions; pass doc.text when you already have it (it is rebuilt per access)."""
    text = doc.text if doc_text is None else doc_text
    view = token_view(doc)
    user_data = doc.user_data
    mentions = []
    for span in doc._.frame_mentions:
        start, end = int(view.char_start[span.start]), int(view.char_end[span.end - 1])
        sentence_start, sentence_end = view.sentence_chars[view.sentence_of(span.start)]
        record = user_data.get(record_key(start, end), DEFAULTS)
        mentions.append(Mention(
            frame=record[FRAME], subcategory=record[SUBCATEGORY], polarity=record[POLARITY],
            cue=record[CUE], cue_kind=record[CUE_KIND], explicit=bool(record[EXPLICIT]),
            text=text[start:end], start=start, end=end,
            sentence=text[sentence_start:sentence_end].strip(), sentence_start=sentence_start,
        ))
    return mentions


def dominant_polarities(mentions: list[Mention]) -> dict[str, str]:
    """{frame: polarity} for mentioned frames. Each mention counts 1, one decided by a cue
    1.5; the highest score wins, and a tie is "neutral": endorse against reject is mixed, and
    a position no stronger than the relayed (neutral) mentions beside it is not claimed. The
    result does not depend on the order of the mentions (a tie went to the first)."""
    scores: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for m in mentions:
        scores[m.frame][m.polarity] += 1.5 if m.explicit else 1.0
    result: dict[str, str] = {}
    for frame in FRAMES:
        if frame not in scores:
            continue
        best = max(scores[frame].values())
        tied = [p for p, s in scores[frame].items() if s == best]
        result[frame] = tied[0] if len(tied) == 1 else "neutral"
    return result
