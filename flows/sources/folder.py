"""Folder source: council documents on disk, described by a manifest or by their paths.

Nothing in the folder is trusted. A path is opened only when, after following symbolic
links, it is a regular file inside the corpus folder; everything else becomes a rejection
with its own reason (symlink loop, link out of the folder, dangling link, named pipe or
device, linked folder, unreadable folder, manifest row naming a path instead of a file).
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import hashlib
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from flows.sources.base import Candidate, LoadedDocument
from flows.sources.metadata import (
    MANIFEST_NAMES,
    ManifestError,
    Metadata,
    from_manifest_row,
    from_path,
    read_manifest,
)
from flows.sources.readers import DEFAULT_MAX_TEXT_CHARS, not_regular_file, os_problem, read_document, unreadable_file
from flows.sources.rejection import Rejected
from flows.sources.text import safe_text

SYMLINK_LOOP = Rejected("symlink_loop", "symbolische link verwijst naar zichzelf (lus)")


def _file_digest(path: Path) -> str:
    sha = hashlib.sha256()
    try:
        with open(path, "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                sha.update(block)
    except OSError:
        return ""
    return sha.hexdigest()


def inspect_path(real_root: Path, path: Path) -> Rejected | None:
    """Why `path` must not be opened, or None for a regular file inside `real_root`.

    `real_root` is the corpus folder with its own symbolic links resolved.
    """
    try:
        resolved = path.resolve(strict=True)
    except RuntimeError:  # Python < 3.13 raises RuntimeError on symlink loops
        return SYMLINK_LOOP
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return SYMLINK_LOOP
        if exc.errno == errno.ENOENT and path.is_symlink():
            return Rejected("broken_symlink", "symbolische link wijst naar een bestand dat niet bestaat")
        return unreadable_file(exc)
    if not resolved.is_relative_to(real_root):
        return Rejected("unsafe_path", "bestand verwijst naar een plek buiten de corpusmap")
    try:
        mode = resolved.stat().st_mode
    except OSError as exc:
        return unreadable_file(exc)
    if not stat.S_ISREG(mode):
        return not_regular_file(mode)
    return None


@dataclass
class FileCandidate:
    root: Path
    path: Path
    manifest_row: dict[str, str] | None = None
    max_bytes: int = 200_000_000
    max_text_chars: int = DEFAULT_MAX_TEXT_CHARS
    ref: str = field(init=False)
    digest: str = field(init=False)
    problem: Rejected | None = field(init=False)

    def __post_init__(self) -> None:
        self.ref = safe_text(self.path.relative_to(self.root).as_posix())
        # Checked before the digest reads the file: a named pipe would block it, /dev/zero never end.
        self.problem = inspect_path(self.root.resolve(), self.path)
        self.digest = "" if self.problem else _file_digest(self.path)

    def _metadata(self) -> Metadata:
        if self.manifest_row is not None:
            return from_manifest_row(self.manifest_row)
        return from_path(Path(self.ref))

    def load(self) -> LoadedDocument:
        if self.problem is not None:
            raise self.problem
        try:
            size = self.path.stat().st_size
        except OSError as exc:
            raise unreadable_file(exc) from exc
        if size > self.max_bytes:
            raise Rejected(
                "too_large", f"bestand te groot ({size / 1e6:.1f} MB > {self.max_bytes / 1e6:.0f} MB; zie ingest.max_file_mb)"
            )
        metadata = self._metadata()
        extracted = read_document(self.path, self.max_text_chars)
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


class FolderSource:
    """All files under a folder (hidden files and valid manifests excepted)."""

    name = "folder"

    def __init__(self, root: Path, max_file_mb: float = 200.0, max_text_chars: int = DEFAULT_MAX_TEXT_CHARS) -> None:
        if not root.is_dir():
            raise FileNotFoundError(f"corpus folder does not exist: {root}")
        self.root = root
        self.real_root = root.resolve()
        self.max_bytes = int(max_file_mb * 1_000_000)
        self.max_text_chars = max_text_chars

    def _ref(self, path: Path) -> str:
        return safe_text(path.relative_to(self.root).as_posix())

    def candidates(self) -> Iterator[Candidate]:
        unreadable: list[OSError] = []  # folders os.walk could not list
        for directory, subdirs, files in os.walk(self.root, onerror=unreadable.append, followlinks=False):
            yield from self._unreadable_folders(unreadable)
            here = Path(directory)
            linked = sorted(d for d in subdirs if not d.startswith(".") and (here / d).is_symlink())
            subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in linked)
            for name in linked:
                yield RejectedCandidate(self._ref(here / name), Rejected(
                    "symlinked_folder",
                    "symbolische link naar een map wordt niet gevolgd; zet de documenten zelf in de corpusmap",
                ))
            manifest_rows: dict[str, dict[str, str]] = {}
            for manifest_name in MANIFEST_NAMES:
                if manifest_name in files:
                    rejected = self._read_manifest(here / manifest_name, manifest_rows)
                    if rejected is not None:
                        yield rejected
            listed = set()
            for name in sorted(files):
                if name.startswith(".") or name in MANIFEST_NAMES:
                    continue
                listed.add(name)
                yield FileCandidate(self.root, here / name, manifest_rows.get(name), self.max_bytes, self.max_text_chars)
            for name in sorted(set(manifest_rows) - listed):
                yield self._manifest_only(here, name)
        yield from self._unreadable_folders(unreadable)

    def _unreadable_folders(self, errors: list[OSError]) -> Iterator[Candidate]:
        while errors:
            exc = errors.pop(0)
            folder = Path(exc.filename) if exc.filename else self.root
            yield RejectedCandidate(self._ref(folder), Rejected(
                "unreadable", f"map niet leesbaar ({os_problem(exc)}); de documenten erin zijn niet gelezen"
            ))

    def _read_manifest(self, path: Path, rows: dict[str, dict[str, str]]) -> RejectedCandidate | None:
        """Add the manifest's rows; a rejection when it cannot be used."""
        problem = inspect_path(self.real_root, path)
        if problem is not None:
            return RejectedCandidate(self._ref(path), problem)
        if path.stat().st_size > self.max_bytes:
            return RejectedCandidate(self._ref(path), Rejected("too_large", "manifest te groot (zie ingest.max_file_mb)"))
        try:
            rows.update(read_manifest(path))
        except (ManifestError, ValueError, csv.Error, OSError, RecursionError) as exc:
            return RejectedCandidate(
                self._ref(path), Rejected("manifest_invalid", f"manifest onleesbaar: {_manifest_problem(exc)}"),
                _file_digest(path),
            )
        return None

    def _manifest_only(self, here: Path, name: str) -> RejectedCandidate:
        """A manifest row without a file of that name beside the manifest."""
        folder = here.relative_to(self.root).as_posix()
        ref = safe_text(name if folder == "." else f"{folder}/{name}")
        if "\x00" in name or "/" in name or "\\" in name or name in (".", ".."):
            try:
                outside = not (here / name).resolve().is_relative_to(self.real_root)
            except (ValueError, OSError):  # a NUL byte, a name too long
                outside = False
            if outside:
                return RejectedCandidate(ref, Rejected("unsafe_path", "manifest verwijst naar een pad buiten de corpusmap"))
            return RejectedCandidate(ref, Rejected(
                "manifest_bad_path",
                "manifest noemt een pad of ongeldige naam; noem alleen een bestandsnaam uit de map van het manifest",
            ))
        return RejectedCandidate(
            ref, Rejected("manifest_missing_file", "manifest noemt een bestand dat niet in deze map staat")
        )


def _manifest_problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return "geen UTF-8-tekst"
    if isinstance(exc, csv.Error):
        return f"CSV-fout ({exc})"
    if isinstance(exc, RecursionError):
        return "te diep geneste JSON"
    if isinstance(exc, OSError):
        return f"niet leesbaar ({os_problem(exc)})"
    return str(exc)
