"""Crash safety: a run killed with SIGKILL in the middle of analysis loses nothing.

The killed run and its rerun read the same corpus as the uninterrupted `hostile_run`
(tests/conftest.py) and must end with the same tables; `latest` must point at a complete
run the whole time, and the killed run's partial folder must not survive the rerun.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time

import pandas as pd
import pytest

from cli_runner import BIN, cli_env, run_cli
from flows.outputs import PARTIAL_PREFIX

TABLES = ("documents", "rejected", "duplicates", "sentences", "evidence", "document_stance",
          "municipality_stance", "municipality_year_stance")


def published_runs(out):
    return sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith("."))


@pytest.mark.skipif(not hasattr(os, "killpg"), reason="needs POSIX process groups")
def test_a_run_killed_mid_analysis_then_rerun_equals_an_uninterrupted_run(hostile_run, tmp_path):
    reference = hostile_run.out / "latest"
    assert hostile_run.result.returncode == 0, hostile_run.result.stderr[-3000:]
    # The outputs folder already holds a complete earlier run that `latest` points at.
    out = tmp_path / "outputs"
    out.mkdir()
    earlier = reference.resolve().name
    shutil.copytree(reference, out / earlier, symlinks=True)
    os.symlink(earlier, out / "latest")

    # --rebuild: the inputs equal those of the earlier run, which would otherwise stand.
    args = ["run", "--corpus", str(hostile_run.corpus), "--out", str(out), "--config", str(hostile_run.config), "--rebuild"]
    log = (tmp_path / "killed.log").open("w")
    run = subprocess.Popen([*(hostile_run.prefix or ()), str(BIN), *args], cwd=hostile_run.root,
                           env=cli_env(hostile_run.root / "prefect-home"), stdout=log, stderr=subprocess.STDOUT,
                           start_new_session=True)  # its own process group, with Prefect's server
    try:
        deadline = time.monotonic() + 400
        while True:
            assert os.readlink(out / "latest") == earlier  # never a partial run, never missing
            written = [p for p in out.glob(f"{PARTIAL_PREFIX}*/sentences.parquet") if p.stat().st_size > 0]
            if written:  # the first batches are analysed, classified and collected: kill it now
                os.killpg(run.pid, signal.SIGKILL)
                break
            assert run.poll() is None, "the run ended before it could be killed:\n" + (tmp_path / "killed.log").read_text()
            assert time.monotonic() < deadline, "analysis did not start in time"
            time.sleep(0.05)
        run.wait(timeout=60)
    finally:
        if run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        log.close()
    assert run.returncode == -signal.SIGKILL
    assert os.readlink(out / "latest") == earlier
    assert published_runs(out) == [earlier]
    assert [p.name for p in out.iterdir() if p.is_dir() and p.name.startswith(PARTIAL_PREFIX)]  # left behind

    rerun = run_cli(*args, cwd=hostile_run.root, prefix=hostile_run.prefix or ())
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    runs = published_runs(out)
    assert len(runs) == 2 and os.readlink(out / "latest") == [r for r in runs if r != earlier][0]
    assert not [p for p in out.iterdir() if p.name.startswith(PARTIAL_PREFIX)]  # the stale one was removed

    final = out / "latest"
    for name in TABLES:
        expected = pd.read_parquet(reference / f"{name}.parquet")
        got = pd.read_parquet(final / f"{name}.parquet")
        if name == "document_stance":
            expected, got = expected.drop(columns="from_cache"), got.drop(columns="from_cache")
        pd.testing.assert_frame_equal(got, expected, obj=name)
    before = json.loads((reference / "run.json").read_text())
    after = json.loads((final / "run.json").read_text())
    for key in ("counts", "rejected_by_reason", "corpus_hash", "lexicon_version"):
        assert after[key] == before[key], key
    # The documents analysed before the kill came from the cache: the kill was mid-analysis.
    cache = after["analysis_cache"]
    assert 0 < cache["documents_from_cache"] < after["counts"]["analysed"]
