"""CLI commands around the language model: train, classify, eval-frames, eval-stance."""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import sys
import tempfile
from contextlib import ExitStack, contextmanager, nullcontext, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, ContextManager, Iterator, NoReturn, Optional

import typer
from rich.markup import escape
from rich.table import Table

from flows.console import console, err_console, fail
from nlp.jsonl import jsonl_lines
from nlp.pipeline import too_long

if TYPE_CHECKING:
    from nlp.analyser import Analyser
    from nlp.pipeline import NlpConfig


def train() -> None:
    """Train the stance classifier on corpora/annotations/ and write nlp/model/ with its model card."""
    from nlp.annotations import AnnotationError
    from nlp.training import train_from_annotations

    try:
        model = train_from_annotations()
    except AnnotationError as exc:
        fail(str(exc))
    cv = model.card["cross_validation"]
    console.print(f"trained model {model.version} on {model.card['training_data']['n_examples']} passages "
                  f"(lexicon {model.lexicon_version})")
    console.print(f"{cv['folds']}-fold cross-validated macro-F1 {cv['macro_f1']:.3f}, accuracy {cv['accuracy']:.3f}")
    console.print("model card: nlp/model/model_card.md")


@dataclass
class _Tally:
    skipped: int = 0  # malformed lines passed over under --skip-invalid


def _read_jsonl(handle: IO[bytes], skip_invalid: bool, tally: _Tally) -> Iterator[dict[str, Any]]:
    # Bytes, not text: a line that is not UTF-8 is then one malformed line (jsonl_lines decodes
    # per line), not a decoding error that ends the whole command.
    for line in jsonl_lines(handle):
        record = line.value
        problem = line.error
        if problem is None and (not isinstance(record, dict) or "id" not in record or not isinstance(record.get("text"), str)):
            problem = 'expected an object with "id" and a string "text"'
        if problem is None:
            problem = too_long(record["text"])
        if problem is None:
            yield record
            continue
        message = f"line {line.number}: {problem}"
        if not skip_invalid:
            fail(f"malformed input {message} (use --skip-invalid to skip such lines)")
        tally.skipped += 1
        err_console.print(f"[yellow]skipped[/] {escape(message)}", highlight=False)


def classify(
    input: str = typer.Argument(..., help='JSONL file of {"id", "text", ...} lines; "-" reads stdin.'),
    output: str = typer.Option("-", "-o", "--output", help='Where to write JSONL results; "-" is stdout. A file '
                               "appears only when every line was classified (it is written beside and renamed)."),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Skip malformed lines instead of failing."),
    batch_size: int = typer.Option(256, min=1, help="Texts classified per batch."),
) -> None:
    """Classify the stance of each text: one output line per input line, in the same order.

    Output lines: {"id", "stance", "probabilities", "frames", "evidence"} (see README).
    """
    target_path = None if output == "-" else Path(output)
    if target_path is not None:
        _check_output_path(target_path)  # before the input is read or the model loaded
    tally = _Tally()
    with ExitStack() as stack:
        source = stack.enter_context(_open_input(input))
        target = sys.stdout if target_path is None else stack.enter_context(_output_file(target_path))
        analyser = _load_analyser()
        where = output if target_path is not None else "standard output"
        _write_results(analyser, _read_jsonl(source, skip_invalid, tally), target, batch_size, where)
        _flush(target, where)  # here, so a full disk is reported, not met at interpreter exit
    if tally.skipped:
        err_console.print(f"skipped {tally.skipped} malformed line{'s' if tally.skipped != 1 else ''}", highlight=False)


def _load_analyser(config: Optional[NlpConfig] = None) -> Analyser:
    from nlp.analyser import long_lived_analyser
    from nlp.model_card import ModelError

    try:
        return long_lived_analyser(config)
    except ModelError as exc:
        fail(str(exc))


def _write_results(analyser: Analyser, records: Iterator[dict[str, Any]], target: IO[str], batch_size: int,
                   where: str) -> None:
    from nlp.stance import evidence_records

    batch: list[dict[str, Any]] = []

    def flush() -> None:
        for record, result in zip(batch, analyser.classify([r["text"] for r in batch])):
            line = {"id": record["id"], "stance": result.stance, "probabilities": result.probabilities,
                    "frames": result.frames, "evidence": evidence_records(result)}
            _write(target, json.dumps(line, ensure_ascii=False) + "\n", where)
        batch.clear()

    for record in records:
        batch.append(record)
        if len(batch) >= batch_size:
            flush()
    flush()


def _open_input(path: str) -> ContextManager[IO[bytes]]:
    if path == "-":
        return nullcontext(sys.stdin.buffer)  # not closed: it is the process's stdin
    try:
        return open(path, "rb")
    except OSError as exc:
        fail(f"cannot read {path}: {exc.strerror}")


def _check_output_path(path: Path) -> Path:
    """The file `path` writes (a symbolic link's target); exit 2 unless it can become a file:
    checked before any work, so a long run cannot end in an unwritable output."""
    path = Path(os.path.realpath(path))
    folder = path.parent
    if path.is_dir():
        fail(f"cannot write {path}: it is a folder; pass a file name")
    if not folder.exists():
        fail(f"cannot write {path}: folder {folder} does not exist")
    if not folder.is_dir():
        fail(f"cannot write {path}: {folder} is not a folder")
    if not os.access(folder, os.W_OK | os.X_OK):
        fail(f"cannot write {path}: no permission to create files in {folder}")
    return path


# Errors of writing, not of reading: a full disk or quota is the user's to fix, not a bug.
_WRITE_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})


def _write(target: IO[str], text: str, where: str) -> None:
    try:
        target.write(text)
    except OSError as exc:
        _write_failed(exc, where)


def _flush(target: IO[str], where: str) -> None:
    try:
        target.flush()
    except OSError as exc:
        _write_failed(exc, where)


def _write_failed(exc: OSError, where: str) -> NoReturn:
    if exc.errno not in _WRITE_ERRNOS:
        raise exc
    fail(f"cannot write {where}: {exc.strerror}" + ("" if where == "standard output" else " (nothing written)"))


@contextmanager
def _output_file(path: Path) -> Iterator[IO[str]]:
    """A temporary file beside `path`, renamed to `path` only when the block completes: a failed
    command leaves no partial output that looks complete, and an existing file untouched.
    A symbolic link is written through (its target replaced), not replaced by a file."""
    from flows.outputs import shared_mode

    path = _check_output_path(path)  # a link's target: the link is written through, not replaced
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        fail(f"cannot write {path}: {exc.strerror}")
    handle = os.fdopen(fd, "w", encoding="utf-8")
    try:
        os.chmod(tmp, shared_mode(0o666))  # mkstemp makes 0600; an output is meant to be shared
        yield handle
        _flush(handle, str(path))  # before close, which would raise a full disk unnamed
        handle.close()
        os.replace(tmp, path)
    except BaseException:
        # Closing flushes what is still buffered; after a failed write that fails too, and the
        # error being reported is the first one.
        with suppress(OSError):
            handle.close()
        Path(tmp).unlink(missing_ok=True)
        raise


def _provenance(command: str, gold: Path, gold_sha256: str, versions: dict[str, Any],
                settings: dict[str, Any]) -> dict[str, Any]:
    """What a published figure needs to be traced back: code, model and lexicon versions, the
    exact gold file, when, and with which settings (the same facts `regiescan run` records)."""
    from flows.provenance import package_versions

    packages = package_versions()
    return {
        "command": command,
        "command_line": ["regiescan", *sys.argv[1:]],
        "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "regiescan_version": packages["regiescan"],
        **versions,
        "gold": {"path": str(gold.resolve()), "sha256": gold_sha256},
        "settings": settings,
        "packages": packages,
    }


def _write_json(path: Path, data: dict[str, Any]) -> None:
    with _output_file(path) as handle:
        _write(handle, json.dumps(data, indent=2, ensure_ascii=False) + "\n", str(path))


def eval_frames(
    gold: Path = typer.Argument(..., help="Codebook-labelled JSONL ({text, frames, ...})."),
    show_misses: bool = typer.Option(True, "--misses/--no-misses", help="List misses as keyword-in-context lines."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures, with their provenance, as JSON."),
) -> None:
    """Per-frame mention precision/recall and polarity accuracy against labelled passages."""
    from nlp.evaluate import GoldError, evaluate_frames, read_gold
    from nlp.pipeline import NlpConfig, build_pipeline, configured_lexicon, pipeline_identity

    if json_out:
        _check_output_path(json_out)
    config = NlpConfig()
    try:
        labelled = read_gold(gold, "frames")
    except (GoldError, OSError) as exc:
        fail(_gold_error(gold, exc))
    result = evaluate_frames(build_pipeline(config), labelled.records)
    table = Table(title=f"frame detection on {gold.name} ({result.n_passages} passages)")
    for column in ("frame", "precision", "recall", "F1", "support", "polarity acc.", "polarity n"):
        table.add_column(column, justify="right" if column != "frame" else "left")
    for frame, s in result.as_dict()["frames"].items():
        table.add_row(frame, f"{s['precision']:.3f}", f"{s['recall']:.3f}", f"{s['f1']:.3f}", str(s["support"]),
                      f"{s['polarity_accuracy']:.3f}", str(s["polarity_n"]))
    console.print(table)
    if show_misses:
        for line in result.misses:
            console.print(line, markup=False, highlight=False, soft_wrap=True)
    if json_out:
        # Frame detection is the lexicon's and the spaCy pipeline's work; the stance model plays no part.
        versions = {"lexicon_version": configured_lexicon(config).version, "spacy_pipeline": pipeline_identity(config.model)}
        settings = {"misses": show_misses, "nlp": config.model_dump(mode="json")}
        _write_json(json_out, {**result.as_dict(),
                               "provenance": _provenance("eval-frames", gold, labelled.sha256, versions, settings)})


def _span(interval: tuple[float, float] | list[float], signed: bool = False) -> str:
    low, high = interval
    return f"{low:+.3f} to {high:+.3f}" if signed else f"{low:.3f} to {high:.3f}"


def eval_stance(
    gold: Path = typer.Argument(..., help="Codebook-labelled JSONL ({text, stance, ...})."),
    show_errors: bool = typer.Option(False, "--errors", help="List misclassified passages."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures, with their provenance, as JSON."),
) -> None:
    """Stance macro-F1 of the model and of a plain keyword count, measured in the same run."""
    from nlp.evaluate import GoldError, evaluate_stance, read_gold
    from nlp.pipeline import NlpConfig, pipeline_identity

    if json_out:
        _check_output_path(json_out)
    config = NlpConfig()
    try:
        labelled = read_gold(gold, "stance")
    except (GoldError, OSError) as exc:
        fail(_gold_error(gold, exc))
    analyser = _load_analyser(config)
    report = evaluate_stance(analyser, labelled.records)
    table = Table(title=f"stance on {gold.name} ({report['n']} passages, {report['n_hard']} hard)",
                  caption="macro-F1 over regie, netwerk, zelfstandig, geen; per-class columns are F1")
    for column in ("method", "macro-F1", "accuracy", "hard", "regie", "netwerk", "zelfst.", "geen"):
        table.add_column(column, justify="right" if column != "method" else "left", no_wrap=True)
    for name, key in (("regiescan", "model"), ("keywords", "keyword_count")):
        m, h = report[key], report[f"{key}_hard"]
        table.add_row(name, f"{m['macro_f1']:.3f}", f"{m['accuracy']:.3f}", f"{h['macro_f1']:.3f}" if h else "-",
                      *(f"{m['per_class'][c]['f1']:.3f}" for c in ("regie", "netwerk", "zelfstandig", "geen")))
    console.print(table)
    gain = report["model"]["macro_f1"] - report["keyword_count"]["macro_f1"]
    ci = report["intervals"]
    console.print(f"model - keyword count: {gain:+.3f} macro-F1")
    # The figures' uncertainty over which passages were labelled (not over the labels themselves).
    hard_ci = f", hard cases {_span(ci['model_hard_macro_f1'])}" if ci["model_hard_macro_f1"] else ""
    console.print(f"95% bootstrap intervals over the passages ({ci['draws']:,} draws):\n"
                  f"  regiescan macro-F1 {_span(ci['model_macro_f1'])}{hard_ci}\n"
                  f"  model - keyword count {_span(ci['model_minus_keyword_count'], signed=True)}")
    if show_errors:
        for e in report["errors"]:
            console.print(f"{e['id']} gold={e['gold']} predicted={e['predicted']}: {e['text'][:200]}", markup=False, soft_wrap=True)
    if json_out:
        model = analyser.model
        assert model is not None  # _load_analyser loads one
        # Same shape as run.json's: the lexicon in use and the model with the lexicon it was trained for.
        versions = {"lexicon_version": analyser.lexicon_version, "spacy_pipeline": pipeline_identity(config.model),
                    "model": {"version": model.version, "lexicon_version": model.lexicon_version}}
        settings = {"errors": show_errors, "nlp": config.model_dump(mode="json")}
        figures = {k: v for k, v in report.items() if k != "errors"}
        _write_json(json_out, {**figures, "provenance": _provenance("eval-stance", gold, labelled.sha256, versions, settings)})


def _gold_error(gold: Path, exc: Exception) -> str:
    if isinstance(exc, OSError):
        return f"cannot read {gold}: {exc.strerror}"
    return str(exc)


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(classify)
    app.command("eval-frames")(eval_frames)
    app.command("eval-stance")(eval_stance)
