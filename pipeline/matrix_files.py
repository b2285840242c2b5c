"""A classified run folder → RUN/matrix.csv, matrix.json, matrix.xlsx, heatmap.png and
report.html, all built from one set of filters."""

from __future__ import annotations

import json
from pathlib import Path

from .export import write_csv, write_heatmap, write_json, write_xlsx
from .io import MATRIX_FILES
from .matrix import (
    Filters,
    Matrix,
    RunData,
    coverage,
    describe_filters,
    failed_files,
)
from .report import write_report

OUTPUTS = MATRIX_FILES


def write_matrix_files(run: RunData, filters: Filters = Filters(), top: int = 5, out: Path | None = None) -> Matrix:
    """Write the five files into `out` (default: the run folder), with the run's model card;
    returns the matrix."""
    out = out or run.folder
    out.mkdir(parents=True, exist_ok=True)
    matrix = coverage(run, filters, top=top)
    write_csv(matrix, out / "matrix.csv")
    write_json(matrix, out / "matrix.json", run.card)
    write_xlsx(matrix, out / "matrix.xlsx", run.card)
    described = describe_filters(filters)
    write_heatmap(matrix, out / "heatmap.png", title=f"Due diligence coverage ({run.model} model)"
                  + (f"\n{described}" if described else ""))
    info_path = run.folder / "run.json"
    info = json.loads(info_path.read_text(encoding="utf-8")) if info_path.is_file() else {}
    info["not_read"] = failed_files(run.folder)
    # each document's `top` strongest passages hold each jurisdiction's `top` strongest, so the
    # report's cells (folded from documents in the page) show the evidence matrix.json shows
    write_report(coverage(run, filters, by="doc_id", top=top), out / "report.html", run.card, info, top)
    return matrix
