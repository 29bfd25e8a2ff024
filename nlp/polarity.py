"""spaCy component `regiescan_polarity`: endorse, reject or neutral for every frame mention.

For each mention the first rule that applies decides (cue lists in data/cues.yml):
  1. attribution: the sentence relays someone else's view (volgens, aldus, laat zien,
     a quotation of 4+ tokens around the mention)              -> neutral
  2. replacement: "X vervangen door Y"                          -> X reject, Y endorse
  3. transition origin: X in "van X naar Y"                     -> reject
  4. rejection cue before ("het einde van X") or after ("X is achterhaald") the mention,
     in the same clause, within the window                      -> reject
  5. contrast: "niet X maar Y"                                  -> Y endorse
  6. negation before the mention in the same clause (or just after it, no comma or
     subordinating word between)
                                                               -> reject
  7. transition target: Y in "van X naar Y"                     -> endorse
  8. a question ("... ?")                                      -> neutral
  9. an endorsement cue near the mention, same clause          -> endorse (explicit)
 10. otherwise                                                 -> endorse (unmarked)
Inverted sub-categories (herindeling) then swap endorse and reject. Finally, within a
document, unmarked mentions of a frame the author explicitly rejects at least twice (and
at least twice as often as explicitly endorses) are read as rejected too: a writer who argues
against the regiegemeente does not endorse it in the next, uncued sentence.
"""

from __future__ import annotations

import bisect
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy
from spacy.language import Language
from spacy.strings import get_string_id
from spacy.tokens import Doc, Span
from spacy.tokens.underscore import Underscore

from nlp.cues import (
    ATTRIBUTION, ENDORSEMENT, NEGATION, REJECT_AFTER, REJECT_BEFORE, REPLACEMENT,
    TRANSITION_FROM, TRANSITION_TO, CueRules, load_cues,
)
from nlp.extensions import SPAN_KEY, register_extensions
from nlp.lexicon import CUES_PATH, lexicon_at
from nlp.patterns import Match, longest_non_overlapping
from nlp.tokens import TokenView, token_view

QUOTES = ('"', "“", "”", "„", "'", "‘", "’", "«", "»")
PROPAGATION_MIN_REJECTS = 2


@dataclass(frozen=True)
class Verdict:
    polarity: str
    cue: str | None
    kind: str | None

    @property
    def explicit(self) -> bool:
        return self.cue is not None


UNMARKED = Verdict("endorse", None, None)


class SentenceContext:
    """Cues, clauses and quotations of one sentence, in sentence-token positions."""

    def __init__(
        self, view: TokenView, number: int, rules: CueRules,
        cue_starts: list[int], scope_starts: list[int], quote_marks: list[int],
    ) -> None:
        lo, hi = view.sentence_lo[number], view.sentence_hi[number]
        self.view, self.lo = view, lo
        tokens = view.tokens(lo, hi)
        self.cues: list[Match[frozenset[str]]] = longest_non_overlapping(rules.cues.find_matches(tokens, cue_starts))
        scope_ends = rules.scope_end.find_matches(tokens, scope_starts)
        self._scope_ends = sorted(m.start for m in scope_ends)
        self.scope_end_words = {m.start: self.word(m.start) for m in scope_ends}
        self.question = hi > lo and self.word(hi - lo - 1) == "?"
        pairs = zip(quote_marks[0::2], quote_marks[1::2])
        self.quotes = [(a, b) for a, b in pairs if b - a - 1 >= rules.min_quote_tokens]

    def clause(self, k: int) -> int:
        """The clause of sentence token k: how many scope ends come at or before it."""
        return bisect.bisect_right(self._scope_ends, k)

    def word(self, k: int) -> str:
        """The lower-case form of sentence token k."""
        return self.view.text(int(self.view.lower[self.lo + k]))

    def of_kind(self, kind: str) -> list[Match[frozenset[str]]]:
        return [m for m in self.cues if kind in m.pattern.label]

    def text(self, match: Match[frozenset[str]]) -> str:
        return " ".join(self.word(k) for k in range(match.start, match.end))


def decide(start: int, end: int, ctx: SentenceContext, rules: CueRules) -> Verdict:
    """The polarity of a mention spanning sentence positions [start, end)."""
    clause = ctx.clause(start)
    for match in ctx.of_kind(ATTRIBUTION):
        return Verdict("neutral", ctx.text(match), ATTRIBUTION)
    for a, b in ctx.quotes:
        if a < start and end <= b:
            return Verdict("neutral", "citaat", ATTRIBUTION)
    for match in ctx.of_kind(REPLACEMENT):
        return Verdict("reject" if end <= match.start else "endorse", ctx.text(match), REPLACEMENT)
    origin_target = _transition(start, end, ctx, rules)
    if origin_target and origin_target.polarity == "reject":
        return origin_target
    for match in ctx.of_kind(REJECT_BEFORE):
        if _precedes(match, start, rules.rejection_before_window, ctx):
            return Verdict("reject", ctx.text(match), "rejection")
    for match in ctx.of_kind(REJECT_AFTER):
        if match.start >= end and match.start - end <= rules.rejection_after_window and ctx.clause(match.start) == clause:
            return Verdict("reject", ctx.text(match), "rejection")
    verdict = _contrast(start, ctx, rules)
    if verdict:
        return verdict
    for match in ctx.of_kind(NEGATION):
        before = _precedes(match, start, rules.negation_window, ctx)
        after = (
            match.start >= end and match.start - end <= rules.negation_after_window
            and not rules.negation_after_barriers & {ctx.word(k) for k in range(end, match.start)}
        )
        if (before or after) and ctx.clause(match.start) == clause:
            return Verdict("reject", ctx.text(match), NEGATION)
    if origin_target:
        return origin_target
    if ctx.question:
        return Verdict("neutral", "?", "question")
    for match in ctx.of_kind(ENDORSEMENT):
        near = match.end <= start and start - match.end <= rules.endorsement_window
        near = near or (match.start >= end and match.start - end <= rules.endorsement_window)
        if near and ctx.clause(match.start) == clause:
            return Verdict("endorse", ctx.text(match), ENDORSEMENT)
    return UNMARKED


def _precedes(cue: Match[frozenset[str]], start: int, window: int, ctx: SentenceContext) -> bool:
    """The cue comes before the mention, within the window, in its clause, with no other cue
    between them ("afscheid van X en kiezen voor Y": the nearer cue decides Y)."""
    if not (cue.end <= start and start - cue.end <= window and ctx.clause(cue.start) == ctx.clause(start)):
        return False
    return not any(cue.end <= other.start and other.end <= start for other in ctx.cues if other is not cue)


def _transition(start: int, end: int, ctx: SentenceContext, rules: CueRules) -> Verdict | None:
    """van X naar Y: X (between the markers) rejected, Y (same clause, just after) endorsed."""
    window = rules.transition_window
    for origin in ctx.of_kind(TRANSITION_FROM):
        for target in ctx.of_kind(TRANSITION_TO):
            if not (origin.end <= target.start and target.start - origin.end <= window):
                continue
            cue = f"{ctx.text(origin)} … {ctx.text(target)}"
            if origin.end <= start and end <= target.start:
                return Verdict("reject", cue, "transition")
            if target.end <= start and start - target.end <= window // 2 and ctx.clause(target.start) == ctx.clause(start):
                return Verdict("endorse", cue, "transition")
    return None


def _contrast(start: int, ctx: SentenceContext, rules: CueRules) -> Verdict | None:
    """niet X maar Y: a mention right after the contrast marker, with a negator before it."""
    clause = ctx.clause(start)
    for position, word in ctx.scope_end_words.items():
        if word not in rules.contrast_markers or ctx.clause(position) != clause or position > start:
            continue
        negated = any(
            ctx.word(k) in rules.contrast_negators for k in range(max(0, position - 8), position)
        )
        if negated:
            return Verdict("endorse", f"niet … {word}", "contrast")
    return None


@lru_cache(maxsize=1)
def _quote_ids() -> numpy.ndarray:
    return numpy.array([get_string_id(q) for q in QUOTES], dtype="uint64")


class PolarityTagger:
    def __init__(self, rules: CueRules, inverted: frozenset[str]) -> None:
        self.rules = rules
        self.inverted = inverted
        register_extensions()

    def __call__(self, doc: Doc) -> Doc:
        mentions = list(doc.spans[SPAN_KEY]) if SPAN_KEY in doc.spans else []
        view = token_view(doc)
        if mentions:
            cue_starts = view.by_sentence(self.rules.cues.start_positions(view))
            scope_starts = view.by_sentence(self.rules.scope_end.start_positions(view))
            is_quote = numpy.isin(view.unique_ids, _quote_ids())
            quote_marks = view.by_sentence(view.positions_where(is_quote, by_lemma=False))
        contexts: dict[int, SentenceContext] = {}
        for span in mentions:
            number = view.sentence_of(span.start)
            ctx = contexts.get(number)
            if ctx is None:
                ctx = contexts[number] = SentenceContext(
                    view, number, self.rules,
                    cue_starts.get(number, []), scope_starts.get(number, []), quote_marks.get(number, []))
            start, end = view.position(span.start) - ctx.lo, view.position(span.end - 1) + 1 - ctx.lo
            verdict = decide(start, end, ctx, self.rules)
            polarity = verdict.polarity
            values = span._  # each `span._` builds a new accessor object
            if f"{values.frame}.{values.subcategory}" in self.inverted:
                polarity = {"endorse": "reject", "reject": "endorse"}.get(polarity, polarity)
            values.polarity = polarity
            values.cue = verdict.cue
            values.cue_kind = verdict.kind
            values.explicit = verdict.explicit
        _propagate_rejection(mentions)
        return doc


def _propagate_rejection(mentions: list[Span]) -> None:
    by_frame: dict[str, list[Underscore]] = {}
    for span in mentions:
        values = span._
        by_frame.setdefault(values.frame, []).append(values)
    for frame_values in by_frame.values():
        explicit = Counter(v.polarity for v in frame_values if v.explicit)
        if explicit["reject"] < PROPAGATION_MIN_REJECTS or explicit["reject"] < 2 * explicit["endorse"]:
            continue
        for values in frame_values:
            if not values.explicit:
                values.polarity = "reject"
                values.cue_kind = "document"
                values.cue = "(elders in de tekst afgewezen)"


@Language.factory(
    "regiescan_polarity",
    default_config={"lexicon_path": None, "rules_path": None, "cues_path": None},
)
def make_polarity_tagger(
    nlp: Language, name: str, lexicon_path: str | None, rules_path: str | None, cues_path: str | None
) -> PolarityTagger:
    lexicon = lexicon_at(lexicon_path, rules_path, cues_path)
    return PolarityTagger(load_cues(Path(cues_path) if cues_path else CUES_PATH), lexicon.inverted)
