"""Exit codes: 0 for a completed run (rejections included, see test_hostile_inputs.py), 2 for a
fatal configuration error, with a message that says what to fix and no traceback.

These fail before Prefect starts, so each takes only the CLI's start-up time.
"""

from __future__ import annotations

from cli_runner import run_cli
from nlp.lexicon import LEXICON_PATH


def test_a_lexicon_the_model_was_not_trained_with_is_exit_2(tmp_path):
    lexicon = tmp_path / "lexicon.yml"
    lexicon.write_text(LEXICON_PATH.read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8")
    config = tmp_path / "config.yaml"
    config.write_text(f"nlp:\n  lexicon_path: {lexicon}\n", encoding="utf-8")
    result = run_cli("run", "--config", str(config), "--out", str(tmp_path / "out"), cwd=tmp_path)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "the stance model was trained with lexicon" in message and "retrain with `regiescan train`" in message
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_missing_lexicon_file_and_an_unusable_output_folder_are_exit_2(tmp_path):
    config = tmp_path / "config.yaml"
    config.write_text(f"nlp:\n  lexicon_path: {tmp_path / 'nope.yml'}\n", encoding="utf-8")
    result = run_cli("run", "--config", str(config), cwd=tmp_path)
    assert result.returncode == 2
    message = " ".join(result.stderr.split())
    assert "the lexicon cannot be used: file not found" in message and "nlp.lexicon_path" in message
    assert "Traceback" not in result.stderr

    not_a_folder = tmp_path / "outputs"
    not_a_folder.write_text("", encoding="utf-8")
    result = run_cli("run", "--out", str(not_a_folder), cwd=tmp_path)
    assert result.returncode == 2
    assert "is a file; pass a folder with --out" in " ".join(result.stderr.split())


def test_an_error_names_a_path_with_brackets_as_it_is_on_one_line(tmp_path):
    """Error messages are plain text: "[/]" in a path is not rich markup (it raised MarkupError,
    a traceback and exit 1), and a message longer than 80 columns stays on one line in a log."""
    corpus = tmp_path / ("a long folder name that does not exist [/] " * 2).strip()
    for args in (("run", "--corpus", str(corpus)), ("report", str(corpus))):
        result = run_cli(*args, cwd=tmp_path)
        assert result.returncode == 2, result.stderr
        assert "Traceback" not in result.stderr
        assert str(corpus) in result.stderr.splitlines()[0]
