import datetime as dt
from pathlib import Path

import pytest

from flows.sources.metadata import ManifestError, doc_type_from_slug, from_path, read_manifest
from flows.sources.rejection import Rejected


def test_path_convention_gives_municipality_date_type_and_title():
    meta = from_path(Path("wijk-bij-duurstede/2016-03-14_nota-verbonden-partijen.pdf"))
    assert meta.municipality == "wijk-bij-duurstede"
    assert meta.date == dt.date(2016, 3, 14)
    assert meta.doc_type == "nota verbonden partijen"
    assert meta.title == "Nota verbonden partijen"


@pytest.mark.parametrize(
    "slug, doc_type",
    [("regionale-agenda-2020", "regionale agenda"), ("agenda-raad", "agenda"), ("iets-anders", "onbekend")],
)
def test_doc_type_vocabulary_prefers_the_longest_specific_pattern(slug, doc_type):
    assert doc_type_from_slug(slug) == doc_type


def test_path_without_convention_is_rejected_with_reason():
    with pytest.raises(Rejected) as err:
        from_path(Path("amersfoort/verslag.pdf"))
    assert err.value.code == "missing_metadata"
    with pytest.raises(Rejected) as err:
        from_path(Path("amersfoort/2023-02-30_raadsvoorstel.pdf"))
    assert err.value.code == "bad_date"


def test_manifest_csv_and_jsonl(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        "file,municipality,date,doc_type,title,source_url\n"
        "a.pdf,Den Bosch,2019-01-02,raadsvoorstel,Titel A,https://raad.example.nl/a\n",
        encoding="utf-8",
    )
    rows = read_manifest(tmp_path / "manifest.csv")
    assert rows["a.pdf"]["municipality"] == "Den Bosch"
    (tmp_path / "manifest.jsonl").write_text('{"file": "b.txt", "municipality": "Laren"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ManifestError, match="regel 2"):
        read_manifest(tmp_path / "manifest.jsonl")
