"""Give annotation records what their run passage carries beside its text, where the record
predates the field: the lead-in its annotator read (Passage.context: a point's label answers
for the point read with its lead-in, and evaluation reports such points apart, `by_lead_in`)
and the title of its article or section (Passage.heading, which the models read before the
text: `pipeline/model_input.py`).

A record gets the fields of the run passage with the same id and the very same text; a
record whose passage has changed or left the run stays as it is. Labels are not touched.

With `--refresh`, a lead-in or heading that the run no longer gives is replaced by the run's
(or dropped): for fields attached from a run whose segmentation has since been fixed. Leave
out the files whose annotators were shown their context: that is what they read.

    python scripts/attach_from_run.py RUN [ANNOTATIONS…] [--refresh]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotations import annotation_files, load_annotations, write_annotations  # noqa: E402
from pipeline.config import Settings  # noqa: E402
from pipeline.io import read_passages  # noqa: E402
from pipeline.records import Annotation, Passage  # noqa: E402

FIELDS = ("context", "heading")


def _attach(record: Annotation, run: dict[str, Passage], refresh: bool) -> Annotation:
    passage = run.get(record.id)
    if passage is None or passage.text != record.text:
        return record
    update = {field: getattr(passage, field) for field in FIELDS
              if getattr(passage, field) != getattr(record, field) and (getattr(record, field) is None or refresh)}
    return record.model_copy(update=update) if update else record


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("annotations", type=Path, nargs="*", default=[Settings().labels])
    parser.add_argument("--refresh", action="store_true", help="replace lead-ins and headings the run no longer gives")
    args = parser.parse_args()
    run = {p.id: p for p in read_passages(args.run / "passages.parquet")}
    total = 0
    for path in annotation_files(args.annotations):
        records = load_annotations(path)
        updated = [_attach(r, run, args.refresh) for r in records]
        changed = sum(a is not b for a, b in zip(records, updated))
        if changed:
            write_annotations(path, updated)
            total += changed
            print(f"{path}: {changed} records given their lead-in or heading")
    print(f"{total} records changed")


if __name__ == "__main__":
    main()
