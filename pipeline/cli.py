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
from rich.progress import Progress
from rich.table import Table
from rich.text import Text

from . import __version__
from .config import Settings, default_mirror
from .corpus import corpus_paths, fetch_corpus, kinds_by_doc, load_manifest
from .errors import DdlensError
from .pdf import BACKENDS
from .records import DocumentMeta
from .scheme import load_scheme
from .terminal import console, element_column
from .terminal import count as _count
from .terminal import fail as _fail
from .terminal import flag as _flag
from .terminal import print_table as _print_table
from .terminal import progress as _progress

app = typer.Typer(help="ddlens: due diligence in national cybersecurity laws and strategies.", no_args_is_help=True)
corpus_app = typer.Typer(help="The default corpus: its manifest and files.", no_args_is_help=True)
app.add_typer(corpus_app, name="corpus")


@app.callback()
def main(verbose: bool = typer.Option(False, "--verbose", "-v", help="Log each file's warnings.")) -> None:
    logging.basicConfig(level=logging.INFO if verbose else logging.ERROR, format="%(levelname)s %(name)s: %(message)s")


@app.command()
def version() -> None:
    """Print the ddlens version."""
    typer.echo(__version__)


@corpus_app.command("fetch")
def corpus_fetch(
    mirror: Optional[Path] = typer.Option(None, help="Folder holding the corpus files.", show_default="$DDLENS_MIRROR, else ../shared/corpus"),
    manifest: Path = typer.Option(Settings().manifest, help="Manifest listing the corpus."),
    dest: Path = typer.Option(Settings().corpus_files, help="Where the files go (git-ignored)."),
) -> None:
    """Copy the corpus files named in the manifest from a mirror, checking each sha256."""
    mirror = mirror or default_mirror()
    if mirror is None:
        _fail(ValueError("no mirror: pass --mirror or set DDLENS_MIRROR"))
    try:
        report = fetch_corpus(load_manifest(manifest), mirror, dest)
    except DdlensError as exc:
        _fail(exc)
    console.print(
        f"corpus: {len(report.copied)} copied, {len(report.present)} already present, "
        f"{len(report.missing)} missing, {len(report.mismatched)} sha256 mismatch → {dest}"
    )
    for name in report.missing:
        _flag("missing", "red", f"{mirror / name}: not in the mirror")
    for name in report.mismatched:
        _flag("mismatch", "red", f"{mirror / name}: sha256 differs from the manifest")
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
    _print_table(table)
    present = sum((files / e.filename).is_file() for e in entries)
    console.print(f"{len(entries)} documents, {present} fetched, {len({e.jurisdiction for e in entries})} jurisdictions")


_JURISDICTION_META = typer.Option(None, "--jurisdiction", help="Jurisdiction code (ISO 3166: ee, gb, us-ca; eu) for files not in the manifest.")
_KIND_META = typer.Option(None, "--kind", help="Document kind for files not in the manifest: law, act, directive, regulation, "
                          "decree, ordinance (binding); strategy, policy, guidance, standard.")
_YEAR_META = typer.Option(None, "--year", help="Year for files not in the manifest.")
_TITLE_META = typer.Option(None, "--title", help="Title for files not in the manifest.")
_STRICT = typer.Option(False, "--strict/--no-strict", help="Exit 1 when any file fails (default: only when all fail).")


def _meta_options(jurisdiction: Optional[str], kind: Optional[str], year: Optional[int], title: Optional[str]) -> Optional[DocumentMeta]:
    """The metadata options as one DocumentMeta (None when none is given); a kind the levels
    do not know, or a jurisdiction that is no code, is an error before anything is read."""
    from .corpus import check_jurisdiction
    from .ingest import check_kind

    try:
        kind = check_kind(kind) if kind is not None else None
    except ValueError as exc:
        _fail(ValueError(f"--kind: {exc}"))
    try:
        jurisdiction = check_jurisdiction(jurisdiction) if jurisdiction is not None else None
    except ValueError as exc:
        _fail(ValueError(f"--jurisdiction: {exc}"))
    given = {k: v for k, v in {"jurisdiction": jurisdiction, "kind": kind, "year": year, "title": title}.items() if v is not None}
    return DocumentMeta(doc_id="options", **given) if given else None


@app.command()
def ingest(
    paths: Optional[list[Path]] = typer.Argument(None, help="Files or folders.", show_default="the fetched corpus"),
    out: Path = typer.Option(Settings().default_run, "--out", "-o", help="Run folder to write."),
    backend: str = typer.Option("pdfium", help=f"PDF backend: {', '.join(BACKENDS)}."),
    jurisdiction: Optional[str] = _JURISDICTION_META, kind: Optional[str] = _KIND_META, year: Optional[int] = _YEAR_META,
    title: Optional[str] = _TITLE_META, strict: bool = _STRICT,
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes.", show_default="one per CPU core, at most 4"),
) -> None:
    """Read PDFs, text and HTML into clean, structured passages.

    Writes RUN/documents.jsonl, RUN/passages.parquet, RUN/errors.jsonl and RUN/run.json.
    """
    if backend not in BACKENDS:
        _fail(ValueError(f"unknown backend {backend!r}: choose from {', '.join(BACKENDS)}"))
    options = _meta_options(jurisdiction, kind, year, title)
    with _progress() as progress:
        result = _ingest(paths, out, replace(Settings(), pdf_backend=backend), options, jobs, progress)
    if not result.documents or (strict and result.errors):
        raise typer.Exit(code=1)


def _ingest(paths: Optional[list[Path]], out: Path, settings: Settings, options: Optional[DocumentMeta], jobs: int,
            progress: Progress):
    """Ingest into a run folder and report each failure; shared by `ingest` and `run`."""
    from .io import environment_versions, write_run
    from .runner import expand_inputs, ingest_batch, run_info

    try:
        manifest = load_manifest(settings.manifest)
        files, skipped = expand_inputs(paths) if paths else (corpus_paths(manifest, settings.corpus_files), [])
    except DdlensError as exc:
        _fail(exc)
    started = time.perf_counter()
    task = progress.add_task("ingest", total=len(files), current="")
    result = ingest_batch(
        files, manifest, settings, options,
        on_file=lambda p: progress.update(task, advance=1, current=p.name),
        jobs=_jobs(jobs),
    )
    seconds = time.perf_counter() - started
    stale = write_run(out, result.documents, result.passages, result.errors,
                      run_info(result, settings, environment_versions(), seconds, skipped))
    if stale:
        _flag("removed", "yellow", f"{', '.join(p.name for p in stale)} from {out}: made from its former passages "
              "(classify and build the matrix again)")
    for path in skipped:
        _flag("skipped", "yellow", f"{path}: not a PDF, text or HTML file ({path.suffix or 'no extension'})")
    for path, first in result.duplicates:
        _flag("skipped", "yellow", f"{path}: the same file as {first} (identical content), read once")
    if not files:
        _flag("error", "red", "nothing to read: no PDF, text or HTML file in the paths given "
              "(hidden files and folders, such as .DS_Store, are left out)")
    for err in result.errors:
        _flag("error", "red", f"{err.path}: {err.reason} ({err.stage})")
    if options is not None and options.model_dump(exclude_unset=True, exclude={"doc_id", "source"}):
        for doc in result.documents:
            if doc.meta_source in ("manifest", "sidecar"):
                _flag("note", "yellow", f"{doc.path}: --jurisdiction/--kind/--year/--title not applied: the "
                      f"{doc.meta_source} describes this file ({doc.jurisdiction}, {doc.kind}, {doc.year or 'n.d.'})")
    unknown = [d.path for d in result.documents if d.meta_source == "unknown"]
    for path in unknown:
        _flag("warning", "yellow", f"{path}: metadata unknown (not in the manifest, no sidecar, no options)")
    pages = sum(d.pages or 0 for d in result.documents)
    console.print(
        f"ingested {len(result.documents)}/{len(files)} files ({pages} PDF pages) into "
        f"{len(result.passages)} passages in {seconds:.1f}s; {len(result.errors)} failed"
        + (f", {len(skipped)} skipped (not PDF, text or HTML)" if skipped else "")
        + (f", {len(result.duplicates)} duplicate file(s) read once" if result.duplicates else "") + f" → {out}"
    )
    return result


def _models_dir() -> Path:
    return Settings().models


_RESUME = typer.Option(True, "--resume/--no-resume", help="With --cv: read back the folds an earlier, interrupted "
                       "cross-validation finished (same data, code and settings; kept under .cache/folds).")


@app.command()
def train(
    model: Optional[str] = typer.Option(None, "--model", "-m", help="rules, linear, encoder or hybrid.", show_default="all four"),
    annotations: Path = typer.Option(Settings().labels, help="Folder or file of annotations."),
    cv: int = typer.Option(5, help="Grouped folds for the card's metrics (0: skip)."),
    repeats: int = typer.Option(1, help="Deal the documents into folds this many times (shuffled after the first): the card gets each figure's spread."),
    resume: bool = _RESUME,
    out: Path = typer.Option(Settings().models, help="Where models/<name>/ go."),
) -> None:
    """Train models from annotations/ and write models/<name>/ with a model card.

    The shared seed set is never trained on. With --cv, the card carries grouped
    cross-validated metrics (no passage of a test document in training).
    """
    from .models import MODEL_NAMES
    from .train import read_card, train_model, training_records

    names = [model] if model else list(MODEL_NAMES)
    try:
        records = training_records(annotations, Settings().seed_annotations)
        for name in names:
            previous = read_card(out, name).get("metrics", {})
            with console.status(f"training {name} on {len(records)} passages (cv={cv})…"):
                metrics = _cross_validated(name, records, cv, repeats, resume) if cv else {}
                console.print(f"{name}: fitting on all {len(records)} passages")
                train_model(name, records, out / name, metrics)
            line = f"{name}: trained on {len(records)} passages → {out / name}"
            if metrics:
                line += f"; CV elements macro-F1 {metrics['elements_macro_f1']:.3f}, modality {metrics['modality']['macro_f1']:.3f}, bearer {metrics['bearer']['macro_f1']:.3f}"
                if previous:
                    line += f" (was {previous.get('elements_macro_f1', 0):.3f})"
            console.print(line)
    except DdlensError as exc:
        _fail(exc)


def _cross_validated(name: str, records: list, folds: int, repeats: int, resume: bool) -> dict:
    """Grouped CV of `name`, every finished fold kept so an interrupted run resumes."""
    from .evaluate import cross_validate
    from .fold_cache import FoldCache

    cache = FoldCache(Settings().fold_cache, read=resume)
    metrics = cross_validate(_announced(name, records, folds, repeats), records, folds, kinds=_kinds(),
                             repeats=repeats, cache=cache)
    if cache.hits:
        console.print(f"{name}: {cache.hits} of {cache.hits + cache.misses} folds read back from {cache.folder} "
                      "(inputs unchanged; --no-resume fits them again)")
    return metrics


def _announced(name: str, records: list, folds: int, repeats: int):
    """A factory of `name` models that prints a line as each fold's fit begins: the hybrid's
    cross-validation runs for an hour or more on two cores, and a log should show how far it got."""
    from .evaluate import fold_count
    from .models import make_model

    fits = fold_count(records, folds) * repeats
    started, begun = time.perf_counter(), 0

    def make():
        nonlocal begun
        begun += 1
        minutes = (time.perf_counter() - started) / 60
        console.print(f"{name}: fold {begun} of {fits} ({minutes:.0f} min so far)")
        return make_model(name)

    return make


def _kinds() -> dict[str, str]:
    return kinds_by_doc(load_manifest(Settings().manifest))


@app.command()
def evaluate(
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name.", show_default="the best saved one"),
    gold: Optional[Path] = typer.Option(None, help="Score a saved model on this gold file (e.g. the seed set)."),
    cv: int = typer.Option(0, help="Instead: grouped K-fold cross-validation on annotations/."),
    repeats: int = typer.Option(1, help="With --cv: deal the documents into folds this many times (shuffled after the first) and show each figure's spread."),
    annotations: Path = typer.Option(Settings().labels, help="Annotations for --cv."),
    resume: bool = _RESUME,
    models: Path = typer.Option(Settings().models, help="Folder of saved models and their cards."),
    as_json: bool = typer.Option(False, "--json", help="Print the metrics as JSON."),
) -> None:
    """Per-label precision, recall, F1 and support; elements macro/micro-F1; modality and
    bearer accuracy and macro-F1 — on a gold file, or by grouped cross-validation — and the
    change against the model card."""
    import json as json_

    from .annotations import load_annotations
    from .evaluate import score
    from .model_input import record_text
    from .train import best_model_name, headline, load_model, read_card, training_records

    name = model or best_model_name(models)
    try:
        if cv:
            records = training_records(annotations, Settings().seed_annotations)
            with console.status(f"cross-validating {name} ({cv} grouped folds × {repeats}, {len(records)} passages)…"):
                metrics = _cross_validated(name, records, cv, repeats, resume)
        else:
            gold_path = gold or Settings().seed_annotations
            unread: list[str] = []
            gold_records = [r for r in load_annotations(gold_path, unread) if not r.fragment]
            for problem in unread:
                _flag("not scored", "red", problem)
            if not gold_records:
                raise DdlensError(gold_path, "no readable labelled passage to score")
            fitted = load_model(name, models)
            predicted = fitted.predict_labels(fitted.predict_proba([record_text(r) for r in gold_records]))
            metrics = score(gold_records, predicted)
    except DdlensError as exc:
        _fail(exc)
    metrics["model"] = name
    card = read_card(models, name)
    # --cv: this cross-validation against the saved model's; otherwise the saved model's
    # card against the one it replaced (what the last `ddlens train` changed)
    now, before = ({**headline({"metrics": metrics}), "created": "now", "n_train": metrics["n"]}, headline(card)) if cv \
        else (headline(card), card.get("previous", {}))
    metrics["change"] = {"now": now, "before": before} if card and before else {}
    if as_json:
        typer.echo(json_.dumps(metrics, indent=2))
        return
    documents = metrics["by_document"]
    table = Table("label", "precision", "recall", "F1", "support", "document F1", "documents",
                  title=f"{name} ({'cv' if cv else 'gold'}, n={metrics['n']})")
    for label, m in metrics["per_label"].items():
        rare = " (rare)" if label in metrics["rare"] else ""
        d = documents["per_label"][label]
        table.add_row(label + rare, f"{m['precision']:.3f}", f"{m['recall']:.3f}", f"{m['f1']:.3f}", str(m["support"]),
                      f"{d['f1']:.3f}", str(d["documents"]))
    _print_table(table)
    macro = f"{metrics['elements_macro_f1']:.3f}" if metrics["macro_over"] else "n/a (no label has 5 positives)"
    typer.echo(f"elements macro-F1 {macro} (over {len(metrics['macro_over'])} labels with ≥5 positives), "
               f"micro-F1 {metrics['elements_micro_f1']:.3f}")
    typer.echo(f"modality accuracy {metrics['modality']['accuracy']:.3f}, macro-F1 {metrics['modality']['macro_f1']:.3f}; "
               f"bearer accuracy {metrics['bearer']['accuracy']:.3f}, macro-F1 {metrics['bearer']['macro_f1']:.3f}")
    if documents["macro_over"]:
        typer.echo(f"by document (is the element found in a document whose labelled passages hold it, as a coverage "
                   f"cell claims): macro-F1 {documents['macro_f1']:.3f} over {len(documents['macro_over'])} labels held "
                   f"by ≥5 of {documents['n_documents']} documents")
    if "spread" in metrics:
        spread = metrics["spread"]
        typer.echo(f"over {spread['repeats']} fold assignments (mean ± sd): " + ", ".join(
            f"{label} {spread[key]['mean']:.3f} ± {spread[key]['sd']:.3f}" for key, label in (
                ("elements_macro_f1", "elements macro-F1"), ("modality_macro_f1", "modality macro-F1"),
                ("bearer_macro_f1", "bearer macro-F1"))))
    if metrics["change"]:
        _print_change(now, before, "this cross-validation vs the model card" if cv else "model card vs the card it replaced")
    for group in ("by_kind", "by_jurisdiction"):
        if group in metrics:
            typer.echo(f"{group}: " + ", ".join(f"{k} {v['elements_macro_f1']:.2f} (n={v['n']})" for k, v in metrics[group].items()))
    if "by_lead_in" in metrics:
        typer.echo("by_lead_in (elements / modality / bearer macro-F1): " + ", ".join(
            f"{k} {v['elements_macro_f1']:.2f} / {v['modality_macro_f1']:.2f} / {v['bearer_macro_f1']:.2f} (n={v['n']})"
            for k, v in metrics["by_lead_in"].items()))


def _print_change(now: dict, before: dict, title: str) -> None:
    """Headline CV figures side by side, with the difference."""
    def fmt(value) -> str:
        return "–" if value is None else f"{value:.3f}"

    table = Table("", f"before ({before.get('created') or '?'}, n={before.get('n_train')})",
                  f"now ({now.get('created') or '?'}, n={now.get('n_train')})", "change", title=title)
    rows = [(k.replace("_", " "), before.get(k), now.get(k)) for k in
            ("elements_macro_f1", "elements_micro_f1", "modality_macro_f1", "bearer_macro_f1")]
    rows += [(f"  F1 {label}", before.get("per_label_f1", {}).get(label), f1) for label, f1 in now.get("per_label_f1", {}).items()]
    for label, old, new in rows:
        change = f"{new - old:+.3f}" if old is not None and new is not None else ""
        table.add_row(label, fmt(old), fmt(new), change)
    _print_table(table)


_EXPLAIN = typer.Option(True, "--explain/--no-explain",
                        help="Give each tagged element the terms, cues or title words behind it (`why`).")


@app.command()
def classify(
    source: Optional[Path] = typer.Argument(None, help="A run folder, or a JSON Lines file of {id, text, …}.", show_default="runs/default"),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name.", show_default="the best by cross-validation"),
    out: Optional[Path] = typer.Option(None, help="Output file.", show_default="RUN/predictions.parquet, or FILE.predictions.jsonl"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes.", show_default="one per CPU core, at most 4"),
    explain: bool = _EXPLAIN,
) -> None:
    """Tag passages with elements, modality and bearer (scores included)."""
    from .classify import classify_texts
    from .io import split_text_rows, write_jsonl
    from .train import best_model_name, load_model

    source = source or Settings().default_run
    name = model or best_model_name(_models_dir())
    if source.is_dir():
        with _progress() as progress:
            _classify_run(source, name, progress, out, jobs=jobs, explain=explain)
        return
    try:
        if not source.is_file():
            raise DdlensError(source, "no such run folder or file")
        numbered, problems = split_text_rows(source)
        rows = [row for _, row in numbered]
        for problem in problems:
            _flag("error", "red", f"{source}: {problem}")
        if not rows:
            raise DdlensError(source, "no line with an id and a text: nothing to classify")
        fitted = load_model(name, _models_dir())
    except DdlensError as exc:
        _fail(exc)
    _warn_repeated_ids(source, numbered)
    with _progress() as progress:
        task = progress.add_task(f"classify ({name})", total=len(rows), current="")
        predictions = classify_texts([str(r["id"]) for r in rows], [str(r["text"]) for r in rows], fitted, name,
                                     on_batch=lambda n: progress.update(task, advance=n), jobs=_jobs(jobs),
                                     headings=[r.get("heading") for r in rows], explain=explain)
    target = out or source.with_suffix(".predictions.jsonl")
    write_jsonl(target, ({"id": p.passage_id, **p.model_dump(exclude={"passage_id"})} for p in predictions))
    _report_tagged(predictions, name, target)
    if problems:
        console.print(f"{len(problems)} lines of {source} not classified (named above)")


def _warn_repeated_ids(source: Path, rows: list[tuple[int, dict]]) -> None:
    """Predictions are joined back by id: an id on two lines is classified twice, and said."""
    first: dict[str, int] = {}
    for line_no, row in rows:
        key = str(row["id"])
        if key in first:
            _flag("warning", "yellow", f"{source}: line {line_no}: id {key!r} also on line {first[key]}")
        first.setdefault(key, line_no)


def _classify_run(run: Path, name: str, progress: Progress, out: Optional[Path] = None,
                  passages: Optional[list] = None, jobs: int = 0, explain: bool = True) -> list:
    """Classify every passage of a run folder into RUN/predictions.parquet (`passages`: the
    run's passages when the caller already holds them, as `ddlens run` does)."""
    from .classify import classify_texts
    from .io import read_run_passages, write_predictions
    from .train import load_model

    try:
        if passages is None:
            passages = read_run_passages(run)
        fitted = load_model(name, _models_dir())
    except DdlensError as exc:
        _fail(exc)
    task = progress.add_task(f"classify ({name})", total=len(passages), current="")
    predictions = classify_texts([p.id for p in passages], [p.text for p in passages], fitted, name,
                                 on_batch=lambda n: progress.update(task, advance=n), jobs=_jobs(jobs),
                                 headings=[p.heading for p in passages], explain=explain)
    target = out or run / "predictions.parquet"
    write_predictions(target, predictions)
    _report_tagged(predictions, name, target)
    return predictions


def _jobs(asked: int) -> int:
    """Worker processes: as asked, else one per CPU core, at most 4."""
    return asked or min(4, os.cpu_count() or 1)


def _report_tagged(predictions: list, name: str, target: Path) -> None:
    tagged = sum(bool(p.elements) for p in predictions)
    console.print(f"classified {len(predictions)} passages with {name}: {tagged} carry at least one element → {target}")


_KIND = typer.Option(None, "--kind", help="Document kinds, comma-separated (law, directive, strategy, …, or binding / non-binding).")
_YEARS = typer.Option(None, "--years", help="Years of the documents: 2015-2024, or one year.")
_JURISDICTIONS = typer.Option(None, "--jurisdictions", help="Jurisdiction codes, comma-separated: ee,fi,eu.")
_MIN_SCORE = typer.Option(0.0, "--min-score", help="Count a passage only if its element score reaches this (0-1).")
_BEARER = typer.Option(None, "--bearer", help="Count only passages whose duty this bearer owes: state, operator, other, "
                       "none (comma-separated for several). `--kind binding --bearer operator`: what laws ask of operators.")


def _filters(kind: Optional[str], years: Optional[str], jurisdictions: Optional[str], min_score: float,
             bearer: Optional[str] = None):
    from .matrix import parse_filters

    try:
        return parse_filters(kind, years, jurisdictions, min_score, bearer)
    except ValueError as exc:
        _fail(exc)


def _filters_line(filters) -> str:
    """" · filters: …" for a title, or nothing when none is set: a filtered table must say so."""
    from .matrix import describe_filters

    described = describe_filters(filters)
    return f"\nfilters: {described}" if described else ""


def _load_run(run: Path):
    """The run, with its model's card (the elements it never tags read "not assessed")."""
    from .matrix import load_run
    from .train import read_card

    try:
        data = load_run(run)
    except DdlensError as exc:
        _fail(exc)
    return replace(data, card=read_card(_models_dir(), data.model))


@app.command()
def matrix(
    run: Path = typer.Argument(Settings().default_run, help="A classified run folder."),
    kind: Optional[str] = _KIND, years: Optional[str] = _YEARS, jurisdictions: Optional[str] = _JURISDICTIONS,
    min_score: float = _MIN_SCORE, bearer: Optional[str] = _BEARER,
    evidence: int = typer.Option(5, min=1, help="Evidence passages kept per cell."),
    out: Optional[Path] = typer.Option(None, help="Folder for the files.", show_default="the run folder"),
) -> None:
    """Coverage of jurisdiction × element, with the evidence behind every cell.

    Writes matrix.csv, matrix.json, matrix.xlsx, heatmap.png and report.html.
    """
    from .matrix_files import OUTPUTS

    filters = _filters(kind, years, jurisdictions, min_score, bearer)
    data = _load_run(run)
    with console.status("building the matrix…"):
        result = _write_matrix(data, filters, evidence, out)
    _print_levels(result, data)
    console.print(f"wrote {', '.join(OUTPUTS)} → {out or run}")


def _write_matrix(data, filters, evidence: int, out: Optional[Path]):
    from .matrix_files import write_matrix_files

    try:
        return write_matrix_files(data, filters, evidence, out)
    except DdlensError as exc:
        _fail(exc)


def _print_levels(result, run) -> None:
    """The matrix's levels in one line, then what to be careful of (`_print_cautions`) and
    the run's files that could not be read: they are in no cell."""
    from collections import Counter

    from .matrix import SHOWN_LEVELS, failed_files

    counts = Counter(c.level for c in result.cells)
    console.print(f"{len(result.groups)} jurisdictions × {len(result.elements)} elements from {len(result.documents)} documents "
                  f"({result.n_passages} passages): "
                  + ", ".join(f"{level} {counts[level]}" for level in SHOWN_LEVELS if counts[level] or level != SHOWN_LEVELS[0]))
    _print_cautions(run, result.documents)
    failed = failed_files(run.folder)
    if failed:
        _flag("caution", "yellow", f"{len(failed)} file(s) of this run could not be read and are in no cell: "
              + "; ".join(f"{Path(str(f['path'])).name} ({f.get('reason', '')})" for f in failed))


def _print_cautions(run, documents: list[dict]) -> None:
    """What a reader of a matrix, a comparison or a diff should know before trusting it, said
    on the terminal, since many never open the report: the elements the model never tags or
    finds poorly, documents of unknown jurisdiction pooled in one row, and documents in
    languages it learned little of."""
    from collections import Counter

    from .export import card_summary
    from .report import WEAK_F1, weak_elements

    untagged = run.untagged
    if untagged:
        _flag("caution", "yellow", f"never tagged by the {run.model} model (too few training examples), so their cells "
              f"read 'not assessed', not 'absent': {', '.join(sorted(untagged))}")
    weak = {e: f1 for e, f1 in weak_elements(card_summary(run.card)).items() if e not in untagged}
    if weak:
        _flag("caution", "yellow", f"cross-validated F1 under {WEAK_F1} (most of their cells are likely wrong): "
              + ", ".join(f"{e} {f1:.2f}" for e, f1 in weak.items()))
    unplaced = [d["doc_id"] for d in documents if d.get("jurisdiction") == "unknown"]
    if len(unplaced) > 1:
        _flag("caution", "yellow", f"{len(unplaced)} documents of unknown jurisdiction share the row `unknown` "
              f"({', '.join(unplaced[:5])}{', …' if len(unplaced) > 5 else ''}): give --jurisdiction or a sidecar NAME.meta.json")
    languages = Counter(d["language"] for d in documents if d.get("language") not in (None, "en", "unknown"))
    if languages:
        _flag("caution", "yellow", f"{sum(languages.values())} documents not in English ("
              + ", ".join(f"{lang} {n}" for lang, n in sorted(languages.items()))
              + "): the models learned from English passages mostly; read their cells with the evidence")


@app.command()
def compare(
    run: Path = typer.Argument(..., help="A classified run folder."),
    jurisdictions: list[str] = typer.Argument(..., help="Jurisdiction codes: ee fi eu … (or ee,fi,eu)."),
    kind: Optional[str] = _KIND, years: Optional[str] = _YEARS, min_score: float = _MIN_SCORE,
    bearer: Optional[str] = _BEARER,
    as_json: bool = typer.Option(False, "--json", help="Print the cells and their evidence as JSON."),
) -> None:
    """Jurisdictions side by side, element by element, with their best evidence."""
    import json as json_

    from .matrix import cited_title, split_codes
    from .matrix import compare as compare_

    filters = _filters(kind, years, None, min_score, bearer)
    data = _load_run(run)
    try:
        result = compare_(data, jurisdictions, filters)
    except DdlensError as exc:
        _fail(exc)
    left_out = [j for j in split_codes(jurisdictions) if j not in result.groups]
    if left_out:
        _flag("note", "yellow", f"no document of {', '.join(left_out)} under --kind/--years: left out")
    if as_json:
        typer.echo(json_.dumps(result.to_json(), ensure_ascii=False, indent=1))
        return
    table = Table(element_column(), *result.groups, show_lines=True,
                  title="coverage level (passages) · best evidence" + _filters_line(filters))
    for element in result.elements:
        row = []
        for group in result.groups:
            cell = result.cell(group, element)
            best = cell.evidence[0].reference if cell.evidence else ""
            row.append(Text.assemble((cell.level, "bold"), f" ({cell.n_passages})\n{best}"))
        table.add_row(element, *row)
    _print_table(table)
    for group in result.groups:  # what each column stands on: a strategy is no match for a directive
        docs = [d for d in result.documents if d["jurisdiction"] == group]
        console.print(f"{group}: " + "; ".join(f"{cited_title(d.get('title'), d['doc_id'])} ({d.get('year') or 'n.d.'}, {d['kind']})"
                                               for d in docs), markup=False, highlight=False)
    _print_cautions(data, [d for d in result.documents if d["jurisdiction"] in result.groups])


def _opening(text: str, chars: int) -> str:
    """A passage's first words, cut at a word, for a table cell."""
    return text if len(text) <= chars else text[:chars].rsplit(" ", 1)[0] + " …"


@app.command()
def evidence(
    run: Path = typer.Argument(..., help="A classified run folder."),
    group: str = typer.Argument(..., help="A jurisdiction code (ee) or a doc_id: a row of the matrix, or one document."),
    element: str = typer.Argument(..., help="An element: risk_assessment, information_exchange, …"),
    kind: Optional[str] = _KIND, years: Optional[str] = _YEARS, min_score: float = _MIN_SCORE,
    bearer: Optional[str] = _BEARER,
    limit: int = typer.Option(20, min=0, help="Passages shown in the table (0: all); --json and --csv give all."),
    as_json: bool = typer.Option(False, "--json", help="Print every passage as JSON."),
    csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write every passage to this CSV file."),
) -> None:
    """Every passage behind one cell, strongest first, with its citation, level, score and why."""
    from .export import write_evidence_csv
    from .matrix import cell_evidence

    filters = _filters(kind, years, None, min_score, bearer)
    data = _load_run(run)
    _one_output(as_json, csv_out)
    try:
        items = cell_evidence(data, group, element, filters)
    except (DdlensError, ValueError) as exc:
        _fail(exc)
    if _listed(items, as_json, csv_out, write_evidence_csv):
        return
    shown = items if limit == 0 else items[:limit]
    table = Table("#", "reference", "level", "score", "modality / bearer", "text", "why", show_lines=True,
                  title=f"{group} · {element}: {len(items)} passages" + _filters_line(filters))
    for rank, e in enumerate(shown, start=1):
        table.add_row(str(rank), e.reference, e.level, f"{e.score:.2f}", f"{e.modality} / {e.bearer}",
                      _opening(e.text, 300), ", ".join(e.why))
    _print_table(table)
    if len(shown) < len(items):
        console.print(f"… and {len(items) - len(shown)} more (--limit 0, --json or --csv give them all)")
    if element in data.untagged:
        _flag("caution", "yellow", f"the {data.model} model never tags {element}: no passage here means not assessed")


def _one_output(as_json: bool, csv_out: Optional[Path]) -> None:
    if as_json and csv_out is not None:
        _fail(ValueError("--json or --csv, not both"))


def _listed(items: list, as_json: bool, csv_out: Optional[Path], write_csv) -> bool:
    """Passages as JSON on stdout or written to `csv_out` (True), or neither (False: the
    command prints its table)."""
    import json as json_

    if as_json:
        typer.echo(json_.dumps([i.to_dict() for i in items], ensure_ascii=False, indent=1))
        return True
    if csv_out is None:
        return False
    try:
        write_csv(items, csv_out)
    except DdlensError as exc:
        _fail(exc)
    console.print(f"{_count(len(items), 'passage')} → {csv_out}")
    return True


@app.command()
def search(
    run: Path = typer.Argument(..., help="A run folder (classified or not)."),
    query: str = typer.Argument(..., help='Words that must all occur (whole words and their plural; notif* for any '
                                          'ending), "quoted phrases", OR between two terms, -term to leave out; '
                                          'with --regex, one regular expression.'),
    regex: bool = typer.Option(False, "--regex", help="Read the query as a Python regular expression (case aside)."),
    element: Optional[str] = typer.Option(None, "--element", "-e", help="Only passages the classifier tags with this "
                                          f"element: {', '.join(load_scheme().elements)}."),
    kind: Optional[str] = _KIND, years: Optional[str] = _YEARS, jurisdictions: Optional[str] = _JURISDICTIONS,
    limit: int = typer.Option(20, min=0, help="Passages shown in the table (0: all); --json and --csv give all."),
    as_json: bool = typer.Option(False, "--json", help="Print every passage found as JSON."),
    csv_out: Optional[Path] = typer.Option(None, "--csv", help="Write every passage found to this CSV file "
                                                               "(a text opening with = + - @ gets a leading ')."),
) -> None:
    """Every passage whose text or title holds the query, cited, with the classifier's reading."""
    from rich.table import Column

    from .export import write_hits_csv
    from .matrix import describe_filters, load_run
    from .search import parse_query
    from .search import search as search_

    _one_output(as_json, csv_out)
    filters = _filters(kind, years, jurisdictions, 0.0)
    try:
        hits = search_(load_run(run, scored=False), parse_query(query, regex), filters, element)
    except (DdlensError, ValueError) as exc:
        _fail(exc)
    if _listed(hits, as_json, csv_out, write_hits_csv):
        return
    described = [p for p in (describe_filters(filters), f"element {element}" if element else "") if p]
    scope = f"\nfilters: {'; '.join(described)}" if described else ""
    if not hits:
        console.print(f"no passage of {run} holds {query!r}" + scope.replace("\n", "; "))
        return
    found = (f"{_count(len(hits), 'passage')} in {_count(len({h.doc_id for h in hits}), 'document')} of "
             f"{_count(len({h.jurisdiction for h in hits}), 'jurisdiction')}")
    shown = hits if limit == 0 else hits[:limit]
    classified = bool(hits[0].modality)
    reading = (Column("elements", ratio=2, overflow="fold"), Column("modality\nbearer", no_wrap=True, min_width=8)) if classified else ()
    table = Table("#", Column("reference", ratio=2), Column("text", ratio=5), *reading, show_lines=True, expand=True,
                  title=f"{query}: {found}" + scope)
    for rank, h in enumerate(shown, start=1):
        text = Text.assemble(*((piece, "bold reverse") if match else piece for piece, match in h.snippet()))
        if h.in_heading:
            text = Text.assemble(("title: ", "italic"), text)
        cells = (", ".join(h.elements) or "–", f"{h.modality}\n{h.bearer}") if classified else ()
        table.add_row(str(rank), h.reference, text, *cells)
    _print_table(table)
    if len(shown) < len(hits):
        console.print(f"… and {len(hits) - len(shown)} more (--limit 0, --json or --csv give them all)")
    if not classified:
        console.print(f"{run} is not classified: `ddlens classify {run}` adds each passage's elements, modality and bearer")


@app.command()
def diff(
    run: Path = typer.Argument(..., help="A classified run folder."),
    doc_a: str = typer.Argument(..., help="doc_id of document A (see documents.jsonl or `ddlens corpus list`)."),
    doc_b: str = typer.Argument(..., help="doc_id of document B."),
    min_score: float = _MIN_SCORE,
    as_json: bool = typer.Option(False, "--json", help="Print the rows and their evidence as JSON."),
) -> None:
    """What one document covers that the other does not, element by element."""
    import json as json_

    from .matrix import cited_title
    from .matrix import diff as diff_

    _filters(None, None, None, min_score)
    data = _load_run(run)
    try:
        rows = diff_(data, doc_a, doc_b, min_score)
    except DdlensError as exc:
        _fail(exc)
    if as_json:
        typer.echo(json_.dumps({"a": doc_a, "b": doc_b, "rows": [r.to_dict() for r in rows]}, ensure_ascii=False, indent=1))
        return

    def named(side: str, doc_id: str) -> str:
        doc = data.documents[doc_id]
        return f"{side} = {doc_id}: {cited_title(doc.get('title'), doc_id)} ({doc.get('year') or 'n.d.'}, {doc['kind']})"

    def quoted(side: str, evidence: list) -> list[str]:
        """The best passage's place and opening words: the title already names its document."""
        if not evidence:
            return []
        e = evidence[0]
        return [f"{side}: {', '.join(p for p in (e.citation, e.pages) if p)}: \u201c{_opening(e.text, 90)}\u201d"]

    table = Table(element_column(), "A", "B", "verdict", "best evidence", title=f"{named('A', doc_a)}\n{named('B', doc_b)}",
                  show_lines=True)
    for row in rows:
        evidence = quoted("A", row.evidence_a) + quoted("B", row.evidence_b)
        table.add_row(row.element, row.level_a, row.level_b, row.verdict, "\n".join(evidence))
    _print_table(table)
    _print_cautions(data, [data.documents[doc_a], data.documents[doc_b]])


@app.command("run")
def run_all(
    paths: Optional[list[Path]] = typer.Argument(None, help="Files or folders.", show_default="the fetched corpus"),
    out: Path = typer.Option(Settings().default_run, "--out", "-o", help="Run folder to write."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Model name.", show_default="the best by cross-validation"),
    jobs: int = typer.Option(0, "--jobs", "-j", help="Worker processes for ingest and classify.", show_default="one per CPU core, at most 4"),
    explain: bool = _EXPLAIN,
    jurisdiction: Optional[str] = _JURISDICTION_META, kind: Optional[str] = _KIND_META, year: Optional[int] = _YEAR_META,
    title: Optional[str] = _TITLE_META, strict: bool = _STRICT,
) -> None:
    """The whole pipeline: ingest → classify → matrix, ending with report.html.

    With --strict a file that fails stops the run after ingest (exit 1), before the long
    classify step: a partial report is not what a strict batch wants.
    """
    from .matrix import Filters, RunData
    from .train import best_model_name, read_card

    started = time.perf_counter()
    name = model or best_model_name(_models_dir())
    options = _meta_options(jurisdiction, kind, year, title)
    with _progress() as progress:
        result = _ingest(paths, out, Settings(), options, jobs, progress)
        if not result.documents:
            raise typer.Exit(code=1)
        if strict and result.errors:
            _flag("stopped", "red", f"--strict: {len(result.errors)} file(s) failed, so nothing was classified; "
                  f"the passages read are in {out} (run without --strict to go on with the rest)")
            raise typer.Exit(code=1)
        predictions = _classify_run(out, name, progress, passages=result.passages, jobs=jobs, explain=explain)
        task = progress.add_task("matrix", total=1, current="")
        # what the run folder now holds, from memory rather than read back from its files
        data = RunData(out, {d.doc_id: d.summary() for d in result.documents}, result.passages,
                       {p.passage_id: p for p in predictions}, read_card(_models_dir(), name))
        built = _write_matrix(data, Filters(), 5, None)
        progress.update(task, advance=1)
    _print_levels(built, data)
    console.print(f"done in {time.perf_counter() - started:.0f}s; open the report: {(out / 'report.html').resolve()}")


def _register_annotate() -> None:
    from .cli_annotate import annotate_app

    app.add_typer(annotate_app, name="annotate")
    for group in (app, corpus_app, annotate_app):
        _one_line_summaries(group)


def _one_line_summaries(group: typer.Typer) -> None:
    """A command list shows each docstring's first paragraph as one flowing line: Typer
    keeps the source's line breaks there, mid-sentence (its own help page joins them)."""
    import inspect

    for info in group.registered_commands:
        if info.short_help is None and info.callback is not None:
            info.short_help = " ".join((inspect.getdoc(info.callback) or "").split("\n\n")[0].split())


_register_annotate()
