import datetime as dt
from pathlib import Path

import pytest

from flows.sources.metadata import (
    EARLIEST_DATE,
    MAX_DAYS_AHEAD,
    ManifestError,
    doc_type_from_slug,
    from_path,
    parse_date,
    read_manifest,
)
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
    (row,) = read_manifest(tmp_path / "manifest.csv")
    assert (row.name, row.where, row.fields["municipality"], row.problem) == ("a.pdf", "manifest.csv regel 2", "Den Bosch", None)
    (tmp_path / "manifest.jsonl").write_text('{"file": "b.txt", "municipality": "Laren"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ManifestError, match="regel 2"):
        read_manifest(tmp_path / "manifest.jsonl")


def test_csv_rows_never_carry_none_keys_or_values(tmp_path):
    (tmp_path / "manifest.csv").write_text(
        "file,municipality,date\na.pdf,Utrecht,2024-01-01,extra\nb.pdf,Utrecht\n", encoding="utf-8")
    rows = read_manifest(tmp_path / "manifest.csv", "m/manifest.csv")
    assert [(r.where, r.problem) for r in rows] == [
        ("m/manifest.csv regel 2", "4 velden, de kop heeft er 3 (een komma in een waarde zonder aanhalingstekens?)"),
        ("m/manifest.csv regel 3", "2 velden, de kop heeft er 3"),
    ]
    assert all(isinstance(k, str) and isinstance(v, str) for r in rows for k, v in r.fields.items())


def test_a_header_naming_a_column_twice_is_a_manifest_error(tmp_path):
    (tmp_path / "manifest.csv").write_text("file,title,title\na.pdf,A,B\n", encoding="utf-8")
    with pytest.raises(ManifestError, match="kolom 'title' staat meer dan eens in de kop"):
        read_manifest(tmp_path / "manifest.csv")


@pytest.mark.parametrize("value, expected", [
    ("2024-05-05", dt.date(2024, 5, 5)),
    (" 2024-05-05\n", dt.date(2024, 5, 5)),
    ("2023-11-09T19:30:00", dt.date(2023, 11, 9)),  # ORI's last_discussed_at
    ("2023-06-01T20:00:00.000000", dt.date(2023, 6, 1)),
    ("2023-11-09T23:30:00-05:00", dt.date(2023, 11, 9)),  # the date as written, not moved to UTC
    ("2023-11-09T19:30:00.000Z", dt.date(2023, 11, 9)),
])
def test_parse_date_accepts_whole_dates_and_iso_timestamps(value, expected):
    assert parse_date(value) == expected


@pytest.mark.parametrize("value", ["2024-05-05garbage", "2024-05-05 x", "20240505", "2024-5-5", "05-05-2024",
                                   "2024-02-30", "2024-05-05T25:00", "2024-05-05Tx", ""])
def test_parse_date_rejects_anything_but_a_whole_date(value):
    with pytest.raises(Rejected) as err:
        parse_date(value)
    assert err.value.code == "bad_date"
    assert "ongeldige datum" in err.value.reason


def test_parse_date_rejects_implausible_dates():
    today = dt.date(2025, 6, 1)
    latest = today + dt.timedelta(days=MAX_DAYS_AHEAD)
    assert parse_date(EARLIEST_DATE.isoformat(), today) == EARLIEST_DATE
    assert parse_date(latest.isoformat(), today) == latest
    for too_early_or_late in (EARLIEST_DATE - dt.timedelta(days=1), latest + dt.timedelta(days=1), dt.date(1850, 1, 1)):
        with pytest.raises(Rejected) as err:
            parse_date(too_early_or_late.isoformat(), today)
        assert err.value.code == "date_out_of_range"
        assert err.value.reason == (f"onwaarschijnlijke datum {too_early_or_late.isoformat()} "
                                    f"(verwacht tussen 1900-01-01 en {latest.isoformat()})")


def test_path_dates_outside_the_plausible_range_are_rejected():
    with pytest.raises(Rejected) as err:
        from_path(Path("utrecht/1850-01-01_visie.txt"))
    assert err.value.code == "date_out_of_range"
