"""spaCy component `regiescan_polarity`: endorse, reject or neutral for every frame mention.

For each mention the first rule that applies decides (cue lists in data/cues.yml):
  1. attribution: the sentence relays someone else's view (volgens, aldus, laat zien,
     a quotation of 4+ tokens around the mention; not the author's own "laten wij zien"
     or an idiom such as "voor het zeggen": attribution.not_cues) -> neutral
  2. replacement: "X vervangen door Y"                          -> X reject, Y endorse
  3. transition origin: X in "van X naar Y"                     -> reject
  4. rejection cue before ("het einde van X") or after ("X is achterhaald") the mention,
     in the same clause, within the window (a cue before reaches no further than a
     mention of another frame: its object is the nearer one)   -> reject
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
from spacy.tokens import Doc

from nlp.cues import (
    ATTRIBUTION, ENDORSEMENT, NEGATION, REJECT_AFTER, REJECT_BEFORE, REPLACEMENT,
    TRANSITION_FROM, TRANSITION_TO, CueRules, load_cues,
)
from nlp.extensions import (
    CUE, CUE_KIND, EXPLICIT, FRAME, POLARITY, SPAN_KEY, SUBCATEGORY, Record, new_record, record_key,
    register_extensions,
)
from nlp.lexicon import CUES_PATH, lexicon_at
from nlp.patterns import Label, Match, longest_non_overlapping
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
    """Cues, clauses and quotations of one sentence; positions are the view's."""

    def __init__(
        self, view: TokenView, number: int, rules: CueRules, cues: list[Match[frozenset[str]]],
        scope_ends: list[Match[str]], quote_marks: list[int], mentions: list[tuple[int, int, str]],
    ) -> None:
        self.view = view
        self.mentions = mentions  # (start, end, frame) of the sentence's frame mentions
        self.lo, hi = view.sentence_lo[number], view.sentence_hi[number]
        self.cues = cues
        # decide() asks for each kind of cue several times per mention: group them once.
        self._of_kind: dict[str, list[Match[frozenset[str]]]] = {}
        for cue in cues:
            for kind in cue.pattern.label:
                self._of_kind.setdefault(kind, []).append(cue)
        self._scope_ends = [m.start for m in scope_ends]
        self.scope_end_words = {m.start: self.word(m.start) for m in scope_ends}
        self.question = hi > self.lo and self.word(hi - 1) == "?"
        pairs = zip(quote_marks[0::2], quote_marks[1::2])
        self.quotes = [(a, b) for a, b in pairs if b - a - 1 >= rules.min_quote_tokens]

    def clause(self, k: int) -> int:
        """The clause of position k: how many scope ends come at or before it in its sentence."""
        return bisect.bisect_right(self._scope_ends, k)

    def word(self, k: int) -> str:
        """The lower-case form of position k."""
        return self.view.text(self.view.tokens().lower[k])

    def of_kind(self, kind: str) -> list[Match[frozenset[str]]]:
        return self._of_kind.get(kind, [])

    def text(self, match: Match[frozenset[str]]) -> str:
        return " ".join(self.word(k) for k in range(match.start, match.end))


def decide(start: int, end: int, frame: str, ctx: SentenceContext, rules: CueRules) -> Verdict:
    """The polarity of a mention of `frame` spanning view positions [start, end)."""
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
        if _precedes(match, start, frame, rules.rejection_before_window, ctx):
            return Verdict("reject", ctx.text(match), "rejection")
    for match in ctx.of_kind(REJECT_AFTER):
        if match.start >= end and match.start - end <= rules.rejection_after_window and ctx.clause(match.start) == clause:
            return Verdict("reject", ctx.text(match), "rejection")
    verdict = _contrast(start, ctx, rules)
    if verdict:
        return verdict
    for match in ctx.of_kind(NEGATION):
        before = _precedes(match, start, frame, rules.negation_window, ctx)
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


def _precedes(cue: Match[frozenset[str]], start: int, frame: str, window: int, ctx: SentenceContext) -> bool:
    """The cue comes before the mention, within the window, in its clause, with no other cue
    between them ("afscheid van X en kiezen voor Y": the nearer cue decides Y) and no mention
    of another frame ("minder regie en meer samenwerking": the cue's object is the regie)."""
    if not (cue.end <= start and start - cue.end <= window and ctx.clause(cue.start) == ctx.clause(start)):
        return False
    if any(cue.end <= other.start and other.end <= start for other in ctx.cues if other is not cue):
        return False
    return not any(cue.end <= a and b <= start and f != frame for a, b, f in ctx.mentions)


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
            ctx.word(k) in rules.contrast_negators for k in range(max(ctx.lo, position - 8), position)
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
        if not mentions:
            return doc
        view = token_view(doc)
        first = numpy.array([span.start for span in mentions])
        last = numpy.array([span.end - 1 for span in mentions])
        starts, ends = view.before[first], view.before[last] + 1  # view positions
        numbers = view.sentence_numbers(starts)
        user_data = doc.user_data
        keys = [record_key(a, b) for a, b in zip(view.char_start[first].tolist(), view.char_end[last].tolist())]
        # A span another component put in the group has no record yet: it gets one.
        of_spans = [user_data.get(key) or user_data.setdefault(key, new_record(span.label_))
                    for key, span in zip(keys, mentions)]
        placed = list(zip(of_spans, starts.tolist(), ends.tolist(), numbers.tolist()))
        by_sentence: dict[int, list[tuple[int, int, str]]] = {}
        for record, start, end, number in placed:
            by_sentence.setdefault(number, []).append((start, end, record[FRAME]))
        contexts = self._contexts(view, numpy.unique(numbers), by_sentence)
        for record, start, end, number in placed:
            verdict = decide(start, end, record[FRAME], contexts[number], self.rules)
            polarity = verdict.polarity
            if f"{record[FRAME]}.{record[SUBCATEGORY]}" in self.inverted:
                polarity = {"endorse": "reject", "reject": "endorse"}.get(polarity, polarity)
            record[POLARITY], record[CUE], record[CUE_KIND], record[EXPLICIT] = (
                polarity, verdict.cue, verdict.kind, verdict.explicit)
        _propagate_rejection(of_spans)
        return doc

    def _contexts(self, view: TokenView, sentences: numpy.ndarray,
                  mentions: dict[int, list[tuple[int, int, str]]]) -> dict[int, SentenceContext]:
        """The SentenceContext of each of the given sentences (numbers, sorted), with its
        mentions: (start, end, frame) in view positions."""
        not_attribution = {k for m in self.rules.not_attribution.matches_in(view, sentences) for k in m.positions}
        candidates = [m for m in self.rules.cues.matches_in(view, sentences)
                      if not (ATTRIBUTION in m.pattern.label and not_attribution.intersection(m.positions))]
        cues = _by_sentence(view, longest_non_overlapping(candidates))
        scope_ends = _by_sentence(view, self.rules.scope_end.matches_in(view, sentences))
        quote_marks: dict[int, list[int]] = {}
        is_quote = (view.unique_ids[:, None] == _quote_ids()).any(axis=1)  # 9 ids: cheaper than numpy.isin
        marks = view.positions_where(is_quote, by_lemma=False)
        for number, position in zip(view.sentence_numbers(marks).tolist(), marks.tolist()):
            quote_marks.setdefault(number, []).append(position)
        return {
            number: SentenceContext(
                view, number, self.rules, cues.get(number, []), scope_ends.get(number, []), quote_marks.get(number, []),
                mentions.get(number, []))
            for number in sentences.tolist()
        }


def _by_sentence(view: TokenView, matches: list[Match[Label]]) -> dict[int, list[Match[Label]]]:
    """{sentence number: its matches}, in the order given."""
    grouped: dict[int, list[Match[Label]]] = {}
    numbers = view.sentence_numbers(numpy.array([m.start for m in matches], dtype="int64"))
    for number, match in zip(numbers.tolist(), matches):
        grouped.setdefault(number, []).append(match)
    return grouped


def _propagate_rejection(records: list[Record]) -> None:
    by_frame: dict[str, list[Record]] = {}
    for record in records:
        by_frame.setdefault(record[FRAME], []).append(record)
    for frame_records in by_frame.values():
        explicit = Counter(r[POLARITY] for r in frame_records if r[EXPLICIT])
        if explicit["reject"] < PROPAGATION_MIN_REJECTS or explicit["reject"] < 2 * explicit["endorse"]:
            continue
        for record in frame_records:
            if not record[EXPLICIT]:
                record[POLARITY], record[CUE_KIND], record[CUE] = "reject", "document", "(elders in de tekst afgewezen)"


@Language.factory(
    "regiescan_polarity",
    default_config={"lexicon_path": None, "rules_path": None, "cues_path": None},
)
def make_polarity_tagger(
    nlp: Language, name: str, lexicon_path: str | None, rules_path: str | None, cues_path: str | None
) -> PolarityTagger:
    lexicon = lexicon_at(lexicon_path, rules_path, cues_path)
    return PolarityTagger(load_cues(Path(cues_path) if cues_path else CUES_PATH), lexicon.inverted)
