"""Compare stance-model variants the same way on the same data, on demand (not a test).

For each variant: 5-fold cross-validation and leave-one-annotation-file-out on regiescan's own
passages (the figures a variant may be chosen by) and, when ../shared is there, macro-F1 on
the shared real passages (reported, never used to choose: regiescan is also measured on real
passages that are not shared). Then, for each variant, the by-file difference from the
shipped pipeline with a paired bootstrap interval (optimistic for a pipeline that was chosen
among several on these same predictions).

    .venv/bin/python bench/stance_variants.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict
from sklearn.pipeline import Pipeline

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from nlp.analyser import Analyser  # noqa: E402
from nlp.annotations import STANCE_LABELS, is_hard, read_annotations, training_files  # noqa: E402
from nlp.classifier import ModelSettings, make_pipeline, units_frame  # noqa: E402
from nlp.evaluate import macro_f1_interval  # noqa: E402
from nlp.features import feature_names  # noqa: E402

DEV = ROOT.parent / "shared" / "corpora" / "dev_passages.jsonl"


def lemma_texts(analyser: Analyser, texts: list[str]) -> list[str]:
    return [" ".join((t.lemma_ or t.text).lower() for t in doc) for doc in analyser.parse(texts)]


def frame(analyser: Analyser, texts: list[str], names: list[str]) -> pd.DataFrame:
    units = [a.units[0] for a in analyser.analyse(texts, whole=True)]
    return units_frame(units, names).assign(lemmas=lemma_texts(analyser, texts))


def variant(names: list[str], chars: bool = True, words_column: str = "text", logistic: bool = False) -> Callable[[], Pipeline]:
    """The shipped pipeline's settings, with the character n-grams left out, the word n-grams
    taken over lemmas instead of word forms, or the logistic regression (C=10) shipped before
    the calibrated ridge classifier."""
    settings = ModelSettings()

    def build() -> Pipeline:
        shipped = make_pipeline(names, settings)
        columns = shipped.steps[0][1]
        parts = [(n, t, words_column if n == "words" else c) for n, t, c in columns.transformers if chars or n != "chars"]
        weights = {n: w for n, w in (columns.transformer_weights or {}).items() if chars or n != "chars"}
        classifier = LogisticRegression(C=10, class_weight="balanced", max_iter=5000) if logistic else shipped.steps[-1][1]
        return Pipeline([("features", ColumnTransformer(parts, transformer_weights=weights)), ("classifier", classifier)])
    return build


def macro_f1(gold: np.ndarray, predicted: np.ndarray) -> float:
    return float(f1_score(gold, predicted, labels=list(STANCE_LABELS), average="macro", zero_division=0))


def main() -> None:
    analyser = Analyser(with_model=False)
    names = feature_names(analyser.lexicon)
    records = [r for f in training_files() for r in read_annotations(f)]
    X = frame(analyser, [r.text for r in records], names)
    y = np.array([r.stance for r in records])
    files = np.array([r.source for r in records])
    dev = [json.loads(line) for line in DEV.read_text(encoding="utf-8").splitlines() if line.strip()] if DEV.is_file() else []
    Xd = frame(analyser, [r["text"] for r in dev], names) if dev else None
    yd = np.array([r["stance"] for r in dev])
    hard = np.array([is_hard(r) for r in dev], dtype=bool)
    variants = {
        "shipped (words + chars + frames)": variant(names),
        "logistic regression (before)": variant(names, logistic=True),
        "without char n-grams": variant(names, chars=False),
        "word n-grams over lemmas": variant(names, words_column="lemmas"),
    }
    print(f"{len(y)} own passages in {len(set(files))} files; {len(dev)} shared passages")
    print(f"{'variant':<36} {'5-fold':>7} {'by file':>8} {'shared':>7} {'hard':>6}")
    by_file_predictions: dict[str, np.ndarray] = {}
    for label, build in variants.items():
        cv = cross_val_predict(build(), X, y, cv=StratifiedKFold(5, shuffle=True, random_state=13))
        by_file = np.empty_like(y)
        for name in np.unique(files):
            held = files == name
            by_file[held] = build().fit(X[~held], y[~held]).predict(X[held])
        shared = hard_f1 = float("nan")
        if dev:
            predicted = build().fit(X, y).predict(Xd)
            shared, hard_f1 = macro_f1(yd, predicted), macro_f1(yd[hard], predicted[hard])
        print(f"{label:<36} {macro_f1(y, cv):>7.3f} {macro_f1(y, by_file):>8.3f} {shared:>7.3f} {hard_f1:>6.3f}", flush=True)
        by_file_predictions[label] = by_file
    shipped_label, shipped = next(iter(by_file_predictions.items()))
    print(f"\nby file, {shipped_label} minus each variant (paired bootstrap, 2,000 draws of passages):")
    for label, predicted in list(by_file_predictions.items())[1:]:
        low, high = macro_f1_interval(list(y), list(shipped), baseline=list(predicted))
        print(f"  {label:<34} {macro_f1(y, shipped) - macro_f1(y, predicted):+.3f} ({low:+.3f} to {high:+.3f})")


if __name__ == "__main__":
    main()
