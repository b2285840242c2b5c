"""Passages by their words: every passage of a run whose text holds a query, cited as the
matrix's evidence is, with the classifier's reading beside it.

A scholar's first question is often a word before it is an element ("which acts say
'state of the art'?", "who must notify within 24 hours?"), and the answer must come with
the citations a footnote needs. Words match whole words, case aside ("notify" is not
"notifying"; "notif*" is any ending), "quoted phrases" match as written with any spacing or hyphens ("state of the art" finds
"state-of-the-art"),
and every term must occur; `regex` takes one Python regular expression instead.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import asdict, dataclass, field

from .matrix import Filters, RunData, check_element, check_filters, printed_pages, reference

SNIPPET_CHARS = 240


@dataclass(frozen=True)
class Hit:
    """One passage that holds the query, citable as it stands."""

    passage_id: str
    doc_id: str
    jurisdiction: str
    title: str
    year: int | None
    doc_kind: str
    citation: str
    pages: str
    text: str
    match: tuple[int, int]  # where in `text` the first term first occurs
    elements: list[str] = field(default_factory=list)  # the classifier's, where the run is classified
    modality: str = ""
    bearer: str = ""

    @property
    def reference(self) -> str:
        return reference(self.title, self.doc_id, self.year, self.citation, self.pages)

    def snippet(self, chars: int = SNIPPET_CHARS) -> tuple[str, str, str]:
        """(before, match, after): the text around the first match, cut at words."""
        start, end = self.match
        room = max(chars - (end - start), 0)
        left = max(start - room // 3, 0)
        right = min(end + room - (start - left), len(self.text))
        before = self.text[left:start]
        after = self.text[end:right]
        if left > 0:
            before = "… " + before.split(" ", 1)[-1]
        if right < len(self.text):
            after = after.rsplit(" ", 1)[0] + " …"
        return before, self.text[start:end], after

    def to_dict(self) -> dict:
        return {**asdict(self), "match": list(self.match), "matched": self.text[slice(*self.match)],
                "reference": self.reference}


def query_patterns(query: str, regex: bool = False) -> list[re.Pattern]:
    """The patterns every one of which a passage must hold; an empty query or a broken
    expression is an error saying so."""
    if not query.strip():
        raise ValueError("an empty query: give words, a \"quoted phrase\" or, with --regex, an expression")
    if regex:
        try:
            return [re.compile(query, re.IGNORECASE)]
        except re.error as exc:
            raise ValueError(f"--regex {query!r}: {exc}") from exc
    try:
        terms = shlex.split(query)
    except ValueError as exc:  # an unclosed quote
        raise ValueError(f"{query!r}: {exc}") from exc
    return [re.compile(_term(t), re.IGNORECASE) for t in terms if t.strip()]


def _term(term: str) -> str:
    """A word or a phrase as a pattern: whole words, any spacing between them, a final `*`
    for any ending."""
    words = term.replace("-", " ").split()
    pattern = r"[\s\-\u2010\u2011]+".join(re.escape(w.rstrip("*")) + (r"\w*" if w.endswith("*") else "") for w in words)
    return rf"(?<!\w){pattern}" + ("" if words[-1].endswith("*") else r"(?!\w)")


def search(run: RunData, patterns: list[re.Pattern], filters: Filters = Filters(), element: str | None = None) -> list[Hit]:
    """Every passage of the kept documents that holds all `patterns`, in document order
    (by jurisdiction, then document); with `element`, only those the classifier tags with it."""
    check_filters(run, filters)
    if element is not None:
        check_element(element)
    printed = printed_pages(run)
    hits = []
    for passage in run.passages:
        doc = run.documents.get(passage.doc_id)
        if doc is None or not filters.keeps(doc):
            continue
        first = patterns[0].search(passage.text)
        if first is None or not all(p.search(passage.text) for p in patterns[1:]):
            continue
        prediction = run.predictions.get(passage.id)
        if element is not None and (prediction is None or element not in prediction.elements):
            continue
        hits.append(Hit(
            passage_id=passage.id, doc_id=passage.doc_id, jurisdiction=doc["jurisdiction"],
            title=doc.get("title", passage.doc_id), year=doc.get("year"), doc_kind=doc["kind"],
            citation=run.citations[passage.id], pages=printed(passage), text=passage.text, match=first.span(),
            elements=list(prediction.elements) if prediction else [],
            modality=prediction.modality if prediction else "", bearer=prediction.bearer if prediction else "",
        ))
    order = {doc_id: i for i, doc_id in enumerate(sorted(run.documents, key=lambda d: (run.documents[d]["jurisdiction"], d)))}
    return sorted(hits, key=lambda h: order[h.doc_id])  # stable: passages keep their order in a document
