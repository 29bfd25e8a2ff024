"""Once the batches are done the flow process frees its spaCy pipeline and stance model, so the
report is not built on top of them (the report's peak was the run's peak)."""

from __future__ import annotations

import gc
import weakref

from flows.steps import _analyser, _build_analyser, release_analysers
from nlp.pipeline import NlpConfig


def test_release_analysers_frees_the_pipeline_and_model() -> None:
    analyser = _analyser(NlpConfig().model_dump_json())
    assert _analyser(NlpConfig().model_dump_json()) is analyser  # one per process while batches run
    alive = (weakref.ref(analyser.nlp), weakref.ref(analyser))
    del analyser
    gc.collect()
    assert all(ref() is not None for ref in alive)  # the cache holds it, frozen out of gc's view

    release_analysers()

    assert _build_analyser.cache_info().currsize == 0
    assert all(ref() is None for ref in alive)
    assert gc.get_freeze_count() == 0  # frozen garbage would never be collected
    release_analysers()  # nothing left to free: a no-op
