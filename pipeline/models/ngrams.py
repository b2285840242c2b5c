"""A fitted TfidfVectorizer's transform, vectorised with numpy: the same matrix as
scikit-learn's for the two analyzers the linear tier uses (word 1-2-grams, char_wb n-grams).

scikit-learn builds n-grams and looks each one up in a Python loop, which was 60% of the linear
tier's classification time. Here a batch's n-grams become integer keys (token ids for words,
packed character ids for characters) and are matched against the vocabulary by hash lookup,
so the Python work left is one regex `findall` per text for words and one `lower` for characters."""

from __future__ import annotations

import re
from itertools import repeat

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.preprocessing import normalize

_BITS = 16  # bits per character id in a packed character n-gram
_WHITESPACE = [c for c in range(0x3001) if chr(c).isspace()]  # none lies above U+3000


class FastTfidf:
    """Transform-only twin of a fitted `TfidfVectorizer` (analyzer "word" with ngram_range
    (1, 1) or (1, 2), or "char_wb" with a single n of 3 or 4), with lowercase, sublinear tf and l2 norm
    as configured there."""

    def __init__(self, vectorizer) -> None:
        self.analyzer = vectorizer.analyzer
        low, high = vectorizer.ngram_range
        if not vectorizer.lowercase or vectorizer.strip_accents or vectorizer.norm != "l2" or (
                self.analyzer == "word" and (low != 1 or high > 2)) or (
                self.analyzer == "char_wb" and (low != high or not 3 <= high <= 64 // _BITS)) or self.analyzer not in ("word", "char_wb"):
            raise ValueError(f"FastTfidf does not cover this vectorizer: {vectorizer!r}")
        self.n = high
        self.sublinear = vectorizer.sublinear_tf
        self.idf = np.asarray(vectorizer.idf_, dtype=np.float64) if vectorizer.use_idf else None
        self.width = len(vectorizer.vocabulary_)
        terms = sorted(vectorizer.vocabulary_.items(), key=lambda item: item[1])
        if self.analyzer == "word":
            self._index_words([t for t, _ in terms], np.array([i for _, i in terms], dtype=np.int64),
                              re.compile(vectorizer.token_pattern))
        else:
            self._index_chars([t for t, _ in terms], np.array([i for _, i in terms], dtype=np.int64))

    def transform(self, texts: list[str]) -> csr_matrix:
        docs, features = self._words(texts) if self.analyzer == "word" else self._chars(texts)
        counts = csr_matrix((np.ones(len(docs)), (docs, features)), shape=(len(texts), self.width))
        counts.sum_duplicates()
        data = counts.data
        if self.sublinear:
            data = np.log(data) + 1.0
        if self.idf is not None:
            data = data * self.idf[counts.indices]
        return normalize(csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape), copy=False)

    # word n-grams: tokens → ids in the vocabulary's token list; bigrams as id pairs

    def _index_words(self, terms: list[str], columns: np.ndarray, pattern: re.Pattern[str]) -> None:
        self._pattern = pattern
        parts = [t.split(" ") for t in terms]
        self._tokens = {tok: i for i, tok in enumerate(sorted({tok for p in parts for tok in p}))}
        tokens = self._tokens
        self._unigram = np.full(len(tokens) + 1, -1, dtype=np.int64)  # last slot: unknown token
        self._tokcount = np.int64(len(tokens) + 1)
        bigram_keys, bigram_cols = [], []
        ids = [tokens[tok] for p in parts for tok in p]
        offset = 0
        for p, column in zip(parts, columns):
            if len(p) == 1:
                self._unigram[ids[offset]] = column
            else:
                bigram_keys.append(ids[offset] * self._tokcount + ids[offset + 1])
                bigram_cols.append(column)
            offset += len(p)
        self._bigrams = _Index(np.asarray(bigram_keys, dtype=np.int64), np.asarray(bigram_cols, dtype=np.int64))

    def _words(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        findall = self._pattern.findall
        per_doc = [findall(t.lower()) for t in texts]
        lengths = np.fromiter(map(len, per_doc), dtype=np.int64, count=len(texts))
        tokens = [tok for doc in per_doc for tok in doc]
        ids = np.fromiter(map(self._tokens.get, tokens, repeat(self._tokcount - 1)), dtype=np.int64, count=len(tokens))
        doc_of = np.repeat(np.arange(len(texts)), lengths)
        uni = self._unigram[ids]
        keep = uni >= 0
        docs, features = [doc_of[keep]], [uni[keep]]
        if self.n == 2 and len(ids) > 1:
            same_doc = doc_of[1:] == doc_of[:-1]
            keys = ids[:-1] * self._tokcount + ids[1:]
            found, cols = self._bigrams.find(keys)
            hit = same_doc & found
            docs.append(doc_of[:-1][hit])
            features.append(cols[hit])
        return np.concatenate(docs), np.concatenate(features)

    # char_wb n-grams: every word padded with one space each side, n-grams inside it

    def _index_chars(self, terms: list[str], columns: np.ndarray) -> None:
        alphabet = sorted({ch for t in terms for ch in t})
        if len(alphabet) >= (1 << _BITS) - 1:
            raise ValueError("vocabulary too wide for packed character n-grams")
        unknown = (1 << _BITS) - 1
        self._char_ids = np.full(max(map(ord, alphabet)) + 2, unknown, dtype=np.uint64)  # last slot: beyond the alphabet
        self._char_ids[[ord(ch) for ch in alphabet]] = np.arange(1, len(alphabet) + 1)
        if " " not in alphabet:
            raise ValueError("char_wb vocabulary without padded n-grams")
        self._space = self._char_ids[ord(" ")]
        spaces = [c for c in _WHITESPACE if c < len(self._char_ids) - 1]
        self._char_ids[spaces] = self._space  # str.split() separates words at any of these
        keys = np.array([_pack([int(self._char_ids[ord(ch)]) for ch in t], self.n) for t in terms], dtype=np.uint64)
        self._char_index = _Index(keys, columns)

    def _chars(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        # the batch as " t1 t2 … " with every whitespace character read as a space: an n-gram
        # lies inside one space-padded word exactly when its inner characters are no spaces
        lowered = [t.lower() for t in texts]
        codes = np.frombuffer((" " + " ".join(lowered) + " ").encode("utf-32-le"), dtype=np.uint32)
        n = self.n
        if len(codes) < n:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        ends = np.cumsum(np.fromiter(map(len, lowered), dtype=np.int64, count=len(texts)) + 1)  # each text's trailing space
        ids = self._char_ids[np.minimum(codes, len(self._char_ids) - 1)]
        space = ids == self._space
        count = len(codes) - n + 1
        keys = np.zeros(count, dtype=np.uint64)
        inside = np.ones(count, dtype=bool)
        for k in range(n):
            keys = (keys << np.uint64(_BITS)) | ids[k : count + k]
            if 0 < k < n - 1:
                inside &= ~space[k : count + k]
        starts = [np.flatnonzero(inside)]
        grams = [keys[inside]]
        # a word shorter than n - 2 characters: its padded form is one (shorter) n-gram
        edge = np.diff(np.concatenate([[1], space.astype(np.int8), [1]]))
        run_start, run_end = np.flatnonzero(edge == -1), np.flatnonzero(edge == 1)
        short = run_end - run_start < n - 2
        if short.any():
            first, length = run_start[short] - 1, run_end[short] - run_start[short] + 2
            key = np.zeros(len(first), dtype=np.uint64)
            for k in range(n):
                part = np.where(k < length, ids[np.minimum(first + k, len(ids) - 1)], 0).astype(np.uint64)
                key = (key << np.uint64(_BITS)) | part
            starts.append(first)
            grams.append(key)
        found, cols = self._char_index.find(np.concatenate(grams))
        docs = np.searchsorted(ends, np.concatenate(starts) + 1, side="right")
        return docs[found], cols[found]


def _pack(ids: list[int], n: int) -> int:
    key = 0
    for k in range(n):
        key = (key << _BITS) | (ids[k] if k < len(ids) else 0)
    return key


class _Index:
    """Integer keys → vocabulary columns, by hash lookup (pandas' hash table)."""

    def __init__(self, keys: np.ndarray, columns: np.ndarray) -> None:
        import pandas as pd

        self._keys = pd.Index(keys)
        self._columns = columns

    def find(self, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(found mask, column) of each wanted key."""
        if not len(self._keys):
            return np.zeros(len(wanted), dtype=bool), np.zeros(len(wanted), dtype=np.int64)
        at = self._keys.get_indexer(wanted)
        found = at >= 0
        return found, self._columns[np.where(found, at, 0)]
