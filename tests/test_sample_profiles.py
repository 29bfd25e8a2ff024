"""The bundled corpus end to end: each municipality gets the profile it was written to have;
a rerun with nothing new keeps the outputs it would rewrite, and a forced rebuild does no
NLP work and gives the same outputs."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "regiescan"
TABLES = ["municipality_stance", "municipality_year_stance", "evidence", "sentences", "document_stance"]


def run_folders(out: Path) -> set[Path]:
    return {p for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")} if out.is_dir() else set()


def run(out: Path, home: Path, *args: str) -> dict:
    """Run regiescan; the record of the run folder it added."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(home)
    before = run_folders(out)
    result = subprocess.run([str(BIN), "run", "--out", str(out), *args], env=env, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    (added,) = run_folders(out) - before
    return {**json.loads((added / "run.json").read_text()), "stdout": result.stdout}


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A full run, a rerun with nothing new, and a forced rebuild of the same corpus."""
    root = tmp_path_factory.mktemp("sample")
    first = run(root / "out", root / "prefect")
    first_dir = (root / "out" / "latest").resolve()
    unchanged = run(root / "out", root / "prefect")
    assert (root / "out" / "latest").resolve() == first_dir
    rebuilt = run(root / "out", root / "prefect", "--rebuild")
    return first, first_dir, unchanged, rebuilt, (root / "out" / "latest").resolve()


def test_counts_add_up(runs):
    first, *_ = runs
    assert first["counts"] == {"inputs": 50, "analysed": 50, "rejected": 0, "duplicates": 0}


def test_municipalities_get_their_intended_profiles(runs):
    _, first_dir, *_ = runs
    stance = pd.read_parquet(first_dir / "municipality_stance.parquet").set_index("gm_code")
    with open(ROOT / "corpora" / "sample_profiles.csv", encoding="utf-8") as f:
        expected = {row["gm_code"]: row["expected_category"] for row in csv.DictReader(f)}
    assert dict(stance["category"]) == expected


def test_shifting_municipality_moves_from_regie_to_netwerk(runs):
    _, first_dir, *_ = runs
    years = pd.read_parquet(first_dir / "municipality_year_stance.parquet")
    wijk = years[years.gm_code == "GM0352"].set_index("year")["position"]
    assert (wijk[wijk.index <= 2017] < 0).all() and (wijk[wijk.index >= 2021] > 0).all()
    stance = pd.read_parquet(first_dir / "municipality_stance.parquet").set_index("gm_code")
    assert stance.loc["GM0352", "trend"] == "naar netwerk"


def test_a_year_of_one_document_has_no_interval_and_its_page_says_why(runs):
    """The bootstrap varies documents only: one document would give a zero-width interval."""
    _, first_dir, *_ = runs
    years = pd.read_parquet(first_dir / "municipality_year_stance.parquet")
    single = years[(years.n_documents == 1) & years.position.notna()]
    assert len(single) and single.position_low.isna().all() and single.position_high.isna().all()
    deventer = years[years.gm_code == "GM0150"]
    page = (first_dir / "report" / "municipalities" / "GM0150.html").read_text(encoding="utf-8")
    assert f"Jaren zonder interval (maar één document met regie- of netwerkzinnen): {len(deventer)}." in " ".join(page.split())


def test_a_page_says_when_the_interval_reaches_over_a_category_boundary(runs):
    _, first_dir, *_ = runs
    stance = pd.read_parquet(first_dir / "municipality_stance.parquet")
    crossing = {}
    for row in stance.itertuples():
        page = " ".join((first_dir / "report" / "municipalities" / f"{row.gm_code}.html").read_text(encoding="utf-8").split())
        expected = row.category in ("regiegemeente", "netwerkgemeente", "hybride") and any(
            row.position_low < boundary < row.position_high for boundary in (-0.33, 0.33))
        crossing[row.gm_code] = expected
        assert ("reikt over een categoriegrens (±0,33)" in page) == expected, row.gm_code
    assert any(crossing.values()) and not all(crossing.values())


def test_merged_municipality_keeps_its_original_name(runs):
    _, first_dir, *_ = runs
    evidence = pd.read_parquet(first_dir / "evidence.parquet")
    helle = evidence[evidence.gm_code == "GM1992"]
    assert set(helle.municipality) == {"Voorne aan Zee"} and set(helle.municipality_original) == {"Hellevoetsluis"}


def test_evidence_cites_pages_and_cues(runs):
    _, first_dir, *_ = runs
    evidence = pd.read_parquet(first_dir / "evidence.parquet")
    pdf_rows = evidence[evidence.ref.str.endswith(".pdf")]
    assert pdf_rows.page.max() >= 2
    assert set(evidence.polarity) <= {"endorse", "reject", "neutral"} and {"endorse", "reject"} <= set(evidence.polarity)
    assert evidence.cue.notna().any()
    # A neutral mention is listed only in an evidence sentence, and every evidence sentence
    # (each one counted in R, N or Z) has a row: the counts can be traced to the rows.
    sentences = pd.read_parquet(first_dir / "sentences.parquet")
    counted = sentences[sentences.evidence]
    rows = evidence.merge(counted[["doc_id", "start", "end"]], on="doc_id")
    inside = rows[(rows.mention_start >= rows.start) & (rows.mention_start < rows.end)]
    traced = set(zip(inside.doc_id, inside.start))
    assert all(key in traced for key in zip(counted.doc_id, counted.start))
    in_counted = set(zip(inside.doc_id, inside.mention_start))
    neutral = evidence[evidence.polarity == "neutral"]
    assert all(key in in_counted for key in zip(neutral.doc_id, neutral.mention_start))


def assert_same_tables(first_dir: Path, second_dir: Path) -> None:
    for table in TABLES:
        a = pd.read_parquet(first_dir / f"{table}.parquet")
        b = pd.read_parquet(second_dir / f"{table}.parquet")
        if "from_cache" in a:
            a, b = a.drop(columns="from_cache"), b.drop(columns="from_cache")
        pd.testing.assert_frame_equal(a, b)


def test_rerun_with_nothing_new_keeps_the_outputs_that_stand(runs):
    first, first_dir, unchanged, *_ = runs
    assert unchanged["outputs_of"] == first["run_id"] and unchanged["input_key"] == first["input_key"]
    assert unchanged["steps_done"] == ["inputs", "keep-outputs"]  # no ingest, no NLP, no tables, no report
    for run in (first, unchanged):  # when each step ended and the process's peak memory by then
        assert list(run["seconds"]) == list(run["peak_rss_mib"]) == list(dict.fromkeys(run["steps_done"]))
        peaks = list(run["peak_rss_mib"].values())
        assert peaks == sorted(peaks) and peaks[0] > 50  # a peak never falls; spaCy alone is more
    assert unchanged["counts"] == first["counts"] and unchanged["corpus_hash"] == first["corpus_hash"]
    assert "nothing changed since run " + first["run_id"] in " ".join(unchanged["stdout"].split())


def test_forced_rebuild_does_no_nlp_work_and_reproduces_outputs(runs):
    first, first_dir, _, rebuilt, rebuilt_dir = runs
    assert rebuilt_dir != first_dir and rebuilt["run_id"] == rebuilt_dir.name
    assert rebuilt["analysis_cache"] == {"documents_from_cache": 50, "documents_analysed_now": 0}
    assert rebuilt["corpus_hash"] == first["corpus_hash"] and rebuilt["input_key"] == first["input_key"]
    assert_same_tables(first_dir, rebuilt_dir)


def test_two_dask_workers_give_the_same_outputs(runs, tmp_path):
    """Scale-out: the bundled corpus on a 2-worker local Dask cluster, analysed from scratch."""
    first, first_dir, *_ = runs
    config = tmp_path / "dask.yaml"
    config.write_text(f"cache_dir: {tmp_path / 'cache'}\nbatch_size: 10\n", encoding="utf-8")
    record = run(tmp_path / "out", tmp_path / "prefect", "--task-runner", "dask", "--workers", "2", "--config", str(config))
    assert record["analysis_cache"]["documents_analysed_now"] == 50
    assert record["config"]["task_runner"] == "dask"
    assert_same_tables(first_dir, (tmp_path / "out" / "latest").resolve())
