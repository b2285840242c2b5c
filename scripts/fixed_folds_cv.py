"""Score a tier on today's labels with each document in the fold an earlier label set gave it.

`GroupKFold` balances folds by size, so a labelling round that adds passages to a few
documents sends most documents to other folds, and the cards move by that alone (bearer by
0.03 for linear on 2026-11-29). Dealing the documents as they were dealt at git revision REV
shows what the round itself did:

    python scripts/fixed_folds_cv.py --folds-from HEAD~3 [--model linear] [--k 5]
"""

from __future__ import annotations

import argparse
import io
import json
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.model_selection import GroupKFold  # noqa: E402

from pipeline.config import Settings  # noqa: E402
from pipeline.evaluate import out_of_fold_labels, score  # noqa: E402
from pipeline.models import make_model  # noqa: E402
from pipeline.train import training_records  # noqa: E402


class FixedFolds:
    """A splitter dealing each document into the fold `assign` names (a new one: fold 0)."""

    def __init__(self, assign: dict[str, int], k: int) -> None:
        self.assign, self.k = assign, k

    def split(self, X, y=None, groups=None):
        folds = np.array([self.assign.get(doc, 0) for doc in groups])
        for fold in range(self.k):
            yield np.where(folds != fold)[0], np.where(folds == fold)[0]

    def get_n_splits(self, *args, **kwargs) -> int:
        return self.k


def folds_at(revision: str, k: int) -> dict[str, int]:
    """doc_id → fold, as `ddlens evaluate --cv` dealt the labels of `revision`."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision, "annotations/labels"],
                             check=True, capture_output=True).stdout
    with tempfile.TemporaryDirectory() as tmp:
        tarfile.open(fileobj=io.BytesIO(archive)).extractall(tmp, filter="data")
        records = training_records(Path(tmp) / "annotations" / "labels", Settings().seed_annotations)
    groups = [r.doc_id for r in records]
    assign = {}
    for fold, (_, test) in enumerate(GroupKFold(n_splits=k).split(records, groups=groups)):
        assign.update({groups[i]: fold for i in test})
    return assign


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--folds-from", required=True, help="git revision whose labels deal the folds")
    parser.add_argument("--model", default="linear")
    parser.add_argument("--k", type=int, default=5)
    args = parser.parse_args()
    records = training_records(Settings().labels, Settings().seed_annotations)
    splitter = FixedFolds(folds_at(args.folds_from, args.k), args.k)
    metrics = score(records, out_of_fold_labels(lambda: make_model(args.model), records, splitter))
    print(json.dumps({"model": args.model, "passages": len(records), "folds_from": args.folds_from,
                      "elements_macro_f1": metrics["elements_macro_f1"], "elements_micro_f1": metrics["elements_micro_f1"],
                      "modality_macro_f1": metrics["modality"]["macro_f1"], "bearer_macro_f1": metrics["bearer"]["macro_f1"]}))


if __name__ == "__main__":
    main()
