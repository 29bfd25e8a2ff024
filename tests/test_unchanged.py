"""A run whose inputs equal those of outputs/latest keeps its outputs; any change is a new run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from flows.config import RunConfig
from flows.sources.rejection import Rejected
from flows.unchanged import REQUIRED_OUTPUTS, input_key, unchanged_run
from test_run_cli import run_cli, small_run  # noqa: F401  (fixture)


@dataclass
class Doc:
    ref: str
    digest: str
    manifest_row: dict[str, str] | None = None
    problem: Rejected | None = None


DOCS = [Doc("a/2020-01-01_nota.txt", "1" * 64), Doc("b/2021-02-02_motie.pdf", "2" * 64)]


def key(docs=DOCS, config: RunConfig | None = None, lexicon: str = "lex-1", model: str = "model-1") -> str:
    return input_key(docs, (config or RunConfig()).to_record(), lexicon, model)


@pytest.mark.parametrize("changed", [
    pytest.param([Doc(DOCS[0].ref, "3" * 64), DOCS[1]], id="a document's bytes"),
    pytest.param([Doc("a/2020-01-01_nota-v2.txt", DOCS[0].digest), DOCS[1]], id="a document renamed"),
    pytest.param(DOCS[:1], id="a document removed"),
    pytest.param([*DOCS, Doc("c/2022-03-03_brief.docx", "4" * 64)], id="a document added"),
    pytest.param(DOCS[::-1], id="the order (it decides which duplicate is kept)"),
    pytest.param([Doc(DOCS[0].ref, DOCS[0].digest, {"municipality": "Ede"}), DOCS[1]], id="a manifest row"),
    pytest.param([Doc(DOCS[0].ref, DOCS[0].digest, problem=Rejected("manifest_conflict", "regel 2 en regel 3")), DOCS[1]],
                 id="a rejection known before reading (its manifest lines)"),
])
def test_any_change_in_the_documents_changes_the_key(changed):
    assert key(changed) != key()


def test_settings_lexicon_and_model_change_the_key_but_output_paths_do_not(tmp_path):
    base = key()
    assert key() == base  # deterministic
    assert key(lexicon="lex-2") != base and key(model="model-2") != base
    assert key(config=RunConfig(report_lang="en")) != base
    assert key(config=RunConfig.model_validate({"aggregation": {"bootstrap_draws": 500}})) != base
    elsewhere = RunConfig(out=tmp_path / "elsewhere", cache_dir=tmp_path / "cache", rebuild=True)
    assert key(config=elsewhere) == base


def publish(out: Path, key_: str, steps=("inputs", "ingest", "report"), missing: str | None = None) -> Path:
    run_dir = out / "20260101T000000Z-abcdef"
    for name in REQUIRED_OUTPUTS:
        (run_dir / name).parent.mkdir(parents=True, exist_ok=True)
        (run_dir / name).write_text("x", encoding="utf-8")
    (run_dir / "run.json").write_text(json.dumps({"run_id": run_dir.name, "input_key": key_, "steps_done": list(steps)}))
    if missing:
        (run_dir / missing).unlink()
    os.symlink(run_dir.name, out / "latest")
    return run_dir


def test_the_complete_latest_run_with_the_same_key_stands(tmp_path):
    run_dir = publish(tmp_path, "k1")
    record = unchanged_run(tmp_path, "k1")
    assert record is not None and record["run_id"] == run_dir.name and record["output_dir"] == str(run_dir.resolve())
    assert unchanged_run(tmp_path, "k2") is None


@pytest.mark.parametrize("problem", ["no latest", "report not built", "a table deleted", "run.json broken"])
def test_a_latest_run_that_cannot_stand_is_not_reused(tmp_path, problem):
    if problem != "no latest":
        publish(tmp_path, "k1", steps=("inputs", "ingest") if problem == "report not built" else ("inputs", "report"),
                missing="evidence.parquet" if problem == "a table deleted" else None)
    if problem == "run.json broken":
        (tmp_path / "latest" / "run.json").write_text("{not json", encoding="utf-8")
    assert unchanged_run(tmp_path, "k1") is None


def test_a_new_document_is_picked_up_and_the_others_come_from_the_cache(small_run, tmp_path):  # noqa: F811
    """End to end: after the small run, one document more makes a full run (from the cache)."""
    first_result, first_out = small_run
    assert first_result.returncode == 0, first_result.stderr
    corpus, out = tmp_path / "corpus", tmp_path / "outputs"
    shutil.copytree(first_out.parent / "corpus", corpus)
    shutil.copytree(first_out, out, symlinks=True)
    first = json.loads((out / "latest" / "run.json").read_text())
    (corpus / "den-bosch" / "2020-03-01_nota-verbonden-partijen.txt").write_text(
        "Nota verbonden partijen\n\nWij werken als gelijkwaardige partners samen in de regio.", encoding="utf-8")
    result = run_cli("run", "--corpus", str(corpus), "--out", str(out), cwd=tmp_path)  # its cache came along in out/.cache
    assert result.returncode == 0, result.stdout + result.stderr
    second = json.loads((out / "latest" / "run.json").read_text())
    assert second["run_id"] != first["run_id"] and "outputs_of" not in second
    assert second["counts"]["inputs"] == first["counts"]["inputs"] + 1
    assert second["analysis_cache"] == {"documents_from_cache": first["counts"]["analysed"], "documents_analysed_now": 1}
    # the tables keep the documents' order, whichever documents came from the cache
    run = out / "latest"
    order = list(pd.read_parquet(run / "documents.parquet", columns=["doc_id"])["doc_id"])
    assert order.index(_doc_id_of(run, "2020-03-01_nota-verbonden-partijen.txt")) < len(order) - 1  # the new one is not last
    assert list(pd.read_parquet(run / "document_stance.parquet", columns=["doc_id"])["doc_id"]) == order
    assert list(dict.fromkeys(pd.read_parquet(run / "sentences.parquet", columns=["doc_id"])["doc_id"])) == order



def test_the_report_of_an_unchanged_run_points_at_the_run_whose_outputs_stand(tmp_path):
    from flows.report.data import ReportInputError, load_run

    record = tmp_path / "20260102T000000Z-123456"
    record.mkdir()
    (record / "run.json").write_text(json.dumps({"run_id": record.name, "outputs_of": "20260101T000000Z-abcdef"}))
    with pytest.raises(ReportInputError, match="found nothing changed.*20260101T000000Z-abcdef"):
        load_run(record)


def _doc_id_of(run: Path, file_name: str) -> str:
    documents = pd.read_parquet(run / "documents.parquet", columns=["doc_id", "ref"])
    return str(documents.loc[documents["ref"].str.endswith(file_name), "doc_id"].item())


def test_the_flow_module_does_not_import_spacy_or_scikit_learn():
    """A run that finds nothing changed never analyses: importing the flow (and the CLI) must
    not cost spaCy's and scikit-learn's imports (1.7 s of a run's start on the bench machine)."""
    code = ("import sys, flows.cli, flows.pipeline; "
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'spacy', 'sklearn', 'skops', 'thinc'}))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
