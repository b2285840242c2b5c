"""The records that cross stage boundaries; each validates its own invariants."""

from __future__ import annotations

from enum import Enum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

MetaSource = Literal["manifest", "sidecar", "options", "unknown"]


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


class FileError(BaseModel):
    """One line of errors.jsonl."""

    path: str
    stage: str
    reason: str
