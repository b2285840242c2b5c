"""Shared fixtures: the real corpus beside the checkout, and PDFs made at test time."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("DDLENS_SHARED", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def _fold_cache_of_its_own(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each test's cross-validation keeps its folds in its own folder: in the project's
    .cache/folds the next test run would read them back (and skip the fits a test watches),
    and they would lie beside the folds of a real `ddlens train --cv`."""
    monkeypatch.setenv("DDLENS_CACHE", str(tmp_path / "ddlens-cache"))


@pytest.fixture(scope="session")
def shared_corpus() -> Path:
    """../shared/corpus: read only, never copied. A missing corpus fails loudly."""
    path = SHARED / "corpus"
    if not (path / "manifest.csv").is_file():
        pytest.fail(f"shared corpus not found at {path} (set DDLENS_SHARED)")
    return path


@pytest.fixture(scope="session")
def shared_annotations() -> Path:
    path = SHARED / "annotations"
    if not path.is_dir():
        pytest.fail(f"shared annotations not found at {path}")
    return path


@pytest.fixture(scope="session")
def corpus_doc(shared_corpus: Path) -> Callable[[str], object]:
    """Ingest a corpus file by name with its manifest metadata (cached per session)."""
    from pipeline.config import Settings
    from pipeline.corpus import load_manifest, manifest_by_sha
    from pipeline.ingest import ingest_file, resolve_meta
    from pipeline.text import sha256_file

    by_sha = manifest_by_sha(load_manifest(Settings().manifest))
    cache: dict[tuple[str, str], object] = {}

    def load(name: str, backend: str = "pdfium"):
        key = (name, backend)
        if key not in cache:
            path = shared_corpus / name
            sha = sha256_file(path)
            pages = by_sha[sha].page_range if sha in by_sha else None  # as the runner reads it
            cache[key] = ingest_file(path, resolve_meta(path, sha, by_sha), sha256=sha, backend=backend, pages=pages)
        return cache[key]

    return load


@pytest.fixture(scope="session")
def corpus_passages(corpus_doc) -> Callable[[str], list]:
    from pipeline.segment import segment_document

    cache: dict[str, list] = {}

    def load(name: str) -> list:
        if name not in cache:
            cache[name] = segment_document(corpus_doc(name))
        return cache[name]

    return load


@pytest.fixture()
def make_pdf(tmp_path: Path) -> Callable[..., Path]:
    """Build a small PDF with reportlab: `pages` is a list of pages, each a list of
    (x, y, text, size) tuples in points from the bottom left."""

    def build(name: str, pages: list[list[tuple[float, float, str, float]]], encrypt: str | None = None) -> Path:
        from reportlab.lib.pagesizes import A4
        from reportlab.pdfgen import canvas

        path = tmp_path / name
        pdf = canvas.Canvas(str(path), pagesize=A4)
        if encrypt:
            pdf.setEncrypt(encrypt)
        for page in pages:
            for x, y, text, size in page:
                pdf.setFont("Helvetica", size)
                pdf.drawString(x, y, text)
            pdf.showPage()
        pdf.save()
        return path

    return build


@pytest.fixture(scope="session")
def small_gold():
    """A small labelled sample from annotations/: 90 gold passages of several documents."""
    from pipeline.annotations import gold_labels, load_annotations
    from pipeline.config import Settings

    records = gold_labels(load_annotations(Settings().labels))
    by_doc: dict[str, list] = {}
    for record in records:
        by_doc.setdefault(record.doc_id, []).append(record)
    picked = [r for doc in sorted(by_doc)[:30] for r in by_doc[doc][:3]]
    return picked[:90]


RUN_FILES = ("eu-2022-nis2-directive.txt", "ee-2014-cyber-security-strategy.txt", "fi-2013-cyber-security-strategy.txt")


@pytest.fixture(scope="session")
def real_run(shared_corpus, tmp_path_factory) -> Path:
    """`ddlens run` on three real corpus documents (a directive, two strategies) with the
    committed default model: a classified run folder with its matrix and report."""
    from typer.testing import CliRunner

    from pipeline.cli import app

    out = tmp_path_factory.mktemp("run")
    result = CliRunner().invoke(app, ["run", *[str(shared_corpus / f) for f in RUN_FILES], "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "open the report" in result.output
    return out
