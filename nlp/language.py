"""Is this text Dutch? A stop-word vote that needs no download.

Stop-word lists ship inside spaCy's own language modules. Each language scores the share
of a text's words that are its stop words and no other candidate's; Dutch wins when it
has the highest score. Short texts (few words) are not judged.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Iterable

MIN_WORDS = 30
CANDIDATES = ("nl", "en", "de", "fr")
NAMES_NL = {"nl": "Nederlands", "en": "Engels", "de": "Duits", "fr": "Frans"}


@lru_cache(maxsize=1)
def _distinctive_stop_words() -> dict[str, frozenset[str]]:
    from spacy.lang.de.stop_words import STOP_WORDS as de
    from spacy.lang.en.stop_words import STOP_WORDS as en
    from spacy.lang.fr.stop_words import STOP_WORDS as fr
    from spacy.lang.nl.stop_words import STOP_WORDS as nl

    lists = {"nl": set(nl), "en": set(en), "de": set(de), "fr": set(fr)}
    return {
        lang: frozenset(words - set().union(*(other for name, other in lists.items() if name != lang)))
        for lang, words in lists.items()
    }


def guess_language(words: Iterable[str]) -> str | None:
    """"nl", "en", "de" or "fr" by distinctive stop words; None when there is too little text."""
    lowered = [w.lower() for w in words if w.isalpha()]
    if len(lowered) < MIN_WORDS:
        return None
    stops = _distinctive_stop_words()
    scores = {lang: sum(1 for w in lowered if w in stops[lang]) for lang in CANDIDATES}
    best = max(scores, key=lambda lang: scores[lang])
    return best if scores[best] > 0 else None
