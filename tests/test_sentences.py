import pytest

from pipeline.sentences import legal_sentencizer, split_sentences

LEGAL = (
    "Member States shall, pursuant to Art. 21 para. 2, ensure that No. 5 applies, cf. Recital 12, "
    "e.g. the Commission, i.e. ENISA. Mr. Smith of Acme Corp. agreed at p. 4. Next sentence."
)


def test_sentences_never_split_at_legal_abbreviations():
    assert split_sentences(LEGAL) == [
        "Member States shall, pursuant to Art. 21 para. 2, ensure that No. 5 applies, cf. Recital 12, "
        "e.g. the Commission, i.e. ENISA.",
        "Mr. Smith of Acme Corp. agreed at p. 4.",
        "Next sentence.",
    ]


def test_sentences_spacy_component_matches_and_beats_plain_sentencizer():
    spacy = pytest.importorskip("spacy")
    plain = spacy.blank("en")
    plain.add_pipe("sentencizer")
    assert len(list(plain(LEGAL).sents)) > 3  # the plain sentencizer breaks at "Art." and "para."
    nlp = spacy.blank("en")
    legal_sentencizer(nlp)
    assert [s.text.strip() for s in nlp(LEGAL).sents] == split_sentences(LEGAL)


def test_sentences_other_languages():
    assert len(split_sentences("Tento zákon upravuje podmienky. Ministerstvo vydá vyhlášku.", "sk")) == 2
    assert len(split_sentences("この法律は目的を定める。国は施策を実施する。", "ja")) == 2
