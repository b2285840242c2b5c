"""The part marker every tier reads: named from real segmented ids, and the same in training
and in classifying."""

import numpy as np
import pytest

from pipeline.classify import classify_texts
from pipeline.evaluate import cross_validate
from pipeline.model_input import PARTS, model_text, part_of, title, unframe
from pipeline.models.base import Classifier, Probabilities
from pipeline.models.rules import RulesClassifier
from pipeline.records import Annotation
from pipeline.text import sha256_text


def test_model_input_names_the_part_of_each_segmented_nis2_passage(corpus_passages):
    passages = corpus_passages("eu-2022-nis2-directive.txt")
    expected = {"Recital": "recital", "Chapter": "article", "Annex": "annex"}  # articles sit in chapters
    found = [(expected.get(p.path[0].split()[0], "other"), part_of(p.id)) for p in passages]
    assert all(want == got for want, got in found)
    assert {got for _, got in found} == set(PARTS)
    assert sum(got == "recital" for _, got in found) > 140


@pytest.mark.parametrize("passage_id, part", [
    ("eu-2022-nis2-directive:recital12", "recital"), ("eu-2022-nis2-directive:art21.2.d", "article"),
    ("eu-2019-cybersecurity-act:annexi.p3", "annex"), ("fi-2013-cyber-security-strategy:finlandscybersecuritystrategy.p9", "other"),
    ("x:artificialintelligence.p3", "other"), ("row-17", None), ("seed-0311", None),
])
def test_model_input_part_of_an_id(passage_id, part):
    assert part_of(passage_id) == part and part in PARTS + (None,)


def test_model_input_leaves_a_text_bare_when_its_id_names_no_part():
    assert model_text("seed-0311", "Operators shall notify.") == "Operators shall notify."


def test_model_input_unframe_gives_back_part_and_text():
    text = "‘network’ means a system"
    assert unframe(model_text("eu:art4", text)) == ("article", text)
    assert unframe(text) == (None, text)


def test_model_input_reads_the_title_before_the_text_and_unframe_takes_both_off():
    text = "Member States shall ensure that essential entities notify significant incidents."
    framed = model_text("eu:art23.1", text, "Reporting obligations")
    assert framed == f"part_article ⟦Reporting obligations⟧ {text}"
    assert unframe(framed) == ("article", text)
    assert model_text("row-1", text, "Reporting  obligations") == f"⟦Reporting obligations⟧ {text}"
    assert unframe(model_text("row-1", text, "Reporting obligations")) == (None, text)


@pytest.mark.parametrize("heading", [None, "", 17, "x" * 161, "Member States shall ensure that essential entities notify."])
def test_model_input_skips_a_heading_that_is_no_title(heading):
    text = "Member States shall ensure that essential entities notify."
    assert title(heading, text) is None and model_text("eu:art23.1", text, heading) == f"part_article {text}"


def test_segmented_nis2_articles_carry_their_titles_to_the_model(corpus_passages):
    passages = {p.id: p for p in corpus_passages("eu-2022-nis2-directive.txt")}
    article = passages["eu-2022-nis2-directive:art23.1"]
    assert model_text(article.id, article.text, article.heading).startswith("part_article ⟦Reporting obligations⟧ ")


def test_rules_read_a_recital_as_binding_no_one():
    rules = RulesClassifier().fit([], None)
    text = "Member States should designate a national CSIRT."
    recital, article = rules.predict_labels(rules.predict_proba([model_text("eu:recital9", text), model_text("eu:art9.1", text)]))
    assert (recital["modality"], recital["bearer"]) == ("none", "none")
    assert article["modality"] != "none" and article["bearer"] == "state"


class _Reader(Classifier):
    """Remembers the texts it is given, to fit and to score."""

    name = "reader"
    fitted: list = []
    scored: list = []

    def _fit(self, texts, targets, groups):
        _Reader.fitted.extend(texts)

    def _predict_proba(self, texts):
        _Reader.scored.extend(texts)
        n = len(texts)
        return Probabilities(np.zeros((n, 9)), np.tile([0, 0, 1.0], (n, 1)), np.tile([0, 0, 0, 1.0], (n, 1)))

    def _explain(self, text, top):
        return {}


def test_model_input_is_the_same_in_training_and_classifying():
    records = [Annotation(id=f"d{i % 3}:recital{i}", doc_id=f"d{i % 3}", jurisdiction="eu", text=f"passage {i}",
                          text_sha256=sha256_text(f"passage {i}"), elements=[], modality="none", bearer="none", annotator="t")
               for i in range(9)]
    _Reader.fitted, _Reader.scored = [], []
    cross_validate(_Reader, records, k=3)
    assert set(_Reader.fitted) == set(_Reader.scored) == {f"part_recital passage {i}" for i in range(9)}
    _Reader.scored = []
    classify_texts([r.id for r in records], [r.text for r in records], _Reader().fit([], None), "reader")
    assert _Reader.scored == [f"part_recital passage {i}" for i in range(9)]


def test_model_input_titles_are_the_same_in_training_and_classifying():
    records = [Annotation(id=f"d{i % 3}:art{i}.1", doc_id=f"d{i % 3}", jurisdiction="eu", text=f"passage {i}", heading=f"Title {i}",
                          text_sha256=sha256_text(f"passage {i}"), elements=[], modality="none", bearer="none", annotator="t")
               for i in range(9)]
    _Reader.fitted, _Reader.scored = [], []
    cross_validate(_Reader, records, k=3)
    framed = [f"part_article ⟦Title {i}⟧ passage {i}" for i in range(9)]
    assert set(_Reader.fitted) == set(_Reader.scored) == set(framed)
    _Reader.scored = []
    classify_texts([r.id for r in records], [r.text for r in records], _Reader().fit([], None), "reader",
                   headings=[r.heading for r in records])
    assert _Reader.scored == framed
