"""Give annotation records the lead-in their annotators read (Passage.context) where the
record predates the `context` field: a point's label answers for the point read with its
lead-in, and evaluation reports such points apart (`by_lead_in`).

A record gets the context of the run passage with the same id and the very same text; a
record whose passage has changed or left the run stays as it is. Labels are not touched.

    python scripts/attach_lead_ins.py RUN [ANNOTATIONS]
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotations import load_annotations, write_annotations  # noqa: E402
from pipeline.io import read_passages  # noqa: E402


def main() -> None:
    run = Path(sys.argv[1])
    folder = Path(sys.argv[2]) if len(sys.argv) > 2 else ROOT / "annotations" / "labels"
    lead_ins = {(p.id, p.text): p.context for p in read_passages(run / "passages.parquet") if p.context}
    attached = 0
    for path in sorted(folder.rglob("*.jsonl")):
        records = load_annotations(path)
        updated = [r.model_copy(update={"context": lead_ins[(r.id, r.text)]})
                   if r.context is None and (r.id, r.text) in lead_ins else r for r in records]
        changed = sum(a is not b for a, b in zip(records, updated))
        if changed:
            write_annotations(path, updated)
            attached += changed
            print(f"{path}: {changed} lead-ins attached")
    print(f"{attached} records got their lead-in")


if __name__ == "__main__":
    main()
