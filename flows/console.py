"""The command line's consoles and its one way to stop with an error."""

from __future__ import annotations

from typing import NoReturn

import typer
from rich.console import Console
from rich.markup import escape

console = Console()
# soft_wrap: a long error message is wrapped by the terminal, not broken into lines by rich
# at 80 columns when stderr is a file or a pipe (a log then has the message on one line).
err_console = Console(stderr=True, soft_wrap=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `message` as an error and exit with `code`. The message is plain text: a file
    name with [brackets] in it is printed as it is, not read as rich markup (which raised
    MarkupError for "[/]")."""
    err_console.print(f"[bold red]error:[/] {escape(message)}", highlight=False)
    raise typer.Exit(code)
