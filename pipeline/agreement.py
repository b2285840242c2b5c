"""Inter-annotator agreement over shared passages (matched by text hash): per-label Cohen's
kappa (first two annotators), Krippendorff's alpha (any number, missing labels allowed) and
F1 between annotators; modality and bearer kappa and alpha.

Adjudications are not an annotator, nor is a merged file's "alice+bob" (a label its readers
agreed on, which would agree with each of them), and a passage any annotator marked as a
fragment is counted apart: the scheme leaves fragments unlabelled.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import combinations

import numpy as np

from .annotations import MERGED, is_reader, label_key
from .records import Annotation
from .scheme import load_scheme


def shared_units(records: Sequence[Annotation]) -> tuple[list[str], list[dict[str, Annotation]]]:
    """Annotators (in order of first appearance) and, per passage labelled by two or more of
    them, each one's label (an annotator's last label of a passage counts)."""
    annotators: list[str] = []
    by_text: dict[str, dict[str, Annotation]] = {}
    for record in records:
        if not is_reader(record.annotator):
            continue
        if record.annotator not in annotators:
            annotators.append(record.annotator)
        by_text.setdefault(record.text_sha256, {})[record.annotator] = record
    return annotators, [unit for unit in by_text.values() if len(unit) >= 2]


def agreement(records: Sequence[Annotation]) -> dict:
    """The agreement report of `ddlens annotate agreement`."""
    annotators, units = shared_units(records)
    n_fragment = sum(any(r.fragment for r in u.values()) for u in units)
    # a passage one reader calls a fragment and another labels is a disagreement too: counted
    fragment_disputed = sum(len({r.fragment for r in u.values()}) > 1 for u in units)
    fragment_all = n_fragment - fragment_disputed
    units = [u for u in units if not any(r.fragment for r in u.values())]
    first_two = annotators[:2]

    def measures(value: Callable[[Annotation], object], with_f1: bool = False) -> dict:
        out = {"kappa": _kappa(units, first_two, value), "alpha": _alpha(units, annotators, value)}
        if with_f1:
            out["f1"] = _pairwise_f1(units, annotators, value)
        return out

    per_label = {element: measures(lambda r, e=element: e in r.elements, with_f1=True)
                 for element in load_scheme().elements}
    for element, row in per_label.items():
        row["positives"] = sum(any(element in r.elements for r in u.values()) for u in units)
    exact = sum(len({label_key(r) for r in u.values()}) == 1 for u in units)
    return {
        "annotators": annotators, "kappa_pair": first_two,
        "merged_left_out": sorted({r.annotator for r in records if MERGED in r.annotator}), "n": len(units), "n_fragment_units": n_fragment,
        "fragment": {"all_agree": fragment_all, "disputed": fragment_disputed},
        "per_label": per_label, "modality": measures(lambda r: r.modality), "bearer": measures(lambda r: r.bearer),
        "exact": _round(exact / len(units)) if units else None,
    }


def _kappa(units: list[dict[str, Annotation]], pair: list[str], value: Callable) -> float | None:
    from sklearn.metrics import cohen_kappa_score

    if len(pair) < 2:
        return None
    shared = [u for u in units if pair[0] in u and pair[1] in u]
    x = [value(u[pair[0]]) for u in shared]
    y = [value(u[pair[1]]) for u in shared]
    if len(set(x) | set(y)) < 2:
        return None  # no variation: kappa is undefined
    return _round(cohen_kappa_score(x, y))


def _alpha(units: list[dict[str, Annotation]], annotators: list[str], value: Callable) -> float | None:
    """Krippendorff's alpha, nominal: annotators × units, NaN where one did not label."""
    import krippendorff

    codes: dict[object, int] = {}
    data = np.full((len(annotators), len(units)), np.nan)
    for j, unit in enumerate(units):
        for i, annotator in enumerate(annotators):
            if annotator in unit:
                data[i, j] = codes.setdefault(value(unit[annotator]), len(codes))
    if len(codes) < 2:
        return None  # one value throughout: alpha is undefined
    return _round(krippendorff.alpha(reliability_data=data, level_of_measurement="nominal"))


def _pairwise_f1(units: list[dict[str, Annotation]], annotators: list[str], value: Callable) -> float | None:
    """F1 between annotators, pooled over every pair on the passages both labelled (one
    annotator taken as reference; the measure is symmetric)."""
    both = either = 0
    for a, b in combinations(annotators, 2):
        for unit in units:
            if a in unit and b in unit:
                x, y = bool(value(unit[a])), bool(value(unit[b]))
                both += x and y
                either += x + y
    return _round(2 * both / either) if either else None


def _round(value) -> float | None:
    return None if value is None or np.isnan(value) else round(float(value), 3)
