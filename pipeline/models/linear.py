"""`linear`: word (1-2) and character (4-gram) TF-IDF (plus the rule tier's cue scores as features)
with one logistic regression per element, thresholds tuned on held-out folds, and
multinomial heads for modality and bearer. Fitting uses scikit-learn's vectorizers; new texts
go through their numpy twins (`FastTfidf`), which give the same matrix faster."""

from __future__ import annotations

import json
import re
from functools import cached_property
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

from ..errors import ModelError
from ..model_input import unframe
from .heads import HeadsClassifier
from .ngrams import FastTfidf
from .rules import rule_features


class LinearClassifier(HeadsClassifier):
    name = "linear"
    registry_name = "ddlens.linear.v1"

    def __init__(self, c: float = 4.0, use_rules: bool = True, max_features: int = 20000, seed: int = 13) -> None:
        self.c = c
        self.use_rules = use_rules
        self.max_features = max_features
        self.seed = seed

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

    @cached_property
    def _names(self) -> tuple[np.ndarray, int]:
        """The n-gram feature names once (asking the vectorizers per passage took most of an
        explanation's time), with the width of the word block before the character block."""
        words = self.word_.get_feature_names_out()
        return np.concatenate([words, self.char_.get_feature_names_out()]), len(words)

    def _explain(self, texts: list[str], top: int) -> list[dict[str, list[str]]]:
        """Per element: what in a text pushes its score up most (weight × feature value),
        as an analyst can find it: a word or word pair as it is, a character 4-gram as the
        word of the text it comes from, a rule feature as the cues that fired; a term found
        only in the article's title, or the part marker, says so. The batch's features are
        read in one pass."""
        X = self._features(texts)
        return [self._reasons(text, X[i], top) for i, text in enumerate(texts)]

    def _reasons(self, text: str, X, top: int) -> dict[str, list[str]]:
        names, n_words = self._names
        cues: dict[str, list[str]] = {}
        for element, cue in self._rules.fired(text):
            cues.setdefault(element, []).append(cue)
        own = unframe(text)[1]
        heads = [f"modality: {m}" for m in self.modality_classes_] + [f"bearer: {b}" for b in self.bearer_classes_]
        reader = _Terms(own.lower(), text.lower(), names, n_words, self.classes_, heads, cues)
        out: dict[str, list[str]] = {}
        for j, (element, model) in enumerate(zip(self.classes_, self.heads_.elements)):
            if isinstance(model, float):
                continue
            if isinstance(model, int):  # scored by the rules tier's cues
                terms = reader.rule(j, element)
            else:
                contrib = X.data * model.coef_[0][X.indices]
                terms = []
                for k in np.argsort(-contrib):
                    if contrib[k] <= 0 or len(terms) >= top:
                        break
                    terms += [t for t in reader.term(int(X.indices[k]), element) if t not in terms]
            if terms:
                out[element] = terms[:top]
        return out

    def _save_state(self, folder: Path) -> None:
        """Vocabularies and idf weights as JSON (skops would spell out 40k dict entries in
        ~19 MB of schema); the logistic regressions via skops."""
        import gzip

        vocab = {name: {"vocabulary": {t: int(i) for t, i in vec.vocabulary_.items()}, "idf": vec.idf_.tolist()}
                 for name, vec in (("word", self.word_), ("char", self.char_))}
        with gzip.open(folder / "vocabulary.json.gz", "wt", encoding="utf-8") as handle:
            json.dump(vocab, handle)
        super()._save_state(folder)

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
        super()._load_state(folder)


_PUNCT = ".,;:()[]{}\"'“”‘’⟦⟧"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's token_pattern


class _Terms:
    """Feature indices of one framed text → the words an analyst can find in it."""

    def __init__(self, own: str, framed: str, names: np.ndarray, n_words: int, elements: tuple[str, ...],
                 heads: list[str], cues: dict[str, list[str]]) -> None:
        self.names, self.n_words, self.elements, self.heads, self.cues = names, n_words, elements, heads, cues
        self.words = framed.split()  # as char_wb splits: its 4-grams never cross whitespace
        tokens = _TOKEN.findall(own)  # as the word vectorizer splits
        # what the passage's own words hold: its tokens and token pairs, its whitespace words
        self.own = {*tokens, *map(" ".join, zip(tokens, tokens[1:])), *(w.strip(_PUNCT) for w in own.split())}

    def term(self, index: int, element: str) -> list[str]:
        if index >= len(self.names):
            return self.rule(index - len(self.names), element)
        name = str(self.names[index])
        if name.startswith("part_"):
            return [f"(part: {name[5:]})"]
        if index >= self.n_words:  # a character 4-gram, padded with a space at a word's edge
            gram = name.strip()
            name = next((w.strip(_PUNCT) for w in self.words if name in f" {w} "), gram)
        if ENGLISH_STOP_WORDS.issuperset(name.split()):
            return []  # "and", "of the": weighed by the model, telling an analyst nothing
        return [name if name in self.own else f"{name} (title)"]

    def rule(self, column: int, element: str) -> list[str]:
        """A rule feature: the cues behind an element's cue score (naming that element when
        it is not the one explained), or the rules tier's modality or bearer guess."""
        if column < len(self.elements):
            of = self.elements[column]
            return [f"cue: {cue}" + ("" if of == element else f" ({of.replace('_', ' ')})")
                    for cue in self.cues.get(of, [])]
        return [f"rules' {self.heads[column - len(self.elements)]}"]
