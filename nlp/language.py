"""Is this text Dutch? A stop-word vote that needs no download.

Stop-word lists ship inside spaCy's own language modules. Each language scores the share
of a text's words that are its stop words and no other candidate's; Dutch wins when it
has the highest score. Short texts (few words) are not judged.
"""

from __future__ import annotations

import importlib.util
from functools import lru_cache
from pathlib import Path

import numpy
from spacy.attrs import IS_ALPHA, LOWER
from spacy.strings import get_string_id
from spacy.tokens import Doc

MIN_WORDS = 30
CANDIDATES = ("nl", "en", "de", "fr")
NAMES_NL = {"nl": "Nederlands", "en": "Engels", "de": "Duits", "fr": "Frans"}


def _stop_words(lang: str) -> set[str]:
    """spacy/lang/<lang>/stop_words.py, read without importing the language package (French's
    tokenizer exceptions alone take seconds to import, for a list of words)."""
    package = importlib.util.find_spec(f"spacy.lang.{lang}")
    if package is None or not package.submodule_search_locations:
        raise RuntimeError(f"spaCy has no language package {lang!r}")
    path = Path(list(package.submodule_search_locations)[0]) / "stop_words.py"
    spec = importlib.util.spec_from_file_location(f"regiescan_stop_words_{lang}", path)
    if spec is None or spec.loader is None:
        raise RuntimeError(f"cannot read {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return set(module.STOP_WORDS)


@lru_cache(maxsize=1)
def _distinctive_stop_ids() -> tuple[numpy.ndarray, numpy.ndarray]:
    """String ids of the stop words that only one candidate language has (sorted), and the
    index in CANDIDATES of that language."""
    lists = {lang: _stop_words(lang) for lang in CANDIDATES}
    owner: dict[int, int] = {}
    for number, lang in enumerate(CANDIDATES):
        others = set().union(*(words for name, words in lists.items() if name != lang))
        owner.update((get_string_id(word), number) for word in lists[lang] - others)
    ids = numpy.array(sorted(owner), dtype="uint64")
    return ids, numpy.array([owner[i] for i in ids.tolist()], dtype="int64")


def guess_language(doc: Doc) -> str | None:
    """"nl", "en", "de" or "fr" by distinctive stop words; None when there is too little text."""
    rows = doc.to_array([LOWER, IS_ALPHA]).reshape(-1, 2)
    words = rows[rows[:, 1] == 1, 0]  # lower-case forms of the alphabetic tokens
    if len(words) < MIN_WORDS:
        return None
    ids, languages = _distinctive_stop_ids()
    where = numpy.minimum(numpy.searchsorted(ids, words), len(ids) - 1)
    hits = languages[where[ids[where] == words]]
    scores = numpy.bincount(hits, minlength=len(CANDIDATES))
    best = int(numpy.argmax(scores))  # the first of equal scores, in CANDIDATES order, as max() did
    return CANDIDATES[best] if scores[best] > 0 else None
