"""What every command prints through: one stderr console (one line per message, so its
output greps), the error line, the progress display and the tables.

Nothing is read as rich markup: file names, references and passage texts are data, and
rich would take "[draft] strategy.pdf" as a style tag and print " strategy.pdf" (or fail
on "[/…]"). The few coloured words are styled by `flag`."""

from __future__ import annotations

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Column, Table
from rich.text import Text

from .errors import DdlensError

console = Console(stderr=True, soft_wrap=True, markup=False)


def flag(word: str, colour: str, message: object) -> None:
    """`word message` on one line, the word in colour (error, missing, warning…)."""
    console.print(Text.assemble((word, colour), " ", str(message)))


def fail(exc: DdlensError | ValueError) -> None:
    """Print `error path: reason` (a DdlensError) or `error message` (a bad option value)
    and end the command with exit status 1."""
    flag("error", "red", exc)
    raise typer.Exit(code=1)


def count(n: int, noun: str) -> str:
    """"1 passage", "3 passages"."""
    return f"{n} {noun}" + ("" if n == 1 else "s")


def print_table(table: Table) -> None:
    """A table on stdout, its cells printed as they are."""
    Console(markup=False).print(table)


def element_column() -> Column:
    """The element names whole: cut to `territoriali…` in a narrow terminal, two read alike."""
    from .scheme import load_scheme

    return Column("element", no_wrap=True, min_width=max(len(e) for e in load_scheme().elements))


def progress() -> Progress:
    return Progress(
        TextColumn("{task.description}", markup=False), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[current]}", markup=False), console=console, transient=False,
    )
