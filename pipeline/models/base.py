"""The classifier interface every tier follows (scikit-learn's contract, labels.md's heads).

`__init__` only stores hyperparameters; `fit(texts, targets)` returns self and forgets any
earlier fit; learned state ends in `_`; `predict_proba(texts)` returns element scores in
`classes_` order (the scheme's) and modality/bearer distributions in `modality_classes_` /
`bearer_classes_` order; predicting before fitting raises NotFittedError. The base class
owns thresholds and turns scores into labels, so no tier re-implements them.
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..scheme import load_scheme


class NotFittedError(ModelError):
    def __init__(self, name: str) -> None:
        super().__init__(None, f"model {name!r} is not fitted: call fit() or load() first")


@dataclass
class Targets:
    """Gold labels for training: a binary element matrix in scheme order, and the heads."""

    elements: np.ndarray  # (n, n_elements) of 0/1
    modality: list[str]
    bearer: list[str]

    @classmethod
    def from_records(cls, records) -> "Targets":
        scheme = load_scheme()
        matrix = np.array([[e in r.elements for e in scheme.elements] for r in records], dtype=np.int8)
        return cls(matrix.reshape(len(records), len(scheme.elements)), [r.modality for r in records], [r.bearer for r in records])

    def subset(self, index) -> "Targets":
        return Targets(self.elements[index], [self.modality[i] for i in index], [self.bearer[i] for i in index])


@dataclass
class Probabilities:
    elements: np.ndarray  # (n, n_elements)
    modality: np.ndarray  # (n, 3)
    bearer: np.ndarray  # (n, 4)


class Classifier(ABC):
    """Base of the four tiers. Subclasses implement `_fit`, `_predict_proba`, `_explain`,
    `_save_state` and `_load_state`."""

    name: str = "base"
    registry_name: str = "ddlens.base.v0"
    threaded: bool = False  # inference already uses every core: no worker processes (classify_texts)

    def get_params(self) -> dict:
        signature = inspect.signature(type(self).__init__)
        return {p: getattr(self, p) for p in signature.parameters if p != "self"}

    @property
    def classes_(self) -> tuple[str, ...]:
        return load_scheme().elements

    @property
    def modality_classes_(self) -> tuple[str, ...]:
        return load_scheme().modality

    @property
    def bearer_classes_(self) -> tuple[str, ...]:
        return load_scheme().bearer

    def fit(self, texts: list[str], targets: Targets, groups: list[str] | None = None) -> "Classifier":
        self._fit(list(texts), targets, groups)
        self.thresholds_ = getattr(self, "thresholds_", None) or {e: 0.5 for e in self.classes_}
        self.fitted_ = True
        return self

    def predict_proba(self, texts: list[str]) -> Probabilities:
        self._check_fitted()
        if not texts:
            scheme = load_scheme()
            return Probabilities(np.zeros((0, len(scheme.elements))), np.zeros((0, 3)), np.zeros((0, 4)))
        return self._predict_proba(list(texts))

    def predict_labels(self, probs: Probabilities) -> list[dict]:
        """Labels from scores: elements over their tuned thresholds, the likeliest head values.

        A passage that imposes nothing (modality none) owes nothing (bearer none), so both heads
        decide that together: none when the mean of their two "none" probabilities is at least
        0.5, else each head's likeliest other value. (Letting modality alone decide, bearer
        following, lost 0.05 bearer macro-F1 in grouped CV; the joint vote also gained 0.01 on
        modality. Tuning the vote's 0.5 and an offset per value on the other four folds' scores
        did not pay: linear's out-of-fold modality / bearer 0.693 / 0.631 → 0.696 / 0.616 on
        5,913 passages, the offsets swinging from fold to fold.)"""
        self._check_fitted()
        m_none, b_none = self.modality_classes_.index("none"), self.bearer_classes_.index("none")
        none = (probs.modality[:, m_none] + probs.bearer[:, b_none]) / 2 >= 0.5
        modality = np.where(none, m_none, _likeliest_other(probs.modality, m_none))
        bearer = np.where(none, b_none, _likeliest_other(probs.bearer, b_none))
        hits = probs.elements >= np.array([self.thresholds_[e] for e in self.classes_])
        return [{"elements": [self.classes_[j] for j in np.flatnonzero(row)],
                 "modality": self.modality_classes_[m], "bearer": self.bearer_classes_[b]}
                for row, m, b in zip(hits, modality, bearer)]

    def explain(self, text: str, top: int = 5) -> dict[str, list[str]]:
        """Why each element scored: the patterns or terms behind it, strongest first."""
        return self.explain_many([text], top)[0]

    def explain_many(self, texts: list[str], top: int = 5) -> list[dict[str, list[str]]]:
        """`explain` for a batch: a tier can read the batch's features in one pass."""
        self._check_fitted()
        return self._explain(list(texts), top) if texts else []

    def save(self, folder: Path) -> None:
        self._check_fitted()
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "config.json").write_text(json.dumps({
            "registry_name": self.registry_name, "params": self.get_params(), "thresholds": self.thresholds_,
            "scheme_version": load_scheme().version, "labels": _label_order(),
        }, indent=2) + "\n")
        self._save_state(folder)

    @classmethod
    def load(cls, folder: Path | str) -> "Classifier":
        folder = Path(folder)
        config_path = folder / "config.json"
        if not config_path.is_file():
            raise ModelError(folder, "no saved model here (config.json missing): run `ddlens train`")
        config = json.loads(config_path.read_text())
        if config["registry_name"] != cls.registry_name:
            raise ModelError(folder, f"holds {config['registry_name']}, not {cls.registry_name}")
        # the outputs are columns in the scheme's label order: a model saved under another
        # order would put scores under the wrong labels (files saved before 2026-11-28 lack it)
        if config.get("labels", _label_order()) != _label_order():
            raise ModelError(folder, f"trained on the labels of scheme {config.get('scheme_version', '?')}, which differ "
                                     f"from the package's scheme {load_scheme().version}: run `ddlens train`")
        model = cls(**config["params"])
        model.thresholds_ = config["thresholds"]
        model._load_state(folder)
        model.fitted_ = True
        return model

    def _check_fitted(self) -> None:
        if not getattr(self, "fitted_", False):
            raise NotFittedError(self.name)

    @abstractmethod
    def _fit(self, texts: list[str], targets: Targets, groups: list[str] | None) -> None: ...

    @abstractmethod
    def _predict_proba(self, texts: list[str]) -> Probabilities: ...

    @abstractmethod
    def _explain(self, texts: list[str], top: int) -> list[dict[str, list[str]]]: ...

    def _save_state(self, folder: Path) -> None:
        """Tiers with learned weights write them here, in formats that cannot run code."""

    def _load_state(self, folder: Path) -> None:
        """Read back what `_save_state` wrote."""


def _label_order() -> dict[str, list[str]]:
    scheme = load_scheme()
    return {"elements": list(scheme.elements), "modality": list(scheme.modality), "bearer": list(scheme.bearer)}


def _likeliest_other(probs: np.ndarray, skip: int) -> np.ndarray:
    """Per row, the likeliest class other than column `skip`."""
    others = probs.copy()
    others[:, skip] = -1.0
    return np.argmax(others, axis=1)


def best_threshold(scores: np.ndarray, gold: np.ndarray) -> tuple[float, float]:
    """(threshold, F1) maximising F1 of `scores >= threshold` against 0/1 `gold`."""
    positives = gold.sum()
    if positives == 0:
        return 0.5, 1.0
    best, best_f1 = 0.5, -1.0
    for threshold in np.unique(np.round(scores, 3)):
        predicted = scores >= threshold
        tp = float((predicted & (gold == 1)).sum())
        f1 = 2 * tp / (predicted.sum() + positives) if predicted.sum() + positives else 0.0
        if f1 > best_f1 + 1e-9:
            best, best_f1 = float(threshold), f1
    return best, best_f1


MIN_F1 = 0.2


def usable(threshold: float, f1: float) -> float:
    """A label the held-out folds cannot find (F1 under MIN_F1) is not predicted at all: an
    analyst trusts an empty cell more than a column of false alarms."""
    return threshold if f1 >= MIN_F1 else 1.01
