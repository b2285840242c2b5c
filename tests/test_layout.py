"""Header, footer, footnote and column handling, on real corpus PDFs and on PDFs made here."""

import re

import pytest

from pipeline.ingest import ingest_file
from pipeline.records import BlockKind, DocumentMeta
from pipeline.segment import segment_document

RUNNING = {
    "us-2023-national-cybersecurity-strategy.pdf": ["ATIONAL C YBERSECURITY S TRATEGY", "NATIONAL CYBERSECURITY STRATEGY 2"],
    "us-2018-nist-cybersecurity-framework-1-1.pdf": [
        "This publication is available free of charge",
        "April 16, 2018 Cybersecurity Framework Version 1.1",
    ],
    "lu-2021-national-cybersecurity-strategy-iv.pdf": ["NATIONAL CYBERSECURITY STRATEGY IV"],
}


@pytest.mark.parametrize("name", sorted(RUNNING))
def test_layout_running_headers_footers_and_page_numbers_removed(name, corpus_passages):
    passages = corpus_passages(name)
    assert len(passages) > 100
    for passage in passages:
        for header in RUNNING[name]:
            assert header not in passage.text, (passage.id, header)
        assert "\uf0ab" not in passage.text, passage.id  # the decorative glyph row in us-2023
    # page numbers left behind would show as bare-number passages, one per page; the few
    # that remain are figure and table cells
    bare = [p for p in passages if re.fullmatch(r"\d{1,3}", p.text)]
    assert len(bare) <= 2, [p.id for p in bare]


def test_layout_printed_page_numbers_of_real_pdfs(corpus_doc):
    """Citations give the page a document prints: the Singapore code's PDF page 24 reads "Page
    23 of 64", the US strategy's page 5 is its page 1; the Botswana strategy prints the file's
    own numbers; the Botswana act prints none."""
    sg = corpus_doc("sg-2022-cybersecurity-code-of-practice-cii.pdf")
    assert sg.printed_pages[24] == 23 and 1 not in sg.printed_pages and len(sg.printed_pages) == 64
    us = corpus_doc("us-2023-national-cybersecurity-strategy.pdf")
    assert us.printed_pages[5] == 1 and us.printed_pages[39] == 35 and not {1, 2, 3, 4} & set(us.printed_pages)
    bw = corpus_doc("bw-2020-national-cybersecurity-strategy.pdf").printed_pages
    assert len(bw) > 30 and all(page == number for page, number in bw.items())
    assert corpus_doc("bw-2025-cybersecurity-act.pdf").printed_pages == {}


def test_layout_printed_page_numbers_need_a_steady_offset(make_pdf, tmp_path):
    """A cover, then pages numbered 1… in the footer: the map starts at the first numbered
    page and leaves out a page that prints no number; scattered numbers make no map."""
    body = [(72, 700, "Operators shall notify incidents without undue delay.", 11)]
    numbered = [[(300, 30, "Cover", 11)] + body] + [body + [(300, 30, f"Page {n} of 6", 9)] for n in range(1, 7)]
    numbered[4] = body  # PDF page 5 (printed 4) shows no number
    doc = ingest_file(make_pdf("numbered.pdf", numbered), DocumentMeta(doc_id="numbered"))
    assert doc.printed_pages == {2: 1, 3: 2, 4: 3, 6: 5, 7: 6}
    scattered = [body + [(300, 30, f"Figure {n * 7 % 11}", 9)] for n in range(1, 8)]
    assert ingest_file(make_pdf("scattered.pdf", scattered), DocumentMeta(doc_id="scattered")).printed_pages == {}
    by_chapter = [body + [(300, 30, f"{1 + n // 4}-{1 + n % 4}", 9)] for n in range(12)]  # 1-1 … 3-4, NIST style
    assert ingest_file(make_pdf("chapters.pdf", by_chapter), DocumentMeta(doc_id="chapters")).printed_pages == {}
    appendix = numbered[:4] + [body + [(300, 30, f"G-{n}", 9)] for n in range(1, 6)]
    assert max(ingest_file(make_pdf("appendix.pdf", appendix), DocumentMeta(doc_id="appendix")).printed_pages) == 4


def test_layout_footnotes_kept_apart_and_linked_to_their_page(corpus_doc):
    doc = corpus_doc("us-2018-nist-cybersecurity-framework-1-1.pdf")
    notes = [b for b in doc.blocks if b.kind == BlockKind.footnote]
    assert any(n.text.startswith("1 See 15 U.S.C. § 272(e)(1)(A)(i)") and n.page == 5 for n in notes)
    body = doc.text
    assert "See 15 U.S.C. § 272(e)(1)(A)(i)" not in body
    passages = segment_document(doc)
    footnotes = [p for p in passages if p.kind == "footnote"]
    assert {p.page_start for p in footnotes} >= {5, 8, 12}
    assert all(p.path[0].startswith("Footnote") for p in footnotes)


def test_layout_pdfium_agrees_with_pdfplumber_reference(corpus_doc):
    """The fast backend and the reference read the same words (bag-of-words overlap)."""
    name = "us-2023-national-cybersecurity-strategy.pdf"
    fast = corpus_doc(name, "pdfium").text.split()
    reference = corpus_doc(name, "pdfplumber").text.split()
    common = sum(min(fast.count(w), reference.count(w)) for w in set(fast))
    assert common / max(len(fast), len(reference)) > 0.95


def test_layout_cross_page_paragraph_rejoined(corpus_doc):
    doc = corpus_doc("us-2023-national-cybersecurity-strategy.pdf")
    joined = [b for b in doc.blocks if "inflection point" in b.text]
    assert joined and "for decades to come." in joined[0].text
    assert joined[0].page == 2 and joined[0].page_end == 3


def _header_footer_pages(n, body):
    return [
        [(72, 800, "Ministry of Examples — Cyber Strategy", 9), *body(i), (290, 30, str(i + 1), 9)]
        for i in range(n)
    ]


@pytest.mark.parametrize("backend", ["pdfium", "pdfplumber"])
def test_layout_made_pdf_headers_hyphens_footnotes(make_pdf, backend):
    def body(i):
        return [
            (72, 700, f"Paragraph {i}. The operators shall take appropriate cyber-", 11),
            (72, 686, "security measures against incidents that affect other states.", 11),
            (72, 100, f"{i + 1} A footnote on page {i + 1} in small type.", 7),
        ]

    path = make_pdf("made.pdf", _header_footer_pages(5, body))
    doc = ingest_file(path, DocumentMeta(doc_id="made", language="en"), backend=backend)
    assert "Ministry of Examples" not in doc.text
    assert not re.search(r"(^|\n)\d\n", doc.text)
    paragraphs = [b.text for b in doc.blocks if b.kind == BlockKind.paragraph]
    assert paragraphs[0] == (
        "Paragraph 0. The operators shall take appropriate cybersecurity measures against incidents that affect other states."
    )
    notes = [b for b in doc.blocks if b.kind == BlockKind.footnote]
    assert [(n.page, n.text) for n in notes][:2] == [
        (1, "1 A footnote on page 1 in small type."),
        (2, "2 A footnote on page 2 in small type."),
    ]


def test_layout_two_columns_read_column_by_column(make_pdf):
    left = ["Left column starts here and", "continues down the left side", "until the column ends."]
    right = ["Right column begins after", "the left one is finished and", "ends at the bottom."]
    page = [(72, 780, "A FULL WIDTH TITLE", 16)]
    page += [(72, 700 - 14 * i, t, 10) for i, t in enumerate(left)]
    page += [(320, 700 - 14 * i, t, 10) for i, t in enumerate(right)]
    page += [(72, 640, "More left text that is long enough.", 10), (320, 640, "More right text here too.", 10)]
    path = make_pdf("columns.pdf", [page])
    text = ingest_file(path, DocumentMeta(doc_id="cols", language="en")).text
    assert text.index("until the column ends.") < text.index("Right column begins after")
    assert text.index("More left text") < text.index("Right column begins after")
    assert "Left column starts here and continues down the left side until the column ends." in text


def test_layout_letter_spaced_heading_rejoined(make_pdf):
    path = make_pdf("spaced.pdf", [[(72, 760, "I N T R O D U C T I O N", 18), (72, 700, "Some body text follows here.", 11)]])
    doc = ingest_file(path, DocumentMeta(doc_id="spaced", language="en"))
    assert doc.blocks[0].text == "INTRODUCTION" and doc.blocks[0].kind == BlockKind.heading


def test_layout_margin_notes_of_legislation_come_before_their_section_and_out_of_its_text(make_pdf):
    """A section's title set in small type in the margin, level with the section's first line:
    in an act, it becomes the paragraph before the section (which segmentation reads as its
    title); a note beside a line that opens nothing is kept apart; in a guide nothing moves."""
    page = [
        (72, 760, "11. (1) The owner of a critical information infrastructure shall", 11),
        (72, 746, "notify the Authority of any cybersecurity incident without delay.", 11),
        (72, 732, "(2) An owner who contravenes subsection (1) commits an offence and is", 11),
        (72, 718, "liable to a fine under the Penal Code and the Extradition Act.", 11),
        (72, 704, "12. (1) The Authority may issue codes of practice and standards as may", 11),
        (72, 690, "be necessary for the better carrying out of the provisions of this Act.", 11),
        (72, 676, "(2) The Authority shall publish the codes of practice and standards on", 11),
        (72, 662, "its website and in the Gazette within thirty days of their issue.", 11),
        (440, 761, "Duty to report", 7), (440, 753, "incidents", 7),
        (440, 719, "Cap. 08:06", 7),
        (440, 705, "Codes of practice", 7),
    ]
    path = make_pdf("act.pdf", [page])
    act = ingest_file(path, DocumentMeta(doc_id="act", kind="act"))
    texts = [b.text for b in act.blocks if b.kind == BlockKind.paragraph]
    assert texts[0] == "Duty to report incidents" and texts[1].startswith("11. (1) The owner")
    assert texts[texts.index("Codes of practice") + 1].startswith("12. (1) The Authority")
    assert not any("Duty to report" in t or "Cap. 08:06" in t for t in texts[1:])
    assert [b.text for b in act.blocks if b.kind == BlockKind.footnote] == ["Cap. 08:06"]
    guide = ingest_file(path, DocumentMeta(doc_id="guide", kind="guidance"))
    assert not any(b.kind == BlockKind.footnote for b in guide.blocks)
