"""The `ddlens` command line: each command parses options, calls one library function and
prints a summary. Errors are printed as `path: reason` and end with exit status 1."""

from __future__ import annotations

import logging
import os
import time
from dataclasses import replace
from pathlib import Path
from typing import Optional

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from . import __version__
from .config import Settings, default_mirror
from .corpus import corpus_paths, fetch_corpus, load_manifest
from .errors import DdlensError
from .pdf import BACKENDS
from .records import DocumentMeta

app = typer.Typer(help="ddlens: due diligence in national cybersecurity laws and strategies.", no_args_is_help=True)
corpus_app = typer.Typer(help="The default corpus: its manifest and files.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")
console = Console(stderr=True, soft_wrap=True)  # one line per message: greppable


def _fail(exc: DdlensError) -> None:
    console.print(f"[red]error[/red] {exc}")
    raise typer.Exit(code=1)


def _progress() -> Progress:
    return Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        TextColumn("{task.fields[current]}"), console=console, transient=False,
    )


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each file's warnings.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def version() -> None:
    """Print the ddlens version."""
    typer.echo(__version__)


@corpus_app.command("fetch")
def corpus_fetch(
    mirror: Optional[Path] = typer.Option(None, help="Folder holding the corpus files [default: $DDLENS_MIRROR, else ../shared/corpus]."),
    manifest: Path = typer.Option(Settings().manifest, help="Manifest listing the corpus."),
    dest: Path = typer.Option(Settings().corpus_files, help="Where the files go (git-ignored)."),
) -> None:
    """Copy the corpus files named in the manifest from a mirror, checking each sha256."""
    mirror = mirror or default_mirror()
    if mirror is None:
        console.print("[red]error[/red] no mirror: pass --mirror or set DDLENS_MIRROR")
        raise typer.Exit(code=1)
    try:
        report = fetch_corpus(load_manifest(manifest), mirror, dest)
    except DdlensError as exc:
        _fail(exc)
    console.print(
        f"corpus: {len(report.copied)} copied, {len(report.present)} already present, "
        f"{len(report.missing)} missing, {len(report.mismatched)} sha256 mismatch → {dest}"
    )
    for name in report.missing:
        console.print(f"[red]missing[/red] {mirror / name}: not in the mirror")
    for name in report.mismatched:
        console.print(f"[red]mismatch[/red] {mirror / name}: sha256 differs from the manifest")
    if not report.ok:
        raise typer.Exit(code=1)


@corpus_app.command("list")
def corpus_list(
    manifest: Path = typer.Option(Settings().manifest, help="Manifest listing the corpus."),
    files: Path = typer.Option(Settings().corpus_files, help="Folder of fetched files."),
) -> None:
    """Show the corpus documents and whether each file is here."""
    try:
        entries = load_manifest(manifest)
    except DdlensError as exc:
        _fail(exc)
    table = Table("doc_id", "jur.", "year", "kind", "lang", "format", "here")
    for e in entries:
        here = "yes" if (files / e.filename).is_file() else "no"
        table.add_row(e.doc_id, e.jurisdiction, str(e.year or ""), e.kind, e.language, e.format, here)
    Console().print(table)
    present = sum((files / e.filename).is_file() for e in entries)
    console.print(f"{len(entries)} documents, {present} fetched, {len({e.jurisdiction for e in entries})} jurisdictions")


@app.command()
def ingest(
    paths: Optional[list[Path]] = typer.Argument(None, help="Files or folders [default: the fetched corpus]."),
    out: Path = typer.Option(Settings().default_run, "--out", "-o", help="Run folder to write."),
    backend: str = typer.Option("pdfium", help=f"PDF backend: {', '.join(BACKENDS)}."),
    jurisdiction: Optional[str] = typer.Option(None, help="Metadata for files not in the manifest."),
    kind: Optional[str] = typer.Option(None, help="Document kind (law, directive, strategy, …) for files not in the manifest."),
    year: Optional[int] = typer.Option(None, help="Year for files not in the manifest."),
    title: Optional[str] = typer.Option(None, help="Title for files not in the manifest."),
    strict: bool = typer.Option(False, help="Exit 1 when any file fails (default: only when all fail)."),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes [default: one per CPU core, at most 4]."),
) -> None:
    """Read PDFs, text and HTML into clean, structured passages.

    Writes RUN/documents.jsonl, RUN/passages.parquet, RUN/errors.jsonl and RUN/run.json.
    """
    from .io import environment_versions, write_run
    from .runner import expand_inputs, ingest_batch, run_info

    settings = replace(Settings(), pdf_backend=backend)
    if backend not in BACKENDS:
        console.print(f"[red]error[/red] unknown backend {backend!r}: choose from {', '.join(BACKENDS)}")
        raise typer.Exit(code=1)
    try:
        manifest = load_manifest(settings.manifest)
        files = expand_inputs(paths) if paths else corpus_paths(manifest, settings.corpus_files)
    except DdlensError as exc:
        _fail(exc)
    given = {k: v for k, v in {"jurisdiction": jurisdiction, "kind": kind, "year": year, "title": title}.items() if v is not None}
    options = DocumentMeta(doc_id="options", **given) if given else None
    started = time.perf_counter()
    with _progress() as progress:
        task = progress.add_task("ingest", total=len(files), current="")
        result = ingest_batch(
            files, manifest, settings, options,
            on_file=lambda p: progress.update(task, advance=1, current=p.name),
            jobs=jobs or min(4, os.cpu_count() or 1),
        )
    seconds = time.perf_counter() - started
    write_run(out, result.documents, result.passages, result.errors, run_info(result, settings, environment_versions(), seconds))
    for err in result.errors:
        console.print(f"[red]error[/red] {err.path}: {err.reason} ({err.stage})")
    unknown = [d.path for d in result.documents if d.meta_source == "unknown"]
    for path in unknown:
        console.print(f"[yellow]warning[/yellow] {path}: metadata unknown (not in the manifest, no sidecar, no options)")
    pages = sum(d.pages or 0 for d in result.documents)
    console.print(
        f"ingested {len(result.documents)}/{len(files)} files ({pages} PDF pages) into "
        f"{len(result.passages)} passages in {seconds:.1f}s; {len(result.errors)} failed → {out}"
    )
    if not result.documents or (strict and result.errors):
        raise typer.Exit(code=1)
