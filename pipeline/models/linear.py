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
from ..model_input import PARTS, unframe
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
            word, char = self._vectorizers()
            blocks = [word.fit_transform(texts), char.fit_transform(texts)]
            # the terms cut by max_features are kept only for introspection (older
            # scikit-learn): dropping them keeps the saved model small
            for vectorizer in (word, char):
                if hasattr(vectorizer, "stop_words_"):
                    del vectorizer.stop_words_
            self._use(word, char)
        else:
            blocks = [vectorizer.transform(texts) for vectorizer in self.fast_]
        if self.use_rules:
            blocks.append(csr_matrix(rule_features(texts, self._rules)))
        return hstack(blocks).tocsr()

    def _use(self, word, char) -> None:
        """Take fitted (or loaded) vectorizers, forgetting the feature names read from any
        earlier ones: a refit after an explanation would otherwise name the old features."""
        self.word_, self.char_ = word, char
        self.fast_ = (FastTfidf(word), FastTfidf(char))
        self.__dict__.pop("_names", None)

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
        own_cues = self._rules.matches(unframe(text)[1])
        cues: dict[str, list[tuple[str, str, str]]] = {}  # element → (cue, "title" where it fired only there, words)
        for (element, cue), words in self._rules.matches(text).items():
            in_text = (element, cue) in own_cues
            cues.setdefault(element, []).append((cue, "" if in_text else "title", own_cues.get((element, cue), words)))
        heads = [f"modality: {m}" for m in self.modality_classes_] + [f"bearer: {b}" for b in self.bearer_classes_]
        reader = _Terms(text.lower(), names, n_words, self.classes_, heads, cues)
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
        vectorizers = self._vectorizers()
        for vec, name in zip(vectorizers, ("word", "char")):
            vec.vocabulary_ = vocab[name]["vocabulary"]
            vec.fixed_vocabulary_ = True
            vec.idf_ = np.asarray(vocab[name]["idf"])
        self._use(*vectorizers)
        super()._load_state(folder)


_PUNCT = ".,;:()[]{}\"'“”‘’⟦⟧"
_TOKEN = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's token_pattern


class _Terms:
    """Feature indices of one framed text → the words an analyst can find in it. A term is
    looked up in the passage's own words first, then in its title (and says so), and only
    then in the part marker, so a word the passage holds is never credited to its frame."""

    def __init__(self, framed: str, names: np.ndarray, n_words: int, elements: tuple[str, ...],
                 heads: list[str], cues: dict[str, list[tuple[str, str, str]]]) -> None:
        self.names, self.n_words, self.elements, self.heads, self.cues = names, n_words, elements, heads, cues
        self.part, own = unframe(framed)
        title = framed[: len(framed) - len(own)].removeprefix(f"part_{self.part} " if self.part else "")
        # whitespace words, as char_wb splits (its 4-grams never cross whitespace), by where they stand
        self.words = [(f" {w} ", w.strip(_PUNCT), where) for part, where in ((own, ""), (title, " (title)"))
                      for w in part.split() if w.strip(_PUNCT)]
        self.own, self.title = (_grams(_TOKEN.findall(part)) for part in (own, title))

    def term(self, index: int, element: str) -> list[str]:
        if index >= len(self.names):
            return self.rule(index - len(self.names), element)
        name = str(self.names[index])
        if index >= self.n_words:  # a character 4-gram, padded with a space at a word's edge
            return self._word_of(name)
        first, _, rest = name.partition(" ")
        if first.startswith("part_") and first[5:] in PARTS:  # the marker, alone or before a first word
            word = self._word(rest)
            return [f"(part: {first[5:]})" + (f" {word}" if word else "")]
        word = self._word(name)
        return [word] if word else []

    def _word(self, name: str) -> str:
        """A word or word pair as found: in the text, in the title, or across the two."""
        if not name or ENGLISH_STOP_WORDS.issuperset(name.split()):
            return ""  # "and", "of the": weighed by the model, telling an analyst nothing
        if name in self.own:
            return name
        return f"{name} (title)" if name in self.title else f"{name} (title, text)"

    def _word_of(self, gram: str) -> list[str]:
        for padded, word, where in self.words:
            if gram in padded:
                return [] if word in ENGLISH_STOP_WORDS else [word + where]
        return [f"(part: {self.part})"] if self.part and gram in f" part_{self.part} " else []

    def rule(self, column: int, element: str) -> list[str]:
        """A rule feature: the cues behind an element's cue score (naming that element when
        it is not the one explained, and the title where it fired only there), or the rules
        tier's modality or bearer guess."""
        if column < len(self.elements):
            of = self.elements[column]
            other = "" if of == element else of.replace("_", " ")
            terms = []
            for cue, title, words in self.cues.get(of, []):
                qualifiers = ", ".join(q for q in (other, title) if q)
                said = f' "{words}"' if words.lower() != cue else ""  # the words that fired, where the name is not them
                terms.append(f"cue: {cue}{said}" + (f" ({qualifiers})" if qualifiers else ""))
            return terms
        return [f"rules' {self.heads[column - len(self.elements)]}"]


def _grams(tokens: list[str]) -> set[str]:
    """Tokens and token pairs, as the word vectorizer builds them."""
    return {*tokens, *map(" ".join, zip(tokens, tokens[1:]))}
