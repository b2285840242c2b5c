"""`linear`: word and character n-gram TF-IDF (plus the rule tier's cue scores as features)
with one logistic regression per element, thresholds tuned on held-out folds, and
multinomial heads for modality and bearer."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path

import numpy as np

from .base import Classifier, Probabilities, Targets
from .heads import Heads, fit_heads, load_skops, predict_heads, save_skops
from .rules import RulesClassifier


def rule_features(texts: list[str], rules: RulesClassifier | None = None) -> np.ndarray:
    """The rules tier's element scores and head distributions: 16 dense features."""
    rules = rules or RulesClassifier().fit([], None)  # type: ignore[arg-type]
    probs = rules.predict_proba(texts)
    return np.hstack([probs.elements, probs.modality, probs.bearer])


class LinearClassifier(Classifier):
    name = "linear"
    registry_name = "ddlens.linear.v1"

    def __init__(self, c: float = 4.0, use_rules: bool = True, max_features: int = 60000, seed: int = 13) -> None:
        self.c = c
        self.use_rules = use_rules
        self.max_features = max_features
        self.seed = seed

    @cached_property
    def _rules(self) -> RulesClassifier:
        return RulesClassifier().fit([], None)  # type: ignore[arg-type,return-value]

    def _features(self, texts: list[str], fit: bool = False):
        from scipy.sparse import csr_matrix, hstack
        from sklearn.feature_extraction.text import TfidfVectorizer

        if fit:
            self.word_ = TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=self.max_features)
            self.char_ = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), min_df=3, sublinear_tf=True,
                                         max_features=self.max_features)
            blocks = [self.word_.fit_transform(texts), self.char_.fit_transform(texts)]
        else:
            blocks = [self.word_.transform(texts), self.char_.transform(texts)]
        if self.use_rules:
            blocks.append(csr_matrix(rule_features(texts, self._rules)))
        return hstack(blocks).tocsr()

    def _fit(self, texts: list[str], targets: Targets, groups: list[str] | None) -> None:
        X = self._features(texts, fit=True)
        self.heads_, self.thresholds_ = fit_heads(
            X, targets, groups, self.classes_, self.c, self.seed, self.modality_classes_, self.bearer_classes_)

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        return predict_heads(self.heads_, self._features(texts), self.modality_classes_, self.bearer_classes_)

    def _explain(self, text: str, top: int) -> dict[str, list[str]]:
        """Per element: the terms of this text that push its score up most (weight × tf-idf)."""
        X = self._features([text])
        names = np.concatenate([self.word_.get_feature_names_out(), self.char_.get_feature_names_out(),
                                [f"rule:{i}" for i in range(16)] if self.use_rules else []])
        row = X.toarray()[0]
        out: dict[str, list[str]] = {}
        for element, model in zip(self.classes_, self.heads_.elements):
            if isinstance(model, float):
                continue
            contrib = row * model.coef_[0]
            best = [i for i in np.argsort(-contrib)[:top] if contrib[i] > 0]
            if best:
                out[element] = [str(names[i]).strip() for i in best]
        return out

    def _save_state(self, folder: Path) -> None:
        save_skops({"word": self.word_, "char": self.char_, "elements": self.heads_.elements,
                    "modality": self.heads_.modality, "bearer": self.heads_.bearer}, folder / "model.skops")

    def _load_state(self, folder: Path) -> None:
        state = load_skops(folder / "model.skops")
        self.word_, self.char_ = state["word"], state["char"]
        self.heads_ = Heads(state["elements"], state["modality"], state["bearer"])
