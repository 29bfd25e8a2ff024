"""Document metadata from a manifest beside the documents or from the path convention.

Path convention: <corpus>/<gemeente>/<YYYY-MM-DD>_<slug>.<ext>. A manifest
(`manifest.csv` or `manifest.jsonl`) in a document's folder overrides it, row by row.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from flows.municipalities import REFERENCE_DIR
from flows.sources.rejection import Rejected
from flows.sources.text import clean_label

MANIFEST_NAMES = ("manifest.csv", "manifest.jsonl")
MANIFEST_FIELDS = ("file", "municipality", "date", "doc_type", "title", "source_url")
_CONVENTION = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})_(?P<slug>.+)", re.DOTALL)


@dataclass(frozen=True)
class Metadata:
    municipality: str | None
    date: dt.date | None
    doc_type: str
    title: str | None
    source_url: str | None


@lru_cache(maxsize=1)
def _doc_type_patterns() -> list[tuple[str, str]]:
    with open(REFERENCE_DIR / "doc_types.csv", encoding="utf-8", newline="") as f:
        return [(row["pattern"], row["doc_type"]) for row in csv.DictReader(f)]


def doc_type_from_slug(slug: str) -> str:
    """The document type whose pattern is the longest prefix of the slug ("onbekend" if none)."""
    slug = slug.lower()
    matches = [(len(pattern), doc_type) for pattern, doc_type in _doc_type_patterns() if slug.startswith(pattern)]
    return max(matches)[1] if matches else "onbekend"


def parse_date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise Rejected("bad_date", f"ongeldige datum {value!r} (verwacht JJJJ-MM-DD)") from exc


def from_path(relative: Path) -> Metadata:
    """Metadata from <gemeente>/<YYYY-MM-DD>_<slug>.<ext>; Rejected when it does not fit."""
    match = _CONVENTION.fullmatch(relative.stem)
    if len(relative.parts) < 2 or match is None:
        raise Rejected(
            "missing_metadata",
            "geen metadata: pad volgt niet <gemeente>/<JJJJ-MM-DD>_<titel>.<ext> "
            "en het bestand staat niet in een manifest",
        )
    slug = match["slug"]
    return Metadata(
        municipality=relative.parts[-2],
        date=parse_date(match["date"]),
        doc_type=doc_type_from_slug(slug),
        title=slug.replace("-", " ").replace("_", " ").strip().capitalize() or None,
        source_url=None,
    )


class ManifestError(ValueError):
    """A manifest that cannot be read at all (bad header, bad JSON)."""


def read_manifest(path: Path) -> dict[str, dict[str, str]]:
    """Rows keyed by the file name they describe (relative to the manifest's folder)."""
    rows: list[dict[str, str]] = []
    if path.suffix == ".csv":
        with open(path, encoding="utf-8-sig", newline="") as f:
            reader = csv.DictReader(f)
            if reader.fieldnames is None or "file" not in reader.fieldnames:
                raise ManifestError(f"{path.name}: kolom 'file' ontbreekt in de kop")
            rows = [dict(row) for row in reader]
    else:
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ManifestError(f"{path.name} regel {number}: geen geldige JSON ({exc.msg})") from exc
                if not isinstance(row, dict) or "file" not in row:
                    raise ManifestError(f"{path.name} regel {number}: object met sleutel 'file' verwacht")
                rows.append({k: "" if v is None else str(v) for k, v in row.items()})
    by_file: dict[str, dict[str, str]] = {}
    for row in rows:
        name = (row.get("file") or "").strip()
        if name:
            by_file[name] = row
    return by_file


def cleaned(meta: Metadata) -> Metadata:
    """Metadata as one-line labels: no control, zero-width or bidi characters, nothing unencodable.

    Titles come from file names, manifests and documents' own properties, all untrusted.
    """
    return Metadata(
        municipality=clean_label(meta.municipality),
        date=meta.date,
        doc_type=clean_label(meta.doc_type) or "onbekend",
        title=clean_label(meta.title),
        source_url=clean_label(meta.source_url, max_chars=2000),
    )


def from_manifest_row(row: dict[str, str]) -> Metadata:
    date_value = (row.get("date") or "").strip()
    return Metadata(
        municipality=(row.get("municipality") or "").strip() or None,
        date=parse_date(date_value) if date_value else None,
        doc_type=(row.get("doc_type") or "").strip() or "onbekend",
        title=(row.get("title") or "").strip() or None,
        source_url=(row.get("source_url") or "").strip() or None,
    )
