"""What produced an output: package versions and a hash over the corpus inputs."""

from __future__ import annotations

import hashlib
import platform
from importlib import metadata
from typing import Iterable

PACKAGES = (
    "regiescan", "spacy", "spacy-lookups-data", "scikit-learn", "skops", "pandas", "pyarrow",
    "prefect", "pypdf", "python-docx", "odfpy", "beautifulsoup4", "numpy", "pandera",
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
