"""Source files → Documents: the only module that opens source files.

Dispatches by content (a PDF by its header, HTML by its markup, else text), resolves the
document's metadata (manifest by sha256, then a sidecar NAME.meta.json, then options), and
hands page lines or raw text to the pure cleaning steps in `layout` and `reflow`.
"""

from __future__ import annotations

import codecs
import json
import logging
import re
from pathlib import Path

from pydantic import ValidationError

from .corpus import ManifestEntry, check_jurisdiction
from .errors import IngestError, NoTextLayerError
from .layout import clean_pages, printed_page_numbers
from .pdf import PageLines, read_pdf
from .records import BINDING_KINDS, Block, BlockKind, Document, DocumentMeta
from .reflow import html_to_text, reflow_text
from .text import cid_ratio, sha256_file, word_share

log = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = {".pdf", ".txt", ".text", ".md", ".html", ".htm", ".xhtml"}
_MIN_WORD_SHARE = 0.25


def detect_format(path: Path) -> str:
    """"pdf", "html" or "txt", from the bytes first and the suffix second."""
    with path.open("rb") as handle:
        head = handle.read(2048)
    if b"%PDF-" in head[:1024] or path.suffix.lower() == ".pdf":
        return "pdf"
    sniff = head.lstrip()[:200].lower()
    if path.suffix.lower() in {".html", ".htm", ".xhtml"} or sniff.startswith((b"<!doctype html", b"<html")):
        return "html"
    return "txt"


def resolve_meta(
    path: Path,
    sha256: str,
    manifest: dict[str, ManifestEntry],
    options: DocumentMeta | None = None,
) -> DocumentMeta:
    """Metadata by precedence: the manifest (by hash, whatever the path), a sidecar
    `NAME.meta.json`, options given on the command line, else `unknown`."""
    if sha256 in manifest:
        return manifest[sha256].meta()
    doc_id = _slug(path.stem)
    sidecar = path.with_name(path.name + ".meta.json")
    if not sidecar.is_file():
        sidecar = path.with_suffix(".meta.json")
    if sidecar.is_file():
        try:
            data = json.loads(sidecar.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise TypeError("not a JSON object")
            data = {**data, "kind": check_kind(data["kind"])} if data.get("kind") is not None else data
            if data.get("jurisdiction") is not None:
                data = {**data, "jurisdiction": check_jurisdiction(data["jurisdiction"])}
            return DocumentMeta.model_validate({"doc_id": doc_id, **data, "source": "sidecar"})
        except ValidationError as exc:
            first = exc.errors()[0]
            raise IngestError(sidecar, f"bad sidecar metadata: {'.'.join(map(str, first['loc']))}: {first['msg']}") from exc
        except (ValueError, TypeError) as exc:
            raise IngestError(sidecar, f"bad sidecar metadata: {exc}") from exc
    if options is not None:
        given = options.model_dump(exclude_unset=True, exclude={"doc_id", "source"})
        if given:
            return DocumentMeta.model_validate({"doc_id": doc_id, **given, "source": "options"})
    return DocumentMeta(doc_id=doc_id, source="unknown")


def ingest_file(path: Path, meta: DocumentMeta, sha256: str | None = None, backend: str = "pdfium",
                pages: tuple[int, int] | None = None) -> Document:
    """Read one file into a clean Document; raise IngestError naming the file and reason.
    `pages` (first, last) reads only those pages of a PDF (the manifest's `pages`)."""
    if not path.is_file():
        raise IngestError(path, "no such file")
    if path.stat().st_size == 0:
        raise IngestError(path, "empty file (0 bytes)")
    sha256 = sha256 or sha256_file(path)
    fmt = detect_format(path)
    count: int | None = None
    printed: dict[int, int] | None = None
    title = meta.title
    if fmt == "pdf":
        blocks, warnings, count, printed = _ingest_pdf(path, backend, pages, margin_notes=meta.kind in BINDING_KINDS)
    else:
        raw = _read_text(path)
        if fmt == "html":
            raw, page_title = html_to_text(raw)
            if title == "unknown" and page_title:  # cited by its page's title rather than its file name
                title = page_title
        blocks, warnings = reflow_text(raw)
    if not any(b.kind != BlockKind.footnote for b in blocks):
        raise IngestError(path, "no text found")
    blocks = _with_offsets(blocks)
    language = meta.language or _detect_language(" ".join(b.text for b in blocks[:80]))
    if meta.source == "unknown":
        warnings.append("metadata unknown: not in the manifest, no sidecar, no options"
                        + (" (title from the page's <title>)" if title != meta.title else ""))
    return Document(
        doc_id=meta.doc_id,
        jurisdiction=meta.jurisdiction,
        title=title,
        year=meta.year,
        kind=meta.kind,
        language=language,
        meta_source=meta.source,
        path=str(path),
        sha256=sha256,
        format=fmt,  # type: ignore[arg-type]
        pages=count,
        printed_pages=printed,
        backend=backend if fmt == "pdf" else None,
        blocks=blocks,
        warnings=warnings,
    )


def _ingest_pdf(path: Path, backend: str, wanted: tuple[int, int] | None = None, margin_notes: bool = False
                ) -> tuple[list[Block], list[str], int, dict[int, int]]:
    """`margin_notes`: the document is legislation, whose sections may carry notes set in the
    margin (layout.split_margin_notes); guides' tables in small type are not to be read so."""
    try:
        count, page_iter = read_pdf(path, backend)
        first, last = wanted or (1, count)
        if wanted and not 1 <= first <= last <= count:
            raise IngestError(path, f"the manifest reads pages {first}-{last}, but the PDF has {count}")
        pages: list[PageLines] = [p for p in page_iter if first <= p.number <= last]
    except IngestError:
        raise
    except Exception as exc:  # a PDF engine failing mid-document: report, do not crash the batch
        raise IngestError(path, f"unreadable PDF ({type(exc).__name__}: {exc})") from exc
    if count == 0:
        raise IngestError(path, "PDF has no pages")
    sample = " ".join(ln.text for p in pages for ln in p.lines)
    if not sample.strip():
        raise NoTextLayerError(path, f"no text layer on any of its {count} pages (scanned?): needs OCR")
    if cid_ratio(sample) > 0.05 or word_share(sample) < _MIN_WORD_SHARE:
        raise NoTextLayerError(
            path,
            f"garbled text layer (word share {word_share(sample):.2f}): glyphs without a Unicode map; needs OCR",
        )
    warnings = [f"page {p.number} has no text layer (image only)" for p in pages if not p.lines]
    if (first, last) != (1, count):
        warnings.append(f"pages {first}-{last} of {count} read, as the manifest says: the others hold another document")
    blocks, clean_warnings = clean_pages(pages, margin_notes)
    return blocks, warnings + clean_warnings, count, printed_page_numbers(pages)


def _read_text(path: Path) -> str:
    """UTF-8, UTF-16 with its byte-order mark (Word's "Unicode text"), or Windows-1252."""
    data = path.read_bytes()
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise IngestError(path, f"text marked UTF-16 does not decode as UTF-16 ({exc.reason})") from exc
    if b"\x00" in data[:4096]:
        raise IngestError(path, "binary file: not a PDF, text or HTML document")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise IngestError(path, "text is neither UTF-8 nor Windows-1252")


def _with_offsets(blocks: list[Block]) -> list[Block]:
    """Give body blocks their span in the cleaned text (joined by blank lines)."""
    out: list[Block] = []
    cursor = 0
    for block in blocks:
        if block.kind == BlockKind.footnote:
            out.append(block)
            continue
        out.append(block.model_copy(update={"char_start": cursor, "char_end": cursor + len(block.text)}))
        cursor += len(block.text) + 2
    return out


def _detect_language(text: str) -> str:
    from langdetect import DetectorFactory, LangDetectException, detect

    DetectorFactory.seed = 0
    try:
        return detect(text[:5000])
    except LangDetectException:
        return "unknown"


NON_BINDING_KINDS = frozenset({"strategy", "policy", "guidance", "standard"})
KINDS = BINDING_KINDS | NON_BINDING_KINDS


def check_kind(kind: str) -> str:
    """A document kind, lower-cased, from the kinds the coverage levels know: a typo such as
    `statute` or `Law` would quietly make a law count as policy."""
    value = str(kind).strip().lower()
    if value not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: binding kinds are {', '.join(sorted(BINDING_KINDS))}; "
                         f"non-binding {', '.join(sorted(NON_BINDING_KINDS))}")
    return value


def _slug(stem: str) -> str:
    """A doc_id from a file name: "Résolution [3611] – draft" → "resolution-3611-draft"."""
    import unicodedata

    plain = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")
    return slug or "document"
