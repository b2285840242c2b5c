"""Experiment: the hybrid's grouped 5-fold CV with both sides' out-of-fold scores kept, so
the blend weights (`tuned_weight`, `element_weight`, `sentence_weight`) and the fine-tuned
side's element threshold (`tuned_threshold`) can be chosen afterwards without fine-tuning again.

    python scripts/hybrid_weight_cv.py record OUT_DIR [--layers 6 --max-length 128 --epochs 6 --seed 13]
    python scripts/hybrid_weight_cv.py sweep OUT_DIR --weights 0.4,0.5,0.6 \
        --element-weights 0.3,0.4,0.5 --tuned-thresholds 0.5,0.6,0.7 --min-positives 0,100 \
        --sentence-weights 0,0.1,0.2

`record` runs the hybrid's CV (the expensive part: one fine-tune per fold) and writes each
fold's fine-tuned scores; `sweep` refits only linear and the sentence heads per fold (minutes),
blends at each setting, prints the CV figures, writes each setting's full CV result
(`cv_w{W}.json` for the heads' weights, `cv_e{V}_t{T}_p{P}_s{U}.json` for the elements', the
form a model card carries), and chooses a
setting for each fold on the other four (a nested estimate): the heads' weight by modality
plus bearer macro-F1, the elements' weight, threshold and `min_positives` by elements
macro-F1.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import ClassVar

import numpy as np
from sklearn.model_selection import GroupKFold

from pipeline.config import Settings
from pipeline.corpus import kinds_by_doc, load_manifest
from pipeline.evaluate import cross_validate, out_of_fold_labels, score, summarise
from pipeline.models.base import Probabilities
from pipeline.models.hybrid import HybridClassifier, _bare, _sentence_heads
from pipeline.models.linear import LinearClassifier
from pipeline.text import sha256_text
from pipeline.train import training_records


class Recording(HybridClassifier):
    """The hybrid as it is, writing each test fold's distributions (keyed by its ordered texts)."""

    out: Path = Path(".")
    fold = 0

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        linear = self.linear_.predict_proba(texts)
        tuned = self.tuned_.predict(_bare(texts))
        np.savez(self.out / f"fold{Recording.fold}.npz", keys=np.array([sha256_text(t) for t in texts]),
                 e=tuned.elements, m=tuned.modality, b=tuned.bearer)
        Recording.fold += 1
        return self._blend(linear, tuned, self._sentence_scores(texts))


class Replay(HybridClassifier):
    """Linear and the sentence heads refit (memoised per fold); the fine-tuned side read back
    from `record`."""

    tuned: ClassVar[dict] = {}
    fitted: ClassVar[dict] = {}

    def _fit(self, texts, targets, groups) -> None:
        key = sha256_text("\n".join(texts))
        if key not in self.fitted:
            self.fitted[key] = (LinearClassifier(seed=self.seed).fit(texts, targets, groups),
                                _sentence_heads(self.seed).fit(texts, targets, groups))
        self.linear_, sentences = self.fitted[key]
        self.sentences_ = sentences if self.sentence_weight else None
        self._weigh_elements(targets)

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        # the whole test fold, matched by its ordered keys: a text repeated in a document of
        # another fold must take this fold's prediction, not one from a model that saw it
        tuned = self.tuned[tuple(sha256_text(t) for t in texts)]
        return self._blend(self.linear_.predict_proba(texts), tuned, self._sentence_scores(texts))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["record", "sweep"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--weights", default="0.4,0.5,0.6")
    parser.add_argument("--element-weights", default="0.3,0.4,0.5")
    parser.add_argument("--tuned-thresholds", default="0.5,0.6,0.7")
    parser.add_argument("--min-positives", default="0,100")
    parser.add_argument("--sentence-weights", default="0,0.1,0.2")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    settings = Settings()
    records = training_records(settings.labels, settings.seed_annotations)
    kinds = kinds_by_doc(load_manifest(settings.manifest))
    params = {"layers": args.layers, "max_length": args.max_length, "epochs": args.epochs, "seed": args.seed}
    if args.phase == "record":
        Recording.out = args.out
        result = cross_validate(lambda: Recording(**params), records, 5, kinds=kinds)
        print("recorded; at the defaults:", result["elements_macro_f1"], result["modality"]["macro_f1"],
              result["bearer"]["macro_f1"])
        return
    for path in sorted(args.out.glob("fold*.npz")):
        z = np.load(path)
        Replay.tuned[tuple(str(k) for k in z["keys"])] = Probabilities(z["e"], z["m"], z["b"])
    heads = {f"w{w}": {"tuned_weight": float(w)} for w in args.weights.split(",")}
    elements = {f"e{v}_t{t}_p{p}_s{u}": {"element_weight": float(v), "tuned_threshold": float(t),
                                         "min_positives": int(p), "sentence_weight": float(u)}
                for v in args.element_weights.split(",") for t in args.tuned_thresholds.split(",")
                for p in args.min_positives.split(",") for u in args.sentence_weights.split(",")}
    predicted = {}
    for name, setting in {**heads, **elements}.items():
        def model(setting: dict = setting) -> Replay:
            return Replay(**params, **setting)

        # the labels once, for both the card's metrics and the nested choice
        predicted[name] = out_of_fold_labels(model, records, GroupKFold(5))
        result = summarise(records, predicted[name], kinds) | {"folds": 5}
        (args.out / f"cv_{name}.json").write_text(json.dumps(result, indent=1))
        print(f"{name}: elements {result['elements_macro_f1']:.4f} (micro {result['elements_micro_f1']:.4f}), "
              f"modality {result['modality']['macro_f1']:.4f}, bearer {result['bearer']['macro_f1']:.4f}")
    nested(records, predicted, list(heads), lambda s: s["modality"]["macro_f1"] + s["bearer"]["macro_f1"])
    nested(records, predicted, list(elements), lambda s: s["elements_macro_f1"])


def nested(records: list, predicted: dict, names: list[str], criterion) -> None:
    """Each fold's setting chosen on the other four by `criterion`; prints the choices and the
    scores of the labels so predicted."""
    fold_of = np.zeros(len(records), int)
    for f, (_, test) in enumerate(GroupKFold(5).split(np.zeros(len(records)), groups=[r.doc_id for r in records])):
        fold_of[test] = f
    labels, chosen = [None] * len(records), []
    for f in range(5):
        rest = np.flatnonzero(fold_of != f)
        chosen.append(max(names, key=lambda n: criterion(score([records[i] for i in rest], [predicted[n][i] for i in rest]))))
        for i in np.flatnonzero(fold_of == f):
            labels[i] = predicted[chosen[-1]][i]
    s = score(records, labels)
    print(f"nested: {chosen}, elements {s['elements_macro_f1']:.4f} (micro {s['elements_micro_f1']:.4f}), "
          f"modality {s['modality']['macro_f1']:.4f}, bearer {s['bearer']['macro_f1']:.4f}")


if __name__ == "__main__":
    main()
