"""Experiment: the hybrid's grouped 5-fold CV with both sides' out-of-fold distributions kept,
so the blend weight (`tuned_weight`) can be chosen afterwards without fine-tuning again.

    python scripts/hybrid_weight_cv.py record OUT_DIR [--layers 6 --max-length 128 --epochs 6 --seed 13]
    python scripts/hybrid_weight_cv.py sweep OUT_DIR --weights 0.3,0.4,0.5,0.6,0.7,1.0

`record` runs the hybrid's CV (the expensive part: one fine-tune per fold) and writes each
fold's fine-tuned distributions; `sweep` refits only linear per fold, blends at each weight,
prints the CV figures, writes each weight's full CV result (`cv_w{W}.json`, the form a model
card carries), and chooses a weight for each fold on the other four (a nested estimate).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import ClassVar

import numpy as np

from pipeline.config import Settings
from pipeline.corpus import kinds_by_doc, load_manifest
from pipeline.evaluate import _out_of_fold, cross_validate, score
from pipeline.model_input import model_text
from pipeline.models.base import Probabilities
from pipeline.models.hybrid import HybridClassifier, _bare
from pipeline.models.linear import LinearClassifier
from pipeline.text import sha256_text
from pipeline.train import training_records

SEED_SET = Path("../shared/annotations/seed.jsonl")


class Recording(HybridClassifier):
    """The hybrid as it is, writing each test fold's distributions (keyed by its ordered texts)."""

    out: Path = Path(".")
    fold = 0

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        linear = self.linear_.predict_proba(texts)
        m, b = self.tuned_.predict(_bare(texts))
        np.savez(self.out / f"fold{Recording.fold}.npz", keys=np.array([sha256_text(t) for t in texts]), m=m, b=b)
        Recording.fold += 1
        return self._blend(linear, m, b)


class Replay(HybridClassifier):
    """Linear refit (memoised per fold); the fine-tuned side read back from `record`."""

    tuned: ClassVar[dict] = {}
    linear: ClassVar[dict] = {}

    def _fit(self, texts, targets, groups) -> None:
        key = sha256_text("\n".join(texts))
        if key not in self.linear:
            self.linear[key] = LinearClassifier(seed=self.seed).fit(texts, targets, groups)
        self.linear_ = self.linear[key]
        self.thresholds_ = self.linear_.thresholds_

    def _predict_proba(self, texts: list[str]) -> Probabilities:
        # the whole test fold, matched by its ordered keys: a text repeated in a document of
        # another fold must take this fold's prediction, not one from a model that saw it
        m, b = self.tuned[tuple(sha256_text(t) for t in texts)]
        return self._blend(self.linear_.predict_proba(texts), m, b)


def main() -> None:
    from sklearn.model_selection import GroupKFold

    parser = argparse.ArgumentParser()
    parser.add_argument("phase", choices=["record", "sweep"])
    parser.add_argument("out", type=Path)
    parser.add_argument("--layers", type=int, default=6)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--weights", default="0.3,0.4,0.5,0.6,0.7,1.0")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    records = training_records(Path("annotations"), SEED_SET)
    kinds = kinds_by_doc(load_manifest(Settings().manifest))
    params = {"layers": args.layers, "max_length": args.max_length, "epochs": args.epochs, "seed": args.seed}
    if args.phase == "record":
        Recording.out = args.out
        result = cross_validate(lambda: Recording(**params), records, 5, kinds=kinds)
        print("recorded; at the default weight:", result["modality"]["macro_f1"], result["bearer"]["macro_f1"])
        return
    for path in sorted(args.out.glob("fold*.npz")):
        z = np.load(path)
        Replay.tuned[tuple(str(k) for k in z["keys"])] = (z["m"], z["b"])
    weights = [float(w) for w in args.weights.split(",")]
    groups = [r.doc_id for r in records]
    fold_of = np.zeros(len(records), int)
    for f, (_, test) in enumerate(GroupKFold(5).split(np.zeros(len(records)), groups=groups)):
        fold_of[test] = f
    predicted = {}
    for w in weights:
        result = cross_validate(lambda w=w: Replay(tuned_weight=w, **params), records, 5, kinds=kinds)
        (args.out / f"cv_w{w}.json").write_text(json.dumps(result, indent=1))
        predicted[w] = _out_of_fold(lambda w=w: Replay(tuned_weight=w, **params), records, GroupKFold(5),
                                    lambda r: model_text(r.id, r.text))
        print(f"weight {w}: modality {result['modality']['macro_f1']:.4f}, bearer {result['bearer']['macro_f1']:.4f}")
    nested, chosen = [None] * len(records), []
    for f in range(5):
        rest = np.flatnonzero(fold_of != f)

        def both(w: float, rest: np.ndarray = rest) -> float:
            s = score([records[i] for i in rest], [predicted[w][i] for i in rest])
            return s["modality"]["macro_f1"] + s["bearer"]["macro_f1"]

        chosen.append(max(weights, key=both))
        for i in np.flatnonzero(fold_of == f):
            nested[i] = predicted[chosen[-1]][i]
    s = score(records, nested)
    print(f"nested: weights {chosen}, modality {s['modality']['macro_f1']:.4f}, bearer {s['bearer']['macro_f1']:.4f}")


if __name__ == "__main__":
    main()
