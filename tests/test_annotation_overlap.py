"""The training passages are regiescan's own writing: none may copy a run of COPY_RUN words from
a shared real passage or the seed blog (third parties' sentences; the shared passages are the
evaluation data). A verbatim check: a close paraphrase would pass it. Skips where the shared
passages are absent."""

from __future__ import annotations

import json
import re

import pytest

from nlp.annotations import read_annotations, training_files

# Longer runs shared with the dev passages or the seed blog are copying; up to 7 words are
# stock phrases ("samen te werken op het gebied van"), measured when this test was added.
COPY_RUN = 8


def word_runs(text: str, n: int = COPY_RUN) -> set[tuple[str, ...]]:
    words = re.findall(r"\w+", text.lower())
    return {tuple(words[i:i + n]) for i in range(len(words) - n + 1)}


def test_word_runs_find_a_copied_run_and_ignore_case_and_punctuation():
    source = "Wij werken, samen met de buurgemeenten, aan een sterke en gezonde regio voor iedereen."
    assert word_runs("samen met de buurgemeenten aan een sterke en") & word_runs(source)
    assert not word_runs("samen met de buurgemeenten aan een sterke") & word_runs(source)  # 7 words


def test_no_training_passage_copies_a_shared_passage_or_the_seed_blog(shared_dir):
    dev = shared_dir / "corpora" / "dev_passages.jsonl"
    if not dev.is_file():
        pytest.skip(f"{dev} is not present on this machine")
    third_party: set[tuple[str, ...]] = set()
    for line in dev.read_text(encoding="utf-8").splitlines():
        if line.strip():
            third_party |= word_runs(json.loads(line)["text"])
    for path in (shared_dir / "seed").glob("*.txt"):
        third_party |= word_runs(path.read_text(encoding="utf-8"))
    # Names the passages and counts the runs; the third parties' words stay out of the log.
    copied = [
        f"{path.name} {record.id}: {len(word_runs(record.text) & third_party)} shared {COPY_RUN}-word runs"
        for path in training_files() for record in read_annotations(path)
        if word_runs(record.text) & third_party
    ]
    assert not copied, copied
