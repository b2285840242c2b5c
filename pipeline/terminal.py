"""What every command prints through: one stderr console (one line per message, so its
output greps), the error line, and the progress display."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from .errors import DdlensError

console = Console(stderr=True, soft_wrap=True)


def fail(exc: DdlensError | ValueError) -> None:
    """Print `error path: reason` (a DdlensError) or `error message` (a bad option value)
    and end the command with exit status 1."""
    console.print(f"[red]error[/red] {exc}")
    raise typer.Exit(code=1)


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"), console=console, transient=False,
    )
