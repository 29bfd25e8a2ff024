"""`regiescan report [RUN_DIR]`: rebuild a run's report and exports from its tables."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from flows.config import RunConfig
from flows.console import console, fail
from flows.outputs import LATEST


def default_run_dir() -> Path:
    """outputs/latest under the default output folder of `regiescan run`."""
    return Path(RunConfig.model_fields["out"].default) / LATEST


def report(
    run_dir: Optional[Path] = typer.Argument(
        None, help="Run folder to build the report for (default: outputs/latest).", show_default=False),
    lang: str = typer.Option("nl", "--report-lang", help="Language of the report: nl (Dutch) or en (English)."),
) -> None:
    """Rebuild the HTML report and the CSV/Parquet exports of a run from its tables (no re-analysis).

    Writes RUN_DIR/report/: open report/index.html in a browser; exports and codebook are in report/data/.
    """
    from flows.report import ReportInputError, ReportLanguageError, build_report

    folder = run_dir if run_dir is not None else default_run_dir()
    try:
        target = build_report(folder, lang)
    except (ReportInputError, ReportLanguageError) as exc:
        fail(str(exc))
    console.print(f"Report: {target / 'index.html'}", markup=False, highlight=False)
    console.print(f"Data and codebook: {target / 'data'}", markup=False, highlight=False)
