"""Give annotation records the lead-in their annotators read (Passage.context) where the
record predates the `context` field: a point's label answers for the point read with its
lead-in, and evaluation reports such points apart (`by_lead_in`).

A record gets the context of the run passage with the same id and the very same text; a
record whose passage has changed or left the run stays as it is. Labels are not touched.

With `--refresh`, a context that the run no longer gives is replaced by the run's (or
dropped): for lead-ins this script attached from a run whose segmentation has since been
fixed. Leave out the files whose annotators were shown their context: that is what they read.

    python scripts/attach_lead_ins.py RUN [ANNOTATIONS…] [--refresh]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotations import annotation_files, load_annotations, write_annotations  # noqa: E402
from pipeline.io import read_passages  # noqa: E402
from pipeline.records import Annotation  # noqa: E402


def _lead_in(record: Annotation, run: dict[str, tuple[str, str | None]], refresh: bool) -> Annotation:
    text, context = run.get(record.id, (None, None))
    if text != record.text or context == record.context or (record.context is not None and not refresh):
        return record
    return record.model_copy(update={"context": context})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("annotations", type=Path, nargs="*", default=[ROOT / "annotations" / "labels"])
    parser.add_argument("--refresh", action="store_true", help="replace contexts the run no longer gives")
    args = parser.parse_args()
    run = {p.id: (p.text, p.context) for p in read_passages(args.run / "passages.parquet")}
    total = 0
    for path in annotation_files(args.annotations):
        records = load_annotations(path)
        updated = [_lead_in(r, run, args.refresh) for r in records]
        changed = sum(a is not b for a, b in zip(records, updated))
        if changed:
            write_annotations(path, updated)
            total += changed
            print(f"{path}: {changed} lead-ins attached or refreshed")
    print(f"{total} records changed")


if __name__ == "__main__":
    main()
