"""The records that cross stage boundaries; each validates its own invariants."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

MetaSource = Literal["manifest", "sidecar", "options", "unknown"]

# document kinds (manifest `kind`) that bind: the rest (strategy, policy, guidance,
# standard, …) state commitments
BINDING_KINDS = frozenset({"law", "act", "directive", "regulation", "decree", "ordinance"})


class BlockKind(str, Enum):
    heading = "heading"
    paragraph = "paragraph"
    footnote = "footnote"


class Block(BaseModel):
    """One cleaned unit of a page: a heading, a body paragraph or a footnote.

    `char_start`/`char_end` index the document's cleaned text (body blocks joined by blank
    lines); footnotes live outside it and carry None.
    """

    model_config = ConfigDict(frozen=True)

    text: str = Field(min_length=1)
    kind: BlockKind = BlockKind.paragraph
    page: int | None = Field(default=None, ge=1)
    page_end: int | None = Field(default=None, ge=1)
    char_start: int | None = Field(default=None, ge=0)
    char_end: int | None = Field(default=None, ge=0)
    size: float | None = None

    @property
    def last_page(self) -> int | None:
        return self.page_end or self.page

    @model_validator(mode="after")
    def _span_matches_text(self) -> "Block":
        if self.char_start is not None and self.char_end is not None:
            if self.char_end - self.char_start != len(self.text):
                raise ValueError("char span does not match text length")
        return self


class DocumentMeta(BaseModel):
    """What we know of a document before reading it: from the manifest, a sidecar or options."""

    doc_id: str
    jurisdiction: str = "unknown"
    title: str = "unknown"
    year: int | None = None
    kind: str = "unknown"
    language: str | None = None
    source: Literal["manifest", "sidecar", "options", "unknown"] = "unknown"

    @field_validator("jurisdiction")
    @classmethod
    def _code(cls, value: str) -> str:
        """Codes are compared lower-cased everywhere (`--jurisdictions EE` finds `ee`), so they
        are stored so: `--jurisdiction RU` must not make a document no filter can reach."""
        return value.strip().lower()


class Document(BaseModel):
    """A source file read into clean blocks; footnotes are blocks of kind footnote."""

    doc_id: str
    jurisdiction: str
    title: str
    year: int | None
    kind: str
    language: str
    meta_source: MetaSource
    path: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    format: Literal["pdf", "txt", "html"]
    pages: int | None = Field(default=None, ge=0)
    # a PDF's printed page numbers by page index (layout.printed_page_numbers): empty when it
    # prints no steady series, so citations name the file's page; None for text and HTML
    printed_pages: dict[int, int] | None = None
    backend: str | None = None
    blocks: list[Block] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    @property
    def text(self) -> str:
        """The cleaned body text that passage char offsets index."""
        return "\n\n".join(b.text for b in self.blocks if b.kind != BlockKind.footnote)

    def summary(self) -> dict:
        """The document row of documents.jsonl: metadata and counts, not the text."""
        data = self.model_dump(exclude={"blocks"})
        data["n_blocks"] = sum(b.kind != BlockKind.footnote for b in self.blocks)
        data["n_footnotes"] = sum(b.kind == BlockKind.footnote for b in self.blocks)
        data["n_chars"] = len(self.text)
        return data


class Passage(BaseModel):
    """One citable normative unit: a recital, a numbered paragraph with its points, a
    strategy paragraph, or a footnote."""

    model_config = ConfigDict(frozen=True)

    id: str
    doc_id: str
    jurisdiction: str
    path: list[str]
    kind: str
    heading: str | None = None
    # for a point or subparagraph split off a long paragraph: the lead-in it completes, so a
    # reader (or a classifier) sees who owes what
    context: str | None = None
    text: str = Field(min_length=1)
    page_start: int | None = Field(default=None, ge=1)
    page_end: int | None = Field(default=None, ge=1)
    char_start: int | None = Field(default=None, ge=0)
    char_end: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _spans_ordered(self) -> "Passage":
        if not self.id.startswith(self.doc_id + ":"):
            raise ValueError(f"passage id {self.id!r} does not start with {self.doc_id!r}:")
        if (self.page_start is None) != (self.page_end is None):
            raise ValueError("page_start and page_end must both be set or both be null")
        if self.page_start is not None and self.page_end < self.page_start:  # type: ignore[operator]
            raise ValueError("page_end before page_start")
        if self.char_start is not None and self.char_end is not None:
            if self.char_end <= self.char_start:
                raise ValueError("char_end must follow char_start")
        return self


class Annotation(BaseModel):
    """One labelled passage (annotations/*.jsonl), validated against the scheme.

    `text_sha256` travels with the label so that a label whose passage text has changed
    since it was given is caught; `fragment` marks texts the scheme leaves out of gold sets.
    """

    model_config = ConfigDict(extra="forbid")

    id: str
    doc_id: str
    jurisdiction: str
    text: str = Field(min_length=1)
    text_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # the lead-in the annotator read with a point split off a longer paragraph (Passage.context);
    # models read the passage alone (reading the lead-in too measured no better: README), and
    # evaluation reports these points apart
    context: str | None = None
    # the title of the article or section the passage sits under (Passage.heading), which
    # the models read before the text (model_input)
    heading: str | None = None
    elements: list[str]
    modality: str
    bearer: str
    annotator: str = Field(min_length=1)
    created: str = ""
    fragment: bool = False
    note: str = ""
    # the id the annotator read the passage under, where segmentation has since given its
    # text another (`ddlens annotate remap`)
    moved_from: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _derive_hash(cls, data):
        """Records in labels.md's plain format (the seed set) carry no hash: derive it."""
        if isinstance(data, dict) and "text_sha256" not in data and isinstance(data.get("text"), str):
            from .text import sha256_text

            data = {**data, "text_sha256": sha256_text(data["text"])}
        return data

    @model_validator(mode="after")
    def _valid_labels(self) -> "Annotation":
        from .scheme import load_scheme
        from .text import sha256_text

        scheme = load_scheme()
        unknown = [e for e in self.elements if e not in scheme.elements]
        if unknown:
            raise ValueError(f"unknown element(s) {unknown} (scheme v{scheme.version})")
        if len(set(self.elements)) != len(self.elements):
            raise ValueError("an element is listed twice")
        if self.modality not in scheme.modality:
            raise ValueError(f"unknown modality {self.modality!r}")
        if self.bearer not in scheme.bearer:
            raise ValueError(f"unknown bearer {self.bearer!r}")
        if (self.modality == "none") != (self.bearer == "none"):
            raise ValueError("modality none goes with bearer none, and only with it")
        if sha256_text(self.text) != self.text_sha256:
            raise ValueError("text_sha256 does not match the text")
        return self


class Prediction(BaseModel):
    """A classifier's reading of one passage: labels over thresholds and every score."""

    passage_id: str
    model: str
    elements: list[str]
    scores: dict[str, float]
    modality: str
    modality_scores: dict[str, float]
    bearer: str
    bearer_scores: dict[str, float]
    # per element tagged: the terms, cues or title words that pushed its score up most
    # (Classifier.explain), so an analyst can check a cell; None when not asked for
    why: dict[str, list[str]] | None = None


class FileError(BaseModel):
    """One line of errors.jsonl."""

    path: str
    stage: str
    reason: str
