import pytest
import spacy

from nlp.pipeline import NlpConfig, ModelNotInstalled, build_pipeline


@pytest.fixture(scope="module")
def nlp():
    return build_pipeline()


def sentences(nlp, text):
    return [s.text.strip() for s in nlp(text).sents if s.text.strip()]


def test_abbreviations_do_not_end_sentences(nlp):
    text = "Dit geldt o.a. voor art. 5 en bijv. nr. 3 van de Wgr. De gemeente voert de regie."
    assert sentences(nlp, text) == [
        "Dit geldt o.a. voor art. 5 en bijv. nr. 3 van de Wgr.",
        "De gemeente voert de regie.",
    ]


def test_numbered_and_bulleted_list_items_are_sentences(nlp):
    text = "Het college besluit:\n1. de nota vast te stellen;\n2. de raad te informeren.\n- eerste punt\n• tweede punt"
    assert sentences(nlp, text) == [
        "Het college besluit:", "1. de nota vast te stellen;", "2. de raad te informeren.", "- eerste punt", "• tweede punt",
    ]


def test_headings_without_full_stop_stand_alone(nlp):
    text = "Artikel 5 Taken\nHet algemeen bestuur stelt de begroting vast.\n\nSamenwerking in de regio\nWij werken samen."
    assert sentences(nlp, text) == [
        "Artikel 5 Taken", "Het algemeen bestuur stelt de begroting vast.", "Samenwerking in de regio", "Wij werken samen.",
    ]


def test_wrapped_pdf_lines_stay_one_sentence(nlp):
    text = "De gemeente voert\nde regie over de uitvoering en stuurt\nde partners aan. Dat is nieuw."
    assert sentences(nlp, text) == ["De gemeente voert\nde regie over de uitvoering en stuurt\nde partners aan.", "Dat is nieuw."]


def test_a_sentence_longer_than_max_words_is_cut(nlp):
    """Text without sentence ends (a flattened table): each mention copies its sentence, so a
    document-long sentence made memory grow with the square of its length."""
    from nlp.sentences import load_rules

    limit = load_rules().max_words
    words = [f"woord{i}" for i in range(2 * limit + 10)]
    doc = nlp(" " + " ".join(words))  # a leading space: token 0 is no word
    lengths = [sum(1 for t in s if not t.is_space) for s in doc.sents]
    assert lengths == [limit, limit, 10]
    prose = "De gemeente voert de regie en werkt samen met de partners in de regio, " * 6 + "zo blijft het."
    assert len(sentences(nlp, prose)) == 1  # a long but ordinary sentence (about 90 words) is kept whole


def test_quotes_and_questions(nlp):
    text = "De wethouder zei: 'Wij voeren de regie.' Daarom kiezen we anders. Wat nu? Dit enz. De raad besluit."
    assert sentences(nlp, text) == [
        "De wethouder zei: 'Wij voeren de regie.'", "Daarom kiezen we anders.", "Wat nu?", "Dit enz.", "De raad besluit.",
    ]


def test_lookup_lemmatizer_is_active(nlp):
    doc = nlp("De gemeente voert de regie over de resultaten.")
    assert [t.lemma_ for t in doc if t.text in ("voert", "resultaten")] == ["voeren", "resultaat"]


def test_components_are_registered_spacy_factories():
    blank = spacy.blank("nl")
    for name in ("regiescan_sentences", "regiescan_frames", "regiescan_polarity"):
        blank.add_pipe(name)
    assert blank.pipe_names == ["regiescan_sentences", "regiescan_frames", "regiescan_polarity"]
    doc = blank("Wij nemen afscheid van de regiegemeente.")
    assert [(m._.frame, m._.polarity) for m in doc._.frame_mentions] == [("regie", "reject")]


def test_the_components_are_found_through_the_package_entry_points():
    """A fresh process that never imports regiescan can add its components by name."""
    import subprocess
    import sys

    code = (
        "import spacy, sys; nlp = spacy.blank('nl')\n"
        "for name in ('regiescan_sentences', 'regiescan_lemmatizer', 'regiescan_frames', 'regiescan_polarity'):\n"
        "    nlp.add_pipe(name)\n"
        "print(' '.join(nlp.pipe_names))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd="/", check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["regiescan_sentences", "regiescan_lemmatizer", "regiescan_frames", "regiescan_polarity"]


def test_missing_trained_model_is_a_clear_error():
    with pytest.raises(ModelNotInstalled, match="nl_core_news_xx.*not installed"):
        build_pipeline(NlpConfig(model="nl_core_news_xx"))


def test_doc_frame_counts_extension(nlp):
    doc = nlp("Wij nemen afscheid van de regiegemeente en kiezen voor gelijkwaardige partners.")
    counts = doc._.frame_counts
    assert counts["regie"]["reject"] == 1
    assert counts["netwerk"]["endorse"] == 2
    mention = doc._.frame_mentions[0]
    assert mention._.cue == "afscheid van" and mention._.sentence.text.startswith("Wij nemen")


def test_mention_extensions_can_be_set_and_survive_doc_serialisation(nlp):
    """The Span extensions read and write the mention records in doc.user_data, so they can
    be set like any extension and travel with Doc.to_bytes."""
    from spacy.tokens import Doc

    doc = nlp("Wij nemen afscheid van de regiegemeente en kiezen voor gelijkwaardige partners.")
    first = doc._.frame_mentions[0]
    assert (first._.frame, first._.subcategory, first._.polarity, first._.explicit) == (
        "regie", first._.subcategory, "reject", True)
    restored = Doc(nlp.vocab).from_bytes(doc.to_bytes())
    assert [(m.text, m._.frame, m._.polarity, m._.cue) for m in restored._.frame_mentions] == [
        (m.text, m._.frame, m._.polarity, m._.cue) for m in doc._.frame_mentions]
    again = restored._.frame_mentions[0]
    again._.polarity = "neutral"
    assert again._.polarity == "neutral" and again._.frame == "regie"
    assert restored._.frame_counts["regie"]["neutral"] == 1
    # A span no component made has the extensions' defaults.
    other = doc[0:1]
    assert (other._.frame, other._.polarity, other._.explicit) == (None, None, False)
