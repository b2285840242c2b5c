"""Passage paths written the way a lawyer cites them: "Article 21(2)(d)", "Recital 79",
"§ 5(1)(aa)", "Section 3.2, para 4", or a strategy's heading when it has no number."""

from __future__ import annotations

import re
from collections.abc import Mapping

# units a citation starts from (the deepest one in the path wins) …
_UNIT = re.compile(r"^(?:Article|Art\.|Section|§|Recital|Footnote|Rule|Regulation)\s*\S+|^(?:Annex|Schedule)\b",
                   re.IGNORECASE)
# … and containers cited only when no unit is below them
_CONTAINER = re.compile(r"^(?:Chapter|Part|Title|Book|Addendum|Appendix|CHAPTER|PART|TITLE|BOOK|ADDENDUM|APPENDIX)\s+\S+")
_NUMBER = re.compile(r"^\d+[a-z]?$")
_POINT = re.compile(r"^\(?([a-z]{1,3}|[ivx]{1,5}|\d+[a-z]?)\)$|^[a-z]$")
_COUNTED = re.compile(r"^(para|subpara|part)\s+(\d+)$")  # "part N": a long paragraph cut at its sentences
_REPEAT = re.compile(r"-(\d+)$")  # segment.py's suffix for a second passage with the same path
SPECIAL = {"title": "Title", "closing": "Closing formula"}
HEADING_CHARS = 60


def cite_path(path: list[str] | tuple[str, ...], kind: str = "") -> str:
    """A citable location for a passage path (`kind` names titles and closing formulas)."""
    if kind in SPECIAL:
        return SPECIAL[kind]
    parts = [p.strip() for p in path if p and p.strip()]
    start = _anchor(parts)
    if start is None:
        return _heading_cite(parts)
    out = parts[start]
    for part in parts[start + 1 :]:
        out += _suffix(part)
    return out


def cite_passage(passage) -> str:
    """A passage's citation, told apart from the passages sharing its path (two paragraphs a
    document numbers alike, as its text gives them): the second is "(2nd)", from its id's
    suffix (`…:p1-2`), so each citation names one passage."""
    repeat = _REPEAT.search(passage.id.rsplit(":", 1)[-1])
    return cite_path(passage.path, passage.kind) + (f" ({_ordinal(int(repeat.group(1)))})" if repeat else "")


def _ordinal(n: int) -> str:
    return f"{n}{'th' if 10 <= n % 100 <= 20 else {1: 'st', 2: 'nd', 3: 'rd'}.get(n % 10, 'th')}"


def cite_pages(page_start: int | None, page_end: int | None, printed: Mapping[int, int] | None = None) -> str:
    """The page a scholar cites, with the file's where they differ: "p. 23 (PDF p. 24)";
    "PDF p. 2" on a page that prints no number of the document's series, or in a PDF that
    prints none (`Document.printed_pages` empty); "p. 24" where the two agree, and where
    nothing is known of printed numbers (None: a run ingested before they were read)."""
    if page_start is None:
        return ""
    end = page_start if page_end is None else page_end
    span = f"p. {page_start}" if end == page_start else f"pp. {page_start}–{end}"
    if printed is None:
        return span
    first, last = printed.get(page_start), printed.get(end)
    if first is None:
        return f"PDF {span}"
    shown = f"p. {first}" if last is None or last == first else f"pp. {first}–{last}"
    return span if shown == span else f"{shown} (PDF {span})"


def _anchor(parts: list[str]) -> int | None:
    for pattern in (_UNIT, _CONTAINER):
        found = [i for i, part in enumerate(parts) if pattern.match(part)]
        if found:
            return found[-1]
    return None


def _suffix(part: str) -> str:
    """What one path component below the unit adds: (2), (d), ", para 3", or a heading."""
    if _NUMBER.match(part):
        return f"({part})"
    point = _POINT.match(part)
    if point:
        return f"({point.group(1) or part})"
    counted = _COUNTED.match(part)
    if counted:
        return f", {counted.group(1)} {counted.group(2)}"
    return f", “{_short(part)}”"


def _heading_cite(parts: list[str]) -> str:
    """No numbered unit (most strategies): the nearest heading and the paragraph number."""
    if not parts:
        return "(no structure)"
    tail = [p for p in parts if _COUNTED.match(p)]
    headings = [p for p in parts if not _COUNTED.match(p)]
    out = f"“{_short(headings[-1])}”" if headings else ""
    for part in tail:
        out += _suffix(part) if out else _suffix(part).removeprefix(", ")
    return out


def _short(text: str) -> str:
    return text if len(text) <= HEADING_CHARS else text[: HEADING_CHARS - 1].rstrip() + "…"
