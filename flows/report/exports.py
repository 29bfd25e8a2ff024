"""Exports beside the report (report/data/): CSV and Parquet of the municipality,
municipality x year and evidence tables, and codebook.md describing every column.

CSV: UTF-8 without BOM, comma separator, dot decimals, empty cell = missing, header row;
years as whole numbers. Line breaks and tabs inside texts become spaces one for one, so the
character offsets (mention_start, ...) still point at the same characters and the files
import cleanly in Stata and Excel. A text that begins with = + - or @ gets a leading ' in the
CSV, so that a spreadsheet shows it instead of running it as a formula (titles and sentences
are third parties' text). Parquet keeps the run's columns and types unchanged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

import pandas as pd
import pandera.pandas as pa

from flows.report.data import RunTables
from flows.report.labels import Labels
from flows.tables import SCHEMAS, ParquetAppender, empty_table

# export name (= the run table's name) -> its rows, in parts: the evidence table grows with
# the corpus and is streamed from the run's file to the exports, never held whole.
EXPORTS: dict[str, Callable[[RunTables], Iterable[pd.DataFrame]]] = {
    "municipality_stance": lambda tables: [tables.municipalities],
    "municipality_year_stance": lambda tables: [tables.municipality_years],
    "evidence": lambda tables: tables.iter_evidence(),
}
YEAR_COLUMNS = ("year", "first_year", "last_year")
_BREAKS = re.compile(r"[\r\n\t\f\v]")
_FORMULA_START = re.compile(r"^([=+\-@])")  # what spreadsheets read as the start of a formula


@dataclass(frozen=True)
class ExportFile:
    table: str
    csv: str
    parquet: str
    rows: int


def export_frame(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The table in the schema's column order (extra columns after), years as integers."""
    columns = list(SCHEMAS[name].columns)
    frame = frame[[c for c in columns if c in frame.columns] + [c for c in frame.columns if c not in columns]].copy()
    for column in YEAR_COLUMNS:
        if column in frame.columns:
            frame[column] = pd.to_numeric(frame[column], errors="coerce").round().astype("Int64")
    return frame.reset_index(drop=True)


def csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    for column in out.columns:
        series = out[column]
        if isinstance(series.dtype, pd.StringDtype):  # vectorised (Arrow); missing stays missing
            out[column] = series.str.replace(_BREAKS.pattern, " ", regex=True).str.replace(
                _FORMULA_START.pattern, r"'\1", regex=True)
        elif series.dtype == object:  # may mix strings with other values: only strings change
            out[column] = series.map(lambda v: _csv_text(v) if isinstance(v, str) else v)
    return out


def _csv_text(text: str) -> str:
    return _FORMULA_START.sub(r"'\1", _BREAKS.sub(" ", text))


def write_exports(tables: RunTables, folder: Path, labels: Labels) -> list[ExportFile]:
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for name, parts in EXPORTS.items():
        rows = _write_parts(name, parts(tables), folder / f"{name}.parquet", folder / f"{name}.csv")
        files.append(ExportFile(name, f"{name}.csv", f"{name}.parquet", rows))
    (folder / "codebook.md").write_text(codebook(tables, files, labels), encoding="utf-8")
    return files


def _write_parts(name: str, parts: Iterable[pd.DataFrame], parquet: Path, csv: Path) -> int:
    """Append each part to the Parquet and CSV files (the first part fixes the Parquet types;
    a column with nothing in it there gets its declared type). Returns the number of rows."""
    parquet_file = ParquetAppender(name, parquet)
    rows = 0
    with open(csv, "w", encoding="utf-8", newline="") as csv_file:
        try:
            for part in parts:
                frame = export_frame(name, part)
                if parquet_file.started and frame.empty:
                    continue
                parquet_file.append(frame)
                csv_frame(frame).to_csv(csv_file, header=csv_file.tell() == 0, index=False, lineterminator="\n")
                rows += len(frame)
            if not parquet_file.started:  # no part at all: an empty table with the schema's columns
                frame = export_frame(name, empty_table(name))
                frame.to_parquet(parquet, index=False)
                csv_frame(frame).to_csv(csv_file, index=False, lineterminator="\n")
        finally:
            parquet_file.close()
    return rows


# -- codebook --------------------------------------------------------------------------


def _type_name(column: pa.Column, name: str, labels: Labels, years_as_integers: bool) -> str:
    if name in YEAR_COLUMNS and years_as_integers:
        return labels("type_integer")
    if name == "date":
        return labels("type_date")
    dtype = str(column.dtype).lower()
    if "int" in dtype:
        return labels("type_integer")
    if "float" in dtype:
        return labels("type_number")
    if "bool" in dtype:
        return labels("type_bool")
    return labels("type_text")


def _values(column: pa.Column, labels: Labels) -> str:
    parts = []
    for check in column.checks:
        stats = check.statistics or {}
        if "allowed_values" in stats:
            parts.append(", ".join(f"`{v}`" for v in stats["allowed_values"]))
        elif "pattern" in stats:
            parts.append(f"`{stats['pattern']}`")
        elif stats.get("min_value") is not None and stats.get("max_value") is not None:
            parts.append(f"{stats['min_value']} … {stats['max_value']}")
        elif "min_value" in stats:
            parts.append(f"≥ {stats['min_value']}")
    return "; ".join(parts)


def column_table(table: str, labels: Labels, years_as_integers: bool = True) -> list[str]:
    """A Markdown table of a schema's columns: type, may be missing, allowed values, meaning.
    Exports write years as integers; the run's own tables keep them as numbers (NaN: none)."""
    t = labels
    lines = [f"| {t('codebook_column')} | {t('codebook_type')} | {t('codebook_missing')} | {t('codebook_values')} | {t('col_description')} |",
             "|---|---|---|---|---|"]
    for name, column in SCHEMAS[table].columns.items():
        description = describe(labels, table, name) or "–"
        nullable = t("word_yes") if column.nullable else t("word_no")
        kind = _type_name(column, name, labels, years_as_integers)
        lines.append(f"| `{name}` | {_md(kind)} | {nullable} | {_md(_values(column, labels))} | {_md(description)} |")
    return lines


def _md(text: str) -> str:
    """A Markdown table cell: pipes escaped (GFM honours \\| even inside code spans)."""
    return text.replace("|", "\\|").replace("\n", " ")


def describe(labels: Labels, table: str, column: str) -> str | None:
    own = labels.group("columns", f"{table}.{column}")
    if own != f"{table}.{column}":
        return own
    generic = labels.group("columns", column)
    return generic if generic != column else None


def codebook(tables: RunTables, files: list[ExportFile], labels: Labels) -> str:
    t = labels
    lines = [f"# {t('codebook_title')}", "", t("codebook_intro", run_id=tables.run_id), ""]
    for f in files:
        lines.append(f"- `{f.csv}` / `{f.parquet}`: {t('table_' + f.table)} ({t('codebook_rows', n=t.integer(f.rows))})")
    lines += ["", t("codebook_newlines"), "", f"## {t('codebook_read')}", "", "```r",
              '# R (readr or base R; arrow::read_parquet("evidence.parquet") reads the Parquet files)',
              'municipalities <- readr::read_csv("municipality_stance.csv")',
              'municipalities <- read.csv("municipality_stance.csv", encoding = "UTF-8")',
              "```", "", "```stata",
              '* Stata 14 or later',
              'import delimited "municipality_stance.csv", encoding("utf-8") varnames(1) bindquotes(strict) clear',
              "```", "", "```python",
              "import pandas as pd",
              'municipalities = pd.read_parquet("municipality_stance.parquet")  # or pd.read_csv("municipality_stance.csv")',
              "```", "",
              "Excel: Data > From Text/CSV, file origin 65001: Unicode (UTF-8), delimiter comma.", ""]
    for f in files:
        lines += [f"## {f.table}", "", t("table_" + f.table), "", *column_table(f.table, labels), ""]
    return "\n".join(lines)
