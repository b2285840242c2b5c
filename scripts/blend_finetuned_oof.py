"""Score `finetune_encoder_cv.py` runs the way the `hybrid` tier would use them: blended with
the linear tier's out-of-fold probabilities on the same grouped folds, decoded by the
project's own `predict_labels` (joint "none" vote, tuned element thresholds).

    python scripts/blend_finetuned_oof.py export DIR    # gold + fold ids and MiniLM, for the GPU
    python scripts/blend_finetuned_oof.py score DIR/gold.jsonl RUN.npz [RUN.npz …]

`export` writes `DIR/gold.jsonl`: the training gold (seed left out) with its grouped fold
(GroupKFold, 5 folds, as `ddlens evaluate --cv 5` deals them), each text behind its part
marker as the linear tier reads it (`text`) and bare (`bare`), as the hybrid's fine-tuned
heads read it. It also writes `DIR/minilm.tar.xz`, MiniLM small enough to travel with the
working tree (27 MB against 87): float16, with the word-embedding rows no gold text uses set
to zero, which changes nothing a run on this gold computes.

`score` refits linear on each fold and prints, for each run: the fine-tuned heads alone
(linear elements), modality and bearer blended at 0.5 and 0.7, and, where the run trained
element heads too, elements blended at 0.3 and 0.5 (thresholds tuned on the other folds'
predictions, never the fold's own).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from types import SimpleNamespace

import numpy as np

from pipeline.config import Settings
from pipeline.evaluate import score
from pipeline.model_input import record_text
from pipeline.models import Probabilities, Targets
from pipeline.models.base import best_threshold, usable
from pipeline.models.linear import LinearClassifier
from pipeline.train import training_records


def export(folder: Path) -> None:
    from sklearn.model_selection import GroupKFold

    folder.mkdir(parents=True, exist_ok=True)
    records = training_records(Settings().labels, Settings().seed_annotations)
    fold = np.zeros(len(records), dtype=int)
    for f, (_, test) in enumerate(GroupKFold(n_splits=5).split(np.zeros(len(records)), groups=[r.doc_id for r in records])):
        fold[test] = f
    with (folder / "gold.jsonl").open("w", encoding="utf-8") as out:
        for r, f in zip(records, fold):
            out.write(json.dumps({"id": r.id, "doc_id": r.doc_id, "text": record_text(r), "bare": r.text,
                                  "elements": sorted(r.elements), "modality": r.modality, "bearer": r.bearer, "fold": int(f)},
                                 ensure_ascii=False) + "\n")
    print(f"{len(records)} passages from {len({r.doc_id for r in records})} documents → {folder / 'gold.jsonl'}")
    pack_minilm([t for r in records for t in (r.text, record_text(r))], folder / "minilm.tar.xz")


def pack_minilm(texts: list[str], archive: Path) -> None:
    """MiniLM as `finetune_encoder_cv.py` loads it, cut to the word pieces `texts` use."""
    import tarfile
    import tempfile

    import torch
    from safetensors.torch import load_file, save_file
    from transformers import AutoTokenizer

    from pipeline.models.encoder import model_dir

    source = model_dir()
    tokenizer = AutoTokenizer.from_pretrained(source, local_files_only=True)
    used = sorted(set(tokenizer.all_special_ids).union(*(tokenizer(texts, add_special_tokens=False)["input_ids"])))
    weights = load_file(str(source / "model.safetensors"))
    embeddings = weights["embeddings.word_embeddings.weight"]
    unused = torch.ones(len(embeddings), dtype=torch.bool)
    unused[used] = False
    embeddings[unused] = 0
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "minilm"
        folder.mkdir()
        for name in ("config.json", "special_tokens_map.json", "tokenizer.json", "tokenizer_config.json", "vocab.txt"):
            (folder / name).write_bytes((source / name).read_bytes())
        save_file({k: v.half().contiguous() for k, v in weights.items()}, str(folder / "model.safetensors"))
        with tarfile.open(archive, "w:xz") as tar:
            tar.add(folder, arcname="minilm")
    print(f"MiniLM, {len(used)} of {len(embeddings)} word pieces kept → {archive} ({archive.stat().st_size / 2**20:.0f} MiB)")


def score_runs(gold_path: Path, runs: list[Path]) -> None:
    rows = [SimpleNamespace(**json.loads(line)) for line in gold_path.open(encoding="utf-8")]
    fold = np.array([r.fold for r in rows])
    models, linear = {}, Probabilities(np.zeros((len(rows), 9)), np.zeros((len(rows), 3)), np.zeros((len(rows), 4)))
    for f in sorted(set(fold)):
        train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
        models[f] = LinearClassifier().fit([rows[i].text for i in train], Targets.from_records([rows[i] for i in train]),
                                           [rows[i].doc_id for i in train])
        p = models[f].predict_proba([rows[i].text for i in test])
        linear.elements[test], linear.modality[test], linear.bearer[test] = p.elements, p.modality, p.bearer
    gold = Targets.from_records(rows).elements

    def report(name: str, probs: Probabilities, thresholds: dict | None = None) -> None:
        labels: list = [None] * len(rows)
        for f, model in models.items():
            test = np.flatnonzero(fold == f)
            model.thresholds_ = (thresholds or saved)[f]
            part = Probabilities(probs.elements[test], probs.modality[test], probs.bearer[test])
            for i, label in zip(test, model.predict_labels(part)):
                labels[i] = label
        s = score(rows, labels)
        print(f"{name:34s} elements {s['elements_macro_f1']:.3f} (micro {s['elements_micro_f1']:.3f})  "
              f"modality {s['modality']['macro_f1']:.3f}  bearer {s['bearer']['macro_f1']:.3f}")

    def cross_fitted(elements: np.ndarray) -> dict:
        names = models[0].classes_
        return {f: {e: usable(*best_threshold(elements[fold != f, j], gold[fold != f, j])) for j, e in enumerate(names)}
                for f in models}

    saved = {f: dict(m.thresholds_) for f, m in models.items()}
    report("linear", linear)
    for run in runs:
        data = np.load(run)
        if len(data["oof"]) != len(rows):
            raise SystemExit(f"{run}: {len(data['oof'])} rows, the gold file has {len(rows)}")
        tuned = Probabilities(data["oof"][:, :9], data["oof"][:, 9:12], data["oof"][:, 12:])
        for w in (1.0, 0.7, 0.5):
            report(f"{run.stem} modality/bearer ×{w}", Probabilities(
                linear.elements, w * tuned.modality + (1 - w) * linear.modality, w * tuned.bearer + (1 - w) * linear.bearer))
        if json.loads(str(data["args"])).get("heads", "all") == "all":
            for w in (0.3, 0.5):
                blend = w * tuned.elements + (1 - w) * linear.elements
                report(f"{run.stem} + elements ×{w}", Probabilities(
                    blend, 0.5 * tuned.modality + 0.5 * linear.modality, 0.5 * tuned.bearer + 0.5 * linear.bearer), cross_fitted(blend))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("command", choices=["export", "score"])
    parser.add_argument("path", type=Path, help="export: a folder; score: its gold.jsonl")
    parser.add_argument("runs", type=Path, nargs="*")
    args = parser.parse_args()
    export(args.path) if args.command == "export" else score_runs(args.path, args.runs)


if __name__ == "__main__":
    main()
