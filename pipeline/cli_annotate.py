"""`ddlens annotate …`: the annotators' loop — suggest what to label next, export it to
Label Studio or doccano with the model's pre-annotations, import the labels back, measure
agreement, adjudicate — before `ddlens train` learns from the result."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Optional

import typer
from rich.table import Table

from .config import Settings
from .errors import DdlensError
from .terminal import console, fail
from .terminal import count as _count
from .terminal import flag as _flag
from .terminal import print_table as _print_table

if TYPE_CHECKING:
    from .records import Annotation

annotate_app = typer.Typer(help="Annotators' loop: suggest, export, import, agreement, adjudicate, audit, remap.", no_args_is_help=True)

_STRATEGY = typer.Option("uncertainty", "--strategy", help="uncertainty (with diversity), diversity or random.")
_N = typer.Option(50, "--n", min=1, help="How many passages.")
_ELEMENT = typer.Option(None, "--element", "-e", help="Only passages that may hold this element (one of its scheme cues "
                        "occurs, or the model scores it at least half its threshold), likeliest first: to find more of a rare one.")
GOLD = "gold"  # the annotator name an audit gives the current gold label


def _labelled_hashes(annotations: Path) -> set[str]:
    """Text hashes already labelled (every file under annotations/) or held out (the seed)."""
    from .annotations import load_annotations

    seed = Settings().seed_annotations
    files = [annotations] + ([seed] if seed.is_file() else [])
    return {r.text_sha256 for r in load_annotations(files)}


def _suggestions(run_dir: Path, n: int, strategy: str, annotations: Path, element: Optional[str] = None):
    from .matrix import load_run
    from .suggest import suggest
    from .train import read_card

    run = load_run(run_dir)
    thresholds = read_card(Settings().models, run.model).get("thresholds", {})
    with console.status(f"choosing {n} passages ({strategy})…"):
        return run, suggest(run, thresholds, _labelled_hashes(annotations), n, strategy, element=element)


@annotate_app.command("suggest")
def suggest_command(
    run: Path = typer.Argument(Settings().default_run, help="A classified run folder."),
    n: int = _N, strategy: str = _STRATEGY,
    annotations: Path = typer.Option(Settings().labels, help="Labels to leave out (every *.jsonl below; the seed set always is)."),
    out: Optional[Path] = typer.Option(None, help="JSON Lines of the chosen passages.", show_default="RUN/suggestions.jsonl"),
    element: Optional[str] = _ELEMENT,
) -> None:
    """The passages most worth labelling next: uncertain for the current model and diverse."""
    from .io import write_jsonl

    try:
        data, chosen = _suggestions(run, n, strategy, annotations, element)
    except (DdlensError, ValueError) as exc:
        fail(exc)
    target = out or run / "suggestions.jsonl"
    write_jsonl(target, ({"id": s.passage.id, "doc_id": s.passage.doc_id, "jurisdiction": s.passage.jurisdiction,
                          "text": s.passage.text, "context": s.passage.context or "", "heading": s.passage.heading or "",
                          "citation": data.citations[s.passage.id], "likelihood" if element else "uncertainty": s.uncertainty,
                          "reason": s.reason} for s in chosen))
    table = Table("#", "passage", *(("why", "likely") if element else ("uncertain on", "u")), "text")
    for rank, s in enumerate(chosen, 1):
        table.add_row(str(rank), s.passage.id, s.reason, f"{s.uncertainty:.2f}", s.passage.text[:70])
    _print_table(table)
    console.print(f"{len(chosen)} passages ({strategy}{', ' + element if element else ''}) → {target}")
    if element and not chosen:
        console.print(f"no unlabelled passage of {run} shows a cue of {element} or a score of half its threshold")


@annotate_app.command("export")
def export_command(
    source: Path = typer.Argument(..., help="A run folder, or a JSON Lines file of passages or of annotations."),
    fmt: str = typer.Option("label-studio", "--format", help="label-studio, doccano or jsonl."),
    out: Path = typer.Option(..., "--out", help="Tasks file to write (the tool's configuration goes beside it)."),
    ids: Optional[Path] = typer.Option(None, "--ids", help="With a run: the passage ids to export (one per line, or JSON Lines with id)."),
    select: Optional[str] = typer.Option(None, "--select", help="With a run: `suggest` exports the suggested passages."),
    n: int = _N, strategy: str = _STRATEGY, element: Optional[str] = _ELEMENT,
    annotations: Path = typer.Option(Settings().labels, help="With --select suggest: labels to leave out."),
    model: Optional[str] = typer.Option(None, "--model", "-m", help="Pre-annotations from this model.", show_default="the run's predictions, or the best model"),
    predictions: bool = typer.Option(True, "--predictions/--no-predictions",
                                     help="Include the model's pre-annotations (leave them out for blind double labelling)."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing --out file (it may hold labels)."),
) -> None:
    """Tasks for Label Studio or doccano, with the model's predictions as pre-annotations."""
    from .exchange import write_tasks

    try:
        if out.exists() and not overwrite:
            raise DdlensError(out, "already exists (it may hold labels): choose another --out, or pass --overwrite")
        tasks = (_run_tasks(source, ids, select, n, strategy, annotations, element, predictions) if source.is_dir()
                 else _file_tasks(source, model if predictions else None, predictions))
        if not predictions:
            for task in tasks:
                task.prediction = None
        if not tasks:
            raise DdlensError(ids or source, "no passages to export")
        written = write_tasks(tasks, fmt, out)
    except (DdlensError, ValueError) as exc:
        fail(exc)
    labelled = sum(t.labels is not None for t in tasks)
    console.print(f"exported {len(tasks)} tasks ({labelled} with labels, {sum(t.prediction is not None for t in tasks)} "
                  f"with pre-annotations) as {fmt} → {', '.join(map(str, written))}")


def _run_tasks(run_dir: Path, ids: Optional[Path], select: Optional[str], n: int, strategy: str, annotations: Path,
               element: Optional[str] = None, predictions: bool = True):
    """Tasks for passages of a run; a run not yet classified exports by --ids without
    pre-annotations (blind labelling needs none)."""
    from .cite import cite_passages
    from .exchange import Task
    from .io import read_run_passages
    from .matrix import load_run

    if select not in (None, "suggest"):
        raise ValueError(f"--select {select!r}: only `suggest` is known")
    scores = {}
    if select == "suggest":
        run, chosen = _suggestions(run_dir, n, strategy, annotations, element)
        passages, scores, citations = [s.passage for s in chosen], run.predictions, run.citations
    elif ids is not None:
        if predictions:
            run = load_run(run_dir)
            passages, scores = run.passages, run.predictions
        else:
            passages = read_run_passages(run_dir)
        wanted = _read_ids(ids)
        by_id = {p.id: p for p in passages}
        missing = [i for i in wanted if i not in by_id]
        if missing:
            raise DdlensError(ids, f"{len(missing)} id(s) not in {run_dir}: {', '.join(missing[:5])}")
        citations = run.citations if predictions else cite_passages(passages)
        passages = [by_id[i] for i in wanted]
    else:
        raise ValueError("with a run folder, give --ids FILE or --select suggest")
    return [Task(p.id, p.doc_id, p.jurisdiction, p.text, p.context or "", citations[p.id], p.heading or "",
                 prediction=scores.get(p.id)) for p in passages]


def _read_ids(path: Path) -> list[str]:
    from .io import iter_jsonl

    if path.is_dir():
        raise DdlensError(path, "is a folder: --ids names a file of passage ids")
    if not path.is_file():
        raise DdlensError(path, "no such ids file")
    try:
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")  # a byte-order mark from Windows tools
    except UnicodeDecodeError as exc:
        raise DdlensError(path, f"not UTF-8 text (byte {exc.start + 1}): save the ids file as UTF-8") from exc
    if text.lstrip().startswith("{"):
        return [str(row["id"]) for _, row in iter_jsonl(path) if isinstance(row, dict) and "id" in row]
    return [line.strip() for line in text.splitlines() if line.strip()]


def _file_tasks(path: Path, model: Optional[str], predict: bool = True):
    """Passages or annotation records from JSON Lines; the model reads each for pre-annotation."""
    from .classify import classify_texts
    from .errors import AnnotationError
    from .exchange import Task
    from .io import read_text_rows
    from .records import Annotation
    from .train import best_model_name, load_model

    if not path.is_file():
        raise DdlensError(path, "no such run folder or file")
    rows = read_text_rows(path, AnnotationError)
    predictions: list = [None] * len(rows)
    if predict:
        name = model or best_model_name(Settings().models)
        fitted = load_model(name, Settings().models)
        predictions = classify_texts([str(r["id"]) for r in rows], [r["text"] for r in rows], fitted, name,
                                      headings=[r.get("heading") for r in rows])
    tasks = []
    for line_no, (row, prediction) in enumerate(zip(rows, predictions), 1):
        labels = None
        if row.get("modality") is not None and "annotator" in row:
            try:
                labels = Annotation.model_validate({k: v for k, v in row.items() if k in Annotation.model_fields})
            except ValueError as exc:
                raise DdlensError(path, f"line {line_no}: {exc}") from exc
        tasks.append(Task(str(row["id"]), str(row.get("doc_id", "")), str(row.get("jurisdiction", "")), row["text"],
                          str(row.get("context") or ""), str(row.get("citation") or ""), str(row.get("heading") or ""),
                          prediction, labels))
    return tasks


@annotate_app.command("import")
def import_command(
    source: Path = typer.Argument(..., help="A Label Studio JSON export, a doccano JSONL export or ddlens JSON Lines."),
    annotator: str = typer.Option(..., "--annotator", help="Who labelled (use `adjudicated` for a reviewed file)."),
    out: Optional[Path] = typer.Option(None, "--out", help="Annotation file to write (an existing one only with --append).",
                                       show_default="a new file in annotations/labels/"),
    append: bool = typer.Option(False, "--append", help="Add the labels to an existing --out file instead of refusing to touch it."),
    run: Optional[Path] = typer.Option(None, "--run", help="Check each label against this run's current passage text."),
    fmt: Optional[str] = typer.Option(None, "--format", help="label-studio, doccano or jsonl.", show_default="detected"),
) -> None:
    """Labels from an annotation tool into annotations/, each checked against the scheme and
    against the text it was given to; a task that cannot be taken is reported, not lost,
    and labels already written are never overwritten."""
    from .annotations import load_annotations, write_annotations
    from .exchange import read_labels
    from .text import sha256_text

    if not annotator.strip():
        fail(ValueError("--annotator: give the name of who labelled (or `adjudicated` for a decided review file)"))
    try:
        if source.is_dir():
            raise DdlensError(source, "is a folder: give the exported file")
        if out is not None and out.is_dir():
            raise DdlensError(out, "is a folder: --out names the annotation file to write")
        if not source.is_file():
            raise DdlensError(source, "no such file")
        if out is not None and out.exists() and not append:
            raise DdlensError(out, "already exists: pass --append to add these labels to it, or choose another --out")
        earlier = load_annotations(out) if out is not None and out.exists() else []
        passages = None
        if run is not None:
            from .io import read_run_passages

            passages = {p.id: sha256_text(p.text) for p in read_run_passages(run)}
        result = read_labels(source, annotator, fmt, passages)
    except (DdlensError, ValueError) as exc:
        fail(exc)
    for problem in result.problems:
        _flag("not imported", "red", problem)
    for repeated in result.repeated:
        _flag("note", "yellow", repeated)
    for note in _relabelled(earlier, result.records, out):
        _flag("note", "yellow", note)
    if result.records:
        target = out or _new_labels_file(annotator)
        write_annotations(target, [*earlier, *result.records])
        added = f" (after the {len(earlier)} already there)" if earlier else ""
        console.print(f"imported {len(result.records)} labels by {annotator} → {target}{added}; {len(result.problems)} not imported, "
                      f"{_count(result.unlabelled, 'task')} without labels")
    elif not result.tasks:
        fail(DdlensError(source, "no tasks in the file"))
    else:
        console.print(f"nothing imported: {_count(len(result.problems), 'problem')}, {_count(result.unlabelled, 'task')} without labels")
    if result.as_suggested:
        _flag("note", "yellow", f"{result.as_suggested} of {len(result.records)} labels equal the model's "
                      "pre-annotation exactly: make sure they were read, not just accepted")
    if result.records and run is None:
        _flag("note", "yellow", "passage ids and texts were not checked against a run: pass --run RUN to catch "
                                "an id no passage has, or a text changed since export")
    if not result.records:
        raise typer.Exit(code=1)


def _new_labels_file(annotator: str) -> Path:
    """annotations/labels/NAME-TIME.jsonl, never one that exists (two imports in one second)."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%S")
    base = Settings().labels / f"{annotator.replace('/', '-')}-{stamp}"
    target, n = base.with_suffix(".jsonl"), 1
    while target.exists():
        n += 1
        target = base.with_name(f"{base.name}-{n}.jsonl")
    return target


def _relabelled(earlier: list[Annotation], new: list[Annotation], out: Optional[Path]) -> list[str]:
    """Passages the file appended to already has from the same annotator, labelled otherwise."""
    from .annotations import label_key

    before = {(r.annotator, r.text_sha256): r for r in earlier}
    return [f"{out}: {r.id} labelled again by {r.annotator}, differently; agreement and adjudicate take the later one"
            for r in new if (r.annotator, r.text_sha256) in before and label_key(before[r.annotator, r.text_sha256]) != label_key(r)]


@annotate_app.command("agreement")
def agreement_command(
    files: list[Path] = typer.Argument(..., help="Annotation files (or folders) of two or more annotators."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Per-label Cohen's kappa (first two annotators), Krippendorff's alpha (all), F1
    between annotators; modality and bearer kappa and alpha — over shared passages."""
    from .agreement import agreement
    from .annotations import load_annotations

    try:
        report = agreement(load_annotations(files))
    except DdlensError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(report, indent=1))
        return
    if report["n"] == 0:
        console.print(f"no passage is labelled by two annotators (annotators: {', '.join(report['annotators']) or 'none'})")
        raise typer.Exit(code=1)

    def fmt(value) -> str:
        return "–" if value is None else f"{value:.3f}"

    pair = " vs ".join(report["kappa_pair"])
    table = Table("label", f"kappa ({pair})", "alpha", "F1", "positives",
                  title=f"{len(report['annotators'])} annotators, {report['n']} shared passages")
    for label, row in report["per_label"].items():
        table.add_row(label, fmt(row["kappa"]), fmt(row["alpha"]), fmt(row["f1"]), str(row["positives"]))
    for head in ("modality", "bearer"):
        table.add_row(head, fmt(report[head]["kappa"]), fmt(report[head]["alpha"]), "", "")
    _print_table(table)
    fragments = report["fragment"]
    typer.echo(f"exact agreement {fmt(report['exact'])}; {report['n_fragment_units']} passages marked as fragment left out: "
               f"{fragments['all_agree']} by every reader, {fragments['disputed']} by some and labelled by others "
               "(disagreements, for adjudication)")
    if report["merged_left_out"]:
        typer.echo(f"left out as no one reader's labels: {', '.join(report['merged_left_out'])} (adjudicate's merged labels)")


@annotate_app.command("adjudicate")
def adjudicate_command(
    files: list[Path] = typer.Argument(..., help="Annotation files (or folders) to merge."),
    out: Path = typer.Option(..., "--out", help="Merged annotations (agreed and single labels, adjudications)."),
    review: Optional[Path] = typer.Option(None, "--review", help="Disagreements to review.", show_default="OUT with .review.jsonl"),
    against: Optional[Path] = typer.Option(
        None, "--against", help="An audit: the gold label each passage has in this folder (other files than FILES) "
        "joins as annotator `gold`, and earlier adjudications do not settle it."),
    overwrite: bool = typer.Option(False, "--overwrite", help="Replace an existing OUT and review file (a review "
                                   "file may hold decisions)."),
) -> None:
    """Agreed labels pass; disagreements go to a review file with every annotator's labels
    and a majority proposal: decide each row, set its `reviewed` to true, then `ddlens
    annotate import REVIEW --annotator adjudicated` (a row left false is not imported)."""
    from .adjudicate import adjudicate
    from .annotations import annotation_files, load_annotations, write_annotations
    from .io import write_jsonl

    review = review or out.with_name(out.name.removesuffix(".jsonl") + ".review.jsonl")
    try:
        inputs = {f.resolve() for f in annotation_files(files)}
        for target in (out, review):
            if target.is_dir():
                raise DdlensError(target, "is a folder: name the file to write")
            if target.resolve() in inputs:
                raise DdlensError(target, "is one of the files to merge: writing it would replace an annotator's labels")
            if target.exists() and not overwrite:
                raise DdlensError(target, "already exists (a review file may hold decisions already made): "
                                          "choose another --out, or pass --overwrite")
        records = load_annotations(files)
        if against is not None:
            records = _with_gold(records, against, files)
        merged, disputed = adjudicate(records)
    except DdlensError as exc:
        fail(exc)
    write_annotations(out, merged)
    write_jsonl(review, disputed)
    console.print(f"{len(merged)} passages merged → {out}; {len(disputed)} disagreements to review → {review}"
                  + (" (decide each, set `reviewed` to true, then import it)" if disputed else ""))


def _with_gold(records: list[Annotation], against: Path, files: list[Path]) -> list[Annotation]:
    """Re-read labels beside the gold label their passages have now (annotator `gold`)."""
    from .annotations import ADJUDICATOR, annotation_files, gold_labels, load_annotations

    given = {f.resolve() for f in annotation_files(files)}
    texts = {r.text_sha256 for r in records}
    gold = gold_labels(load_annotations([f for f in annotation_files(against) if f.resolve() not in given]))
    return ([r.model_copy(update={"annotator": GOLD}) for r in gold if r.text_sha256 in texts]
            + [r for r in records if r.annotator != ADJUDICATOR])


@annotate_app.command("audit")
def audit_command(
    annotations: Path = typer.Option(Settings().labels, help="The labels to audit (their gold view)."),
    model: str = typer.Option("linear", "--model", "-m", help="The tier whose out-of-fold scores weigh each label."),
    n: int = typer.Option(300, "--n", min=0, help="How many flagged passages (those the model contradicts most surely)."),
    control: int = typer.Option(75, "--control", help="How many other passages, drawn at random, to re-read beside them."),
    folds: int = typer.Option(5, "--folds", help="Grouped cross-validation folds for the out-of-fold scores."),
    out: Path = typer.Option(Settings().annotations / "audit" / "audit.jsonl", "--out",
                             help="Passages to re-read blind (no labels, no scores); the key goes beside it (.key.jsonl). "
                                  "Passages named in the other keys in its folder were re-read before and are left out."),
) -> None:
    """Gold labels worth reading again: those a model trained without their document contradicts
    most surely (confident learning), with a random control sample to measure the error rate.
    Re-read OUT blind (fill in its elements, modality and bearer, or export it to a tool), import,
    then `ddlens annotate adjudicate … --against annotations/labels`."""
    from collections import Counter

    from .audit import audit_sample, read_key
    from .evaluate import out_of_fold_proba
    from .exchange import Task, write_tasks
    from .io import write_jsonl
    from .models import make_model
    from .train import training_records

    key = out.with_name(out.name.removesuffix(".jsonl") + ".key.jsonl")
    try:
        earlier = {row["text_sha256"] for path in sorted(out.parent.glob("*.key.jsonl")) if path != key
                   for row in read_key(path)} if out.parent.is_dir() else set()
        records = training_records(annotations, Settings().seed_annotations)
        with console.status(f"scoring {len(records)} gold passages out of fold ({model}, {folds} folds)…"):
            proba = out_of_fold_proba(lambda: make_model(model), records, folds)
        doubts = audit_sample(records, proba, n, control, Settings().seed, skip=earlier)
    except (DdlensError, ValueError) as exc:
        fail(exc)
    # as `export --format jsonl --no-predictions` writes tasks: filled in, the file imports as it is
    out.parent.mkdir(parents=True, exist_ok=True)
    write_tasks([Task(d.record.id, d.record.doc_id, d.record.jurisdiction, d.record.text, d.record.context or "",
                      heading=d.record.heading or "") for d in doubts], "jsonl", out)
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    write_jsonl(key, (d.key(created) for d in doubts))
    heads = Counter(d.head for d in doubts if d.group == "flagged")
    console.print(f"{sum(d.group == 'flagged' for d in doubts)} flagged and {sum(d.group == 'control' for d in doubts)} "
                  f"control passages → {out} (key: {key}); {len(earlier)} re-read in earlier audits left out")
    console.print("doubted heads: " + ", ".join(f"{h} {k}" for h, k in heads.most_common()))


@annotate_app.command("remap")
def remap_command(
    run: Path = typer.Argument(Settings().default_run, help="A run folder ingested with the segmentation now in use."),
    labels: Path = typer.Option(Settings().labels, help="The label files to bring up to date (every *.jsonl below)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Say what would move; write nothing."),
    as_json: bool = typer.Option(False, "--json", help="Print every move and every label not moved as JSON."),
) -> None:
    """Labels whose passage the run now gives another id (same document, same text) move to that
    id and its title, keeping the old id in `moved_from`; labels whose text no passage holds, or
    several do, are named, not guessed at. Run after a change to segmentation, on a run the
    installed code has just ingested (an older run is refused), then `ddlens train`."""
    from .annotations import annotation_files, located_annotations
    from .io import read_run_passages
    from .remap import apply_remap, check_current_cut, plan_remap

    try:
        if labels.is_dir() and not annotation_files(labels):
            raise DdlensError(labels, "no label files (*.jsonl) in this folder")
        passages = read_run_passages(run)
        check_current_cut(run)
        located = located_annotations(labels)
        plan = plan_remap([record for record, _ in located], passages)
        changed = {} if dry_run else apply_remap(plan, labels)
    except DdlensError as exc:
        fail(exc)
    lines: dict[tuple[str, str], list[str]] = {}
    for record, line in located:  # where each label was read (a moved one: before it moved)
        lines.setdefault((record.id, record.text_sha256), []).append(line)
    if as_json:
        typer.echo(json.dumps({
            "dry_run": dry_run,
            "moved": [{"from": old, "to": m.new_id, "heading": m.heading, "text_sha256": sha, "lines": lines[old, sha]}
                      for (old, sha), m in plan.moved.items()],
            "retitled": [{"id": pid, "heading": m.heading, "text_sha256": sha, "lines": lines[pid, sha]}
                         for (pid, sha), m in plan.retitled.items()],
            "not_moved": [{"id": u.record.id, "doc_id": u.record.doc_id, "text_sha256": u.record.text_sha256,
                           "found_in": list(u.found_in), "reason": u.reason,
                           "lines": lines[u.record.id, u.record.text_sha256]} for u in plan.unplaced],
            "rewritten": {str(path): n for path, n in changed.items()}}))
        return
    verb = "would move" if dry_run else "moved"
    console.print(f"{verb} the labels of {len(plan.moved)} passages to the ids {run} gives their text"
                  + (f", and give {len(plan.retitled)} their passage's new title" if plan.retitled else "")
                  + (f": {sum(changed.values())} lines in {len(changed)} files" if changed else ""))
    for doc, n in sorted(plan.unplaced_by_document().items()):
        _flag("not moved", "yellow", f"{doc}: {n} labelled texts no single passage of {run} holds (label the new passages)")
    unplaced = sorted(plan.unplaced, key=lambda u: u.record.id)
    for u in unplaced[:10]:
        where = ", ".join(lines[u.record.id, u.record.text_sha256])
        console.print(f"  {u.record.id} ({u.reason}; {where}): {u.record.text[:60]}", markup=False, highlight=False)
    if len(unplaced) > 10:
        console.print(f"  … and {len(unplaced) - 10} more (`--json` lists them all)")


@annotate_app.command("audit-report")
def audit_report_command(
    key: Path = typer.Argument(..., help="An audit's key (.key.jsonl)."),
    annotations: Path = typer.Option(Settings().labels, help="The labels after the audit's adjudication."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """How often the audit changed a label, flagged against control: the control share estimates
    the error rate of the labels nobody re-read. Passages not re-read yet, or re-read otherwise
    and not adjudicated yet, are counted apart and left out of the share."""
    from .annotations import load_annotations
    from .audit import change_rates, read_key

    try:
        rates = change_rates(read_key(key), load_annotations(annotations))
    except DdlensError as exc:
        fail(exc)
    if as_json:
        typer.echo(json.dumps(rates))
        return
    table = Table("group", "passages", "not re-read yet", "to adjudicate", "left gold (fragments)", "changed",
                  "share changed of those settled", "on the doubted head")
    for group, r in rates.items():
        share = "n/a" if r["changed_share"] is None else f"{r['changed_share']:.3f}"
        table.add_row(group, str(r["n"]), str(r["not_reread"]), str(r["open"]), str(r["left_gold"]), str(r["changed"]),
                      share, str(r["changed_on_doubted_head"]))
    _print_table(table)
    for group, r in rates.items():
        typer.echo(f"{group}: changed heads " + ", ".join(f"{h} {k}" for h, k in r["by_head"].items()))
    if any(r["not_reread"] or r["open"] for r in rates.values()):
        _flag("note", "yellow", "the audit is not finished: import the re-reads and adjudicate them before reading the shares")
