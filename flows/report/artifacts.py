"""Prefect artifacts of a run, so the Prefect UI shows the latest results.

Three artifacts with stable keys (each run adds a new version under the same key):
    regiescan-summary  Markdown: counts, rejections by reason, categories, municipalities
    regiescan-stance   table: one row per municipality (category, position, interval, ...)
    regiescan-report   link: file:// URL of the run's report/index.html

Call publish_artifacts inside a flow (or task) run. It may be given the partial run folder
(outputs/.partial-<run-id>/) before the run is published: links then point at the final
folder outputs/<run-id>/, where the report will be once the run is committed.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from flows.outputs import PARTIAL_PREFIX
from flows.report.data import RunTables, clean, load_run
from flows.report.labels import DEFAULT_LANG, Labels

SUMMARY_KEY = "regiescan-summary"
STANCE_KEY = "regiescan-stance"
REPORT_KEY = "regiescan-report"
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]<>()#+!|~])")


def final_run_dir(run_dir: Path) -> Path:
    """Where the run folder ends up: outputs/.partial-<id> -> outputs/<id> (symlinks resolved)."""
    run_dir = Path(run_dir).resolve()
    if run_dir.name.startswith(PARTIAL_PREFIX):
        return run_dir.with_name(run_dir.name[len(PARTIAL_PREFIX):])
    return run_dir


def md(value: Any) -> str:
    """Text safe inside Markdown (and its table cells): special characters escaped."""
    return _MD_SPECIAL.sub(r"\\\1", str(value)).replace("\n", " ")


def _number(value: Any, digits: int = 3) -> float | None:
    value = clean(value)
    if value is None:
        return None
    number = float(value)
    return None if math.isnan(number) else round(number, digits)


def _report_lang(run_dir: Path) -> str:
    try:
        lang = json.loads((run_dir / "report" / "report.json").read_text(encoding="utf-8")).get("lang")
    except (OSError, ValueError, AttributeError):
        return DEFAULT_LANG
    return lang if lang in ("nl", "en") else DEFAULT_LANG


def stance_table(tables: RunTables) -> list[dict[str, Any]]:
    """The table artifact: plain JSON values, stable English column keys."""
    rows = []
    frame = tables.municipalities.sort_values(["municipality"]) if len(tables.municipalities) else tables.municipalities
    for r in frame.to_dict("records"):
        rows.append({
            "municipality": str(r["municipality"]),
            "gm_code": str(r["gm_code"]),
            "category": str(r["category"]),
            "position": _number(r.get("position")),
            "position_low": _number(r.get("position_low")),
            "position_high": _number(r.get("position_high")),
            "n_documents": int(r["n_documents"]),
            "n_evidence_sentences": int(r["n_evidence_sentences"]),
            "trend": str(r.get("trend") or "onbekend"),
        })
    return rows


def summary_markdown(tables: RunTables, labels: Labels, report_index: Path | None) -> str:
    t = labels
    run = tables.run
    counts = run.get("counts") or {}
    lines = [f"# regiescan run {md(tables.run_id)}", ""]
    lines += [f"| {md(t('run_counts'))} | |", "|---|---:|"]
    for key, label in (("inputs", "count_inputs"), ("analysed", "count_analysed"), ("rejected", "count_rejected"),
                       ("duplicates", "count_duplicates")):
        lines.append(f"| {md(t(label))} | {int(counts.get(key) or 0)} |")
    for code, n in sorted((run.get("rejected_by_reason") or {}).items()):
        lines.append(f"| ↳ {md(code)} | {int(n)} |")
    lines.append("")
    table = stance_table(tables)
    if table:
        categories: dict[str, int] = {}
        for row in table:
            categories[row["category"]] = categories.get(row["category"], 0) + 1
        lines.append(f"**{md(t('categories_summary'))}:** " + ", ".join(
            f"{md(t.group('category', c))} {n}" for c, n in sorted(categories.items())))
        lines += ["", f"| {md(t('col_municipality'))} | {md(t('col_category'))} | {md(t('col_position'))} | "
                      f"{md(t('col_interval'))} | {md(t('col_documents'))} | {md(t('col_evidence'))} | {md(t('col_trend'))} |",
                  "|---|---|---:|---|---:|---:|---|"]
        for row in sorted(table, key=lambda r: (r["position"] is None, r["position"] or 0, r["municipality"])):
            lines.append(
                f"| {md(row['municipality'])} | {md(t.group('category', row['category']))} | "
                f"{md(t.num(row['position'], signed=True))} | {md(t.interval(row['position_low'], row['position_high']))} | "
                f"{row['n_documents']} | {row['n_evidence_sentences']} | {md(t.group('trend', row['trend']))} |")
    else:
        lines.append(md(t("no_municipalities")))
    if report_index is not None:
        lines += ["", f"{md(t('report_title'))}: `{str(report_index).replace('`', '')}`"]
    return "\n".join(lines) + "\n"


def publish_artifacts(run_dir: Path) -> None:
    """Create the summary, stance-table and report-link artifacts of the run in `run_dir`."""
    from prefect.artifacts import create_link_artifact, create_markdown_artifact, create_table_artifact
    from prefect.logging import get_run_logger

    run_dir = Path(run_dir)
    tables = load_run(run_dir, summary_only=True)
    labels = Labels(_report_lang(run_dir))
    final = final_run_dir(run_dir)
    built = (run_dir / "report" / "index.html").is_file()
    report_index = final / "report" / "index.html" if built else None
    description = f"regiescan run {tables.run_id}"
    create_markdown_artifact(markdown=summary_markdown(tables, labels, report_index), key=SUMMARY_KEY,
                             description=description)
    create_table_artifact(table=stance_table(tables), key=STANCE_KEY,
                          description=f"{description}: {labels('table_municipality_stance')}")
    if report_index is not None:
        # Prefect renders a link artifact as Markdown [text](link): escape the text, and
        # percent-encode the parentheses a path may contain so the link stays one link.
        link = report_index.as_uri().replace("(", "%28").replace(")", "%29")
        create_link_artifact(link=link, link_text=md(f"{labels('report_title')} {tables.run_id}"),
                             key=REPORT_KEY, description=description)
    else:
        get_run_logger().warning("no report in %s: the report link artifact was not created", run_dir)
