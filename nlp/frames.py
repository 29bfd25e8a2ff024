"""spaCy component `regiescan_frames`: find regie / netwerk / zelfstandig mentions.

Mentions go into doc.spans["regiescan_frames"] (label = frame) with the Span extensions
declared in nlp/extensions.py; polarity is decided afterwards by `regiescan_polarity`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.extensions import SPAN_KEY, register_extensions
from nlp.lexicon import Lexicon, lexicon_at
from nlp.patterns import longest_non_overlapping
from nlp.tokens import sentence_forms


class FrameMatcher:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        mentions: list[Span] = []
        for sent in doc.sents:
            indices, forms = sentence_forms(sent)
            if not indices:
                continue
            found = self.lexicon.patterns.find_matches(forms)
            vetoed = self._vetoed_positions(forms)
            kept = [m for m in found if not vetoed.get(m.pattern.label.frame, set()).intersection(m.positions)]
            for match in longest_non_overlapping(kept):
                label = match.pattern.label
                span = Span(doc, indices[match.start], indices[match.end - 1] + 1, label=label.frame)
                span._.frame = label.frame
                span._.subcategory = label.subcategory
                span._.pattern = match.pattern.text
                mentions.append(span)
        doc.spans[SPAN_KEY] = mentions
        return doc

    def _vetoed_positions(self, forms: list[tuple[str, str]]) -> dict[str, set[int]]:
        vetoed: dict[str, set[int]] = {}
        for match in self.lexicon.exclusions.find_matches(forms):
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
