"""Passages (or any {id, text} rows) + a fitted classifier → Predictions, in input order."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from functools import partial

import numpy as np

from .model_input import model_texts
from .models import Classifier, Probabilities
from .records import Prediction

_FORKED: Classifier | None = None  # the model forked workers score with (see _scores)


def classify_texts(
    ids: Sequence[str],
    texts: Sequence[str],
    model: Classifier,
    model_id: str,
    batch_size: int = 256,
    on_batch: Callable[[int], None] | None = None,
    jobs: int = 1,
    headings: Sequence[str | None] | None = None,
    explain: bool = False,
) -> list[Prediction]:
    """Score texts in batches, each behind the part marker its id gives and its heading
    (`model_input`, as in training); the progress callback gets each batch's size. With jobs > 1, forked worker
    processes score (and explain) the batches: they share the fitted model copy-on-write, so nothing is
    reloaded, and labels and records are still built here, in input order. A model whose
    inference already spreads over the cores (`threaded`, the encoder) runs in-process.
    With `explain`, each prediction that tags an element says why (`Prediction.why`)."""
    framed = model_texts(ids, texts, headings)
    batches = [framed[start : start + batch_size] for start in range(0, len(framed), batch_size)]
    out: list[Prediction] = []
    for batch, (probs, labels, reasons) in zip(batches, _scores(model, batches, jobs, explain)):
        predictions = _predictions(ids[len(out) : len(out) + len(batch)], probs, labels, model, model_id)
        for prediction, why in zip(predictions, reasons or ()):
            if prediction.elements:
                prediction.why = {e: why.get(e, []) for e in prediction.elements}
        out.extend(predictions)
        if on_batch:
            on_batch(len(batch))
    return out


Scored = tuple[Probabilities, list[dict], list[dict[str, list[str]]] | None]  # scores, labels, reasons


def _scores(model: Classifier, batches: list[list[str]], jobs: int, explain: bool) -> Iterator[Scored]:
    global _FORKED
    if jobs <= 1 or model.threaded or len(batches) < 2:
        yield from (_score(model, batch, explain) for batch in batches)
        return
    import multiprocessing

    _FORKED = model
    try:
        with multiprocessing.get_context("fork").Pool(min(jobs, len(batches))) as pool:
            yield from pool.imap(partial(_forked_scores, explain=explain), batches)
    finally:
        _FORKED = None


def _forked_scores(batch: list[str], explain: bool) -> Scored:
    assert _FORKED is not None, "worker forked without a model"
    return _score(_FORKED, batch, explain)


def _score(model: Classifier, batch: list[str], explain: bool) -> Scored:
    """A batch's scores, labels and, with `explain`, the reasons behind each text's tagged
    elements (none for a text that tags nothing): explaining costs far more than scoring (the
    linear tier: about 7 ms against 0.2 ms a passage), so it runs in the workers too, from the
    labels they give back."""
    probs = model.predict_proba(batch)
    labels = model.predict_labels(probs)
    if not explain:
        return probs, labels, None
    reasons: list[dict[str, list[str]]] = [{} for _ in batch]
    tagged = [i for i, label in enumerate(labels) if label["elements"]]
    for i, why in zip(tagged, model.explain_many([batch[i] for i in tagged])):
        reasons[i] = why
    return probs, labels, reasons


def _predictions(ids: Sequence[str], probs: Probabilities, labels: list[dict], model: Classifier,
                 model_id: str) -> list[Prediction]:
    elements, modality, bearer = (np.round(p, 4).tolist() for p in (probs.elements, probs.modality, probs.bearer))
    # built from the model's own arrays: valid by construction, so pydantic's validation
    # (a third of the linear tier's time once its n-grams were vectorised) is skipped
    return [
        Prediction.model_construct(
            passage_id=ids[i], model=model_id, elements=label["elements"],
            scores=dict(zip(model.classes_, elements[i])),
            modality=label["modality"], modality_scores=dict(zip(model.modality_classes_, modality[i])),
            bearer=label["bearer"], bearer_scores=dict(zip(model.bearer_classes_, bearer[i])),
        )
        for i, label in enumerate(labels)
    ]
