import pytest

from pipeline.text import (
    fold_repeating,
    is_decoration,
    is_page_number,
    is_toc_line,
    join_lines,
    rejoin_letter_spaced,
    resolve_line_hyphens,
    word_share,
)


@pytest.mark.parametrize("line", ["12", "- 12 -", "Page 3 of 40", "xiv", "iv", "| 7 |", '"1'])
def test_text_page_numbers_recognised(line):
    assert is_page_number(line)


@pytest.mark.parametrize("line", ["12 Member States", "Article 21", "(1)", "2023 was a year", "I will"])
def test_text_page_numbers_not_confused_with_text(line):
    assert not is_page_number(line)


def test_text_fold_makes_running_headers_alike():
    assert fold_repeating("1 N ATIONAL C YBERSECURITY S TRATEGY") == fold_repeating("N ATIONAL C YBERSECURITY S TRATEGY 2")
    assert fold_repeating("Framework v1.1 vii") == fold_repeating("Framework v1.1 12")


def test_text_letter_spaced_headings_rejoined():
    assert rejoin_letter_spaced("I N T R O D U C T I O N") == "INTRODUCTION"
    assert rejoin_letter_spaced("1 I N T R O D U C T I O N  T O") == "1 INTRODUCTION TO"
    assert rejoin_letter_spaced("point (a) of Article 2") == "point (a) of Article 2"


def test_text_hyphenation_rejoined_unless_compound_attested():
    assert join_lines(["Member States shall ensure cyber-", "security of networks"]) == (
        "Member States shall ensure cybersecurity of networks"
    )
    assert join_lines(["a risk-", "based approach"], vocabulary={"risk-based"}) == "a risk-based approach"
    assert join_lines(["public law 113-", "274 on"]) == "public law 113-274 on"
    assert join_lines(["Article 2", "Scope"]) == "Article 2 Scope"


def test_text_pdfium_line_hyphens_resolved():
    assert resolve_line_hyphens("greater con\ufffenectivity", set()) == "greater connectivity"
    assert resolve_line_hyphens("cyber\ufffeenabled", {"cyber-enabled"}) == "cyber-enabled"


def test_text_decorations_and_toc():
    assert is_decoration("• • • • •") and is_decoration("\uf0ab \uf0ab") and not is_decoration("a . b")
    assert is_toc_line("INTRODUCTION........................ 1") and not is_toc_line("It ends here.")


def test_text_word_share_separates_prose_from_garbled_glyphs():
    assert word_share("Member States shall ensure that essential entities take measures.") > 0.6
    assert word_share("( ) * + , - + . / , 0 1 ) - 1 , 2 1 + 3 ) 4") < 0.1
    assert word_share("(cid:12)(cid:15) (cid:3)(cid:44)(cid:7) (cid:9)") < 0.1
