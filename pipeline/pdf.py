"""PDF backends: read each page's text lines with their boxes, page by page.

Two backends give the same `PageLines`: `pdfium` (pypdfium2, fast: PDFium's own line breaks
plus the boxes of each line's first and last glyph) and `pdfplumber` (the reference: its
`extract_text_lines`, from pdfminer's character boxes). Layout work downstream reads only
these boxes, so both feed the same cleaning. Coordinates are PDF points from the page top.
"""

from __future__ import annotations

import ctypes
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import IngestError

BACKENDS = ("pdfium", "pdfplumber")


@dataclass(frozen=True, slots=True)
class Line:
    text: str
    x0: float
    top: float
    x1: float
    bottom: float
    bold: bool = False
    baseline: float | None = None  # of its first glyph, from the page top (pdfium): lines in other type sizes align by it

    @property
    def height(self) -> float:
        return self.bottom - self.top


@dataclass(frozen=True, slots=True)
class PageLines:
    number: int  # 1-based
    width: float
    height: float
    lines: tuple[Line, ...]


def _check_header(path: Path) -> None:
    """Fail early, by name, on files that cannot be PDFs before a parser says it vaguely."""
    size = path.stat().st_size
    if size == 0:
        raise IngestError(path, "empty file (0 bytes)")
    with path.open("rb") as handle:
        head = handle.read(1024)
    if b"%PDF-" not in head:
        raise IngestError(path, "not a PDF (no %PDF- header)")


def read_pdf(path: Path, backend: str = "pdfium") -> tuple[int, Iterator[PageLines]]:
    """Open a PDF; return its page count and a lazy iterator of its pages' lines."""
    _check_header(path)
    if backend == "pdfium":
        return _read_pdfium(path)
    if backend == "pdfplumber":
        return _read_pdfplumber(path)
    raise IngestError(path, f"unknown PDF backend {backend!r} (choose from {', '.join(BACKENDS)})")


def _read_pdfium(path: Path) -> tuple[int, Iterator[PageLines]]:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as exc:
        reason = str(exc)
        if "password" in reason.lower():
            raise IngestError(path, "encrypted PDF (password required)") from exc
        raise IngestError(path, f"unreadable or truncated PDF ({reason})") from exc

    def pages() -> Iterator[PageLines]:
        try:
            for index in range(len(pdf)):
                page = pdf[index]
                width, height = page.get_size()
                textpage = page.get_textpage()
                try:
                    lines = _pdfium_lines(textpage, height, width)
                finally:
                    textpage.close()
                    page.close()
                yield PageLines(index + 1, width, height, lines)
        finally:
            pdf.close()

    return len(pdf), pages()


def _pdfium_lines(textpage, page_height: float, page_width: float) -> tuple[Line, ...]:
    """Lines as PDFium breaks them; each box spans its first and last non-space glyph.

    PDFium joins text that shares a baseline into one line, so on a two-column page a line
    holds both columns. One look at a narrow strip down the page's middle tells whether the
    page has a gutter; only then are lines split at the gap that crosses it.
    """

    text = textpage.get_text_range()
    gutter = _find_gutter(textpage, page_height, page_width, text.count("\r\n") + 1)
    out: list[Line] = []
    pos = 0
    for raw in text.split("\r\n"):
        stripped = raw.strip()
        if stripped:
            first = pos + (len(raw) - len(raw.lstrip()))
            last = pos + len(raw.rstrip()) - 1
            spans = [(first, last)]
            if gutter is not None:
                spans = _split_at_gutter(textpage, first, last, gutter)
            out.extend(_line(textpage, text, page_height, a, b) for a, b in spans)
        pos += len(raw) + 2
    return tuple(out)


def _line(textpage, text: str, page_height: float, a: int, b: int) -> Line:
    """The line of chars a..b; its box spans its first and last glyph."""
    import pypdfium2.raw as pdfium_c

    boxes = [textpage.get_charbox(i, loose=True) for i in (a, (a + b) // 2, b)]
    # the median glyph box of first, middle and last: a superscript note mark or
    # an oversized generated glyph (PDFium's U+FFFE) at one end must not set the size
    y0, y1 = sorted(((bx[1], bx[3]) for bx in boxes), key=lambda yy: yy[1] - yy[0])[1]
    weight = pdfium_c.FPDFText_GetFontWeight(textpage, a)
    x, y = ctypes.c_double(), ctypes.c_double()
    found = pdfium_c.FPDFText_GetCharOrigin(textpage, a, ctypes.byref(x), ctypes.byref(y))
    return Line(text[a : b + 1].strip(), min(boxes[0][0], boxes[2][0]), page_height - y1,
                max(boxes[0][2], boxes[2][2]), page_height - y0, bold=weight >= 600,
                baseline=page_height - y.value if found else None)


def _find_gutter(textpage, page_height: float, page_width: float, n_lines: int) -> tuple[float, float] | None:
    """The x-range of an empty strip down the middle of a page with many lines, else None."""
    if n_lines < 6:
        return None
    for centre in (0.5, 0.47, 0.53):
        left, right = page_width * centre - 3, page_width * centre + 3
        inside = textpage.get_text_bounded(left, page_height * 0.1, right, page_height * 0.9)
        # a heading or two may cross the gutter: allow a glyph or so for every tenth line
        if len("".join(inside.split())) <= max(2, n_lines // 5):
            return left, right
    return None


def _split_at_gutter(textpage, first: int, last: int, gutter: tuple[float, float]) -> list[tuple[int, int]]:
    """Split a line's char range where a gap between glyphs spans the gutter strip."""
    left_edge = textpage.get_charbox(first)[0]
    right_edge = textpage.get_charbox(last)[2]
    if left_edge > gutter[0] or right_edge < gutter[1]:
        return [(first, last)]
    previous_end = None
    for index in range(first, last + 1):
        x0, _, x1, _ = textpage.get_charbox(index)
        if x1 <= x0:  # generated space: no box
            continue
        if previous_end is not None and previous_end[1] <= gutter[0] and x0 >= gutter[1]:
            return [(first, previous_end[0]), (index, last)]
        previous_end = (index, x1)
    return [(first, last)]


def _read_pdfplumber(path: Path) -> tuple[int, Iterator[PageLines]]:
    import pdfplumber
    from pdfminer.pdfdocument import PDFPasswordIncorrect
    from pdfminer.pdfparser import PDFSyntaxError

    try:
        pdf = pdfplumber.open(path)
        count = len(pdf.pages)
    except PDFPasswordIncorrect as exc:
        raise IngestError(path, "encrypted PDF (password required)") from exc
    except (PDFSyntaxError, Exception) as exc:  # pdfminer raises a zoo of types on bad files
        if "password" in repr(exc).lower():
            raise IngestError(path, "encrypted PDF (password required)") from exc
        raise IngestError(path, f"unreadable or truncated PDF ({type(exc).__name__}: {exc})") from exc

    def pages() -> Iterator[PageLines]:
        with pdf:
            for page in pdf.pages:
                lines = tuple(
                    Line(
                        item["text"].strip(), item["x0"], item["top"], item["x1"], item["bottom"],
                        bold="bold" in item["chars"][0].get("fontname", "").lower(),
                    )
                    for item in page.extract_text_lines(return_chars=True)
                    if item["text"].strip()
                )
                yield PageLines(page.page_number, float(page.width), float(page.height), lines)
                page.flush_cache()

    return count, pages()
