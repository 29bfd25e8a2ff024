from flows.sources.text import normalise_text, repair_hyphenation


def test_line_end_hyphenation_is_repaired():
    assert repair_hyphenation("ontwikkelt zich tot regie-\ngemeente") == "ontwikkelt zich tot regiegemeente"
    assert repair_hyphenation("samenwerkings-\n  verband") == "samenwerkingsverband"


def test_real_hyphenated_names_keep_their_hyphen():
    assert normalise_text("provincie Noord-\nBrabant") == "provincie Noord-\nBrabant"
    assert normalise_text("de regie-gemeente") == "de regie-gemeente"


def test_normalise_text_spaces_controls_and_soft_hyphens():
    raw = "Regie\u00a0voeren\x07 in\r\nde  regio\u00ad\nnaal\ufeff"
    assert normalise_text(raw) == "Regie voeren in\nde regionaal"


def test_normalise_text_keeps_paragraph_breaks_but_collapses_runs():
    assert normalise_text("Kop\n\n\n\nTekst.\n") == "Kop\n\nTekst."
