"""One parametrised contract over every registered tier (scikit-learn's habit)."""

import inspect
import shutil

import numpy as np
import pytest

from pipeline.models import (
    MODEL_NAMES,
    NotFittedError,
    Probabilities,
    Targets,
    get_model_class,
    make_model,
)
from pipeline.scheme import load_scheme


def _params(name):
    return pytest.param(name, marks=pytest.mark.slow) if name in ("encoder", "hybrid") else name


@pytest.fixture(scope="module")
def sample(small_gold):
    texts = [r.text for r in small_gold]
    return texts, Targets.from_records(small_gold), [r.doc_id for r in small_gold]


@pytest.mark.parametrize("name", [_params(n) for n in MODEL_NAMES])
def test_contract_init_stores_params_only(name):
    model = make_model(name)
    signature = inspect.signature(type(model).__init__)
    assert set(model.get_params()) == {p for p in signature.parameters if p != "self"}
    assert not any(k.endswith("_") and not k.startswith("_") for k in vars(model))


@pytest.mark.parametrize("name", [_params(n) for n in MODEL_NAMES])
def test_contract_predict_before_fit_raises(name):
    with pytest.raises(NotFittedError):
        make_model(name).predict_proba(["Member States shall notify the Commission."])


@pytest.mark.parametrize("name", [_params(n) for n in MODEL_NAMES])
def test_contract_fit_predict_save_load_round_trip(name, sample, tmp_path):
    texts, targets, groups = sample
    model = make_model(name)
    assert model.fit(texts, targets, groups) is model
    probs = model.predict_proba(texts[:7])
    scheme = load_scheme()
    assert model.classes_ == scheme.elements
    assert probs.elements.shape == (7, len(scheme.elements))
    assert probs.modality.shape == (7, 3) and probs.bearer.shape == (7, 4)
    assert np.allclose(probs.modality.sum(1), 1) and np.allclose(probs.bearer.sum(1), 1)
    labels = model.predict_labels(probs)
    assert all((lab["modality"] == "none") == (lab["bearer"] == "none") for lab in labels)
    model.save(tmp_path / name)
    loaded = get_model_class(name).load(tmp_path / name)
    again = loaded.predict_proba(texts[:7])
    assert np.allclose(again.elements, probs.elements) and np.allclose(again.modality, probs.modality)
    assert loaded.predict_labels(again) == labels


@pytest.mark.parametrize("name", [_params(n) for n in MODEL_NAMES])
def test_contract_predictions_say_why(name, sample):
    texts, targets, groups = sample
    model = make_model(name).fit(texts, targets, groups)
    texts_ = ["Operators shall notify significant incidents to the CSIRT without undue delay.",
              "Member States shall designate competent authorities, having regard to the state of the art."]
    why = model.explain(texts_[0])
    assert isinstance(why, dict)
    assert all(isinstance(v, list) and v for v in why.values())
    assert model.explain_many(texts_) == [why, model.explain(texts_[1])]  # a batch reads as its texts one by one


def test_contract_rules_name_the_pattern_that_fired():
    model = make_model("rules").fit([], Targets.from_records([]))
    why = model.explain("Operators shall take appropriate measures, having regard to the state of the art, "
                        "and review them at least every two years.")
    assert why["state_of_the_art"] == ["state of the art"]
    assert "at least every" in why["continuous_obligation"]


@pytest.mark.parametrize(("name", "labels"), [("rules", "elements"), ("linear", "elements"), ("linear", "bearer")])
def test_loading_refuses_a_model_saved_under_other_labels(name, labels, sample, tmp_path):
    """Scores are columns in the scheme's label order: a model saved under another order
    (a scheme that added or renamed a label) is refused, naming the folder, before any
    fitted head is read under the wrong names."""
    import json

    from pipeline.errors import ModelError

    model = make_model(name).fit(*sample)
    model.save(tmp_path / name)
    config = json.loads((tmp_path / name / "config.json").read_text())
    assert config["scheme_version"] == load_scheme().version
    assert config["labels"]["elements"] == list(load_scheme().elements)
    config["labels"][labels] = config["labels"][labels][::-1]
    (tmp_path / name / "config.json").write_text(json.dumps(config))
    with pytest.raises(ModelError, match="run `ddlens train`") as caught:
        get_model_class(name).load(tmp_path / name)
    assert str(tmp_path / name) in str(caught.value)


def test_contract_loading_refuses_foreign_types(tmp_path, sample):
    import skops.io as sio

    from pipeline.errors import ModelError
    from pipeline.models.heads import load_skops

    class Sneaky:
        pass

    for name, obj in (("class", Sneaky()), ("builtin", eval), ("numpy-function", np.save)):
        path = tmp_path / f"{name}.skops"
        sio.dump({"x": obj}, path)
        with pytest.raises(ModelError, match="refusing to load"):
            load_skops(path)


def test_modality_and_bearer_decide_none_together():
    """A weak "none" from modality is outvoted by a bearer sure of its duty-holder, and the
    other way round; either way the two heads never disagree on none."""

    model = make_model("rules").fit([], Targets.from_records([]))
    m, b = model.modality_classes_, model.bearer_classes_

    def dist(classes, **p):
        return [p.get(c, 0.0) for c in classes]

    probs = Probabilities(
        np.zeros((3, len(model.classes_))),
        np.array([dist(m, none=0.55, result=0.3, conduct=0.15),     # weak none, sure bearer
                  dist(m, none=0.2, conduct=0.5, result=0.3),       # sure duty, bearer leans none
                  dist(m, none=0.7, conduct=0.3)]),                 # both say none
        np.array([dist(b, state=0.9, none=0.05, operator=0.05),
                  dist(b, none=0.6, operator=0.3, state=0.1),
                  dist(b, none=0.8, state=0.2)]))
    labels = model.predict_labels(probs)
    assert [(x["modality"], x["bearer"]) for x in labels] == [("result", "state"), ("conduct", "operator"),
                                                             ("none", "none")]


@pytest.mark.slow
def test_hybrid_loads_without_sentence_heads_and_names_missing_fine_tuned_weights(sample, tmp_path):
    from pipeline.errors import ModelError
    from pipeline.models.hybrid import HybridClassifier

    texts, targets, groups = sample
    model = HybridClassifier(epochs=1).fit(texts[:40], targets.subset(list(range(40))), groups[:40])
    model.save(tmp_path / "hybrid")
    # 6 layers in float16, about 21 MB; the frozen word embeddings (another 23 MB) stay in the package
    assert (tmp_path / "hybrid" / "tuned.safetensors").stat().st_size < 24_000_000
    # a model saved before the sentence heads loads and blends without them
    shutil.rmtree(tmp_path / "hybrid" / "sentences")
    (tmp_path / "hybrid" / "sentence_weights.json").unlink()
    older = HybridClassifier.load(tmp_path / "hybrid")
    assert older.sentences_ is None and set(older.sentence_weights_.values()) == {0.0}
    assert older.predict_proba(texts[:3]).elements.shape == (3, len(model.classes_))
    (tmp_path / "hybrid" / "tuned.safetensors").unlink()
    with pytest.raises(ModelError, match="tuned.safetensors"):
        HybridClassifier.load(tmp_path / "hybrid")


def test_hybrid_blends_only_elements_it_saw_often_enough_and_linear_predicts():
    from types import SimpleNamespace

    from pipeline.models.hybrid import HybridClassifier

    scheme = load_scheme()
    model = HybridClassifier(element_weight=0.4, tuned_threshold=0.7, min_positives=3, sentence_weight=0.1)
    linear = dict.fromkeys(scheme.elements, 0.3) | {"good_faith": 1.01}
    model.linear_ = SimpleNamespace(thresholds_=linear)
    model.sentences_ = SimpleNamespace(thresholds_=dict.fromkeys(scheme.elements, 0.5) | {"territoriality": 1.01})
    gold = np.zeros((6, len(scheme.elements)), dtype=np.int8)
    gold[:3, scheme.elements.index("no_harm")] = gold[:3, scheme.elements.index("good_faith")] = 1
    gold[:2, scheme.elements.index("territoriality")] = 1
    model._weigh_elements(Targets(gold, ["none"] * 6, ["none"] * 6))
    weights = {e: (model.element_weights_[e], model.sentence_weights_[e], model.thresholds_[e])
               for e in ("no_harm", "territoriality", "good_faith", "risk_assessment")}
    assert weights == {"no_harm": (0.4, 0.1, 0.48),  # 0.4 × 0.7 + 0.1 × 0.5 + 0.5 × 0.3
                       "territoriality": (0.0, 0.0, 0.3),  # 2 < 3 positives; off in the sentence heads
                       "good_faith": (0.0, 0.0, 1.01),  # off in linear
                       "risk_assessment": (0.0, 0.1, 0.32)}  # no positives: the sentence heads alone weigh in

    linear_scores = Probabilities(np.full((2, 9), 0.2), np.full((2, 3), 1 / 3), np.full((2, 4), 0.25))
    with_heads = Probabilities(np.ones((2, 9)), np.tile([1.0, 0, 0], (2, 1)), np.tile([1.0, 0, 0, 0], (2, 1)))
    blended = model._blend(linear_scores, with_heads, np.full((2, 9), 0.6))
    expected = {"no_harm": 0.5 * 0.2 + 0.4 + 0.1 * 0.6, "territoriality": 0.2, "good_faith": 0.2}
    assert np.allclose(blended.elements, [expected.get(e, 0.9 * 0.2 + 0.1 * 0.6) for e in scheme.elements])
    assert np.allclose(blended.modality[:, 0], 2 / 3)
    # a model saved before the element heads and the sentence heads: linear's elements
    without = Probabilities(np.zeros((2, 0)), with_heads.modality, with_heads.bearer)
    assert np.allclose(model._blend(linear_scores, without).elements, 0.2)


def test_cue_index_lists_cues_in_text_order():
    """Explanations list the cues in `fired` order: it follows the text, not the iteration order
    of a set of words, which changed between processes (the same run explained two ways)."""
    from pipeline.models.rules import CueIndex

    text = ("Operators shall notify the CSIRT, carry out a risk assessment, take appropriate measures "
            "having regard to the state of the art, and review them at least every two years.")
    fired = CueIndex().fired(text)
    cues = [cue for _, cue in fired]
    assert {"notify", "risk assessment", "state of the art"} <= set(cues)
    assert cues.index("notify") < cues.index("risk assessment") < cues.index("state of the art")
    assert fired == CueIndex().fired(text)
