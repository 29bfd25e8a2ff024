"""Manifest rows that are malformed, disagree, or name a file by a path: every file is one input,
analysed or rejected with a reason naming the manifest line; no row is silently dropped or wins
by its order."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pandas as pd

from flows.config import IngestConfig, RunConfig
from flows.ingest import IngestResult, ingest
from flows.municipalities import default_registry
from flows.sources.folder import FolderSource
from flows.unchanged import input_key

HEADER = "file,municipality,date,doc_type,title,source_url\n"
TEXT = "Wij werken als gemeenten samen in het netwerk en voeren regie op de opgaven."


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def run(root: Path) -> IngestResult:
    """Ingest the folder as a run does, and compute the run's input key (which json-dumps every row)."""
    candidates = list(FolderSource(root).candidates())
    input_key(candidates, RunConfig().to_record(), "lex", "model")
    result = ingest(candidates, "folder", default_registry(), IngestConfig())
    refs = [*result.documents["ref"], *result.rejected["ref"], *result.duplicates["ref"]]
    assert len(refs) == len(set(refs)) == result.inputs  # one input per file, each accounted for once
    return result


def rejected(result: IngestResult) -> dict[str, tuple[str, str]]:
    return {row.ref: (row.reason_code, row.reason) for row in result.rejected.itertuples()}


def analysed(result: IngestResult) -> pd.DataFrame:
    return result.documents.set_index("ref")


def test_a_row_with_an_unquoted_comma_rejects_its_file_and_the_others_are_analysed(tmp_path):
    write(tmp_path / "m/a.txt", TEXT + " A.")
    write(tmp_path / "m/b.txt", TEXT + " B.")
    write(tmp_path / "m/manifest.csv", HEADER
          + "a.txt,Utrecht,2024-01-01,visie,Titel, met komma,https://x.nl\n"
          + "b.txt,Utrecht,2024-01-02,visie,\"Titel, wel gequote\",https://x.nl\n")
    result = run(tmp_path)
    assert rejected(result) == {"m/a.txt": (
        "manifest_bad_row", "ongeldige manifestregel: m/manifest.csv regel 2: 7 velden, de kop heeft er 6 "
        "(een komma in een waarde zonder aanhalingstekens?)")}
    assert analysed(result).loc["m/b.txt", "title"] == "Titel, wel gequote"


def test_a_short_row_is_rejected_too(tmp_path):
    write(tmp_path / "m/a.txt", TEXT)
    write(tmp_path / "m/manifest.csv", HEADER + "a.txt,Utrecht,2024-01-01\n")
    assert rejected(run(tmp_path))["m/a.txt"][0] == "manifest_bad_row"
    assert "3 velden, de kop heeft er 6" in rejected(run(tmp_path))["m/a.txt"][1]


def test_line_numbers_count_quoted_newlines_and_blank_lines(tmp_path):
    write(tmp_path / "m/a.txt", TEXT + " A.")
    write(tmp_path / "m/b.txt", TEXT + " B.")
    write(tmp_path / "m/manifest.csv", HEADER
          + "a.txt,Utrecht,2024-01-01,visie,\"twee\nregels\",\n"
          + "\n,,,,,\n"  # a blank line and a row of empty cells (spreadsheet export) describe nothing
          + "b.txt,Utrecht,2024-01-01,visie,B,,te veel\n")
    result = run(tmp_path)
    assert "m/a.txt" in analysed(result).index
    assert "m/manifest.csv regel 6: 7 velden" in rejected(result)["m/b.txt"][1]


def test_a_malformed_row_that_names_no_file_is_recorded_against_the_manifest(tmp_path):
    write(tmp_path / "m/a.txt", TEXT)
    write(tmp_path / "m/manifest.csv", HEADER
          + "a.txt,Utrecht,2024-01-01,visie,A,\n"
          + ",Utrecht,2024-01-01,visie,Zonder naam,\n"
          + "https://x.nl/een/pad,Utrecht,2024-01-01,visie,B,,\n"
          + "weg.txt,Utrecht,2024-01-01,visie,B,,\n")
    result = run(tmp_path)
    assert analysed(result).loc["m/a.txt", "municipality"] == "Utrecht"
    assert rejected(result) == {
        "m/manifest.csv": ("manifest_bad_row", "manifestregels die geen document beschrijven: "
                           "regel 3: geen bestandsnaam in kolom 'file'; regel 4: 7 velden, de kop heeft er 6 "
                           "(een komma in een waarde zonder aanhalingstekens?)"),
        "m/weg.txt": ("manifest_bad_row", "ongeldige manifestregel: m/manifest.csv regel 5: 7 velden, de kop heeft "
                      "er 6 (een komma in een waarde zonder aanhalingstekens?); geen bestand met die naam"),
    }


def test_rows_that_disagree_reject_the_file_naming_every_row(tmp_path):
    write(tmp_path / "m/a.txt", TEXT)
    write(tmp_path / "m/manifest.csv", HEADER
          + "a.txt,Amersfoort,2024-01-01,visie,A,\n"
          + "a.txt,Utrecht,2019-01-01,visie,A,\n")
    write(tmp_path / "m/manifest.jsonl", json.dumps({"file": "a.txt", "municipality": "Zeist", "date": "2010-01-01"}) + "\n")
    assert rejected(run(tmp_path)) == {"m/a.txt": (
        "manifest_conflict", "tegenstrijdige manifestregels: m/manifest.csv regel 2, m/manifest.csv regel 3 en "
        "m/manifest.jsonl regel 1 verschillen in municipality, date, doc_type, title")}


def test_a_csv_row_and_a_jsonl_row_that_disagree_are_a_conflict(tmp_path):
    write(tmp_path / "a.txt", TEXT)
    write(tmp_path / "manifest.csv", HEADER + "a.txt,Utrecht,2024-01-01,visie,A,\n")
    write(tmp_path / "manifest.jsonl", json.dumps({"file": "a.txt", "municipality": "Zeist", "date": "2024-01-01",
                                                  "doc_type": "visie", "title": "A"}) + "\n")
    code, reason = rejected(run(tmp_path))["a.txt"]
    assert (code, reason) == ("manifest_conflict", "tegenstrijdige manifestregels: manifest.csv regel 2 en "
                              "manifest.jsonl regel 1 verschillen in municipality")


def test_identical_rows_in_both_manifests_describe_the_file_once(tmp_path):
    write(tmp_path / "m/a.txt", TEXT)
    write(tmp_path / "m/manifest.csv", HEADER + "a.txt,Utrecht,2024-01-01,visie,A,\n" + "a.txt,Utrecht,2024-01-01,visie,A,\n")
    write(tmp_path / "m/manifest.jsonl", json.dumps({"file": "a.txt", "municipality": " Utrecht", "date": "2024-01-01",
                                                    "doc_type": "visie", "title": "A", "source_url": None}) + "\n")
    result = run(tmp_path)
    assert result.inputs == 1 and result.rejected.empty
    assert (analysed(result).loc["m/a.txt", "municipality"], analysed(result).loc["m/a.txt", "date"]) == \
        ("Utrecht", dt.date(2024, 1, 1))


def test_a_root_manifest_naming_a_file_in_a_subfolder_rejects_that_file_once(tmp_path):
    write(tmp_path / "utrecht/2024-01-01_visie.txt", TEXT)
    write(tmp_path / "utrecht/2024-01-02_nota.txt", TEXT + " Nog een.")
    write(tmp_path / "manifest.csv", HEADER + "utrecht/2024-01-01_visie.txt,Zeist,2020-01-01,visie,T,\n")
    result = run(tmp_path)
    assert result.inputs == 2
    assert rejected(result) == {"utrecht/2024-01-01_visie.txt": (
        "manifest_bad_path", "manifest.csv regel 2 noemt dit bestand met het pad 'utrecht/2024-01-01_visie.txt'; "
        "een manifest beschrijft alleen bestanden in zijn eigen map: zet de regel in een manifest naast het bestand")}
    assert list(analysed(result).index) == ["utrecht/2024-01-02_nota.txt"]


def test_a_path_to_nothing_is_recorded_against_the_manifest(tmp_path):
    write(tmp_path / "utrecht/2024-01-01_visie.txt", TEXT)
    write(tmp_path / "utrecht/.verborgen.txt", TEXT + " Verborgen.")
    write(tmp_path / "manifest.csv", HEADER + "utrecht/ontbreekt.txt,Zeist,2020-01-01,visie,T,\n"
          + "utrecht/.verborgen.txt,Zeist,2020-01-01,visie,T,\n" + "utrecht,Zeist,2020-01-01,visie,T,\n")
    result = run(tmp_path)
    assert list(analysed(result).index) == ["utrecht/2024-01-01_visie.txt"]
    assert rejected(result) == {
        "manifest.csv": ("manifest_bad_row", "manifestregels die geen document beschrijven: "
                         "regel 2: pad 'utrecht/ontbreekt.txt' noemt geen document in de corpusmap"),
        "utrecht": ("manifest_missing_file", "manifest noemt een bestand dat niet in deze map staat"),
        # a hidden file is one input, rejected unread; the row naming it adds nothing
        "utrecht/.verborgen.txt": ("hidden_file", "verborgen bestand (naam begint met een punt) niet gelezen; "
                                   "hernoem het als het meetelt"),
    }


def test_dot_slash_names_the_file_by_a_path(tmp_path):
    write(tmp_path / "m/a.txt", TEXT)
    write(tmp_path / "m/manifest.csv", HEADER + "./a.txt,Utrecht,2024-01-01,visie,A,\n")
    assert rejected(run(tmp_path)) == {"m/a.txt": (
        "manifest_bad_path", "m/manifest.csv regel 2 noemt dit bestand met het pad './a.txt'; een manifest beschrijft "
        "alleen bestanden in zijn eigen map: zet de regel in een manifest naast het bestand")}


def test_manifest_dates_must_be_whole_and_plausible(tmp_path):
    ahead = dt.date.today() + dt.timedelta(days=30)
    for name in "abcde":
        write(tmp_path / f"m/{name}.txt", f"{TEXT} {name}.")
    write(tmp_path / "m/manifest.csv", HEADER
          + "a.txt,Utrecht,2024-05-05garbage,visie,A,\n"
          + "b.txt,Utrecht,1850-01-01,visie,B,\n"
          + "c.txt,Utrecht,2099-01-01,visie,C,\n"
          + f"d.txt,Utrecht,{ahead.isoformat()},agenda,D,\n"
          + "e.txt,Utrecht, 1900-01-01 ,visie,E,\n")
    result = run(tmp_path)
    got = rejected(result)
    assert got["m/a.txt"] == ("bad_date", "ongeldige datum '2024-05-05garbage' (verwacht JJJJ-MM-DD)")
    assert got["m/b.txt"][0] == got["m/c.txt"][0] == "date_out_of_range"
    assert "onwaarschijnlijke datum 1850-01-01 (verwacht tussen 1900-01-01 en" in got["m/b.txt"][1]
    assert analysed(result)["date"].to_dict() == {"m/d.txt": ahead, "m/e.txt": dt.date(1900, 1, 1)}


def test_file_name_dates_are_checked_the_same_way(tmp_path):
    write(tmp_path / "utrecht/2099-01-01_visie.txt", TEXT + " Toekomst.")
    write(tmp_path / "utrecht/2020-01-01_visie.txt", TEXT)
    result = run(tmp_path)
    assert rejected(result)["utrecht/2099-01-01_visie.txt"][0] == "date_out_of_range"
    assert list(analysed(result).index) == ["utrecht/2020-01-01_visie.txt"]


def test_hidden_files_and_folders_are_inputs_rejected_once_not_read(tmp_path):
    write(tmp_path / "utrecht/2024-01-01_visie.txt", TEXT)
    write(tmp_path / "utrecht/.2024-02-01_concept.txt", TEXT + " Concept.")
    write(tmp_path / "utrecht/.archief/2023-01-01_oud.txt", TEXT + " Oud.")
    write(tmp_path / "utrecht/.archief/2023-01-02_ouder.txt", TEXT + " Ouder.")
    write(tmp_path / "zeist/.verborgen.txt", TEXT + " Z.")
    write(tmp_path / "zeist/manifest.csv", HEADER + ".verborgen.txt,Zeist,2024-01-01,visie,Z,\n")
    result = run(tmp_path)
    assert list(analysed(result).index) == ["utrecht/2024-01-01_visie.txt"]
    assert {ref: code for ref, (code, _) in rejected(result).items()} == {
        "utrecht/.2024-02-01_concept.txt": "hidden_file",
        "utrecht/.archief": "hidden_folder",  # one input for the folder: its files are not read
        "zeist/.verborgen.txt": "hidden_file",  # the manifest row naming it adds no second input
    }


def test_a_manifest_jsonl_with_a_byte_order_mark_is_read(tmp_path):
    """Windows editors start a UTF-8 file with a BOM; it is not part of the first row's JSON."""
    write(tmp_path / "m/a.txt", TEXT)
    row = {"file": "a.txt", "municipality": "Utrecht", "date": "2024-01-01", "doc_type": "visie"}
    (tmp_path / "m/manifest.jsonl").write_bytes(b"\xef\xbb\xbf" + json.dumps(row).encode("utf-8") + b"\n")
    result = run(tmp_path)
    assert rejected(result) == {}
    assert analysed(result).loc["m/a.txt", "municipality"] == "Utrecht"
