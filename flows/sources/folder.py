"""Folder source: council documents on disk, described by a manifest or by their paths.

Nothing in the folder is trusted. A path is opened only when, after following symbolic
links, it is a regular file inside the corpus folder; everything else becomes a rejection
with its own reason (symlink loop, link out of the folder, dangling link, named pipe or
device, linked folder, unreadable folder, manifest row naming a path instead of a file).

A manifest describes the files in its own folder, by file name. Every file is one input:
manifest rows that name it by a path (from a folder above), that are malformed, or that
disagree with each other make that one input a rejection; they never add a second input for
the same file. Problems of rows that name no document at all are recorded against the
manifest, once per manifest.
"""

from __future__ import annotations

import csv
import dataclasses
import errno
import hashlib
import os
import posixpath
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from flows.sources.base import Candidate, LoadedDocument
from flows.sources.metadata import (
    MANIFEST_NAMES,
    ManifestError,
    ManifestRow,
    Metadata,
    from_manifest_row,
    from_path,
    merge_rows,
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
    manifest_problem: Rejected | None = None  # the file's manifest rows cannot be used
    ref: str = field(init=False)
    digest: str = field(init=False)
    problem: Rejected | None = field(init=False)

    def __post_init__(self) -> None:
        self.ref = safe_text(self.path.relative_to(self.root).as_posix())
        # Checked before the digest reads the file: a named pipe would block it, /dev/zero never end.
        path_problem = inspect_path(self.root.resolve(), self.path)
        self.digest = "" if path_problem else _file_digest(self.path)
        self.problem = path_problem or self.manifest_problem

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
    """All files under a folder, valid manifests excepted. Hidden files and folders (names
    starting with a dot) are not read: each is one rejection, so the count shows them."""

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
        # Rows naming a file in a subfolder ("utrecht/x.txt"), by that file's path from the root.
        # os.walk goes top-down, so they are all read before the file is listed.
        by_path: dict[str, list[ManifestRow]] = {}
        notes: dict[str, _ManifestNotes] = {}  # row problems to record against their manifest
        for directory, subdirs, files in os.walk(self.root, onerror=unreadable.append, followlinks=False):
            yield from self._unreadable_folders(unreadable)
            here = Path(directory)
            hidden = sorted(d for d in subdirs if d.startswith("."))
            linked = sorted(d for d in subdirs if not d.startswith(".") and (here / d).is_symlink())
            subdirs[:] = sorted(d for d in subdirs if not d.startswith(".") and d not in linked + hidden)
            for name in hidden:  # not walked (.git can hold thousands of files), but not silently
                yield RejectedCandidate(self._ref(here / name), Rejected(
                    "hidden_folder", "verborgen map (naam begint met een punt) niet doorzocht; hernoem haar als "
                                     "de documenten erin meetellen",
                ))
            for name in linked:
                yield RejectedCandidate(self._ref(here / name), Rejected(
                    "symlinked_folder",
                    "symbolische link naar een map wordt niet gevolgd; zet de documenten zelf in de corpusmap",
                ))
            by_name: dict[str, list[ManifestRow]] = {}
            odd: dict[str, list[ManifestRow]] = {}  # rows naming a path out of the folder or an invalid name
            for manifest_name in MANIFEST_NAMES:
                if manifest_name in files:
                    read = self._read_manifest(here / manifest_name)
                    if isinstance(read, RejectedCandidate):
                        yield read
                    else:
                        self._sort_rows(here, read, by_name, by_path, odd, notes)
            listed = set()
            for name in sorted(files):
                if name in MANIFEST_NAMES:
                    continue
                listed.add(name)
                path = here / name
                above = by_path.pop(path.relative_to(self.root).as_posix(), []) if by_path else []  # rarely any
                if name.startswith("."):  # the rows naming it (here or above) add no second input
                    yield RejectedCandidate(self._ref(path), Rejected(
                        "hidden_file", "verborgen bestand (naam begint met een punt) niet gelezen; hernoem het als "
                                       "het meetelt",
                    ))
                    continue
                row, problem = _rows_for(by_name.get(name, []), above)
                yield FileCandidate(self.root, path, row, self.max_bytes, self.max_text_chars, problem)
            for name in sorted(set(by_name) - listed):
                yield self._manifest_only(here, name, by_name[name])
            for name in sorted(odd):
                yield self._manifest_only(here, name, odd[name])
        yield from self._unreadable_folders(unreadable)
        for rows in by_path.values():  # never listed: missing, hidden, a folder, a manifest
            for row in rows:
                notes[row.manifest].add(row.line, f"pad {row.name!r} noemt geen document in de corpusmap")
        for manifest_ref, note in notes.items():
            if note.lines:
                yield note.rejection(manifest_ref)

    def _unreadable_folders(self, errors: list[OSError]) -> Iterator[Candidate]:
        while errors:
            exc = errors.pop(0)
            folder = Path(exc.filename) if exc.filename else self.root
            yield RejectedCandidate(self._ref(folder), Rejected(
                "unreadable", f"map niet leesbaar ({os_problem(exc)}); de documenten erin zijn niet gelezen"
            ))

    def _read_manifest(self, path: Path) -> list[ManifestRow] | RejectedCandidate:
        """The manifest's rows, or a rejection when it cannot be used."""
        problem = inspect_path(self.real_root, path)
        if problem is not None:
            return RejectedCandidate(self._ref(path), problem)
        if path.stat().st_size > self.max_bytes:
            return RejectedCandidate(self._ref(path), Rejected("too_large", "manifest te groot (zie ingest.max_file_mb)"))
        try:
            return read_manifest(path, self._ref(path))
        except (ManifestError, ValueError, csv.Error, OSError, RecursionError) as exc:
            return RejectedCandidate(
                self._ref(path), Rejected("manifest_invalid", f"manifest onleesbaar: {_manifest_problem(exc)}"),
                _file_digest(path),
            )

    def _sort_rows(self, here: Path, rows: list[ManifestRow], by_name: dict[str, list[ManifestRow]],
                   by_path: dict[str, list[ManifestRow]], odd: dict[str, list[ManifestRow]],
                   notes: dict[str, _ManifestNotes]) -> None:
        """File each row under what it names: a file here, a file below, or nothing usable."""
        if not rows:
            return
        note = notes.setdefault(rows[0].manifest, _ManifestNotes(here / Path(rows[0].manifest).name))
        for row in rows:
            name = row.name
            if name and _is_file_name(name):
                by_name.setdefault(name, []).append(row)
            elif row.problem is not None:  # its 'file' value may be another column's: it names nothing reliably
                note.add(row.line, row.problem)
            elif not name:
                note.add(row.line, "geen bestandsnaam in kolom 'file'")
            elif _is_path_below(name):
                target = posixpath.normpath((here / name).relative_to(self.root).as_posix())
                by_path.setdefault(target, []).append(row)
            else:
                odd.setdefault(name, []).append(row)

    def _manifest_only(self, here: Path, name: str, rows: list[ManifestRow]) -> RejectedCandidate:
        """Manifest rows without a file of that name beside the manifest."""
        folder = here.relative_to(self.root).as_posix()
        ref = safe_text(name if folder == "." else f"{folder}/{name}")
        if not _is_file_name(name):
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
        bad = next((row for row in rows if row.problem is not None), None)
        if bad is not None:
            return RejectedCandidate(ref, Rejected(
                "manifest_bad_row", f"ongeldige manifestregel: {bad.where}: {bad.problem}; geen bestand met die naam",
            ))
        return RejectedCandidate(
            ref, Rejected("manifest_missing_file", "manifest noemt een bestand dat niet in deze map staat")
        )


class _ManifestNotes:
    """Problems of rows that describe no document, recorded as one rejection of their manifest."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lines: list[tuple[int, str]] = []

    def add(self, line: int, problem: str) -> None:
        self.lines.append((line, problem))

    def rejection(self, ref: str) -> RejectedCandidate:
        problems = "; ".join(f"regel {line}: {problem}" for line, problem in sorted(self.lines))
        return RejectedCandidate(
            ref, Rejected("manifest_bad_row", f"manifestregels die geen document beschrijven: {problems}"),
            _file_digest(self.path),
        )


def _is_file_name(name: str) -> bool:
    return not any(c in name for c in "/\\\x00") and name not in (".", "..")


def _is_path_below(name: str) -> bool:
    """A relative path that stays inside the manifest's folder ("utrecht/x.txt", "./x.txt")."""
    return (not any(c in name for c in "\\\x00") and not name.startswith("/")
            and ".." not in name.split("/"))


def _rows_for(here: list[ManifestRow], above: list[ManifestRow]) -> tuple[dict[str, str] | None, Rejected | None]:
    """The manifest row of a file, or why it has none that can be used."""
    if above:
        row = above[0]
        return None, Rejected(
            "manifest_bad_path",
            f"{row.where} noemt dit bestand met het pad {row.name!r}; een manifest beschrijft alleen "
            "bestanden in zijn eigen map: zet de regel in een manifest naast het bestand",
        )
    return merge_rows(here)


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
