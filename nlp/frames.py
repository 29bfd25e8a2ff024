"""spaCy component `regiescan_frames`: find regie / netwerk / zelfstandig mentions.

Mentions go into doc.spans["regiescan_frames"] (label = frame) with the Span extensions
declared in nlp/extensions.py; polarity is decided afterwards by `regiescan_polarity`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.extensions import SPAN_KEY, register_extensions
from nlp.lexicon import Lexicon, lexicon_at
from nlp.patterns import Tokens, longest_non_overlapping
from nlp.tokens import token_view


class FrameMatcher:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        view = token_view(doc)
        starts = view.by_sentence(self.lexicon.patterns.start_positions(view))
        vetoes = view.by_sentence(self.lexicon.exclusions.start_positions(view)) if starts else {}
        mentions: list[Span] = []
        for number, sentence_starts in starts.items():
            lo, hi = view.sentence_lo[number], view.sentence_hi[number]
            tokens = view.tokens(lo, hi)
            found = self.lexicon.patterns.find_matches(tokens, sentence_starts)
            vetoed = self._vetoed_positions(tokens, vetoes.get(number, []))
            kept = [m for m in found if not vetoed.get(m.pattern.label.frame, set()).intersection(m.positions)]
            for match in longest_non_overlapping(kept):
                label = match.pattern.label
                first, last = int(view.indices[lo + match.start]), int(view.indices[lo + match.end - 1])
                span = Span(doc, first, last + 1, label=label.frame)
                values = span._  # each `span._` builds a new accessor object
                values.frame = label.frame
                values.subcategory = label.subcategory
                values.pattern = match.pattern.text
                mentions.append(span)
        doc.spans[SPAN_KEY] = mentions
        return doc

    def _vetoed_positions(self, tokens: Tokens, starts: list[int]) -> dict[str, set[int]]:
        vetoed: dict[str, set[int]] = {}
        for match in self.lexicon.exclusions.find_matches(tokens, starts):
            vetoed.setdefault(match.pattern.label, set()).update(range(match.start, match.end))
        return vetoed


@Language.factory(
    "regiescan_frames",
    default_config={"lexicon_path": None, "rules_path": None, "cues_path": None},
)
def make_frame_matcher(
    nlp: Language, name: str, lexicon_path: str | None, rules_path: str | None, cues_path: str | None
) -> FrameMatcher:
    return FrameMatcher(lexicon_at(lexicon_path, rules_path, cues_path))
