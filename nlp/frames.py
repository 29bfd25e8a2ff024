"""spaCy component `regiescan_frames`: find regie / netwerk / zelfstandig mentions.

Mentions go into doc.spans["regiescan_frames"] (label = frame), their values into the
records the Span extensions read (nlp/extensions.py); polarity is decided afterwards by
`regiescan_polarity`.
"""

from __future__ import annotations

from spacy.language import Language
from spacy.tokens import Doc, Span

from nlp.extensions import SPAN_KEY, clear_records, new_record, record_key, register_extensions
from nlp.lexicon import Lexicon, lexicon_at
from nlp.patterns import longest_non_overlapping
from nlp.tokens import token_view


class FrameMatcher:
    def __init__(self, lexicon: Lexicon) -> None:
        self.lexicon = lexicon
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        view = token_view(doc)
        found = self.lexicon.patterns.matches_in(view)
        if found:
            vetoed: dict[str, set[int]] = {}  # frame -> positions an exclusion covers
            for veto in self.lexicon.exclusions.matches_in(view):
                vetoed.setdefault(veto.pattern.label, set()).update(range(veto.start, veto.end))
            found = [m for m in found if not vetoed.get(m.pattern.label.frame, set()).intersection(m.positions)]
        mentions: list[Span] = []
        clear_records(doc)  # of an earlier run of this component over the same doc
        # Matches never cross a sentence, so choosing among the whole doc's matches at once
        # chooses as sentence by sentence would.
        for match in longest_non_overlapping(found):
            label = match.pattern.label
            first, last = int(view.indices[match.start]), int(view.indices[match.end - 1])
            mentions.append(Span(doc, first, last + 1, label=label.frame))
            key = record_key(int(view.char_start[first]), int(view.char_end[last]))
            doc.user_data[key] = new_record(label.frame, label.subcategory, match.pattern.text)
        doc.spans[SPAN_KEY] = mentions
        return doc


@Language.factory(
    "regiescan_frames",
    default_config={"lexicon_path": None, "rules_path": None, "cues_path": None},
)
def make_frame_matcher(
    nlp: Language, name: str, lexicon_path: str | None, rules_path: str | None, cues_path: str | None
) -> FrameMatcher:
    return FrameMatcher(lexicon_at(lexicon_path, rules_path, cues_path))
