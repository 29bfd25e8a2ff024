"""What produced an output: package versions, hashes of regiescan's files and of the corpus."""

from __future__ import annotations

import hashlib
import platform
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Iterable

PROJECT_ROOT = Path(__file__).resolve().parent.parent

PACKAGES = (
    "regiescan", "spacy", "spacy-lookups-data", "scikit-learn", "skops", "pandas", "pyarrow",
    "prefect", "pypdf", "python-docx", "odfpy", "beautifulsoup4", "lxml", "numpy", "pandera",
)


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def corpus_hash(ref_digests: Iterable[tuple[str, str]]) -> str:
    """sha256 over sorted (reference, raw-bytes digest) pairs: same inputs, same hash."""
    sha = hashlib.sha256()
    for ref, digest in sorted(ref_digests):
        sha.update(f"{ref}\t{digest}\n".encode("utf-8"))
    return sha.hexdigest()


def files_fingerprint(paths: tuple[Path, ...]) -> str:
    """sha256 over the files at these paths (folders recursively): names relative to the
    project, and contents."""
    sha = hashlib.sha256()
    for root in paths:
        sha.update(_tree_digest(root))
    return sha.hexdigest()


@lru_cache(maxsize=16)
def _tree_digest(root: Path) -> bytes:
    """One folder's (or file's) part of a fingerprint; remembered, because a run fingerprints
    nlp/ twice (its input key and its analysis cache key)."""
    sha = hashlib.sha256()
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        sha.update(path.relative_to(PROJECT_ROOT).as_posix().encode("utf-8") + b"\0")
        sha.update(hashlib.sha256(path.read_bytes()).digest())
    return sha.digest()
