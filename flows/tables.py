"""Output tables: declared columns and checks (pandera), streamed to Parquet batch by batch.

Every batch is validated before it is written, so a table on disk always satisfies its
schema; a violation stops the run with the table and column named.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.parquet as pq

STANCE_VALUES = ["regie", "netwerk", "zelfstandig", "geen"]
FRAME_VALUES = ["regie", "netwerk", "zelfstandig"]
POLARITY_VALUES = ["endorse", "reject", "neutral"]
CATEGORY_VALUES = ["regiegemeente", "netwerkgemeente", "hybride", "zelfstandig", "onvoldoende bewijs"]

_prob = dict(checks=pa.Check.in_range(0.0, 1.0))
_gm = dict(checks=pa.Check.str_matches(r"^GM\d{4}$"))

SCHEMAS: dict[str, pa.DataFrameSchema] = {
    "sentences": pa.DataFrameSchema({
        "doc_id": pa.Column(str),
        "sentence_index": pa.Column(int, pa.Check.ge(0)),
        "page": pa.Column(int, pa.Check.ge(1)),
        "start": pa.Column(int, pa.Check.ge(0)),
        "end": pa.Column(int, pa.Check.ge(0)),
        "text": pa.Column(str),
        "stance": pa.Column(str, pa.Check.isin(STANCE_VALUES)),
        **{f"p_{s}": pa.Column(float, **_prob) for s in STANCE_VALUES},
    }, strict=True),
    "evidence": pa.DataFrameSchema({
        "doc_id": pa.Column(str),
        "ref": pa.Column(str),
        "gm_code": pa.Column(str, **_gm),
        "municipality": pa.Column(str),
        "municipality_original": pa.Column(str),
        "date": pa.Column(object, nullable=True),
        "year": pa.Column(float, nullable=True),
        "doc_type": pa.Column(str),
        "title": pa.Column(str, nullable=True),
        "source_url": pa.Column(str, nullable=True),
        "page": pa.Column(int, pa.Check.ge(1)),
        "frame": pa.Column(str, pa.Check.isin(FRAME_VALUES)),
        "subcategory": pa.Column(str),
        "polarity": pa.Column(str, pa.Check.isin(["endorse", "reject"])),
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
        "year": pa.Column(float, nullable=True),
        "n_sentences": pa.Column(int, pa.Check.ge(0)),
        "n_tokens": pa.Column(int, pa.Check.ge(0)),
        "n_mentions": pa.Column(int, pa.Check.ge(0)),
        "stance": pa.Column(str, pa.Check.isin(STANCE_VALUES)),
        **{f"p_{s}": pa.Column(float, **_prob) for s in STANCE_VALUES},
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
    "category": pa.Column(str, pa.Check.isin(CATEGORY_VALUES)),
}
SCHEMAS["municipality_stance"] = pa.DataFrameSchema({
    **_STANCE_COLUMNS,
    "first_year": pa.Column(float, nullable=True),
    "last_year": pa.Column(float, nullable=True),
    "trend_slope": pa.Column(float, nullable=True),
    "trend": pa.Column(str, pa.Check.isin(["naar netwerk", "naar regie", "stabiel", "onbekend"])),
}, strict=True)
SCHEMAS["municipality_year_stance"] = pa.DataFrameSchema({**_STANCE_COLUMNS, "year": pa.Column(int)}, strict=True)


class TableSchemaError(RuntimeError):
    pass


def validate(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    try:
        return SCHEMAS[name].validate(frame, lazy=True)
    except (pa.errors.SchemaErrors, pa.errors.SchemaError) as exc:
        raise TableSchemaError(f"table {name} does not match its schema:\n{exc}") from exc


class TableWriter:
    """Append validated batches to one Parquet file; the schema is fixed by the first batch."""

    def __init__(self, name: str, path: Path) -> None:
        self.name = name
        self.path = path
        self._writer: pq.ParquetWriter | None = None
        self._schema: pa_arrow.Schema | None = None
        self.rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        frame = validate(self.name, frame)
        table = pa_arrow.Table.from_pandas(frame, preserve_index=False, schema=self._schema)
        if self._writer is None:
            self._schema = table.schema
            self._writer = pq.ParquetWriter(self.path, table.schema)
        self._writer.write_table(table)
        self.rows += len(frame)

    def close(self, empty_columns: list[str] | None = None) -> None:
        if self._writer is None:  # no batch at all: still write an empty table with the columns
            columns = list(SCHEMAS[self.name].columns) if empty_columns is None else empty_columns
            pd.DataFrame({c: [] for c in columns}).to_parquet(self.path, index=False)
            return
        self._writer.close()


def read_columns(path: Path, columns: list[str]) -> pd.DataFrame:
    return pd.read_parquet(path, columns=columns)


def records_frame(records: list[dict[str, Any]], name: str) -> pd.DataFrame:
    return pd.DataFrame(records, columns=list(SCHEMAS[name].columns))
