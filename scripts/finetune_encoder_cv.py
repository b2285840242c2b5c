"""Experiment: fine-tune all-MiniLM-L6-v2 end to end (multi-task: nine sigmoid elements,
modality and bearer softmax) under grouped 5-fold cross-validation, to decide whether the
`encoder` tier should be fine-tuned or keep a trained head on frozen embeddings.

Standalone (torch, transformers, scikit-learn); runs on a GPU when there is one. Reads a
JSON Lines gold file (text, doc_id, elements, modality, bearer) and a MiniLM folder; writes
out-of-fold predictions for `pipeline.evaluate.score`.

    python scripts/finetune_encoder_cv.py GOLD.jsonl MODEL_DIR OUT.json [--epochs 8] [--layers 3]
        [--max-length 64] [--fixed-thresholds]

`--fixed-thresholds` skips the inner training that tunes element thresholds (elements are
then tagged at 0.5, the loss being class-weighted): half the cost, for a CPU run.
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
    parser.add_argument("--max-length", type=int, default=256)
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--layers", type=int, default=6, help="keep MiniLM's first N layers")
    parser.add_argument("--fixed-thresholds", action="store_true")
    args = parser.parse_args()
    rows = [json.loads(line) for line in open(args.gold, encoding="utf-8")]
    texts = [r["text"] for r in rows]
    Y = np.array([[e in r["elements"] for e in ELEMENTS] for r in rows], dtype=np.float32)
    M = np.array([MODALITY.index(r["modality"]) for r in rows])
    B = np.array([BEARER.index(r["bearer"]) for r in rows])
    groups = [r["doc_id"] for r in rows]
    device = "cuda" if torch.cuda.is_available() else "cpu"
    tokenizer = AutoTokenizer.from_pretrained(args.model_dir, local_files_only=True)
    encoded = tokenizer(texts, padding="max_length", truncation=True, max_length=args.max_length, return_tensors="pt")

    class Net(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = AutoModel.from_pretrained(args.model_dir, local_files_only=True, torch_dtype=torch.float32)
            self.encoder.encoder.layer = self.encoder.encoder.layer[: args.layers]
            self.drop = torch.nn.Dropout(0.1)
            self.heads = torch.nn.Linear(384, len(ELEMENTS) + len(MODALITY) + len(BEARER))

        def forward(self, ids, mask):
            hidden = self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state
            m = mask.unsqueeze(-1).float()
            pooled = (hidden * m).sum(1) / m.sum(1).clamp(min=1e-9)
            return self.heads(self.drop(pooled))

    def train_and_predict(train_idx, test_idx):
        torch.manual_seed(args.seed)
        net = Net().to(device)
        opt = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=0.01)
        steps = args.epochs * int(np.ceil(len(train_idx) / 32))
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.1)
        pos = Y[train_idx].sum(0)
        pos_weight = torch.tensor(np.clip((len(train_idx) - pos) / np.maximum(pos, 1), 1, 20), device=device)
        bce = torch.nn.BCEWithLogitsLoss(pos_weight=pos_weight)
        ce = torch.nn.CrossEntropyLoss()
        rng = np.random.default_rng(args.seed)
        for _ in range(args.epochs):
            net.train()
            order = rng.permutation(train_idx)
            for start in range(0, len(order), 32):
                idx = order[start:start + 32]
                ids, mask = encoded["input_ids"][idx].to(device), encoded["attention_mask"][idx].to(device)
                with torch.autocast(device_type=device, dtype=torch.bfloat16, enabled=device == "cuda"):
                    logits = net(ids, mask).float()
                loss = (bce(logits[:, :9], torch.tensor(Y[idx], device=device))
                        + ce(logits[:, 9:12], torch.tensor(M[idx], device=device))
                        + ce(logits[:, 12:], torch.tensor(B[idx], device=device)))
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

    started = time.time()
    oof = np.zeros((len(rows), 16))
    thresholds = []
    for fold, (train, test) in enumerate(GroupKFold(n_splits=5).split(texts, groups=groups)):
        # thresholds tuned on an inner grouped split of the training documents
        t = [0.5] * 9
        if not args.fixed_thresholds:
            inner_train, inner_val = next(GroupKFold(n_splits=4).split(train, groups=[groups[i] for i in train]))
            val_scores = train_and_predict(train[inner_train], train[inner_val])
            for j in range(9):
                gold = Y[train[inner_val], j]
                best_f1 = -1
                for th in np.linspace(0.05, 0.95, 19):
                    p = val_scores[:, j] >= th
                    tp = (p & (gold == 1)).sum()
                    f1 = 2 * tp / (p.sum() + gold.sum()) if p.sum() + gold.sum() else 0
                    if f1 > best_f1:
                        t[j], best_f1 = float(th), f1
        thresholds.append(t)
        oof[test] = train_and_predict(train, test)
        for i in test:
            oof[i, :9] = oof[i, :9] >= np.array(t)
        print(f"fold {fold}: {time.time() - started:.0f}s", flush=True)
    predictions = []
    for i in range(len(rows)):
        modality = MODALITY[int(np.argmax(oof[i, 9:12]))]
        bearer = BEARER[int(np.argmax(oof[i, 12:]))]
        if modality == "none":
            bearer = "none"
        elif bearer == "none":
            bearer = BEARER[int(np.argmax(oof[i, 12:15]))]
        predictions.append({"id": rows[i]["id"], "elements": [e for j, e in enumerate(ELEMENTS) if oof[i, j]],
                            "modality": modality, "bearer": bearer})
    json.dump({"predictions": predictions, "thresholds": thresholds, "seconds": time.time() - started,
               "device": device, "epochs": args.epochs}, open(args.out, "w"))
    print(f"done in {time.time() - started:.0f}s on {device}")


if __name__ == "__main__":
    main()
