"""Typed errors that name the file and the reason, so a batch can report and go on."""

from __future__ import annotations

from pathlib import Path


class DdlensError(Exception):
    """Base error: carries the path, the reason and, where known, the document and page."""

    stage = "ddlens"

    def __init__(
        self,
        path: str | Path | None,
        reason: str,
        *,
        doc_id: str | None = None,
        page: int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.reason = reason
        self.doc_id = doc_id
        self.page = page
        super().__init__(str(self))

    def __str__(self) -> str:
        where = self.path or "<input>"
        if self.page is not None:
            where += f" (page {self.page})"
        return f"{where}: {self.reason}"


class IngestError(DdlensError):
    """A source file could not be read into clean text."""

    stage = "ingest"


class NoTextLayerError(IngestError):
    """A PDF whose text layer is missing or unusable (scanned, or glyphs without Unicode)."""


class SegmentError(DdlensError):
    stage = "segment"


class CorpusError(DdlensError):
    stage = "corpus"


class ModelError(DdlensError):
    stage = "model"


class AnnotationError(DdlensError):
    stage = "annotation"
