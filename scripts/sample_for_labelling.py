"""Draw the passages to label from an ingest run, into batches for annotators.

Every article-level passage of the EU acts is taken (the scheme's core cases); recitals and
the other documents are sampled with a per-document cap, and passages carrying rare cues
(good faith, non-discriminatory, established in, cross-border, …) are drawn first so each
element gets enough positives. A share of each batch repeats passages of the next batch
for independent double labelling.

    python scripts/sample_for_labelling.py RUN OUT_DIR [--batches 8] [--overlap 25]

A later round (`--exclude LABELS.jsonl…`) skips texts already labelled and, with
`--rare N`, draws N passages carrying cues of the rarest elements before the rest.
"""

from __future__ import annotations

import argparse
import json
import random
import re
from pathlib import Path

import pandas as pd

RAREST = re.compile(
    r"good faith|sincer|loyal|non-discriminat|discriminat|equal treatment|irrespective of|"
    r"objective,? transparent|nationality|established in|main establishment|jurisdiction|"
    r"territor|representative|cross-border|transboundary|other Member States|spill|"
    r"neighbour|third part|other states|responsible state behaviour|international peace",
    re.IGNORECASE,
)
RARE = re.compile(
    r"good faith|bona fide|sincere|loyal cooperation|non-discriminat|discriminat|equal treatment|"
    r"irrespective of|nationality|established in|main establishment|jurisdiction|territor|"
    r"representative|cross-border|transboundary|other Member States|spill|neighbour|third part|"
    r"state of the art|standard|certif|best practice|proportionate|risk assessment|risk analysis|"
    r"regularly|periodic|at least every|review|update|notif|report|share information|exchange",
    re.IGNORECASE,
)
EU_ARTICLE_KINDS = {"paragraph", "point", "article", "subparagraph", "annex"}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("run", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--batches", type=int, default=8)
    parser.add_argument("--overlap", type=int, default=25)
    parser.add_argument("--per-doc", type=int, default=14)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--first", type=int, default=0, help="number batches from first+1")
    parser.add_argument("--exclude", type=Path, nargs="*", default=[],
                        help="JSONL files whose texts are labelled already")
    parser.add_argument("--rare", type=int, default=0, help="later round: cue passages for the rarest elements")
    parser.add_argument("--total", type=int, default=0, help="later round: passages in all")
    args = parser.parse_args()
    rng = random.Random(args.seed)

    frame = pd.read_parquet(args.run / "passages.parquet")
    frame = frame[~frame.kind.isin(["footnote", "title", "closing"])]
    frame = frame[frame.text.str.len().between(80, 2000)]
    if args.exclude:
        seen = {json.loads(line)["text"] for path in args.exclude for line in path.open() if line.strip()}
        frame = frame[~frame.text.isin(seen)]
    if args.rare or args.total:
        rare_ids = list(frame[frame.text.str.contains(RAREST)].id)
        chosen = rng.sample(rare_ids, min(args.rare, len(rare_ids)))
        rest = list(frame[~frame.id.isin(set(chosen))].groupby("doc_id").sample(n=3, replace=True, random_state=args.seed).id.unique())
        chosen += rng.sample(rest, min(len(rest), max(0, args.total - len(chosen))))
        _write_batches(frame, chosen, args)
        return
    eu = frame.doc_id.str.startswith("eu-")
    chosen = list(frame[eu & frame.kind.isin(EU_ARTICLE_KINDS)].id)
    recitals = list(frame[eu & (frame.kind == "recital")].id)
    chosen += rng.sample(recitals, min(90, len(recitals)))
    for _, group in frame[~eu].groupby("doc_id"):
        ids = list(group.id)
        rare = [i for i, t in zip(group.id, group.text) if RARE.search(t)]
        rest = [i for i in ids if i not in set(rare)]
        take = rng.sample(rare, min(len(rare), args.per_doc * 2 // 3))
        take += rng.sample(rest, min(len(rest), args.per_doc - len(take)))
        chosen += take
    _write_batches(frame, chosen, args)


def _write_batches(frame: pd.DataFrame, chosen: list[str], args: argparse.Namespace) -> None:
    rows = frame.set_index("id").loc[chosen].reset_index()
    rows = rows.sample(frac=1.0, random_state=args.seed)  # mix documents across batches
    records = [
        {"id": r.id, "doc_id": r.doc_id, "jurisdiction": r.jurisdiction, "kind": r.kind,
         "path": list(r.path), "heading": r.heading, "context": getattr(r, "context", None), "text": r.text}
        for r in rows.itertuples()
    ]
    args.out.mkdir(parents=True, exist_ok=True)
    size = -(-len(records) // args.batches)
    batches = [records[i * size : (i + 1) * size] for i in range(args.batches)]
    for index, batch in enumerate(batches):
        if not args.overlap:
            extra = []
        else:
                extra = batches[(index + 1) % len(batches)][: args.overlap]  # double-labelled sample
        lines = batch + [dict(r, double=True) for r in extra]
        path = args.out / f"batch-{index + 1 + args.first:02d}.jsonl"
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in lines), encoding="utf-8")
    print(f"{len(records)} passages from {rows.doc_id.nunique()} documents, "
          f"{rows.jurisdiction.nunique()} jurisdictions, in {len(batches)} batches "
          f"(+{args.overlap} double-labelled each) → {args.out}")


if __name__ == "__main__":
    main()
