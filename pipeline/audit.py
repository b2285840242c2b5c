"""Which gold labels to read again: those a model that never saw their document contradicts
most surely (confident learning, Northcutt et al. 2021, through cleanlab), beside a random
control sample, so that re-reading them blind measures how often labels are wrong and not
only where.

A label is doubted on three heads at once: each element (present or absent), the modality
and the bearer. Its quality is the out-of-fold probability the model gives the label the
annotator chose; a passage's quality is that of its weakest head, and only passages that
confident learning flags on some head are candidates (a low probability on a rare element
that the model scores low everywhere is not, by itself, a doubt).
"""

from __future__ import annotations

import random
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .annotations import ADJUDICATOR, gold_labels, label_key
from .models import Probabilities, Targets
from .records import Annotation
from .scheme import load_scheme


@dataclass(frozen=True)
class Doubt:
    record: Annotation
    group: str  # "flagged" (the model contradicts it) or "control" (drawn at random from the rest)
    quality: float  # the model's probability of the label the annotator gave on the weakest head
    head: str  # that head: an element, "modality" or "bearer"
    given: str  # the annotator's label on it ("present"/"absent" for an element)

    def key(self, created: str) -> dict:
        """The audit's answer key: never shown to whoever re-reads the passage. `created` (the
        audit's time) tells the re-reads that answer it from the labels it audits."""
        r = self.record
        return {"id": r.id, "text_sha256": r.text_sha256, "group": self.group, "quality": round(self.quality, 4),
                "head": self.head, "given": self.given, "created": created,
                "labels": {"elements": r.elements, "modality": r.modality, "bearer": r.bearer}}


def label_quality(records: Sequence[Annotation], proba: Probabilities) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(quality per passage and head, head names, flagged per passage) for out-of-fold scores."""
    from cleanlab.multilabel_classification.filter import (
        find_label_issues as find_multilabel_issues,
    )

    scheme = load_scheme()
    rows = np.arange(len(records))
    present = Targets.from_records(records).elements.astype(bool)
    element_quality = np.where(present, proba.elements, 1 - proba.elements)
    modality = np.array([scheme.modality.index(r.modality) for r in records])
    bearer = np.array([scheme.bearer.index(r.bearer) for r in records])
    quality = np.column_stack([element_quality, proba.modality[rows, modality], proba.bearer[rows, bearer]])
    flagged = (find_multilabel_issues([list(np.flatnonzero(p)) for p in present], proba.elements)
               | _class_issues(modality, proba.modality) | _class_issues(bearer, proba.bearer))
    return quality, np.array([*scheme.elements, "modality", "bearer"]), flagged


def _class_issues(labels: np.ndarray, proba: np.ndarray) -> np.ndarray:
    """Confident learning on one head; a head whose labels all agree gives it nothing to weigh."""
    from cleanlab.filter import find_label_issues

    if len(np.unique(labels)) < 2:
        return np.zeros(len(labels), dtype=bool)
    return find_label_issues(labels, proba)


def audit_sample(records: Sequence[Annotation], proba: Probabilities, n: int, control: int, seed: int = 13,
                 skip: Collection[str] = ()) -> list[Doubt]:
    """The `n` flagged passages of lowest quality and `control` others drawn at random, shuffled
    together so their order does not tell a reader which is which. Texts in `skip` (hashes:
    passages an earlier audit re-read) are neither chosen nor drawn."""
    if len(records) != len(proba.elements):
        raise ValueError(f"{len(records)} records but {len(proba.elements)} rows of scores")
    quality, heads, flagged = label_quality(records, proba)
    weakest = quality.argmin(axis=1)
    lowest = quality[np.arange(len(records)), weakest]
    open_ = [records[i].text_sha256 not in skip for i in range(len(records))]
    ranked = [int(i) for i in np.argsort(lowest, kind="stable") if flagged[i] and open_[i]][:n]
    chosen = set(ranked)
    rest = [i for i in range(len(records)) if i not in chosen and open_[i]]
    rng = random.Random(seed)
    drawn = rng.sample(rest, min(control, len(rest)))

    def doubt(i: int, group: str) -> Doubt:
        record, head = records[i], str(heads[weakest[i]])
        given = (getattr(record, head) if head in ("modality", "bearer")
                 else "present" if head in record.elements else "absent")
        return Doubt(record, group, float(lowest[i]), head, given)

    out = [doubt(i, "flagged") for i in ranked] + [doubt(i, "control") for i in drawn]
    rng.shuffle(out)
    return out


KEY_FIELDS = ("text_sha256", "group", "head", "labels")


def read_key(path: Path) -> list[dict]:
    """An audit's key, each row checked: a bad row is an error naming the file and line."""
    from .errors import AnnotationError
    from .io import iter_jsonl

    if not path.is_file():
        raise AnnotationError(path, "no such audit key")
    rows = []
    for line_no, row in iter_jsonl(path, AnnotationError):
        missing = [f for f in KEY_FIELDS if not isinstance(row, dict) or f not in row]
        if missing:
            raise AnnotationError(path, f"line {line_no}: not an audit key row (no {', '.join(missing)})")
        rows.append(row)
    return rows


def _changes(before: dict, after: Annotation) -> dict[str, bool]:
    """Which heads differ between the labels a key recorded and a passage's gold label now."""
    diff = {e: (e in before["elements"]) != (e in after.elements) for e in load_scheme().elements}
    return diff | {"modality": before["modality"] != after.modality, "bearer": before["bearer"] != after.bearer}


def change_rates(keys: Sequence[dict], annotations: Sequence[Annotation]) -> dict[str, dict]:
    """Per group of the key (flagged, control, or any other a review names): passages in it,
    those not re-read yet and those re-read otherwise but not adjudicated yet (`open`), those
    that left gold (now fragments), the share of the rest whose label changed (None before any
    is settled: no estimate is not an estimate of 0), and how many changed on the head the key
    names (for flagged ones, the head the model doubted). A key written before keys recorded
    their time counts every passage as settled."""
    now = {r.text_sha256: r for r in gold_labels(annotations)}
    by_text: dict[str, list[Annotation]] = {}
    for r in annotations:
        by_text.setdefault(r.text_sha256, []).append(r)
    out = {}
    for group in dict.fromkeys(k["group"] for k in keys):
        rows = [k for k in keys if k["group"] == group]
        states = {id(k): _state(k, by_text.get(k["text_sha256"], [])) for k in rows}
        settled = [k for k in rows if states[id(k)] == "settled"]
        diffs = [(k, _changes(k["labels"], now[k["text_sha256"]])) for k in settled if k["text_sha256"] in now]
        changed = sum(any(d.values()) for _, d in diffs)
        on_head = sum(d[k["head"]] for k, d in diffs)
        by_head = {h: sum(d[h] for _, d in diffs) for h in (diffs[0][1] if diffs else {})}
        out[group] = {"n": len(rows), "not_reread": sum(v == "not re-read" for v in states.values()),
                      "open": sum(v == "open" for v in states.values()), "left_gold": len(settled) - len(diffs),
                      "changed": changed, "changed_share": round(changed / len(diffs), 3) if diffs else None,
                      "changed_on_doubted_head": on_head, "by_head": {h: k for h, k in by_head.items() if k}}
    return out


def _state(key: dict, records: Sequence[Annotation]) -> str:
    """"not re-read", "open" (re-read otherwise, no adjudication since) or "settled"."""
    created = key.get("created")
    if not created:
        return "settled"
    reads = [r for r in records if r.created > created]
    if not reads:
        return "not re-read"
    if any(r.annotator == ADJUDICATOR for r in reads):
        return "settled"
    before = key["labels"]
    audited = (tuple(sorted(before["elements"])), before["modality"], before["bearer"], False)
    return "settled" if all(label_key(r) == audited for r in reads) else "open"
