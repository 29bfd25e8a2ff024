"""The stance report researchers read: a static HTML site per run, exports for R, Stata
and Excel, and Prefect artifacts.

    build_report(run_dir, lang="nl") -> run_dir/report/   (flows.report.build)
    publish_artifacts(run_dir)                             (flows.report.artifacts)
    `regiescan report [RUN_DIR] [--report-lang en]`        (flows.report.cli.report)
"""

from __future__ import annotations

from pathlib import Path

from flows.report.data import ReportInputError
from flows.report.labels import ReportLanguageError

__all__ = ["ReportInputError", "ReportLanguageError", "build_report", "publish_artifacts"]


def build_report(run_dir: Path, lang: str = "nl") -> Path:
    from flows.report.build import build_report as build

    return build(run_dir, lang)


def publish_artifacts(run_dir: Path) -> None:
    from flows.report.artifacts import publish_artifacts as publish

    publish(run_dir)
