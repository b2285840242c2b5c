"""Passages (or any {id, text} rows) + a fitted classifier → Predictions, in input order."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from .models import Classifier
from .records import Prediction


def classify_texts(
    ids: Sequence[str],
    texts: Sequence[str],
    model: Classifier,
    model_id: str,
    batch_size: int = 256,
    on_batch: Callable[[int], None] | None = None,
) -> list[Prediction]:
    """Score texts in batches (the progress callback gets each batch's size)."""
    out: list[Prediction] = []
    for start in range(0, len(texts), batch_size):
        chunk = list(texts[start : start + batch_size])
        probs = model.predict_proba(chunk)
        labels = model.predict_labels(probs)
        for offset, label in enumerate(labels):
            i = start + offset
            out.append(Prediction(
                passage_id=ids[i], model=model_id, elements=label["elements"],
                scores={e: round(float(probs.elements[offset, j]), 4) for j, e in enumerate(model.classes_)},
                modality=label["modality"],
                modality_scores={m: round(float(probs.modality[offset, j]), 4) for j, m in enumerate(model.modality_classes_)},
                bearer=label["bearer"],
                bearer_scores={b: round(float(probs.bearer[offset, j]), 4) for j, b in enumerate(model.bearer_classes_)},
            ))
        if on_batch:
            on_batch(len(chunk))
    return out
