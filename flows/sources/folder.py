"""Folder source: council documents on disk, described by a manifest or by their paths."""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from flows.sources.base import Candidate, LoadedDocument
from flows.sources.metadata import (
    MANIFEST_NAMES,
    ManifestError,
    from_manifest_row,
    from_path,
    read_manifest,
)
from flows.sources.readers import read_document
from flows.sources.rejection import Rejected


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        return ""
    return sha.hexdigest()


@dataclass
class FileCandidate:
    root: Path
    path: Path
    manifest_row: dict[str, str] | None = None
    max_bytes: int = 200_000_000
    ref: str = field(init=False)
    digest: str = field(init=False)

    def __post_init__(self) -> None:
        self.ref = self.path.relative_to(self.root).as_posix()
        self.digest = _file_digest(self.path)

    def _metadata(self) -> Metadata:
        if self.manifest_row is not None:
            return from_manifest_row(self.manifest_row)
        return from_path(self.path.relative_to(self.root))

    def load(self) -> LoadedDocument:
        _check_inside(self.root, self.path)
        size = self.path.stat().st_size
        if size > self.max_bytes:
            raise Rejected(
                "too_large", f"bestand te groot ({size / 1e6:.1f} MB > {self.max_bytes / 1e6:.0f} MB; zie ingest.max_file_mb)"
            )
        metadata = self._metadata()
        extracted = read_document(self.path)
        # A manifest's title wins; otherwise the document's own title beats the file slug.
        if extracted.title and (self.manifest_row is None or metadata.title is None):
            metadata = dataclasses.replace(metadata, title=extracted.title)
        return LoadedDocument(extracted.pages, metadata, self.path.suffix.lower().lstrip("."))


@dataclass
class RejectedCandidate:
    """An input known to be unusable before reading (missing file, broken manifest)."""

    ref: str
    rejection: Rejected
    digest: str = ""

    def load(self) -> LoadedDocument:
        raise self.rejection


def _check_inside(root: Path, path: Path) -> None:
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError as exc:  # Python < 3.13 raises RuntimeError on symlink loops
        raise Rejected("symlink_loop", "symbolische link verwijst naar zichzelf (lus)") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise Rejected("symlink_loop", "symbolische link verwijst naar zichzelf (lus)") from exc
        raise Rejected("unreadable", f"bestand niet leesbaar ({exc.strerror})") from exc
    if not resolved.is_relative_to(root.resolve()):
        raise Rejected("unsafe_path", "bestand verwijst naar een plek buiten de corpusmap")


class FolderSource:
    """All files under a folder (hidden files and valid manifests excepted)."""

    name = "folder"

    def __init__(self, root: Path, max_file_mb: float = 200.0) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"corpus folder does not exist: {root}")
        self.root = root
        self.max_bytes = int(max_file_mb * 1_000_000)

    def candidates(self) -> Iterator[Candidate]:
        for directory, subdirs, files in os.walk(self.root, followlinks=False):
            subdirs[:] = sorted(d for d in subdirs if not d.startswith("."))
            here = Path(directory)
            manifest_rows: dict[str, dict[str, str]] = {}
            for manifest_name in MANIFEST_NAMES:
                if manifest_name not in files:
                    continue
                manifest_path = here / manifest_name
                try:
                    manifest_rows.update(read_manifest(manifest_path))
                except (ManifestError, UnicodeDecodeError, OSError) as exc:
                    yield RejectedCandidate(
                        manifest_path.relative_to(self.root).as_posix(),
                        Rejected("manifest_invalid", f"manifest onleesbaar: {exc}"),
                        _file_digest(manifest_path),
                    )
            listed = set()
            for name in sorted(files):
                if name.startswith(".") or name in MANIFEST_NAMES:
                    continue
                listed.add(name)
                yield FileCandidate(self.root, here / name, manifest_rows.get(name), self.max_bytes)
            for name in sorted(set(manifest_rows) - listed):
                yield _manifest_only(self.root, here, name)


def _manifest_only(root: Path, here: Path, name: str) -> RejectedCandidate:
    ref = (here.relative_to(root) / name).as_posix()
    target = (here / name).resolve()
    if not target.is_relative_to(root.resolve()):
        return RejectedCandidate(ref, Rejected("unsafe_path", "manifest verwijst naar een pad buiten de corpusmap"))
    return RejectedCandidate(
        ref, Rejected("manifest_missing_file", "manifest noemt een bestand dat niet in deze map staat")
    )
