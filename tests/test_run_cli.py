"""`regiescan run` end to end, as a user runs it: a subprocess on a small real corpus."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from pydantic import BaseModel

BIN = Path(sys.executable).parent / "regiescan"


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(cwd / "prefect-home")
    return subprocess.run([str(BIN), *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def small_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    corpus = root / "corpus"
    (corpus / "den-bosch").mkdir(parents=True)
    (corpus / "hellevoetsluis").mkdir()
    (corpus / "atlantis").mkdir()
    (corpus / "den-bosch" / "2019-05-01_raadsvoorstel-samenwerking.txt").write_text(
        "Raadsvoorstel samenwerking\n\nDe gemeente voert de regie over de uitvoering.", encoding="utf-8")
    (corpus / "den-bosch" / "2019-05-02_kopie.md").write_text(
        "Raadsvoorstel samenwerking\n\nDe gemeente voert de regie over de uitvoering.", encoding="utf-8")
    (corpus / "hellevoetsluis" / "2018-02-01_coalitieakkoord.txt").write_text(
        "Wij blijven een zelfstandige gemeente.", encoding="latin-1")
    (corpus / "atlantis" / "2018-02-01_motie.txt").write_text("Een motie.", encoding="utf-8")
    (corpus / "den-bosch" / "2019-06-01_leeg.txt").write_bytes(b"")
    (corpus / "den-bosch" / "notulen.txt").write_text("Zonder datum in de naam.", encoding="utf-8")
    out = root / "outputs"
    result = run_cli("run", "--corpus", str(corpus), "--out", str(out), cwd=root)
    return result, out


def test_run_completes_cleanly_with_a_summary(small_run):
    result, out = small_run
    assert result.returncode == 0, result.stderr
    combined = result.stdout + result.stderr
    assert "Traceback" not in combined
    assert "ERROR" not in combined
    assert "documents found (inputs)" in result.stdout
    assert str(out) in result.stdout.replace("\n", "")


def test_every_input_is_analysed_rejected_or_duplicate(small_run):
    _, out = small_run
    run = json.loads((out / "latest" / "run.json").read_text())
    assert run["counts"] == {"inputs": 6, "analysed": 2, "rejected": 3, "duplicates": 1}
    assert run["rejected_by_reason"] == {"empty": 1, "missing_metadata": 1, "unknown_municipality": 1}
    assert len(run["corpus_hash"]) == 64
    assert run["packages"]["spacy"].startswith("3.8")
    assert run["config"]["corpus"].endswith("corpus")
    rejected = pd.read_parquet(out / "latest" / "rejected.parquet")
    assert "onbekende gemeente: 'atlantis'" in set(rejected["reason"])


def test_documents_table_carries_normalised_municipalities(small_run):
    _, out = small_run
    docs = pd.read_parquet(out / "latest" / "documents.parquet").set_index("ref")
    bosch = docs.loc["den-bosch/2019-05-01_raadsvoorstel-samenwerking.txt"]
    assert (bosch.gm_code, bosch.municipality, bosch.doc_type) == ("GM0796", "'s-Hertogenbosch", "raadsvoorstel")
    helle = docs.loc["hellevoetsluis/2018-02-01_coalitieakkoord.txt"]
    assert (helle.gm_code, helle.municipality_original, bool(helle.merged)) == ("GM1992", "Hellevoetsluis", True)
    assert "zelfstandige" in helle.pages[0]  # Latin-1 decoded


def test_latest_points_at_the_complete_run_and_no_partial_folder_is_left(small_run):
    _, out = small_run
    latest = out / "latest"
    assert latest.is_symlink()
    assert (latest / "run.json").is_file()
    assert not [p for p in out.iterdir() if p.name.startswith(".partial-")]


def test_bad_config_is_a_clear_error_with_exit_2(tmp_path):
    bad = tmp_path / "bad.yaml"
    # max_text_chars above the analyser's limit: such a text could only be rejected later.
    bad.write_text("ingest:\n  max_file_mb: -1\n  max_text_chars: 3000000\nunknown_key: 1\n", encoding="utf-8")
    result = run_cli("run", "--config", str(bad), cwd=tmp_path)
    assert result.returncode == 2
    assert "invalid configuration" in result.stderr
    assert "max_file_mb" in result.stderr and "unknown_key" in result.stderr
    assert "max_text_chars" in result.stderr and "2000000" in result.stderr
    assert "Traceback" not in result.stderr


def test_missing_corpus_is_a_clear_error(tmp_path):
    result = run_cli("run", "--corpus", str(tmp_path / "nope"), cwd=tmp_path)
    assert result.returncode == 2
    assert "corpus folder does not exist" in result.stderr


def test_a_model_folder_without_a_spacy_pipeline_is_a_clear_error(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"nlp:\n  model: {tmp_path}\n", encoding="utf-8")
    result = run_cli("run", "--config", str(config), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    assert "not a saved spaCy pipeline" in " ".join(result.stderr.split()) and "Traceback" not in result.stderr


def test_empty_corpus_is_a_clear_error(tmp_path):
    (tmp_path / "corpus" / "utrecht").mkdir(parents=True)
    result = run_cli("run", "--corpus", str(tmp_path / "corpus"), cwd=tmp_path)
    assert result.returncode == 2
    assert "holds no files" in " ".join(result.stderr.split()) and "Traceback" not in result.stderr


def test_a_corpus_whose_every_document_is_rejected_still_completes(tmp_path):
    corpus = tmp_path / "corpus" / "utrecht"
    corpus.mkdir(parents=True)
    (corpus / "2024-01-01_leeg.txt").write_bytes(b"")
    (corpus / "2024-01-02_begroting.xlsx").write_bytes(b"PK not a workbook")
    result = run_cli("run", "--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    latest = tmp_path / "out" / "latest"
    run = json.loads((latest / "run.json").read_text())
    assert run["counts"] == {"inputs": 2, "analysed": 0, "rejected": 2, "duplicates": 0}
    assert len(pd.read_parquet(latest / "rejected.parquet")) == 2
    for table in ("municipality_stance", "municipality_year_stance"):
        frame = pd.read_parquet(latest / f"{table}.parquet")
        assert frame.empty and {"gm_code", "position", "category"} <= set(frame.columns)
    assert (latest / "report" / "index.html").is_file()


def test_undated_documents_count_for_their_municipality_and_give_no_year_rows(tmp_path):
    folder = tmp_path / "corpus" / "stukken"
    folder.mkdir(parents=True)
    (folder / "a.txt").write_text("Wij werken als gelijkwaardige partners samen in de regio.", encoding="utf-8")
    (folder / "b.txt").write_text("De gemeente voert de regie over de verbonden partijen.", encoding="utf-8")
    (folder / "manifest.csv").write_text(
        "file,municipality,date,doc_type,title,source_url\na.txt,Utrecht,,visie,A,\nb.txt,Zeist,,visie,B,\n", encoding="utf-8")
    result = run_cli("run", "--corpus", str(tmp_path / "corpus"), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    latest = tmp_path / "out" / "latest"
    by_municipality = pd.read_parquet(latest / "municipality_stance.parquet")
    assert sorted(by_municipality["municipality"]) == ["Utrecht", "Zeist"]
    assert set(by_municipality["trend"]) == {"onbekend"} and by_municipality["first_year"].isna().all()
    assert pd.read_parquet(latest / "municipality_year_stance.parquet").empty


def test_example_config_is_valid_and_states_the_defaults():
    """The documented example config loads, and the values it shows are the real defaults."""
    from flows.config import PROJECT_ROOT, RunConfig, load_config

    example = load_config(PROJECT_ROOT / "regiescan.example.yaml")
    defaults = RunConfig()
    assert example.model_dump(exclude={"corpus", "out"}) == defaults.model_dump(exclude={"corpus", "out"})
    # and it names every setting, set or commented out, in its section
    named, section = set(), ""
    for line in (PROJECT_ROOT / "regiescan.example.yaml").read_text(encoding="utf-8").splitlines():
        found = re.match(r"^( *)#? ?([a-z_]+):", line)
        if found is None:
            continue
        indent, name = found.groups()
        if not indent:
            section = name
        named.add(f"{section}.{name}" if indent else name)

    def keys(model: type[BaseModel], prefix: str = "") -> list[str]:
        found = []
        for name, field in model.model_fields.items():
            found.append(prefix + name)
            if isinstance(field.annotation, type) and issubclass(field.annotation, BaseModel):
                found += keys(field.annotation, f"{prefix}{name}.")
        return found

    assert sorted(set(keys(RunConfig)) - named) == []
