"""Inter-annotator agreement over shared passages: per-label Cohen's kappa and F1 between
two annotators, and modality and bearer kappa. Passages are matched by text hash."""

from __future__ import annotations

from collections.abc import Sequence

from .records import Annotation
from .scheme import load_scheme


def pairwise_agreement(first: Sequence[Annotation], second: Sequence[Annotation]) -> dict:
    """Agreement between two sets of labels on the passages they share."""
    from sklearn.metrics import cohen_kappa_score

    b_by_text = {r.text_sha256: r for r in second}
    pairs = [(a, b_by_text[a.text_sha256]) for a in first if a.text_sha256 in b_by_text]
    per_label: dict[str, dict] = {}
    for element in load_scheme().elements:
        x = [element in a.elements for a, _ in pairs]
        y = [element in b.elements for _, b in pairs]
        both = sum(i and j for i, j in zip(x, y))
        f1 = 2 * both / (sum(x) + sum(y)) if sum(x) + sum(y) else None
        kappa = cohen_kappa_score(x, y) if len(set(x) | set(y)) > 1 else None
        per_label[element] = {"kappa": _round(kappa), "f1": _round(f1), "positives": [sum(x), sum(y)]}

    def head(field: str) -> float | None:
        x = [getattr(a, field) for a, _ in pairs]
        y = [getattr(b, field) for _, b in pairs]
        return _round(cohen_kappa_score(x, y)) if len(set(x) | set(y)) > 1 else None

    return {"n": len(pairs), "per_label": per_label, "modality": {"kappa": head("modality")},
            "bearer": {"kappa": head("bearer")},
            "exact": _round(sum(_key(a) == _key(b) for a, b in pairs) / len(pairs)) if pairs else None}


def double_labelled(records: Sequence[Annotation]) -> tuple[list[Annotation], list[Annotation]]:
    """Split passages labelled by two different annotators (adjudications aside) into the
    first and the second annotator's labels, pair by pair."""
    by_text: dict[str, list[Annotation]] = {}
    for r in records:
        if r.annotator != "adjudicated":
            by_text.setdefault(r.text_sha256, []).append(r)
    pairs = [sorted(rs, key=lambda r: r.annotator)[:2] for rs in by_text.values() if len({r.annotator for r in rs}) >= 2]
    return [p[0] for p in pairs], [p[1] for p in pairs]


def _key(r: Annotation) -> tuple:
    return tuple(sorted(r.elements)), r.modality, r.bearer


def _round(value) -> float | None:
    return None if value is None else round(float(value), 3)
