"""A coverage matrix as the files analysts open: long CSV, JSON, a workbook (wide levels
sheet + evidence sheet) and a heatmap PNG. Every file is written atomically."""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from .io import atomic_write_text
from .matrix import LEVEL_MEANING, SHOWN_LEVELS, Evidence, Matrix
from .search import Hit

# ordinal palette, light to dark (ColorBrewer Blues: readable in grey and by the colour-blind)
# (grey for a cell not assessed: neither the white of "absent" nor a shade of blue)
LEVEL_COLOURS = dict(zip(SHOWN_LEVELS, ("#bdbdbd", "#f7f7f7", "#c6dbef", "#6baed6", "#2171b5", "#08306b")))
DARK_LEVELS = ("law:conduct", "law:result")  # white text on them
CSV_COLUMNS = ("element", "level", "n_passages", "n_documents", "share", "max_score", "conduct_share",
               "result_share", "state_share", "operator_share", "evidence")


def write_csv(matrix: Matrix, path: Path) -> None:
    """Long table: one row per group × element; evidence as ';'-joined passage ids."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow((matrix.by, *CSV_COLUMNS))
    for cell in matrix.cells:
        row = cell.to_row()
        writer.writerow((cell.group, *[";".join(row[c]) if c == "evidence" else row[c] for c in CSV_COLUMNS]))
    atomic_write_text(path, buffer.getvalue())


EVIDENCE_COLUMNS = ("rank", "passage_id", "doc_id", "jurisdiction", "reference", "citation", "pages", "title", "year",
                    "doc_kind", "element", "level", "score", "modality", "bearer", "why", "text")
HIT_COLUMNS = ("n", "passage_id", "doc_id", "jurisdiction", "reference", "citation", "pages", "title", "year",
               "doc_kind", "matched", "elements", "modality", "bearer", "heading", "text")
# a cell a spreadsheet would run as a formula ("=HYPERLINK(…)", "- the operator …")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_evidence_csv(evidence: list[Evidence], path: Path) -> None:
    """One row per passage, in the order given."""
    _write_rows(({**e.to_dict(), "rank": rank, "why": "; ".join(e.why)} for rank, e in enumerate(evidence, start=1)),
                EVIDENCE_COLUMNS, path)


def write_hits_csv(hits: list[Hit], path: Path) -> None:
    """One row per passage a search found, in the order given."""
    _write_rows(({**h.to_dict(), "n": n, "elements": ";".join(h.elements)} for n, h in enumerate(hits, start=1)),
                HIT_COLUMNS, path)


def _write_rows(rows, columns: tuple[str, ...], path: Path) -> None:
    """A CSV file of `columns`. A text opening like a formula is written with a leading
    apostrophe, as spreadsheets mark text, so opening the file runs nothing."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow(["'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v for v in (row[c] for c in columns)])
    atomic_write_text(path, buffer.getvalue())


def write_json(matrix: Matrix, path: Path, card: dict | None = None) -> None:
    data = matrix.to_json()
    data["model_card"] = card_summary(card or {})
    atomic_write_text(path, json.dumps(data, ensure_ascii=False, indent=1))


def card_summary(card: dict) -> dict:
    """The figures a reader of the matrix needs from the model card."""
    from .train import headline

    metrics = card.get("metrics", {})
    return {**headline(card), "name": card.get("name"), "scheme_version": card.get("scheme_version"),
            "thresholds": card.get("thresholds", {}), "cv_folds": metrics.get("folds"),
            "per_label": {label: {**{k: m.get(k) for k in ("precision", "recall", "f1", "support")},
                                  # absent from cards trained before it was measured
                                  "document_f1": metrics.get("by_document", {}).get("per_label", {}).get(label, {}).get("f1")}
                          for label, m in metrics.get("per_label", {}).items()},
            "by_jurisdiction": metrics.get("by_jurisdiction", {})}


def write_xlsx(matrix: Matrix, path: Path, card: dict | None = None) -> None:
    """Sheet `matrix`: group × element levels, coloured; `evidence`: every cell's passages
    with citation, text and scores; `levels`: what each level means; `model`: how far the
    model behind the cells can be trusted, element by element (from its card)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    sheet = book.active
    sheet.title = "matrix"
    sheet.append([matrix.by, *matrix.elements])
    for group in matrix.groups:
        sheet.append([group, *[matrix.cell(group, e).level for e in matrix.elements]])
    for row in sheet.iter_rows(min_row=2, min_col=2):
        for cell in row:
            colour = LEVEL_COLOURS[cell.value].lstrip("#")
            cell.fill = PatternFill("solid", start_color=colour, end_color=colour)
            if cell.value in DARK_LEVELS:
                cell.font = Font(color="FFFFFF")
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "B2"
    for column in "BCDEFGHIJ":
        sheet.column_dimensions[column].width = 16

    evidence = book.create_sheet("evidence")
    evidence.append([matrix.by, "element", "cell level", "rank", "reference", "citation", "page", "title", "year",
                     "document kind", "passage level", "score", "modality", "bearer", "text", "passage_id", "why"])
    for cell in matrix.cells:
        for rank, e in enumerate(cell.evidence, 1):
            evidence.append([cell.group, cell.element, cell.level, rank, e.reference, e.citation, e.pages, e.title,
                             e.year, e.doc_kind, e.level, e.score, e.modality, e.bearer, e.text, e.passage_id,
                             "; ".join(e.why)])
            for value in evidence[evidence.max_row]:
                if isinstance(value.value, str) and value.value.startswith("="):
                    value.data_type = "s"  # a passage opening with "=" is text, not a formula Excel runs
    evidence.column_dimensions["E"].width = 50
    evidence.column_dimensions["O"].width = 90
    evidence.column_dimensions["Q"].width = 60
    for row in evidence.iter_rows(min_row=2, min_col=15, max_col=17):
        for value in row[::2]:  # text and why
            value.alignment = Alignment(wrap_text=True, vertical="top")
    evidence.freeze_panes = "C2"

    legend = book.create_sheet("levels")
    legend.append(["level", "meaning"])
    for level, meaning in LEVEL_MEANING.items():
        legend.append([level, meaning])
    legend.column_dimensions["B"].width = 100
    _model_sheet(book.create_sheet("model"), matrix, card_summary(card or {}))
    _save_atomic(path, book.save)


def _model_sheet(sheet, matrix: Matrix, summary: dict) -> None:
    """The card's cross-validated figures beside the matrix: precision says how often a
    cell's evidence is right, recall how often an element is missed (an "absent" cell)."""
    from openpyxl.styles import Font

    folds = summary.get("cv_folds")
    sheet.append(["model", summary.get("name") or matrix.model])
    sheet.append(["trained on", summary.get("n_train"), "passages", "scheme version", summary.get("scheme_version")])
    sheet.append(["evaluation", f"grouped {folds}-fold cross-validation by document" if folds else "none in the card"])
    for label in ("elements_macro_f1", "modality_macro_f1", "bearer_macro_f1"):
        sheet.append([label.replace("_", " "), summary.get(label)])
    sheet.append([])
    sheet.append(["element", "CV precision", "CV recall", "CV F1", "positives", "threshold", "CV F1 by document"])
    header = sheet.max_row
    for element in matrix.elements:
        figures = summary["per_label"].get(element, {})
        sheet.append([element, *(figures.get(k) for k in ("precision", "recall", "f1", "support")),
                      summary["thresholds"].get(element), figures.get("document_f1")])
    for row in (sheet[header], sheet["A"][: header - 1]):
        for cell in row:
            cell.font = Font(bold=True)
    sheet.column_dimensions["A"].width = 24


def write_heatmap(matrix: Matrix, path: Path, title: str = "") -> None:
    """Groups × elements coloured by level, the level's short name in each cell."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.colors import BoundaryNorm, ListedColormap
    from matplotlib.patches import Patch

    grid = [[SHOWN_LEVELS.index(matrix.cell(g, e).level) for e in matrix.elements] for g in matrix.groups]
    height = 1.6 + 0.28 * max(len(matrix.groups), 1)
    fig, ax = plt.subplots(figsize=(9, height), dpi=110)
    cmap = ListedColormap([LEVEL_COLOURS[level] for level in SHOWN_LEVELS])
    ax.imshow(grid or [[1] * len(matrix.elements)], cmap=cmap,
              norm=BoundaryNorm(range(len(SHOWN_LEVELS) + 1), len(SHOWN_LEVELS)),
              aspect="auto")
    ax.set_xticks(range(len(matrix.elements)), [e.replace("_", " ") for e in matrix.elements], rotation=35, ha="right",
                  fontsize=8)
    ax.set_yticks(range(len(matrix.groups)), matrix.groups, fontsize=7)
    ax.tick_params(length=0)
    ax.set_xticks([x - 0.5 for x in range(1, len(matrix.elements))], minor=True)
    ax.set_yticks([y - 0.5 for y in range(1, len(matrix.groups))], minor=True)
    ax.grid(which="minor", color="white", linewidth=1)
    shown = {matrix.cell(g, e).level for g in matrix.groups for e in matrix.elements}
    handles = [Patch(facecolor=LEVEL_COLOURS[level], edgecolor="#999", label=level)
               for level in SHOWN_LEVELS if level != SHOWN_LEVELS[0] or level in shown]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), fontsize=7, frameon=False)
    if title:
        ax.set_title(title, fontsize=10)
    fig.tight_layout()
    _save_atomic(path, lambda target: fig.savefig(target, format="png", bbox_inches="tight"))
    plt.close(fig)


def _save_atomic(path: Path, save) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    save(tmp)
    os.replace(tmp, path)
