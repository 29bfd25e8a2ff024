"""Runs every regression case in tests/regression/*.json against the spaCy pipeline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from nlp.mentions import dominant_polarities, mentions_of
from nlp.pipeline import build_pipeline

CASES = Path(__file__).parent / "regression"


def _cases(name: str) -> list[dict]:
    return json.loads((CASES / name).read_text(encoding="utf-8"))["cases"]


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def _ids(cases: list[dict]) -> list[str]:
    return [c["text"][:50] for c in cases]


@pytest.mark.parametrize("case", _cases("morphology.json"), ids=_ids(_cases("morphology.json")))
def test_morphology_and_false_friends(nlp, case):
    mentions = mentions_of(nlp(case["text"]))
    by_text = {m.text: m for m in mentions}
    for expected in case.get("found", []):
        assert expected["text"] in by_text, f"{expected['text']!r} not found in {[m.text for m in mentions]}"
        found = by_text[expected["text"]]
        assert found.frame == expected["frame"]
        if "subcategory" in expected:
            assert found.subcategory == expected["subcategory"]
    for word in case.get("not_found", []):
        assert not [m for m in mentions if word.lower() in m.text.lower()], f"{word!r} matched: {mentions}"
    for frame in case.get("frames_absent", []):
        assert not [m for m in mentions if m.frame == frame], mentions


@pytest.mark.parametrize("case", _cases("cues.json"), ids=[f"{c['family']}: {c['text'][:40]}" for c in _cases("cues.json")])
def test_cue_families(nlp, case):
    mentions = [m for m in mentions_of(nlp(case["text"])) if m.text == case["mention"]]
    assert mentions, f"mention {case['mention']!r} not found"
    mention = mentions[0]
    assert mention.polarity == case["polarity"], mention
    if "cue_kind" in case:
        assert mention.cue_kind == case["cue_kind"], mention


def test_every_cue_family_has_a_case():
    families = {c["family"] for c in _cases("cues.json")}
    assert {"negation", "rejection", "replacement", "transition", "contrast", "scope_end", "attribution",
            "question", "endorsement"} <= families


@pytest.fixture(scope="module")
def seed(shared_dir):
    spec = json.loads((CASES / "seed.json").read_text(encoding="utf-8"))
    return spec, (shared_dir / "seed" / spec["file"]).read_text(encoding="utf-8")


def test_seed_blog_rejects_every_regie_mention(nlp, seed):
    spec, text = seed
    mentions = mentions_of(nlp(text))
    for frame, polarity in spec["all_mentions_of_frame_have_polarity"].items():
        of_frame = [m for m in mentions if m.frame == frame]
        assert of_frame and all(m.polarity == polarity for m in of_frame), [(m.text, m.polarity, m.cue) for m in of_frame]
    assert {f: p for f, p in dominant_polarities(mentions).items() if f in spec["dominant_polarity"]} == spec["dominant_polarity"]


def test_seed_blog_hard_sentences(nlp, seed):
    spec, text = seed
    mentions = mentions_of(nlp(text))
    for case in spec["sentences"]:
        hits = [m for m in mentions if case["locator"] in m.sentence and m.text == case["mention"]]
        assert hits, f"no {case['mention']!r} in a sentence containing {case['locator']!r}"
        assert {m.polarity for m in hits} == {case["polarity"]}, hits


@pytest.mark.parametrize("first, second, dominant", [
    ("Wij kiezen voor regie.", "Volgens de provincie is grip nodig.", "neutral"),
    ("Wij willen geen regie.", "Volgens de provincie is grip nodig.", "neutral"),
    ("Wij kiezen voor regie.", "Wij willen geen grip.", "neutral"),
    ("Wij kiezen voor regie en grip.", "Volgens de provincie is grip nodig.", "endorse"),
])
def test_dominant_polarity_does_not_depend_on_the_order_of_sentences(nlp, first, second, dominant):
    """Every tie is neutral (mixed, or a position no stronger than a relayed view); a tie
    other than endorse against reject went to whichever mention came first."""
    for text in (f"{first} {second}", f"{second} {first}"):
        mentions = mentions_of(nlp(text))
        assert dominant_polarities(mentions) == {"regie": dominant}, [(m.text, m.polarity, m.cue) for m in mentions]
