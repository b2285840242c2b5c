"""The label scheme as data: one versioned file inside the package (data/labels.json),
read once per process; every annotation and prediction is checked against it."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources


@dataclass(frozen=True)
class Scheme:
    version: str
    elements: tuple[str, ...]
    element_names: dict[str, str]
    modality: tuple[str, ...]
    bearer: tuple[str, ...]


@lru_cache(maxsize=1)
def load_scheme() -> Scheme:
    data = json.loads(resources.files("pipeline").joinpath("data/labels.json").read_text(encoding="utf-8"))
    return Scheme(
        version=data["version"],
        elements=tuple(e["id"] for e in data["elements"]),
        element_names={e["id"]: e["name"] for e in data["elements"]},
        modality=tuple(data["modality"]),
        bearer=tuple(data["bearer"]),
    )
