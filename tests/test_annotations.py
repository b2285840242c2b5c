import json
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.annotations import ADJUDICATOR, gold_labels, load_annotations, write_annotations
from pipeline.errors import AnnotationError
from pipeline.io import write_passages
from pipeline.records import Annotation, Passage
from pipeline.scheme import load_scheme
from pipeline.text import sha256_text

TEXT = "Operators shall notify significant incidents without undue delay."


def _record(**over) -> dict:
    base = {"id": "d:art1", "doc_id": "d", "jurisdiction": "ee", "text": TEXT, "text_sha256": sha256_text(TEXT),
            "elements": ["information_exchange"], "modality": "result", "bearer": "operator",
            "annotator": "a", "created": "2026-11-26T00:00:00+00:00"}
    return {**base, **over}


def _write(tmp_path, rows, raw_line=None):
    path = tmp_path / "labels.jsonl"
    lines = [json.dumps(r) for r in rows] + ([raw_line] if raw_line else [])
    path.write_text("\n".join(lines) + "\n")
    return path


def test_annotations_scheme_is_versioned_data():
    scheme = load_scheme()
    assert scheme.version == "1.4" and len(scheme.elements) == 9
    assert scheme.modality == ("conduct", "result", "none") and "operator" in scheme.bearer


@pytest.mark.parametrize("bad, message", [
    ({"elements": ["due_care"]}, "line 2: unknown element"),
    ({"modality": "best_effort"}, "line 2: unknown modality"),
    ({"bearer": "none"}, "line 2: modality none goes with bearer none"),
    ({"text_sha256": "0" * 64}, "line 2: text_sha256 does not match"),
    ({"elements": "necessary_measures"}, "line 2: elements"),
])
def test_annotations_invalid_labels_name_file_and_line(tmp_path, bad, message):
    path = _write(tmp_path, [_record(), _record(**bad)])
    with pytest.raises(AnnotationError, match=message) as err:
        load_annotations(path)
    assert err.value.path == str(path)


def test_annotations_malformed_line_named(tmp_path):
    path = _write(tmp_path, [_record()], raw_line="{not json")
    with pytest.raises(AnnotationError, match="line 2: not JSON"):
        load_annotations(path)


def test_annotations_round_trip_and_seed_format(tmp_path, shared_annotations):
    records = [Annotation.model_validate(_record()), Annotation.model_validate({**_record(), "context": "Operators shall:"})]
    write_annotations(tmp_path / "out.jsonl", records)
    assert load_annotations(tmp_path / "out.jsonl") == records
    first, second = (json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines())
    assert "context" not in first and second["context"] == "Operators shall:"  # no null written for a passage without one
    seed = load_annotations(shared_annotations / "seed.jsonl")  # labels.md format: hash derived
    assert len(seed) == 50


def test_annotations_gold_view():
    agree = [Annotation.model_validate(_record(annotator=a)) for a in ("a", "b")]
    other = "Member States shall designate a competent authority."
    split = [Annotation.model_validate(_record(text=other, text_sha256=sha256_text(other), annotator="a",
                                               elements=["necessary_measures"], bearer="state")),
             Annotation.model_validate(_record(text=other, text_sha256=sha256_text(other), annotator="b",
                                               elements=[], bearer="state"))]
    gold = gold_labels(agree + split)
    assert [g.text for g in gold] == [TEXT]  # disagreement without adjudication: left out
    decided = Annotation.model_validate(_record(text=other, text_sha256=sha256_text(other), annotator=ADJUDICATOR,
                                                elements=["necessary_measures"], bearer="state"))
    assert len(gold_labels(agree + split + [decided])) == 2
    third = "Table 3: sectors"
    fragment = Annotation.model_validate(_record(text=third, text_sha256=sha256_text(third), fragment=True,
                                                 elements=[], modality="none", bearer="none"))
    assert len(gold_labels([fragment])) == 0


def test_annotations_committed_labels_are_valid_and_broad():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "annotations" / "labels"
    records = load_annotations(root)
    assert len({r.text_sha256 for r in records}) >= 1500
    assert len({r.doc_id for r in records}) >= 25 and len({r.jurisdiction for r in records}) >= 15


def test_attach_from_run_fills_missing_and_refreshes_only_when_asked(tmp_path):
    """The script gives pre-field records their run's lead-in and heading; --refresh also mends
    a lead-in attached from a run since fixed, and neither touches a label or a changed passage."""
    def passage(n, context, heading=None):
        return Passage(id=f"doc:p{n}", doc_id="doc", jurisdiction="eu", path=[str(n)], kind="point",
                       context=context, heading=heading, text=f"(a) point {n}")

    (tmp_path / "run").mkdir()
    write_passages(tmp_path / "run" / "passages.parquet",
                   [passage(1, "Member States shall ensure that:", "Reporting obligations"), passage(2, None),
                    passage(3, "Operators shall:", "Supervision")])

    def record(n, text, **over):
        return _record(id=f"doc:p{n}", doc_id="doc", text=text, text_sha256=sha256_text(text), **over)

    rows = [record(1, "(a) point 1"), record(2, "(a) point 2", context="53. A spurious paragraph."),
            record(3, "(a) point 3 changed since")]
    labels = _write(tmp_path, rows)
    script = [sys.executable, str(Path(__file__).resolve().parent.parent / "scripts" / "attach_from_run.py"),
              str(tmp_path / "run"), str(labels)]

    subprocess.run(script, check=True, capture_output=True)
    first = load_annotations(labels)
    assert [r.context for r in first] == ["Member States shall ensure that:", "53. A spurious paragraph.", None]
    assert [r.heading for r in first] == ["Reporting obligations", None, None]

    subprocess.run(script + ["--refresh"], check=True, capture_output=True)
    refreshed = load_annotations(labels)
    assert [r.context for r in refreshed] == ["Member States shall ensure that:", None, None]
    assert [(r.elements, r.modality, r.bearer) for r in refreshed] == [(r.elements, r.modality, r.bearer) for r in first]
