"""build_pipeline(config): the Dutch spaCy pipeline regiescan analyses text with."""

from __future__ import annotations

import json
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

from nlp.lexicon import Lexicon, lexicon_at

if TYPE_CHECKING:
    from spacy.language import Language

# The longest text the pipeline takes, in characters. spaCy's default (1,000,000) guards the
# memory of a parser and NER, which regiescan's pipelines leave out: classifying a text this
# long in the blank pipeline peaked about 170 MB (prose) to 350 MB (unpunctuated words, cut
# into sentences by sentences.yml max_words) above the loaded pipeline and model.
# Longer texts are rejected at ingest (ingest.max_text_chars may not exceed this) and are a
# malformed line for classify.
MAX_TEXT_CHARS = 2_000_000


def too_long(text: str) -> str | None:
    """Why a text given as a JSONL line (classify input, gold file, annotation) cannot be
    analysed for its length, or None."""
    if len(text) <= MAX_TEXT_CHARS:
        return None
    return f'"text" has {len(text):,} characters, more than the {MAX_TEXT_CHARS:,} the analyser takes'


# Components of a trained model that regiescan does not need; dropping them keeps it fast.
UNUSED_TRAINED_COMPONENTS = ("ner", "parser", "senter", "textcat", "entity_linker", "entity_ruler")


class NlpConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    model: str = "blank"  # "blank" = spacy.blank("nl"); or an installed Dutch model, e.g. nl_core_news_lg
    lexicon_path: Path | None = None
    rules_path: Path | None = None
    cues_path: Path | None = None
    batch_size: int = 64


class ModelNotInstalled(RuntimeError):
    pass


def is_model_folder(model: str) -> bool:
    """A saved spaCy pipeline folder (spacy.load reads its config.cfg)."""
    return (Path(model) / "config.cfg").is_file()


def pipeline_identity(model: str) -> str:
    """The spaCy pipeline an analysis runs on, by name and version, read without importing
    spaCy: the analysis cache must not hand out a record made by another pipeline."""
    parts = [f"spacy {metadata.version('spacy')}", f"spacy-lookups-data {metadata.version('spacy-lookups-data')}"]
    if model == "blank":
        return ", ".join(["blank nl", *parts])
    try:
        if is_model_folder(model):
            meta = json.loads((Path(model) / "meta.json").read_text(encoding="utf-8"))
            name = f"{meta.get('lang')}_{meta.get('name')} {meta.get('version')} ({Path(model).resolve()})"
        else:
            name = f"{model} {metadata.version(model)}"
    except (OSError, ValueError, metadata.PackageNotFoundError):
        name = model
    return ", ".join([name, *parts])


def build_pipeline(config: NlpConfig | None = None) -> Language:
    # spaCy is imported here, not with the module: NlpConfig is part of every run's settings,
    # and a run that finds nothing changed never builds a pipeline.
    import spacy

    # Importing the component modules registers their factories even where the package's
    # entry points are not installed (running from a source checkout).
    from nlp import frames, lemmatizer, polarity, sentences  # noqa: F401

    config = config or NlpConfig()
    if config.model == "blank":
        nlp = spacy.blank("nl")
        # spaCy's lookup lemmatizer (its default rule mode needs POS tags, which a blank
        # pipeline lacks), looking each distinct word up once: nlp/lemmatizer.py.
        nlp.add_pipe("regiescan_lemmatizer")
        nlp.initialize()  # loads the lookup table shipped in spacy-lookups-data
    else:
        try:
            nlp = spacy.load(config.model, exclude=list(UNUSED_TRAINED_COMPONENTS))
        except OSError as exc:
            raise ModelNotInstalled(
                f"spaCy model {config.model!r} is not installed; install its package "
                f"(e.g. pip install {config.model}) or use model: blank"
            ) from exc
        if nlp.lang != "nl":
            raise ModelNotInstalled(f"spaCy model {config.model!r} is for language {nlp.lang!r}, not Dutch (nl)")
    paths: dict[str, Any] = {
        "lexicon_path": str(config.lexicon_path) if config.lexicon_path else None,
        "rules_path": str(config.rules_path) if config.rules_path else None,
        "cues_path": str(config.cues_path) if config.cues_path else None,
    }
    nlp.max_length = MAX_TEXT_CHARS
    first = nlp.pipe_names[0] if nlp.pipe_names else None
    nlp.add_pipe("regiescan_sentences", before=first) if first else nlp.add_pipe("regiescan_sentences")
    nlp.add_pipe("regiescan_frames", config=paths)
    nlp.add_pipe("regiescan_polarity", config=paths)
    return nlp


def configured_lexicon(config: NlpConfig | None = None) -> Lexicon:
    """The lexicon the configuration names (the bundled one by default)."""
    config = config or NlpConfig()
    return lexicon_at(config.lexicon_path, config.rules_path, config.cues_path)
