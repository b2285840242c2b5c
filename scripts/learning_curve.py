"""How grouped-CV quality grows with the number of gold passages: is labelling more worth it?

Draws seeded random subsets of the gold labels (seed texts excluded, as in training) and
cross-validates a tier on each, grouped by document, printing one line per size.

    python scripts/learning_curve.py [--model linear] [--fractions 0.25 0.5 0.75 1.0] [--folds 5]
"""

from __future__ import annotations

import argparse
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="linear")
    parser.add_argument("--fractions", type=float, nargs="+", default=[0.25, 0.5, 0.75, 1.0])
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    from pipeline.config import Settings
    from pipeline.evaluate import cross_validate
    from pipeline.models import make_model
    from pipeline.train import training_records

    settings = Settings()
    records = training_records(settings.labels, settings.seed_annotations)
    print(f"{args.model}: grouped {args.folds}-fold CV on subsets of {len(records)} gold passages")
    print("  n      elements macro-F1  modality macro-F1  bearer macro-F1")
    for fraction in args.fractions:
        subset = random.Random(args.seed).sample(records, int(len(records) * fraction))
        metrics = cross_validate(lambda: make_model(args.model), subset, args.folds)
        print(f"  {len(subset):5d}  {metrics['elements_macro_f1']:17.3f}  {metrics['modality']['macro_f1']:17.3f}"
              f"  {metrics['bearer']['macro_f1']:15.3f}", flush=True)


if __name__ == "__main__":
    main()
