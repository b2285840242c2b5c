"""Page lines → clean blocks: the layout half of ingest, pure and backend-agnostic.

A chain of small steps, each returning new data: normalise glyphs, drop decorations, drop
running headers/footers and page numbers (found by repetition across pages and by position,
never by a list of known strings), split off footnotes (smaller type at the page foot,
starting with a marker), order two-column pages column by column, and build paragraphs,
rejoining words hyphenated across lines.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from statistics import median

from .pdf import Line, PageLines
from .records import Block, BlockKind
from .text import (
    fold_repeating,
    is_decoration,
    is_page_number,
    is_toc_line,
    join_lines,
    normalize_space,
    normalize_unicode,
    rejoin_letter_spaced,
    resolve_line_hyphens,
    word_vocabulary,
)

MARGIN = 0.11  # share of page height searched for running headers and footers
_LIST_START = re.compile(
    r"^(?:[•▪●◦‣∙·\-–—*]\s|\(?[a-z]{1,3}\)\s|\(?\d{1,3}[.)]\s|\d+(?:\.\d+)+\.?\s|"
    r"(?:Article|Section|Chapter|Part|Annex|ARTICLE|SECTION|CHAPTER|PART|ANNEX|§)\s)",
)
# a legislative line that opens a section ("53.", "PART IV"), or a section or subsection ("(2)")
_SECTION = r"\d+[A-Z]{0,2}\.|(?:PART|Part|CHAPTER|Chapter|SCHEDULE|Schedule)\s"
_SECTION_START = re.compile(rf"^(?:{_SECTION})")
_UNIT_START = re.compile(rf"^(?:{_SECTION}|\(\d+[A-Za-z]?\))")
_FOOTNOTE_START = re.compile(r"^(?:(\d{1,3})|[*†‡¹²³⁴⁵⁶⁷⁸⁹⁰]+|\[(\d+)\])(?:\s?\S|$)")
_TERMINAL = (".", ":", ";", "?", "!", "”", '"', ")")


@dataclass(frozen=True, slots=True)
class _PLine:
    """A line with its page, as the cleaning steps see it."""

    page: int
    line: Line
    text: str  # normalised: NFC, ligatures unfolded, letter-spacing rejoined
    page_height: float
    page_width: float


def clean_pages(pages: Sequence[PageLines], margin_notes: bool = False) -> tuple[list[Block], list[str]]:
    """Run every cleaning step over a document's pages; return blocks and warnings. With
    `margin_notes` (legislation), notes in the margin are set apart from the body."""
    plines = [
        _PLine(p.number, ln, rejoin_letter_spaced(normalize_unicode(ln.text)), p.height, p.width)
        for p in pages
        for ln in p.lines
    ]
    plines = [pl for pl in plines if pl.text.strip() and not is_decoration(pl.text) and not is_toc_line(pl.text)]
    plines, dropped = drop_running_lines(plines, n_pages=len(pages))
    body_size = _body_size(plines)
    blocks: list[Block] = []
    vocab = word_vocabulary(pl.text for pl in plines)
    plines = [replace(pl, text=resolve_line_hyphens(pl.text, vocab)) if "\ufffe" in pl.text else pl for pl in plines]
    by_page: dict[int, list[_PLine]] = {}
    for pl in plines:
        by_page.setdefault(pl.page, []).append(pl)
    footnotes: list[Block] = []
    for number in sorted(by_page):
        body, notes = split_footnotes(drop_contents_entries(by_page[number]), body_size)
        footnotes.extend(_footnote_blocks(notes, number, vocab))
        body, margin = split_margin_notes(body, body_size) if margin_notes else (body, [])
        body, asides = place_margin_notes(order_columns(body), margin, body_size)
        blocks.extend(_paragraphs(body, body_size, vocab))
        footnotes.extend(Block(text=join_lines((pl.text for pl in group), vocab), kind=BlockKind.footnote, page=number)
                         for group in asides)
    blocks = join_across_pages(blocks)
    warnings = [f"dropped {dropped} running header/footer or page-number lines"] if dropped else []
    return blocks + footnotes, warnings


def drop_running_lines(plines: list[_PLine], n_pages: int) -> tuple[list[_PLine], int]:
    """Drop lines in the top/bottom margin that repeat across pages, and bare page numbers.

    A line's shape (case and digits folded) that recurs in the margin band of at least a
    quarter of the pages (and of three) is a running header or footer, whatever it says.
    """
    def in_margin(pl: _PLine) -> bool:
        ln = pl.line
        return (
            ln.top < MARGIN * pl.page_height
            or ln.bottom > (1 - MARGIN) * pl.page_height
            or ln.x1 < 0.08 * pl.page_width  # rotated notes running up the side
            or ln.x0 > 0.92 * pl.page_width
        )

    pages_of: dict[str, set[int]] = {}
    for pl in plines:
        if in_margin(pl):
            pages_of.setdefault(fold_repeating(pl.text), set()).add(pl.page)
    threshold = max(3, int(0.25 * n_pages))
    running = {shape for shape, seen in pages_of.items() if len(seen) >= threshold}
    kept = [
        pl
        for pl in plines
        if not (in_margin(pl) and (fold_repeating(pl.text) in running or is_page_number(pl.text)))
    ]
    return kept, len(plines) - len(kept)


# a number standing alone in a margin line, not part of "2-3" or "G-12" (pages numbered by
# chapter or appendix start their own count), a date or a decimal
_NUMBER_TOKEN = re.compile(r"(?<![\w.,])(?<!\w[-–])\d{1,5}(?![\w.,])(?![-–]\w)")


def printed_page_numbers(pages: Sequence[PageLines]) -> dict[int, int]:
    """The page number each PDF page prints in its margins: a scholar cites the printed page
    ("p. 23"), which a cover or a roman-numbered front matter sets apart from the viewer's
    (24).

    A number in a margin line whose difference from the page index is the same on at least
    a third of the pages (and three), and twice as often as any other difference, runs in
    step with the pages: it is the page number, as a bare number, "Page 23 of 64" or inside
    a running header. Only pages that show it are mapped; none are where no such series runs
    (numbers by chapter, "2-3", or none at all), rather than a guess."""
    votes: Counter[int] = Counter()
    shown: dict[int, set[int]] = {}
    for page in pages:
        band = MARGIN * page.height
        numbers = {int(m.group()) for ln in page.lines if ln.top < band or ln.bottom > page.height - band
                   for m in _NUMBER_TOKEN.finditer(ln.text)}
        shown[page.number] = numbers
        votes.update({n - page.number for n in numbers})
    ranked = votes.most_common(2)
    if not ranked:
        return {}
    offset, count = ranked[0]
    runner_up = ranked[1][1] if len(ranked) > 1 else 0
    if count < max(3, len(pages) / 3) or count < 2 * runner_up:
        return {}
    return {number: number + offset for number, seen in shown.items() if number + offset in seen and number + offset > 0}


_PAGE_REF = re.compile(r"\s(\d{1,3})$")


def drop_contents_entries(lines: list[_PLine]) -> list[_PLine]:
    """Drop a contents page's entries ("2.1 Governance 19") when dot leaders are absent.

    A page is a contents page when at least half its lines (and six) end in a number and
    those numbers mostly rise: page references do, figures in a table seldom do.
    """
    refs = [(pl, int(m.group(1))) for pl in lines if (m := _PAGE_REF.search(pl.text))]
    if len(refs) < 6 or len(refs) < 0.5 * len(lines):
        return lines
    ordered = sorted(refs, key=lambda r: (r[0].line.x0 > r[0].page_width / 2, r[0].line.top))
    rising = sum(b[1] >= a[1] for a, b in zip(ordered, ordered[1:]))
    if rising < 0.8 * (len(ordered) - 1):
        return lines
    entries = {id(pl) for pl, _ in refs}
    return [pl for pl in lines if id(pl) not in entries]


def _body_size(plines: Iterable[_PLine]) -> float:
    """The body text's line height: the height that carries the most characters."""
    weights: Counter[float] = Counter()
    for pl in plines:
        weights[round(pl.line.height, 0)] += len(pl.text)
    return weights.most_common(1)[0][0] if weights else 10.0


def split_footnotes(lines: list[_PLine], body_size: float) -> tuple[list[_PLine], list[_PLine]]:
    """Split a page's lines into body and footnotes.

    Footnotes are the run of lines at the foot of the page, in type clearly smaller than the
    body's, whose first line starts with a note marker (1, *, †, [1]).
    """
    if not lines:
        return lines, []
    ordered = reading_rows(lines)
    small = [pl.line.height < 0.86 * body_size for pl in ordered]
    start = len(ordered)
    while start > 0 and small[start - 1] and ordered[start - 1].line.top > 0.5 * ordered[0].page_height:
        start -= 1
    # the note block must begin with a marker, on its first line or the one after
    if any(_FOOTNOTE_START.match(pl.text) for pl in ordered[start : start + 2]):
        return ordered[:start], ordered[start:]
    return ordered, []


def split_margin_notes(lines: list[_PLine], body_size: float) -> tuple[list[_PLine], list[_PLine]]:
    """Split off marginal notes: lines in type clearly smaller than the body's standing wholly
    beside the body's column (Commonwealth acts print each section's title so). A page needs
    a few body lines to know its column."""
    body = [pl for pl in lines if abs(pl.line.height - body_size) <= 0.18 * body_size]
    if len(body) < 5:
        return lines, []
    # the column's edges: where three or more body lines start or end, in justified text (a
    # page number, a signature or a centred heading beyond them does not widen it); else the
    # body lines' extremes
    starts, ends = Counter(round(pl.line.x0) for pl in body), Counter(round(pl.line.x1) for pl in body)
    left = min((x for x, n in starts.items() if n >= 3), default=min(starts))
    right = max((x for x, n in ends.items() if n >= 3), default=max(ends))
    notes = [pl for pl in lines if pl.line.height < 0.86 * body_size and (pl.line.x1 <= left - 2 or pl.line.x0 >= right + 2)]
    if not notes:
        return lines, []
    kept = [pl for pl in lines if pl not in notes]
    return kept, notes


def place_margin_notes(lines: list[_PLine], notes: list[_PLine], body_size: float
                       ) -> tuple[list[_PLine], list[list[_PLine]]]:
    """Each marginal note beside the line that opens a section or subsection goes just before
    that line, as a paragraph of its own (its smaller type parts it from the body): where
    segmentation reads a section's title. A note beside any other line ("Cap. 08:06" beside a
    cited act) is returned apart, to be kept as a note. A note's lines follow at their type's
    pitch; a line level with the start of a section, or a wider step, starts another note."""
    if not notes:
        return lines, []
    ordered = sorted(notes, key=lambda q: q.line.top)
    pitch = min((b.line.top - a.line.top for a, b in zip(ordered, ordered[1:])), default=0.0)
    groups: list[list[_PLine]] = []
    for pl in ordered:
        step = pl.line.top - groups[-1][-1].line.top if groups else None
        level = _level_with(lines, pl.line, body_size)
        opens = level is not None and bool(_SECTION_START.match(lines[level].text))
        if step is not None and not opens and step <= 1.4 * pitch and step < 2 * pl.line.height:
            groups[-1].append(pl)
        else:
            groups.append([pl])
    out, asides = list(lines), []
    for group in reversed(groups):
        note = group[0].line
        at = _level_with(out, note, body_size)
        if at is not None and not _UNIT_START.match(out[at].text):
            asides.insert(0, group)
            continue
        if at is None:  # level with no body line: before the first one below it
            at = next((i for i, pl in enumerate(out) if pl.line.top >= note.top - 1), len(out))
        out[at:at] = group
    return out, asides


def _level_with(lines: list[_PLine], note: Line, body_size: float) -> int | None:
    """The index of the body line a note stands level with: the one whose baseline is nearest
    (type of another size has another box), if near enough."""
    level = [(abs(pl.line.baseline - note.baseline), i) for i, pl in enumerate(lines)
             if note.baseline is not None and pl.line.baseline is not None]
    return min(level)[1] if level and min(level)[0] < 0.5 * body_size else None


def reading_rows(lines: list[_PLine]) -> list[_PLine]:
    """Sort lines top to bottom, and left to right within a row: lines whose vertical
    centres lie within 40% of a line height share a row (a raised note mark and its text)."""
    ordered = sorted(lines, key=lambda pl: pl.line.top)
    rows: list[list[_PLine]] = []
    for pl in ordered:
        centre = (pl.line.top + pl.line.bottom) / 2
        if rows:
            ref = rows[-1][0].line
            if abs(centre - (ref.top + ref.bottom) / 2) < 0.4 * max(ref.height, pl.line.height):
                rows[-1].append(pl)
                continue
        rows.append([pl])
    return [pl for row in rows for pl in sorted(row, key=lambda q: q.line.x0)]


def order_columns(lines: list[_PLine]) -> list[_PLine]:
    """Reading order for one page: full-width bands top to bottom, and inside a band of two
    columns, the left column before the right one."""
    if not lines:
        return lines
    width = lines[0].page_width
    mid = width / 2
    left = [pl for pl in lines if pl.line.x1 <= mid + 0.02 * width]
    right = [pl for pl in lines if pl.line.x0 >= mid - 0.02 * width]
    if len(left) < 3 or len(right) < 3:
        return reading_rows(lines)
    ordered: list[_PLine] = []
    band_left: list[_PLine] = []
    band_right: list[_PLine] = []

    def flush() -> None:
        ordered.extend(sorted(band_left, key=lambda pl: pl.line.top))
        ordered.extend(sorted(band_right, key=lambda pl: pl.line.top))
        band_left.clear()
        band_right.clear()

    for pl in sorted(lines, key=lambda pl: (pl.line.top, pl.line.x0)):
        if pl.line.x1 <= mid + 0.02 * width:
            band_left.append(pl)
        elif pl.line.x0 >= mid - 0.02 * width:
            band_right.append(pl)
        else:  # spans both columns: closes the band above it
            flush()
            ordered.append(pl)
    flush()
    return ordered


def _paragraphs(lines: list[_PLine], body_size: float, vocab: set[str]) -> list[Block]:
    """Group ordered lines into paragraph and heading blocks by gaps, type size and indents."""
    blocks: list[Block] = []
    group: list[_PLine] = []

    def flush() -> None:
        if not group:
            return
        text = join_lines((pl.text for pl in group), vocab)
        size = median(pl.line.height for pl in group)
        short = len(text) < 200 and not text.rstrip().endswith((".", ";", ","))
        is_heading = short and (
            size > 1.18 * body_size
            or all(pl.line.bold for pl in group)
            or (text.isupper() and any(c.isalpha() for c in text))
        )
        kind = BlockKind.heading if is_heading else BlockKind.paragraph
        blocks.append(Block(text=normalize_space(text), kind=kind, page=group[0].page, size=round(size, 1)))
        group.clear()

    for pl in lines:
        if group:
            prev = group[-1]
            gap = pl.line.top - prev.line.bottom
            same_size = abs(pl.line.height - prev.line.height) <= 0.18 * max(prev.line.height, 1)
            jumped_column = pl.line.top < prev.line.top - 2 or abs(pl.line.x0 - prev.line.x0) > 0.3 * pl.page_width
            prev_ends = prev.text.rstrip().endswith(_TERMINAL)
            short_prev = prev.line.x1 < max(q.line.x1 for q in group) - 0.15 * pl.page_width
            new_para = (
                gap > 0.55 * max(prev.line.height, body_size)
                or not same_size
                or pl.line.bold != prev.line.bold
                or (jumped_column and prev_ends)
                or bool(_LIST_START.match(pl.text))
                or (short_prev and prev_ends)
            )
            if new_para:
                flush()
        group.append(pl)
    flush()
    return blocks


def join_across_pages(blocks: list[Block]) -> list[Block]:
    """Rejoin a paragraph cut by a page break: the first paragraph of a page continues the
    last one before it when that one ends mid-sentence and this one starts in lower case."""
    out: list[Block] = []
    for block in blocks:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.kind == block.kind == BlockKind.paragraph
            and block.page is not None
            and prev.last_page is not None
            and block.page == prev.last_page + 1
            and not prev.text.rstrip().endswith(_TERMINAL)
            and (block.text[:1].islower() or prev.text.endswith(("-", ",")))
        ):
            out[-1] = prev.model_copy(update={"text": join_lines([prev.text, block.text]), "page_end": block.page})
            continue
        out.append(block)
    return out


def _footnote_blocks(notes: list[_PLine], page: int, vocab: set[str]) -> list[Block]:
    """One footnote block per marker-led run of lines.

    A line opening with a number starts a new note only when the number follows the last
    note's ("274 on December…" continues note 1; "2 See…" starts note 2).
    """
    out: list[list[str]] = []
    last: int | None = None
    for pl in notes:
        match = _FOOTNOTE_START.match(pl.text)
        number = int(match.group(1) or match.group(2)) if match and (match.group(1) or match.group(2)) else None
        starts = bool(match) and (last is None or number is None or number == last + 1)
        if not out or starts:
            out.append([pl.text])
            last = number if number is not None else last
        else:
            out[-1].append(pl.text)
    return [Block(text=join_lines(n, vocab), kind=BlockKind.footnote, page=page) for n in out if n]
