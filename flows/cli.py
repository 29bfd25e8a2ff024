"""The `regiescan` command line."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any, Optional

import typer
from rich.table import Table

from flows import cli_nlp
from flows.cli_ingest import ingest_app
from flows.config import ConfigError, RunConfig, load_config
from flows.console import console, fail
from flows.report.cli import report as report_command
from flows.serve import serve

app = typer.Typer(
    help="regiescan: measure how Dutch municipalities talk about collaboration "
    "(regie, netwerk, zelfstandig) in their council documents.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def main() -> None:
    """regiescan: measure how Dutch municipalities talk about collaboration."""


@app.command()
def run(
    corpus: Optional[Path] = typer.Option(None, help="Folder of council documents (default: the bundled corpora/sample)."),
    out: Optional[Path] = typer.Option(None, help="Where run folders are written (default: outputs/)."),
    config: Optional[Path] = typer.Option(None, "--config", help="YAML file with settings (see README)."),
    source: Optional[str] = typer.Option(None, help="Where documents come from: folder (default) or ori."),
    municipality: list[str] = typer.Option([], "--municipality", "-m", help="With --source ori: a municipality (repeatable)."),
    since: Optional[dt.datetime] = typer.Option(None, formats=["%Y-%m-%d"], help="With --source ori: documents from this date."),
    until: Optional[dt.datetime] = typer.Option(None, formats=["%Y-%m-%d"], help="With --source ori: documents up to this date."),
    query: Optional[str] = typer.Option(None, help="With --source ori: only documents matching this search."),
    offline: bool = typer.Option(False, "--offline", help="With --source ori: replay the cached responses, no network."),
    task_runner: Optional[str] = typer.Option(None, "--task-runner", help="threads (default) or dask."),
    dask_address: Optional[str] = typer.Option(None, "--dask-address", help="Join an existing Dask cluster: tcp://host:port."),
    workers: Optional[int] = typer.Option(None, "--workers", help="Workers of the local Dask cluster (default 2)."),
    report_lang: Optional[str] = typer.Option(None, "--report-lang", help="Report language: nl (default) or en."),
    rebuild: bool = typer.Option(False, "--rebuild", help="Redo every step even when nothing changed since outputs/latest (the analysis cache still spares the NLP work)."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Show Prefect's INFO logs."),
) -> None:
    """Run the whole pipeline (ingest, analyse, classify, aggregate, report) and write outputs/<run-id>/."""
    # Prefect reads its log level at import time; INFO lines would bury the progress bar.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "INFO" if verbose else "WARNING")
    ori = {"municipalities": municipality or None, "since": since and since.date(), "until": until and until.date(),
           "query": query, "offline": offline or None}
    try:
        settings = load_config(config, {
            "corpus": corpus, "out": out, "source": source, "ori": ori, "task_runner": task_runner,
            "dask_address": dask_address, "dask_workers": workers, "report_lang": report_lang,
            "rebuild": rebuild or None,
        })
    except ConfigError as exc:
        fail(str(exc))
    check_source(settings)
    from flows.prefect_runtime import launch_server_if_needed, prefect_api

    server = launch_server_if_needed()  # it starts up while the rest below is imported
    try:
        check_setup(settings)
        from flows.pipeline import regiescan_flow
        from flows.runners import make_task_runner
        from flows.sources.ori import OriError
        from nlp.model_card import ModelError

        try:
            with prefect_api(server):
                record = regiescan_flow.with_options(task_runner=make_task_runner(settings))(settings)
        except ModelError as exc:
            fail(str(exc))
        except OriError as exc:
            fail(str(exc), 1)
    finally:
        if server is not None:
            server.stop()
    print_summary(record)


def check_source(settings: RunConfig) -> None:
    """Fail before Prefect starts when the source cannot work."""
    if settings.source == "ori":
        from flows.sources.ori_catalog import NoOriSource, default_catalog

        if not settings.ori.municipalities:
            fail("--source ori needs at least one --municipality")
        try:
            default_catalog().lookup_all(settings.ori.municipalities)
        except NoOriSource as exc:
            fail(str(exc))
        if settings.ori.offline:
            from flows.sources.ori import OriCacheMiss
            from flows.sources.ori_source import OriSource
            from flows.steps import make_source

            source = make_source(settings)
            try:
                if isinstance(source, OriSource):
                    source.check_offline()
            except OriCacheMiss as exc:
                fail(str(exc))
    elif not settings.corpus.is_dir():
        fail(f"corpus folder does not exist: {settings.corpus}")
    elif not any(path.is_file() for path in settings.corpus.rglob("*")):  # stops at the first file
        fail(f"corpus folder {settings.corpus} holds no files; pass the folder with the documents with --corpus")


def check_setup(settings: RunConfig) -> None:
    """Fail before Prefect starts when the lexicon, model or output folder cannot work."""
    from nlp.model_card import ModelError, read_model_card
    from nlp.lexicon import LexiconError
    from nlp.pipeline import configured_lexicon, is_model_folder

    try:
        lexicon = configured_lexicon(settings.nlp)
    except (LexiconError, OSError, UnicodeDecodeError) as exc:
        fail(f"the lexicon cannot be used: {exc} (check nlp.lexicon_path, nlp.rules_path, nlp.cues_path)")
    try:
        read_model_card(expected_lexicon=lexicon.version)
    except ModelError as exc:
        fail(str(exc))
    if settings.nlp.model != "blank":
        import spacy.util

        if Path(settings.nlp.model).is_dir() and not is_model_folder(settings.nlp.model):
            fail(f"nlp.model: {settings.nlp.model} is a folder but not a saved spaCy pipeline (it has no config.cfg)")
        if not spacy.util.is_package(settings.nlp.model) and not is_model_folder(settings.nlp.model):
            fail(f"spaCy model {settings.nlp.model!r} is not installed; install it "
                 f"(e.g. pip install {settings.nlp.model}) or set nlp.model: blank")
    out = settings.out
    if out.exists() and not out.is_dir():
        fail(f"output folder {out} is a file; pass a folder with --out (or out: in the config)")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        fail(f"cannot create the output folder {out} ({exc.strerror}); pass a writable folder with --out")
    if not os.access(out, os.W_OK | os.X_OK):
        fail(f"output folder {out} is not writable; pass a writable folder with --out")


def print_summary(record: dict[str, Any]) -> None:
    if "outputs_of" in record:
        console.print(f"regiescan run {record['run_id']}: nothing changed since run {record['outputs_of']} (same documents, "
                      "configuration, lexicon, model and code), so its outputs stand; outputs/latest still points at it.",
                      markup=False)
        console.print(f"Outputs: {record['output_dir']}  (this run's record: {record['run_dir']}/run.json; "
                      "--rebuild redoes the run)", markup=False)
        return
    counts = record["counts"]
    table = Table(title=f"regiescan run {record['run_id']}", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("documents found (inputs)", str(counts["inputs"]))
    table.add_row("analysed", str(counts["analysed"]))
    table.add_row("rejected", str(counts["rejected"]))
    for reason, n in record["rejected_by_reason"].items():
        table.add_row(f"  {reason}", str(n))
    table.add_row("duplicates", str(counts["duplicates"]))
    balanced = counts["inputs"] == counts["analysed"] + counts["rejected"] + counts["duplicates"]
    table.add_row("inputs = analysed + rejected + duplicates", "[green]yes[/]" if balanced else "[red]NO[/]")
    console.print(table)
    cache = record["analysis_cache"]
    console.print(f"Analysed now: {cache['documents_analysed_now']}, from cache: {cache['documents_from_cache']}")
    console.print(f"Outputs: {record['output_dir']}", markup=False)
    if "report" in record["steps_done"]:
        console.print(f"Report: {record['output_dir']}/report/index.html", markup=False)


app.command()(serve)
cli_nlp.register(app)
app.add_typer(ingest_app, name="ingest")
app.command("report")(report_command)

if __name__ == "__main__":
    app()
