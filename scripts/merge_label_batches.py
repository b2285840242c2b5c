"""Turn annotators' raw label files into annotation records (annotations/*.jsonl).

Raw files (`batch-NN.labels.jsonl`: id, elements, modality, bearer, fragment, note) carry no
text; the batch inputs the annotators read do. Each record gets the text, its sha256, the
annotator's name and the time the labels were written.

    python scripts/merge_label_batches.py RAW_DIR OUT_DIR INPUT_DIR [INPUT_DIR…]
"""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline.annotations import ADJUDICATOR, write_annotations  # noqa: E402
from pipeline.records import Annotation  # noqa: E402
from pipeline.text import sha256_text  # noqa: E402


def main() -> None:
    raw_dir, out_dir, *input_dirs = map(Path, sys.argv[1:])
    passages: dict[str, dict] = {}
    for folder in input_dirs:
        for path in sorted(folder.glob("*.jsonl")):
            for line in path.open(encoding="utf-8"):
                row = json.loads(line)
                if "text" in row and "id" in row:
                    passages.setdefault(row["id"], row)
    for raw in sorted(raw_dir.glob("*.labels.jsonl")):
        name = raw.name.removesuffix(".labels.jsonl")
        annotator = ADJUDICATOR if name == "adjudicated" else f"annotator-{name}"
        created = datetime.fromtimestamp(raw.stat().st_mtime, timezone.utc).isoformat(timespec="seconds")
        records = []
        for line in raw.open(encoding="utf-8"):
            label = json.loads(line)
            passage = passages[label["id"]]
            records.append(Annotation(
                id=label["id"], doc_id=passage["doc_id"], jurisdiction=passage["jurisdiction"],
                text=passage["text"], text_sha256=sha256_text(passage["text"]),
                elements=label["elements"], modality=label["modality"], bearer=label["bearer"],
                annotator=annotator, created=created, fragment=bool(label.get("fragment")),
                note=label.get("note") or "",
            ))
        target = out_dir / ("calibration" if name.startswith("seed") else "labels") / f"{name}.jsonl"
        write_annotations(target, records)
        print(f"{raw.name}: {len(records)} records → {target}")


if __name__ == "__main__":
    main()
