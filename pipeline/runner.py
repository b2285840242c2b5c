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
from .sources import ingest_code_digest
from .text import sha256_file

log = logging.getLogger(__name__)


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    passages: list[Passage] = field(default_factory=list)
    errors: list[FileError] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    inputs: list[dict] = field(default_factory=list)
    duplicates: list[tuple[Path, Path]] = field(default_factory=list)  # (file, the earlier file with its very bytes)


def expand_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[Path]]:
    """Files as given, and the supported files under folders (sorted, sidecars skipped); then
    the other files under those folders, for the caller to report (a .docx dropped without a
    word is a document the user thinks was read). Hidden files (.DS_Store) are left out of both."""
    files: list[Path] = []
    skipped: list[Path] = []
    for path in paths:
        if not path.is_dir():
            files.append(path)
            continue
        for p in sorted(path.rglob("*")):
            if not p.is_file() or p.name.endswith(".meta.json") or any(
                    part.startswith(".") for part in p.relative_to(path).parts):
                continue
            (files if p.suffix.lower() in SUPPORTED_SUFFIXES else skipped).append(p)
    return files, skipped


def ingest_batch(
    paths: list[Path],
    manifest: list[ManifestEntry],
    settings: Settings,
    options: DocumentMeta | None = None,
    on_file: Callable[[Path], None] | None = None,
    jobs: int = 1,
) -> IngestResult:
    """Ingest and segment each file; collect documents, passages and per-file errors.

    Metadata is resolved first, in order (so a doc_id taken twice is made unique the same
    way on every run); the files are then read by `jobs` worker processes, and results come
    back in input order.
    """
    result = IngestResult()
    by_sha = manifest_by_sha(manifest)
    planned: list[tuple[Path, str | None, DocumentMeta | None, FileError | None]] = []
    seen_ids: set[str] = set()
    first_with: dict[str, Path] = {}
    for path in paths:
        try:
            if not path.is_file():
                raise DdlensError(path, "no such file" if not path.exists() else "not a regular file")
            sha = sha256_file(path)
            meta = resolve_meta(path, sha, by_sha, options)
        except DdlensError as exc:
            planned.append((path, None, None, FileError(path=str(path), stage=exc.stage, reason=exc.reason)))
            continue
        if sha in first_with:  # the same file twice (or a copy): read once, or every cell counts it twice
            result.duplicates.append((path, first_with[sha]))
            if on_file:  # done with, so the progress count reaches its total
                on_file(path)
            continue
        first_with[sha] = path
        if meta.doc_id in seen_ids:
            meta = meta.model_copy(update={"doc_id": f"{meta.doc_id}-{sha[:8]}"})
        seen_ids.add(meta.doc_id)
        planned.append((path, sha, meta, None))

    work = [(p, sha, meta, settings, by_sha[sha].page_range if sha in by_sha else None)
            for p, sha, meta, err in planned if err is None]
    outcomes: dict[Path, tuple[Document, list[Passage]] | FileError] = {
        p: err for p, _, _, err in planned if err is not None
    }
    timings: dict[Path, float] = {}
    if jobs > 1 and len(work) > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        context = multiprocessing.get_context("fork")
        # largest files first, so that one long file does not finish alone at the end
        work.sort(key=lambda item: item[0].stat().st_size, reverse=True)
        with ProcessPoolExecutor(max_workers=jobs, mp_context=context) as pool:
            for path, outcome, seconds in pool.map(_ingest_one, work):
                outcomes[path], timings[path] = outcome, seconds
                if on_file:
                    on_file(path)
    else:
        for item in work:
            path, outcome, seconds = _ingest_one(item)
            outcomes[path], timings[path] = outcome, seconds
            if on_file:
                on_file(path)
    for path, sha, _, err in planned:
        if err is not None and on_file:
            on_file(path)
        outcome = outcomes[path]
        if isinstance(outcome, FileError):
            result.errors.append(outcome)
            log.warning("%s: %s", outcome.path, outcome.reason)
        else:
            doc, passages = outcome
            result.documents.append(doc)
            result.passages.extend(passages)
        result.timings[str(path)] = round(timings.get(path, 0.0), 4)
        result.inputs.append({"path": str(path), "sha256": sha})
    return result


def _ingest_one(item: tuple[Path, str, DocumentMeta, Settings, tuple[int, int] | None]) -> tuple[Path, object, float]:
    """One file through ingest and segment; an error comes back as a FileError."""
    path, sha, meta, settings, pages = item
    started = time.perf_counter()
    try:
        doc = ingest_file(path, meta, sha256=sha, backend=settings.pdf_backend, pages=pages)
        outcome: object = (doc, segment_document(doc, settings.max_passage_chars))
    except DdlensError as exc:
        outcome = FileError(path=str(path), stage=exc.stage, reason=exc.reason)
    return path, outcome, time.perf_counter() - started


def run_info(result: IngestResult, settings: Settings, versions: dict[str, str], seconds: float,
             skipped: Iterable[Path] = ()) -> dict:
    """The contents of run.json (`skipped`: files under the folders given that are not PDF,
    text or HTML)."""
    return {
        "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "versions": versions,
        "ingest_code": ingest_code_digest(),
        "settings": {"pdf_backend": settings.pdf_backend, "max_passage_chars": settings.max_passage_chars},
        "inputs": result.inputs,
        "skipped": [str(p) for p in skipped],
        "duplicates": [{"path": str(p), "same_as": str(first)} for p, first in result.duplicates],
        "counts": {
            "inputs": len(result.inputs),
            "documents": len(result.documents),
            "passages": len(result.passages),
            "errors": len(result.errors),
            "pages": sum(d.pages or 0 for d in result.documents),
        },
        "timings": {"total_s": round(seconds, 3), "per_file_s": result.timings},
    }
