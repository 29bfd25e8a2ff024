"""Evaluate frame detection and stance against codebook-labelled passages
(`regiescan eval-frames`, `regiescan eval-stance`)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterable, Literal, Sequence

import numpy as np
from spacy.language import Language

if TYPE_CHECKING:
    from nlp.analyser import Analyser

from nlp.annotations import STANCE_LABELS
from nlp.jsonl import jsonl_lines
from nlp.lexicon import FRAMES
from nlp.mentions import Mention, dominant_polarities, mentions_of
from nlp.pipeline import too_long


class GoldError(ValueError):
    pass


GoldTask = Literal["frames", "stance"]


@dataclass(frozen=True)
class Gold:
    records: list[dict[str, Any]]
    sha256: str  # of the file's bytes as read: which gold set a published figure came from


def read_gold(path: Path, task: GoldTask = "frames") -> Gold:
    """Lines {"id", "text", "frames": {frame: polarity}} (task "frames", eval-frames) or
    {"id", "text", "stance"} (task "stance", eval-stance), other keys ignored; errors name the
    line and what the command needs."""
    data = path.read_bytes()
    records = []
    for line in jsonl_lines(data.splitlines(keepends=True)):
        problem = line.error or _gold_problem(line.value, task)
        if problem:
            raise GoldError(f"{path}:{line.number}: {problem}")
        records.append(line.value)
    if not records:
        raise GoldError(f"{path}: no labelled passages (eval-{task} needs {_NEEDS[task]})")
    return Gold(records, hashlib.sha256(data).hexdigest())


_NEEDS: dict[GoldTask, str] = {
    "frames": "JSONL objects with a string 'text' and 'frames' (an object {frame: polarity}, {} for none)",
    "stance": "JSONL objects with a string 'text' and 'stance' (one of " + ", ".join(STANCE_LABELS) + ")",
}


def _gold_problem(record: Any, task: GoldTask) -> str | None:
    needs = f"eval-{task} needs {_NEEDS[task]}"
    if not isinstance(record, dict):
        return f"{needs}; this line is not an object"
    if not isinstance(record.get("text"), str):
        return f"{needs}; {_what_is(record, 'text')}"
    if problem := too_long(record["text"]):
        return problem
    if task == "frames" and not isinstance(record.get("frames"), dict):
        return f"{needs}; {_what_is(record, 'frames')}"
    if task == "stance" and record.get("stance") not in STANCE_LABELS:
        return f"{needs}; {_what_is(record, 'stance')}"
    return None


def _what_is(record: dict[str, Any], key: str) -> str:
    if key not in record:
        return f"this line has no {key!r}"
    return f"this line has {key}={json.dumps(record[key], ensure_ascii=False)[:60]}"


@dataclass
class FrameScores:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    polarity_right: int = 0
    polarity_total: int = 0

    @property
    def precision(self) -> float:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0

    @property
    def recall(self) -> float:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def polarity_accuracy(self) -> float:
        return self.polarity_right / self.polarity_total if self.polarity_total else 0.0


@dataclass
class FrameEvaluation:
    n_passages: int
    scores: dict[str, FrameScores]
    misses: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "n_passages": self.n_passages,
            "frames": {
                f: {
                    "precision": round(s.precision, 3), "recall": round(s.recall, 3), "f1": round(s.f1, 3),
                    "support": s.tp + s.fn, "polarity_accuracy": round(s.polarity_accuracy, 3),
                    "polarity_n": s.polarity_total,
                }
                for f, s in self.scores.items()
            },
        }


def kwic(text: str, start: int, end: int, width: int = 45) -> str:
    """Keyword in context on one line: ...left [keyword] right..."""
    left = text[max(0, start - width):start].replace("\n", " ")
    right = text[end:end + width].replace("\n", " ")
    return f"{left:>{width}} [{text[start:end]}] {right}"


def evaluate_frames(nlp: Language, records: Iterable[dict[str, Any]]) -> FrameEvaluation:
    records = list(records)
    scores = {frame: FrameScores() for frame in FRAMES}
    misses: list[str] = []
    docs = nlp.pipe((r["text"] for r in records), batch_size=64)
    for record, doc in zip(records, docs):
        gold: dict[str, str] = record["frames"]
        mentions = mentions_of(doc)
        predicted = dominant_polarities(mentions)
        rid = record.get("id", "?")
        for frame in FRAMES:
            in_gold, in_pred = frame in gold, frame in predicted
            s = scores[frame]
            if in_gold and in_pred:
                s.tp += 1
                s.polarity_total += 1
                if gold[frame] == predicted[frame]:
                    s.polarity_right += 1
                else:
                    for m in _of_frame(mentions, frame):
                        misses.append(f"{rid} polarity {frame} gold={gold[frame]} got={m.polarity} cue={m.cue!r}: {kwic(record['text'], m.start, m.end)}")
            elif in_pred:
                s.fp += 1
                for m in _of_frame(mentions, frame):
                    misses.append(f"{rid} extra {frame}.{m.subcategory}: {kwic(record['text'], m.start, m.end)}")
            elif in_gold:
                s.fn += 1
                misses.append(f"{rid} missed {frame} ({gold[frame]}): {record['text'][:160]!r}")
    return FrameEvaluation(len(records), scores, misses)


def _of_frame(mentions: list[Mention], frame: str) -> list[Mention]:
    return [m for m in mentions if m.frame == frame]


# A figure on some hundred passages is uncertain by several points: eval-stance gives
# percentile bootstrap intervals over the passages (seeded, so a rerun prints the same).
BOOTSTRAP_DRAWS = 2000
BOOTSTRAP_SEED = 20261129
# Draws are made in blocks: a large gold file's draws need not all be in memory at once.
DRAWS_PER_BLOCK = 200


def _macro_f1_of_draws(gold: np.ndarray, predicted: np.ndarray, draws: np.ndarray, n_labels: int) -> np.ndarray:
    """Macro-F1 (labels as integers 0..n_labels-1, every label counted, 0 for a label without
    gold or prediction, as sklearn's zero_division=0) of each row of passage indices."""
    cells = gold[draws] * n_labels + predicted[draws]
    offsets = np.arange(len(draws))[:, None] * n_labels * n_labels
    counts = np.bincount((cells + offsets).ravel(), minlength=len(draws) * n_labels * n_labels)
    confusion = counts.reshape(len(draws), n_labels, n_labels)
    tp = np.diagonal(confusion, axis1=1, axis2=2)
    denominator = confusion.sum(axis=1) + confusion.sum(axis=2)  # 2tp + fp + fn
    with np.errstate(invalid="ignore", divide="ignore"):
        f1 = np.where(denominator > 0, 2 * tp / denominator, 0.0)
    return f1.mean(axis=1)


def macro_f1_interval(gold: Sequence[str], predicted: Sequence[str], baseline: Sequence[str] | None = None,
                      labels: Sequence[str] = STANCE_LABELS, draws: int = BOOTSTRAP_DRAWS,
                      seed: int = BOOTSTRAP_SEED) -> tuple[float, float]:
    """95% percentile bootstrap interval of macro-F1 over the passages, or, with a baseline,
    of macro-F1(predicted) - macro-F1(baseline) on the same draws (paired: the difference is
    resampled, not each figure)."""
    index = {label: k for k, label in enumerate(labels)}
    gold_codes, predicted_codes = (np.array([index[v] for v in values]) for values in (gold, predicted))
    baseline_codes = None if baseline is None else np.array([index[v] for v in baseline])
    rng = np.random.default_rng(seed)
    values = []
    for start in range(0, draws, DRAWS_PER_BLOCK):
        rows = rng.integers(0, len(gold), size=(min(DRAWS_PER_BLOCK, draws - start), len(gold)))
        block = _macro_f1_of_draws(gold_codes, predicted_codes, rows, len(labels))
        if baseline_codes is not None:
            block = block - _macro_f1_of_draws(gold_codes, baseline_codes, rows, len(labels))
        values.append(block)
    low, high = np.percentile(np.concatenate(values), [2.5, 97.5])
    return round(float(low), 4), round(float(high), 4)


def evaluate_stance(analyser: Analyser, records: list[dict[str, Any]]) -> dict[str, Any]:
    """Stance macro-F1 of the model and of the plain keyword count, on all and on hard cases,
    with bootstrap intervals of the model's figures and of its gain over the keyword count."""
    from nlp.annotations import is_hard
    from nlp.baseline import keyword_stance
    from nlp.classifier import stance_metrics

    analysed = list(analyser.analyse(r["text"] for r in records))
    results = analyser.stances(analysed)
    gold = [r["stance"] for r in records]
    model_pred = [res.stance for res in results]
    keyword_pred = [keyword_stance(a.mentions) for a in analysed]
    hard = [i for i, r in enumerate(records) if is_hard(r)]

    def subset(values: list[str], index: list[int]) -> list[str]:
        return [values[i] for i in index]

    report: dict[str, Any] = {
        "n": len(records),
        "n_hard": len(hard),
        "model": stance_metrics(gold, model_pred),
        "keyword_count": stance_metrics(gold, keyword_pred),
        "model_hard": stance_metrics(subset(gold, hard), subset(model_pred, hard)) if hard else None,
        "keyword_count_hard": stance_metrics(subset(gold, hard), subset(keyword_pred, hard)) if hard else None,
        "intervals": {
            "level": 0.95, "draws": BOOTSTRAP_DRAWS, "seed": BOOTSTRAP_SEED,
            "model_macro_f1": macro_f1_interval(gold, model_pred),
            "model_minus_keyword_count": macro_f1_interval(gold, model_pred, baseline=keyword_pred),
            "model_hard_macro_f1": macro_f1_interval(subset(gold, hard), subset(model_pred, hard)) if hard else None,
        },
        "errors": [
            {"id": r.get("id"), "gold": g, "predicted": p, "text": r["text"]}
            for r, g, p in zip(records, gold, model_pred) if g != p
        ],
    }
    return report
