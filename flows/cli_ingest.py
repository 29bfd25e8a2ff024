"""`regiescan ingest ...`: fetch documents from outside sources (Open Raadsinformatie)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from enum import Enum
from pathlib import Path
from typing import Any, Optional

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn
from rich.table import Table

from flows.console import console, err_console, fail
from flows.outputs import atomic_write_json
from flows.sources.ori import DEFAULT_BASE_URL, OriError, OriPage
from flows.sources.ori_cache import format_timestamp
from flows.sources.ori_catalog import NoOriSource
from flows.sources.ori_export import CorpusWriter
from flows.sources.ori_source import DEFAULT_CACHE_DIR, OriSource, build_ori_source
from flows.sources.ori_successor import SUCCESSOR_BASE_URL
from flows.sources.rejection import Rejected

ingest_app = typer.Typer(
    help="Fetch council documents from outside sources into the raw cache and a corpus folder.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


class Api(str, Enum):
    classic = "classic"
    openbesluitvorming = "openbesluitvorming"


def _day(value: Optional[dt.datetime]) -> Optional[dt.date]:
    return None if value is None else value.date()


class _PageProgress:
    """One bar per source key; its total is known once the first page arrives."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.tasks: dict[str, TaskID] = {}

    def __call__(self, page: OriPage) -> None:
        if page.key not in self.tasks:
            self.tasks[page.key] = self.progress.add_task(page.key, total=page.total, pages="")
        self.progress.update(self.tasks[page.key], advance=len(page.hits),
                             pages=f"page {page.number}{' (cache)' if page.from_cache else ''}")


@ingest_app.callback()
def main() -> None:
    """Fetch council documents from outside sources."""


@ingest_app.command("ori")
def ori(
    municipality: list[str] = typer.Option(..., "--municipality", "-m",
                                           help="Municipality name (repeatable); merged and informal names work."),
    since: Optional[dt.datetime] = typer.Option(None, formats=["%Y-%m-%d"],
                                                help="First meeting date (YYYY-MM-DD); without it: after the stored watermark."),
    until: Optional[dt.datetime] = typer.Option(None, formats=["%Y-%m-%d"], help="Last meeting date, inclusive."),
    query: Optional[str] = typer.Option(None, help="Only matching documents (classic: ES simple_query_string; openbesluitvorming: words ANDed)."),
    api: Api = typer.Option(Api.classic, help="ORI Classic (Elasticsearch) or its successor OpenBesluitvorming."),
    base_url: Optional[str] = typer.Option(None, help=f"API root (default: {DEFAULT_BASE_URL} for classic, "
                                                      f"{SUCCESSOR_BASE_URL} for openbesluitvorming)."),
    out: Optional[Path] = typer.Option(None, help="Write the documents here as a corpus (.txt + manifest.jsonl per gemeente)."),
    offline: bool = typer.Option(False, "--offline", help="Replay the cached responses; no network."),
    max_attempts: int = typer.Option(5, min=1, help="Attempts per request (timeouts, 5xx and 429 are retried)."),
    timeout: float = typer.Option(30.0, min=0.1, help="Seconds to wait for a response."),
    cache_dir: Path = typer.Option(DEFAULT_CACHE_DIR, help="Raw response cache and watermarks."),
    page_size: int = typer.Option(100, min=1, max=1000, help="Documents per request."),
) -> None:
    """Fetch documents of municipalities from Open Raadsinformatie."""
    progress = Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[pages]}", style="dim"), console=err_console,
                        transient=not err_console.is_terminal)
    try:
        source = build_ori_source(
            municipality, _day(since), query, base_url, offline, until=_day(until), cache_dir=cache_dir,
            api=api.value, max_attempts=max_attempts, timeout=timeout, page_size=page_size,
            on_page=_PageProgress(progress),
        )
    except NoOriSource as exc:
        fail(str(exc), 2)
    writer = CorpusWriter(out) if out is not None else None
    rejected: list[dict[str, str]] = []
    try:
        with progress:
            for candidate in source.candidates():
                try:
                    document = candidate.load()
                except Rejected as rejection:
                    rejected.append({"ref": candidate.ref, "reason_code": rejection.code, "reason": rejection.reason})
                    continue
                if writer is not None:
                    writer.add(candidate, document)
    except OriError as exc:
        fail(f"{exc}\n(watermarks not moved; what was fetched is in {cache_dir})", 1)
    finally:
        if writer is not None:
            writer.close()  # documents written before a failure still get their manifest rows
    watermarks = {} if offline else source.commit_watermarks()
    if out is not None:
        atomic_write_json(out / ".ori_last_ingest.json", {
            "municipalities": municipality, "since": _day(since), "until": _day(until), "query": query,
            "api": api.value, "offline": offline, "keys": [e.key for e in source.entries],
            "stats": vars(source.stats), "rejected": rejected,
        })
    _print_summary(source, since is not None, rejected, writer, {k: format_timestamp(v.last_discussed_at)
                                                                  for k, v in watermarks.items()})


def _print_summary(source: OriSource, explicit_since: bool, rejected: list[dict[str, str]],
                   writer: CorpusWriter | None, watermarks: dict[str, Any]) -> None:
    stats, retry = source.stats, source.client.retry_log
    table = Table(title="ORI ingest", show_header=False, title_justify="left")
    table.add_column(style="bold")
    table.add_column(justify="right")
    table.add_row("sources", ", ".join(e.index_alias for e in source.entries))
    table.add_row("pages", f"{stats.pages} ({stats.pages_from_cache} from cache)")
    table.add_row("fetched", str(stats.fetched))
    table.add_row("delivered" if explicit_since else "new since watermark", str(stats.new))
    table.add_row("  already had at watermark", str(stats.skipped_at_watermark))
    table.add_row("rejected", str(len(rejected)))
    for reason, n in sorted(Counter(r["reason_code"] for r in rejected).items()):
        table.add_row(f"  {reason}", str(n))
    if writer is not None:
        table.add_row("written to corpus", str(writer.written))
    table.add_row("retries", f"{retry.retries} ({retry.waited_seconds:.1f} s waited)")
    for key, moment in watermarks.items():
        table.add_row(f"watermark {key}", moment)
    console.print(table)
