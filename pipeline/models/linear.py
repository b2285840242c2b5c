"""`linear`: word (1-2) and character (4-gram) TF-IDF (plus the rule tier's cue scores as features)
with one logistic regression per element, thresholds tuned on held-out folds, and
multinomial heads for modality and bearer. Fitting uses scikit-learn's vectorizers; new texts
go through their numpy twins (`FastTfidf`), which give the same matrix faster."""

from __future__ import annotations

import json
from functools import cached_property
from pathlib import Path

import numpy as np

from ..errors import ModelError
from .base import Classifier, Probabilities, Targets
from .heads import Heads, fit_heads, load_skops, predict_heads, save_skops
from .ngrams import FastTfidf
from .rules import RULE_FEATURES, CueIndex, rule_features


class LinearClassifier(Classifier):
    name = "linear"
    registry_name = "ddlens.linear.v1"

    def __init__(self, c: float = 4.0, use_rules: bool = True, max_features: int = 20000, seed: int = 13) -> None:
        self.c = c
        self.use_rules = use_rules
        self.max_features = max_features
        self.seed = seed

    @cached_property
    def _rules(self) -> CueIndex:
        return CueIndex()

    def _vectorizers(self):
        from sklearn.feature_extraction.text import TfidfVectorizer

        return (TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=self.max_features),
                TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), min_df=3, sublinear_tf=True,
                                max_features=self.max_features))

    def _features(self, texts: list[str], fit: bool = False):
        from scipy.sparse import csr_matrix, hstack

        if fit:
            self.word_, self.char_ = self._vectorizers()
            blocks = [self.word_.fit_transform(texts), self.char_.fit_transform(texts)]
            # the terms cut by max_features are kept only for introspection (older
            # scikit-learn): dropping them keeps the saved model small
            for vectorizer in (self.word_, self.char_):
                if hasattr(vectorizer, "stop_words_"):
                    del vectorizer.stop_words_
            self.fast_ = (FastTfidf(self.word_), FastTfidf(self.char_))
        else:
            blocks = [vectorizer.transform(texts) for vectorizer in self.fast_]
        if self.use_rules:
            blocks.append(csr_matrix(rule_features(texts, self._rules)))
        return hstack(blocks).tocsr()

    def _fit(self, texts: list[str], targets: Targets, groups: list[str] | None) -> None:
        self.heads_, self.thresholds_ = fit_heads(
            self._features(texts, fit=True), targets, groups, self.classes_, self.c, self.seed,
            self.modality_classes_, self.bearer_classes_, rules_last=self.use_rules)

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        return predict_heads(self.heads_, self._features(texts), self.modality_classes_, self.bearer_classes_)

    def _explain(self, text: str, top: int) -> dict[str, list[str]]:
        """Per element: the terms of this text that push its score up most (weight × tf-idf)."""
        X = self._features([text])
        names = np.concatenate([self.word_.get_feature_names_out(), self.char_.get_feature_names_out(),
                                [f"rule:{i}" for i in range(RULE_FEATURES)] if self.use_rules else []])
        row = X.toarray()[0]
        out: dict[str, list[str]] = {}
        cues = {element: [cue for e, cue in self._rules.fired(text) if e == element] for element in self.classes_}
        for element, model in zip(self.classes_, self.heads_.elements):
            if isinstance(model, int):  # scored by the rules tier's cues
                if cues[element]:
                    out[element] = [f"rule:{cue}" for cue in cues[element][:top]]
                continue
            if isinstance(model, float):
                continue
            contrib = row * model.coef_[0]
            best = [i for i in np.argsort(-contrib)[:top] if contrib[i] > 0]
            if best:
                out[element] = [str(names[i]).strip() for i in best]
        return out

    def _save_state(self, folder: Path) -> None:
        """Vocabularies and idf weights as JSON (skops would spell out 40k dict entries in
        ~19 MB of schema); the logistic regressions via skops."""
        import gzip

        vocab = {name: {"vocabulary": {t: int(i) for t, i in vec.vocabulary_.items()}, "idf": vec.idf_.tolist()}
                 for name, vec in (("word", self.word_), ("char", self.char_))}
        with gzip.open(folder / "vocabulary.json.gz", "wt", encoding="utf-8") as handle:
            json.dump(vocab, handle)
        save_skops({"elements": self.heads_.elements, "modality": self.heads_.modality,
                    "bearer": self.heads_.bearer}, folder / "heads.skops")

    def _load_state(self, folder: Path) -> None:
        import gzip

        path = folder / "vocabulary.json.gz"
        if not path.is_file():
            raise ModelError(path, "vocabulary missing: run `ddlens train --model linear`")
        with gzip.open(path, "rt", encoding="utf-8") as handle:
            vocab = json.load(handle)
        self.word_, self.char_ = self._vectorizers()
        for vec, name in ((self.word_, "word"), (self.char_, "char")):
            vec.vocabulary_ = vocab[name]["vocabulary"]
            vec.fixed_vocabulary_ = True
            vec.idf_ = np.asarray(vocab[name]["idf"])
        self.fast_ = (FastTfidf(self.word_), FastTfidf(self.char_))
        state = load_skops(folder / "heads.skops")
        self.heads_ = Heads(state["elements"], state["modality"], state["bearer"])
