"""Bootstrap intervals of eval-stance's figures (nlp/evaluate.py)."""

from __future__ import annotations

import numpy as np
from sklearn.metrics import f1_score

from nlp.annotations import STANCE_LABELS
from nlp.evaluate import _macro_f1_of_draws, macro_f1_interval

LABELS = list(STANCE_LABELS)


def _labels(rng: np.random.Generator, n: int, choices: list[str]) -> list[str]:
    return [str(v) for v in rng.choice(choices, size=n)]


def test_macro_f1_of_each_draw_equals_sklearns():
    rng = np.random.default_rng(3)
    # zelfstandig never in the gold labels and rarely predicted: a label sklearn scores 0.
    gold = _labels(rng, 60, ["regie", "netwerk", "geen"])
    predicted = _labels(rng, 60, LABELS)
    codes = {label: k for k, label in enumerate(LABELS)}
    g, p = (np.array([codes[v] for v in values]) for values in (gold, predicted))
    draws = rng.integers(0, 60, size=(25, 60))
    ours = _macro_f1_of_draws(g, p, draws, len(LABELS))
    theirs = [f1_score(g[row], p[row], labels=range(len(LABELS)), average="macro", zero_division=0) for row in draws]
    assert np.allclose(ours, theirs)


def test_interval_brackets_the_figure_and_narrows_with_more_passages():
    rng = np.random.default_rng(5)
    gold = _labels(rng, 80, LABELS)
    predicted = [g if rng.random() < 0.7 else str(rng.choice(LABELS)) for g in gold]
    point = f1_score(gold, predicted, labels=LABELS, average="macro", zero_division=0)
    low, high = macro_f1_interval(gold, predicted)
    assert low < point < high
    # The same passages four times over: the same figure, known more precisely.
    low4, high4 = macro_f1_interval(gold * 4, predicted * 4)
    assert low < low4 < point < high4 < high
    assert macro_f1_interval(gold, gold) == (1.0, 1.0)


def test_paired_difference_is_resampled_jointly():
    rng = np.random.default_rng(7)
    gold = _labels(rng, 80, LABELS)
    predicted = [g if rng.random() < 0.8 else "geen" for g in gold]
    assert macro_f1_interval(gold, predicted, baseline=predicted) == (0.0, 0.0)
    # A baseline that differs from the model on two passages only: every draw's difference is
    # small, although each figure alone varies much more from draw to draw.
    baseline = list(predicted)
    for i in (0, 1):
        baseline[i] = next(label for label in LABELS if label != predicted[i])
    low, high = macro_f1_interval(gold, predicted, baseline=baseline)
    alone_low, alone_high = macro_f1_interval(gold, predicted)
    assert high - low < (alone_high - alone_low) / 2
