"""Passages out to an annotation tool and labels back, in three formats: Label Studio
(tasks JSON + labelling config XML), doccano (JSONL + label list) and ddlens JSON Lines.

Every task carries the passage id and `text_sha256`, so an import can tell a label given to
the text that was exported from one given to a text that has since changed. The model's
labels travel as pre-annotations (Label Studio `predictions`, the doccano `ddlens_suggested`
and JSONL `suggested` fields) and never become training labels unless an annotator saves
them. doccano has no place for a pre-annotation apart from the labels themselves, so there
its `label` carries only labels a person gave: an untouched task must not import as read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import quoteattr

from pydantic import ValidationError

from .annotations import ADJUDICATOR, label_key
from .errors import AnnotationError
from .io import BadLine, atomic_write_text, iter_jsonl
from .records import Annotation, Prediction
from .scheme import load_scheme
from .text import sha256_text

FORMATS = ("label-studio", "doccano", "jsonl")
FRAGMENT = "fragment"
NOTE = "note"


@dataclass
class Task:
    """One passage to label, with the model's reading and any labels it already has."""

    id: str
    doc_id: str
    jurisdiction: str
    text: str
    context: str = ""
    citation: str = ""
    heading: str = ""
    prediction: Prediction | None = None
    labels: Annotation | None = None

    @property
    def text_sha256(self) -> str:
        return sha256_text(self.text)

    def data(self) -> dict:
        return {"text": self.text, "passage_id": self.id, "doc_id": self.doc_id, "jurisdiction": self.jurisdiction,
                "text_sha256": self.text_sha256, "context": self.context, "citation": self.citation,
                "heading": self.heading}


@dataclass
class Imported:
    """What an import read: the records, and every task or line it could not take."""

    records: list[Annotation] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    unlabelled: int = 0
    as_suggested: int = 0  # records identical to the model's pre-annotation
    repeated: list[str] = field(default_factory=list)  # a passage one annotator labelled twice, differently
    tasks: int = 0  # tasks or lines read, labelled or not


# -- export -------------------------------------------------------------------------------

def write_tasks(tasks: list[Task], fmt: str, out: Path) -> list[Path]:
    """Write the tasks (and the tool's configuration beside them); returns the files."""
    if fmt == "label-studio":
        config = out.with_suffix(".label_config.xml")
        atomic_write_text(out, json.dumps([_ls_task(t) for t in tasks], ensure_ascii=False, indent=1))
        atomic_write_text(config, label_config())
        return [out, config]
    if fmt == "doccano":
        labels = out.with_suffix(".labels.json")
        atomic_write_text(out, "".join(json.dumps(_doccano_line(t), ensure_ascii=False) + "\n" for t in tasks))
        atomic_write_text(labels, json.dumps(doccano_labels(), indent=1))
        return [out, labels]
    if fmt == "jsonl":
        atomic_write_text(out, "".join(json.dumps(_jsonl_line(t), ensure_ascii=False) + "\n" for t in tasks))
        return [out]
    raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")


def label_config() -> str:
    """Label Studio's labelling interface for the scheme: the citation, the article's or
    section's title (the models read it too), the lead-in and the passage; elements as
    multiple choice, modality and bearer as single choice, a fragment flag and a note (why a
    hard case was decided as it was, which adjudicators read)."""
    scheme = load_scheme()

    def choices(name: str, values, multiple: bool, hints: dict[str, str] | None = None) -> str:
        rows = "".join(f"    <Choice value={quoteattr(v)}"
                       + (f" hint={quoteattr(hints[v])}" if hints and v in hints else "") + "/>\n" for v in values)
        return (f'  <Header value="{name.capitalize()}"/>\n  <Choices name="{name}" toName="text" '
                f'choice="{"multiple" if multiple else "single"}" showInLine="true">\n{rows}  </Choices>\n')

    return ('<View>\n  <Header value="$citation"/>\n  <Header value="$heading" size="5"/>\n'
            '  <Text name="context" value="$context"/>\n  <Text name="text" value="$text"/>\n'
            + choices("elements", scheme.elements, True, scheme.element_names)
            + choices("modality", scheme.modality, False) + choices("bearer", scheme.bearer, False)
            + choices(FRAGMENT, [FRAGMENT], True)
            + f'  <Header value="Note"/>\n  <TextArea name="{NOTE}" toName="text" rows="2" maxSubmissions="1"/>\n'
            + "</View>\n")


def _ls_result(elements: list[str], modality: str, bearer: str, fragment: bool = False, note: str = "",
               scores: dict[str, dict[str, float]] | None = None) -> list[dict]:
    """Label Studio's result items; `scores` by head (modality and bearer both have a `none`)."""
    def item(name: str, values: list[str]) -> dict:
        out = {"from_name": name, "to_name": "text", "type": "choices", "value": {"choices": values}}
        if scores is not None:
            out["score"] = round(min((scores[name].get(v, 1.0) for v in values), default=1.0), 4)
        return out

    result = [item("elements", elements)] if elements else []
    result += [item("modality", [modality]), item("bearer", [bearer])]
    result += [item(FRAGMENT, [FRAGMENT])] if fragment else []
    return result + ([{"from_name": NOTE, "to_name": "text", "type": "textarea", "value": {"text": [note]}}] if note else [])


def _ls_task(task: Task) -> dict:
    out: dict = {"data": task.data()}
    if task.prediction is not None:
        p = task.prediction
        scores = {"elements": p.scores, "modality": p.modality_scores, "bearer": p.bearer_scores}
        out["predictions"] = [{"model_version": p.model, "score": round(min(p.modality_scores[p.modality], p.bearer_scores[p.bearer]), 4),
                               "result": _ls_result(p.elements, p.modality, p.bearer, scores=scores)}]
        out["data"]["scores"] = json.dumps(p.scores)
    if task.labels is not None:
        r = task.labels
        out["annotations"] = [{"result": _ls_result(r.elements, r.modality, r.bearer, r.fragment, r.note),
                               "completed_by": {"email": r.annotator}}]
    return out


def doccano_labels() -> list[dict]:
    """The label types to create in a doccano text-classification project."""
    scheme = load_scheme()
    names = ([f"element:{e}" for e in scheme.elements] + [f"modality:{m}" for m in scheme.modality]
             + [f"bearer:{b}" for b in scheme.bearer] + [FRAGMENT])
    return [{"text": name, "background_color": "#6baed6" if name.startswith("element") else "#fdae6b"} for name in names]


def _doccano_labels_of(elements: list[str], modality: str, bearer: str, fragment: bool = False) -> list[str]:
    return ([f"element:{e}" for e in elements] + [f"modality:{modality}", f"bearer:{bearer}"]
            + ([FRAGMENT] if fragment else []))


def _doccano_line(task: Task) -> dict:
    out = task.data()
    given = task.labels
    out["label"] = _doccano_labels_of(given.elements, given.modality, given.bearer, given.fragment) if given else []
    if task.labels is not None and task.labels.note:
        out[NOTE] = task.labels.note
    if task.prediction is not None:
        out["ddlens_suggested"] = _suggested(task.prediction)
    return out


def _suggested(p: Prediction) -> dict:
    return {"model": p.model, "elements": p.elements, "modality": p.modality, "bearer": p.bearer,
            "scores": p.scores, "modality_scores": p.modality_scores, "bearer_scores": p.bearer_scores}


def _jsonl_line(task: Task) -> dict:
    out = {"id": task.id, "doc_id": task.doc_id, "jurisdiction": task.jurisdiction, "text": task.text,
           "text_sha256": task.text_sha256, "context": task.context, "citation": task.citation,
           "heading": task.heading, "elements": None, "modality": None, "bearer": None, "fragment": False}
    if task.labels is not None:
        out.update(elements=task.labels.elements, modality=task.labels.modality, bearer=task.labels.bearer,
                   fragment=task.labels.fragment, annotator=task.labels.annotator, note=task.labels.note)
    if task.prediction is not None:
        out["suggested"] = _suggested(task.prediction)
    return out


# -- import -------------------------------------------------------------------------------

def detect_format(path: Path) -> str:
    """Label Studio exports a JSON array; doccano lines carry `label`; ours carry `modality`."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        head = handle.read(4096).lstrip("\ufeff \t\r\n")
    if head.startswith("["):
        return "label-studio"
    first = head.splitlines()[0] if head else ""
    try:
        row = json.loads(first)
    except json.JSONDecodeError:
        return "jsonl"  # the line-by-line reader reports the bad line
    return "doccano" if isinstance(row, dict) and ("label" in row or "cats" in row) else "jsonl"


def read_labels(path: Path, annotator: str, fmt: str | None = None, passages: dict[str, str] | None = None) -> Imported:
    """Read an annotation tool's export into validated records. `passages` (id → current
    text hash, from a run) catches labels given to a passage whose text has changed.

    A `--format` the file plainly is not (a JSON array read as lines, or lines read as an
    array) is an error rather than a report of every line. Where a task holds several
    annotations by different people, every record of the file is named `annotator/person`,
    so one person keeps one name throughout."""
    detected = detect_format(path)
    fmt = fmt or detected
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: choose from {', '.join(FORMATS)}")
    if (fmt != detected and "label-studio" in (fmt, detected)) or ({fmt, detected} == {"jsonl", "doccano"} and _has_rows(path)):
        raise AnnotationError(path, f"this looks like a {detected} file, not {fmt}: leave --format out, or pass --format {detected}")
    rows = list(_ls_rows(path) if fmt == "label-studio" else _jsonl_rows(path, fmt))
    several = any(isinstance(row, dict) and len({labels["by"] for labels in row["labels"] if labels}) > 1 for _, row in rows)
    result = Imported()
    created = datetime.now(timezone.utc).isoformat(timespec="seconds")
    seen: dict[tuple[str, str], tuple[str, tuple]] = {}
    for where, row in rows:
        if isinstance(row, str):
            result.problems.append(f"{where}: {row}")
            continue
        for labels in row["labels"]:
            if labels is None:
                result.unlabelled += 1
                continue
            who = f"{annotator}/{labels['by']}" if several and labels.get("by") not in (None, "") else annotator
            problem = _check_row(row, passages) or _adjudication_problem(bool(row.get("review")), annotator)
            if problem:
                result.problems.append(f"{where} ({row.get('id') or '?'}): {problem}")
                continue
            try:
                record = Annotation(id=str(row["id"]), doc_id=str(row.get("doc_id") or ""), jurisdiction=str(row.get("jurisdiction") or ""),
                                    text=row["text"], text_sha256=row["text_sha256"], context=row.get("context") or None,
                                    heading=row.get("heading") or None,
                                    elements=labels["elements"],
                                    modality=labels["modality"], bearer=labels["bearer"], fragment=labels["fragment"],
                                    annotator=who, created=created, note=labels.get("note", ""))
            except ValidationError as exc:
                first = exc.errors()[0]
                result.problems.append(f"{where} ({row.get('id', '?')}): {first['msg'].removeprefix('Value error, ')}")
                continue
            key = (record.annotator, record.text_sha256)
            if key in seen and seen[key][1] != label_key(record):
                result.repeated.append(f"{where} ({record.id}): labelled again by {record.annotator}, differently "
                                       f"(first at {seen[key][0]}); agreement and adjudicate take the later one")
            seen[key] = (where.rsplit(": ", 1)[-1], label_key(record))
            result.records.append(record)
            suggested = row.get("suggested")
            if suggested and not record.fragment and (sorted(suggested["elements"]), suggested["modality"], suggested["bearer"]) == (
                    sorted(record.elements), record.modality, record.bearer):
                result.as_suggested += 1
    result.tasks = len(rows)
    return result


def _adjudication_problem(review: bool, annotator: str) -> str:
    """Adjudications outrank every other label in training, so only a decided row of
    adjudicate's review file is one, and such a row is nobody else's label."""
    if review and annotator != ADJUDICATOR:
        return f"a review row is an adjudication: import it with --annotator {ADJUDICATOR}"
    if annotator == ADJUDICATOR and not review:
        return ("not a row of adjudicate's review file: only a decided review row is an adjudication "
                "(import this file under its annotator's name)")
    return ""


def _has_rows(path: Path) -> bool:
    """Whether the first line of a JSON Lines file could hold a task at all (so a blank or
    broken file is reported line by line, not as the wrong format)."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        first = handle.readline().lstrip("\ufeff")
    try:
        return isinstance(json.loads(first), dict)
    except json.JSONDecodeError:
        return False


def _check_row(row: dict, passages: dict[str, str] | None) -> str:
    if row.get("id") in (None, "") or not str(row["id"]).strip():
        return "no passage id (passage_id): was this task exported by ddlens?"
    if not isinstance(row.get("text"), str) or not row["text"].strip():
        return "no text"
    if not row.get("text_sha256"):
        return "no text_sha256: was this task exported by ddlens?"
    if sha256_text(row["text"]) != row["text_sha256"]:
        return "text differs from the exported text (text_sha256 mismatch); not imported"
    if passages is not None:
        current = passages.get(str(row.get("id")))
        if current is None:
            return "no passage of the run has this id (a typo, or cut otherwise since export); not imported"
        if current != row["text_sha256"]:
            return "passage text changed since export; not imported: relabel the current text"
    return ""


def _ls_rows(path: Path):
    """(where, row | problem) per Label Studio task; each annotation becomes one labels dict."""
    try:
        tasks = json.loads(path.read_text(encoding="utf-8-sig"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise AnnotationError(path, f"not a Label Studio JSON export: {exc}") from exc
    if not isinstance(tasks, list):
        raise AnnotationError(path, "not a Label Studio JSON export: expected a list of tasks")
    for number, task in enumerate(tasks, 1):
        where = f"{path}: task {number}"
        data = task.get("data") if isinstance(task, dict) else None
        if not isinstance(data, dict):
            yield where, "no task data"
            continue
        try:
            annotations = [a for a in _objects(task.get("annotations"), "annotation") if not a.get("was_cancelled")]
            labels = [_ls_labels(a) for a in annotations] or [None]
        except ValueError as exc:
            yield f"{where} ({data.get('passage_id') or '?'})", str(exc)  # the passage, for the annotator to find
            continue
        yield where, {"id": data.get("passage_id"), "doc_id": data.get("doc_id"), "jurisdiction": data.get("jurisdiction"),
                      "text": data.get("text"), "text_sha256": data.get("text_sha256"), "context": data.get("context"),
                      "heading": data.get("heading"), "labels": labels,
                      "suggested": _ls_suggested(task)}


def _objects(value, what: str) -> list[dict]:
    """A list of JSON objects from a tool's export, or a ValueError saying what is malformed."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
        raise ValueError(f"malformed task: {what}s are not a list of objects")
    return value


def _ls_choices(result) -> dict[str, list[str]]:
    """Chosen values by control name: `choices` items, and a text area's lines (the note)."""
    chosen: dict[str, list[str]] = {}
    for item in _objects(result, "result item"):
        kind, name, value = item.get("type"), item.get("from_name"), item.get("value")
        if kind not in ("choices", "textarea"):
            continue
        values = value.get("choices" if kind == "choices" else "text") if isinstance(value, dict) else None
        if not isinstance(name, str) or not isinstance(values, list) or not all(isinstance(v, str) for v in values):
            raise ValueError(f"malformed task: a {kind} result without from_name or a list of values")
        chosen.setdefault(name, []).extend(values)
    return chosen


def _ls_labels(annotation: dict) -> dict:
    chosen = _ls_choices(annotation.get("result"))
    by = annotation.get("completed_by")
    by = by.get("email") if isinstance(by, dict) else by
    return {**_labels(chosen.get("elements", []), chosen.get("modality", []), chosen.get("bearer", []),
                      FRAGMENT in chosen.get(FRAGMENT, []), by), "note": "\n".join(chosen.get(NOTE, [])).strip()}


def _ls_suggested(task: dict) -> dict | None:
    """The pre-annotation: in the task as we wrote it, or (in Label Studio's export, where
    `predictions` are ids) inside the annotation made from it. A malformed one counts as none."""
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    predictions += [a["prediction"] for a in task.get("annotations") or [] if isinstance(a, dict) and isinstance(a.get("prediction"), dict)]
    try:
        chosen = _ls_choices(predictions[0].get("result")) if predictions else None
    except ValueError:
        chosen = None
    if chosen is None:
        return None
    return {"elements": chosen.get("elements", []), "modality": (chosen.get("modality") or [None])[0],
            "bearer": (chosen.get("bearer") or [None])[0]}


def _labels(elements: list[str], modality: list[str], bearer: list[str], fragment: bool, by=None) -> dict:
    """A tool's choices → our labels; a fragment needs no modality or bearer."""
    if len(modality) > 1 or len(bearer) > 1:
        raise ValueError("more than one modality or bearer chosen")
    if not modality and not bearer and fragment:
        modality, bearer = ["none"], ["none"]
    if not modality or not bearer:
        raise ValueError("modality or bearer not chosen")
    return {"elements": elements, "modality": modality[0], "bearer": bearer[0], "fragment": fragment, "by": by}


def _jsonl_rows(path: Path, fmt: str):
    """(where, row | problem) per line: a bad line is reported and the reading goes on."""
    for line_no, row in iter_jsonl(path, AnnotationError, go_on=True):
        where = f"{path}: line {line_no}"
        if not isinstance(row, dict):
            yield where, row.reason if isinstance(row, BadLine) else "not a JSON object"
            continue
        try:
            labels = _doccano_row_labels(row) if fmt == "doccano" else _jsonl_row_labels(row)
        except (ValueError, TypeError) as exc:
            yield where, str(exc)
            continue
        review = fmt == "jsonl" and ("candidates" in row or "reviewed" in row)  # a row of adjudicate's review file
        if review and row.get("reviewed") is not True:
            yield where, "not reviewed yet (reviewed is not true): decide the labels, then set reviewed to true"
            continue
        suggested = row.get("suggested") or row.get("ddlens_suggested")
        meta = row.get("meta") if isinstance(row.get("meta"), dict) else {}
        # doccano keeps our fields beside its own integer `id` (or under `meta`)
        yield where, {"id": row.get("id") if fmt == "jsonl" else row.get("passage_id", meta.get("passage_id")),
                      "doc_id": row.get("doc_id"), "jurisdiction": row.get("jurisdiction"), "text": row.get("text"),
                      "text_sha256": row.get("text_sha256", meta.get("text_sha256")), "context": row.get("context"),
                      "heading": row.get("heading"), "labels": [labels], "suggested": suggested, "review": review}


def _doccano_row_labels(row: dict) -> dict | None:
    names = row.get("label", row.get("cats"))
    if not isinstance(names, list):
        raise ValueError("`label` is not a list")
    if not names:
        return None
    elements, modality, bearer, fragment = [], [], [], False
    for name in names:
        name = name[0] if isinstance(name, list) else name  # span-style [start, end, label] is not ours
        kind, _, value = str(name).partition(":")
        if kind == "element":
            elements.append(value)
        elif kind == "modality":
            modality.append(value)
        elif kind == "bearer":
            bearer.append(value)
        elif name == FRAGMENT:
            fragment = True
        else:
            raise ValueError(f"unknown label {name!r}")
    return {**_labels(elements, modality, bearer, fragment), "note": str(row.get(NOTE) or "")}


def _jsonl_row_labels(row: dict) -> dict | None:
    """The labels of a line, or None for a task nobody filled in (elements still null, no
    note); elements or a note without modality and bearer are half a reading, reported."""
    if row.get("modality") is None and row.get("bearer") is None and not row.get("fragment"):
        if row.get("elements") is not None or str(row.get("note") or "").strip():
            raise ValueError("elements or a note but no modality and bearer: finish the labels "
                             "(none and none for a passage that imposes nothing, or fragment: true)")
        return None
    if row.get("elements") is not None and not isinstance(row["elements"], list):
        raise ValueError(f"elements must be a list, such as [\"risk_assessment\"], not {row['elements']!r}")
    return {**_labels(list(row.get("elements") or []), [row["modality"]] if row.get("modality") else [],
                      [row["bearer"]] if row.get("bearer") else [], bool(row.get("fragment"))),
            "note": str(row.get("note") or "")}
