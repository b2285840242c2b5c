"""Annotations → a fitted classifier saved in models/<name>/ with its model card.

Training uses the gold view of annotations/ (adjudicated or agreed labels, no fragments)
and never a passage whose text is in the shared seed set, which stays a fixed check.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone
from pathlib import Path

from .annotations import gold_labels, load_annotations
from .errors import ModelError
from .model_input import record_text
from .models import MODEL_NAMES, Classifier, Targets, get_model_class, make_model
from .records import Annotation
from .scheme import load_scheme


def training_records(annotations: Path, exclude: Path | None = None) -> list[Annotation]:
    """Gold labels from the annotation folder, minus any text found in `exclude` (the seed).
    A missing seed file is an error: training on without it would let the fixed check leak
    into training unnoticed."""
    if exclude is not None and not exclude.is_file():
        raise ModelError(exclude, "the seed set that training holds out is missing (set DDLENS_SEED to its path)")
    records = gold_labels(load_annotations(annotations))
    if exclude is not None:
        held_out = {r.text_sha256 for r in load_annotations(exclude)}
        records = [r for r in records if r.text_sha256 not in held_out]
    if not records:
        raise ModelError(annotations, "no gold annotations to train on")
    return records


def data_hash(records: list[Annotation]) -> str:
    """Hash of the training set (texts and labels): the card names exactly what was learnt."""
    digest = hashlib.sha256()
    for r in sorted(records, key=lambda r: r.text_sha256):
        digest.update(json.dumps([r.text_sha256, sorted(r.elements), r.modality, r.bearer]).encode())
    return digest.hexdigest()


def train_model(name: str, records: list[Annotation], folder: Path, metrics: dict | None = None) -> Classifier:
    """Fit `name` on all records, save it and its card (with the CV metrics, if given)."""
    model = make_model(name)
    model.fit([record_text(r) for r in records], Targets.from_records(records), [r.doc_id for r in records])
    previous = read_card(folder.parent, folder.name)
    model.save(folder)
    card = {
        "name": name,
        "registry_name": model.registry_name,
        "params": model.get_params(),
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "scheme_version": load_scheme().version,
        "training_data_sha256": data_hash(records),
        "n_train": len(records),
        "n_documents": len({r.doc_id for r in records}),
        "thresholds": model.thresholds_,
        "metrics": metrics or {},
        # the card this one replaces, in brief: `ddlens evaluate` shows the change
        "previous": headline(previous) if previous.get("metrics") else previous.get("previous", {}),
    }
    (folder / "card.json").write_text(json.dumps(card, indent=2) + "\n")
    return model


def load_model(name: str, models_dir: Path) -> Classifier:
    """A saved model by name; `rules` needs no training and is built when not saved."""
    folder = models_dir / name
    if name == "rules" and not (folder / "config.json").is_file():
        return make_model("rules").fit([], Targets.from_records([]))
    return get_model_class(name).load(folder)


def best_model_name(models_dir: Path) -> str:
    """The saved model with the best cross-validated mean of elements macro-F1, modality
    macro-F1 and bearer macro-F1 (else `rules`): a coverage cell needs all three (the
    element, and whether it is a duty of conduct or result, and whose), and `hybrid` shares
    `linear`'s elements, so elements alone could not tell them apart."""
    best, best_score = "rules", -1.0
    for name in MODEL_NAMES:
        figures = headline(read_card(models_dir, name))
        values = [figures[k] for k in ("elements_macro_f1", "modality_macro_f1", "bearer_macro_f1")]
        if all(isinstance(v, (int, float)) for v in values) and sum(values) / 3 > best_score:
            best, best_score = name, sum(values) / 3
    return best


def headline(card: dict) -> dict:
    """A card's date, training size and headline CV figures."""
    metrics = card.get("metrics", {})
    return {"created": card.get("created"), "n_train": card.get("n_train"),
            "training_data_sha256": card.get("training_data_sha256"),
            "elements_macro_f1": metrics.get("elements_macro_f1"), "elements_micro_f1": metrics.get("elements_micro_f1"),
            "modality_macro_f1": metrics.get("modality", {}).get("macro_f1"),
            "bearer_macro_f1": metrics.get("bearer", {}).get("macro_f1"),
            "per_label_f1": {k: v.get("f1") for k, v in metrics.get("per_label", {}).items()}}


def read_card(models_dir: Path, name: str) -> dict:
    path = models_dir / name / "card.json"
    return json.loads(path.read_text()) if path.is_file() else {}
