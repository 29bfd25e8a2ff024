"""One text filed by two councils (a joint regional vision both adopted) is a document of each
municipality; the same text filed twice for one municipality is a duplicate of the first."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from flows.config import IngestConfig
from flows.ingest import document_id, ingest
from flows.municipalities import default_registry
from flows.sources.folder import FolderSource
from tests.cli_runner import run_cli

JOINT = ("Regionale visie\n\nWij werken als gelijkwaardige partners samen in de regio. "
         "Samen met inwoners, bedrijven en zorginstellingen bouwen wij het netwerk verder uit.")
OWN = "Raadsvoorstel\n\nDe gemeente voert de regie en besteedt de uitvoering uit."


def joint_corpus(root: Path) -> Path:
    files = {
        "den-bosch/2024-03-01_regionale-visie.txt": JOINT,
        "den-bosch/2024-03-02_regionale-visie-kopie.md": JOINT,  # the same council twice
        "utrecht/2024-04-01_regionale-visie.txt": JOINT,
        "utrecht/2024-05-01_raadsvoorstel.txt": OWN,
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root


def test_a_text_filed_by_two_municipalities_is_a_document_of_each(tmp_path):
    result = ingest(FolderSource(joint_corpus(tmp_path)).candidates(), "folder", default_registry(), IngestConfig())
    docs = result.documents.set_index("ref")
    assert sorted(docs.index) == ["den-bosch/2024-03-01_regionale-visie.txt", "utrecht/2024-04-01_regionale-visie.txt",
                                  "utrecht/2024-05-01_raadsvoorstel.txt"]
    bosch, helle = docs.loc["den-bosch/2024-03-01_regionale-visie.txt"], docs.loc["utrecht/2024-04-01_regionale-visie.txt"]
    assert bosch.content_sha256 == helle.content_sha256
    assert (bosch.doc_id, helle.doc_id) == (document_id(bosch.content_sha256, "GM0796"), document_id(helle.content_sha256, "GM0344"))
    assert helle.doc_id != bosch.doc_id
    assert result.documents["doc_id"].is_unique
    duplicates = result.duplicates.to_dict("records")
    assert duplicates == [{"ref": "den-bosch/2024-03-02_regionale-visie-kopie.md", "source": "folder",
                           "duplicate_of_ref": "den-bosch/2024-03-01_regionale-visie.txt", "doc_id": bosch.doc_id}]


def test_document_ids_depend_on_neither_folder_names_nor_source_order(tmp_path):
    """'den-bosch' sorts before 'oss', 's-hertogenbosch' after it: the same documents in another
    order keep their ids (a report page, or a draw of the bootstrap, follows the document)."""
    ids = []
    for bosch_folder in ("den-bosch", "s-hertogenbosch"):
        root = tmp_path / bosch_folder
        for folder in (bosch_folder, "oss"):
            (root / folder).mkdir(parents=True)
            (root / folder / "2024-03-01_regionale-visie.txt").write_text(JOINT, encoding="utf-8")
        result = ingest(FolderSource(root).candidates(), "folder", default_registry(), IngestConfig())
        ids.append(dict(zip(result.documents["municipality"], result.documents["doc_id"])))
    assert ids[0] == ids[1] and len(set(ids[0].values())) == 2


def test_a_run_counts_the_joint_text_for_both_municipalities(tmp_path):
    corpus, out = joint_corpus(tmp_path / "corpus"), tmp_path / "outputs"
    result = run_cli("run", "--corpus", str(corpus), "--out", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    latest = out / "latest"
    run = json.loads((latest / "run.json").read_text(encoding="utf-8"))
    assert run["counts"] == {"inputs": 4, "analysed": 3, "rejected": 0, "duplicates": 1}
    inputs = pd.read_parquet(latest / "documents.parquet", columns=["doc_id", "ref"])
    joint_ids = inputs[inputs["ref"].str.contains("regionale-visie")]["doc_id"]
    documents = pd.read_parquet(latest / "document_stance.parquet")
    joint = documents[documents["doc_id"].isin(joint_ids)]
    assert sorted(joint["municipality"]) == ["'s-Hertogenbosch", "Utrecht"]
    assert joint["stance"].nunique() == 1  # the same text, the same reading
    evidence = pd.read_parquet(latest / "evidence.parquet")
    assert set(evidence[evidence["doc_id"].isin(joint["doc_id"])]["municipality"]) == {"'s-Hertogenbosch", "Utrecht"}
    stance = pd.read_parquet(latest / "municipality_stance.parquet").set_index("municipality")
    assert stance.loc["'s-Hertogenbosch", "n_documents"] == 1
    assert stance.loc["Utrecht", "n_documents"] == 2

