"""A rich progress bar for long loops, usable from inside Prefect tasks."""

from __future__ import annotations

from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

console = Console(stderr=True)


@contextmanager
def progress_bar(label: str, total: int) -> Iterator[Callable[[str], None]]:
    """Yield `advance(item_name)`; the bar disappears from non-terminal output."""
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeRemainingColumn(),
        TextColumn("{task.fields[item]}", style="dim"),
        console=console,
        transient=not console.is_terminal,
    ) as progress:
        task_id = progress.add_task(label, total=total, item="")

        def advance(item: str) -> None:
            progress.update(task_id, advance=1, item=item[-50:])

        yield advance
