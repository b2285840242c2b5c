"""Passages by their words: every passage of a run whose text or title holds a query, cited
as the matrix's evidence is, with the classifier's reading beside it.

A scholar's first question is often a word before it is an element ("which acts say
'state of the art'?", "who must notify within 24 hours?"), and the answer must come with
the citations a footnote needs. The query is read as a search box reads it:

- words match whole words, case aside, and their plural ("infrastructure" finds
  "infrastructures"; "notify" is not "notifying": "notif*" is any ending);
- "quoted phrases" (straight or curly quotes) match with any spacing or hyphen between their
  words, or none ("cyber security" finds "cyber-security" and "cybersecurity", "state of the
  art" NIS2's "state-of-the-art"); an apostrophe matches a curly one;
- every term must occur; `OR` between two terms takes either, and `-term` leaves out the
  passages that hold it;
- in Japanese or Chinese, where no spaces part words, a term matches wherever it occurs.

`regex` takes one Python regular expression instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .matrix import Cited, Filters, RunData, check_element, check_filters, cited, printed_pages

SNIPPET_CHARS = 240
_TOKEN = re.compile(r'"([^"]*)"?|“([^”]*)”?|(\S+)')
_UNSPACED = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")  # kana, CJK, hangul
_APOSTROPHE = "['’]"


@dataclass(frozen=True)
class Query:
    """Terms a passage must hold (each one of its alternatives, joined by OR) and terms it must not."""

    required: tuple[tuple[re.Pattern, ...], ...]
    excluded: tuple[re.Pattern, ...] = ()

    def holds(self, text: str) -> bool:
        return (all(any(p.search(text) for p in group) for group in self.required)
                and not any(p.search(text) for p in self.excluded))

    def spans(self, text: str) -> list[tuple[int, int]]:
        """Where the required terms occur, in order: what a table highlights."""
        return sorted(m.span() for group in self.required for p in group for m in p.finditer(text) if m.end() > m.start())


def parse_query(query: str, regex: bool = False) -> Query:
    """A query as the module's note reads it; an empty one or a broken expression is an
    error saying so."""
    if not query.strip():
        raise ValueError("an empty query: give words, a \"quoted phrase\" or, with --regex, an expression")
    if regex:
        try:
            return Query(((re.compile(query, re.IGNORECASE),),))
        except re.error as exc:
            raise ValueError(f"--regex {query!r}: {exc}") from exc
    required: list[list[re.Pattern]] = []
    excluded: list[re.Pattern] = []
    either = False
    for match in _TOKEN.finditer(query):
        phrase = match.group(1) if match.group(1) is not None else match.group(2)
        word = match.group(3)
        if word == "OR" and required:
            either = True
            continue
        negative = phrase is None and word.startswith("-") and len(word) > 1
        term = phrase if phrase is not None else word[1:] if negative else word
        if not re.search(r"\w", term):
            continue
        pattern = re.compile(_term(term), re.IGNORECASE)
        if negative:
            excluded.append(pattern)
        elif either:
            required[-1].append(pattern)
        else:
            required.append([pattern])
        either = False
    if not required:
        raise ValueError(f"{query!r}: no word to look for")
    return Query(tuple(map(tuple, required)), tuple(excluded))


def _term(term: str) -> str:
    """A word or a phrase as a pattern (see the module's note)."""
    words = [w for w in re.split(r"[\s\-‐‑]+", term.strip()) if w]
    parts = []
    for i, word in enumerate(words):
        stem, open_end = word.rstrip("*"), word.endswith("*")
        part = re.sub("['’]", lambda _: _APOSTROPHE, re.escape(stem))
        if open_end:
            part += r"\w*"
        elif i == len(words) - 1 and stem[-1:].isalpha() and not _UNSPACED.match(stem[-1]):
            part = part[:-1] + "(?:y|ies)" if stem.endswith("y") else part + "(?:e?s)?"
        parts.append(part)
    pattern = r"[\s\-‐‑]*".join(parts)
    head = "" if _UNSPACED.match(words[0][0]) else r"(?<!\w)"
    tail = "" if words[-1].endswith("*") or _UNSPACED.match(words[-1].rstrip("*")[-1:] or "a") else r"(?!\w)"
    return head + pattern + tail


@dataclass(frozen=True)
class Hit(Cited):
    """One passage that holds the query, citable as it stands."""

    heading: str
    in_heading: bool  # the first term occurs in the passage's title, not its text
    spans: list[tuple[int, int]]  # where the terms occur in the text (or, `in_heading`, the title)
    elements: list[str] = field(default_factory=list)  # the classifier's, where the run is classified
    modality: str = ""
    bearer: str = ""

    @property
    def shown(self) -> str:
        """The string the spans point into."""
        return self.heading if self.in_heading else self.text

    def snippet(self, chars: int = SNIPPET_CHARS) -> list[tuple[str, bool]]:
        """The shown string around the first term, cut at words, as (piece, is a match) pieces."""
        shown, (start, end) = self.shown, self.spans[0]
        room = max(chars - (end - start), 0)
        left = max(start - room // 3, 0)
        right = min(end + room - (start - left), len(shown))
        if left > 0:
            left = min(shown.find(" ", left) + 1 or left, start)
        if right < len(shown):
            right = max(shown.rfind(" ", end, right), end)
        pieces, at = [], left
        for a, b in self.spans:
            if a < at or b > right:
                continue
            pieces += [(shown[at:a], False), (shown[a:b], True)]
            at = b
        pieces.append((shown[at:right], False))
        return [("… ", False)] * (left > 0) + pieces + [(" …", False)] * (right < len(shown))

    def to_dict(self) -> dict:
        first = self.spans[0]
        return {**super().to_dict(), "spans": [list(s) for s in self.spans], "matched": self.shown[first[0]:first[1]]}


def search(run: RunData, query: Query, filters: Filters = Filters(), element: str | None = None) -> list[Hit]:
    """Every passage of the kept documents whose text, or title and text, holds `query`, in
    document order (by jurisdiction, then document); with `element`, only those the classifier
    tags with it."""
    check_filters(run, filters)
    if element is not None:
        check_element(element)
    printed = printed_pages(run)
    hits = []
    for passage in run.passages:
        doc = run.documents.get(passage.doc_id)
        if doc is None or not filters.keeps(doc):
            continue
        heading = passage.heading or ""
        if not query.holds(f"{heading}\0{passage.text}"):  # (no phrase runs from title into text)
            continue
        prediction = run.predictions.get(passage.id)
        if element is not None and (prediction is None or element not in prediction.elements):
            continue
        spans = query.spans(passage.text)
        in_heading = not spans
        hits.append(Hit(
            **cited(run, passage, printed), heading=heading, in_heading=in_heading, spans=query.spans(heading) if in_heading else spans,
            elements=list(prediction.elements) if prediction else [],
            modality=prediction.modality if prediction else "", bearer=prediction.bearer if prediction else "",
        ))
    order = {doc_id: i for i, doc_id in enumerate(sorted(run.documents, key=lambda d: (run.documents[d]["jurisdiction"], d)))}
    return sorted(hits, key=lambda h: order[h.doc_id])  # stable: passages keep their order in a document
