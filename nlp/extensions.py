"""The Doc and Span extensions regiescan's components set and the rest of the pipeline reads.

Span (each frame mention, in doc.spans["regiescan_frames"]):
  ._.frame, ._.subcategory, ._.pattern (the lexicon entry that matched),
  ._.polarity ("endorse" | "reject" | "neutral"), ._.cue (the words that decided it,
  None when nothing did), ._.cue_kind (which cue family), ._.explicit (a cue decided it),
  ._.sentence (the sentence Span).
Doc:
  ._.frame_mentions (list of those spans), ._.frame_counts ({frame: {polarity: n}}).
"""

from __future__ import annotations

from spacy.tokens import Doc, Span

from nlp.lexicon import FRAMES, POLARITIES

SPAN_KEY = "regiescan_frames"


def _mentions(doc: Doc) -> list[Span]:
    return list(doc.spans[SPAN_KEY]) if SPAN_KEY in doc.spans else []


def _counts(doc: Doc) -> dict[str, dict[str, int]]:
    counts = {frame: {polarity: 0 for polarity in POLARITIES} for frame in FRAMES}
    for span in _mentions(doc):
        if span._.polarity in POLARITIES:
            counts[span._.frame][span._.polarity] += 1
    return counts


def register_extensions() -> None:
    for name in ("frame", "subcategory", "pattern", "polarity", "cue", "cue_kind"):
        if not Span.has_extension(name):
            Span.set_extension(name, default=None)
    if not Span.has_extension("explicit"):
        Span.set_extension("explicit", default=False)
    if not Span.has_extension("sentence"):
        Span.set_extension("sentence", getter=lambda span: span.sent)
    if not Doc.has_extension("frame_mentions"):
        Doc.set_extension("frame_mentions", getter=_mentions)
    if not Doc.has_extension("frame_counts"):
        Doc.set_extension("frame_counts", getter=_counts)
