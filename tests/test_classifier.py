"""The shipped stance model: its card, its persistence, and the classify contract."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io as sio

from nlp.annotations import read_annotations, training_files
from nlp.classifier import MODEL_DIR, MODEL_FILE, ModelError, load_model, model_version, training_hash
from nlp.lexicon import lexicon_at
from nlp.pipeline import MAX_TEXT_CHARS

BIN = Path(sys.executable).parent / "regiescan"


@pytest.fixture(scope="module")
def model():
    return load_model(expected_lexicon=lexicon_at().version)


def test_shipped_model_matches_lexicon_and_annotations(model):
    """Fails when the lexicon or the annotations changed without `regiescan train`."""
    records = [r for f in training_files() for r in read_annotations(f)]
    assert model.card["training_data"]["sha256"] == training_hash([r.text for r in records], [r.stance for r in records])
    assert model.lexicon_version == lexicon_at().version


def test_model_version_names_data_settings_and_classifier(model):
    card = model.card
    trained_on = dt.date.fromisoformat(card["trained_at"][:10])
    recipe = (card["training_data"]["sha256"], card["settings"], card["classifier"], card["lexicon_version"])
    assert model.version == model_version(trained_on, *recipe)  # the card says how it was made
    assert model.version != model_version(trained_on, recipe[0], {**recipe[1], "alpha": 2.0}, *recipe[2:])
    assert model.version != model_version(trained_on, recipe[0], recipe[1], "LogisticRegression(C=10)", recipe[3])
    assert model.version != model_version(trained_on, "0" * 64, *recipe[1:])
    assert model.version != model_version(trained_on, *recipe[:3], "1.0+0000000000")  # another lexicon


def test_an_annotation_line_that_is_not_utf8_is_an_error_naming_it(tmp_path):
    from nlp.annotations import AnnotationError

    path = tmp_path / "set_x.jsonl"
    path.write_bytes(b'{"text": "De gemeente voert regie.", "stance": "regie"}\n{"text": "caf\xe9", "stance": "geen"}\n')
    with pytest.raises(AnnotationError, match=r"set_x.jsonl:2: not valid UTF-8"):
        read_annotations(path)
    path.write_text(json.dumps({"text": "a" * (MAX_TEXT_CHARS + 1), "stance": "geen"}) + "\n", encoding="utf-8")
    with pytest.raises(AnnotationError, match=r"set_x.jsonl:1: \"text\" has 2,000,001 characters"):
        read_annotations(path)


def test_model_card_has_cross_validated_metrics(model):
    cv = model.card["cross_validation"]
    assert cv["folds"] >= 5 and cv["n"] == model.card["training_data"]["n_examples"] >= 700
    assert set(cv["per_class"]) == {"regie", "netwerk", "zelfstandig", "geen"}
    assert len(cv["confusion_matrix"]["rows_gold_columns_predicted"]) == 4
    assert (MODEL_DIR / "model_card.md").read_text().count("|") > 20


def test_mismatched_lexicon_is_a_clear_error():
    with pytest.raises(ModelError, match="trained with lexicon .* retrain with `regiescan train`"):
        load_model(expected_lexicon="0.0+other")


def test_untrusted_types_are_refused(tmp_path):
    sio.dump({"format": "regiescan-stance/1", "card_json": "{}", "feature_names": [], "pipeline": Path("/")},
             tmp_path / MODEL_FILE)
    with pytest.raises(ModelError, match="not trusted"):
        load_model(tmp_path)


def test_missing_model_is_a_clear_error(tmp_path):
    with pytest.raises(ModelError, match="regiescan train"):
        load_model(tmp_path)


def _classify(lines: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN), "classify", "-", *args], input=lines, capture_output=True, text=True, timeout=300)


def test_classify_contract_order_ids_and_shape():
    inputs = [
        {"id": "a", "text": "De gemeente voert de regie en besteedt de uitvoering uit.", "extra": 1},
        {"id": 2, "text": "Wij nemen afscheid van de regiegemeente en werken als gelijkwaardige partners samen met inwoners."},
        {"id": "c", "text": "Onze gemeente moet zelfstandig blijven: geen herindeling."},
        {"id": "d", "text": "Artikel 4. Het algemeen bestuur vergadert ten minste twee keer per jaar."},
    ]
    result = _classify("".join(json.dumps(i) + "\n" for i in inputs))
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 2, "c", "d"]
    assert [o["stance"] for o in out] == ["regie", "netwerk", "zelfstandig", "geen"]
    for o in out:
        assert set(o) == {"id", "stance", "probabilities", "frames", "evidence"}
        assert set(o["probabilities"]) == {"regie", "netwerk", "zelfstandig", "geen"}
        assert abs(sum(o["probabilities"].values()) - 1) < 1e-3
        for e in o["evidence"]:
            assert set(e) == {"text", "start", "end", "frame", "polarity", "cue"}
    text = inputs[1]["text"]
    assert out[1]["frames"]["regie"] == "reject"
    assert all(text[e["start"]:e["end"]] == e["text"] for e in out[1]["evidence"])


def test_classify_malformed_line_names_line_number():
    lines = '{"id": 1, "text": "Wij voeren de regie."}\n{not json\n'
    result = _classify(lines)
    assert result.returncode == 2
    assert "line 2" in result.stderr
    skipped = _classify(lines, "--skip-invalid")
    assert skipped.returncode == 0
    assert [json.loads(x)["id"] for x in skipped.stdout.splitlines()] == [1]


def test_classify_files_and_long_documents(tmp_path, shared_dir):
    seed = (shared_dir / "seed" / "sioo-einde-van-de-regiegemeente.txt").read_text(encoding="utf-8")
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "seed", "text": seed}) + "\n", encoding="utf-8")
    result = subprocess.run([str(BIN), "classify", str(tmp_path / "in.jsonl"), "-o", str(tmp_path / "out.jsonl")],
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    out = json.loads((tmp_path / "out.jsonl").read_text())
    assert out["stance"] == "netwerk"
    assert out["frames"]["regie"] == "reject"


def test_escaped_glob_is_literal_and_the_question_marker_counts_question_marks_only():
    import math
    import re

    from nlp.features import unit_features, voice_patterns
    from nlp.patterns import Tokens, glob_to_regex

    assert re.fullmatch(glob_to_regex("\\?"), "?") and not re.fullmatch(glob_to_regex("\\?"), ",")
    assert re.fullmatch(glob_to_regex("a?c"), "abc")  # an unescaped ? is still one character
    forms = [("wie", "wie"), (",", ","), ("a", "a"), ("regie", "regie"), ("?", "?"), (".", ".")]
    voice = [m.pattern.label for m in voice_patterns().find_matches(Tokens.of_forms(forms))]
    assert unit_features([], voice)["voice:question"] == pytest.approx(math.log1p(1))


def test_stance_probabilities_equal_the_fitted_pipelines_own(model):
    """predict_proba builds the TF-IDF columns per distinct word (nlp/tfidf.py); the
    probabilities are exactly those of the persisted sklearn Pipeline, on the annotated
    passages whole and on a long document split into sentences."""
    from nlp.analyser import Analyser
    from nlp.classifier import units_frame

    analyser = Analyser()
    texts = [r.text for f in training_files() for r in read_annotations(f)]
    document = " ".join(texts[:60]) + "\n\nKOP ZONDER PUNT\nNog een zin met ÉÉN hoofdletterwoord en cijfers 2025."
    units = [u for a in analyser.analyse(texts, whole=True) for u in a.units]
    units += [u for a in analyser.analyse([document]) for u in a.units]
    expected = analyser.model.pipeline.predict_proba(units_frame(units, analyser.model.feature_names))
    order = [list(analyser.model.pipeline.classes_).index(s) for s in ("regie", "netwerk", "zelfstandig", "geen")]
    assert (analyser.model.predict_proba(units) == expected[:, order]).all()


def test_fitted_tfidf_equals_the_vectorizer_and_refuses_other_settings():
    import numpy
    from hypothesis import given, settings, strategies as st
    from sklearn.feature_extraction.text import TfidfVectorizer

    from nlp.tfidf import FittedTfidf

    texts = [r.text for f in training_files() for r in read_annotations(f)][:400]
    fitted = [
        TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=2, sublinear_tf=True).fit(texts),
        TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=1).fit(texts),
        TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True).fit(texts),
        TfidfVectorizer(min_df=1, norm=None).fit(texts),
    ]

    @settings(max_examples=100, deadline=None)
    @given(st.lists(st.one_of(st.sampled_from(texts), st.text(max_size=60)), min_size=1, max_size=8))
    def same_matrix(sample: list[str]) -> None:
        for vectorizer in fitted:
            expected, got = vectorizer.transform(sample), FittedTfidf(vectorizer).transform(sample)
            assert got.shape == expected.shape
            assert numpy.array_equal(got.toarray(), expected.toarray())

    same_matrix()
    for unsupported in (TfidfVectorizer(analyzer="char"), TfidfVectorizer(lowercase=False),
                        TfidfVectorizer(ngram_range=(2, 3)), TfidfVectorizer(stop_words=["de"])):
        with pytest.raises(ValueError, match="FittedTfidf supports"):
            FittedTfidf(unsupported.fit(texts))
