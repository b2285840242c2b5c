"""Metrics against hand-computed answers, and grouped cross-validation without leaks."""

import numpy as np

from pipeline.evaluate import cross_validate, score
from pipeline.models.base import Classifier, Probabilities
from pipeline.records import Annotation
from pipeline.text import sha256_text


def _gold(i, elements, modality="result", bearer="state", doc="d1"):
    text = f"passage {i}"
    return Annotation(id=f"{doc}:{i}", doc_id=doc, jurisdiction=doc[:2], text=text, text_sha256=sha256_text(text),
                      elements=elements, modality=modality, bearer=bearer, annotator="t")


def test_evaluate_known_answers():
    gold = [_gold(i, ["necessary_measures"] if i < 6 else [], "result" if i % 2 else "conduct") for i in range(10)]
    gold[9] = _gold(9, ["information_exchange"], "none", "none")
    predicted = [{"elements": ["necessary_measures"] if i < 4 or i == 8 else [],
                  "modality": g.modality, "bearer": g.bearer} for i, g in enumerate(gold)]
    predicted[0]["modality"] = "none"
    m = score(gold, predicted)
    nm = m["per_label"]["necessary_measures"]
    # tp 4, fp 1, fn 2 → P 0.8, R 0.667, F1 0.7273
    assert (nm["precision"], nm["recall"], nm["f1"], nm["support"]) == (0.8, 0.6667, 0.7273, 6)
    assert m["macro_over"] == ["necessary_measures"] and "information_exchange" in m["rare"]
    assert m["elements_macro_f1"] == 0.7273
    # micro over all labels: tp 4, fp 1, fn 3 → 8 / 12
    assert m["elements_micro_f1"] == round(8 / 12, 4)
    assert m["modality"]["accuracy"] == 0.9
    assert m["bearer"]["accuracy"] == 1.0 and m["bearer"]["macro_f1"] == 1.0


def test_evaluate_by_document_known_answers():
    """A document holds an element when any of its labelled passages does; the model finds it
    there when it tags any of them, right passage or not, as a coverage cell would."""
    docs = [f"d{i}" for i in range(7)]
    gold = [_gold(0, ["risk_assessment"], doc=d) if i < 5 else _gold(0, [], doc=d) for i, d in enumerate(docs)]
    gold += [_gold(1, [], doc=d) for d in docs]
    # d0: found on its positive passage; d1: found on the other passage (still a hit for the
    # document); d2-d4: missed; d5: found where the document holds none (a false cell)
    tagged = {("d0", 0), ("d1", 1), ("d5", 1)}
    predicted = [{"elements": ["risk_assessment"] if (g.doc_id, int(g.id.split(":")[1])) in tagged else [],
                  "modality": g.modality, "bearer": g.bearer} for g in gold]
    m = score(gold, predicted)["by_document"]
    ra = m["per_label"]["risk_assessment"]
    # held by d0-d4 (5), found in d0, d1, d5 → tp 2: P 2/3, R 2/5, F1 0.5
    assert (ra["documents"], ra["found"], ra["precision"], ra["recall"], ra["f1"]) == (5, 3, 0.6667, 0.4, 0.5)
    assert m["n_documents"] == 7 and m["macro_over"] == ["risk_assessment"] and m["macro_f1"] == 0.5
    assert score(gold, predicted)["per_label"]["risk_assessment"]["f1"] == 0.25  # passages: tp 1, fp 2, fn 4


class _Spy(Classifier):
    """Predicts nothing; remembers which documents it was trained on."""

    name = "spy"
    seen: list = []

    def _fit(self, texts, targets, groups):
        _Spy.seen.append(set(groups))

    def _predict_proba(self, texts):
        n = len(texts)
        return Probabilities(np.zeros((n, 9)), np.tile([0, 0, 1.0], (n, 1)), np.tile([0, 0, 0, 1.0], (n, 1)))

    def _explain(self, text, top):
        return {}


def test_evaluate_cross_validation_is_grouped_by_document():
    records = [_gold(i, [], "none", "none", doc=f"d{i % 5}") for i in range(40)]
    _Spy.seen = []
    result = cross_validate(_Spy, records, k=5, kinds={"d0": "law"})
    assert result["folds"] == 5 and len(_Spy.seen) == 5
    for trained in _Spy.seen:
        assert len(trained) == 4  # the fifth document is the test fold, never trained on
    assert set(result["by_kind"]) == {"law", "strategy"}
    assert result["by_kind"]["law"]["n"] == 8
    assert result["by_lead_in"]["passage"]["n"] == 40


def test_cross_validation_reports_points_with_a_lead_in_apart():
    records = [_gold(i, [], "none", "none", doc=f"d{i % 5}") for i in range(20)]
    records[3] = records[3].model_copy(update={"context": "Operators of essential services shall:"})
    result = cross_validate(_Spy, records, k=5)
    assert result["by_lead_in"]["point with lead-in"]["n"] == 1 and result["by_lead_in"]["passage"]["n"] == 19


def test_repeated_cross_validation_reports_the_spread_and_stays_grouped():
    records = [_gold(i, [], "none", "none", doc=f"d{i % 6}") for i in range(48)]
    _Spy.seen = []
    result = cross_validate(_Spy, records, k=3, repeats=3)
    assert len(_Spy.seen) == 9
    assert all(len(trained) == 4 for trained in _Spy.seen)  # 6 documents, 2 held out per fold
    assert len({frozenset(t) for t in _Spy.seen}) > 3  # the later assignments deal the documents anew
    spread = result["spread"]
    assert spread["repeats"] == 3 and len(spread["elements_macro_f1"]["values"]) == 3
    assert spread["modality_macro_f1"]["values"][0] == result["modality"]["macro_f1"]
    assert set(spread["per_label_f1"]) == set(result["per_label"])


def test_default_model_is_best_on_all_three_heads(tmp_path):
    """Elements, modality and bearer weigh alike: a tier that only wins on elements loses to
    one with the same elements and better heads; a card without metrics never wins."""
    import json

    from pipeline.train import best_model_name

    def card(name, elements, modality, bearer):
        (tmp_path / name).mkdir()
        metrics = {} if elements is None else {"elements_macro_f1": elements, "modality": {"macro_f1": modality},
                                               "bearer": {"macro_f1": bearer}}
        (tmp_path / name / "card.json").write_text(json.dumps({"name": name, "metrics": metrics}))

    card("rules", None, None, None)
    card("linear", 0.48, 0.64, 0.55)
    card("encoder", 0.50, 0.55, 0.45)
    assert best_model_name(tmp_path) == "linear"
    card("hybrid", 0.48, 0.70, 0.58)
    assert best_model_name(tmp_path) == "hybrid"
    assert best_model_name(tmp_path / "nowhere") == "rules"


def test_interrupted_cross_validation_resumes_from_the_folds_it_finished(small_gold, tmp_path, caplog):
    """Real linear fits on real gold: a fold is read back only while its inputs are unchanged."""
    from pipeline.fold_cache import FoldCache
    from pipeline.models import make_model

    fits = []

    def make():
        model = make_model("linear")
        fit = model.fit
        model.fit = lambda *args: (fits.append(1), fit(*args))[1]
        return model

    records = list(small_gold)
    first = cross_validate(make, records, k=3, cache=FoldCache(tmp_path))
    kept = sorted(tmp_path.glob("*.json"))
    assert len(fits) == 3 and len(kept) == 3

    fits.clear()
    again = FoldCache(tmp_path)
    assert cross_validate(make, records, k=3, cache=again) == first
    assert not fits and (again.hits, again.misses) == (3, 0)

    # one gold label corrected: the two folds that train on it are fitted again, the one
    # that only tests it is read back (its model never saw the label)
    changed = records[0].model_copy(update={"bearer": "other" if records[0].bearer != "other" else "state"})
    fits.clear()
    cross_validate(make, [changed] + records[1:], k=3, cache=FoldCache(tmp_path))
    assert len(fits) == 2

    # a file cut short by a crash is fitted again, with a warning naming it
    broken = kept[0]
    broken.write_text('{"labels": [')
    fits.clear()
    assert cross_validate(make, records, k=3, cache=FoldCache(tmp_path)) == first
    assert len(fits) == 1 and broken.name in caplog.text

    fits.clear()
    cross_validate(make, records, k=3, cache=FoldCache(tmp_path, read=False))
    assert len(fits) == 3
