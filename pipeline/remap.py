"""Labels follow their passages when segmentation changes.

A label belongs to the text its annotator read (`text_sha256`); the id only says where that
text sits, and the models read the part the id names and the title above it
(`model_input.py`). When ingest learns to cut a document better, a passage may keep its
words under a new id: on 2026-11-29, 325 passages of Singapore's code of practice left a false
"Annex" for their own sections (docs/history.md). Moving such labels to the run's id gives the
models the structure a run now sees and leaves what the annotator read untouched; the id read
is kept in `moved_from`. A label whose text no passage of the run holds any more, or several
do, is not guessed at: it keeps its id and is named, for annotators to read the new passages.
"""

from __future__ import annotations

import json
import shlex
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import annotation_files, annotation_record
from .config import Settings
from .errors import AnnotationError, DdlensError
from .io import atomic_write_bytes, iter_jsonl, missing_run_file, writable_target
from .records import Annotation, Passage
from .sources import ingest_code_digest
from .text import sha256_text

_BOM = "\ufeff".encode()


@dataclass(frozen=True)
class Move:
    new_id: str
    heading: str | None


@dataclass(frozen=True)
class Unplaced:
    record: Annotation
    found_in: tuple[str, ...]  # the passages holding its text: none, or several

    @property
    def reason(self) -> str:
        if not self.found_in:
            return "no passage of the run holds its text"
        return f"{len(self.found_in)} passages hold its text: {', '.join(self.found_in)}"


@dataclass
class RemapPlan:
    """What `remap` would do: moves keyed by (id, text hash), and what it cannot place. A move
    to the same id only takes the passage's new title."""

    moves: dict[tuple[str, str], Move] = field(default_factory=dict)
    unplaced: list[Unplaced] = field(default_factory=list)

    @property
    def moved(self) -> dict[tuple[str, str], Move]:
        return {key: m for key, m in self.moves.items() if m.new_id != key[0]}

    @property
    def retitled(self) -> dict[tuple[str, str], Move]:
        return {key: m for key, m in self.moves.items() if m.new_id == key[0]}

    def unplaced_by_document(self) -> Counter[str]:
        return Counter(u.record.doc_id for u in self.unplaced)


def check_current_cut(run: Path) -> None:
    """A run cut by other ingest code than the installed one (an old run folder) would move
    labels to ids that code gave, back to a former cut: refused, with what to do instead."""
    path = run / "run.json"
    try:
        recorded = json.loads(path.read_text(encoding="utf-8")).get("ingest_code")
    except FileNotFoundError:
        raise missing_run_file(path) from None
    except (OSError, ValueError, AttributeError) as exc:
        raise DdlensError(path, f"unreadable ({exc}): run `ddlens ingest --out {run}` again") from exc
    if recorded != ingest_code_digest():
        why = ("does not say which ingest code cut it (ingested before ddlens recorded that)" if recorded is None
               else "was cut by other ingest code than the one installed")
        raise DdlensError(run, f"{why}: labels would follow an old segmentation; run `{reingest_command(run)}` "
                          "again, then remap")


def reingest_command(run: Path) -> str:
    """The command that cuts the run's own inputs again (from run.json): a bare `ddlens ingest`
    reads the fetched corpus, which is not what a run of other files was made from."""
    try:
        inputs = [Path(str(i["path"])) for i in json.loads((run / "run.json").read_text(encoding="utf-8"))["inputs"]]
    except (OSError, ValueError, KeyError, TypeError):
        inputs = []
    corpus = Settings().corpus_files.resolve()
    if not inputs or all(p.resolve().parent == corpus for p in inputs):
        return f"ddlens ingest --out {shlex.quote(str(run))}"
    named = inputs if len(inputs) <= 3 else sorted({p.parent for p in inputs})
    return "ddlens ingest " + " ".join(shlex.quote(str(p)) for p in named) + f" --out {shlex.quote(str(run))}"


def plan_remap(records: Iterable[Annotation], passages: Iterable[Passage]) -> RemapPlan:
    """Moves for the labels of the run's documents whose id the run no longer gives their text,
    or whose passage has a new title."""
    passages = list(passages)
    by_id = {p.id: p for p in passages}
    by_text: dict[tuple[str, str], list[Passage]] = {}
    for p in passages:
        by_text.setdefault((p.doc_id, sha256_text(p.text)), []).append(p)
    docs = {p.doc_id for p in passages}
    plan = RemapPlan()
    seen: set[tuple[str, str]] = set()
    for record in records:
        key = (record.id, record.text_sha256)
        if record.doc_id not in docs or key in seen:
            continue
        seen.add(key)
        here = by_id.get(record.id)
        if here is not None and sha256_text(here.text) == record.text_sha256:
            if here.heading != record.heading:
                plan.moves[key] = Move(here.id, here.heading)
            continue
        found = by_text.get((record.doc_id, record.text_sha256), [])
        if len(found) == 1:
            plan.moves[key] = Move(found[0].id, found[0].heading)
        else:
            plan.unplaced.append(Unplaced(record, tuple(p.id for p in found)))
    return plan


def apply_remap(plan: RemapPlan, labels: Path | Iterable[Path]) -> dict[Path, int]:
    """Rewrite the lines of moved labels in place, keeping each line's key order, spacing and
    line ending, and every other line's bytes; returns the lines rewritten per file. Every file
    is read and checked before any is written, so a bad line leaves them all as they were."""
    rewritten: dict[Path, tuple[bytes, int]] = {}
    for path in annotation_files(labels):
        if not path.is_file():
            raise AnnotationError(path, "no such annotation file or folder")
        lines = path.read_bytes().split(b"\n")  # as iter_jsonl numbers them
        moved = 0
        for line_no, row in iter_jsonl(path, AnnotationError):
            record = annotation_record(path, line_no, row)
            move = plan.moves.get((record.id, record.text_sha256))
            if move is not None:
                lines[line_no - 1] = _moved_line(path, line_no, lines[line_no - 1], row, record, move)
                moved += 1
        if moved:
            writable_target(path)
            rewritten[path] = (b"\n".join(lines), moved)
    for path, (data, _) in rewritten.items():
        atomic_write_bytes(path, data)
    return {path: moved for path, (_, moved) in rewritten.items()}


def _moved_line(path: Path, line_no: int, raw: bytes, row: dict, record: Annotation, move: Move) -> bytes:
    updated = dict(row)
    if move.heading is None:
        updated.pop("heading", None)
    else:
        updated["heading"] = move.heading
    if move.new_id != record.id:
        updated["id"] = move.new_id
        updated["moved_from"] = record.moved_from or record.id
    try:
        Annotation.model_validate(updated)
    except ValueError as exc:
        raise AnnotationError(path, f"line {line_no}: cannot move to {move.new_id}: {exc}") from exc
    compact = b'": ' not in raw
    text = json.dumps(updated, ensure_ascii=False, separators=(",", ":") if compact else (", ", ": "))
    bom = _BOM if line_no == 1 and raw.startswith(_BOM) else b""
    return bom + text.encode("utf-8") + (b"\r" if raw.endswith(b"\r") else b"")
