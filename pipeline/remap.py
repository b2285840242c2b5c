"""Labels follow their passages when segmentation changes.

A label belongs to the text its annotator read (`text_sha256`); the id only says where that
text sits, and the models read the part the id names and the title above it
(`model_input.py`). When ingest learns to cut a document better, a passage may keep its
words under a new id: on 2026-11-29, 325 passages of Singapore's code of practice left a false
"Annex" for their own sections (docs/history.md). Moving such labels to the run's id gives the
models the structure a run now sees and leaves what the annotator read untouched; the id read
is kept in `moved_from`. A label whose text no passage of the run holds any more is not
guessed at: it keeps its id and is named, for annotators to read the new passage.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .annotations import annotation_files, load_annotations
from .io import atomic_write_text
from .records import Annotation, Passage


@dataclass(frozen=True)
class Move:
    new_id: str
    heading: str | None


@dataclass
class RemapPlan:
    """What `remap` would do: moves keyed by (old id, text hash), and what it cannot place."""

    moves: dict[tuple[str, str], Move] = field(default_factory=dict)
    # labels (one per id and text) of the run's documents whose text no passage holds now
    unplaced: list[Annotation] = field(default_factory=list)

    def unplaced_by_document(self) -> Counter[str]:
        return Counter(r.doc_id for r in self.unplaced)


def plan_remap(records: Iterable[Annotation], passages: Iterable[Passage]) -> RemapPlan:
    """Moves for the labels of the run's documents whose id the run no longer gives their text."""
    passages = list(passages)
    by_id = {p.id: p for p in passages}
    by_text: dict[tuple[str, str], list[Passage]] = {}
    for p in passages:
        by_text.setdefault((p.doc_id, _sha(p.text)), []).append(p)
    docs = {p.doc_id for p in passages}
    plan = RemapPlan()
    seen: set[tuple[str, str]] = set()
    for record in records:
        key = (record.id, record.text_sha256)
        if record.doc_id not in docs or key in seen:
            continue
        seen.add(key)
        here = by_id.get(record.id)
        if here is not None and _sha(here.text) == record.text_sha256:
            continue
        found = by_text.get((record.doc_id, record.text_sha256), [])
        if len(found) == 1:
            plan.moves[key] = Move(found[0].id, found[0].heading)
        else:  # gone, or now in several places: an annotator decides, not a guess
            plan.unplaced.append(record)
    return plan


def apply_remap(plan: RemapPlan, labels: Path | Iterable[Path]) -> dict[Path, int]:
    """Rewrite the label files that hold moved labels, line by line (other lines keep their
    bytes); returns the number of labels moved per file. Every file is read and checked before
    any is written, so a bad line leaves them all as they were."""
    rewritten: dict[Path, tuple[str, int]] = {}
    for path in annotation_files(labels):
        records = iter(load_annotations(path))  # one per non-blank line; a bad line is an error naming it
        lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
        moved = 0
        for i, line in enumerate(lines):
            if not line.strip():
                continue
            record = next(records)
            move = plan.moves.get((record.id, record.text_sha256))
            if move is not None:
                lines[i] = record.model_copy(update={"id": move.new_id, "heading": move.heading,
                                                     "moved_from": record.moved_from or record.id}
                                             ).model_dump_json(exclude_none=True) + "\n"
                moved += 1
        if moved:
            rewritten[path] = ("".join(lines), moved)
    for path, (text, _) in rewritten.items():
        atomic_write_text(path, text)
    return {path: moved for path, (_, moved) in rewritten.items()}


def _sha(text: str) -> str:
    from .text import sha256_text

    return sha256_text(text)
