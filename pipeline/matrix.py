"""Coverage matrices: which jurisdictions (or documents) build in which due-diligence
element, at which level, and the passages that show it.

A passage supports an element when the classifier tagged it (its score passed the model's
tuned threshold) and the score reaches `min_score`. Its level follows from where it stands
and what it imposes; a cell takes the highest level among its passages.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field, replace
from functools import cached_property
from pathlib import Path

from .cite import cite_pages, cite_passages
from .errors import DdlensError
from .io import BadLine, iter_jsonl, missing_run_file, read_passages, read_predictions
from .records import BINDING_KINDS, Passage, Prediction
from .scheme import load_scheme

LEVELS = ("absent", "mentioned", "policy", "law:conduct", "law:result")
# an element the run's model never tags (its card's threshold is above 1: too few training
# examples to find it): its cells say nothing either way, and must not read "absent"
NOT_ASSESSED = "not assessed"
SHOWN_LEVELS = (NOT_ASSESSED,) + LEVELS  # in the order files and the report show them
LEVEL_MEANING = {
    NOT_ASSESSED: "The model behind the matrix never tags this element (too few training examples to "
                  "set a threshold): the cell says nothing either way. Read the documents.",
    "absent": "No passage supports the element.",
    "mentioned": "Only passages that impose nothing: recitals, titles, footnotes, closing "
                 "formulas, background, definitions (modality none).",
    "policy": "A commitment in a non-binding document (strategy, policy, guidance, standard).",
    "law:conduct": "A binding act (law, act, directive, regulation, decree, ordinance) imposes it "
                   "as an "
                   "obligation of conduct: best efforts, appropriate measures.",
    "law:result": "A binding act imposes it as an obligation of result: a specified outcome, "
                  "act or deadline.",
}
# passage kinds that never impose anything, whatever their wording
DECLARATORY_KINDS = frozenset({"recital", "title", "footnote", "closing"})
EVIDENCE_TEXT_CHARS = 1500


def cited_title(title: str | None, doc_id: str) -> str:
    """A document's title as a footnote cites it; a file ingested without metadata by its doc_id.
    A manifest's note on the copy read ("… - recitals and articles", "… - consolidated text as
    at 4 Nov 2025 …", in lower case) describes the file, not the act, and is left off; a part
    of the title itself ("National Cyber Security Policy - 2013 (MeitY)") stays."""
    name = title if title and title != "unknown" else doc_id
    head, dash, note = name.partition(" - ")
    return head if dash and note[:1].islower() else name


def reference(title: str | None, doc_id: str, year: int | None, citation: str, pages: str) -> str:
    """"Title (year), Article 21(2)(d), p. 12": what an analyst pastes into a footnote."""
    dated = f" ({year})" if year else ""
    return ", ".join(p for p in (f"{cited_title(title, doc_id)}{dated}", citation, pages) if p)


@dataclass(frozen=True)
class Cited:
    """A passage as a footnote cites it: its document and its place there."""

    passage_id: str
    doc_id: str
    jurisdiction: str
    title: str
    year: int | None
    doc_kind: str
    citation: str
    pages: str
    text: str

    @property
    def reference(self) -> str:
        return reference(self.title, self.doc_id, self.year, self.citation, self.pages)

    def to_dict(self) -> dict:
        return {**asdict(self), "reference": self.reference}


def cited(run: RunData, passage: Passage, pages: Callable[[Passage], str], text: str | None = None) -> dict:
    """The `Cited` fields of a run's passage (`pages`: `printed_pages(run)`)."""
    doc = run.documents[passage.doc_id]
    return {"passage_id": passage.id, "doc_id": passage.doc_id, "jurisdiction": doc["jurisdiction"],
            "title": doc.get("title", passage.doc_id), "year": doc.get("year"), "doc_kind": doc["kind"],
            "citation": run.citations[passage.id], "pages": pages(passage),
            "text": passage.text if text is None else text}


@dataclass(frozen=True)
class Evidence(Cited):
    """One passage behind a cell, citable as it stands."""

    element: str
    score: float
    modality: str
    bearer: str
    level: str
    why: list[str] = field(default_factory=list)  # the terms behind the element's score, when classify gave them


@dataclass
class Cell:
    group: str
    element: str
    level: str
    n_passages: int
    n_documents: int
    share: float
    max_score: float
    conduct_share: float
    result_share: float
    state_share: float
    operator_share: float
    evidence: list[Evidence] = field(default_factory=list)

    def to_row(self) -> dict:
        """The long-table row: evidence as passage ids."""
        row = {k: v for k, v in asdict(self).items() if k != "evidence"}
        row["evidence"] = [e.passage_id for e in self.evidence]
        return row


@dataclass(frozen=True)
class Filters:
    """What a matrix command looks at; documents are kept or dropped whole."""

    kinds: frozenset[str] | None = None
    years: tuple[int, int] | None = None
    jurisdictions: frozenset[str] | None = None
    min_score: float = 0.0
    # only passages whose predicted bearer is one of these count: "which laws bind operators"
    bearers: frozenset[str] | None = None

    def keeps(self, doc: dict) -> bool:
        if self.kinds is not None and not (doc["kind"] in self.kinds or _kind_group(doc["kind"]) in self.kinds):
            return False
        if self.years is not None and (doc.get("year") is None or not self.years[0] <= doc["year"] <= self.years[1]):
            return False
        return self.jurisdictions is None or doc["jurisdiction"] in self.jurisdictions

    def describe(self) -> dict:
        return {"kinds": sorted(self.kinds) if self.kinds else None, "years": list(self.years) if self.years else None,
                "jurisdictions": sorted(self.jurisdictions) if self.jurisdictions else None,
                "min_score": self.min_score, "bearers": sorted(self.bearers) if self.bearers else None}


def parse_filters(kind: str | None = None, years: str | None = None, jurisdictions: str | None = None,
                  min_score: float = 0.0, bearer: str | None = None) -> Filters:
    """Command-line strings → Filters: `--kind law,directive` (or the groups `binding`,
    `non-binding`), `--years 2015-2024` (or one year), `--jurisdictions ee,fi,eu`,
    `--bearer operator` (or `state,operator`)."""
    span = None
    if years:
        match = re.fullmatch(r"\s*(\d{4})\s*(?:[-–:]\s*(\d{4})\s*)?", years)
        if not match:
            raise ValueError(f"--years {years!r}: expected YYYY or YYYY-YYYY")
        low, high = int(match.group(1)), int(match.group(2) or match.group(1))
        span = (min(low, high), max(low, high))
    if not 0.0 <= min_score <= 1.0:
        raise ValueError(f"--min-score {min_score}: expected a score between 0 and 1")
    bearers = _split(bearer)
    unknown = sorted((bearers or set()) - set(load_scheme().bearer))
    if unknown:
        raise ValueError(f"--bearer {', '.join(unknown)}: expected one of {', '.join(load_scheme().bearer)}")
    return Filters(kinds=_split(kind), years=span, jurisdictions=_split(jurisdictions), min_score=min_score,
                   bearers=bearers)


def _split(value: str | None) -> frozenset[str] | None:
    return frozenset(split_codes([value or ""])) or None


def _kind_group(kind: str) -> str:
    return "binding" if kind in BINDING_KINDS else "non-binding"


@dataclass
class RunData:
    """The three files of a classified run folder, joined, and the card of the model that
    classified it, read once for every cell, file and caution made from them."""

    folder: Path
    documents: dict[str, dict]
    passages: list[Passage]
    predictions: dict[str, Prediction]
    card: dict = field(default_factory=dict)

    @property
    def model(self) -> str:
        return next(iter(self.predictions.values())).model if self.predictions else "none"

    @property
    def untagged(self) -> frozenset[str]:
        """Elements the model never tags: their empty cells read "not assessed"."""
        return untagged_elements(self.card)

    @cached_property
    def citations(self) -> dict[str, str]:
        """Each passage's citation by id (a document's own numbers need all its passages)."""
        return cite_passages(self.passages)


def load_run(run: Path, scored: bool = True) -> RunData:
    """Read RUN/{documents.jsonl, passages.parquet, predictions.parquet}; a missing or
    stale file is an error that says which command makes it. `scored` False: a run not
    classified yet is read without predictions (a word search needs none)."""
    needs = {"documents.jsonl": "ddlens ingest --out", "passages.parquet": "ddlens ingest --out"}
    if scored or (run / "predictions.parquet").is_file():
        needs["predictions.parquet"] = "ddlens classify"
    for name, command in needs.items():
        if not (run / name).is_file():
            raise missing_run_file(run / name, command)
    documents = {}
    for line_no, row in iter_jsonl(run / "documents.jsonl"):
        if not isinstance(row, dict) or "doc_id" not in row:
            raise DdlensError(run / "documents.jsonl", f"line {line_no}: not a document record")
        documents[row["doc_id"]] = row
    passages = read_passages(run / "passages.parquet")
    if "predictions.parquet" not in needs:
        return RunData(run, documents, passages, {})
    predictions = {p.passage_id: p for p in read_predictions(run / "predictions.parquet")}
    unscored = sum(p.id not in predictions for p in passages)
    if unscored:
        raise DdlensError(run / "predictions.parquet",
                          f"{unscored} of {len(passages)} passages have no prediction: rerun `ddlens classify {run}`")
    return RunData(run, documents, passages, predictions)


def untagged_elements(card: dict) -> frozenset[str]:
    """The elements a model card's thresholds say the model never tags."""
    return frozenset(e for e, threshold in card.get("thresholds", {}).items() if threshold > 1)


def passage_level(passage_kind: str, doc_kind: str, modality: str) -> str:
    """The level one passage gives its elements."""
    if passage_kind in DECLARATORY_KINDS or modality == "none":
        return "mentioned"
    if doc_kind not in BINDING_KINDS:
        return "policy"
    return "law:result" if modality == "result" else "law:conduct"


def collect_evidence(run: RunData, filters: Filters = Filters()) -> list[Evidence]:
    """One Evidence per (passage, element) the classifier tagged, in the kept documents."""
    out = []
    pages = printed_pages(run)
    for passage in run.passages:
        doc = run.documents.get(passage.doc_id)
        if doc is None or not filters.keeps(doc):
            continue
        prediction = run.predictions[passage.id]
        for element in prediction.elements:
            score = prediction.scores.get(element, 0.0)
            if score < filters.min_score or (filters.bearers is not None and prediction.bearer not in filters.bearers):
                continue
            text = passage.text if not passage.context else f"{passage.context} … {passage.text}"
            out.append(Evidence(
                **cited(run, passage, pages, _clip(text)), element=element, score=round(score, 4), modality=prediction.modality,
                bearer=prediction.bearer, level=passage_level(passage.kind, doc["kind"], prediction.modality),
                why=(prediction.why or {}).get(element, []),
            ))
    return out


def printed_pages(run: RunData) -> Callable[[Passage], str]:
    """A passage's pages as a citation gives them ("p. 23 (PDF p. 24)"), from its document's
    printed page numbers."""
    printed = {doc_id: _printed(doc) for doc_id, doc in run.documents.items()}
    return lambda passage: cite_pages(passage.page_start, passage.page_end, printed.get(passage.doc_id))


def _printed(document: dict) -> dict[int, int] | None:
    """documents.jsonl's printed page numbers (JSON keys are strings); None where the run
    does not say (text and HTML, runs ingested before they were read)."""
    printed = document.get("printed_pages")
    return None if printed is None else {int(page): number for page, number in printed.items()}


def _clip(text: str) -> str:
    return text if len(text) <= EVIDENCE_TEXT_CHARS else text[: EVIDENCE_TEXT_CHARS - 1].rstrip() + "…"


def strength(evidence: Evidence) -> tuple[int, float, str]:
    """Evidence order, strongest first: the level it proves, then the score, then the passage
    id, so that ties fall the same way here and in the report's script."""
    return -LEVELS.index(evidence.level), -evidence.score, evidence.passage_id


def build_cells(evidence: Iterable[Evidence], totals: dict[str, int], key: Callable[[Evidence], str],
                top: int = 5, untagged: frozenset[str] = frozenset()) -> list[Cell]:
    """One cell per (group, element) for every group in `totals` (its passage count); an
    element in `untagged` is not assessed where nothing was tagged."""
    elements = load_scheme().elements
    by_cell: dict[tuple[str, str], list[Evidence]] = defaultdict(list)
    for item in evidence:
        by_cell[key(item), item.element].append(item)
    cells = []
    for group in totals:
        for element in elements:
            items = sorted(by_cell.get((group, element), []), key=strength)
            n = len(items)
            cells.append(Cell(
                group=group, element=element, n_passages=n,
                level=items[0].level if items else NOT_ASSESSED if element in untagged else "absent",
                n_documents=len({e.doc_id for e in items}),
                share=round(n / totals[group], 4) if totals[group] else 0.0,
                max_score=max((e.score for e in items), default=0.0),
                conduct_share=_share(items, "modality", "conduct"), result_share=_share(items, "modality", "result"),
                state_share=_share(items, "bearer", "state"), operator_share=_share(items, "bearer", "operator"),
                evidence=items[:top],
            ))
    return cells


def _share(items: list[Evidence], attribute: str, value: str) -> float:
    return round(sum(getattr(e, attribute) == value for e in items) / len(items), 4) if items else 0.0


@dataclass
class Matrix:
    """Cells for the kept groups, with what an analyst needs to read them."""

    by: str
    groups: list[str]
    elements: tuple[str, ...]
    cells: list[Cell]
    documents: list[dict]
    filters: Filters
    model: str
    n_passages: int

    def cell(self, group: str, element: str) -> Cell:
        return next(c for c in self.cells if c.group == group and c.element == element)

    def to_json(self) -> dict:
        return {
            "by": self.by, "model": self.model, "filters": self.filters.describe(), "levels": LEVEL_MEANING,
            "elements": list(self.elements), "element_names": load_scheme().element_names, "groups": self.groups,
            "n_passages": self.n_passages, "documents": self.documents,
            "cells": [{**c.to_row(), "evidence": [e.to_dict() for e in c.evidence]} for c in self.cells],
        }


def describe_filters(filters: Filters) -> str:
    """The filters in words, as a reader of the report or the terminal wants them ('' when
    none is set, so a caller can test it)."""
    parts = []
    if filters.kinds:
        parts.append("kind " + ", ".join(sorted(filters.kinds)))
    if filters.years:
        low, high = filters.years
        parts.append(f"years {low}" if low == high else f"years {low}–{high}")
    if filters.jurisdictions:
        parts.append("jurisdictions " + ", ".join(sorted(filters.jurisdictions)))
    if filters.min_score:
        parts.append(f"score at least {filters.min_score:g}")
    if filters.bearers:
        parts.append("duties borne by " + " or ".join(sorted(filters.bearers)))
    return "; ".join(parts)


def check_filters(run: RunData, filters: Filters) -> None:
    """A kind or jurisdiction the run does not hold, or filters that keep no document, is an
    error: a typo must not pass for an empty matrix (written over the last one)."""
    documents = run.documents.values()
    kinds = sorted({d["kind"] for d in documents})
    unknown = sorted((filters.kinds or set()) - set(kinds) - {"binding", "non-binding"})
    if unknown:
        raise DdlensError(run.folder, f"no documents of kind {', '.join(unknown)} (this run has {', '.join(kinds)}; "
                                      "the groups binding and non-binding)")
    codes = sorted({d["jurisdiction"] for d in documents})
    unknown = sorted((filters.jurisdictions or set()) - set(codes))
    if unknown:
        failed = failed_files(run.folder)
        unread = f"; {len(failed)} file(s) could not be read, see errors.jsonl: {', '.join(Path(str(f['path'])).name for f in failed[:3])}" if failed else ""
        raise DdlensError(run.folder, f"no documents for jurisdiction(s) {', '.join(unknown)} (this run has {', '.join(codes)}{unread})")
    if not documents:
        raise DdlensError(run.folder / "documents.jsonl", "the run holds no document: every file failed to ingest (see errors.jsonl)")
    if not any(filters.keeps(d) for d in documents):
        raise DdlensError(run.folder, f"no document matches the filters ({describe_filters(filters) or 'none set'})")


def coverage(run: RunData, filters: Filters = Filters(), by: str = "jurisdiction", top: int = 5) -> Matrix:
    """The matrix of `by` (jurisdiction or doc_id) × element over the kept documents."""
    if by not in ("jurisdiction", "doc_id"):
        raise ValueError(f"cannot group by {by!r}")
    check_filters(run, filters)
    kept = {d: doc for d, doc in run.documents.items() if filters.keeps(doc)}
    totals = {(doc["jurisdiction"] if by == "jurisdiction" else d): 0 for d, doc in kept.items()}
    for passage in run.passages:
        if passage.doc_id in kept:
            totals[kept[passage.doc_id]["jurisdiction"] if by == "jurisdiction" else passage.doc_id] += 1
    totals = dict(sorted(totals.items()))
    evidence = collect_evidence(run, filters)
    key: Callable[[Evidence], str] = (lambda e: e.jurisdiction) if by == "jurisdiction" else (lambda e: e.doc_id)
    documents = [_document_row(doc, totals if by == "doc_id" else None) for doc in kept.values()]
    return Matrix(by, list(totals), load_scheme().elements, build_cells(evidence, totals, key, top, run.untagged),
                  sorted(documents, key=lambda d: (d["jurisdiction"], d.get("year") or 0, d["doc_id"])),
                  filters, run.model, sum(totals.values()))


def _document_row(doc: dict, counts: dict[str, int] | None) -> dict:
    keep = ("doc_id", "jurisdiction", "title", "year", "kind", "language", "pages", "format")
    row = {k: doc.get(k) for k in keep}
    if counts is not None:
        row["n_passages"] = counts.get(doc["doc_id"], 0)
    return row


def split_codes(items: Iterable[str]) -> list[str]:
    """Codes as given on a command line (jurisdictions `ee fi` or `ee,fi`, kinds `law,directive`),
    lower-cased, each once, in order."""
    return list(dict.fromkeys(code.strip().lower() for item in items for code in item.split(",") if code.strip()))


def compare(run: RunData, jurisdictions: list[str], filters: Filters = Filters(), top: int = 3) -> Matrix:
    """Any number of jurisdictions side by side (in the order given; `ee,fi` is read as two);
    one that the kind or years leave without documents is left out (the caller names it)."""
    wanted = split_codes(jurisdictions)
    matrix = coverage(run, replace(filters, jurisdictions=frozenset(wanted)), top=top)
    matrix.groups = [j for j in wanted if j in matrix.groups]
    return matrix


def check_element(element: str) -> None:
    """An element id of the scheme, as commands take one (`evidence`, `suggest --element`);
    a typo is an error listing them."""
    elements = load_scheme().elements
    if element not in elements:
        raise ValueError(f"no element {element!r}: the elements are {', '.join(elements)}")


def cell_evidence(run: RunData, group: str, element: str, filters: Filters = Filters()) -> list[Evidence]:
    """Every passage behind one cell, strongest first: `group` is a jurisdiction code or a
    doc_id. The matrix files keep a cell's strongest few; an analyst checking a cell of 40
    passages needs the rest."""
    check_element(element)
    if group in run.documents:
        filters, key = replace(filters, jurisdictions=None), (lambda e: e.doc_id)
    else:
        group = group.strip().lower()
        filters, key = replace(filters, jurisdictions=frozenset({group})), (lambda e: e.jurisdiction)
    check_filters(run, filters)
    return sorted((e for e in collect_evidence(run, filters) if e.element == element and key(e) == group), key=strength)


def _verdict(level_a: str, level_b: str) -> str:
    if NOT_ASSESSED in (level_a, level_b):
        return NOT_ASSESSED
    a, b = LEVELS.index(level_a), LEVELS.index(level_b)  # 0 = absent
    if a and b:
        return "both" if a == b else "both, A binds more" if a > b else "both, B binds more"
    return "only A" if a else "only B" if b else "neither"


def failed_files(folder: Path) -> list[dict]:
    """The run's files that could not be read ({path, stage, reason}, from errors.jsonl): they
    have no row in any matrix, which a reader must be told. A damaged line of errors.jsonl
    is itself such a row, naming its line: it may have named a file."""
    errors = folder / "errors.jsonl"
    if not errors.is_file():
        return []
    rows = []
    for line_no, row in iter_jsonl(errors, go_on=True):
        if isinstance(row, dict) and row.get("path"):
            rows.append(row)
        else:
            why = row.reason if isinstance(row, BadLine) else "no path named"
            rows.append({"path": str(errors), "stage": "errors.jsonl",
                         "reason": f"line {line_no} could not be read ({why}): a failed file may be missing from this list"})
    return rows


def _failure(folder: Path, doc_id: str) -> str:
    """Why a document named like `doc_id` failed to ingest, from errors.jsonl, or ''."""
    return next((str(row.get("reason", "")) for row in failed_files(folder) if Path(str(row["path"])).stem == doc_id), "")


@dataclass
class DiffRow:
    element: str
    level_a: str
    level_b: str
    verdict: str  # "only A", "only B", "both", "both, A binds more", "both, B binds more", "neither", "not assessed"
    evidence_a: list[Evidence]
    evidence_b: list[Evidence]

    def to_dict(self) -> dict:
        return {"element": self.element, "level_a": self.level_a, "level_b": self.level_b, "verdict": self.verdict,
                "evidence_a": [e.to_dict() for e in self.evidence_a], "evidence_b": [e.to_dict() for e in self.evidence_b]}


def diff(run: RunData, doc_a: str, doc_b: str, min_score: float = 0.0, top: int = 3) -> list[DiffRow]:
    """What one document covers that the other does not, element by element, and where both
    do, which binds more (the coverage levels' order)."""
    for doc in (doc_a, doc_b):
        if doc not in run.documents:
            failed = _failure(run.folder, doc)
            raise DdlensError(run.folder, f"no document {doc!r} in this run: " + (
                f"it failed to ingest ({failed}; see errors.jsonl)" if failed else "see documents.jsonl"))
    matrix = coverage(run, Filters(min_score=min_score), by="doc_id", top=top)
    rows = []
    for element in matrix.elements:
        a, b = matrix.cell(doc_a, element), matrix.cell(doc_b, element)
        verdict = _verdict(a.level, b.level)
        rows.append(DiffRow(element, a.level, b.level, verdict, a.evidence, b.evidence))
    return rows

