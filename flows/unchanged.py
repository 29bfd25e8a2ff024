"""A run whose inputs equal those of the run `latest` points at is not done again.

A run's inputs are every candidate document (its reference, the sha256 of its raw bytes and
its manifest row), the run configuration (except the paths where outputs and the analysis
cache go, and the --rebuild switch), the lexicon and model versions, the package versions and
regiescan's own code, data and model files. Their hash is the run's `input_key` in run.json.
When it equals the key of the complete run `latest` points at, that run's outputs are what
this run would write, so the run only records that nothing changed (run.json with
`outputs_of`) and `latest` stays where it is: a scheduled run that finds nothing new costs
a directory listing and one read of each input, not a rebuild of every table and the report.
`--rebuild` forces the full run (the analysis cache still spares the NLP work).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any, Sequence

from flows.outputs import LATEST
from flows.provenance import PROJECT_ROOT, files_fingerprint, package_versions
from flows.sources.base import Candidate

# What regiescan's results depend on besides the documents: its code, lexicon, rules, model
# and the municipality reference lists.
CODE_FOLDERS = (PROJECT_ROOT / "flows", PROJECT_ROOT / "nlp", PROJECT_ROOT / "corpora" / "reference")
NOT_AN_INPUT = {"out", "cache_dir", "rebuild"}  # settings that do not change what a run writes
# A previous run is reused only if it finished every step and its outputs are still there.
REQUIRED_OUTPUTS = (
    "run.json", "documents.parquet", "rejected.parquet", "duplicates.parquet", "sentences.parquet",
    "evidence.parquet", "document_stance.parquet", "municipality_stance.parquet",
    "municipality_year_stance.parquet", "report/index.html",
)


class RunInputs:
    """The candidates a run will ingest (their key is RunState.input_key).

    A plain class on purpose: Prefect walks dataclasses and lists passed between tasks, and
    a corpus has many candidates.
    """

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates


def code_fingerprint() -> str:
    """sha256 over regiescan's code, data and model files (names and contents)."""
    return files_fingerprint(tuple(folder for folder in CODE_FOLDERS if folder.exists()))


def input_key(candidates: Sequence[Candidate], config_record: dict[str, Any], lexicon_version: str,
              model_version: str) -> str:
    settings = {k: v for k, v in config_record.items() if k not in NOT_AN_INPUT}
    sha = hashlib.sha256(json.dumps({
        "config": settings, "lexicon": lexicon_version, "model": model_version,
        "packages": package_versions(), "code": code_fingerprint(),
    }, sort_keys=True, default=str).encode("utf-8"))
    for candidate in candidates:  # in source order: the order decides which duplicate is kept
        manifest_row = getattr(candidate, "manifest_row", None)
        # A rejection known before reading (a manifest conflict, say) names manifest lines that
        # can change while the file does not: its reason is an input of the rejected table.
        known = getattr(candidate, "problem", None) or getattr(candidate, "rejection", None)
        rejection = [known.code, known.reason] if known is not None else None
        sha.update(json.dumps([candidate.ref, candidate.digest, manifest_row, rejection], sort_keys=True).encode("utf-8"))
    return sha.hexdigest()


def unchanged_run(out_root: Path, key: str) -> dict[str, Any] | None:
    """The record of the run `latest` points at, if it is complete and had these inputs."""
    latest = out_root / LATEST
    try:
        record = json.loads((latest / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict) or record.get("input_key") != key or "report" not in record.get("steps_done", ()):
        return None
    if not all((latest / name).is_file() for name in REQUIRED_OUTPUTS):
        return None
    return {**record, "output_dir": str(latest.resolve())}
