"""Metrics from (gold, predicted) pairs — the only place scores are computed — and grouped
cross-validation, where no passage of a test document is ever seen in training."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from .fold_cache import FoldCache
from .model_input import record_text
from .records import BINDING_KINDS, Annotation
from .scheme import load_scheme

MIN_SUPPORT = 5  # elements with fewer gold positives are reported apart, not averaged


def score(gold: Sequence[Annotation], predicted: Sequence[dict]) -> dict:
    """Per-element P/R/F1/support, elements macro-F1 (over elements with ≥5 positives) and
    micro-F1, modality and bearer accuracy and macro-F1, and the same elements read at the
    level of documents (`document_coverage`)."""
    from sklearn.metrics import accuracy_score, f1_score

    scheme = load_scheme()
    per_label: dict[str, dict] = {}
    tp_all = fp_all = fn_all = 0
    for element in scheme.elements:
        g = np.array([element in r.elements for r in gold])
        p = np.array([element in r["elements"] for r in predicted])
        tp, fp, fn = int((g & p).sum()), int((~g & p).sum()), int((g & ~p).sum())
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        per_label[element] = {**_prf(tp, tp + fp, tp + fn), "support": int(g.sum()), "predicted": int(p.sum())}
    averaged = [e for e, m in per_label.items() if m["support"] >= MIN_SUPPORT]
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all else 0.0

    def head(field: str, classes: tuple[str, ...]) -> dict:
        g = [getattr(r, field) for r in gold]
        p = [r[field] for r in predicted]
        present = [c for c in classes if c in g]
        return {"accuracy": round(accuracy_score(g, p), 4) if g else 0.0,
                "macro_f1": round(f1_score(g, p, labels=present, average="macro", zero_division=0), 4) if g else 0.0}

    return {
        "n": len(gold),
        "per_label": per_label,
        "by_document": document_coverage(gold, predicted),
        "elements_macro_f1": round(float(np.mean([per_label[e]["f1"] for e in averaged])) if averaged else 0.0, 4),
        "elements_micro_f1": round(micro, 4),
        "macro_over": averaged,
        "rare": [e for e in scheme.elements if e not in averaged],
        "modality": head("modality", scheme.modality),
        "bearer": head("bearer", scheme.bearer),
    }


def _prf(hits: int, predicted: int, actual: int) -> dict:
    """Precision, recall and F1 (rounded) from the hits among `predicted` of `actual` positives."""
    precision = hits / predicted if predicted else 0.0
    recall = hits / actual if actual else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def document_coverage(gold: Sequence[Annotation], predicted: Sequence[dict]) -> dict:
    """What a coverage cell claims, measured: per element, whether a document holds it (any of
    its labelled passages does) against whether the model finds it in those passages. A
    passage missed where another passage of the same document is found costs nothing here,
    as in the matrix; the labelled passages are a sample of each document, so this measures
    the model's reading of them, not the matrix over every passage."""
    documents = sorted({r.doc_id for r in gold})
    per_label: dict[str, dict] = {}
    for element in load_scheme().elements:
        held = {r.doc_id for r in gold if element in r.elements}
        found = {r.doc_id for r, p in zip(gold, predicted) if element in p["elements"]}
        per_label[element] = {**_prf(len(held & found), len(found), len(held)), "documents": len(held), "found": len(found)}
    averaged = [e for e, m in per_label.items() if m["documents"] >= MIN_SUPPORT]
    return {"n_documents": len(documents), "per_label": per_label, "macro_over": averaged,
            "macro_f1": round(float(np.mean([per_label[e]["f1"] for e in averaged])) if averaged else 0.0, 4)}


def breakdown(gold: Sequence[Annotation], predicted: Sequence[dict], key: Callable[[Annotation], str]) -> dict:
    """The same metrics within each group (document kind, jurisdiction)."""
    groups: dict[str, list[int]] = {}
    for i, record in enumerate(gold):
        groups.setdefault(key(record), []).append(i)
    out = {}
    for name, index in sorted(groups.items()):
        s = score([gold[i] for i in index], [predicted[i] for i in index])
        out[name] = {"n": s["n"], "elements_macro_f1": s["elements_macro_f1"], "elements_micro_f1": s["elements_micro_f1"],
                     "modality_macro_f1": s["modality"]["macro_f1"], "bearer_macro_f1": s["bearer"]["macro_f1"]}
    return out


def cross_validate(make: Callable[[], object], records: Sequence[Annotation], k: int = 5, seed: int = 13,
                   kinds: dict[str, str] | None = None, repeats: int = 1, cache: FoldCache | None = None) -> dict:
    """Grouped k-fold by document: out-of-fold predictions for every record, then metrics,
    with breakdowns by document kind (law vs strategy) and jurisdiction.

    With `repeats` > 1 the documents are dealt into folds again, shuffled, `repeats` − 1 more
    times: `spread` gives each headline figure's mean and standard deviation over the fold
    assignments, since with few positives (rare elements) one assignment can move an
    element's F1 by 0.15. The other figures are those of the first, unshuffled assignment.
    With a `cache`, folds whose inputs are unchanged are read back instead of fitted."""
    from sklearn.model_selection import GroupKFold

    records = list(records)
    splits = fold_count(records, k)
    result = summarise(records, out_of_fold_labels(make, records, GroupKFold(n_splits=splits), cache), kinds)
    result["folds"] = splits
    if repeats > 1:
        shuffled = (GroupKFold(n_splits=splits, shuffle=True, random_state=seed + r) for r in range(1, repeats))
        runs = [result] + [score(records, out_of_fold_labels(make, records, folds, cache)) for folds in shuffled]
        result["spread"] = _spread(runs)
    return result


def summarise(records: Sequence[Annotation], predicted: list[dict], kinds: dict[str, str] | None = None) -> dict:
    """Metrics of out-of-fold labels, with breakdowns by document kind (law vs strategy),
    jurisdiction and lead-in: what a card's `metrics` carries."""
    result = score(records, predicted)
    kinds = kinds or {}
    result["by_kind"] = breakdown(records, predicted, lambda r: "law" if kinds.get(r.doc_id) in BINDING_KINDS else "strategy")
    result["by_jurisdiction"] = breakdown(records, predicted, lambda r: r.jurisdiction)
    # points split off a paragraph whose lead-in the annotator read, apart: their bearer is
    # named outside the text a model reads
    result["by_lead_in"] = breakdown(records, predicted, lambda r: "point with lead-in" if r.context else "passage")
    return result


def fold_count(records: Sequence[Annotation], k: int) -> int:
    """Folds grouped by document: k, or one per document where there are fewer."""
    return min(k, len({r.doc_id for r in records}))


def out_of_fold_labels(make: Callable[[], object], records: list[Annotation], splitter,
                       cache: FoldCache | None = None) -> list[dict]:
    """Every record's labels from a model fitted on the other folds of `splitter` (by document)."""
    predicted: list[dict] = [{}] * len(records)
    for test, labels, _ in _fold_predictions(make, records, splitter, cache):
        for i, label in zip(test, labels):
            predicted[i] = label
    return predicted


def out_of_fold_proba(make: Callable[[], object], records: Sequence[Annotation], k: int = 5):
    """Every record's scores from a model that never saw its document (grouped k-fold): what
    a label audit weighs each gold label against."""
    from sklearn.model_selection import GroupKFold

    from .models import Probabilities

    records = list(records)
    parts = [(test, proba) for test, _, proba in _fold_predictions(make, records, GroupKFold(n_splits=fold_count(records, k)))]
    order = np.argsort(np.concatenate([test for test, _ in parts]))
    return Probabilities(*(np.concatenate([getattr(proba, head) for _, proba in parts])[order]
                           for head in ("elements", "modality", "bearer")))


def _fold_predictions(make: Callable[[], object], records: list[Annotation], splitter, cache: FoldCache | None = None):
    """(test indices, their labels, their scores) per fold, grouped by document, from a model
    fitted on the other folds (or from `cache`, where it holds this very fold)."""
    from .models import Targets

    groups = [r.doc_id for r in records]
    for train, test in splitter.split(np.zeros(len(records)), groups=groups):
        model = make()
        train_records, test_records = [records[i] for i in train], [records[i] for i in test]
        key = cache.key(model, train_records, test_records) if cache else ""
        saved = cache.get(key) if cache else None
        if saved is None:
            model.fit([record_text(r) for r in train_records], Targets.from_records(train_records), [groups[i] for i in train])
            proba = model.predict_proba([record_text(r) for r in test_records])
            saved = model.predict_labels(proba), proba
            if cache:
                cache.put(key, *saved)
        yield test, *saved


def _spread(runs: list[dict]) -> dict:
    """Mean, standard deviation and values of the headline figures over repeated CV runs."""
    def stats(values: list[float]) -> dict:
        return {"mean": round(float(np.mean(values)), 4), "sd": round(float(np.std(values, ddof=1)), 4),
                "values": [round(v, 4) for v in values]}

    return {
        "repeats": len(runs),
        "elements_macro_f1": stats([r["elements_macro_f1"] for r in runs]),
        "elements_micro_f1": stats([r["elements_micro_f1"] for r in runs]),
        "modality_macro_f1": stats([r["modality"]["macro_f1"] for r in runs]),
        "bearer_macro_f1": stats([r["bearer"]["macro_f1"] for r in runs]),
        "per_label_f1": {e: stats([r["per_label"][e]["f1"] for r in runs]) for e in runs[0]["per_label"]},
    }
