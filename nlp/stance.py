"""From analysed text to stance: per unit (passage or sentence) and per whole text.

A text of up to MAX_PASSAGE_SENTENCES sentences is one unit and takes that unit's
prediction. A longer text (a document) takes its stance from its sentences: the
"stance-bearing" sentences are those whose most probable class is not geen and that contain
at least one frame mention (a sentence without frame language is not evidence: headings,
dates and procedure lines otherwise pick up a topic's vocabulary); the text's probabilities
are their mean (all sentences' mean when there are none) and its stance the most probable
frame, or geen when no sentence bears a stance.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence

import numpy as np

from nlp.classifier import STANCES, StanceModel
from nlp.mentions import Mention, dominant_polarities
from nlp.units import Unit

FRAME_STANCES = STANCES[:3]
GEEN = STANCES.index("geen")


@dataclass
class UnitStance:
    unit: Unit
    probabilities: np.ndarray  # in STANCES order
    stance: str  # the most probable class (argmax of probabilities, taken once per text)

    @property
    def bears_stance(self) -> bool:
        """Evidence within a longer text: a frame is mentioned and the class is not geen."""
        return bool(self.unit.mentions) and self.stance != "geen"


@dataclass
class TextStance:
    stance: str
    probabilities: dict[str, float]
    frames: dict[str, str]
    mentions: list[Mention]
    units: list[UnitStance]


def combine_units(units: Sequence[UnitStance]) -> tuple[str, np.ndarray]:
    if not units:
        return "geen", np.eye(len(STANCES))[GEEN]
    if len(units) == 1:
        return units[0].stance, units[0].probabilities
    bearing = [u.probabilities for u in units if u.bears_stance]
    if not bearing:
        return "geen", np.vstack([u.probabilities for u in units]).mean(axis=0)
    mean = np.vstack(bearing).mean(axis=0)
    return FRAME_STANCES[int(np.argmax(mean[:GEEN]))], mean


def reconcile_frames(frames: dict[str, str], stance: str) -> dict[str, str]:
    """The author endorses one frame at most: another frame read as endorsed is only mentioned."""
    return {f: ("neutral" if p == "endorse" and f != stance else p) for f, p in frames.items()}


def text_stance(units: Sequence[Unit], probabilities: np.ndarray, mentions: list[Mention]) -> TextStance:
    best = np.argmax(probabilities, axis=1).tolist() if len(units) else []
    scored = [UnitStance(u, p, STANCES[i]) for u, p, i in zip(units, probabilities, best)]
    stance, combined = combine_units(scored)
    frames = reconcile_frames(dominant_polarities(mentions), stance)
    return TextStance(stance, {s: round(float(v), 4) for s, v in zip(STANCES, combined)}, frames, mentions, scored)


def classify_units(model: StanceModel, per_text_units: Sequence[Sequence[Unit]]) -> list[np.ndarray]:
    """One predict_proba call for all units of many texts (vectorisers are costly per call)."""
    flat = [u for units in per_text_units for u in units]
    probabilities = model.predict_proba(flat)
    out: list[np.ndarray] = []
    k = 0
    for units in per_text_units:
        out.append(probabilities[k:k + len(units)])
        k += len(units)
    return out


def evidence_records(result: TextStance) -> list[dict[str, Any]]:
    return [
        {"text": m.text, "start": m.start, "end": m.end, "frame": m.frame, "polarity": m.polarity, "cue": m.cue}
        for m in result.mentions
    ]
