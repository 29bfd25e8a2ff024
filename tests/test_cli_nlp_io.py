"""classify, eval-stance and eval-frames at their edges: unusable output paths, input that is
not UTF-8, output files that appear whole or not at all, and evaluation figures that say
where they came from. Each runs the real CLI as a user does."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import resource
import subprocess
from pathlib import Path

import pytest

from cli_runner import BIN, cli_env, permission_prefix, run_cli
from nlp.lexicon import lexicon_at
from nlp.model_card import read_model_card
from nlp.pipeline import pipeline_identity

# Passages written for these tests (never copied from a shared corpus).
STANCE_GOLD = [
    {"id": "t1", "text": "De gemeente voert de regie en besteedt de uitvoering uit.", "stance": "regie", "frames": {"regie": "endorse"}},
    {"id": "t2", "text": "Wij werken als gelijkwaardige partners samen in het netwerk van de regio.", "stance": "netwerk", "frames": {}},
    {"id": "t3", "text": "Onze gemeente moet zelfstandig blijven.", "stance": "zelfstandig", "frames": {}},
    {"id": "t4", "text": "Het bestuur vergadert twee keer per jaar.", "stance": "geen", "frames": {}},
]


def _text(i: int) -> str:
    return f"Tekst {i}: de gemeente voert de regie over de uitvoering."


def _jsonl(records: list[dict]) -> bytes:
    return b"".join(json.dumps(r).encode("utf-8") + b"\n" for r in records)


def _stderr(result) -> str:
    return " ".join(result.stderr.split())  # Rich wraps long lines


def _user_error(result) -> str:
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr
    return _stderr(result)


def test_classify_refuses_an_unusable_output_path(tmp_path):
    line = '{"id": 1, "text": "Wij voeren de regie."}\n'
    folder = _user_error(run_cli("classify", "-", "-o", str(tmp_path), input=line, cwd=tmp_path))
    assert f"cannot write {tmp_path}: it is a folder" in folder
    missing = tmp_path / "nope" / "out.jsonl"
    no_folder = _user_error(run_cli("classify", "-", "-o", str(missing), input=line, cwd=tmp_path))
    assert f"cannot write {missing}: folder {missing.parent} does not exist" in no_folder
    a_file = tmp_path / "file.txt"
    a_file.write_text("", encoding="utf-8")
    under_file = _user_error(run_cli("classify", "-", "-o", str(a_file / "out.jsonl"), input=line, cwd=tmp_path))
    assert f"{a_file} is not a folder" in under_file


def test_classify_refuses_an_output_folder_it_may_not_write(tmp_path):
    prefix = permission_prefix()
    if prefix is None:
        pytest.skip("running as root without a way to drop CAP_DAC_OVERRIDE")
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        result = run_cli("classify", "-", "-o", str(locked / "out.jsonl"), input='{"id": 1, "text": "x"}\n',
                         cwd=tmp_path, prefix=prefix)
    finally:
        locked.chmod(0o755)
    assert "no permission to create files in" in _user_error(result)
    assert list(locked.iterdir()) == []


def test_a_line_that_is_not_utf8_is_a_malformed_line(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl([{"id": 1, "text": _text(1)}]) + b'{"id": 2, "text": "caf\xe9"}\n'
                       + _jsonl([{"id": 3, "text": _text(3)}]))
    failed = _user_error(run_cli("classify", str(source), cwd=tmp_path))
    assert "line 2: not valid UTF-8 (byte 0xe9" in failed and "--skip-invalid" in failed

    skipped = run_cli("classify", str(source), "--skip-invalid", cwd=tmp_path)
    assert skipped.returncode == 0, skipped.stderr
    assert [json.loads(x)["id"] for x in skipped.stdout.splitlines()] == [1, 3]
    assert "skipped line 2: not valid UTF-8" in _stderr(skipped)
    assert "skipped 1 malformed line" in _stderr(skipped)


def test_lines_json_allows_but_text_cannot_be_are_malformed_lines(tmp_path):
    """An unpaired surrogate escape (no character: spaCy raised UnicodeEncodeError, exit 1),
    NaN / Infinity / 1e400 (would be written back as NaN or Infinity, which is not JSON), a
    text over the analyser's limit (spaCy raised E088) and nesting too deep for the parser."""
    from nlp.pipeline import MAX_TEXT_CHARS

    bad = [
        (b'{"id": "s", "text": "Regie \\ud800 voeren."}', "unpaired surrogate (\\ud800)"),
        (b'{"id": "\\udfff", "text": "x"}', "unpaired surrogate (\\udfff)"),
        (b'{"id": NaN, "text": "x"}', "NaN is not a JSON number"),
        (b'{"id": 1e400, "text": "x"}', "1e400 is out of range"),
        (json.dumps({"id": "lang", "text": "a" * (MAX_TEXT_CHARS + 1)}).encode(), f"{MAX_TEXT_CHARS + 1:,} characters"),
        (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    ]
    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl([{"id": 0, "text": _text(0)}]) + b"".join(line + b"\n" for line, _ in bad)
                       + _jsonl([{"id": 9, "text": "Wij werken samen \U0001F600 als gelijkwaardige partners."}]))
    failed = _user_error(run_cli("classify", str(source), cwd=tmp_path))
    assert "line 2: " in failed and bad[0][1] in failed

    skipped = run_cli("classify", str(source), "--skip-invalid", cwd=tmp_path)
    assert skipped.returncode == 0, skipped.stderr
    assert [json.loads(x)["id"] for x in skipped.stdout.splitlines()] == [0, 9]
    for number, (_, reason) in enumerate(bad, start=2):
        assert f"skipped line {number}: " in _stderr(skipped) and reason in _stderr(skipped)
    assert f"skipped {len(bad)} malformed lines" in _stderr(skipped)


def test_output_file_appears_only_when_every_line_was_classified(tmp_path):
    # More valid lines than a batch, so results were written before the bad line is read.
    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl([{"id": i, "text": _text(i)} for i in range(5)]) + b"{not json\n")
    out = tmp_path / "out.jsonl"

    failed = run_cli("classify", str(source), "-o", str(out), "--batch-size", "2", cwd=tmp_path)
    assert "line 6" in _user_error(failed)
    assert not out.exists()

    out.write_text("earlier results\n", encoding="utf-8")
    run_cli("classify", str(source), "-o", str(out), "--batch-size", "2", cwd=tmp_path)
    assert out.read_text(encoding="utf-8") == "earlier results\n"  # not clobbered

    done = run_cli("classify", str(source), "-o", str(out), "--batch-size", "2", "--skip-invalid", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert [json.loads(x)["id"] for x in out.read_text(encoding="utf-8").splitlines()] == [0, 1, 2, 3, 4]
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "prefect-home") == ["in.jsonl", "out.jsonl"]


def test_classify_may_write_over_its_own_input(tmp_path):
    """The input is read whole before the output is renamed into place."""
    path = tmp_path / "texts.jsonl"
    path.write_bytes(_jsonl([{"id": i, "text": _text(i)} for i in range(3)]))
    result = run_cli("classify", str(path), "-o", str(path), "--batch-size", "1", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["stance"] for x in path.read_text(encoding="utf-8").splitlines()] == ["regie"] * 3


def test_a_byte_order_mark_before_the_first_line_is_not_a_malformed_line(tmp_path):
    """Windows editors and Excel start a UTF-8 file with a BOM; the gold and annotation readers
    share the line reader, so this covers them too."""
    source = tmp_path / "in.jsonl"
    source.write_bytes(b"\xef\xbb\xbf" + _jsonl([{"id": i, "text": _text(i)} for i in range(2)]))
    result = run_cli("classify", str(source), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert [json.loads(x)["id"] for x in result.stdout.splitlines()] == [0, 1]
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(b"\xef\xbb\xbf" + _jsonl(STANCE_GOLD))
    evaluated = run_cli("eval-stance", str(gold), cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert "4 passages" in evaluated.stdout


def test_an_output_link_is_written_through(tmp_path):
    target = tmp_path / "results" / "out.jsonl"
    target.parent.mkdir()
    link = tmp_path / "latest.jsonl"
    link.symlink_to(target)
    result = run_cli("classify", "-", "-o", str(link), input=_jsonl([{"id": 1, "text": _text(1)}]).decode(), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert link.is_symlink() and link.resolve() == target
    assert json.loads(target.read_text(encoding="utf-8"))["stance"] == "regie"


def test_an_output_link_to_a_missing_folder_fails_before_any_work(tmp_path):
    link = tmp_path / "figures.json"
    link.symlink_to(tmp_path / "missing" / "figures.json")
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(_jsonl(STANCE_GOLD))
    failed = run_cli("eval-stance", str(gold), "--json", str(link), cwd=tmp_path)
    assert f"folder {tmp_path / 'missing'} does not exist" in _user_error(failed)
    assert "macro-F1" not in failed.stdout  # nothing evaluated
    assert link.is_symlink()


def _file_size_limit(limit: int):
    # Python ignores SIGXFSZ, so a write past the limit raises EFBIG, as a full disk raises ENOSPC.
    return lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_an_output_that_cannot_be_written_whole_is_a_clear_error_and_no_file(tmp_path):
    source = tmp_path / "in.jsonl"
    source.write_bytes(_jsonl([{"id": i, "text": _text(i)} for i in range(20)]))
    out = tmp_path / "out.jsonl"
    out.write_text("earlier results\n", encoding="utf-8")
    failed = run_cli("classify", str(source), "-o", str(out), cwd=tmp_path, preexec_fn=_file_size_limit(2000))
    assert f"cannot write {out}: File too large (nothing written)" in _user_error(failed)
    assert out.read_text(encoding="utf-8") == "earlier results\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != "prefect-home") == ["in.jsonl", "out.jsonl"]


def test_a_full_standard_output_is_a_clear_error(tmp_path):
    with open("/dev/full", "w") as full:  # every write fails with ENOSPC
        failed = subprocess.run([str(BIN), "classify", "-"], input=_jsonl([{"id": 1, "text": _text(1)}]).decode(),
                                stdout=full, stderr=subprocess.PIPE, text=True, cwd=tmp_path,
                                env=cli_env(tmp_path / "prefect-home"), timeout=600)
    assert "cannot write standard output: No space left on device" in _user_error(failed)


def _check_provenance(provenance: dict, command: str, gold: Path) -> None:
    assert provenance["command"] == command
    assert provenance["command_line"][:2] == ["regiescan", command]
    assert provenance["gold"] == {"path": str(gold.resolve()), "sha256": hashlib.sha256(gold.read_bytes()).hexdigest()}
    assert provenance["lexicon_version"] == lexicon_at().version
    assert provenance["regiescan_version"] == provenance["packages"]["regiescan"] != "not installed"
    assert provenance["settings"]["nlp"]["model"] == "blank"
    assert provenance["spacy_pipeline"] == pipeline_identity("blank") and provenance["spacy_pipeline"].startswith("blank nl, spacy 3.")
    created = dt.datetime.fromisoformat(provenance["created_at"])
    assert abs((dt.datetime.now(dt.timezone.utc) - created).total_seconds()) < 600


def test_eval_stance_json_records_provenance(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(_jsonl(STANCE_GOLD))
    out = tmp_path / "figures.json"
    result = run_cli("eval-stance", str(gold), "--json", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert {"n", "n_hard", "model", "keyword_count", "model_hard", "keyword_count_hard"} <= set(figures)
    assert figures["n"] == 4 and "macro_f1" in figures["model"]
    intervals = figures["intervals"]
    assert intervals["draws"] == 2000 and intervals["level"] == 0.95
    low, high = intervals["model_macro_f1"]
    assert 0 <= low <= high <= 1  # (that it brackets the figure: tests/test_evaluate_intervals.py, more passages)
    assert "95% bootstrap intervals over the passages" in result.stdout
    provenance = figures["provenance"]
    _check_provenance(provenance, "eval-stance", gold)
    card = read_model_card()
    assert provenance["model"] == {"version": card["model_version"], "lexicon_version": card["lexicon_version"]}
    assert provenance["settings"]["errors"] is False


def test_eval_frames_json_records_provenance(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(_jsonl(STANCE_GOLD))
    out = tmp_path / "figures.json"
    result = run_cli("eval-frames", str(gold), "--no-misses", "--json", str(out), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    figures = json.loads(out.read_text(encoding="utf-8"))
    assert figures["n_passages"] == 4 and "regie" in figures["frames"]
    _check_provenance(figures["provenance"], "eval-frames", gold)
    assert figures["provenance"]["settings"]["misses"] is False


def test_eval_json_to_an_unusable_path_fails_before_evaluating(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(_jsonl(STANCE_GOLD))
    for command in ("eval-stance", "eval-frames"):
        result = run_cli(command, str(gold), "--json", str(tmp_path / "nope" / "f.json"), cwd=tmp_path)
        message = _user_error(result)
        assert "folder" in message and "does not exist" in message
        assert result.stdout == ""  # no table: nothing was evaluated


def test_eval_gold_errors_name_what_each_command_needs(tmp_path):
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(_jsonl([STANCE_GOLD[0], {"id": "x", "text": "Zonder label.", "frames": {}}]))
    stance = _user_error(run_cli("eval-stance", str(gold), cwd=tmp_path))
    assert f"{gold}:2: eval-stance needs" in stance and "'stance' (one of regie, netwerk, zelfstandig, geen)" in stance
    assert "this line has no 'stance'" in stance and "'frames'" not in stance

    gold.write_bytes(_jsonl([{"id": "x", "text": "Fout label.", "stance": "Regie"}]))
    assert 'this line has stance="Regie"' in _user_error(run_cli("eval-stance", str(gold), cwd=tmp_path))
    frames = _user_error(run_cli("eval-frames", str(gold), cwd=tmp_path))
    assert f"{gold}:1: eval-frames needs" in frames and "this line has no 'frames'" in frames

    gold.write_bytes(b'{"id": "x", "text": "caf\xe9", "stance": "geen"}\n')
    assert f"{gold}:1: not valid UTF-8" in _user_error(run_cli("eval-stance", str(gold), cwd=tmp_path))
    gold.write_bytes(b"")
    assert "no labelled passages" in _user_error(run_cli("eval-stance", str(gold), cwd=tmp_path))

    from nlp.pipeline import MAX_TEXT_CHARS  # spaCy raised E088 (a traceback) for such a line

    gold.write_bytes(_jsonl([STANCE_GOLD[0], {"id": "lang", "text": "a " * MAX_TEXT_CHARS, "stance": "geen", "frames": {}}]))
    for command in ("eval-stance", "eval-frames"):
        message = _user_error(run_cli(command, str(gold), cwd=tmp_path))
        assert f"{gold}:2: " in message and f"{2 * MAX_TEXT_CHARS:,} characters" in message
