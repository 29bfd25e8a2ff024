"""Streamed tables: any sequence of batches that fits the schema can be written."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq

from flows.tables import TableWriter, copy_without, records_frame

EVIDENCE = {
    "doc_id": "a", "ref": "gm/2020-01-01_x.txt", "gm_code": "GM0001", "municipality": "M", "municipality_original": "M",
    "date": None, "year": None, "doc_type": "nota", "title": None, "source_url": None, "page": 1, "frame": "regie",
    "subcategory": "regiegemeente", "polarity": "endorse", "cue": None, "cue_kind": None, "mention": "regie",
    "mention_start": 0, "mention_end": 5, "sentence": "regie", "sentence_start": 0, "sentence_stance": "geen",
    "sentence_stance_probability": 0.5,
}


def test_a_column_empty_in_the_first_batch_takes_values_later(tmp_path):
    writer = TableWriter("evidence", tmp_path / "evidence.parquet")
    writer.write(records_frame([EVIDENCE], "evidence"))  # no cue, no date, no year, no title
    writer.write(records_frame([{**EVIDENCE, "cue": "niet", "cue_kind": "negation", "date": dt.date(2020, 1, 2),
                                 "year": 2020.0, "title": "Nota", "source_url": "https://example.nl"}], "evidence"))
    writer.close()
    table = pq.read_table(tmp_path / "evidence.parquet").to_pandas()
    assert table["cue"].tolist()[1] == "niet" and table["date"].tolist()[1] == dt.date(2020, 1, 2)
    assert table["year"].isna().tolist() == [True, False]


def test_empty_batches_are_skipped(tmp_path):
    writer = TableWriter("sentences", tmp_path / "sentences.parquet")
    writer.write(records_frame([], "sentences"))  # every document of the batch was rejected
    writer.write(records_frame([{"doc_id": "a", "sentence_index": 0, "page": 1, "start": 0, "end": 3, "text": "Zin",
                                 "stance": "geen", "evidence": False, "p_regie": 0.1, "p_netwerk": 0.1, "p_zelfstandig": 0.1,
                                 "p_geen": 0.7}], "sentences"))
    writer.write(records_frame([], "sentences"))
    writer.close()
    assert pq.read_table(tmp_path / "sentences.parquet").num_rows == 1


def test_copy_without_drops_the_excluded_rows_one_row_group_at_a_time(tmp_path):
    source, target = tmp_path / "ingested.parquet", tmp_path / "documents.parquet"
    writer = TableWriter("evidence", source, buffer_rows=2)
    for doc_id in "abcde":
        writer.add({**EVIDENCE, "doc_id": doc_id})
    writer.close()
    assert pq.ParquetFile(source).num_row_groups == 3

    assert copy_without(source, target, "doc_id", {"b", "e"}) == 3

    copied = pq.ParquetFile(target)
    assert copied.read().column("doc_id").to_pylist() == ["a", "c", "d"]
    assert copied.schema_arrow == pq.ParquetFile(source).schema_arrow
    # Row group by row group, never the whole table at once (it holds every page text).
    assert [copied.metadata.row_group(i).num_rows for i in range(copied.num_row_groups)] == [1, 2]  # [a, b], [c, d], [e]
    assert copy_without(source, tmp_path / "none.parquet", "doc_id", set("abcde")) == 0
    assert pq.ParquetFile(tmp_path / "none.parquet").schema_arrow == copied.schema_arrow
