"""Batch flow for `ddlens ingest`: files → Documents → Passages, one file at a time.

A file that fails is recorded with its stage and reason and the batch goes on; nothing a
user gave is dropped silently.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from .config import Settings
from .corpus import ManifestEntry, manifest_by_sha
from .errors import DdlensError
from .ingest import SUPPORTED_SUFFIXES, ingest_file, resolve_meta
from .records import Document, DocumentMeta, FileError, Passage
from .segment import segment_document
from .text import sha256_file

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)


def expand_inputs(paths: Iterable[Path]) -> list[Path]:
    """Files as given, and the supported files under folders (sorted, sidecars skipped)."""
    out: list[Path] = []
    for path in paths:
        if path.is_dir():
            out.extend(
                sorted(
                    p for p in path.rglob("*")
                    if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES and not p.name.endswith(".meta.json")
                )
            )
        else:
            out.append(path)
    return out


def ingest_batch(
    paths: list[Path],
    manifest: list[ManifestEntry],
    settings: Settings,
    options: DocumentMeta | None = None,
    on_file: Callable[[Path], None] | None = None,
) -> IngestResult:
    """Ingest and segment each file; collect documents, passages and per-file errors."""
    result = IngestResult()
    by_sha = manifest_by_sha(manifest)
    seen_ids: set[str] = set()
    for path in paths:
        started = time.perf_counter()
        sha: str | None = None
        try:
            if not path.exists():
                raise DdlensError(path, "no such file")
            sha = sha256_file(path)
            meta = resolve_meta(path, sha, by_sha, options)
            if meta.doc_id in seen_ids:
                meta = meta.model_copy(update={"doc_id": f"{meta.doc_id}-{sha[:8]}"})
            doc = ingest_file(path, meta, sha256=sha, backend=settings.pdf_backend)
            passages = segment_document(doc, settings.max_passage_chars)
        except DdlensError as exc:
            result.errors.append(FileError(path=str(path), stage=exc.stage, reason=exc.reason))
            log.warning("%s", exc)
        else:
            seen_ids.add(doc.doc_id)
            result.documents.append(doc)
            result.passages.extend(passages)
            for warning in doc.warnings:
                log.info("%s: %s", path, warning)
        finally:
            result.timings[str(path)] = round(time.perf_counter() - started, 4)
            result.inputs.append({"path": str(path), "sha256": sha})
            if on_file:
                on_file(path)
    return result


def run_info(result: IngestResult, settings: Settings, versions: dict[str, str], seconds: float) -> dict:
    """The contents of run.json."""
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "settings": {"pdf_backend": settings.pdf_backend, "max_passage_chars": settings.max_passage_chars},
        "inputs": result.inputs,
        "counts": {
            "inputs": len(result.inputs),
            "documents": len(result.documents),
            "passages": len(result.passages),
            "errors": len(result.errors),
            "pages": sum(d.pages or 0 for d in result.documents),
        },
        "timings": {"total_s": round(seconds, 3), "per_file_s": result.timings},
    }
