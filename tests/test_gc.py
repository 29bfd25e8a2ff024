"""The analysis makes no reference cycles, so the analyse step may pause the garbage collector."""

from __future__ import annotations

import gc
import threading

import pytest

from nlp.analyser import Analyser, gc_paused

LONG_TEXT = " ".join(
    [
        "De gemeente wil de regie houden over de verbonden partijen.",
        "Wij zijn een van de spelers in het regionale netwerk en werken samen als gelijkwaardige partners.",
        "Een herindeling is niet aan de orde: de gemeente blijft zelfstandig.",
        "Volgens de provincie moet de regio meer sturen.",
        "Is de regiegemeente achterhaald?",
        "Het college zet in op „een sterke eigen koers voor de komende jaren”.",
    ]
)


@pytest.fixture(scope="module")
def analyser() -> Analyser:
    return Analyser(with_model=False)


@pytest.fixture
def collector_on():
    was_enabled = gc.isenabled()
    gc.enable()
    yield
    gc.enable() if was_enabled else gc.disable()


def test_analysing_texts_leaves_no_cyclic_garbage(analyser, collector_on):
    """Every object the analysis makes goes with its last reference: a TokenView that
    referred to itself through its Tokens once left some 120 objects per document for the
    collector, which gc_paused would then have let pile up."""
    list(analyser.analyse([LONG_TEXT]))  # first use fills caches
    gc.collect()
    gc.disable()
    try:
        results = list(analyser.analyse([LONG_TEXT, "De gemeente voert regie.", LONG_TEXT * 3]))
        results += list(analyser.analyse([LONG_TEXT], whole=True))
        assert sum(len(r.units) for r in results) > 10 and any(r.mentions for r in results)
        del results
        assert gc.collect() == 0
    finally:
        gc.enable()


def test_gc_paused_nests_and_restores_the_collector(collector_on):
    with gc_paused():
        assert not gc.isenabled()
        with gc_paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the outer pause still runs
    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        with gc_paused():
            raise RuntimeError("analysis failed")
    assert gc.isenabled()


def test_gc_paused_leaves_a_disabled_collector_disabled(collector_on):
    gc.disable()
    with gc_paused():
        pass
    assert not gc.isenabled()


def test_gc_paused_in_threads_ends_with_the_last_pause(collector_on):
    a_in, b_in, a_out = threading.Event(), threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def first() -> None:
        with gc_paused():
            a_in.set()
            b_in.wait(5)
        a_out.set()

    def second() -> None:
        a_in.wait(5)
        with gc_paused():
            b_in.set()
            a_out.wait(5)
            seen["after the first pause ended"] = gc.isenabled()

    threads = [threading.Thread(target=first), threading.Thread(target=second)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert seen == {"after the first pause ended": False}
    assert gc.isenabled()
