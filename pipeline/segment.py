"""Document → Passages along the document's legal structure. Pure and deterministic.

Recognises, from the block texts alone: recitals (a numbered "(N)" paragraph before the
enacting terms), chapters/titles/parts/sections as headings, articles (Article, Art., §,
Section, Článok, 第N条) with their numbered paragraphs ("1.", "(1)") and points ("(a)",
"(i)"), annexes; and in strategies numbered and typographic headings with their paragraphs
and bullet lists. A numbered paragraph keeps its points; one longer than the limit is split
at its points, then at sentences, never mid-sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from .ingest import NON_BINDING_KINDS
from .records import Block, BlockKind, Document, Passage
from .sentences import split_sentences
from .text import normalize_space

_RECITALS = re.compile(r"^(?:RECITALS|Whereas:?|WHEREAS:?)$")
_RECITAL = re.compile(r"^\((\d{1,3})\)\s+(\S.*)$", re.S)
_LEVEL = re.compile(r"^(CHAPTER|Chapter|TITLE|Title|PART|Part|DIVISION|Division|Hlava|HLAVA|Časť|ČASŤ|第[一二三四五六七八九十百\d]+章)\s*([IVXLC]+|\d+[A-Z]?)?\b\.?\s*(.*)$", re.S)
_SECTION_EU = re.compile(r"^(Section|SECTION)\s+(\d+)$")
_ARTICLE = re.compile(
    r"^(?:(?:Article|ARTICLE|Art\.|Článok|Čl\.|Section|SECTION|Sec\.|art-)\s*(\d+[a-z]?)|§\s*(\d+[a-z]?)|第([一二三四五六七八九十百千\d]+)条(?:の[一二三四五六七八九十\d]+)?)"
    r"(?:\s*[.:—–-]?\s*(.*))?$",
    re.S,
)
_ANNEX = re.compile(r"^(?:ANNEX|Annex|SCHEDULE|Schedule|Príloha|PRÍLOHA)\s*(?:N[º°o]\.?\s*)?([IVXLC]+|\d+|[A-Z](?![A-Za-z]))?\b\.?\s*(.*)$", re.S)
_KANJI_ARTICLE = re.compile(r"^第([一二三四五六七八九十百千\d]+)条\s*")
_PARAGRAPH = re.compile(r"^(?:(\d{1,3})\.|\((\d{1,3}[a-z]?)\))\s+(\S.*)$", re.S)
_POINT = re.compile(r"^\(?([a-z]{1,2}|[ivx]{1,6})\)\s+(\S.*)$", re.S)
# Commonwealth acts: "2.—(1) In this Act…" opens section 2 (the dash is the tell)
_CW_SECTION = re.compile(r"^(\d+[A-Z]{0,2})\.\s?[—–-]\s?(\S.*)$", re.S)
_CW_PLAIN = re.compile(r"^(\d+[A-Z]{0,2})\.\s+([A-Z“\"(].*)$", re.S)
# an act's own contents list ("ARRANGEMENT OF SECTIONS" then "53. Duty to report…" lines), read
# past until the first line that is not one: taken for sections, its lines became evidence
_ARRANGEMENT = re.compile(r"^(?:ARRANGEMENT OF SECTIONS|TABLE OF CONTENTS|CONTENTS)\b", re.I)
# a contents page's lines: "12. Title" or "12 Title" (Singapore's), parts, schedules ("FIRST
# SCHEDULE Essential services"), and short title-case entries ("Long Title", "Enacting Formula")
_CONTENTS_LINE = re.compile(r"^(?:\d+[A-Z]{0,2}\.?\s+.{0,240}(?:[^.;:,]|\betc\.)|(?:[A-Z]+ )?(?:PART|Part|SCHEDULE|Schedule)\b.{0,240}[^.;:,]"
                            r"|SECTION|\S{1,10}|[A-Z][a-z]+(?: [A-Z][a-z]+){0,3})$")
# "53. (1) An owner…": a number straight before subsection (1) opens a section, whatever precedes
_CW_FIRST_SUBSECTION = re.compile(r"^\d+[A-Z]{0,2}\.\s+\(1\)\s")
_CW_TITLED = re.compile(r"^(\d+[A-Z]{0,2})\.\s+([A-Z][^.;:]{2,119})$")
_LAW_KINDS = {"law", "act", "regulation", "decree", "ordinance"}
_NUMBERED_HEADING = re.compile(r"^((?:\d+\.)*\d+)\.?\s+(\S.{0,150})$", re.S)
# "Section 8. Penalties. — Any person …" (the title may be missing: "Section 6. All crimes …")
_RUN_IN_SECTION = re.compile(
    r"^(?:Section|SECTION|Sec\.)\s*(\d+[A-Z]?)\.\s+(?:([^—–.][^—–]{1,150}?)\.?\s*[—–]\s*)?([A-Z“\"(].*)$", re.S)
_INLINE_SUBSECTION = re.compile(r"(?<=[.;:—–])\s+\((\d{1,3})\)\s+(?=\S)")
_NOTE_MAX = 200  # characters of a margin note ("Duty to report cybersecurity incidents in respect of …")
_BULLET = re.compile(r"^[•▪●◦‣∙·\-–—*]\s+")
_TERMINAL = (".", ";", "?", "!", "。")
CONTENTS_SHARE = 0.2  # the share of a document's blocks a contents page may reach into
_CONTEXT_MAX = 600  # a lead-in longer than this keeps its opening (the bearer) and its end
# an EU act's endnote: "(12) Regulation (EU) 2019/881 … (OJ L 151, 7.6.2019, p. 15)."
_OJ_NOTE = re.compile(r"^\((\d{1,3})\)\s+(?:OJ [LC]\b|.{0,400}\(OJ [LC] [\d/ ]+,|Position of the European Parliament)", re.S)


@dataclass
class _Unit:
    """A passage in the making: its path, kind and the blocks it gathers."""

    path: list[str]
    kind: str
    blocks: list[Block] = field(default_factory=list)
    points: list[tuple[str, list[Block]]] = field(default_factory=list)
    heading: str | None = None

    def add_point(self, label: str, block: Block) -> None:
        self.points.append((label, [block]))


def segment_document(doc: Document, max_chars: int = 2000) -> list[Passage]:
    """Cut a Document into passages; ids are stable for the same input."""
    units = _structure(doc)
    passages: list[Passage] = []
    seen: dict[str, int] = {}
    for unit in units:
        for path, kind, blocks, text, context in _split_long(unit, max_chars, doc.language):
            if not text.strip():
                continue
            base = f"{doc.doc_id}:{_slug(path)}"
            seen[base] = seen.get(base, 0) + 1
            pid = base if seen[base] == 1 else f"{base}-{seen[base]}"
            passages.append(_passage(doc, pid, path, kind, unit.heading, blocks, text, context))
    passages.extend(_footnotes(doc))
    return passages


def _structure(doc: Document) -> list[_Unit]:
    """Walk the blocks once, keeping a stack of headings and the open article/paragraph."""
    is_law = doc.kind in _LAW_KINDS
    # a strategy that lists a law's amended articles ("Article 64 : Addition of technologies …",
    # the Egyptian ICT strategy) cites them: its own structure is sections and headings
    cites_articles = doc.kind in NON_BINDING_KINDS
    body = [b for b in doc.blocks if b.kind != BlockKind.footnote]
    if is_law:
        body = [part for b in body for part in _inline_subsections(b)]
    contents = _annex_contents_entries(body)
    following = [b.text for b in body[1:]] + [""]  # each block's next one
    units: list[_Unit] = []
    levels: list[str] = []  # chapter/title/part path
    sections: list[tuple[int, str]] = []  # strategy headings: (level, label)
    article: str | None = None
    article_title: str | None = None
    annex: str | None = None
    in_recitals = False
    seen_article = False
    eu_like = False  # has RECITALS: an EU act, whose endnotes follow "Done at …"
    in_endnotes = False
    current: _Unit | None = None
    prev_text = ""
    prev_size: float | None = None
    para_counter = 0
    expect_title = False
    in_contents = False

    def close() -> None:
        nonlocal current
        if current is not None and (current.blocks or current.points):
            units.append(current)
        current = None

    def context() -> list[str]:
        if annex:
            return [annex]
        if article:
            return levels + [article]
        return [label for _, label in sections] or list(levels)

    for index, block in enumerate(body):
        text = block.text.strip()
        # a short unpunctuated line before a section is its note; one in smaller type (a margin
        # note set beside it: layout.place_margin_notes) may run longer
        small = prev_size is not None and block.size is not None and prev_size < 0.86 * block.size
        marginal_before = (bool(prev_text) and len(prev_text) < (_NOTE_MAX if small else 120)
                           and not prev_text.endswith(_TERMINAL + (":", ",")))
        prev_text, prev_size = text, block.size
        if is_law and not seen_article and _ARRANGEMENT.match(text):
            in_contents = True
            continue
        if in_contents:
            if _CONTENTS_LINE.match(text):
                continue
            in_contents = False
        if expect_title:
            expect_title = False
            if block.kind == BlockKind.heading or (len(text) < 120 and not text.endswith(_TERMINAL) and not _PARAGRAPH.match(text)):
                article_title = text
                continue
        if _RECITALS.match(text):
            close()
            in_recitals = eu_like = True
            continue
        if eu_like and text.startswith("Done at "):
            close()
            in_endnotes, article = True, None
            current = _Unit(["Closing"], "closing", [block])
            continue
        note = _OJ_NOTE.match(text) if eu_like else None
        if note or (in_endnotes and not annex and _RECITAL.match(text)):
            close()
            number = note.group(1) if note else _RECITAL.match(text).group(1)  # type: ignore[union-attr]
            units.append(_Unit([f"Endnote {number}"], "footnote", [block]))
            continue
        if in_endnotes and not annex and current is not None and current.kind == "closing" and not _ANNEX.match(text):
            current.blocks.append(block)  # the signatures
            continue
        match = _RECITAL.match(text)
        if match and in_recitals and not seen_article:
            close()
            current = _Unit([f"Recital {match.group(1)}"], "recital", [block])
            continue
        if in_recitals and current is not None and current.kind == "recital" and block.kind != BlockKind.heading:
            current.blocks.append(block)  # a recital's second paragraph
            continue
        match = _LEVEL.match(text)
        if match and (match.group(2) or match.group(1).startswith("第")) and len(text) < 160 and not text.endswith(_TERMINAL):
            close()
            in_recitals = False
            name = match.group(1).capitalize() if not match.group(1).startswith("第") else match.group(1)
            label = f"{name} {match.group(2)}".strip() if match.group(2) else name
            levels = [lv for lv in levels if _level_depth(lv) < _level_depth(label)] + [label]
            article, annex, sections = None, None, []
            continue
        match = _SECTION_EU.match(text)
        if match and seen_article:
            close()
            levels = [lv for lv in levels if _level_depth(lv) < 2] + [f"Section {match.group(2)}"]
            continue
        match = _annex_heading(text, block)
        if match and index in contents:
            continue  # the contents page's line for an annex that opens further on
        if match and seen_article | in_recitals | (block.kind == BlockKind.heading):
            close()
            annex = _annex_label(match)
            article, levels, para_counter, in_endnotes = None, [], 0, False
            continue
        run_in = _RUN_IN_SECTION.match(text) if is_law and not annex else None
        if run_in:
            close()  # "Section 8. Penalties. — Any person found guilty …": number, title and text on one line
            article, article_title = f"Section {run_in.group(1)}", normalize_space(run_in.group(2) or "") or None
            seen_article, in_recitals, expect_title, para_counter = True, False, False, 0
            current = _Unit(context(), "article", [_tail(block, run_in.group(3))], heading=article_title)
            continue
        match = _ARTICLE.match(text)
        marked = text.startswith("art-")  # a marker the text was given, never the start of a sentence
        if match and cites_articles and not marked and _article_word(text) != "Section":
            match = None
        if match and (_is_article_heading(match, text, block) or marked):
            close()
            number = match.group(1) or match.group(2) or _kanji_number(match.group(3))
            word = _article_word(text)
            article = f"{word} {number}"
            article_title = normalize_space(match.group(4) or "") or None
            expect_title = article_title is None
            if article_title and re.fullmatch(rf"{re.escape(text[:1])}\s*{re.escape(number)}", article_title):
                # "§3  §3": the extraction repeats the number where a title would be, so there is
                # none, and the next line is the section's text ("Štátnu správu … vykonávajú")
                article_title = None
            seen_article, in_recitals, annex = True, False, None
            para_counter = 0
            if marked and not _is_article_heading(match, text, block):
                # "art-12 第十二条 政府は…": the marker and the article's own number ran into its text
                body = article_title or ""
                own = _KANJI_ARTICLE.match(body)
                if own and _kanji_number(own.group(1)) == number:
                    body = body[own.end():]
                article_title, expect_title = None, False
                current = _Unit(context(), "article", [_tail(block, body)])
            continue
        if (not units and current is None and block.kind == BlockKind.heading and not sections and not levels
                and not _NUMBERED_HEADING.match(text)):
            units.append(_Unit(["Title"], "title", [block]))  # the act's or strategy's title
            continue
        if block.kind == BlockKind.heading and text.isupper() and (article or annex):
            continue  # a chapter's or section's title line inside the enacting terms
        sections_here = is_law and not annex  # a schedule's numbered paragraphs are not sections of the act
        cw = _CW_SECTION.match(text) if sections_here else None
        if sections_here and not cw and not in_recitals and (article is None or article.startswith("Section")) and (
                marginal_before or _CW_FIRST_SUBSECTION.match(text)):
            cw = _CW_PLAIN.match(text)
        follows = following[index]
        titled = (_CW_TITLED.match(text) if sections_here and (article is None or article.startswith("Section"))
                  and not follows[:1].islower() and not (marginal_before and small) else None)
        # ("62. A member … shall be" / "exempt from …", or a line after a margin note, is text)
        if titled:
            close()
            article, article_title = f"Section {titled.group(1)}", titled.group(2)
            seen_article, annex, para_counter = True, None, 0
            continue
        if cw:
            article_title = _take_marginal_note(current) if marginal_before else None
            close()
            article = f"Section {cw.group(1)}"
            seen_article, annex, para_counter = True, None, 0
            rest = cw.group(2)
            sub = _PARAGRAPH.match(rest)
            label = (sub.group(1) or sub.group(2)) if sub else None
            current = _Unit(context() + ([label] if label else []), "paragraph" if label else "article", [block],
                            heading=article_title)
            continue
        if block.kind == BlockKind.heading and not article:
            close()
            level, label = _heading_level(text, block)
            sections = [(lv, lb) for lv, lb in sections if lv < level] + [(level, label)]
            para_counter = 0
            continue
        if article or annex:
            match = _PARAGRAPH.match(text)
            point = _POINT.match(text)
            if point and current is not None and not (match and match.group(1)):
                current.add_point(_point_label(current, point.group(1)), block)
                continue
            if match and match.group(1) and current is not None and current.points and _plain_points(current):
                current.points[-1][1].append(block)  # "1." under "a)": a sub-point (Slovak style)
                continue
            if match:
                close()
                number = match.group(1) or match.group(2)
                current = _Unit(context() + [number], "paragraph", [block], heading=article_title)
                continue
            if current is not None and current.points and _continues(current, text):
                current.points[-1][1].append(block)  # a point's own continuation
                continue
            if current is not None:
                current.blocks.append(block) if not current.points else current.points.append(("", [block]))
                continue  # a further subparagraph of the open paragraph
            close()
            para_counter += 1
            kind = "annex" if annex else "article"
            current = _Unit(context() + ([f"para {para_counter}"] if para_counter > 1 or kind == "annex" else []), kind, [block], heading=article_title)
            continue
        # strategies and the text around the enacting terms
        if _BULLET.match(text) and current is not None and _collects_list(current):
            current.add_point("•", block)
            continue
        close()
        para_counter += 1
        current = _Unit(context() + [f"para {para_counter}"], "section-paragraph" if sections else "paragraph", [block],
                        heading=sections[-1][1] if sections else None)
    close()
    return units


def _inline_subsections(block: Block) -> list[Block]:
    """"(1) The Director shall … critical infrastructure. (2) The Director shall designate …" on
    one line (Kenya's act as published online): a block per subsection. Only the numbers that
    follow on (2, 3, …) right after a sentence or clause ends count, so "under subsection (2)"
    stays where it is."""
    text = block.text
    if not text.startswith("(1) "):
        return [block]
    cuts, expected = [], 2
    for match in _INLINE_SUBSECTION.finditer(text):
        if match.group(1) == str(expected):
            cuts.append(match.start(1) - 1)
            expected += 1
    if not cuts:
        return [block]
    parts = []
    for start, end in zip([0] + cuts, cuts + [len(text)]):
        piece = text[start:end].rstrip()
        span = {} if block.char_start is None else {"char_start": block.char_start + start,
                                                    "char_end": block.char_start + start + len(piece)}
        parts.append(block.model_copy(update={"text": piece, **span}))
    return parts


_ROMAN = {"i": 1, "ii": 2, "iii": 3, "iv": 4, "v": 5, "vi": 6, "vii": 7, "viii": 8, "ix": 9, "x": 10, "xi": 11, "xii": 12}


def _point_label(unit: _Unit, token: str) -> str:
    """"(iv)" under "(d)" is point (d)(iv), labelled "(d) (iv)" (two path levels): read flat, NIS2's
    Article 23(4)(d)(iv) was cited "Article 23(4)(iv)". A roman run starts at "(i)" right
    after a letter point other than "(h)" (where "(i)" is the next letter) and goes on in order."""
    if token not in _ROMAN or not unit.points:
        return f"({token})"
    last = unit.points[-1][0]
    parent, _, sub = last.partition(" ")
    if not re.fullmatch(r"\([a-z]{1,2}\)", parent):
        return f"({token})"
    if sub:
        return f"{parent} ({token})" if _ROMAN.get(sub.strip("()"), 0) + 1 == _ROMAN[token] else f"({token})"
    return f"{parent} ({token})" if token == "i" and parent != "(h)" else f"({token})"


def _tail(block: Block, text: str) -> Block:
    """The block from `text` on (its offsets moved with it, where it is found)."""
    start = block.text.find(text)
    if start < 0 or block.char_start is None:
        return block.model_copy(update={"text": text})
    return block.model_copy(update={"text": text, "char_start": block.char_start + start})


def _annex_heading(text: str, block: Block) -> re.Match | None:
    match = _ANNEX.match(text)
    if match and len(text) < 160 and (match.group(1) or text.isupper() or block.kind == BlockKind.heading):
        return match
    return None


def _annex_label(match: re.Match) -> str:
    return f"Annex {match.group(1)}" if match.group(1) else "Annex"


def _annex_contents_entries(body: list[Block]) -> set[int]:
    """Indices of annex headings announced again further on: a contents page lists "Annex A
    – Guidance…" long before the annex opens, and taken for the annex it would put every
    passage between the two (a whole code of practice, a whole policy) under it."""
    last: dict[str, int] = {}
    seen: list[tuple[int, str]] = []
    for index, block in enumerate(body):
        match = _annex_heading(block.text.strip(), block)
        if match:
            label = _annex_label(match)
            last[label] = index
            seen.append((index, label))
    # contents pages come first: an annex announced twice in the body is left alone
    return {index for index, label in seen if last[label] > index and index < len(body) * CONTENTS_SHARE}


def _is_article_heading(match: re.Match[str], text: str, block: Block) -> bool:
    """"Article 5" or "Article 5 Scope" opens an article; "Article 3(4) of the Annex shall…"
    is a sentence that starts with a citation, and "Section 3 of this Act applies." too."""
    rest = (match.group(4) or "").strip()
    if not rest:
        return True
    if rest[0] in "(,;" or len(rest) > 160:
        return False
    if text.startswith(("Section", "SECTION", "Sec.")) and block.kind != BlockKind.heading and rest.endswith(_TERMINAL):
        return False
    return not rest.endswith(_TERMINAL) or block.kind == BlockKind.heading or text.startswith(("§", "第", "Článok"))


def _article_word(text: str) -> str:
    for prefix, word in (("Art", "Article"), ("ART", "Article"), ("Článok", "Článok"), ("Čl.", "Článok"),
                         ("§", "§"), ("Sec", "Section"), ("SEC", "Section"), ("第", "Article")):
        if text.startswith(prefix):
            return word
    return "Article"


_KANJI = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _kanji_number(text: str | None) -> str:
    """第二十三条 → 23; arabic digits pass through."""
    if not text:
        return "?"
    if text.isdigit():
        return text
    total, current = 0, 0
    for ch in text:
        if ch in _KANJI:
            current = _KANJI[ch]
        elif ch == "十":
            total += (current or 1) * 10
            current = 0
        elif ch == "百":
            total += (current or 1) * 100
            current = 0
        elif ch == "千":
            total += (current or 1) * 1000
            current = 0
    return str(total + current)


def _level_depth(label: str) -> int:
    head = label.split(" ")[0]
    return {"Title": 0, "Part": 0, "Časť": 0, "Chapter": 1, "Hlava": 1, "Division": 2, "Section": 2}.get(head, 1)


def _heading_level(text: str, block: Block) -> tuple[int, str]:
    """Numbered headings nest by their numbers (2.3 under 2); others by type size."""
    match = _NUMBERED_HEADING.match(text)
    if match:
        return match.group(1).count(".") + 1, f"Section {match.group(1)}"
    size = block.size or 0.0
    level = 0 if size >= 30 else 1 if size >= 20 else 2 if size else 1
    return level, text[:80]


def _continues(unit: _Unit, text: str) -> bool:
    """A block that carries on the open paragraph: it starts in lower case, or the
    paragraph's last block stops mid-sentence or introduces a list."""
    last = (unit.points[-1][1][-1] if unit.points else unit.blocks[-1]).text.rstrip()
    return text[:1].islower() or last.endswith((":", ",", "—", "-")) or not last.endswith(_TERMINAL + (":",))


def _take_marginal_note(unit: _Unit | None) -> str | None:
    """Take back the short note printed above a Commonwealth section ("Interpretation"),
    which the walk first took for the last line of the open unit."""
    if unit is None:
        return None
    holder = unit.points[-1][1] if unit.points else unit.blocks
    if not holder or len(holder[-1].text) >= _NOTE_MAX:
        return None
    note = holder.pop().text
    if unit.points and not holder:
        unit.points.pop()
    return note


def _plain_points(unit: _Unit) -> bool:
    """True when the unit's points are written "a)" rather than "(a)"."""
    first = unit.points[0][1][0].text if unit.points else ""
    return bool(re.match(r"^[a-z]{1,2}\)", first))


def _collects_list(unit: _Unit) -> bool:
    last = (unit.points[-1][1][-1] if unit.points else unit.blocks[-1]).text.rstrip()
    return bool(unit.points) or last.endswith((":", "—", "-"))


def _split_long(unit: _Unit, max_chars: int, language: str):
    """Yield (path, kind, blocks, text, context): the whole unit; or, over the limit, its
    lead-in and its points (or its subparagraphs), each point carrying the lead-in as its
    context; and sentence-sized parts of any piece still over it. A subparagraph carries the
    first one as context only where that ends as a lead-in (":" or a dash): otherwise it is just the
    paragraph before, and one long numbered paragraph of a guide (NIST SP 800-82's 53.) had
    lent its opening to 1,249 unrelated passages."""
    lead_blocks = unit.blocks
    pieces = [(label, blocks) for label, blocks in unit.points]
    all_blocks = unit.blocks + [b for _, blocks in pieces for b in blocks]
    whole = " ".join(b.text for b in all_blocks)
    if len(whole) > max_chars and len(unit.blocks) > 1:  # further subparagraphs come apart too
        lead_blocks, pieces = unit.blocks[:1], [("", [b]) for b in unit.blocks[1:]] + pieces
    if len(whole) <= max_chars or not pieces:
        yield from _by_sentence(unit.path, unit.kind, all_blocks, whole, max_chars, language)
        return
    lead = " ".join(b.text for b in lead_blocks)
    yield from _by_sentence(unit.path, unit.kind, lead_blocks, lead, max_chars, language)
    lead = _clip_context(lead)
    introduces = lead.rstrip().endswith((":", "—", "-"))
    counters = {"•": 0, "": 1}
    parents: dict[str, str] = {}  # a point's text, the lead-in of its sub-points
    for label, blocks in pieces:
        if label in counters:
            counters[label] += 1
            label = f"bullet {counters[label]}" if label == "•" else f"subpara {counters[label]}"
        kind = "subparagraph" if label.startswith("subpara") else "point"
        text = " ".join(b.text for b in blocks)
        parent, _, sub = label.partition(" ") if label.startswith("(") else (label, "", "")
        context = lead if kind == "point" or introduces else None
        if sub:  # "(d) (iv)": point (d) is its lead-in, and a level of its path
            context = _clip_context(f"{lead} … {parents[parent]}")
        else:
            parents.setdefault(parent, text)
        pieces_out = _by_sentence(unit.path + ([parent, sub] if sub else [label]), kind, blocks, text, max_chars, language)
        yield from ((path, kind_, blocks_, text, context) for path, kind_, blocks_, text, _ in pieces_out)


def _clip_context(lead: str) -> str:
    return lead if len(lead) <= _CONTEXT_MAX else f"{lead[:_CONTEXT_MAX // 2]} … {lead[-_CONTEXT_MAX // 2:]}"


def _by_sentence(path: list[str], kind: str, blocks: list[Block], text: str, max_chars: int, language: str):
    if len(text) <= max_chars:
        yield path, kind, blocks, text, None
        return
    parts: list[str] = []
    for sentence in split_sentences(text, language):
        if parts and len(parts[-1]) + 1 + len(sentence) <= max_chars:
            parts[-1] = f"{parts[-1]} {sentence}"
        else:
            parts.append(sentence)
    for index, part in enumerate(parts, start=1):
        yield path + [f"part {index}"], kind, blocks, part, (parts[0][:300] if index > 1 else None)


def _passage(
    doc: Document, pid: str, path: list[str], kind: str, heading: str | None, blocks: list[Block], text: str,
    context: str | None,
) -> Passage:
    pages = [p for b in blocks for p in (b.page, b.last_page) if p is not None]
    starts = [b.char_start for b in blocks if b.char_start is not None]
    ends = [b.char_end for b in blocks if b.char_end is not None]
    return Passage(
        id=pid,
        doc_id=doc.doc_id,
        jurisdiction=doc.jurisdiction,
        path=path,
        kind=kind,
        heading=heading,
        context=normalize_space(context) if context else None,
        text=normalize_space(text),
        page_start=min(pages) if pages else None,
        page_end=max(pages) if pages else None,
        char_start=min(starts) if starts else None,
        char_end=max(ends) if ends else None,
    )


def _footnotes(doc: Document) -> list[Passage]:
    out: list[Passage] = []
    counts: dict[int | None, int] = {}
    for block in doc.blocks:
        if block.kind != BlockKind.footnote:
            continue
        counts[block.page] = counts.get(block.page, 0) + 1
        marker = re.match(r"^\[?(\d{1,3})\]?", block.text)
        label = f"Footnote {marker.group(1)}" if marker else f"Footnote p{block.page}.{counts[block.page]}"
        pid = f"{doc.doc_id}:fn{block.page or 0}.{counts[block.page]}"
        out.append(
            Passage(id=pid, doc_id=doc.doc_id, jurisdiction=doc.jurisdiction, path=[label], kind="footnote",
                    text=block.text, page_start=block.page, page_end=block.page)
        )
    return out


def _slug(path: list[str]) -> str:
    """["Chapter IV", "Article 21", "2", "(d)"] → "art21.2.d"; chapters drop out once an
    article is named, since article numbers run through the whole act."""
    shorts = [_short(label.lower()) for label in path]
    has_article = any(p.startswith(("art", "sec", "par")) for p in shorts)
    parts = [
        short
        for label, short in zip(path, shorts)
        if not (has_article and label.lower().startswith(("chapter", "title", "part", "division", "hlava", "časť")))
    ]
    return ".".join(p for p in parts if p) or "body"


def _short(label: str) -> str:
    for long, short in (("recital ", "recital"), ("article ", "art"), ("článok ", "art"), ("§ ", "par"),
                        ("section ", "s"), ("annex ", "annex"), ("chapter ", "ch"), ("title ", "t"),
                        ("part ", "pt"), ("para ", "p"), ("subpara ", "sp"), ("bullet ", "b"), ("part ", "part"), ("footnote ", "fn")):
        if short in ("art", "par") and label.startswith(long) and " " in label[len(long):].strip():
            break  # a title that names an article ("Article 25: Licensing obligations"), not one: no `art` id
        if label.startswith(long):
            label = short + label[len(long):]
            break
    return re.sub(r"[^\w]+", "", label.replace(" ", "-"))[:40] or "x"
