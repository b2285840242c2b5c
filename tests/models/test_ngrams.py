"""The numpy twin of TfidfVectorizer.transform gives scikit-learn's matrix, on real labelled
passages (many languages, odd whitespace) and on edge cases."""

import json
from pathlib import Path

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer

from pipeline.models.ngrams import FastTfidf

LABELS = Path(__file__).resolve().parents[2] / "annotations" / "labels"
EDGES = ["", " ", "x", "ab", "a b c", "\ta\t", "a\u00a0b  c\td\n\ne", "\u3000x\u2009yy zzz\x1c q", "İstanbul İİ",
         "text_with_underscore, §5(1)(aa) — ‘quoted’", "日本語の文章 and Ελληνικά", "a" * 5000]


@pytest.fixture(scope="module")
def texts() -> list[str]:
    seen = {json.loads(line)["text"] for path in sorted(LABELS.glob("*.jsonl")) for line in path.open() if line.strip()}
    return sorted(seen)


@pytest.mark.parametrize("vectorizer", [
    TfidfVectorizer(ngram_range=(1, 2), min_df=2, sublinear_tf=True, max_features=20000),
    TfidfVectorizer(ngram_range=(1, 1)),
    TfidfVectorizer(analyzer="char_wb", ngram_range=(4, 4), min_df=3, sublinear_tf=True, max_features=20000),
    TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 3), use_idf=False),
], ids=["word12", "word1", "char4", "char3-noidf"])
def test_same_matrix_as_scikit_learn(texts, vectorizer):
    assert len(texts) > 1500
    train, test = texts[::2], texts[1::2] + EDGES
    vectorizer.fit(train + EDGES[-4:])
    expected, got = vectorizer.transform(test), FastTfidf(vectorizer).transform(test)
    assert got.shape == expected.shape
    assert got.nnz == expected.nnz
    assert np.abs((got - expected).toarray()).max() < 1e-12


def test_refuses_what_it_does_not_cover():
    for vectorizer in (TfidfVectorizer(analyzer="char", ngram_range=(4, 4)), TfidfVectorizer(ngram_range=(1, 3)),
                       TfidfVectorizer(lowercase=False), TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5)),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(5, 5)),
                       TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 2))):
        with pytest.raises(ValueError, match="does not cover"):
            FastTfidf(vectorizer.fit(["some text here", "more text there"]))
