"""A run folder's tables, read for the report (nothing is re-analysed)."""

from __future__ import annotations

import hashlib
import json
import math
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator
from urllib.parse import urlsplit

import pandas as pd
import pyarrow.parquet as pq

from flows.outputs import safe_component
from flows.tables import SCHEMAS, iter_frames

REQUIRED_FILES = (
    "run.json", "documents.parquet", "evidence.parquet",
    "municipality_stance.parquet", "municipality_year_stance.parquet",
)
# The document columns the pages show. documents.parquet has more (and the page texts, which
# are streamed): the report holds these for every document, so it holds no more than these.
DOCUMENT_COLUMNS = ["doc_id", "gm_code", "municipality", "municipality_original", "date", "doc_type", "title",
                    "ref", "source_url", "n_pages"]
# Older or partial runs may lack these; the report then shows them as empty. The columns are
# those the report reads.
OPTIONAL_TABLES = {
    "document_stance": ["doc_id", "stance"],
    "rejected": list(SCHEMAS["rejected"].columns),
    "duplicates": list(SCHEMAS["duplicates"].columns),
}


class ReportInputError(RuntimeError):
    """The folder is not a usable run folder; the message says what is missing."""


def clean(value: Any) -> Any:
    """None for every flavour of missing (None, NaN, pd.NA, NaT); the value otherwise."""
    if value is None:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if value is pd.NA or value is pd.NaT:
            return None
    except TypeError:  # pragma: no cover
        pass
    return value


def text(value: Any) -> str | None:
    value = clean(value)
    return None if value is None else str(value)


def web_url(value: Any) -> str | None:
    """The value if it is a plain http(s) URL that is safe to put in href; else None.

    Anything else (javascript:, data:, relative paths, URLs with spaces or control
    characters) is shown as text, never linked.
    """
    value = text(value)
    if not value:
        return None
    value = value.strip()
    if any(ord(c) < 33 or c == "\x7f" for c in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def document_meta(row: dict[str, Any]) -> dict[str, Any]:
    """A document's DOCUMENT_COLUMNS values as the pages use them (None where missing)."""
    return {c: clean(row.get(c)) for c in DOCUMENT_COLUMNS}


def page_link(url: str, page: int) -> str:
    """Deep link to a page of a PDF (browsers' PDF viewers honour #page=N)."""
    if urlsplit(url).path.lower().endswith(".pdf") and "#" not in url and page > 1:
        return f"{url}#page={int(page)}"
    return url


def document_file_names(doc_ids: list[str]) -> dict[str, str]:
    """doc_id -> file name of its page, from the sanitised doc_id (never from a title).

    Unique even when two ids sanitise alike or differ only in case (case-insensitive
    file systems): the second one gets a short hash of the id.
    """
    names: dict[str, str] = {}
    used: set[str] = set()
    for doc_id in doc_ids:
        base = safe_component(str(doc_id), "document")[:80]
        name = base
        if name.lower() in used:
            name = f"{base}-{hashlib.sha256(str(doc_id).encode('utf-8')).hexdigest()[:10]}"
        used.add(name.lower())
        names[doc_id] = f"{name}.html"
    return names


def municipality_file_name(gm_code: str) -> str:
    return f"{safe_component(str(gm_code), 'gemeente')}.html"


@dataclass
class RunTables:
    run_dir: Path
    run: dict[str, Any]
    documents: pd.DataFrame  # DOCUMENT_COLUMNS, without the page texts (see iter_documents)
    document_stance: pd.DataFrame  # doc_id, stance
    municipalities: pd.DataFrame
    municipality_years: pd.DataFrame
    rejected: pd.DataFrame
    duplicates: pd.DataFrame
    # The evidence table grows with the corpus (a row per frame word of the sentences it lists), so
    # it is only ever read in parts (iter_evidence), for the exports and for the pages.
    evidence_empty: bool = False  # summary_only: no evidence at all

    @property
    def run_id(self) -> str:
        return str(self.run.get("run_id") or self.run_dir.name)

    @property
    def aggregation(self) -> dict[str, Any]:
        return dict((self.run.get("config") or {}).get("aggregation") or {})

    def evidence_doc_ids(self) -> set[str]:
        """The documents that have evidence rows."""
        ids: set[str] = set()
        if self.evidence_empty:
            return ids
        with _reading(self.run_dir / "evidence.parquet"):
            for frame in iter_frames(self.run_dir / "evidence.parquet", ["doc_id"], 200_000):
                ids.update(frame["doc_id"].astype(str))
        return ids

    def iter_evidence(self, batch_rows: int = 50_000) -> Iterator[pd.DataFrame]:
        if self.evidence_empty:
            return
        path = self.run_dir / "evidence.parquet"
        with _reading(path):
            for frame in iter_frames(path, None, batch_rows):
                yield _with_columns(frame, "evidence")

    def iter_documents(self, batch_rows: int = 64) -> Iterator[tuple[dict[str, Any], list[str]]]:
        """({column: value} of DOCUMENT_COLUMNS, page texts) for every document, streamed batch
        by batch; missing values are None."""
        source = pq.ParquetFile(self.run_dir / "documents.parquet")
        names = source.schema_arrow.names
        if "pages" not in names:
            return
        columns = [c for c in DOCUMENT_COLUMNS if c in names]
        with _reading(self.run_dir / "documents.parquet"):
            for batch in source.iter_batches(columns=[*columns, "pages"], batch_size=batch_rows):
                for row in batch.to_pylist():
                    pages = row.pop("pages")
                    yield document_meta(row), [str(p) for p in (pages or [])]


def _outputs_of(run_dir: Path) -> str | None:
    """For the record of a run that found nothing changed: the run whose outputs stand."""
    try:
        value = json.loads((run_dir / "run.json").read_text(encoding="utf-8")).get("outputs_of")
    except (OSError, ValueError, AttributeError):
        return None
    return safe_component(value) if isinstance(value, str) else None


def load_run(run_dir: Path, summary_only: bool = False) -> RunTables:
    """The run's tables. `summary_only`: only run.json and the municipality tables (the
    documents, evidence and per-document tables are left empty), for the Prefect artifacts."""
    run_dir = Path(run_dir)
    if not run_dir.is_dir():
        raise ReportInputError(f"run folder does not exist: {run_dir}")
    missing = [name for name in REQUIRED_FILES if not (run_dir / name).is_file()]
    if missing and (outputs_of := _outputs_of(run_dir)):
        raise ReportInputError(f"{run_dir} is the record of a run that found nothing changed; its outputs are "
                               f"those of run {outputs_of}: {run_dir.parent / outputs_of}")
    if missing:
        raise ReportInputError(f"{run_dir} is not a complete run folder: missing {', '.join(missing)}")
    try:
        run = json.loads((run_dir / "run.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReportInputError(f"{run_dir / 'run.json'} is not readable JSON: {exc}") from exc
    if not isinstance(run, dict):
        raise ReportInputError(f"{run_dir / 'run.json'}: expected a JSON object")

    def read(name: str, columns: list[str] | None = None) -> pd.DataFrame:
        path = run_dir / f"{name}.parquet"
        with _reading(path):
            if columns is not None:
                available = pq.ParquetFile(path).schema_arrow.names
                return pd.read_parquet(path, columns=[c for c in columns if c in available])
            return pd.read_parquet(path)

    def empty(columns: list[str]) -> pd.DataFrame:
        return pd.DataFrame({c: [] for c in columns})

    optional = {}
    for name, columns in OPTIONAL_TABLES.items():
        path = run_dir / f"{name}.parquet"
        optional[name] = _with_columns(read(name, columns), columns) if path.is_file() and not summary_only \
            else empty(columns)
    tables = RunTables(
        run_dir=run_dir,
        run=run,
        documents=empty(DOCUMENT_COLUMNS) if summary_only else _with_columns(read("documents", DOCUMENT_COLUMNS), DOCUMENT_COLUMNS),
        municipalities=read("municipality_stance"),
        municipality_years=read("municipality_year_stance"),
        **optional,
        evidence_empty=summary_only,
    )
    if not summary_only:  # evidence is read later, in parts: check its columns now
        path = run_dir / "evidence.parquet"
        with _reading(path):
            parquet = pq.ParquetFile(path)
        _check_columns("evidence", parquet.schema_arrow.names, parquet.metadata.num_rows)
    for name, schema in (("municipalities", "municipality_stance"), ("municipality_years", "municipality_year_stance")):
        frame = getattr(tables, name)
        _check_columns(schema, frame.columns, len(frame))
        _with_columns(frame, schema)
    return tables


@contextmanager
def _reading(path: Path) -> Iterator[None]:
    """A damaged or unreadable table is a ReportInputError that names the file."""
    try:
        yield
    except Exception as exc:
        raise ReportInputError(f"cannot read {path}: {exc}") from exc


def _check_columns(schema: str, columns: Iterable[str], n_rows: int) -> None:
    """A table with rows must have its schema's columns (an empty one may lack them)."""
    present = set(columns)
    absent = [c for c in SCHEMAS[schema].columns if c not in present]
    if absent and n_rows:
        raise ReportInputError(f"{schema}.parquet lacks column(s) {', '.join(absent)}: a run written by an older "
                               "regiescan? `regiescan run` writes the current tables")


def _with_columns(frame: pd.DataFrame, schema: str | list[str]) -> pd.DataFrame:
    """The frame with every column of the schema (or list), missing ones empty."""
    for column in (SCHEMAS[schema].columns if isinstance(schema, str) else schema):  # a table written without them
        if column not in frame.columns:
            frame[column] = pd.Series(dtype=object)
    return frame
