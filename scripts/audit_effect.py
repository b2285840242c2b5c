"""What an audit round did to the labels and to a model, measured where the audit cannot flatter it.

An audit re-reads the labels a model doubts, so grouped-CV figures on the audited labels rise
partly because the labels moved towards the model. This script fits a tier on the gold labels
before the round and after it, on the same document folds, and scores both on the passages
the audit did not touch (their labels are the same in both): any change there comes from
training on the corrected labels. It also prints the usual figures on each label set.

    python scripts/audit_effect.py [--round audit-01] [--model linear] [--folds 5]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


class DocumentFolds:
    """The same folds for two label sets: each document keeps its fold."""

    def __init__(self, fold_of: dict[str, int]) -> None:
        self.fold_of = fold_of

    def split(self, X, y=None, groups=None):
        folds = np.array([self.fold_of.get(g, 0) for g in groups])
        for k in sorted(set(folds)):
            yield np.flatnonzero(folds != k), np.flatnonzero(folds == k)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--round", default="audit-01", help="File prefix of the round's annotation files in annotations/labels.")
    parser.add_argument("--model", default="linear")
    parser.add_argument("--folds", type=int, default=5)
    args = parser.parse_args()

    from sklearn.model_selection import GroupKFold

    from pipeline.annotations import annotation_files, gold_labels, load_annotations
    from pipeline.config import Settings
    from pipeline.evaluate import out_of_fold_labels, score
    from pipeline.models import make_model

    settings = Settings()
    files = annotation_files(settings.labels)
    held_out = {r.text_sha256 for r in load_annotations(settings.seed_annotations)}
    round_files = [f for f in files if f.name.startswith(args.round)]
    if not round_files:
        raise SystemExit(f"no files {args.round}* in {settings.labels}")
    touched = {r.text_sha256 for r in load_annotations(round_files)}
    before = [r for r in gold_labels(load_annotations([f for f in files if f not in round_files])) if r.text_sha256 not in held_out]
    after = [r for r in gold_labels(load_annotations(files)) if r.text_sha256 not in held_out]
    groups = [r.doc_id for r in before]  # the folds `ddlens train --cv` deals for the labels before
    fold_of = {groups[i]: k for k, (_, test) in enumerate(GroupKFold(n_splits=args.folds).split(before, groups=groups))
               for i in test}
    folds = DocumentFolds(fold_of)

    predicted = {}
    for name, records in (("before", before), ("after", after)):
        labels = out_of_fold_labels(lambda: make_model(args.model), records, folds)
        predicted[name] = {r.text_sha256: label for r, label in zip(records, labels)}
        s = score(records, labels)
        print(f"{name:6s} {len(records):5d} gold passages, own labels: elements macro {s['elements_macro_f1']:.3f} "
              f"micro {s['elements_micro_f1']:.3f}, modality {s['modality']['macro_f1']:.3f}, bearer {s['bearer']['macro_f1']:.3f}")
    untouched = [r for r in before if r.text_sha256 not in touched]
    print(f"on the {len(untouched)} passages the round did not touch (same labels in both):")
    for name in ("before", "after"):
        s = score(untouched, [predicted[name][r.text_sha256] for r in untouched])
        print(f"  trained {name:6s}: elements macro {s['elements_macro_f1']:.3f} micro {s['elements_micro_f1']:.3f}, "
              f"modality {s['modality']['macro_f1']:.3f}, bearer {s['bearer']['macro_f1']:.3f}; per element "
              + " ".join(f"{e[:8]} {v['f1']:.3f}" for e, v in s["per_label"].items()))


if __name__ == "__main__":
    main()
