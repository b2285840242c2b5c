"""The corpus manifest: which documents make the default corpus, and their hashes.

The files themselves are never committed: `fetch_corpus` copies them from a mirror folder
into `corpus/files/`, checking each sha256.
"""

from __future__ import annotations

import csv
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, field_validator

from .errors import CorpusError
from .records import DocumentMeta
from .text import sha256_file

MANIFEST_COLUMNS = ["doc_id", "jurisdiction", "title", "year", "kind", "language", "format",
                    "source", "sha256"]
# an ISO 3166 code (`ee`, `gb`), a union or organisation (`eu`), or a subdivision (`us-ca`)
_JURISDICTION = re.compile(r"[a-z]{2,3}(-[a-z0-9]{1,3})?|unknown")


def check_jurisdiction(code: str) -> str:
    """A jurisdiction code, lower-cased: a name (`Estonia`) or a code with a stray character
    would make a matrix row of its own that no `--jurisdictions ee` reaches."""
    value = str(code).strip().lower()
    if not _JURISDICTION.fullmatch(value):
        raise ValueError(f"{code!r} is not a jurisdiction code: give an ISO 3166 code such as ee, gb or us-ca "
                         "(eu for the Union)")
    return value


class ManifestEntry(BaseModel):
    doc_id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    jurisdiction: str
    title: str
    year: int | None
    kind: str
    language: str
    format: str
    source: str = ""
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    # the PDF pages that hold the document (`1-31`), where its file carries others too (a
    # gazette issue with the next act's pages); empty: all
    pages: str | None = Field(None, pattern=r"^\d+-\d+$")

    @field_validator("jurisdiction")
    @classmethod
    def _code(cls, value: str) -> str:
        return check_jurisdiction(value)

    @property
    def page_range(self) -> tuple[int, int] | None:
        if not self.pages:
            return None
        first, last = (int(n) for n in self.pages.split("-"))
        return first, last

    @property
    def filename(self) -> str:
        return f"{self.doc_id}.{self.format}"

    def meta(self) -> DocumentMeta:
        return DocumentMeta(
            doc_id=self.doc_id,
            jurisdiction=self.jurisdiction,
            title=self.title,
            year=self.year,
            kind=self.kind,
            language=self.language,
            source="manifest",
        )


def load_manifest(path: Path) -> list[ManifestEntry]:
    """Read and validate a manifest; a bad row is an error naming the file and the line."""
    if not path.is_file():
        raise CorpusError(path, "manifest not found")
    entries: list[ManifestEntry] = []
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = set(MANIFEST_COLUMNS) - set(reader.fieldnames or [])
        if missing:
            raise CorpusError(path, f"missing columns: {', '.join(sorted(missing))}")
        for line_no, row in enumerate(reader, start=2):
            row = {k: (v if v != "" else None) for k, v in row.items() if k}
            try:
                entries.append(ManifestEntry.model_validate({**row, "source": row.get("source") or ""}))
            except ValidationError as exc:
                first = exc.errors()[0]
                raise CorpusError(path, f"line {line_no}: {first['loc'][0]}: {first['msg']}") from exc
    return entries


def manifest_by_sha(entries: list[ManifestEntry]) -> dict[str, ManifestEntry]:
    return {e.sha256: e for e in entries}


def kinds_by_doc(entries: list[ManifestEntry]) -> dict[str, str]:
    """Each document's kind (law, directive, strategy, …): CV reports laws and strategies apart."""
    return {e.doc_id: e.kind for e in entries}


@dataclass
class FetchReport:
    copied: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    mismatched: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.missing and not self.mismatched


def fetch_corpus(entries: list[ManifestEntry], mirror: Path, dest: Path) -> FetchReport:
    """Copy each listed file from `mirror` into `dest`, verifying sha256 on both sides.

    A file already in `dest` with the right hash is left alone; a missing or mismatched one
    is reported by name and the rest still come in.
    """
    if not mirror.is_dir():
        raise CorpusError(mirror, "mirror folder not found")
    dest.mkdir(parents=True, exist_ok=True)
    report = FetchReport()
    for entry in entries:
        target = dest / entry.filename
        if target.is_file() and sha256_file(target) == entry.sha256:
            report.present.append(entry.filename)
            continue
        source = mirror / entry.filename
        if not source.is_file():
            report.missing.append(entry.filename)
            continue
        if sha256_file(source) != entry.sha256:
            report.mismatched.append(entry.filename)
            continue
        tmp = target.with_suffix(target.suffix + ".part")
        shutil.copyfile(source, tmp)
        tmp.replace(target)
        report.copied.append(entry.filename)
    return report


def corpus_paths(entries: list[ManifestEntry], files: Path) -> list[Path]:
    """The default corpus's files in manifest order; raises when none has been fetched."""
    paths = [files / e.filename for e in entries if (files / e.filename).is_file()]
    if not paths:
        raise CorpusError(files, "no corpus files: run `ddlens corpus fetch` first")
    return paths
