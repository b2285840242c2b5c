"""Segmentation along legal structure, on the real EU acts and national laws."""

import re

import pytest

from pipeline.cite import cite_passage
from pipeline.records import Block, BlockKind, Document
from pipeline.segment import segment_document

EU_ACTS = {
    "eu-2022-nis2-directive.txt": (144, 46),
    "eu-2022-cer-directive.txt": (45, 29),
    "eu-2019-cybersecurity-act.txt": (110, 69),
}


@pytest.mark.parametrize("name", sorted(EU_ACTS))
def test_segment_every_recital_and_article_of_the_eu_acts(name, corpus_passages):
    n_recitals, n_articles = EU_ACTS[name]
    passages = corpus_passages(name)
    recitals = {p.path[0] for p in passages if p.kind in ("recital", "subparagraph") and p.path[0].startswith("Recital")}
    assert recitals == {f"Recital {i}" for i in range(1, n_recitals + 1)}
    articles = {label for p in passages for label in p.path if re.fullmatch(r"Article \d+", label)}
    assert articles == {f"Article {i}" for i in range(1, n_articles + 1)}
    assert passages[0].kind == "title"


def test_segment_nis2_article_21_paragraphs_and_points(corpus_passages):
    by_id = {p.id: p for p in corpus_passages("eu-2022-nis2-directive.txt")}
    para = by_id["eu-2022-nis2-directive:art21.2"]
    assert para.path == ["Chapter IV", "Article 21", "2"]
    assert para.kind == "paragraph" and para.heading == "Cybersecurity risk-management measures"
    assert para.text.startswith("2. The measures referred to in paragraph 1 shall be based on an all-hazards approach")
    for point in "abcdefghij":
        assert f"({point}) " in para.text  # the paragraph keeps its points
    recital = by_id["eu-2022-nis2-directive:recital30"]
    assert recital.path == ["Recital 30"] and recital.text.startswith("(30) In view of the interlinkages")


def test_segment_long_definitions_split_at_points_never_mid_sentence(corpus_passages):
    passages = corpus_passages("eu-2022-nis2-directive.txt")
    assert max(len(p.text) for p in passages if p.kind != "footnote") <= 2000
    points = [p for p in passages if p.path[:2] == ["Chapter II", "Article 6"]]
    assert len(points) >= 40  # 41 definitions
    parts = [p for p in passages if p.path[-1].startswith("part ")]
    for part in parts:
        assert part.text.rstrip()[-1] in ".;:)”\"", part.id


def test_segment_ids_stable_across_runs(corpus_doc):
    doc = corpus_doc("eu-2022-cer-directive.txt")
    first, second = segment_document(doc), segment_document(doc)
    assert [p.id for p in first] == [p.id for p in second]
    assert len({p.id for p in first}) == len(first)


def test_segment_national_laws_by_their_own_markers(corpus_passages):
    sk = {p.id: p for p in corpus_passages("sk-2018-cybersecurity-act.txt")}
    assert sk["sk-2018-cybersecurity-act:par3.1"].path == ["§ 3", "1"]
    assert sk["sk-2018-cybersecurity-act:par3.1.a"].text.startswith("a) sieťou")
    jp = [p for p in corpus_passages("jp-2014-basic-act-on-cybersecurity.txt") if p.kind == "article"]
    assert [p.path[-1] for p in jp[:3]] == ["Article 1", "Article 2", "Article 3"]
    # "art-38 第三十八条" ran into the article's first sentence: still Article 38, not "Chapter 5, para 2"
    by_id = {p.id.split(":")[1]: p for p in jp}
    assert by_id["art38"].text.startswith("第十七条第四項又は") and by_id["art12"].text.startswith("政府は、")
    assert not [p for p in corpus_passages("jp-2014-basic-act-on-cybersecurity.txt") if p.path[0].startswith("Chapter")
                and p.path[-1].startswith("para")]
    sg = {p.id: p for p in corpus_passages("sg-2018-cybersecurity-act.pdf")}
    section = sg["sg-2018-cybersecurity-act:pt1.s2.1"]
    assert section.path == ["Part 1", "Section 2", "1"] and section.heading == "Interpretation"
    assert section.page_start == 5
    ke = [p for p in corpus_passages("ke-2018-computer-misuse-cybercrimes-act.txt") if "Section 11" in p.path]
    assert ke and ke[0].heading == "Reports on critical information infrastructure"


def test_segment_strategy_sections_and_pages(corpus_passages):
    passages = corpus_passages("us-2018-nist-cybersecurity-framework-1-1.pdf")
    overview = [p for p in passages if "Section 1.1" in p.path]
    assert overview and overview[0].text.startswith("The Framework is a risk-based approach")
    assert all(p.page_start is not None and p.page_start <= p.page_end for p in passages)


def test_segment_botswana_sections_past_the_arrangement_of_sections(corpus_passages):
    """The act's own contents list is not read as sections (its line "53. Duty to report…" was
    evidence, cited "Section 53"), and "53. (1) An owner…" opens section 53 even with no
    marginal note before it (it was cited "Section 52(53)")."""
    bw = corpus_passages("bw-2025-cybersecurity-act.pdf")
    assert not [p for p in bw if p.text.startswith("53. Duty to report")]
    cited = {cite_passage(p): p for p in bw}
    assert cited["Section 53(1)"].text.startswith("53. (1) An owner of a critical information")
    assert cited["Section 60(1)"].text.startswith("60. (1) The Authority shall establish and maintain")
    assert "Section 52(53)" not in cited and not [p for p in bw if "athlete" in p.text]  # pages of another act


@pytest.mark.parametrize("name, annexes, body", [
    ("sg-2022-cybersecurity-code-of-practice-cii.pdf", {"Annex A"}, "3.8.3 The CII shall include terms"),
    ("cl-2017-national-cybersecurity-policy.txt", {"Annex 1", "Annex 2"}, "In light of this reality"),
    ("gb-2011-cyber-security-strategy.txt", {"Annex A"}, "1.5 The UK has positively adopted"),
])
def test_segment_contents_lines_of_annexes_open_no_annex(name, annexes, body, corpus_passages):
    """A contents page lists each annex long before it opens: taken for the annex, it put a
    whole code of practice (325 of 348 passages) and a whole policy under "Annex"."""
    passages = corpus_passages(name)
    assert {p.path[0] for p in passages if p.path[0].startswith("Annex")} == annexes
    clause = next(p for p in passages if p.text.startswith(body))
    assert not clause.path[0].startswith("Annex") and clause.kind != "annex"
    annexed = [p for p in passages if p.path[0].startswith("Annex")]
    assert annexed and all(p.char_start > clause.char_start for p in annexed)  # the annexes close the document


def test_segment_a_schedule_s_numbered_paragraphs_are_not_sections(corpus_passages):
    """In the Singapore code's Annex A, "1. The CIIO should adopt…" after a table's domain name
    opened "Section 1" again, clashing with the code's own Section 1."""
    code = corpus_passages("sg-2022-cybersecurity-code-of-practice-cii.pdf")
    principle = next(p for p in code if p.text.startswith("1. The CIIO should adopt the defence-in-depth principle"))
    assert cite_passage(principle) == "Annex A(1)"
    assert not [p for p in code if p.path[0] == "Section 1" and (p.page_start or 0) > 60]


def test_segment_bullets_stay_with_their_lead_in():
    blocks = [
        Block(text="1. Objectives", kind=BlockKind.heading),
        Block(text="The Government will:", kind=BlockKind.paragraph),
        Block(text="• establish a national CSIRT;", kind=BlockKind.paragraph),
        Block(text="• review the strategy every two years.", kind=BlockKind.paragraph),
        Block(text="• Operators report incidents to the CSIRT.", kind=BlockKind.paragraph),
    ]
    doc = Document(doc_id="x", jurisdiction="ee", title="t", year=None, kind="strategy", language="en",
                   meta_source="options", path="x.txt", sha256="0" * 64, format="txt", blocks=blocks)
    passages = segment_document(doc)
    assert [p.path for p in passages] == [["Section 1", "para 1"]]
    assert passages[0].text == (
        "The Government will: • establish a national CSIRT; • review the strategy every two years. "
        "• Operators report incidents to the CSIRT."
    )


def _long_numbered_paragraph(first: str) -> list:
    """A guide's numbered paragraph followed by long unnumbered ones, as in NIST SP 800-82's 53."""
    body = "This paragraph explains how the controls work in considerable detail. " * 12
    blocks = [Block(text="Section 6", kind=BlockKind.heading), Block(text="52. Baseline controls are selected first.", kind=BlockKind.paragraph),
              Block(text=first, kind=BlockKind.paragraph)] + [Block(text=f"{body}Number {i}.", kind=BlockKind.paragraph) for i in range(3)]
    doc = Document(doc_id="x", jurisdiction="us", title="t", year=None, kind="guidance", language="en",
                   meta_source="options", path="x.txt", sha256="0" * 64, format="txt", blocks=blocks)
    return [p for p in segment_document(doc) if p.kind == "subparagraph"]


def test_segment_a_subparagraph_carries_the_first_one_only_when_it_is_a_lead_in():
    after_statement = _long_numbered_paragraph("53. Compensating controls are alternative safeguards employed within the system.")
    assert len(after_statement) == 3 and all(p.context is None for p in after_statement)
    after_lead_in = _long_numbered_paragraph("53. Operators of essential services shall take the following measures:")
    assert len(after_lead_in) == 3
    assert all(p.context == "53. Operators of essential services shall take the following measures:" for p in after_lead_in)


def test_segment_subsections_written_on_one_line_each_get_a_passage(corpus_passages):
    """Kenya's act puts a section's subsections on one line: "(1) … infrastructure. (2) The
    Director …". Each is its own passage; "under subsection (1)" inside the text is no cut."""
    by_id = {p.id: p for p in corpus_passages("ke-2018-computer-misuse-cybercrimes-act.txt")}
    section_9 = [by_id[f"ke-2018-computer-misuse-cybercrimes-act:ptii.s9.{n}"] for n in (1, 2, 3, 4)]
    assert [p.text[:4] for p in section_9] == ["(1) ", "(2) ", "(3) ", "(4) "]
    assert all(p.path[:2] == ["Part II", "Section 9"] and p.heading == "Critical information infrastructure" for p in section_9)
    second = by_id["ke-2018-computer-misuse-cybercrimes-act:ptii.s10.2"]
    assert "under subsection (1)" in second.text and " (3) " not in second.text
    assert not any(" (2) The " in p.text for p in by_id.values() if p.text.startswith("(1) "))


def test_segment_slovak_sections_whose_number_is_repeated_or_runs_into_the_title(corpus_passages):
    """"§21  §21" (no title) was taken for a running header, and "§10  Title" swallowed the
    section's first line: both left their text under the section before."""
    by_id = {p.id: p for p in corpus_passages("sk-2018-cybersecurity-act.txt")}
    assert by_id["sk-2018-cybersecurity-act:par21.1"].path == ["§ 21", "1"]
    assert by_id["sk-2018-cybersecurity-act:par21.1"].heading is None
    assert by_id["sk-2018-cybersecurity-act:par10"].heading == "Kybernetická bezpečnosť iného orgánu štátnej správy"
    assert by_id["sk-2018-cybersecurity-act:par10"].text.startswith("Na účely zaistenia kontinuity")
    assert not any("(2nd)" in " ".join(p.path) or p.id.startswith("sk-2018-cybersecurity-act:par20.1-") for p in by_id.values())
    older = {p.id: p for p in corpus_passages("sk-2011-critical-infrastructure-act.txt")}
    sections = {p.path[0] for p in older.values() if p.path[0].startswith("§")}
    assert {"§ 3", "§ 4", "§ 5", "§ 6", "§ 9a", "§ 16", "§ 17c"} <= sections
    assert older["sk-2011-critical-infrastructure-act:par3"].text.startswith("Štátnu správu na úseku kritickej infraštruktúry vykonávajú a) vláda")


def test_segment_sections_with_number_title_and_text_on_one_line(corpus_passages):
    """"Section 8. Penalties. — Any person …" (the Philippine act): a section with its title,
    not a paragraph of the heading above it."""
    by_id = {p.id: p for p in corpus_passages("ph-2012-cybercrime-prevention-act.txt")}
    penalties = by_id["ph-2012-cybercrime-prevention-act:chiii.s8"]
    assert penalties.path == ["Chapter III", "Section 8"] and penalties.heading == "Penalties"
    assert penalties.text.startswith("Any person found guilty")
    cooperation = by_id["ph-2012-cybercrime-prevention-act:chvi.s22"]
    assert cooperation.heading == "General Principles Relating to International Cooperation"
    assert by_id["ph-2012-cybercrime-prevention-act:chii.s6"].text.startswith("All crimes defined")  # no title
    sections = [p.path[1] for p in by_id.values() if len(p.path) > 1 and p.path[1].startswith("Section")]
    assert [f"Section {n}" for n in range(1, 32)] == list(dict.fromkeys(sections))


def test_segment_reads_past_a_contents_page_whose_entries_carry_no_full_stop(corpus_passages):
    """Singapore's act opens with "Table of Contents" and entries like "15 Cybersecurity audits
    and risk assessments …": as passages they became an act's strongest risk-assessment evidence."""
    passages = corpus_passages("sg-2018-cybersecurity-act.pdf")
    texts = {p.text for p in passages}
    assert "15 Cybersecurity audits and risk assessments of critical information infrastructure" not in texts
    assert not any(t.startswith(("14 Duty to report", "Table of Contents", "FIRST SCHEDULE Essential")) for t in texts)
    audits = [p for p in passages if p.path[-2:] == ["Section 15", "1"]]
    assert audits and audits[0].text.startswith("15.—(1) The owner of a critical information infrastructure must")


def test_segment_roman_points_under_a_letter_point_keep_their_parent(corpus_passages):
    """NIS2 Article 23(4)(d)(iv) was cited "Article 23(4)(iv)" with paragraph 4's lead-in only."""
    from pipeline.cite import cite_passage

    by_id = {p.id: p for p in corpus_passages("eu-2022-nis2-directive.txt")}
    cross_border = by_id["eu-2022-nis2-directive:art23.4.d.iv"]
    assert cite_passage(cross_border) == "Article 23(4)(d)(iv)"
    assert cross_border.context.endswith("(d) a final report not later than one month after the submission of the "
                                         "incident notification under point (b), including the following:")
    assert cite_passage(by_id["eu-2022-nis2-directive:art23.4.e"]) == "Article 23(4)(e)"  # back to the letters
    assert "eu-2022-nis2-directive:art15.3.j.v" in by_id
    # "(i)" after "(h)" is the letter i, and may have its own roman points: Singapore's s 2(1)(i)(ii)
    sg = {p.id: p for p in corpus_passages("sg-2018-cybersecurity-act.pdf")}
    assert cite_passage(sg["sg-2018-cybersecurity-act:pt1.s2.1.i"]).endswith("2(1)(i)")
    assert cite_passage(sg["sg-2018-cybersecurity-act:pt1.s2.1.i.ii"]).endswith("2(1)(i)(ii)")


@pytest.mark.parametrize(("name", "pid", "title", "start", "end"), [
    ("bw-2025-cybersecurity-act.pdf", "ptvii.s42.1", "Non-transferability of licence",
     "42. (1) A licensee shall not transfer", "granted under this Act to another person."),
    ("bw-2025-cybersecurity-act.pdf", "ptviii.s53.1", "Duty to report cybersecurity incidents in respect of critical "
     "information and critical national information infrastructure", "53. (1) An owner of a critical information or "
     "critical national information infrastructure shall", None),
    ("bw-2025-cybersecurity-act.pdf", "ptxi.s63", "Review of decisions of Authority",
     "63. A person aggrieved by the decision of the Authority may within 90 days", None),
    ("bw-2018-cybercrime-computer-related-crimes-act.pdf", "ptiii.s32", "Non-compliance with order or notice",
     "32. A person who fails to comply", "or to both."),
])
def test_segment_margin_notes_title_their_section_and_stay_out_of_its_text(corpus_passages, name, pid, title, start, end):
    """Botswana's Gazette prints each section's title in the margin, in smaller type: its words
    ran into the section's text ("… critical national Duty to report cybersecurity information
    infrastructure shall …") and a Part heading into the section before it."""
    passages = corpus_passages(name)
    by_id = {p.id.split(":", 1)[1]: p for p in passages}
    passage = by_id[pid]
    assert passage.heading == title
    assert passage.text.startswith(start) and (end is None or passage.text.endswith(end)), passage.text
    assert not any(word in passage.text for word in title.split() if word[:1].isupper() and len(word) > 8
                   and word not in start)
    if name.startswith("bw-2018"):
        assert by_id["ptiv.s33"].path[0] == "Part IV"  # "PART IV — Miscellaneous Provisions" opens a Part again
        assert any(p.kind == "footnote" and p.text == "Cap. 08:06" for p in passages)  # a note beside no section: kept apart


@pytest.mark.parametrize(("name", "header"), [
    ("fi-2013-cyber-security-strategy.txt", "FINLAND´S CYBER SECURITY STRATEGY"),
    ("ug-2014-national-information-security-policy.txt", "UNCLASSIFIED"),
    ("cy-2012-cybersecurity-strategy.txt", "CYBERSECURITY STRATEGY OF THE REPUBLIC OF CYPRUS 2012"),
])
def test_an_upper_case_running_header_is_no_title_and_no_text(corpus_passages, name, header):
    """Heading every page of a text extraction, it had become the title that 37, 147 and 48
    passages were cited by, and ran into the text where a page broke a sentence."""
    passages = corpus_passages(name)
    assert not [p.id for p in passages if p.heading == header]
    assert not [p.id for p in passages if header in p.text]
    if name.startswith("fi-"):  # the sentence the page broke reads whole
        assert any("population’s income security and capacity to function" in p.text for p in passages)


def test_a_footer_with_its_page_number_is_dropped_however_long(corpus_passages):
    """"30  The UK Cyber Security Strategy: Protecting and promoting the UK in a digital world"
    ends eight pages of the UK strategy's text extraction: too long for the shape test, it
    ran into paragraph 4.26 ("… fit for purpose in an area of 30 The UK … fast-moving
    technological change") and was read as a "Section 22". NIS2's annex rows that end alike
    ("… division 29 of NACE Rev. 2") are text and stay."""
    uk = corpus_passages("gb-2011-cyber-security-strategy.txt")
    assert not [p.id for p in uk if "Protecting and promoting the UK in a digital world" in p.text]
    [para] = [p for p in uk if p.text.startswith("4.26 ")]
    assert "in an area of fast-moving technological change" in para.text
    assert not [p for p in uk if "Section 22" in p.path]
    nis2 = corpus_passages("eu-2022-nis2-directive.txt")
    assert any("section C division 29 of NACE Rev. 2" in p.text for p in nis2)


def test_a_strategy_that_lists_a_laws_articles_cites_them_rather_than_being_cut_by_them(corpus_passages):
    """The Egyptian ICT strategy lists amended articles of the Telecom Law ("Article 64 :
    Addition of technologies …"); read as its own articles, 906 passages had sat in "Article 64"
    and every model had read them as an act's articles (`part_article`)."""
    passages = corpus_passages("eg-2012-national-ict-strategy.txt")
    assert not [p.id for p in passages if re.fullmatch(r".*:art\d+.*", p.id)]
    assert not [p for p in passages if any(re.fullmatch(r"Article \d+", part) for part in p.path)]
    listed = [p for p in passages if "Article 64 : Addition of technologies" in " ".join([*p.path, p.text])]
    cited = {cite_passage(p) for p in listed}
    assert cited and not any(c.startswith("Article") for c in cited)  # a title, quoted
    assert all(c.startswith("“Article 64 : Addition") for c in cited if "Article 64" in c)
