"""Sentence splitting that never breaks at legal abbreviations.

pysbd alone splits "Art. 21 para. 2" and "cf. Recital 12"; spaCy's sentencizer splits at
every full stop. A rule layer hides the full stop of legal abbreviations from pysbd and
puts it back afterwards. `legal_sentencizer` wraps the same splitter as a spaCy component
for users who work in spaCy; ingest calls `split_sentences` directly, without importing
spaCy.
"""

from __future__ import annotations

import re
from functools import lru_cache

_MASK = "\u2024"
_ENDS = (".", "!", "?", ";", ":", "。", "！", "？", '"', "”", "’", ")", "…")  # ONE DOT LEADER: looks like a full stop, is not one to pysbd
LEGAL_ABBREVIATIONS = (
    "Art", "Arts", "art", "arts", "para", "paras", "Para", "No", "Nos", "no", "nos", "p", "pp",
    "cf", "Cf", "e.g", "i.e", "Mr", "Mrs", "Ms", "Dr", "Corp", "Inc", "Ltd", "Co", "vol", "Vol",
    "sec", "Sec", "secs", "Reg", "Dir", "ch", "Ch", "al", "v", "vs", "ibid", "op", "viz",
    "approx", "Fig", "fig", "subpara", "lit", "St", "Nr", "nr", "čl", "Čl", "ods", "písm", "resp",
    "OJ", "U.S", "U.S.C", "seq", "incl", "excl", "min", "max", "Prof", "Gov", "Dept",
)
_ABBREV = re.compile(
    r"(?<![\w.])(" + "|".join(sorted((re.escape(a) for a in LEGAL_ABBREVIATIONS), key=len, reverse=True)) + r")\.(?=\s*[\w(§\d])"
)


@lru_cache(maxsize=16)
def _segmenter(language: str):
    import pysbd
    from pysbd.languages import LANGUAGE_CODES

    return pysbd.Segmenter(language=language if language in LANGUAGE_CODES else "en", clean=False)


def split_sentences(text: str, language: str = "en") -> list[str]:
    """Split text into sentences; the pieces joined with single spaces give back the text
    (modulo whitespace)."""
    masked = _ABBREV.sub(lambda m: m.group(1).replace(".", _MASK) + _MASK, text)
    segmenter = _segmenter(language)
    merged: list[str] = []
    pieces = (s.strip() for window in _windows(masked) for s in segmenter.segment(window))
    for piece in pieces:
        if not piece:
            continue
        # pysbd also breaks at list markers ("point (c) or (e)"): a piece that does not end
        # a sentence belongs with the next one
        if merged and not merged[-1].endswith(_ENDS):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return [p.replace(_MASK, ".") for p in merged]


_WINDOW = 3000
_SAFE_BREAK = re.compile(r"(?<=[.;!?])\s+(?=[A-Z(•\d])")


def _windows(text: str) -> list[str]:
    """Cut very long texts at sure sentence ends into windows of about 3,000 characters:
    pysbd's abbreviation pass is quadratic, and a table glued into one block took minutes."""
    if len(text) <= _WINDOW:
        return [text]
    windows: list[str] = []
    start = 0
    for match in _SAFE_BREAK.finditer(text):
        if match.start() - start >= _WINDOW:
            windows.append(text[start : match.start()])
            start = match.end()
    windows.append(text[start:])
    return windows


def legal_sentencizer(nlp, name: str = "ddlens_legal_sentencizer"):  # pragma: no cover - thin
    """Register (once) and add the legal sentencizer to a spaCy pipeline; returns the pipe."""
    from spacy.language import Language

    if not Language.has_factory("ddlens_legal_sentencizer"):

        @Language.factory("ddlens_legal_sentencizer", default_config={"language": "en"})
        def _make(nlp, name: str, language: str):
            return _LegalSentencizer(language)

    return nlp.add_pipe("ddlens_legal_sentencizer", name=name)


class _LegalSentencizer:
    """spaCy component: sets `is_sent_start` from `split_sentences`."""

    def __init__(self, language: str) -> None:
        self.language = language

    def __call__(self, doc):
        starts: set[int] = set()
        cursor = 0
        for sentence in split_sentences(doc.text, self.language):
            found = doc.text.find(sentence[:20], cursor)
            if found >= 0:
                starts.add(found)
                cursor = found + len(sentence)
        for token in doc:
            token.is_sent_start = token.i == 0 or token.idx in starts
        return doc
