"""Document metadata from a manifest beside the documents or from the path convention.

Path convention: <corpus>/<gemeente>/<YYYY-MM-DD>_<slug>.<ext>. A manifest
(`manifest.csv` or `manifest.jsonl`) in a document's folder overrides it, row by row.
Manifest rows are read with their line numbers so that every problem (a row with too many
or too few fields, two rows that disagree) can be reported against the line that causes it.
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
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_ISO_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}.*", re.DOTALL)  # ORI's last_discussed_at
# Plausible document dates. Nothing older than 1900 is a council document of a municipality
# as it exists today; a date further ahead than a year is a typo (agendas and plans are
# published ahead of the meeting, but not years ahead).
EARLIEST_DATE = dt.date(1900, 1, 1)
MAX_DAYS_AHEAD = 366


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


def parse_date(value: str, today: dt.date | None = None) -> dt.date:
    """A whole date JJJJ-MM-DD (or an ISO date and time, as ORI gives) within the plausible range.

    Rejected when anything else is in the value: "2024-05-05garbage" is not a date.
    """
    text = value.strip()
    try:
        if _ISO_DATE.fullmatch(text):
            date = dt.date.fromisoformat(text)
        elif _ISO_DATETIME.fullmatch(text):
            date = dt.datetime.fromisoformat(text).date()  # the date as written, not converted to UTC
        else:
            raise ValueError(text)
    except ValueError as exc:
        raise Rejected("bad_date", f"ongeldige datum {value!r} (verwacht JJJJ-MM-DD)") from exc
    latest = (today or dt.date.today()) + dt.timedelta(days=MAX_DAYS_AHEAD)
    if not EARLIEST_DATE <= date <= latest:
        raise Rejected(
            "date_out_of_range",
            f"onwaarschijnlijke datum {date.isoformat()} (verwacht tussen {EARLIEST_DATE.isoformat()} "
            f"en {latest.isoformat()})",
        )
    return date


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


@dataclass(frozen=True)
class ManifestRow:
    """One row of a manifest: where it stands, its values (text only) and what is wrong with it."""

    manifest: str  # the manifest as shown to users (path relative to the corpus)
    line: int  # the line the row starts on (1 is the first line of the file)
    fields: dict[str, str]
    problem: str | None = None  # why the row cannot be trusted at all (wrong number of fields)

    @property
    def where(self) -> str:
        return f"{self.manifest} regel {self.line}"

    @property
    def name(self) -> str:
        return self.fields.get("file", "").strip()

    def metadata_fields(self) -> dict[str, str]:
        return {key: self.fields.get(key, "").strip() for key in MANIFEST_FIELDS if key != "file"}


def read_manifest(path: Path, label: str | None = None) -> list[ManifestRow]:
    """Every non-empty row, in file order; ManifestError when the manifest cannot be read at all."""
    label = label or path.name
    if path.suffix == ".csv":
        return _read_csv(path, label)
    rows: list[ManifestRow] = []
    with open(path, encoding="utf-8-sig") as f:  # -sig: a BOM (Windows, Excel) is not JSON
        for number, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ManifestError(f"{path.name} regel {number}: geen geldige JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or "file" not in row:
                raise ManifestError(f"{path.name} regel {number}: object met sleutel 'file' verwacht")
            rows.append(ManifestRow(label, number, {k: "" if v is None else str(v) for k, v in row.items()}))
    return rows


def _read_csv(path: Path, label: str) -> list[ManifestRow]:
    rows: list[ManifestRow] = []
    with open(path, encoding="utf-8-sig", newline="") as f:
        # csv.reader, not DictReader: DictReader puts extra fields under the key None and fills
        # missing ones with None, and neither may reach the rest of the pipeline.
        reader = csv.reader(f)
        header = next(reader, None)
        if not header or "file" not in header:
            raise ManifestError(f"{path.name}: kolom 'file' ontbreekt in de kop")
        doubled = sorted({name for name in header if header.count(name) > 1})
        if doubled:
            raise ManifestError(f"{path.name}: kolom {doubled[0]!r} staat meer dan eens in de kop")
        start = reader.line_num + 1
        for values in reader:
            line, start = start, reader.line_num + 1  # a quoted value can span lines
            if not any(value.strip() for value in values):
                continue  # a blank line or a row of empty cells describes nothing
            problem = None
            if len(values) != len(header):
                problem = f"{len(values)} velden, de kop heeft er {len(header)}"
                if len(values) > len(header):
                    problem += " (een komma in een waarde zonder aanhalingstekens?)"
            rows.append(ManifestRow(label, line, dict(zip(header, values)), problem))
    return rows


def merge_rows(rows: list[ManifestRow]) -> tuple[dict[str, str] | None, Rejected | None]:
    """The one row that describes a file, or why its rows cannot be used.

    Identical rows (also one in manifest.csv and one in manifest.jsonl) count as one; rows that
    disagree are a conflict, never resolved by order.
    """
    if not rows:
        return None, None
    for row in rows:
        if row.problem is not None:
            return None, Rejected("manifest_bad_row", f"ongeldige manifestregel: {row.where}: {row.problem}")
    values = [row.metadata_fields() for row in rows]
    differing = [key for key in values[0] if any(v[key] != values[0][key] for v in values[1:])]
    if differing:
        sources = [row.where for row in rows]
        return None, Rejected(
            "manifest_conflict",
            f"tegenstrijdige manifestregels: {', '.join(sources[:-1])} en {sources[-1]} "
            f"verschillen in {', '.join(differing)}",
        )
    return dict(rows[0].fields), None


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
