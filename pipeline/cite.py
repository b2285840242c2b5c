"""Passage paths written the way a lawyer cites them: "Article 21(2)(d)", "Recital 79",
"§ 5(1)(aa)", "Section 3.2, para 4", or a strategy's heading when it has no number; and the
number a document prints at a paragraph's start where ddlens could only count it ("4.29")."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping

# units a citation starts from (the deepest one in the path wins) …
# (the label alone: a heading "Article 64 : Addition of technologies …" or "Rule of Law" is a title)
_UNIT = re.compile(r"^(?:Article|Art\.|Section|§|Recital|Footnote|Rule|Regulation)\s*\S+$|^(?:Annex|Schedule)\b",
                   re.IGNORECASE)
# … and containers cited only when no unit is below them
_CONTAINER = re.compile(r"^(?:Chapter|Part|Title|Book|Addendum|Appendix|CHAPTER|PART|TITLE|BOOK|ADDENDUM|APPENDIX)\s+\S+")
_NUMBER = re.compile(r"^\d+[a-z]?$")
_POINT = re.compile(r"^\(?([a-z]{1,3}|[ivx]{1,5}|\d+[a-z]?)\)$|^[a-z]$")
_COUNTED = re.compile(r"^(para|subpara|part)\s+(\d+)$")  # "part N": a long paragraph cut at its sentences
_REPEAT = re.compile(r"-(\d+)$")  # segment.py's suffix for a second passage with the same path
# what ddlens could only count: the n-th paragraph (or subparagraph) under a heading or unit
_COUNTED_PARA = re.compile(r"^(?:para|subpara)\s+\d+$")
# the number a document prints at a paragraph's start ("4.29 As well as …", "9.2.2 The CIIO
# shall …", "6.1. to ensure …"); "4.5 million households" opens with no number of the document's
_OWN_NUMBER = re.compile(r"(\d{1,2}(?:\.\d{1,3})+)(?:\.(?=\s)|\s+(?=[A-Z“\"(]))")
_SECTION = re.compile(r"^Section\s+(\d+)")
_OPENS_NUMBER = re.compile(r"\d+(?:\.\d+)*\.?(?:\s|$)")
# a part segmentation did not see, which no numbered section above it heads
_OPENS_PART = re.compile(r"(?:Appendix|Annex(?:ure)?|Schedule|Glossary|References|Bibliography)\b")
_OPENS_POINT = re.compile(r"\(?([a-z]{1,2}|[ivx]{1,5}|\d{1,2})\)\s")
# a contents line ("3.2 Risk management ........ 14"; a scan's dot leaders come out as
# "ooccccccnononocc…": no English word is 12 such letters)
CONTENTS_LEADERS = re.compile(r"\.{5,}|…{2,}|(?:\. ){4,}|[.ocnr]{12,}")
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


def cite_passages(passages: Iterable) -> dict[str, str]:
    """Every passage's citation, by id. Where a document prints its own paragraph or
    subsection numbers that segmentation did not read as structure (the UK strategy's "4.29",
    the Singapore code's "9.2.2", NIST's "6.2.17"), a counted "para 8" is a pin-cite the
    document does not use: the printed number is cited instead, when no other passage of the
    document opens with it (a contents line never counts), and the passages after it under the
    same heading are cited from it ("Section 6.2.17, para 2", "Section 7.3.1(a)", "para 4.29,
    part 2") until the next number or an appendix. A citation so made that two passages of a
    document would share is left to the count."""
    passages = list(passages)
    counted = {p.id: cite_passage(p) for p in passages}
    numbers = _printed_numbers(passages)
    cited, run = dict(counted), None
    for p in passages:
        number = numbers.get(p.id)
        own = _numbered(p.path, number, _heading_only(p.text)) if number else None
        if own:
            cited[p.id], run = own, _Numbered(p, own)
        elif run and run.holds(p):
            cited[p.id] = run.cite_next(p.text)
        else:
            run = None
    shared = Counter((p.doc_id, cited[p.id]) for p in passages)
    return {p.id: cited[p.id] if shared[p.doc_id, cited[p.id]] == 1 else counted[p.id] for p in passages}


def _printed_numbers(passages: list) -> dict[str, str]:
    """The numbers passages open with that are theirs: not a number two passages open with
    (a contents line beside its section), nor one of a section segmentation read as
    structure, nor one lower than a number before it (a table's reference back to chapter
    8.1 in an appendix after chapter 11)."""
    numbers = {p.id: number for p in passages if (number := _own_number(p))}
    openings = Counter((p.doc_id, number) for p in passages if (number := numbers.get(p.id)))
    sections = {(p.doc_id, part.removeprefix("Section ")) for p in passages for part in p.path if _SECTION.match(part)}
    kept, last = {}, {}
    for p in passages:
        number = numbers.get(p.id)
        if not number or openings[p.doc_id, number] > 1 or (p.doc_id, number) in sections:
            continue
        order = tuple(int(n) for n in number.split("."))
        if order >= last.get(p.doc_id, ()):
            kept[p.id], last[p.doc_id] = number, order
    return kept


class _Numbered:
    """The passages a printed number heads: its section's paragraphs (the first after a
    heading-only line is para 1), or a numbered paragraph's further parts; a point is cited
    by its letter."""

    def __init__(self, head, cited: str) -> None:
        self.doc_id, self.parent, self.cited = head.doc_id, list(head.path[:-1]), cited
        self.section = cited.startswith("Section ")
        self.next = 1 if self.section and _heading_only(head.text) else 2

    def holds(self, passage) -> bool:
        return (passage.doc_id == self.doc_id and list(passage.path[:-1]) == self.parent
                and bool(_COUNTED_PARA.match(passage.path[-1])) and not _OPENS_NUMBER.match(passage.text)
                and not _OPENS_PART.match(passage.text) and not CONTENTS_LEADERS.search(passage.text))

    def cite_next(self, text: str) -> str:
        point = _OPENS_POINT.match(text)
        if point:
            return f"{self.cited}({point.group(1)})"
        self.next += 1
        return f"{self.cited}, {'para' if self.section else 'part'} {self.next - 1}"


def _heading_only(text: str) -> bool:
    """A numbered line that is a title, not a paragraph: short, and no sentence's end or all
    in capitals ("3.10. UNIVERSAL ACCESS OF ICT.")."""
    return len(text) < HEADING_CHARS * 2 and (not text.rstrip().endswith((".", ";", ":", "?", "!")) or text.isupper())


def cite_passage(passage) -> str:
    """A passage's citation by its path alone, told apart from the passages sharing its path
    (two paragraphs a document numbers alike, as its text gives them): the second is "(2nd)",
    from its id's suffix (`…:p1-2`), so each citation names one passage. `cite_passages`
    also reads the numbers a document prints."""
    repeat = _REPEAT.search(passage.id.rsplit(":", 1)[-1])
    return cite_path(passage.path, passage.kind) + (f" ({_ordinal(int(repeat.group(1)))})" if repeat else "")


def _own_number(passage) -> str | None:
    if not len(passage.path) or not _COUNTED_PARA.match(passage.path[-1]) or CONTENTS_LEADERS.search(passage.text):
        return None
    match = _OWN_NUMBER.match(passage.text)
    return match.group(1) if match else None


def _numbered(path, number: str, heading: bool = False) -> str | None:
    """"“Heading”, para 4.29" under a heading; "Section 9.2.2" where the counted paragraph sat
    in Section 9 (or 9.2), or where the passage is a numbered heading alone ("1.3 OBJECTIVE
    III"); None under any other unit (an article's paragraphs are its own)."""
    parts = [p.strip() for p in path if p and p.strip()]
    start = _anchor(parts)
    section = _SECTION.match(parts[start]) if start is not None else None
    if heading or (section and section.group(1) == number.split(".")[0]):
        return f"Section {number}"
    if start is not None:
        return None
    headings = [p for p in parts if not _COUNTED.match(p)]
    return (f"“{_short(headings[-1])}”, " if headings else "") + f"para {number}"


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
