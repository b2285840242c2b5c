"""Logistic-regression heads shared by the `linear` and `encoder` tiers: one binary model
per element with its threshold tuned on held-out folds, and multinomial heads for modality
and bearer. Saved and loaded with skops (no pickle), trusting only skops's own defaults."""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
from scipy.special import expit

from ..errors import ModelError
from .base import MIN_F1, Classifier, Probabilities, Targets, best_threshold, usable
from .rules import RULE_FEATURES, CueIndex


@dataclass
class Heads:
    elements: list  # per element: a fitted LogisticRegression, a float (constant score) or an int (a rule-score column)
    modality: object
    bearer: object


def fit_heads(X, targets: Targets, groups: list[str] | None, classes: tuple[str, ...], c: float, seed: int,
              modality_classes: tuple[str, ...], bearer_classes: tuple[str, ...],
              rules_last: bool = False) -> tuple[Heads, dict[str, float]]:
    """Fit the heads on all rows; tune element thresholds on out-of-fold scores (grouped by
    document when groups are given, so a threshold is never tuned on its own training rows).

    With `rules_last` (X ends with the rules tier's features, element cue scores first), an element
    the learned head cannot find out of fold (F1 under MIN_F1: too few examples, such as good
    faith) is scored by the untrained cue score instead when that does better: the column
    index is its head. (Letting the cue score replace any weaker head was tried and lost:
    territoriality fell from 0.50 to 0.35 in grouped CV.)"""
    heads = _fit(X, targets, c, seed, modality_classes, bearer_classes)
    folds = _folds(len(targets.modality), groups, seed)
    if not folds:
        return heads, {e: 0.5 for e in classes}
    oof = np.zeros(targets.elements.shape)
    for train, test in folds:
        part = _fit(X[train], targets.subset(train), c, seed, modality_classes, bearer_classes)
        oof[test] = predict_heads(part, X[test], modality_classes, bearer_classes).elements
    first_rule = X.shape[1] - RULE_FEATURES
    thresholds = {}
    for j, element in enumerate(classes):
        threshold, f1 = best_threshold(oof[:, j], targets.elements[:, j])
        if rules_last and f1 < MIN_F1:
            rule_threshold, rule_f1 = best_threshold(_column(X, first_rule + j), targets.elements[:, j])
            if rule_f1 > f1:
                heads.elements[j], threshold, f1 = first_rule + j, rule_threshold, rule_f1
        thresholds[element] = usable(threshold, f1)
    return heads, thresholds


def _column(X, j: int) -> np.ndarray:
    column = X[:, j]
    return np.asarray(column.toarray() if hasattr(column, "toarray") else column).ravel()


def _folds(n: int, groups: list[str] | None, seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    from sklearn.model_selection import GroupKFold, KFold

    if n < 12:
        return []
    if groups is not None and len(set(groups)) >= 3:
        return list(GroupKFold(n_splits=min(4, len(set(groups)))).split(np.zeros(n), groups=groups))
    return list(KFold(n_splits=3, shuffle=True, random_state=seed).split(np.zeros(n)))


def _fit(X, targets: Targets, c: float, seed: int, modality_classes, bearer_classes) -> Heads:
    from sklearn.linear_model import LogisticRegression

    def model(y):
        if len(set(y)) < 2:
            return float(np.mean(y))  # a label with one class in training: a constant score
        return LogisticRegression(C=c, class_weight="balanced", solver="liblinear", max_iter=2000,
                                  random_state=seed).fit(X, y)

    elements = [model(targets.elements[:, j]) for j in range(targets.elements.shape[1])]
    return Heads(elements, _multi(X, targets.modality, c, seed), _multi(X, targets.bearer, c, seed))


def _multi(X, y: list[str], c: float, seed: int):
    from sklearn.linear_model import LogisticRegression

    if len(set(y)) < 2:
        return y[0]
    return LogisticRegression(C=c, class_weight="balanced", max_iter=2000, random_state=seed).fit(X, y)


def predict_heads(heads: Heads, X, modality_classes: tuple[str, ...], bearer_classes: tuple[str, ...]) -> Probabilities:
    n = X.shape[0]
    elements = np.zeros((n, len(heads.elements)))
    learned = [j for j, model in enumerate(heads.elements) if not isinstance(model, (int, float))]
    if learned:
        # one product for all element models: each one's predict_proba is expit(X·w + b)
        weights = np.vstack([heads.elements[j].coef_ for j in learned])
        intercepts = np.array([heads.elements[j].intercept_[0] for j in learned])
        elements[:, learned] = expit(np.asarray(X @ weights.T) + intercepts)
    for j, model in enumerate(heads.elements):
        if isinstance(model, float):
            elements[:, j] = model  # one class in training: a constant
        elif isinstance(model, int):
            elements[:, j] = _column(X, model)  # the rules tier's cue score (see fit_heads)
    return Probabilities(elements, _dist(heads.modality, X, modality_classes), _dist(heads.bearer, X, bearer_classes))


def _dist(model, X, classes: tuple[str, ...]) -> np.ndarray:
    out = np.zeros((X.shape[0], len(classes)))
    if isinstance(model, str):
        out[:, classes.index(model)] = 1.0
        return out
    probs = model.predict_proba(X)
    for k, label in enumerate(model.classes_):
        out[:, classes.index(label)] = probs[:, k]
    return out


def save_skops(obj, path: Path) -> None:
    import skops.io as sio

    sio.dump(obj, path)


def load_skops(path: Path):
    """Load a skops file trusting only what skops trusts by default (estimators such as
    LogisticRegression, numpy arrays, builtin containers and numbers): our heads need nothing
    else, and trusting a whole prefix would let `builtins.eval` or a numpy function in."""
    import skops.io as sio

    if not path.is_file():
        raise ModelError(path, "model file missing: run `ddlens train`")
    untrusted = sio.get_untrusted_types(file=path)
    if untrusted:
        raise ModelError(path, f"refusing to load types skops does not trust by default: {untrusted}")
    return sio.load(path)


class HeadsClassifier(Classifier):
    """A tier whose features (ending with the rule cues when `use_rules`) feed the heads
    above: it gives `_features`, `c`, `seed`, `use_rules` and the file the heads go in."""

    heads_file = "heads.skops"
    c: float
    seed: int
    use_rules: bool

    @cached_property
    def _rules(self) -> CueIndex:
        return CueIndex()

    @abstractmethod
    def _features(self, texts: list[str], fit: bool = False): ...

    def _fit(self, texts: list[str], targets: Targets, groups: list[str] | None) -> None:
        self.heads_, self.thresholds_ = fit_heads(
            self._features(texts, fit=True), targets, groups, self.classes_, self.c, self.seed,
            self.modality_classes_, self.bearer_classes_, rules_last=self.use_rules)

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        return predict_heads(self.heads_, self._features(texts), self.modality_classes_, self.bearer_classes_)

    def _save_state(self, folder: Path) -> None:
        save_skops({"elements": self.heads_.elements, "modality": self.heads_.modality,
                    "bearer": self.heads_.bearer}, folder / self.heads_file)

    def _load_state(self, folder: Path) -> None:
        state = load_skops(folder / self.heads_file)
        self.heads_ = Heads(state["elements"], state["modality"], state["bearer"])
