"""Annotation files: read and validate (errors name the file and line), write atomically,
and reduce several annotators' labels to one gold label per passage."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from pydantic import ValidationError

from .errors import AnnotationError
from .io import BadLine, atomic_write_text, iter_jsonl
from .records import Annotation

ADJUDICATOR = "adjudicated"
MERGED = "+"  # `adjudicate` names a passage its readers agreed on for all of them: "alice+bob"


def merged_name(annotators: Iterable[str]) -> str:
    return MERGED.join(sorted(annotators))


def is_reader(annotator: str) -> bool:
    """One person's reading: not an adjudication, nor several readers' agreed label merged."""
    return annotator != ADJUDICATOR and MERGED not in annotator


def annotation_files(paths: Path | Iterable[Path]) -> list[Path]:
    """The files named, with every *.jsonl under a folder named, in a stable order."""
    files: list[Path] = []
    for path in [paths] if isinstance(paths, Path) else paths:
        files.extend(sorted(path.rglob("*.jsonl")) if path.is_dir() else [path])
    return files


def load_annotations(paths: Path | Iterable[Path], problems: list[str] | None = None) -> list[Annotation]:
    """Read JSON Lines annotation files (or every *.jsonl under a folder). A bad line is an
    error naming the file and the line; given a `problems` list, each bad line is added to
    it instead (`FILE: line N: reason`) and the others are read, as a gold file to score is."""
    return [record for record, _ in located_annotations(paths, problems)]


def located_annotations(paths: Path | Iterable[Path], problems: list[str] | None = None) -> list[tuple[Annotation, str]]:
    """`load_annotations` with the `FILE:LINE` each record is written on: a label an annotator
    must read again is named where it can be opened."""
    out: list[tuple[Annotation, str]] = []
    for path in annotation_files(paths):
        if not path.is_file():
            raise AnnotationError(path, "no such annotation file or folder")
        for line_no, row in iter_jsonl(path, AnnotationError, go_on=problems is not None):
            try:
                out.append((annotation_record(path, line_no, row), f"{path}:{line_no}"))
            except AnnotationError as exc:
                if problems is None:
                    raise
                problems.append(str(exc))
    return out


def annotation_record(path: Path, line_no: int, row: object) -> Annotation:
    """One line of an annotation file as a record; a bad line is an error naming file and line."""
    if isinstance(row, BadLine):
        raise AnnotationError(path, f"line {line_no}: {row.reason}")
    try:
        return Annotation.model_validate(row)
    except ValidationError as exc:
        first = exc.errors()[0]
        reason = first["msg"].removeprefix("Value error, ")
        where = ".".join(str(p) for p in first["loc"])
        raise AnnotationError(path, f"line {line_no}: {where + ': ' if where else ''}{reason}") from exc


def write_annotations(path: Path, records: Iterable[Annotation]) -> None:
    atomic_write_text(path, "".join(r.model_dump_json(exclude_none=True) + "\n" for r in records))


def gold_labels(annotations: Iterable[Annotation]) -> list[Annotation]:
    """One label per passage text, fragments left out (labels.md).

    The latest adjudicated label wins; otherwise annotators who agree give the label; a passage
    on which annotators disagree and no adjudication exists is left out rather than guessed.
    """
    by_text: dict[str, list[Annotation]] = {}
    for record in annotations:
        by_text.setdefault(record.text_sha256, []).append(record)
    gold: list[Annotation] = []
    for records in by_text.values():
        adjudicated = latest_adjudication(records)
        if adjudicated is not None:
            chosen = adjudicated
        elif len({label_key(r) for r in records}) == 1:
            chosen = records[0]
        else:
            continue
        if not chosen.fragment:
            gold.append(chosen)
    return sorted(gold, key=lambda r: r.id)


def latest_adjudication(records: Iterable[Annotation]) -> Annotation | None:
    """The newest adjudication of a passage (by `created`; file order breaks ties), so a later
    review, such as an audit's, overrides an earlier one wherever its file sorts."""
    adjudicated = [r for r in records if r.annotator == ADJUDICATOR]
    return max(reversed(adjudicated), key=lambda r: r.created) if adjudicated else None


def label_key(record: Annotation) -> tuple:
    """What two annotators must share to agree: elements, modality, bearer and fragment."""
    return tuple(sorted(record.elements)), record.modality, record.bearer, record.fragment
