"""Plain text → clean blocks: re-flow hard-wrapped extractions into paragraphs.

Many corpus texts are raw extractions of PDFs: hard line breaks mid-sentence, blank lines
inside sentences, form feeds between pages, bare page numbers and running headers. They are
cleaned like PDFs (repetition finds the running lines) and re-flowed: a line joins the one
before unless the previous line closes a sentence short of the usual line width, or the
line opens a list item or a heading.
"""

from __future__ import annotations

import re
from collections import Counter

from .records import Block, BlockKind
from .text import (
    fold_repeating,
    is_decoration,
    is_page_number,
    join_lines,
    normalize_space,
    normalize_unicode,
    rejoin_letter_spaced,
    word_vocabulary,
)

# Lines that open a structural unit: never merged into the paragraph before them, and never
# taken for running headers however often their shape repeats ("(a)", "Article 5").
STRUCTURAL = re.compile(
    r"^(?:\(?[a-z]{1,4}\)|\(\d{1,3}\)|\d{1,3}[.)]|\d+(?:\.\d+)+\.?|[•▪●◦‣∙·\-–—*]"
    r"|art-\d+|article|art\.|section|chapter|part|title|annex|recitals?|§\s*\d+[a-z]{0,2}|§|článok|čl\.|第\S+条|[IVX]+\.)(?:\s|$)",
    re.IGNORECASE,
)
_TERMINAL = (".", ":", ";", "?", "!", "”", '"', "。")
# "Article 5", "§ 3", "Section 12", "第五条", "CHAPTER II": a heading line of its own, and the
# short title line after it ("Minimum harmonisation") too.
_LONE_HEADING = re.compile(
    r"^(?:(?:Article|ARTICLE|Art\.|Section|SECTION|Článok|§|CHAPTER|Chapter|TITLE|PART|ANNEX)\s*[\dIVXLC]+[a-z]?\.?"
    r"|第\S+条|ANNEX|RECITALS|art-\d+\s*（[^）]{1,40}）)$"
)
_HEADING_MAX = 90
# "§10  Kybernetická bezpečnosť …": a section sign, its number and the section's title on one line
_TITLED_SECTION = re.compile(r"^(?:§|Článok)\s*\d+[a-z]{0,2}\s+\S.{0,118}$")


def reflow_text(text: str) -> tuple[list[Block], list[str]]:
    """Clean and re-flow a text extraction into paragraph and heading blocks."""
    text = normalize_unicode(text)
    pages = text.split("\f")
    lines = [rejoin_letter_spaced(ln.rstrip()) for page in pages for ln in page.split("\n") + [""]]
    lines, dropped = _drop_running(lines, n_pages=len(pages))
    vocab = word_vocabulary(lines)
    width = _typical_width(lines)
    paragraphs = _group(lines, width)
    blocks = []
    for group in paragraphs:
        joined = normalize_space(join_lines(group, vocab))
        if not joined:
            continue
        kind = BlockKind.heading if _looks_like_heading(group, joined) else BlockKind.paragraph
        blocks.append(Block(text=joined, kind=kind))
    warnings = [f"dropped {dropped} page-number or running-header lines"] if dropped else []
    return _dedupe_adjacent(blocks), warnings


def _drop_running(lines: list[str], n_pages: int) -> tuple[list[str], int]:
    """Drop bare page numbers, glyph rows and short lines that repeat like running headers.

    A short non-structural line whose shape recurs at least four times (and on a fifth of
    the pages where form feeds mark them) is a running header; structural markers and
    headings that a law repeats are kept. An upper-case line is kept unless form feeds show
    it on a third of the pages: "FINLAND´S CYBER SECURITY STRATEGY" and "UNCLASSIFIED" head
    every page and had become the title of the passages below them.
    """
    shapes = Counter(fold_repeating(ln) for ln in lines if ln.strip())
    exact = Counter(ln.strip() for ln in lines if ln.strip())
    threshold = max(4, n_pages // 5)
    footers = _numbered_footers(lines, threshold)
    kept: list[str] = []
    dropped = 0
    for ln in lines:
        stripped = ln.strip()
        if not stripped:
            kept.append("")
            continue
        count = shapes[fold_repeating(ln)]
        # a repeated line is a running header when it carries a page number, or when it
        # recurs on a third of the pages
        frequent = count >= max(6, n_pages // 3) or (count >= threshold and any(c.isdigit() for c in stripped))
        # (counted as written unless it carries its page number: a title folds to the shape of a
        # numbered header, "12 National Strategy")
        seen = count if any(c.isdigit() for c in stripped) else exact[stripped]
        every_page = n_pages >= 4 and seen >= max(6, n_pages // 3) and len(stripped) >= 10
        repeated = (
            frequent
            and len(stripped) <= 80
            and not STRUCTURAL.match(stripped)
            and not stripped.endswith(_TERMINAL)
            and (not stripped.isupper() or every_page)
        )
        if is_page_number(stripped) or is_decoration(stripped) or repeated or _unnumbered(stripped) in footers:
            dropped += 1
            continue
        kept.append(ln)
    return kept, dropped


# a line that carries its page number at one edge: "30  The UK Cyber Security Strategy: …"
_EDGE_NUMBER = re.compile(r"^\d{1,4}\s+(?=\S)|(?<=\S)\s+\d{1,4}$")


def _unnumbered(line: str) -> str:
    return _EDGE_NUMBER.sub("", line)


def _numbered_footers(lines: list[str], threshold: int) -> set[str]:
    """Texts that recur with a page number at their edge, one that changes from page to page:
    a footer as long as the document's full title, too long for the shape test above. A
    table's rows that end alike ("… division 29 of NACE Rev. 2") keep their number."""
    numbers: dict[str, set[str]] = {}
    seen: Counter = Counter()
    for ln in lines:
        stripped = ln.strip()
        match = _EDGE_NUMBER.search(stripped)
        if match and not stripped.endswith(_TERMINAL):
            rest = _unnumbered(stripped)
            numbers.setdefault(rest, set()).add(match.group().strip())
            seen[rest] += 1
    return {rest for rest, count in seen.items() if count >= threshold and len(numbers[rest]) >= 3 and len(rest) >= 20}


def _typical_width(lines: list[str]) -> int:
    lengths = sorted(len(ln.strip()) for ln in lines if ln.strip())
    return lengths[int(0.9 * (len(lengths) - 1))] if lengths else 80


def _group(lines: list[str], width: int) -> list[list[str]]:
    """Split lines into paragraphs: see the module docstring for when a line joins the last."""
    groups: list[list[str]] = []
    current: list[str] = []
    blank_since = False
    for ln in lines:
        stripped = ln.strip()
        if not stripped:
            blank_since = True
            continue
        if current:
            prev = current[-1].strip()
            prev_closed = prev.endswith(_TERMINAL)
            prev_full = len(prev) >= 0.6 * width
            continues = stripped[0].islower() or stripped[0] in ",;)"
            starts_unit = bool(STRUCTURAL.match(stripped))
            lone_marker = bool(re.fullmatch(r"\(?[0-9a-zA-Z]{1,4}[.)]", prev))
            after_heading = _LONE_HEADING.match(prev) or (_TITLED_SECTION.match(prev) and not prev.endswith(_TERMINAL + (",",))) or (
                len(current) == 1 and groups and _LONE_HEADING.match(groups[-1][-1]) and not prev.endswith(_TERMINAL)
                and len(prev) < _HEADING_MAX
            )
            if after_heading:
                join = False
            elif lone_marker:
                join = True
            elif blank_since:
                join = not prev_closed and continues and not starts_unit
            else:
                join = not starts_unit and not (prev_closed and not prev_full) and not _is_heading_line(prev, width)
            if not join:
                groups.append(current)
                current = []
        current.append(stripped)
        blank_since = False
    if current:
        groups.append(current)
    return groups


def _is_heading_line(line: str, width: int) -> bool:
    return len(line) < min(_HEADING_MAX, 0.6 * width) and not line.endswith(_TERMINAL + (",",)) and (
        line.isupper() or bool(re.match(r"^\d+(?:\.\d+)*\.?\s+[A-Z]", line))
    )


def _looks_like_heading(group: list[str], joined: str) -> bool:
    return len(group) <= 2 and len(joined) <= _HEADING_MAX and not joined.endswith(_TERMINAL + (",",)) and (
        joined.isupper() or joined[:1].isupper() or bool(re.match(r"^\d+(?:\.\d+)*\.?\s", joined))
    )


def _dedupe_adjacent(blocks: list[Block]) -> list[Block]:
    """Drop a block identical to the one before it (extractions repeat the last recital)."""
    out: list[Block] = []
    for block in blocks:
        if out and out[-1].text == block.text and len(block.text) > 40:
            continue
        out.append(block)
    return out


def html_to_text(html: str) -> tuple[str, str | None]:
    """Block-level HTML elements become paragraphs separated by blank lines; with the page's
    <title>, which names a document no manifest describes."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(html, "html.parser")
    title = normalize_space(soup.title.get_text(" ")) if soup.title else ""
    for tag in soup(["script", "style", "noscript", "nav", "header", "footer"]):
        tag.decompose()
    parts: list[str] = []
    blocks = soup.find_all(["h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "pre", "dt", "dd"])
    for element in blocks:
        if element.find(["p", "li", "td"]):  # a container of other blocks: its children speak
            continue
        text = normalize_space(element.get_text(" "))
        if text:
            parts.append(text)
    if not parts:
        parts = [normalize_space(t) for t in soup.get_text("\n").split("\n") if t.strip()]
    return "\n\n".join(parts), title or None
