"""Shared fixtures: paths, the shared (third-party) material, and small real documents."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared"
SAMPLE = ROOT / "corpora" / "sample"


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip("../shared is not present on this machine")
    return SHARED


@pytest.fixture(scope="session")
def hostile_run(tmp_path_factory):
    """One uninterrupted `regiescan run` over the hostile corpus (with the sample corpus in it).

    Shared by tests/test_hostile_inputs.py (where every case lands) and
    tests/test_crash_safety.py (the reference a killed and rerun run must equal).
    """
    import hostile_corpus
    from cli_runner import permission_prefix, run_cli

    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    corpus.mkdir()
    # Part of the sample corpus too (27 documents): with small batches the crash test can kill
    # the run between batches.
    cases = hostile_corpus.build(corpus, sample=SAMPLE, sample_folders=(
        "aangeleverd", "amersfoort", "deventer", "doetinchem", "ermelo", "venlo", "zutphen"))
    config = root / "config.yaml"
    config.write_text("batch_size: 8\n", encoding="utf-8")
    prefix = permission_prefix()
    out = root / "outputs"
    result = run_cli("run", "--corpus", str(corpus), "--out", str(out), "--config", str(config),
                     cwd=root, prefix=prefix or ())
    yield hostile_corpus.HostileRun(result, root, corpus, out, config, cases, prefix)
    hostile_corpus.restore_permissions(corpus)
