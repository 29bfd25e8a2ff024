"""The Doc and Span extensions regiescan's components set and the rest of the pipeline reads.

Span (each frame mention, in doc.spans["regiescan_frames"]):
  ._.frame, ._.subcategory, ._.pattern (the lexicon entry that matched),
  ._.polarity ("endorse" | "reject" | "neutral"), ._.cue (the words that decided it,
  None when nothing did), ._.cue_kind (which cue family), ._.explicit (a cue decided it),
  ._.sentence (the sentence Span).
Doc:
  ._.frame_mentions (list of those spans), ._.frame_counts ({frame: {polarity: n}}).

The components keep each mention's values as one plain record (a list in FIELDS order) in
doc.user_data under record_key(start_char, end_char); the Span extensions read and write
those records. Setting seven values through `span._` built an accessor object per access and
cost more than finding the mentions. user_data travels with Doc.to_bytes (its keys come back
as tuples, its values as lists).
"""

from __future__ import annotations

from typing import Any, Callable

from spacy.tokens import Doc, Span

from nlp.lexicon import FRAMES, POLARITIES

SPAN_KEY = "regiescan_frames"
RECORDS_KEY = "regiescan_mentions"
FIELDS = ("frame", "subcategory", "pattern", "polarity", "cue", "cue_kind", "explicit")
FRAME, SUBCATEGORY, PATTERN, POLARITY, CUE, CUE_KIND, EXPLICIT = range(len(FIELDS))
DEFAULTS: tuple[Any, ...] = (None, None, None, None, None, None, False)

Record = list[Any]  # a mention's values in FIELDS order


def record_key(start_char: int, end_char: int) -> tuple[str, int, int]:
    return (RECORDS_KEY, start_char, end_char)


def new_record(frame: str | None, subcategory: str | None = None, pattern: str | None = None) -> Record:
    record = list(DEFAULTS)
    record[FRAME], record[SUBCATEGORY], record[PATTERN] = frame, subcategory, pattern
    return record


def clear_records(doc: Doc) -> None:
    for key in [k for k in doc.user_data if isinstance(k, tuple) and k[:1] == (RECORDS_KEY,)]:
        del doc.user_data[key]


def record_of(span: Span) -> Record | None:
    return span.doc.user_data.get(record_key(span.start_char, span.end_char))


def _getter(index: int) -> Callable[[Span], Any]:
    def get(span: Span) -> Any:
        record = record_of(span)
        return DEFAULTS[index] if record is None else record[index]

    return get


def _setter(index: int) -> Callable[[Span, Any], None]:
    def set_(span: Span, value: Any) -> None:
        key = record_key(span.start_char, span.end_char)
        record = span.doc.user_data.setdefault(key, list(DEFAULTS))
        record[index] = value

    return set_


def _mentions(doc: Doc) -> list[Span]:
    return list(doc.spans[SPAN_KEY]) if SPAN_KEY in doc.spans else []


def _counts(doc: Doc) -> dict[str, dict[str, int]]:
    counts = {frame: {polarity: 0 for polarity in POLARITIES} for frame in FRAMES}
    for span in _mentions(doc):
        record = record_of(span)
        if record is not None and record[POLARITY] in POLARITIES:
            counts[record[FRAME]][record[POLARITY]] += 1
    return counts


def register_extensions() -> None:
    for index, name in enumerate(FIELDS):
        if not Span.has_extension(name):
            Span.set_extension(name, getter=_getter(index), setter=_setter(index))
    if not Span.has_extension("sentence"):
        Span.set_extension("sentence", getter=lambda span: span.sent)
    if not Doc.has_extension("frame_mentions"):
        Doc.set_extension("frame_mentions", getter=_mentions)
    if not Doc.has_extension("frame_counts"):
        Doc.set_extension("frame_counts", getter=_counts)
