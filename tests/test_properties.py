"""Property-based tests: arbitrary Unicode never crashes text normalisation, sentence
splitting or the frame matcher, and every offset they report indexes the text.

Bounded (200 examples each) so the suite stays fast; REGIESCAN_PROPERTY_EXAMPLES raises the
bound on demand, and bench/fuzz_readers.py fuzzes the file readers for as long as asked.
"""

from __future__ import annotations

import math
import os
import re
import unicodedata
from collections import Counter

import numpy
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from flows.analysis import join_pages, page_of
from flows.sources.readers import Extracted, decode_text
from flows.sources.rejection import Rejected
from flows.sources.text import clean_label, normalise_text, safe_text
from nlp.analyser import analyse_doc
from nlp.lexicon import FRAMES
import nlp.patterns as patterns_module
from nlp.idmap import IdMap
from nlp.patterns import STRING_NUMBERS, PatternSet, TokenPattern, Tokens, longest_non_overlapping
from nlp.cues import load_cues
from nlp.features import voice_patterns
from nlp.pipeline import build_pipeline, configured_lexicon
from nlp.sentences import SentenceSplitter, load_rules
from nlp.tokens import token_view
from sentence_oracle import reference_sentence_starts

# REGIESCAN_PROPERTY_EXAMPLES=5000 pytest tests/test_properties.py searches harder, on demand.
SETTINGS = settings(max_examples=int(os.environ.get("REGIESCAN_PROPERTY_EXAMPLES", "200")), deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])

# Every code point, lone surrogates and control characters included.
ANY_CHAR = st.characters(codec=None, categories=None, exclude_categories=())
ANY_TEXT = st.text(ANY_CHAR, max_size=400)
# Valid Unicode scalar values only: what reaches spaCy (normalise_text removes surrogates).
UNICODE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=400)
# Words the lexicon, the cue lists and the sentence splitter react to, mixed with anything.
TRIGGERS = [
    "regie", "regiegemeente", "regierol", "netwerk", "netwerkgemeente", "samenwerken", "werken", "samen",
    "zelfstandig", "zelfstandige", "gemeente", "niet", "geen", "meer", "van", "naar", "maar", "voert", "de",
    "het", "einde", "afscheid", "vervangen", "door", "volgens", "aldus", "?", ".", ",", ":", ";", "\n", "\n\n",
    "1.", "a)", "-", "•", "'", '"', "“", "”", "o.a.", "art.", "Wij", "De", "REGIE", "Regie-\ngemeente", "\u00ad",
    "De gemeente voert de regie.", "Wij werken samen in het netwerk.", "Wij blijven zelfstandig!",
    "Geen regiegemeente meer.", "Is dat regie?", "Artikel 5 Taken\n",
]
COUNCIL_TEXT = st.lists(st.one_of(st.sampled_from(TRIGGERS), st.text(st.characters(exclude_categories=("Cs",)),
                                                                     max_size=12)), max_size=80).map(" ".join)
SENTENCES = [t for t in TRIGGERS if len(t) > 12]
# Whole documents: several sentences and fragments, so texts are also split into units.
COUNCIL_DOCUMENT = st.lists(st.one_of(st.sampled_from(SENTENCES), COUNCIL_TEXT), min_size=5, max_size=12).flatmap(
    lambda parts: st.lists(st.sampled_from([" ", "\n", "\n\n", " \n "]), min_size=len(parts), max_size=len(parts))
    .map(lambda seps: "".join(p + sep for p, sep in zip(parts, seps))))
TEXT_FOR_NLP = st.one_of(UNICODE_TEXT, COUNCIL_TEXT, COUNCIL_DOCUMENT)

_FORBIDDEN_AFTER_NORMALISING = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f\u200b-\u200d\ufeff\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


@SETTINGS
@given(ANY_TEXT)
@example("a\ud800b\r\n\x00c\u202ed")
@example("regie-\n gemeente \u00ad\n\n\n\nx")
def test_normalise_text_output_is_clean_for_any_input(text):
    out = normalise_text(text)
    assert not _FORBIDDEN_AFTER_NORMALISING.search(out)
    assert "\n\n\n" not in out and out == out.strip()
    assert all(line == line.strip() for line in out.split("\n"))
    out.encode("utf-8")  # no lone surrogates: Parquet and spaCy need valid UTF-8
    assert unicodedata.is_normalized("NFC", out) or not out


HYPHENATION_TEXT = st.text(st.one_of(ANY_CHAR, st.sampled_from(list("ab-\n \t\r\f\u00ad\u2010\u200b\u0301\u00a0"))),
                           max_size=60)


@SETTINGS
@given(st.one_of(ANY_TEXT, HYPHENATION_TEXT))
@example("regie- \ngemeente")  # a space after the line-end hyphen
@example("e\u200b\u0301")  # a removed zero-width space between a letter and its accent
@example("a\u00ad-\nb")
def test_normalise_text_is_idempotent(text):
    once = normalise_text(text)
    assert normalise_text(once) == once


@SETTINGS
@given(ANY_TEXT)
def test_labels_and_refs_are_one_encodable_line(text):
    label = clean_label(text)
    assert label is None or ("\n" not in label and label == label.strip() and 0 < len(label) <= 500)
    safe_text(text).encode("utf-8")


@SETTINGS
@given(st.binary(max_size=2000))
@example(b"\xff\xfe" + "De gemeente".encode("utf-16-le") + b"\x00")  # odd length after the BOM
@example("regie en netwerk".encode("utf-16-be"))
def test_decode_text_returns_text_or_a_rejection(data):
    try:
        text = decode_text(data)
    except Rejected as rejection:
        assert rejection.code == "binary_content"
        return
    assert isinstance(text, str)


@SETTINGS
@given(TEXT_FOR_NLP)
@example("1.\n2.\n\n")
@example(" \n \n")
@example("o.a. art. 5. 'Wij.' (a) b) • - ...?!")
def test_sentences_cover_the_text_and_their_offsets_index_it(nlp, text):
    doc = nlp(text)
    sentences = list(doc.sents)
    if not len(doc):
        return
    assert sentences[0].start == 0 and sentences[-1].end == len(doc)
    for left, right in zip(sentences, sentences[1:]):
        assert left.end == right.start  # contiguous, no gaps, no overlaps
    for sentence in sentences:
        assert text[sentence.start_char:sentence.end_char] == sentence.text


@SETTINGS
@given(TEXT_FOR_NLP)
@example("Wij nemen afscheid van de regiegemeente. Niet regie maar netwerk. Van regie naar netwerk?")
def test_frame_mentions_and_units_have_offsets_that_index_the_text(nlp, text):
    doc = nlp(text)
    analysed = analyse_doc(doc)
    for mention in analysed.mentions:
        assert mention.frame in FRAMES
        assert mention.polarity in ("endorse", "reject", "neutral")
        assert 0 <= mention.start < mention.end <= len(text)
        assert text[mention.start:mention.end] == mention.text
        assert text[mention.sentence_start:].lstrip().startswith(mention.sentence[:20].lstrip())
    previous_end = 0
    for unit in analysed.units:
        assert previous_end <= unit.start <= unit.end <= len(text)
        assert text[unit.start:unit.end] == unit.text
        assert all(unit.start <= m.start and m.end <= unit.end for m in unit.mentions)
        previous_end = unit.end
    # Every mention is in exactly one unit, in text order.
    assert [m for unit in analysed.units for m in unit.mentions] == sorted(analysed.mentions, key=lambda m: m.start)


@SETTINGS
@given(TEXT_FOR_NLP)
@example("Wij  voeren\n\nde REGIE-gemeente.  Niet meer! ")
def test_the_shared_token_view_equals_reading_each_token(nlp, text):
    """The per-doc token view (arrays of string ids, built once) gives exactly what reading
    spaCy's Token objects and sentence spans gives."""
    doc = nlp(text)
    view = token_view(doc)
    sentences = list(doc.sents)
    assert len(sentences) == len(view.sentence_lo) == len(view.sentence_chars)
    for number, sent in enumerate(sentences):
        expected = [(t.i, (t.lower_, t.lemma_.lower() or t.lower_)) for t in sent if not t.is_space]
        lo, hi = view.sentence_lo[number], view.sentence_hi[number]
        tokens = view.tokens()
        got = [(int(view.indices[k]), (tokens.text(tokens.lower[k]), tokens.text(tokens.lemma[k])))
               for k in range(lo, hi)]
        assert got == expected
        assert view.sentence_numbers(numpy.arange(lo, hi)).tolist() == [number] * (hi - lo)
        assert view.sentence_ends(numpy.array([number])).tolist() == [hi]
        assert view.sentence_chars[number] == (sent.start_char, sent.end_char)
        assert [n for n, _, _ in view.sentences()].count(number) == (1 if expected else 0)
    for span in doc.spans.get("regiescan_frames", []):
        assert view.sentence_of(span.start) == next(k for k, s in enumerate(sentences) if s.start <= span.start < s.end)
        assert (view.char_start[span.start], view.char_end[span.end - 1]) == (span.start_char, span.end_char)


@pytest.fixture(scope="module")
def spacy_lemmatizer():
    import spacy

    nlp = spacy.blank("nl")
    nlp.add_pipe("lemmatizer", config={"mode": "lookup"})
    nlp.initialize()
    return nlp


@SETTINGS
@given(TEXT_FOR_NLP)
@example("De GEMEENTEN voeren de Regie; de gemeenten voerden")
def test_regiescan_lemmatizer_gives_spacys_lookup_lemmas(nlp, spacy_lemmatizer, text):
    """Lemmas remembered per distinct word equal spaCy's per-token look-up."""
    assert [t.lemma_ for t in nlp(text)] == [t.lemma_ for t in spacy_lemmatizer(text)]


@SETTINGS
@given(TEXT_FOR_NLP)
@example("Wij voeren niet langer de regie , maar werken samen als een van de spelers ?")
def test_matching_only_where_numpy_says_a_pattern_may_start_finds_every_match(nlp, text):
    """The matchers try only the positions start_positions returns; trying every position
    finds exactly the same matches, for each pattern set the pipeline uses."""
    doc = nlp(text)
    view = token_view(doc)
    lexicon, cues = configured_lexicon(), load_cues()
    for patterns in (lexicon.patterns, lexicon.exclusions, voice_patterns(), cues.cues, cues.scope_end):
        tokens = view.tokens()
        everywhere = patterns.find_matches(tokens)
        starts = patterns.start_positions(view).tolist()
        assert {m.start for m in everywhere} <= set(starts)
        assert patterns.find_matches(tokens, starts) == everywhere


def test_start_positions_stay_right_when_string_numbering_starts_again(nlp, monkeypatch):
    """Known answers are kept by StringNumbers number; when the numbering starts again (here
    every 40 strings), views and pattern sets renumber instead of reading stale answers."""
    texts = [
        "Wij voeren niet langer de regie, maar werken samen als een van de spelers.",
        "Volgens het rapport blijft de gemeente zelfstandig en houdt zij grip op de verbonden partijen.",
        "Het einde van de regiegemeente? De raad kiest voor gelijkwaardige partners in de regio.",
    ]
    lexicon, cues = configured_lexicon(), load_cues()
    sets = (lexicon.patterns, lexicon.exclusions, voice_patterns(), cues.cues, cues.scope_end)
    views = [token_view(nlp(text)) for text in texts]
    expected = [[PatternSet(p.patterns).start_positions(v).tolist() for p in sets] for v in views]
    monkeypatch.setattr(patterns_module, "MEMO_LIMIT", 40)
    generation = STRING_NUMBERS.generation
    for _ in range(3):  # each new view renumbers, so older views' and the sets' numbers go stale
        for text, view, wanted in zip(texts, views, expected):
            new_view = token_view(nlp(text))
            assert [p.start_positions(new_view).tolist() for p in sets] == wanted
            assert [p.start_positions(view).tolist() for p in sets] == wanted
    assert STRING_NUMBERS.generation >= generation + 6


@SETTINGS
@given(st.lists(ANY_TEXT, min_size=1, max_size=6))
def test_normalised_pages_can_always_be_analysed_and_paged(nlp, pages):
    pages = [normalise_text(page) for page in pages]
    text, starts = join_pages(pages)
    doc = nlp(text)
    for token in doc:
        page = page_of(token.idx, starts)
        assert 1 <= page <= len(pages)
        assert text[starts[page - 1]:].startswith(pages[page - 1])
    Extracted(pages)  # what the readers hand on


GLOB = st.text(st.sampled_from("ab*?.\\[]()^$+|{}é-"), min_size=1, max_size=6)


@SETTINGS
@given(st.lists(st.lists(GLOB, min_size=1, max_size=4).map(" ".join), min_size=1, max_size=6),
       st.lists(st.tuples(st.text(max_size=6), st.text(max_size=6)), max_size=30))
def test_pattern_matching_never_crashes_and_matches_stay_in_range(patterns, forms):
    parsed = []
    for k, text in enumerate(patterns):
        try:
            parsed.append(TokenPattern.parse(text, k))
        except ValueError:
            continue
    matches = PatternSet(parsed).find_matches(Tokens.of_forms((a.lower(), b.lower()) for a, b in forms))
    for match in matches:
        assert 0 <= match.start < match.end <= len(forms)
        assert list(match.positions) == sorted(set(match.positions))
        assert match.positions[0] == match.start and match.positions[-1] == match.end - 1
    chosen = longest_non_overlapping(matches)
    claimed = [p for m in chosen for p in m.positions]
    assert len(claimed) == len(set(claimed))


SPLITTER_PIECES = ["Dit", "is", "een", "zin", ".", "?", "!", "...", "?!", "\n", "\n\n", " \n ", "\t", "1", "1.",
                   "2)", "a)", ")", '"', "”", "'", "»", "(", "-", "•", "o", "enz.", "etc.", "nr.", "Kop", "KOP",
                   "b", "3", "Het", ":", "x", "ook"]
SPLITTER_TEXT = st.lists(st.tuples(st.sampled_from(SPLITTER_PIECES), st.sampled_from(["", " ", "\n", "  "])),
                         max_size=40).map(lambda parts: "".join(a + b for a, b in parts))


@SETTINGS
@given(st.one_of(SPLITTER_TEXT, TEXT_FOR_NLP))
@example("Zie art. 5.\n1. Eerste punt\n2) tweede\n\nKOP\nTekst enz. Daarna \"Ja.\" ) nee")
def test_the_sentence_splitter_follows_its_rules_token_by_token(nlp, text):
    """The splitter decides a whole doc at once with numpy; the rules written token by token
    (tests/sentence_oracle.py) give the same sentence starts."""
    doc = SentenceSplitter(load_rules())(nlp.make_doc(text))
    expected = reference_sentence_starts([t.text for t in doc], load_rules())
    assert [bool(t.is_sent_start) for t in doc] == expected


@SETTINGS
@given(st.lists(st.integers(min_value=0, max_value=2**64 - 1), unique=True, max_size=50),
       st.lists(st.integers(min_value=0, max_value=2**64 - 1), unique=True, max_size=50))
def test_an_id_map_answers_as_a_dict_does(first, second):
    """IdMap keeps 64-bit ids sorted in numpy arrays; it gives what a dict would, over two
    rounds of new ids, and asks for each id's value only once."""
    ids_map, reference, asked = IdMap("uint64"), {}, []

    def compute(new: list[int]) -> list[int]:
        asked.extend(new)
        return [(i * 7 + 3) % 2**64 for i in new]

    for ids in (first, second):
        got = ids_map.get(numpy.array(ids, dtype="uint64"), compute)
        for i in ids:
            reference.setdefault(i, (i * 7 + 3) % 2**64)
        assert got.tolist() == [reference[i] for i in ids]
    assert sorted(asked) == sorted(reference) and len(ids_map) == len(reference)
    values, known = ids_map.lookup(numpy.array(first + [12345], dtype="uint64"))
    assert known.tolist() == [True] * len(first) + [12345 in reference]


@SETTINGS
@given(st.lists(st.lists(st.integers(min_value=0, max_value=30), unique=True, max_size=5), max_size=12))
def test_an_id_map_with_a_limit_empties_itself_and_still_answers(rounds):
    """With a limit, get() starts the map again when new ids would pass it; answers stay those
    of the function, and the map never holds more than the limit."""
    ids_map = IdMap("int64", limit=6)
    for ids in rounds:
        got = ids_map.get(numpy.array(ids, dtype="uint64"), lambda new: [i * 3 for i in new])
        assert got.tolist() == [i * 3 for i in ids]
        assert len(ids_map) <= 6


@SETTINGS
@given(TEXT_FOR_NLP)
@example("Wij voeren niet langer de regie. Maar werken samen als een van de spelers ?")
def test_matching_a_whole_doc_with_sentence_ends_equals_matching_sentence_by_sentence(nlp, text):
    """The components match a doc at once, each match bounded by its sentence's end; that
    finds what matching each sentence's own tokens finds."""
    view = token_view(nlp(text))
    lexicon, cues = configured_lexicon(), load_cues()
    for patterns in (lexicon.patterns, lexicon.exclusions, voice_patterns(), cues.cues, cues.scope_end):
        whole = [(m.start, m.end, m.rank, m.positions) for m in patterns.matches_in(view)]
        by_sentence = []
        for _, lo, hi in view.sentences():
            tokens = Tokens(view.lower[lo:hi].tolist(), view.lemma[lo:hi].tolist(), view.text)
            by_sentence += [(m.start + lo, m.end + lo, m.rank, tuple(p + lo for p in m.positions))
                            for m in patterns.find_matches(tokens)]
        assert whole == by_sentence


@SETTINGS
@given(COUNCIL_DOCUMENT)
@example("Het college wil.\nWij werken\n\naan samenwerking. " * 3)
def test_each_sentence_units_voice_markers_are_those_its_own_tokens_match(nlp, text):
    """Voice markers are matched once per doc; a sentence's unit counts those wholly inside
    it, which is what matching the sentence's own tokens finds (no marker across a boundary)."""
    doc = nlp(text)
    view = token_view(doc)
    sentences = [(lo, hi) for _, lo, hi in view.sentences()]
    units = analyse_doc(doc).units
    if len(units) != len(sentences):  # a short text is one passage unit
        return
    for unit, (lo, hi) in zip(units, sentences):
        tokens = Tokens(view.lower[lo:hi].tolist(), view.lemma[lo:hi].tolist(), view.text)
        expected = Counter(m.pattern.label for m in voice_patterns().find_matches(tokens))
        got = {k[len("voice:"):]: v for k, v in unit.features.items() if k.startswith("voice:")}
        assert got == {group: math.log1p(n) for group, n in expected.items()}
