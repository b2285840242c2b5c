"""Experiment: fine-tune all-MiniLM-L6-v2 under grouped 5-fold cross-validation and write
out-of-fold probabilities, to decide how much of MiniLM the tiers should fine-tune and on
which heads (nine sigmoid elements, modality and bearer softmax).

Standalone (torch, transformers, scikit-learn): it runs where the project is not installed,
on a GPU when there is one. Reads a JSON Lines gold file (text or `bare` text, doc_id,
elements, modality, bearer, and optionally `fold`, so the folds match the project's own CV)
and a MiniLM folder (`blend_finetuned_oof.py export` writes the gold and MiniLM's archive);
writes an .npz of out-of-fold probabilities (columns: 9 elements, 3 modality, 4 bearer) and
the element thresholds tuned on an inner grouped split of each training fold, after every
fold, so a run stopped at a time limit keeps the folds it finished (`folds_done`).

    python scripts/finetune_encoder_cv.py GOLD.jsonl MODEL_DIR OUT.npz [--epochs 8] [--layers 6]
        [--max-length 128] [--lr 5e-5] [--heads all|mb] [--freeze-embeddings] [--fixed-thresholds]

`--heads mb` trains modality and bearer only (the hybrid tier's set-up); `--fixed-thresholds`
skips the inner training that tunes element thresholds (0.5 each): half the cost.
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np

ELEMENTS = ["good_faith", "no_harm", "territoriality", "risk_assessment", "necessary_measures",
            "state_of_the_art", "information_exchange", "non_discrimination", "continuous_obligation"]
MODALITY = ["conduct", "result", "none"]
BEARER = ["state", "operator", "other", "none"]


def main() -> None:
    import torch
    from sklearn.model_selection import GroupKFold
    from transformers import AutoModel, AutoTokenizer

    parser = argparse.ArgumentParser()
    parser.add_argument("gold")
    parser.add_argument("model_dir")
    parser.add_argument("out")
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=5e-5)
    parser.add_argument("--max-length", type=int, default=128)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--layers", type=int, default=6, help="keep MiniLM's first N layers")
    parser.add_argument("--heads", choices=["all", "mb"], default="all")
    parser.add_argument("--freeze-embeddings", action="store_true")
    parser.add_argument("--fixed-thresholds", action="store_true")
    args = parser.parse_args()
    with open(args.gold, encoding="utf-8") as lines:
        rows = [json.loads(line) for line in lines]
    texts = [r.get("bare", r["text"]) for r in rows]  # the hybrid's fine-tuned heads read the bare text
    Y = np.array([[e in r["elements"] for e in ELEMENTS] for r in rows], dtype=np.float32)
    M = np.array([MODALITY.index(r["modality"]) for r in rows])
    B = np.array([BEARER.index(r["bearer"]) for r in rows])
    groups = [r["doc_id"] for r in rows]
    with_elements = args.heads == "all"
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(args.model_dir, local_files_only=True)
    encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=args.max_length, return_tensors="pt")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(args.model_dir, local_files_only=True, dtype=torch.float32)
            self.encoder.encoder.layer = self.encoder.encoder.layer[: args.layers]
            if args.freeze_embeddings:
                for p in self.encoder.embeddings.parameters():
                    p.requires_grad = False
            self.drop = torch.nn.Dropout(0.1)
            self.heads = torch.nn.Linear(384, len(ELEMENTS) + len(MODALITY) + len(BEARER))

        def forward(self, ids, mask):
            hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.heads(self.drop(pooled))

    def balanced(y, n):
        counts = np.bincount(y, minlength=n).astype(float)
        return torch.tensor(np.where(counts > 0, len(y) / (n * np.maximum(counts, 1)), 1.0), dtype=torch.float32, device=device)

    def train_and_predict(train_idx, test_idx):
        torch.manual_seed(args.seed)
        net = Net().to(device)
        opt = torch.optim.AdamW([p for p in net.parameters() if p.requires_grad], lr=args.lr, weight_decay=0.01)
        steps = args.epochs * int(np.ceil(len(train_idx) / 32))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
        pos = Y[train_idx].sum(0)
        pos_weight = torch.tensor(np.clip((len(train_idx) - pos) / np.maximum(pos, 1), 1, 20), device=device)
        bce = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        ce_m = torch.nn.CrossEntropyLoss(weight=balanced(M[train_idx], 3))
        ce_b = torch.nn.CrossEntropyLoss(weight=balanced(B[train_idx], 4))
        rng = np.random.default_rng(args.seed)
        for _ in range(args.epochs):
            net.train()
            order = rng.permutation(train_idx)
            for start in range(0, len(order), 32):
                idx = order[start:start + 32]
                ids, mask = encoded["input_ids"][idx].to(device), encoded["attention_mask"][idx].to(device)
                with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                    logits = net(ids, mask).float()
                loss = (ce_m(logits[:, 9:12], torch.tensor(M[idx], device=device))
                        + ce_b(logits[:, 12:], torch.tensor(B[idx], device=device)))
                if with_elements:
                    loss = loss + bce(logits[:, :9], torch.tensor(Y[idx], device=device))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
        net.eval()
        outs = []
        with torch.no_grad():
            for start in range(0, len(test_idx), 128):
                idx = test_idx[start:start + 128]
                logits = net(encoded["input_ids"][idx].to(device), encoded["attention_mask"][idx].to(device)).float()
                outs.append(torch.cat([torch.sigmoid(logits[:, :9]), torch.softmax(logits[:, 9:12], 1),
                                       torch.softmax(logits[:, 12:], 1)], 1).cpu().numpy())
        return np.concatenate(outs)

    if "fold" in rows[0]:
        fold_of = np.array([r["fold"] for r in rows])
        folds = [(np.where(fold_of != f)[0], np.where(fold_of == f)[0]) for f in sorted(set(fold_of))]
    else:
        folds = list(GroupKFold(n_splits=5).split(texts, groups=groups))
    fold_of_row = np.zeros(len(rows), dtype=int)
    for f, (_, test) in enumerate(folds):
        fold_of_row[test] = f
    started = time.time()
    oof = np.zeros((len(rows), 16))
    thresholds = np.full((len(folds), 9), 0.5)
    for fold, (train, test) in enumerate(folds):
        if with_elements and not args.fixed_thresholds:
            inner_train, inner_val = next(GroupKFold(n_splits=4).split(train, groups=[groups[i] for i in train]))
            val_scores = train_and_predict(train[inner_train], train[inner_val])
            for j in range(9):
                gold = Y[train[inner_val], j]
                best_f1 = -1.0
                for th in np.linspace(0.05, 0.95, 19):
                    p = val_scores[:, j] >= th
                    tp = (p & (gold == 1)).sum()
                    f1 = 2 * tp / (p.sum() + gold.sum()) if p.sum() + gold.sum() else 0
                    if f1 > best_f1:
                        thresholds[fold, j], best_f1 = float(th), f1
        oof[test] = train_and_predict(train, test)
        print(f"fold {fold}: {time.time() - started:.0f}s", flush=True)
        # saved after every fold, so a run stopped at a time limit still returns its finished folds
        np.savez(args.out, oof=oof, thresholds=thresholds, fold=fold_of_row, folds_done=fold + 1,
                 args=json.dumps(vars(args)), seconds=time.time() - started, device=device)
    print(f"done in {time.time() - started:.0f}s on {device}")


if __name__ == "__main__":
    main()
