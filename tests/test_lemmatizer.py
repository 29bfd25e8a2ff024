"""regiescan_lemmatizer gives exactly the lemmas of spaCy's Dutch lookup lemmatizer (any text:
tests/test_properties.py)."""

from __future__ import annotations

import pytest
import spacy

from nlp.annotations import read_annotations, training_files
from nlp.lemmatizer import LookupLemmatizer
from nlp.pipeline import build_pipeline


def blank_with(factory: str, **config: object) -> spacy.language.Language:
    nlp = spacy.blank("nl")
    nlp.add_pipe(factory, config={"mode": "lookup", **config})
    nlp.initialize()
    return nlp


@pytest.fixture(scope="module")
def pair() -> tuple[spacy.language.Language, spacy.language.Language]:
    return blank_with("lemmatizer"), blank_with("regiescan_lemmatizer")


def _lemmas(nlp: spacy.language.Language, texts: list[str]) -> list[list[tuple[str, str]]]:
    return [[(t.text, t.lemma_) for t in doc] for doc in nlp.pipe(texts)]


def test_the_pipeline_uses_it():
    nlp = build_pipeline()
    assert isinstance(nlp.get_pipe("regiescan_lemmatizer"), LookupLemmatizer)
    assert "lemmatizer" not in nlp.pipe_names


def test_every_annotated_passage_gets_spacys_lemmas(pair):
    spacy_nlp, ours = pair
    texts = [a.text for path in training_files() for a in read_annotations(path)]
    assert len(texts) > 1000
    expected, got = _lemmas(spacy_nlp, texts), _lemmas(ours, texts)
    assert got == expected
    # Not trivially equal: the table changed many words.
    assert sum(text.lower() != lemma for doc in got for text, lemma in doc) > 1000


@pytest.mark.parametrize("overwrite", [False, True])
def test_lemmas_already_set_are_treated_as_spacy_does(overwrite):
    def lemmatized(factory: str) -> list[str]:
        nlp = blank_with(factory, overwrite=overwrite)
        doc = nlp.make_doc("De resultaten voeren de regie.")
        doc[1].lemma_ = "EIGEN"
        return [t.lemma_ for t in nlp.get_pipe(factory)(doc)]

    assert lemmatized("regiescan_lemmatizer") == lemmatized("lemmatizer")
    assert lemmatized("regiescan_lemmatizer")[1] == ("resultaat" if overwrite else "EIGEN")


def test_a_doc_of_another_vocab_gets_its_lemma_strings(pair):
    _, ours = pair
    lemmatizer = ours.get_pipe("regiescan_lemmatizer")
    lemmatizer(ours.make_doc("De gemeenten voeren de regie."))  # remembers ids in ours' vocab
    other = spacy.blank("nl")
    doc = lemmatizer(other.make_doc("De resultaten voeren de regie."))
    assert [t.lemma_ for t in doc] == ["de", "resultaat", "voeren", "de", "regie", "."]
