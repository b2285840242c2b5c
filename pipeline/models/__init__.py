"""The model registry: a versioned name → classifier class. Heavy tiers import lazily, so
asking for `rules` never loads torch."""

from __future__ import annotations

from importlib import import_module

from ..errors import ModelError
from .base import Classifier, NotFittedError, Probabilities, Targets

_REGISTRY: dict[str, tuple[str, str]] = {
    "rules": ("pipeline.models.rules", "RulesClassifier"),
    "linear": ("pipeline.models.linear", "LinearClassifier"),
    "encoder": ("pipeline.models.encoder", "EncoderClassifier"),
    "hybrid": ("pipeline.models.hybrid", "HybridClassifier"),
}

MODEL_NAMES = tuple(_REGISTRY)

__all__ = ["Classifier", "NotFittedError", "Probabilities", "Targets", "MODEL_NAMES", "get_model_class", "make_model"]


def get_model_class(name: str) -> type[Classifier]:
    if name not in _REGISTRY:
        raise ModelError(None, f"unknown model {name!r}: choose from {', '.join(_REGISTRY)}")
    module, attr = _REGISTRY[name]
    return getattr(import_module(module), attr)


def make_model(name: str, **params) -> Classifier:
    return get_model_class(name)(**params)
