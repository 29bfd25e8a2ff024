"""The stance model's card: the JSON shipped beside the model (read without loading the
model or scikit-learn, for versions and provenance) and its Markdown rendering."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

STANCES = ("regie", "netwerk", "zelfstandig", "geen")
MODEL_DIR = Path(__file__).resolve().parent / "model"
CARD_JSON = "model_card.json"
CARD_MD = "model_card.md"


class ModelError(RuntimeError):
    """A model file that is missing, untrusted or does not fit the current lexicon."""


def check_lexicon(card: dict[str, Any], expected_lexicon: str | None) -> None:
    if expected_lexicon is not None and card.get("lexicon_version") != expected_lexicon:
        raise ModelError(
            f"the stance model was trained with lexicon {card.get('lexicon_version')}, but the lexicon in use "
            f"is {expected_lexicon}; retrain with `regiescan train` (or restore the lexicon it was built for)"
        )


def read_model_card(directory: Path = MODEL_DIR, expected_lexicon: str | None = None) -> dict[str, Any]:
    """The model's card without loading the model (cheap: for versions and provenance)."""
    path = directory / CARD_JSON
    try:
        card: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ModelError(f"no readable model card at {path}; train a model with `regiescan train`") from exc
    check_lexicon(card, expected_lexicon)
    return card


def render_card(card: dict[str, Any]) -> str:
    cv = card["cross_validation"]
    lines = [
        "# regiescan stance model",
        "",
        f"- model version: `{card['model_version']}` (training date + hash of the training data, settings, classifier and lexicon version)",
        f"- lexicon version: `{card['lexicon_version']}`",
        f"- trained: {card['trained_at']}",
        f"- training data: {card['training_data']['n_examples']} passages from "
        + ", ".join(f"`{f}`" for f in card["training_data"]["files"])
        + f" (sha256 `{card['training_data']['sha256'][:12]}`)",
        "- classes: " + ", ".join(f"{k} {v}" for k, v in card["training_data"]["class_counts"].items()),
        f"- classifier: `{card.get('classifier', '?')}`",
        f"- settings: {card['settings']}",
        "",
        f"## {cv['folds']}-fold stratified cross-validation (seed {cv['seed']})",
        "",
        f"Macro-F1 **{cv['macro_f1']:.3f}**, accuracy {cv['accuracy']:.3f}, n = {cv['n']}.",
        "",
        "| class | precision | recall | F1 | support |",
        "|---|---|---|---|---|",
    ]
    for label, m in cv["per_class"].items():
        lines.append(f"| {label} | {m['precision']:.3f} | {m['recall']:.3f} | {m['f1']:.3f} | {m['support']} |")
    labels = cv["confusion_matrix"]["labels"]
    lines += ["", "Confusion matrix (rows: gold, columns: predicted):", "", "| gold \\ predicted | " + " | ".join(labels) + " |",
              "|---" * (len(labels) + 1) + "|"]
    for label, row in zip(labels, cv["confusion_matrix"]["rows_gold_columns_predicted"]):
        lines.append(f"| {label} | " + " | ".join(str(v) for v in row) + " |")
    lines += [
        "",
        "## Intended use and limits",
        "",
        "Classifies which collaboration frame the author of a Dutch passage endorses (regie, netwerk,",
        "zelfstandig) or none (geen), following the project codebook. Trained on passages written for",
        "regiescan (synthetic, labelled by the codebook), not on real council documents: figures on real",
        "text are reported separately (`regiescan eval-stance`). Longer texts are classified sentence by",
        "sentence. Not meant for other languages or for texts outside local government collaboration.",
        "",
    ]
    return "\n".join(lines)
