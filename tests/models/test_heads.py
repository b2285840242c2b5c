"""The shared logistic-regression heads: thresholds tuned out of fold, and the rules tier's
cue score standing in for an element the learned head cannot find."""

import numpy as np

from pipeline.models import Targets
from pipeline.models.heads import fit_heads, predict_heads
from pipeline.models.rules import RULE_FEATURES

CLASSES = ("common", "rare")
MODALITY, BEARER = ("conduct", "result", "none"), ("state", "operator", "other", "none")


def _data(n: int = 120, seed: int = 0):
    rng = np.random.default_rng(seed)
    common = rng.integers(0, 2, n)
    rare = np.zeros(n, dtype=int)
    rare[rng.choice(n, 6, replace=False)] = 1
    noise = rng.normal(size=(n, 5))
    # column 5: a clean signal of `common`; then the rules tier's block, whose first columns
    # are the element cue scores: column 6 for `common` (noise), column 7 for `rare`
    rules = np.zeros((n, RULE_FEATURES))
    rules[:, 0], rules[:, 1] = rng.uniform(size=n), rare * 0.9 + 0.05
    X = np.column_stack([noise, common + rng.normal(scale=0.3, size=n), rules])
    targets = Targets(np.column_stack([common, rare]).astype(np.int8), ["conduct"] * (n // 2) + ["none"] * (n - n // 2),
                      ["state"] * (n // 2) + ["none"] * (n - n // 2))
    groups = [f"doc{i % 10}" for i in range(n)]
    return X, targets, groups


def test_rule_column_stands_in_for_a_rare_element():
    X, targets, groups = _data()
    # regularised to nothing, the learned heads find no element out of fold
    heads, thresholds = fit_heads(X, targets, groups, CLASSES, 1e-6, 0, MODALITY, BEARER, rules_last=True)
    assert heads.elements[1] == 7 and 0.05 < thresholds["rare"] <= 0.95
    scores = predict_heads(heads, X, MODALITY, BEARER).elements
    assert np.array_equal(scores[:, 1], X[:, 7])
    assert ((scores[:, 1] >= thresholds["rare"]) == targets.elements[:, 1].astype(bool)).all()


def test_a_head_that_finds_its_element_keeps_it():
    X, targets, groups = _data()
    heads, thresholds = fit_heads(X, targets, groups, CLASSES, 1.0, 0, MODALITY, BEARER, rules_last=True)
    assert not any(isinstance(m, int) for m in heads.elements) and thresholds["common"] < 1


def test_without_rules_an_element_it_cannot_find_is_switched_off():
    X, targets, groups = _data()
    heads, thresholds = fit_heads(X, targets, groups, CLASSES, 1e-6, 0, MODALITY, BEARER)
    assert not any(isinstance(m, int) for m in heads.elements) and thresholds["rare"] == 1.01
