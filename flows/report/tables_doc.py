"""docs/tables.md: every column of every table a run writes, rendered from the schemas
(flows/tables.py) and the codebook's column descriptions (labels.yml), so the reference cannot
drift from the tables. `python -m flows.report.tables_doc` rewrites it; a test checks it."""

from __future__ import annotations

from flows.provenance import PROJECT_ROOT
from flows.report.exports import column_table
from flows.report.labels import Labels
from flows.sources.rejection import REASON_CODES

TABLES_DOC = PROJECT_ROOT / "docs" / "tables.md"
RUN_TABLES = ("documents", "rejected", "duplicates", "sentences", "evidence", "document_stance",
              "municipality_stance", "municipality_year_stance")


def render_tables_doc(labels: Labels | None = None) -> str:
    labels = labels or Labels("en")
    lines = ["# The tables of a run", "",
             "Every `<table>.parquet` in `outputs/<run-id>/`, column by column. Generated from the",
             "schemas every table is validated against (`flows/tables.py`) by",
             "`python -m flows.report.tables_doc`; the report's `report/data/codebook.md` describes",
             "the exported copies (where years are integers) in the report's language.", ""]
    for table in RUN_TABLES:
        lines += [f"## {table}", "", labels("table_" + table), "",
                  *column_table(table, labels, years_as_integers=False), ""]
        if table == "rejected":
            lines += ["### Reason codes", "", "From `flows/sources/reason_codes.yml`; the Dutch `reason` gives the particulars.", "",
                      "| reason_code | meaning |", "|---|---|",
                      *(f"| `{code}` | {meaning} |" for code, meaning in REASON_CODES.items()), ""]
    return "\n".join(lines)


if __name__ == "__main__":
    TABLES_DOC.write_text(render_tables_doc(), encoding="utf-8")
    print(f"wrote {TABLES_DOC}")
