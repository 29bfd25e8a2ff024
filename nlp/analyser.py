"""The analysis entry point the CLI and the flow share: texts -> units, mentions, stance."""

from __future__ import annotations

import gc
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from spacy.language import Language
from spacy.tokens import Doc

from nlp.classifier import MODEL_DIR, StanceModel, load_model
from nlp.mentions import Mention, mentions_of
from nlp.pipeline import NlpConfig, build_pipeline, configured_lexicon
from nlp.stance import TextStance, classify_units, text_stance
from nlp.tokens import token_view
from nlp.units import Unit, passage_unit, text_sentences, units_of


@dataclass
class Analysed:
    units: list[Unit]
    mentions: list[Mention]
    n_sentences: int
    n_tokens: int


def analyse_doc(doc: Doc, whole: bool = False, text: str | None = None) -> Analysed:
    """Units (one passage, or one per sentence for long texts) and mentions of a parsed text.

    `text`: the string the doc was parsed from, which spaCy keeps exactly; it spares
    rebuilding doc.text from a new Token object per token.
    """
    doc_text = doc.text if text is None else _same_text(doc, text)
    view = token_view(doc)
    mentions = mentions_of(doc, doc_text)
    sentences = text_sentences(view)
    if whole:
        unit = passage_unit(view, doc_text, sentences, mentions)
        units = [unit] if unit else []
    else:
        units = units_of(view, doc_text, sentences, mentions)
    return Analysed(units, mentions, len(sentences), len(view))


def _same_text(doc: Doc, text: str) -> str:
    end = doc[-1].idx + len(doc[-1].text_with_ws) if len(doc) else 0
    if end != len(text):
        raise ValueError(f"the text ({len(text)} characters) is not the one this doc was parsed from ({end})")
    return text


class Analyser:
    """A spaCy pipeline and the stance model built for the same lexicon."""

    def __init__(self, config: NlpConfig | None = None, model_dir: Path = MODEL_DIR, with_model: bool = True) -> None:
        self.config = config or NlpConfig()
        self.nlp: Language = build_pipeline(self.config)
        self.lexicon = configured_lexicon(self.config)
        self.lexicon_version = self.lexicon.version
        self.model: StanceModel | None = (
            load_model(model_dir, expected_lexicon=self.lexicon_version) if with_model else None
        )

    def parse(self, texts: Iterable[str]) -> Iterator[Doc]:
        return self.nlp.pipe(texts, batch_size=self.config.batch_size)

    def analyse(self, texts: Iterable[str], whole: bool = False) -> Iterator[Analysed]:
        pairs = self.nlp.pipe(((text, text) for text in texts), as_tuples=True, batch_size=self.config.batch_size)
        for doc, text in pairs:
            yield analyse_doc(doc, whole, text)

    def stances(self, analysed: Sequence[Analysed]) -> list[TextStance]:
        if self.model is None:
            raise RuntimeError("this Analyser was built without a stance model")
        probabilities = classify_units(self.model, [a.units for a in analysed])
        return [text_stance(a.units, p, a.mentions) for a, p in zip(analysed, probabilities)]

    def classify(self, texts: Sequence[str]) -> list[TextStance]:
        with gc_paused():
            analysed = list(self.analyse(texts))
        return self.stances(analysed)


def long_lived_analyser(config: NlpConfig | None = None, model_dir: Path = MODEL_DIR) -> Analyser:
    """An Analyser for a process that analyses many texts (a flow worker, the classify
    command). Its lookup tables, vocabulary and model are some 250,000 objects that live as
    long as the process; gc.freeze() takes them out of the garbage collector's view, which
    otherwise walks them again on every full collection that the analysis's allocations set
    off (bench/README.md has the measurement)."""
    analyser = Analyser(config, model_dir)
    gc.freeze()
    return analyser


_pause_lock = threading.Lock()
_pauses = 0  # analyses running under gc_paused, over all threads
_collector_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch of texts is analysed.

    The analysis keeps a few hundred objects per document (units, feature dicts, mentions)
    and makes no reference cycles (tests/test_gc.py), so the collections those allocations
    set off find nothing to free and only walk the batch's objects again and again: about a
    tenth of the analyse step's time. Pauses in several threads are counted; the collector
    is switched back on (if it was on) when the last one ends.
    """
    global _pauses, _collector_was_enabled
    with _pause_lock:
        if _pauses == 0:
            _collector_was_enabled = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pause_lock:
            _pauses -= 1
            if _pauses == 0 and _collector_was_enabled:
                gc.enable()
