"""MiniLM fine-tuned for the two single-choice heads (modality and bearer) and, beside them,
the elements.

Grouped CV showed what fine-tuning is good for: it reads who owes what and how firmly better
than any bag of n-grams (one fold of 3,805 passages: modality macro-F1 0.69 against linear's
0.64, bearer 0.50 against 0.45), while element detection alone stays better served by the
linear tier (blended with it, below, they do a little better). So only MiniLM's layers and a
7-way head (16-way with the elements) are trained; the word embeddings stay frozen
and are read from the installed package, which keeps the saved weights smaller (6 layers in
float16: about 21 MB of safetensors).

Deeper and longer reads more. Grouped 5-fold CV on 4,667 passages on a GPU
(`scripts/finetune_encoder_cv.py`, blended 0.7 : 0.3 with linear by
`scripts/blend_finetuned_oof.py`): 3 layers reading 64 word pieces gave modality / bearer
0.731 / 0.630, all 6 layers reading 128 and trained 6 epochs 0.782 / 0.701. On this 2-core
CPU the same set-up took about 17 minutes a fit on 4,500 passages in float32 (a quarter of the
3-layer, 64-piece fit's speed) and raised the hybrid's own CV by 0.04 / 0.03 at the same
blend weight (see `hybrid`), so it is the hybrid's default. Freezing and caching the lower
3 layers (`frozen_layers=3`) cost the gain (0.725 / 0.629 on 5,052 passages, no better than
3 layers): the lower layers must learn too. Batches hold passages of similar length, so
little of each is padding.

More than that reads no more. On a GPU (5,650 passages, same folds, blended 0.5 with
linear): 128 word pieces for 6 epochs gave 0.783 / 0.699 and, with another seed,
0.772 / 0.690; 256 word pieces 0.783 / 0.698, 10 epochs 0.777 / 0.699, a learning rate of
1e-4 0.780 / 0.692, 256 for 10 epochs 0.782 / 0.696, and the mean of seven such runs
0.786 / 0.705. Element heads trained beside the two (256 pieces, 10 epochs) and blended 0.5
with linear's raised elements macro-F1 from 0.504 to 0.528 (micro 0.627 to 0.668) with
thresholds tuned on the blend's out-of-fold scores (with linear's thresholds: 0.427), and to
0.530 with linear's thresholds averaged with a fixed 0.7 for the fine-tuned side at weight
0.4, which needs no held-out fine-tuned scores; on the CPU, at the hybrid's 128 pieces and 6
epochs, the gain is smaller (see `hybrid`). They cost little training time (the hybrid's CV
took 44.5 minutes with them, 43 without).

Where the CPU computes bfloat16 natively, the forward pass runs in it (autocast; weights,
gradients and the optimiser stay float32): a fold's fit took 8 minutes against 16 to 17,
and the hybrid's grouped CV gave 0.763 / 0.671 against 0.767 / 0.680 in float32, a
difference the size of the two GPU seeds' above.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import torch

from ..errors import ModelError
from .base import Probabilities
from .encoder import load_minilm, mean_pool, quantise

HIDDEN = 384


class TunedHeads:
    """Fit on texts with modality and bearer class indices (and, with `n_elements`, a 0/1
    element matrix); predict their distributions and element scores."""

    def __init__(self, n_modality: int, n_bearer: int, layers: int = 3, frozen_layers: int = 0, max_length: int = 64,
                 epochs: int = 4, lr: float = 5e-5, batch_size: int = 32, seed: int = 13, bf16: bool | None = None,
                 n_elements: int = 0, device: str | None = None) -> None:
        self.n_modality, self.n_bearer, self.n_elements = n_modality, n_bearer, n_elements
        self.layers, self.frozen_layers = layers, frozen_layers
        self.max_length, self.epochs, self.lr = max_length, epochs, lr
        self.batch_size, self.seed = batch_size, seed
        self.bf16, self.device = bf16, device
        self._quantised = None

    def _build(self) -> None:
        torch.manual_seed(self.seed)
        self.tokenizer, encoder = load_minilm(self.layers)
        encoder.pooler = None
        for parameter in encoder.embeddings.parameters():
            parameter.requires_grad = False
        for layer in encoder.encoder.layer[: self.frozen_layers]:
            for parameter in layer.parameters():
                parameter.requires_grad = False
        self.net = _Net(encoder, self.n_elements + self.n_modality + self.n_bearer)

    def fit(self, texts: list[str], modality: np.ndarray, bearer: np.ndarray,
            elements: np.ndarray | None = None) -> TunedHeads:
        """Class-weighted cross-entropy on both heads (plus, for elements, binary cross-entropy
        with positives weighted up to 20×: the rare ones have a few dozen), AdamW with a
        one-cycle schedule; the forward pass in bfloat16 where the hardware computes it natively
        (`bf16` None decides so). It trains on a CUDA GPU where torch sees one (`device` None
        decides so; minutes instead of the CPU's half hour) and predicts on the CPU either way."""
        if self.n_elements and (elements is None or elements.shape != (len(texts), self.n_elements)):
            raise ValueError(f"{self.n_elements} element heads need a ({len(texts)}, {self.n_elements}) 0/1 matrix")
        self._build()
        self.device_ = self.device or ("cuda" if torch.cuda.is_available() else "cpu")
        self.bf16_ = native_bf16(self.device_) if self.bf16 is None else self.bf16
        torch.manual_seed(self.seed)
        states = self._frozen_states(texts)
        self.net.to(self.device_)
        trainable = [p for p in self.net.parameters() if p.requires_grad]
        optimiser = torch.optim.AdamW(trainable, lr=self.lr, weight_decay=0.01)
        order_rng = np.random.default_rng(self.seed)
        lengths = np.array([len(state) for state in states])
        epochs = [_similar_length_batches(lengths, self.batch_size, order_rng) for _ in range(self.epochs)]
        steps = max(1, sum(map(len, epochs)))
        # OneCycleLR divides by zero when the warm-up is exactly one step (10 steps at 0.1)
        schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, max_lr=self.lr, total_steps=steps,
                                                       pct_start=0.1 if steps != 10 else 0.2)
        device = self.device_
        loss_m = torch.nn.CrossEntropyLoss(weight=_balanced(modality, self.n_modality).to(device))
        loss_b = torch.nn.CrossEntropyLoss(weight=_balanced(bearer, self.n_bearer).to(device))
        y_m, y_b = torch.as_tensor(modality, device=device), torch.as_tensor(bearer, device=device)
        if self.n_elements:
            positives = elements.sum(0)
            loss_e = torch.nn.BCEWithLogitsLoss(pos_weight=torch.tensor(
                np.clip((len(texts) - positives) / np.maximum(positives, 1), 1, 20), dtype=torch.float32, device=device))
            y_e = torch.as_tensor(elements, dtype=torch.float32, device=device)
        e, m = self.n_elements, self.n_elements + self.n_modality
        upper = self.net.encoder.encoder.layer[self.frozen_layers :]
        self.net.train()
        for batches in epochs:
            for batch in batches:
                hidden, mask = (t.to(device) for t in _pad([states[i] for i in batch]))
                with torch.autocast(device, dtype=torch.bfloat16, enabled=self.bf16_):
                    logits = self.net.head(self.net.drop(mean_pool(_through(upper, hidden, mask), mask))).float()
                batch = torch.as_tensor(batch, device=device)
                loss = loss_m(logits[:, e:m], y_m[batch]) + loss_b(logits[:, m:], y_b[batch])
                if self.n_elements:
                    loss = loss + loss_e(logits[:, :e], y_e[batch])
                optimiser.zero_grad()
                loss.backward()
                optimiser.step()
                schedule.step()
        self.net.cpu().eval()
        # the saved copy is float16: round now, so a loaded model predicts exactly what this one does
        with torch.no_grad():
            for parameter in self._trained_state().values():
                parameter.copy_(parameter.half().float())
        self._quantised = None
        return self

    def predict(self, texts: list[str]) -> Probabilities:
        """Element scores (none without element heads) and modality and bearer distributions,
        int8-quantised and length-sorted like `encoder`."""
        net = self._inference_net()
        e, m = self.n_elements, self.n_elements + self.n_modality
        out = np.zeros((len(texts), m + self.n_bearer))
        with torch.inference_mode():
            for chunk, batch in self._by_length(texts):
                logits = net(batch["input_ids"], batch["attention_mask"])
                out[chunk] = torch.cat([logits[:, :e].sigmoid(), logits[:, e:m].softmax(1), logits[:, m:].softmax(1)], 1).numpy()
        return Probabilities(out[:, :e], out[:, e:m], out[:, m:])

    def save(self, folder: Path) -> None:
        from safetensors.torch import save_file

        state = {k: v.detach().half().contiguous() for k, v in self._trained_state().items()}
        save_file(state, str(folder / "tuned.safetensors"))
        (folder / "tuned.json").write_text(json.dumps({
            "n_modality": self.n_modality, "n_bearer": self.n_bearer, "layers": self.layers,
            "frozen_layers": self.frozen_layers, "max_length": self.max_length, "epochs": self.epochs, "lr": self.lr,
            "batch_size": self.batch_size, "seed": self.seed, "bf16": self.bf16_, "n_elements": self.n_elements,
            "device": self.device_},
            indent=2) + "\n")

    @classmethod
    def load(cls, folder: Path) -> TunedHeads:
        from safetensors.torch import load_file

        path = folder / "tuned.safetensors"
        if not path.is_file() or not (folder / "tuned.json").is_file():
            raise ModelError(path, "fine-tuned weights missing: run `ddlens train --model hybrid`")
        heads = cls(**json.loads((folder / "tuned.json").read_text()))
        heads.bf16_, heads.device_ = heads.bf16, heads.device  # as it was trained
        heads._build()
        state = {k: v.float() for k, v in load_file(str(path)).items()}
        missing = set(heads._trained_state()) - set(state)
        if missing:
            raise ModelError(path, f"weights missing for {sorted(missing)[:3]}…")
        heads.net.load_state_dict(state, strict=False)
        heads.net.eval()
        return heads

    def _trained_state(self) -> dict:
        """The parameters fine-tuning changes: everything but the frozen embeddings and layers."""
        frozen = ("encoder.embeddings.",) + tuple(f"encoder.encoder.layer.{i}." for i in range(self.frozen_layers))
        return {k: v for k, v in self.net.state_dict().items() if not k.startswith(frozen)}

    def _by_length(self, texts: list[str], size: int = 64):
        """(indices, tokenised batch) in order of text length, so batches carry little padding."""
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
        for start in range(0, len(order), size):
            chunk = order[start : start + size]
            yield chunk, self.tokenizer([texts[i] for i in chunk], padding=True, truncation=True,
                                        max_length=self.max_length, return_tensors="pt")

    def _frozen_states(self, texts: list[str]) -> list:
        """Each passage's token vectors after the frozen layers (unpadded), computed once."""
        lower = self.net.encoder.encoder.layer[: self.frozen_layers]
        states: list = [None] * len(texts)
        with torch.inference_mode():
            for chunk, batch in self._by_length(texts):
                mask = batch["attention_mask"]
                hidden = _through(lower, self.net.encoder.embeddings(input_ids=batch["input_ids"]), mask)
                for row, i in enumerate(chunk):
                    states[i] = hidden[row, : int(mask[row].sum())].clone()
        return states

    def _inference_net(self):
        if self._quantised is None:
            import copy

            self._quantised = quantise(copy.deepcopy(self.net).eval())
        return self._quantised


def native_bf16(device: str = "cpu") -> bool:
    """Whether `device` computes bfloat16 in hardware (a CPU with AVX512-BF16 or AMX tiles, a
    GPU from Ampere on). There a fit takes half the time in bfloat16 (MiniLM, 32 × 128 word
    pieces: 0.9 s a step against 1.9 in float32, on an AMD EPYC with AVX512-BF16); elsewhere
    bfloat16 is emulated and slower."""
    if device != "cpu":
        return torch.cuda.is_bf16_supported()
    try:
        return bool(torch.cpu._is_avx512_bf16_supported() or torch.cpu._is_amx_tile_supported())
    except AttributeError:  # a torch without these probes
        return False


def _similar_length_batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffled batches of passages of similar length (sorted within pools of 50 batches), so
    little of each batch is padding; the batch order is shuffled too."""
    order = rng.permutation(len(lengths))
    pool = size * 50
    batches = []
    for start in range(0, len(order), pool):
        chunk = order[start : start + pool]
        chunk = chunk[np.argsort(lengths[chunk], kind="stable")]
        batches += [chunk[i : i + size] for i in range(0, len(chunk), size)]
    return [batches[i] for i in rng.permutation(len(batches))]


def _through(layers, hidden, mask):
    """Token vectors through a stack of MiniLM layers, padding masked out of attention."""
    additive = (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min
    for layer in layers:
        hidden = layer(hidden, additive)
    return hidden


def _pad(states: list) -> tuple:
    """Stack token vectors of different lengths, zero-padded, with their attention mask."""
    lengths = torch.tensor([len(s) for s in states])
    mask = (torch.arange(int(lengths.max()))[None, :] < lengths[:, None]).long()
    return torch.nn.utils.rnn.pad_sequence(states, batch_first=True), mask


def _balanced(y: np.ndarray, n: int):
    """scikit-learn's "balanced" class weights (absent classes get weight 1)."""
    counts = np.bincount(y, minlength=n).astype(float)
    weights = np.where(counts > 0, len(y) / (n * np.maximum(counts, 1)), 1.0)
    return torch.tensor(weights, dtype=torch.float32)


class _Net(torch.nn.Module):
    """MiniLM layers, mean pooling over the real tokens, dropout, one linear layer whose outputs
    are the element, modality and bearer logits side by side."""

    def __init__(self, encoder, outputs: int) -> None:
        super().__init__()
        self.encoder = encoder
        self.drop = torch.nn.Dropout(0.1)
        self.head = torch.nn.Linear(HIDDEN, outputs)

    def forward(self, ids, mask):
        return self.head(self.drop(mean_pool(self.encoder(input_ids=ids, attention_mask=mask).last_hidden_state, mask)))
