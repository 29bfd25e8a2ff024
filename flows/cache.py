"""Per-document analysis cache: one JSON file per (content hash, lexicon, model, analysis) key.

Keys are content, not objects: the same text analysed with the same lexicon, stance model,
analysis code and spaCy pipeline gives the same record, so any run can reuse it. A change to
any of those changes every key.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import orjson  # a no-change rerun reads every record back: orjson parses them several times faster

from flows.outputs import atomic_write_bytes
from flows.provenance import PROJECT_ROOT, files_fingerprint
from nlp.pipeline import pipeline_identity


# The code an analysis record comes from: the NLP package and the task code that builds records.
ANALYSIS_CODE = (PROJECT_ROOT / "nlp", PROJECT_ROOT / "flows" / "analysis.py")


def analysis_fingerprint(nlp_model: str) -> str:
    """What a record depends on besides the text, lexicon and stance model: the code that
    analyses and classifies, and the spaCy pipeline (nlp.model) with its versions."""
    return hashlib.sha256(f"{files_fingerprint(ANALYSIS_CODE)}|{pipeline_identity(nlp_model)}".encode()).hexdigest()


def cache_key(content_sha256: str, lexicon_version: str, model_version: str, analysis: str) -> str:
    """`analysis`: analysis_fingerprint of the run's configuration."""
    return hashlib.sha256(f"{content_sha256}|{lexicon_version}|{model_version}|{analysis}".encode()).hexdigest()


class AnalysisCache:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            record = orjson.loads(self._path(key).read_bytes())
        except (OSError, orjson.JSONDecodeError):
            return None  # missing or damaged entries are recomputed
        return record if isinstance(record, dict) and record.get("cache_key") == key else None

    def put(self, key: str, record: dict[str, Any]) -> None:
        # Not fsynced: an entry a crash leaves empty or torn fails `get`'s checks and is
        # recomputed, and an fsync per document held up the analysis threads.
        atomic_write_bytes(self._path(key), orjson.dumps(record), durable=False)
