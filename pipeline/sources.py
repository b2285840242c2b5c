"""Digests of the package's own source, so that what was made by one version of the code is
not taken for what the installed code would make: cross-validation folds fitted by other
model code (`fold_cache`), or a run cut by other segmentation code (`remap`)."""

from __future__ import annotations

import ast
import hashlib
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent


def source_digest(files: Iterable[Path], root: Path = ROOT) -> str:
    """sha256 over the files' paths (relative to `root`) and bytes, in path order."""
    digest = hashlib.sha256()
    for path in sorted(files):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def reachable(root: Path, start: list[Path]) -> set[Path]:
    """The package's source files `start` imports, directly or through each other, in any
    scope (a function's local import counts)."""
    seen: set[Path] = set()
    todo = list(start)
    while todo:
        path = todo.pop()
        if path in seen or not path.is_file():
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level:
                base = path.parent
                for _ in range(node.level - 1):
                    base = base.parent
                names = [node.module] if node.module else [alias.name for alias in node.names]
                for name in names:
                    target = base.joinpath(*name.split("."))
                    todo += [target.with_suffix(".py"), target / "__init__.py"]
    return {p for p in seen if root in p.parents}


@lru_cache(maxsize=1)
def ingest_code_digest() -> str:
    """The code that reads files and cuts them into passages (and so decides passage ids),
    recorded in run.json."""
    return source_digest(reachable(ROOT, [ROOT / "runner.py"]))
