"""`regiescan run --source ori` end to end against the fake ORI server on 127.0.0.1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from test_ori_support import FakeOri, _ori_http_server, fake_ori  # noqa: F401  (fixtures)

BIN = Path(sys.executable).parent / "regiescan"


def test_flow_reads_ori_and_commits_the_watermark(fake_ori: FakeOri, tmp_path):
    fake_ori.load("ori_utrecht.json")
    config = tmp_path / "ori.yaml"
    config.write_text(yaml.safe_dump({"ori": {"base_url": fake_ori.base_url, "cache_dir": str(tmp_path / "cache"),
                                              "page_size": 3}}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    result = subprocess.run(
        [str(BIN), "run", "--source", "ori", "-m", "Utrecht", "--since", "2023-01-01", "--config", str(config),
         "--out", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    run = json.loads((tmp_path / "out" / "latest" / "run.json").read_text())
    assert run["counts"] == {"inputs": 7, "analysed": 6, "rejected": 1, "duplicates": 0}
    assert run["config"]["source"] == "ori"
    docs = pd.read_parquet(tmp_path / "out" / "latest" / "document_stance.parquet")
    assert set(docs.gm_code) == {"GM0344"}
    watermarks = json.loads((tmp_path / "cache" / "watermarks.json").read_text())
    assert any(key.startswith("utrecht") for key in watermarks)


@pytest.mark.parametrize("since, message", [
    ((), "no earlier online run"),
    (("--since", "2015-01-01"), "page 1 of this search is not in the cache"),  # a search no online run made
])
def test_an_offline_run_the_cache_cannot_answer_is_a_clear_error_before_the_flow(tmp_path, since, message):
    config = tmp_path / "ori.yaml"
    config.write_text(yaml.safe_dump({"ori": {"cache_dir": str(tmp_path / "empty-cache")}}), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env["PREFECT_HOME"] = str(tmp_path / "prefect")
    result = subprocess.run(
        [str(BIN), "run", "--source", "ori", "-m", "Utrecht", "--offline", *since, "--config", str(config),
         "--out", str(tmp_path / "out")],
        env=env, capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 2, result.stderr
    assert message in " ".join(result.stderr.split())
    assert "Traceback" not in result.stdout + result.stderr and not (tmp_path / "out").exists()
