"""Annotated passages (corpora/annotations/*.jsonl): reading and validating them."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nlp.jsonl import jsonl_lines
from nlp.lexicon import FRAMES, POLARITIES
from nlp.pipeline import too_long

STANCE_LABELS = ("regie", "netwerk", "zelfstandig", "geen")
ANNOTATIONS_DIR = Path(__file__).resolve().parent.parent / "corpora" / "annotations"


class AnnotationError(ValueError):
    pass


@dataclass(frozen=True)
class Annotated:
    id: str
    text: str
    stance: str
    frames: dict[str, str]
    hard: bool
    source: str  # file name


def is_hard(record: dict[str, Any]) -> bool:
    """Our sets flag hard cases with "hard": true; codebook files mark them in the note."""
    if "hard" in record:
        return bool(record["hard"])
    return str(record.get("note") or "").lower().startswith("hard")


def read_annotations(path: Path) -> list[Annotated]:
    records: list[Annotated] = []
    with open(path, "rb") as f:  # bytes: a line that is not UTF-8 is an error naming its line
        for line in jsonl_lines(f):
            where = f"{path.name}:{line.number}"
            raw = line.value
            if line.error:
                raise AnnotationError(f"{where}: {line.error}")
            if not isinstance(raw, dict) or not isinstance(raw.get("text"), str) or not raw["text"].strip():
                raise AnnotationError(f"{where}: expected an object with a non-empty 'text'")
            if problem := too_long(raw["text"]):
                raise AnnotationError(f"{where}: {problem}")
            stance = raw.get("stance")
            if stance not in STANCE_LABELS:
                raise AnnotationError(f"{where}: stance must be one of {STANCE_LABELS}, got {stance!r}")
            frames = raw.get("frames") or {}
            if not isinstance(frames, dict) or any(f not in FRAMES or p not in POLARITIES for f, p in frames.items()):
                raise AnnotationError(f"{where}: frames must map {FRAMES} to {POLARITIES}")
            records.append(Annotated(str(raw.get("id", line.number)), raw["text"], stance, frames, is_hard(raw), path.name))
    return records


def training_files(directory: Path = ANNOTATIONS_DIR) -> list[Path]:
    files = sorted(directory.glob("*.jsonl"))
    if not files:
        raise AnnotationError(f"no annotation files (*.jsonl) in {directory}")
    return files
