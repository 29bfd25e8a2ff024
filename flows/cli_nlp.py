"""CLI commands around the language model: train, classify, eval-frames, eval-stance."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import IO, Any, Iterator, Optional

import typer
from rich.console import Console
from rich.table import Table

from nlp.jsonl import jsonl_lines

console = Console()
err_console = Console(stderr=True)


def _fail(message: str, code: int = 2) -> None:
    err_console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def train() -> None:
    """Train the stance classifier on corpora/annotations/ and write nlp/model/ with its model card."""
    from nlp.annotations import AnnotationError
    from nlp.training import train_from_annotations

    try:
        model = train_from_annotations()
    except AnnotationError as exc:
        _fail(str(exc))
    cv = model.card["cross_validation"]
    console.print(f"trained model {model.version} on {model.card['training_data']['n_examples']} passages "
                  f"(lexicon {model.lexicon_version})")
    console.print(f"{cv['folds']}-fold cross-validated macro-F1 {cv['macro_f1']:.3f}, accuracy {cv['accuracy']:.3f}")
    console.print("model card: nlp/model/model_card.md")


def _read_jsonl(handle: IO[str], skip_invalid: bool) -> Iterator[dict[str, Any]]:
    for line in jsonl_lines(handle):
        record = line.value
        problem = line.error
        if problem is None and (not isinstance(record, dict) or "id" not in record or not isinstance(record.get("text"), str)):
            problem = 'expected an object with "id" and a string "text"'
        if problem is None:
            yield record
            continue
        message = f"line {line.number}: {problem}"
        if not skip_invalid:
            _fail(f"malformed input {message} (use --skip-invalid to skip such lines)")
        err_console.print(f"[yellow]skipped[/] {message}")


def classify(
    input: str = typer.Argument(..., help='JSONL file of {"id", "text", ...} lines; "-" reads stdin.'),
    output: str = typer.Option("-", "-o", "--output", help='Where to write JSONL results; "-" is stdout.'),
    skip_invalid: bool = typer.Option(False, "--skip-invalid", help="Skip malformed lines instead of failing."),
    batch_size: int = typer.Option(256, help="Texts classified per batch."),
) -> None:
    """Classify the stance of each text: one output line per input line, in the same order.

    Output lines: {"id", "stance", "probabilities", "frames", "evidence"} (see README).
    """
    from nlp.analyser import long_lived_analyser
    from nlp.model_card import ModelError
    from nlp.stance import evidence_records

    try:
        analyser = long_lived_analyser()
    except ModelError as exc:
        _fail(str(exc))
    source = sys.stdin if input == "-" else _open_input(input)
    target = sys.stdout if output == "-" else open(output, "w", encoding="utf-8")
    try:
        batch: list[dict[str, Any]] = []

        def flush() -> None:
            for record, result in zip(batch, analyser.classify([r["text"] for r in batch])):
                line = {"id": record["id"], "stance": result.stance, "probabilities": result.probabilities,
                        "frames": result.frames, "evidence": evidence_records(result)}
                target.write(json.dumps(line, ensure_ascii=False) + "\n")
            batch.clear()

        for record in _read_jsonl(source, skip_invalid):
            batch.append(record)
            if len(batch) >= batch_size:
                flush()
        flush()
    finally:
        if target is not sys.stdout:
            target.close()


def _open_input(path: str) -> IO[str]:
    try:
        return open(path, encoding="utf-8")
    except OSError as exc:
        _fail(f"cannot read {path}: {exc.strerror}")
        raise


def eval_frames(
    gold: Path = typer.Argument(..., help="Codebook-labelled JSONL ({text, frames, ...})."),
    show_misses: bool = typer.Option(True, "--misses/--no-misses", help="List misses as keyword-in-context lines."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures as JSON."),
) -> None:
    """Per-frame mention precision/recall and polarity accuracy against labelled passages."""
    from nlp.evaluate import GoldError, evaluate_frames, read_gold
    from nlp.pipeline import build_pipeline

    try:
        records = read_gold(gold)
    except (GoldError, OSError) as exc:
        _fail(str(exc))
    result = evaluate_frames(build_pipeline(), records)
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
        json_out.write_text(json.dumps(result.as_dict(), indent=2), encoding="utf-8")


def eval_stance(
    gold: Path = typer.Argument(..., help="Codebook-labelled JSONL ({text, stance, ...})."),
    show_errors: bool = typer.Option(False, "--errors", help="List misclassified passages."),
    json_out: Optional[Path] = typer.Option(None, "--json", help="Also write the figures as JSON."),
) -> None:
    """Stance macro-F1 of the model and of a plain keyword count, measured in the same run."""
    from nlp.analyser import long_lived_analyser
    from nlp.model_card import ModelError
    from nlp.evaluate import GoldError, evaluate_stance, read_gold

    try:
        records = read_gold(gold)
        analyser = long_lived_analyser()
    except (GoldError, OSError, ModelError) as exc:
        _fail(str(exc))
    report = evaluate_stance(analyser, records)
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
    console.print(f"model - keyword count: {gain:+.3f} macro-F1")
    if show_errors:
        for e in report["errors"]:
            console.print(f"{e['id']} gold={e['gold']} predicted={e['predicted']}: {e['text'][:200]}", markup=False, soft_wrap=True)
    if json_out:
        json_out.write_text(json.dumps({k: v for k, v in report.items() if k != "errors"}, indent=2), encoding="utf-8")


def register(app: typer.Typer) -> None:
    app.command()(train)
    app.command()(classify)
    app.command("eval-frames")(eval_frames)
    app.command("eval-stance")(eval_stance)
