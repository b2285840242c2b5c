"""One frozen Settings object with the defaults; nothing is read at import time."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_mirror() -> Path | None:
    """$DDLENS_MIRROR, else the shared corpus beside the checkout when it exists."""
    env = os.environ.get("DDLENS_MIRROR")
    if env:
        return Path(env)
    shared = PROJECT_ROOT.parent / "shared" / "corpus"
    return shared if shared.is_dir() else None


@dataclass(frozen=True)
class Settings:
    """Paths and run defaults. Pass a modified copy (dataclasses.replace) rather than editing."""

    root: Path = PROJECT_ROOT
    manifest: Path = field(default_factory=lambda: PROJECT_ROOT / "corpus" / "manifest.csv")
    corpus_files: Path = field(default_factory=lambda: PROJECT_ROOT / "corpus" / "files")
    annotations: Path = field(default_factory=lambda: PROJECT_ROOT / "annotations")
    # the gold labels models train on (annotations/ also holds audit keys and calibration copies)
    labels: Path = field(default_factory=lambda: PROJECT_ROOT / "annotations" / "labels")
    # the shared seed set: a fixed check, never trained on and never suggested for labelling
    seed_annotations: Path = field(default_factory=lambda: Path(os.environ.get(
        "DDLENS_SEED", PROJECT_ROOT.parent / "shared" / "annotations" / "seed.jsonl")))
    models: Path = field(default_factory=lambda: PROJECT_ROOT / "models")
    # finished cross-validation folds, so an interrupted `train --cv` resumes (fold_cache)
    fold_cache: Path = field(default_factory=lambda: Path(os.environ.get("DDLENS_CACHE", PROJECT_ROOT / ".cache")) / "folds")
    default_run: Path = field(default_factory=lambda: PROJECT_ROOT / "runs" / "default")
    # Segmenting: a passage longer than this is split at points, then at sentences.
    max_passage_chars: int = 2000
    # PDF reading: "pdfium" (fast, default) or "pdfplumber" (the reference).
    pdf_backend: str = "pdfium"
    seed: int = 13


def default_mirror() -> Path | None:
    return _default_mirror()
