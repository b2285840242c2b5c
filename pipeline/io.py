"""Run folders: the only module that writes documents.jsonl, passages.parquet, errors.jsonl
and run.json."""

from __future__ import annotations

import json
import os
import platform
import tempfile
from collections.abc import Iterable
from pathlib import Path

import pandas as pd

from .records import Document, FileError, Passage

PASSAGE_COLUMNS = ["id", "doc_id", "jurisdiction", "path", "kind", "heading", "text",
                   "page_start", "page_end", "char_start", "char_end"]


def atomic_write_text(path: Path, text: str) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, path)


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def passages_frame(passages: list[Passage]) -> pd.DataFrame:
    frame = pd.DataFrame([p.model_dump() for p in passages], columns=PASSAGE_COLUMNS)
    for col in ("page_start", "page_end", "char_start", "char_end"):
        frame[col] = frame[col].astype("Int64")
    return frame


def write_passages(path: Path, passages: list[Passage]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    passages_frame(passages).to_parquet(tmp, index=False)
    os.replace(tmp, path)


def read_passages(path: Path) -> list[Passage]:
    frame = pd.read_parquet(path)
    rows = frame.astype(object).where(frame.notna(), None).to_dict("records")
    return [Passage.model_validate({**r, "path": list(r["path"])}) for r in rows]


def write_run(
    out: Path,
    documents: list[Document],
    passages: list[Passage],
    errors: list[FileError],
    run_info: dict,
) -> None:
    """Write one run folder's four files."""
    out.mkdir(parents=True, exist_ok=True)
    write_jsonl(out / "documents.jsonl", (d.summary() for d in documents))
    write_passages(out / "passages.parquet", passages)
    write_jsonl(out / "errors.jsonl", (e.model_dump() for e in errors))
    atomic_write_text(out / "run.json", json.dumps(run_info, indent=2, ensure_ascii=False) + "\n")


def environment_versions() -> dict[str, str]:
    """Versions that decide a run's output, for run.json."""
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("ddlens", "pdfplumber", "pypdfium2", "pysbd", "pydantic", "pandas", "pyarrow"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            out[name] = "not installed"
    return out
