"""Run folders: the only module that writes documents.jsonl, passages.parquet, errors.jsonl
and run.json."""

from __future__ import annotations

import json
import os
import platform
import stat
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import DdlensError
from .records import Document, FileError, Passage


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write through a temporary file and rename, so a crash never leaves half a file.

    A symlink is written through (a label file linked into annotations/ stays a link), an
    existing file keeps its permissions, and a read-only one is refused rather than replaced:
    someone made it so."""
    path = writable_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp makes 0600; a run folder is meant to be shared
    mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o666 & ~_umask()
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)  # no stray temporary file beside the target
        raise


def writable_target(path: Path) -> Path:
    """The file a write to `path` lands in (a symlink's target), or an error if someone made it
    read-only: checked before a batch of writes, so none is half done."""
    path = path.resolve() if path.is_symlink() else path
    if path.is_dir():
        raise DdlensError(path, "is a folder: give a file name to write")
    if path.exists() and not stat.S_IMODE(path.stat().st_mode) & 0o222:  # not os.access: root may write anything
        raise DdlensError(path, "read-only: not written (make it writable to update it)")
    return path


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_jsonl(path: Path, rows: Iterable[dict]) -> None:
    atomic_write_text(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows))


@dataclass(frozen=True)
class BadLine:
    """A line that is not JSON, yielded in place of its value when the reader goes on."""

    reason: str


def iter_jsonl(path: Path, error: type[DdlensError] = DdlensError, go_on: bool = False) -> Iterator[tuple[int, object]]:
    """(line number, parsed value) for each non-blank line; a line that is not JSON (or not
    UTF-8) raises `error` naming the file and the line, or with `go_on` comes as a BadLine,
    so one bad line costs only itself."""
    with path.open("rb") as handle:
        for line_no, raw in enumerate(handle, start=1):
            if line_no == 1 and raw.startswith((b"\xff\xfe", b"\xfe\xff")):  # one error, not one per line
                raise error(path, "UTF-16 text, not UTF-8: save the file as UTF-8")
            try:
                line = raw.decode("utf-8")
                if line_no == 1:
                    line = line.removeprefix("\ufeff")  # a byte-order mark from Windows tools
                value = json.loads(line) if line.strip() else None
            except UnicodeDecodeError as exc:
                reason = f"not UTF-8 text (byte {exc.start + 1} of the line)"
            except json.JSONDecodeError as exc:
                reason = f"not JSON ({exc.msg.removesuffix(' at')} at column {exc.colno})"
            else:
                if line.strip():
                    yield line_no, value
                continue
            if not go_on:
                raise error(path, f"line {line_no}: {reason}")
            yield line_no, BadLine(reason)


def read_text_rows(path: Path, error: type[DdlensError] = DdlensError) -> list[dict]:
    """JSON Lines of {id, text, …} (the export's input): any line without an id and a text
    is an error naming the file and the line (the first, with how many more)."""
    rows, problems = split_text_rows(path)
    if problems:
        more = f" (and {len(problems) - 1} more lines)" if len(problems) > 1 else ""
        raise error(path, problems[0] + more)
    return [row for _, row in rows]


def split_text_rows(path: Path) -> tuple[list[tuple[int, dict]], list[str]]:
    """(line number, row) for the rows of {id, text, …} JSON Lines that have both, and
    `line N: reason` for every other line: classify reads the rest of a file and names each
    line it could not."""
    rows: list[tuple[int, dict]] = []
    problems: list[str] = []
    for line_no, row in iter_jsonl(path, go_on=True):
        if isinstance(row, BadLine):
            problems.append(f"line {line_no}: {row.reason}")
        elif not isinstance(row, dict) or "id" not in row or not isinstance(row.get("text"), str):
            problems.append(f"line {line_no}: needs an id and a text")
        elif not row["text"].strip():
            problems.append(f"line {line_no}: empty text")
        else:
            rows.append((line_no, row))
    return rows, problems


def _passage_schema():
    import pyarrow as pa

    return pa.schema([
        ("id", pa.string()), ("doc_id", pa.string()), ("jurisdiction", pa.string()),
        ("path", pa.list_(pa.string())), ("kind", pa.string()), ("heading", pa.string()), ("context", pa.string()),
        ("text", pa.string()), ("page_start", pa.int32()), ("page_end", pa.int32()),
        ("char_start", pa.int64()), ("char_end", pa.int64()),
    ])


def write_passages(path: Path, passages: list[Passage]) -> None:
    """passages.parquet through pyarrow alone: ingest never pays for importing pandas."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    table = pa.Table.from_pylist([p.model_dump() for p in passages], schema=_passage_schema())
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)


def read_passages(path: Path) -> list[Passage]:
    return [_valid(path, i, Passage.model_validate, row, "ingest") for i, row in enumerate(_parquet_rows(path, "ingest"), 1)]


def read_run_passages(run: Path) -> list[Passage]:
    """RUN/passages.parquet; a folder not yet ingested is an error saying so."""
    path = run / "passages.parquet"
    if not path.is_file():
        raise missing_run_file(path)
    return read_passages(path)


RUN_FILES = ("run.json", "documents.jsonl", "passages.parquet")


def missing_run_file(path: Path, command: str = "ddlens ingest --out") -> DdlensError:
    """A run file that is not there: the command that writes it, or, for a folder of label
    files given where a run belongs (`--run annotations/labels`), that it is not a run."""
    run = path.parent
    if run.is_dir() and not any((run / name).exists() for name in RUN_FILES) and any(run.glob("*.jsonl")):
        return DdlensError(run, "holds JSON Lines files but is no run folder: give the folder "
                                "`ddlens ingest --out RUN` (or `ddlens run`) wrote")
    return DdlensError(path, f"missing: run `{command} {run}` first")


def _parquet_rows(path: Path, command: str) -> list[dict]:
    """A run's Parquet file as rows; a truncated or foreign file is an error naming it and
    the command that writes it again, not a traceback from deep inside pyarrow."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        return pq.read_table(path).to_pylist()
    except (pa.ArrowException, OSError) as exc:
        raise DdlensError(path, f"not a readable Parquet file ({exc}): rerun `ddlens {command}`") from exc


def _valid(path: Path, row_no: int, parse, row: dict, command: str):
    try:
        return parse(row)
    except (ValueError, KeyError, TypeError) as exc:  # pydantic's ValidationError and json's errors are ValueErrors
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DdlensError(path, f"row {row_no}: not as ddlens writes it ({reason}): rerun `ddlens {command}`") from exc


def write_run(
    out: Path,
    documents: list[Document],
    passages: list[Passage],
    errors: list[FileError],
    run_info: dict,
) -> list[Path]:
    """Write one run folder's four files. What an earlier run made from other passages
    (predictions, matrix, report) is removed, so that no old score stands beside a new
    text, and the matrix files go when only the documents' metadata changed; all stay when
    both are the same. Returns the files removed."""
    out.mkdir(parents=True, exist_ok=True)
    passages_before, documents_before = _passage_keys(out / "passages.parquet"), _document_keys(out / "documents.jsonl")
    write_jsonl(out / "documents.jsonl", (d.summary() for d in documents))
    write_passages(out / "passages.parquet", passages)
    write_jsonl(out / "errors.jsonl", (e.model_dump() for e in errors))
    atomic_write_text(out / "run.json", json.dumps(run_info, indent=2, ensure_ascii=False) + "\n")
    same_passages = passages_before == [(p.id, p.text) for p in passages]
    # the matrix reads the documents' metadata too (a kind decides a level)
    same_documents = documents_before == [_document_key(d.summary()) for d in documents]
    names = () if same_passages and same_documents else MATRIX_FILES if same_passages else DERIVED
    stale = [out / name for name in names if (out / name).exists()]
    for path in stale:
        path.unlink()
    return stale


# files made from a run's passages by classify, matrix and annotate suggest
MATRIX_FILES = ("matrix.csv", "matrix.json", "matrix.xlsx", "heatmap.png", "report.html")
DERIVED = ("predictions.parquet", *MATRIX_FILES, "suggestions.jsonl")


def _document_key(summary: dict) -> tuple:
    return tuple(summary.get(k) for k in ("doc_id", "jurisdiction", "title", "year", "kind", "language"))


def _document_keys(path: Path) -> list[tuple] | None:
    if not path.is_file():
        return None
    rows = [row for _, row in iter_jsonl(path, go_on=True)]
    return [_document_key(row) if isinstance(row, dict) else () for row in rows]


def _passage_keys(path: Path) -> list[tuple[str, str]] | None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not path.is_file():
        return None
    try:
        table = pq.read_table(path, columns=["id", "text"])
    except (pa.ArrowException, OSError):
        return None
    return list(zip(table.column("id").to_pylist(), table.column("text").to_pylist()))


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


def write_predictions(path: Path, predictions: list) -> None:
    """predictions.parquet: one row per passage; score maps as JSON strings for portability."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [p.model_dump() for p in predictions]
    columns = {
        "passage_id": [r["passage_id"] for r in rows], "model": [r["model"] for r in rows],
        "elements": [r["elements"] for r in rows],
        "scores": [json.dumps(r["scores"]) for r in rows],
        "modality": [r["modality"] for r in rows], "modality_scores": [json.dumps(r["modality_scores"]) for r in rows],
        "bearer": [r["bearer"] for r in rows], "bearer_scores": [json.dumps(r["bearer_scores"]) for r in rows],
        "why": [None if r["why"] is None else json.dumps(r["why"]) for r in rows],
    }
    schema = pa.schema([("passage_id", pa.string()), ("model", pa.string()), ("elements", pa.list_(pa.string())),
                        ("scores", pa.string()), ("modality", pa.string()), ("modality_scores", pa.string()),
                        ("bearer", pa.string()), ("bearer_scores", pa.string()), ("why", pa.string())])
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(pa.table(columns, schema=schema), tmp)
    os.replace(tmp, path)


def read_predictions(path: Path) -> list:
    from .records import Prediction

    def parse(row: dict) -> Prediction:
        for key in ("scores", "modality_scores", "bearer_scores"):
            row[key] = json.loads(row[key])
        row["why"] = json.loads(row["why"]) if row.get("why") else None  # absent before 2026-11-28
        return Prediction.model_validate(row)

    return [_valid(path, i, parse, row, "classify") for i, row in enumerate(_parquet_rows(path, "classify"), 1)]
