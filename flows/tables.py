"""Output tables: declared columns and checks (pandera), streamed to Parquet batch by batch.

Every batch is validated before it is written, so a table on disk always satisfies its
schema; a violation stops the run with the table and column named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Iterator

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute  # noqa: F401  (registers pa_arrow.compute)
import pyarrow.parquet as pq

from flows.sources.rejection import REASON_CODES
from nlp.aggregate import CATEGORIES, CATEGORY_RULES

STANCE_VALUES = ["regie", "netwerk", "zelfstandig", "geen"]
FRAME_VALUES = ["regie", "netwerk", "zelfstandig"]
POLARITY_VALUES = ["endorse", "reject", "neutral"]


def probability_column(stance: str) -> str:
    """The column holding a stance's probability in the sentence and document tables."""
    return f"p_{stance}"


_prob = dict(checks=pa.Check.in_range(0.0, 1.0))
_gm = dict(checks=pa.Check.str_matches(r"^GM\d{4}$"))

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "documents": pa.DataFrameSchema({
        "doc_id": pa.Column(str, unique=True),
        "ref": pa.Column(str),
        "source": pa.Column(str),
        "format": pa.Column(str),
        "municipality_input": pa.Column(str, nullable=True),
        "gm_code": pa.Column(str, **_gm),
        "municipality": pa.Column(str),
        "municipality_original": pa.Column(str),
        "merged": pa.Column(bool),
        "date": pa.Column(object, nullable=True),
        "year": pa.Column(float, nullable=True, coerce=True),
        "doc_type": pa.Column(str),
        "title": pa.Column(str, nullable=True),
        "source_url": pa.Column(str, nullable=True),
        "n_pages": pa.Column(int, pa.Check.ge(1)),
        "n_chars": pa.Column(int, pa.Check.ge(1)),
        "content_sha256": pa.Column(str, pa.Check.str_length(64, 64)),
        "pages": pa.Column(object),
    }, strict=True),
    "sentences": pa.DataFrameSchema({
        "doc_id": pa.Column(str),
        "sentence_index": pa.Column(int, pa.Check.ge(0)),
        "page": pa.Column(int, pa.Check.ge(1)),
        "start": pa.Column(int, pa.Check.ge(0)),
        "end": pa.Column(int, pa.Check.ge(0)),
        "text": pa.Column(str),
        "stance": pa.Column(str, pa.Check.isin(STANCE_VALUES)),
        "evidence": pa.Column(bool),
        **{probability_column(s): pa.Column(float, **_prob) for s in STANCE_VALUES},
    }, strict=True),
    "evidence": pa.DataFrameSchema({
        "doc_id": pa.Column(str),
        "ref": pa.Column(str),
        "gm_code": pa.Column(str, **_gm),
        "municipality": pa.Column(str),
        "municipality_original": pa.Column(str),
        "date": pa.Column(object, nullable=True),
        "year": pa.Column(float, nullable=True, coerce=True),
        "doc_type": pa.Column(str),
        "title": pa.Column(str, nullable=True),
        "source_url": pa.Column(str, nullable=True),
        "page": pa.Column(int, pa.Check.ge(1)),
        "frame": pa.Column(str, pa.Check.isin(FRAME_VALUES)),
        "subcategory": pa.Column(str),
        "polarity": pa.Column(str, pa.Check.isin(POLARITY_VALUES)),
        "cue": pa.Column(str, nullable=True),
        "cue_kind": pa.Column(str, nullable=True),
        "mention": pa.Column(str),
        "mention_start": pa.Column(int, pa.Check.ge(0)),
        "mention_end": pa.Column(int, pa.Check.ge(0)),
        "sentence": pa.Column(str),
        "sentence_start": pa.Column(int, pa.Check.ge(0)),
        "sentence_stance": pa.Column(str, pa.Check.isin(STANCE_VALUES)),
        "sentence_stance_probability": pa.Column(float, **_prob),
    }, strict=True),
    "document_stance": pa.DataFrameSchema({
        "doc_id": pa.Column(str, unique=True),
        "gm_code": pa.Column(str, **_gm),
        "municipality": pa.Column(str),
        "year": pa.Column(float, nullable=True, coerce=True),
        "n_sentences": pa.Column(int, pa.Check.ge(0)),
        "n_tokens": pa.Column(int, pa.Check.ge(0)),
        "n_mentions": pa.Column(int, pa.Check.ge(0)),
        "stance": pa.Column(str, pa.Check.isin(STANCE_VALUES)),
        **{probability_column(s): pa.Column(float, **_prob) for s in STANCE_VALUES},
        "frames": pa.Column(str),
        "from_cache": pa.Column(bool),
    }, strict=True),
}

_STANCE_COLUMNS = {
    "gm_code": pa.Column(str, **_gm),
    "municipality": pa.Column(str),
    "n_documents": pa.Column(int, pa.Check.ge(1)),
    "n_documents_with_evidence": pa.Column(int, pa.Check.ge(0)),
    "n_sentences": pa.Column(int, pa.Check.ge(0)),
    "n_evidence_sentences": pa.Column(int, pa.Check.ge(0)),
    "n_regie": pa.Column(int, pa.Check.ge(0)),
    "n_netwerk": pa.Column(int, pa.Check.ge(0)),
    "n_zelfstandig": pa.Column(int, pa.Check.ge(0)),
    "regie_share": pa.Column(float, nullable=True, **_prob),
    "netwerk_share": pa.Column(float, nullable=True, **_prob),
    "zelfstandig_share": pa.Column(float, nullable=True, **_prob),
    "position": pa.Column(float, pa.Check.in_range(-1.0, 1.0), nullable=True),
    "position_low": pa.Column(float, pa.Check.in_range(-1.0, 1.0), nullable=True),
    "position_high": pa.Column(float, pa.Check.in_range(-1.0, 1.0), nullable=True),
    "category": pa.Column(str, pa.Check.isin(list(CATEGORIES))),
    "category_rule": pa.Column(str, pa.Check.isin(list(CATEGORY_RULES))),
}
SCHEMAS["municipality_stance"] = pa.DataFrameSchema({
    **_STANCE_COLUMNS,
    "first_year": pa.Column(float, nullable=True),
    "last_year": pa.Column(float, nullable=True),
    "trend_slope": pa.Column(float, nullable=True),
    "trend": pa.Column(str, pa.Check.isin(["naar netwerk", "naar regie", "stabiel", "onbekend"])),
    "trend_years": pa.Column(int, pa.Check.ge(0)),
}, strict=True)
SCHEMAS["municipality_year_stance"] = pa.DataFrameSchema({**_STANCE_COLUMNS, "year": pa.Column(int)}, strict=True)
# Every input that was not analysed, with the reason: a stable snake_case code and a message.
# (coerce: a column that is all None, e.g. no input_sha256 at all, is object-typed.)
_text = dict(coerce=True)
SCHEMAS["rejected"] = pa.DataFrameSchema({
    "ref": pa.Column(str, **_text),
    "source": pa.Column(str, **_text),
    "stage": pa.Column(str, pa.Check.isin(["ingest", "analyse"]), **_text),
    "reason_code": pa.Column(str, pa.Check.isin(list(REASON_CODES)), **_text),
    "reason": pa.Column(str, pa.Check.str_length(min_value=1), **_text),
    "municipality_input": pa.Column(str, nullable=True, **_text),
    "input_sha256": pa.Column(str, pa.Check.str_length(64, 64), nullable=True, **_text),
}, strict=True)
SCHEMAS["duplicates"] = pa.DataFrameSchema({
    "ref": pa.Column(str, unique=True, **_text),
    "source": pa.Column(str, **_text),
    "duplicate_of_ref": pa.Column(str, **_text),
    "doc_id": pa.Column(str, pa.Check.str_length(16, 16), **_text),
}, strict=True)


class TableSchemaError(RuntimeError):
    pass


def empty_table(name: str) -> pd.DataFrame:
    """Table `name` without rows, each column of its declared type (an untyped empty column
    is float64 to pandas and fails a string column's check)."""
    return pd.DataFrame({c: pd.Series([], dtype=column.dtype.type) for c, column in SCHEMAS[name].columns.items()})


def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return SCHEMAS[name].validate(frame, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        raise TableSchemaError(f"table {name} does not match its schema:\n{exc}") from exc


class TableWriter:
    """Append validated batches to one Parquet file; the schema is fixed by the first batch.

    `add` buffers single records and writes them `buffer_rows` at a time, so a table can be
    built from a stream without holding it.
    """

    def __init__(self, name: str, path: Path, buffer_rows: int = 200) -> None:
        self.name = name
        self.path = path
        self.buffer_rows = buffer_rows
        self._buffer: list[dict[str, Any]] = []
        self._parquet = ParquetAppender(name, path)
        self.rows = 0

    def add(self, record: dict[str, Any]) -> None:
        self._buffer.append(record)
        if len(self._buffer) >= self.buffer_rows:
            self._flush()

    def _flush(self) -> None:
        if self._buffer:
            frame = records_frame(self._buffer, self.name)
            self._buffer = []
            self.write(frame)

    def write(self, frame: pd.DataFrame) -> None:
        if frame.empty:  # a batch whose documents were all rejected: nothing to add (or to type)
            return
        frame = validate(self.name, frame)
        self._parquet.append(frame)
        self.rows += len(frame)

    def close(self) -> None:
        self._flush()
        if not self._parquet.started:  # no batch at all: still write an empty table with the columns
            empty_table(self.name).to_parquet(self.path, index=False)
            return
        self._parquet.close()


class ParquetAppender:
    """DataFrames appended to one Parquet file of table `name`. The first fixes the file's
    Arrow schema (a column with nothing but None in it gets its declared type, see
    with_declared_types); later ones are converted to that schema."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa_arrow.Schema | None = None

    @property
    def started(self) -> bool:
        return self._writer is not None

    def append(self, frame: pd.DataFrame) -> None:
        table = pa_arrow.Table.from_pandas(frame, preserve_index=False, schema=self._schema)
        if self._writer is None:
            table = with_declared_types(self.name, table)
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None


# Arrow types for declared columns, for when a first batch has nothing but None in one.
_ARROW_TYPES = {"string[pyarrow]": pa_arrow.large_string(), "int64": pa_arrow.int64(),
                "float64": pa_arrow.float64(), "bool": pa_arrow.bool_()}
_ARROW_OBJECT_TYPES = {"date": pa_arrow.date32(), "pages": pa_arrow.list_(pa_arrow.string())}


def with_declared_types(name: str, table: pa_arrow.Table) -> pa_arrow.Table:
    """Give all-None (Arrow null) columns their declared type.

    A streamed table's Parquet schema is fixed by its first batch; a column that happens to
    be empty there (no cue, no source URL in the first documents) would otherwise be typed
    null, and the first later batch with a value in it could not be written.
    """
    columns = SCHEMAS[name].columns
    for index, arrow_field in enumerate(table.schema):
        if not pa_arrow.types.is_null(arrow_field.type) or arrow_field.name not in columns:
            continue
        declared = str(columns[arrow_field.name].dtype)
        target = _ARROW_TYPES.get(declared) or _ARROW_OBJECT_TYPES.get(arrow_field.name)
        if target is not None:
            table = table.set_column(index, arrow_field.with_type(target), table.column(index).cast(target))
    return table


def iter_records(path: Path, columns: list[str], batch_rows: int) -> Iterator[list[dict[str, Any]]]:
    """Read a Parquet table back in batches of rows, never all at once."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=columns):
        yield batch.to_pylist()


def iter_frames(path: Path, columns: list[str] | None, batch_rows: int) -> Iterator[pd.DataFrame]:
    """Read a Parquet table back in DataFrames of `batch_rows` rows (`columns` None: all)."""
    for batch in pq.ParquetFile(path).iter_batches(batch_size=batch_rows, columns=columns):
        yield batch.to_pandas()


def copy_without(source: Path, target: Path, column: str, excluded: set[str]) -> int:
    """Stream `source` to `target` one row group at a time, dropping rows whose `column` is in
    `excluded`. (iter_batches' default batches of 65,536 rows held all the page texts of a
    50,000-document corpus at once: bench/README.md, run 6.)"""
    parquet = pq.ParquetFile(source)
    writer = pq.ParquetWriter(target, parquet.schema_arrow)
    excluded_values = pa_arrow.array(sorted(excluded))  # once, not per row group
    kept = 0
    try:
        for index in range(parquet.num_row_groups):
            table = parquet.read_row_group(index)
            if excluded:
                table = table.filter(pa_arrow.compute.invert(pa_arrow.compute.is_in(table[column], excluded_values)))
            if table.num_rows:
                writer.write_table(table)
                kept += table.num_rows
    finally:
        writer.close()
    return kept


def records_frame(records: list[dict[str, Any]], name: str) -> pd.DataFrame:
    return pd.DataFrame(records, columns=list(SCHEMAS[name].columns))
