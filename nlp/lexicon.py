"""The frame lexicon (quanteda YAML) and its regiescan rules, loaded and versioned."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

from nlp.patterns import PatternSet, TokenPattern

DATA_DIR = Path(__file__).resolve().parent / "data"
LEXICON_PATH = DATA_DIR / "lexicon.yml"
RULES_PATH = DATA_DIR / "lexicon_rules.yml"
CUES_PATH = DATA_DIR / "cues.yml"
FRAMES = ("regie", "netwerk", "zelfstandig")
POLARITIES = ("endorse", "reject", "neutral")

_DECLARED_VERSION = re.compile(r"#\s*regiescan-lexicon-version:\s*(\S+)")


class LexiconError(ValueError):
    """The lexicon or its rules cannot be used; the message says which entry and why."""


@dataclass(frozen=True)
class FrameLabel:
    frame: str
    subcategory: str


@dataclass(frozen=True)
class Lexicon:
    version: str  # declared version + hash of lexicon, rules and cues: any edit changes it
    entries: dict[str, dict[str, list[str]]]  # frame -> sub-category -> patterns
    patterns: PatternSet[FrameLabel]
    exclusions: PatternSet[str]  # patterns that veto a match of the frame they are labelled with
    inverted: frozenset[str]  # "frame.subcategory" whose polarity is reversed
    path: Path


def _read_yaml(path: Path) -> object:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise LexiconError(f"file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise LexiconError(f"{path} is not valid YAML: {exc}") from exc


def data_version(lexicon_path: Path, rules_path: Path, cues_path: Path) -> str:
    declared = _DECLARED_VERSION.search(lexicon_path.read_text(encoding="utf-8"))
    sha = hashlib.sha256()
    for path in (lexicon_path, rules_path, cues_path):
        sha.update(path.read_bytes())
    return f"{declared.group(1) if declared else '0'}+{sha.hexdigest()[:10]}"


def load_lexicon(
    lexicon_path: Path = LEXICON_PATH, rules_path: Path = RULES_PATH, cues_path: Path = CUES_PATH
) -> Lexicon:
    raw = _read_yaml(lexicon_path)
    if not isinstance(raw, dict) or not raw:
        raise LexiconError(f"{lexicon_path}: expected a mapping frame -> sub-category -> patterns")
    unknown = set(raw) - set(FRAMES)
    if unknown:
        raise LexiconError(f"{lexicon_path}: unknown frame(s) {sorted(unknown)}; frames are {list(FRAMES)}")
    entries: dict[str, dict[str, list[str]]] = {}
    compiled: list[TokenPattern[FrameLabel]] = []
    for frame, subcategories in raw.items():
        if not isinstance(subcategories, dict):
            raise LexiconError(f"{lexicon_path}: frame {frame!r} must map sub-categories to pattern lists")
        entries[frame] = {}
        for subcategory, patterns in subcategories.items():
            if not isinstance(patterns, list) or not all(isinstance(p, str) for p in patterns):
                raise LexiconError(f"{lexicon_path}: {frame}.{subcategory} must be a list of strings")
            entries[frame][subcategory] = list(patterns)
            for pattern in patterns:
                try:
                    compiled.append(TokenPattern.parse(pattern, FrameLabel(frame, subcategory)))
                except ValueError as exc:
                    raise LexiconError(f"{lexicon_path}: {frame}.{subcategory}: {exc}") from exc
    rules = _read_yaml(rules_path) or {}
    if not isinstance(rules, dict):
        raise LexiconError(f"{rules_path}: expected a mapping")
    known_subcategories = {f"{f}.{s}" for f, subs in entries.items() for s in subs}
    inverted = frozenset(rules.get("inverted") or [])
    if inverted - known_subcategories:
        raise LexiconError(f"{rules_path}: inverted names unknown sub-categories {sorted(inverted - known_subcategories)}")
    exclusions = PatternSet(  # one set for all frames: one scan per sentence
        TokenPattern.parse(p, frame) for frame, patterns in (rules.get("exclusions") or {}).items() for p in patterns
    )
    return Lexicon(
        version=data_version(lexicon_path, rules_path, cues_path),
        entries=entries,
        patterns=PatternSet(compiled),
        exclusions=exclusions,
        inverted=inverted,
        path=lexicon_path,
    )


def lexicon_at(
    lexicon_path: str | Path | None = None, rules_path: str | Path | None = None, cues_path: str | Path | None = None
) -> Lexicon:
    """The lexicon from these files (the bundled ones where None), compiled once per process:
    the frame matcher, the polarity tagger and the run all ask for it."""
    return _cached_lexicon(
        Path(lexicon_path or LEXICON_PATH).resolve(), Path(rules_path or RULES_PATH).resolve(),
        Path(cues_path or CUES_PATH).resolve(),
    )


@lru_cache(maxsize=4)
def _cached_lexicon(lexicon_path: Path, rules_path: Path, cues_path: Path) -> Lexicon:
    return load_lexicon(lexicon_path, rules_path, cues_path)
