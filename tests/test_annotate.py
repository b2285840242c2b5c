"""The annotators' loop: suggest, export (Label Studio, doccano, JSONL), import (round trip,
malformed lines, changed text), agreement (checked by hand) and adjudication."""

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from pipeline.adjudicate import adjudicate
from pipeline.agreement import agreement
from pipeline.annotations import ADJUDICATOR, gold_labels, load_annotations, write_annotations
from pipeline.cli import app
from pipeline.errors import AnnotationError, DdlensError
from pipeline.exchange import Task, label_config, read_labels, write_tasks
from pipeline.io import read_passages
from pipeline.matrix import load_run
from pipeline.records import Annotation, Prediction
from pipeline.scheme import load_scheme
from pipeline.suggest import candidates, has_content, mmr, suggest
from pipeline.text import sha256_text

ROOT = Path(__file__).resolve().parent.parent

runner = CliRunner()
TEXTS = [
    "Member States shall ensure that essential entities take appropriate and proportionate technical measures.",
    "Essential entities shall notify the CSIRT of any significant incident without undue delay.",
    "The Government will review the strategy every two years.",
    "Operators established in the territory shall designate a representative.",
]


def _ann(i: int, annotator: str, elements: list[str], modality: str = "conduct", bearer: str = "state",
         fragment: bool = False) -> Annotation:
    return Annotation(id=f"doc:p{i}", doc_id="doc", jurisdiction="xx", text=TEXTS[i], text_sha256=sha256_text(TEXTS[i]),
                      elements=elements, modality=modality, bearer=bearer, annotator=annotator, fragment=fragment)


def test_agreement_three_annotators_by_hand():
    # bearer, per passage: a: s s o n · b: s o o n · c: s – o s
    records = [
        _ann(0, "a", ["necessary_measures"]), _ann(0, "b", ["necessary_measures"]), _ann(0, "c", ["necessary_measures"]),
        _ann(1, "a", ["information_exchange"]), _ann(1, "b", [], bearer="operator"),
        _ann(2, "a", [], bearer="operator"), _ann(2, "b", [], bearer="operator"), _ann(2, "c", [], bearer="operator"),
        _ann(3, "a", ["territoriality"], "none", "none"), _ann(3, "b", ["territoriality"], "none", "none"),
        _ann(3, "c", ["territoriality"], "result", "state"),
    ]
    report = agreement(records)
    assert report["annotators"] == ["a", "b", "c"] and report["kappa_pair"] == ["a", "b"] and report["n"] == 4
    # Krippendorff's alpha, nominal, by hand: coincidences o_ss=3, o_so=o_os=1, o_oo=3, o_nn=1,
    # o_ns=o_sn=1 → n_s=5, n_o=4, n_n=2, n=11; D_o=4/11, D_e=2(5·4+5·2+4·2)/(11·10)=76/110;
    # alpha = 1 − (4/11)/(76/110) = 1 − 40/76 = 0.4737
    assert report["bearer"]["alpha"] == pytest.approx(0.474, abs=0.001)
    # Cohen's kappa a vs b: p_o = 3/4, p_e = (2·1 + 1·2 + 1·1)/16 = 5/16 → 0.4375/0.6875 = 0.636
    assert report["bearer"]["kappa"] == pytest.approx(0.636, abs=0.001)
    info = report["per_label"]["information_exchange"]
    # a: 0 1 0 0 · b: 0 0 0 0 → kappa 0; pooled pairs (a,b),(a,c),(b,c): both=0, either=1 → F1 0
    assert info["kappa"] == 0.0 and info["f1"] == 0.0 and info["positives"] == 1
    measures = report["per_label"]["necessary_measures"]
    assert measures["kappa"] == 1.0 and measures["f1"] == 1.0 and measures["alpha"] == 1.0
    assert report["per_label"]["good_faith"] == {"kappa": None, "alpha": None, "f1": None, "positives": 0}
    assert report["exact"] == 0.5


def test_agreement_leaves_fragments_and_adjudications_out():
    records = [_ann(0, "a", []), _ann(0, "b", [], fragment=True), _ann(1, "a", []), _ann(1, "b", []),
               _ann(1, ADJUDICATOR, ["no_harm"])]
    report = agreement(records)
    assert report["n"] == 1 and report["n_fragment_units"] == 1 and report["annotators"] == ["a", "b"]
    # one reader's fragment beside another's labels is a disagreement, and said so
    assert report["fragment"] == {"all_agree": 0, "disputed": 1}
    both = agreement([_ann(0, "a", [], "none", "none", fragment=True), _ann(0, "b", [], "none", "none", fragment=True)])
    assert both["fragment"] == {"all_agree": 1, "disputed": 0}
    # a merged file beside its readers' files: its "a+b" agrees with both and is no third reader
    merged = agreement([_ann(0, "a", ["no_harm"]), _ann(0, "b", []), _ann(0, "a+b", ["no_harm"])])
    assert merged["annotators"] == ["a", "b"] and merged["merged_left_out"] == ["a+b"] and merged["exact"] == 0.0


def test_adjudicate_merge_review_and_import_back(tmp_path):
    records = [_ann(0, "a", ["necessary_measures"]), _ann(0, "b", ["necessary_measures"]),
               _ann(1, "a", ["information_exchange"], "result", "operator"), _ann(1, "b", [], "result", "operator"),
               _ann(1, "c", ["information_exchange"], "result", "operator"), _ann(2, "a", ["continuous_obligation"])]
    merged, review = adjudicate(records)
    assert [(r.id, r.annotator) for r in merged] == [("doc:p0", "a+b"), ("doc:p2", "a")]
    assert len(review) == 1 and review[0]["elements"] == ["information_exchange"]  # 2 of 3 votes
    assert set(review[0]["candidates"]) == {"a", "b", "c"} and review[0]["annotator"] == ADJUDICATOR

    review_file = tmp_path / "review.jsonl"
    review_file.write_text(json.dumps(review[0]) + "\n")
    unread = read_labels(review_file, ADJUDICATOR)  # a proposal nobody decided never becomes gold
    assert not unread.records and unread.problems == [
        f"{review_file}: line 1: not reviewed yet (reviewed is not true): decide the labels, then set reviewed to true"]
    for almost in ("false", "true", None):  # only true itself says a person decided
        review_file.write_text(json.dumps({**review[0], "reviewed": almost}) + "\n")
        assert not read_labels(review_file, ADJUDICATOR).records
    review[0]["elements"] = ["information_exchange", "necessary_measures"]  # the adjudicator's decision
    review[0]["reviewed"] = True
    review_file.write_text(json.dumps(review[0]) + "\n")
    back = read_labels(review_file, ADJUDICATOR)
    assert not back.problems and back.records[0].annotator == ADJUDICATOR
    as_bob = read_labels(review_file, "bob")  # an adjudication under a reader's name would be one more reading
    assert not as_bob.records and as_bob.problems[0].endswith("a review row is an adjudication: import it with --annotator adjudicated")
    plain = tmp_path / "alice.jsonl"  # and one reader's labels are no adjudication, whatever the option says
    write_annotations(plain, [records[0]])
    crowned = read_labels(plain, ADJUDICATOR)
    assert not crowned.records and "not a row of adjudicate's review file" in crowned.problems[0]
    gold = {g.id: g for g in gold_labels(records + back.records)}
    assert gold["doc:p1"].elements == ["information_exchange", "necessary_measures"]


@pytest.mark.parametrize("fmt", ["label-studio", "doccano", "jsonl"])
def test_export_import_round_trip(tmp_path, fmt):
    records = [_ann(0, "a", ["necessary_measures", "state_of_the_art"]), _ann(1, "a", ["information_exchange"], "result", "operator"),
               _ann(2, "a", [], "none", "none", fragment=True)]
    records[1] = records[1].model_copy(update={"note": "notify: exchange with the CSIRT"})
    lead_ins = ["", "Member States shall ensure that:", ""]
    headings = ["Reporting obligations", "", ""]
    tasks = [Task(r.id, r.doc_id, r.jurisdiction, r.text, context, heading=heading, labels=r)
             for r, context, heading in zip(records, lead_ins, headings)]
    out = tmp_path / f"tasks.{'json' if fmt == 'label-studio' else 'jsonl'}"
    write_tasks(tasks, fmt, out)
    back = read_labels(out, "a")
    assert not back.problems
    key = [(r.id, sorted(r.elements), r.modality, r.bearer, r.fragment) for r in records]
    assert [(r.id, sorted(r.elements), r.modality, r.bearer, r.fragment) for r in back.records] == key
    # the lead-in the annotator read travels with the label (evaluation reports such points apart)
    assert [r.context for r in back.records] == [None, "Member States shall ensure that:", None]
    # and so does the title the models read before the text, and the annotator's note
    assert [r.heading for r in back.records] == ["Reporting obligations", None, None]
    assert [r.note for r in back.records] == ["", "notify: exchange with the CSIRT", ""]


def test_import_command_never_overwrites_labels(tmp_path, monkeypatch):
    export = tmp_path / "export.json"
    export.write_text(json.dumps([_ls_task(0, [_ls_annotation("conduct", "state")])]))
    out = tmp_path / "labels.jsonl"
    args = ["annotate", "import", str(export), "--annotator", "alice", "--out", str(out)]
    assert runner.invoke(app, args).exit_code == 0
    export.write_text(json.dumps([_ls_task(1, [_ls_annotation("result", "operator")])]))
    again = runner.invoke(app, args)
    assert again.exit_code == 1 and "already exists: pass --append" in again.output
    assert [r.id for r in load_annotations(out)] == ["doc:p0"]
    appended = runner.invoke(app, [*args, "--append"])
    assert appended.exit_code == 0 and "after the 1 already there" in appended.output
    assert [r.id for r in load_annotations(out)] == ["doc:p0", "doc:p1"]
    export.write_text(json.dumps([_ls_task(0, [_ls_annotation("result", "operator")])]))
    relabelled = runner.invoke(app, [*args, "--append"])
    assert "doc:p0 labelled again by alice, differently" in " ".join(relabelled.output.split())

    # nor does an export: its --out may be a labels file
    before = out.read_text()
    refused = runner.invoke(app, ["annotate", "export", str(out), "--format", "jsonl", "--no-predictions", "--out", str(out)])
    assert refused.exit_code == 1 and "already exists (it may hold labels)" in refused.output and out.read_text() == before

    # and a default file name is never taken twice, even within one second
    import types

    import pipeline.cli_annotate as cli_annotate
    monkeypatch.setattr(cli_annotate, "Settings", lambda: types.SimpleNamespace(labels=tmp_path / "labels"))
    first = cli_annotate._new_labels_file("alice")
    first.parent.mkdir()
    first.write_text("")
    assert cli_annotate._new_labels_file("alice") != first

    empty = tmp_path / "empty.json"
    empty.write_text("[]")
    result = runner.invoke(app, ["annotate", "import", str(empty), "--annotator", "a", "--out", str(tmp_path / "e.jsonl")])
    assert result.exit_code == 1 and "no tasks in the file" in result.output
    result = runner.invoke(app, ["annotate", "import", str(tmp_path), "--annotator", "a", "--out", str(tmp_path / "e.jsonl")])
    assert result.exit_code == 1 and "is a folder" in result.output


def test_label_studio_pre_annotation_scores_each_head_apart(tmp_path):
    """Modality and bearer both have a `none`: each choice shows its own head's score."""
    prediction = Prediction(passage_id="doc:p2", model="linear", elements=[], scores={"risk_assessment": 0.1},
                            modality="none", modality_scores={"none": 0.955, "conduct": 0.04, "result": 0.005},
                            bearer="none", bearer_scores={"none": 0.9472, "state": 0.05, "operator": 0.002, "other": 0.0008})
    out = tmp_path / "tasks.json"
    write_tasks([Task("doc:p2", "doc", "xx", TEXTS[2], prediction=prediction)], "label-studio", out)
    items = {i["from_name"]: i["score"] for i in json.loads(out.read_text())[0]["predictions"][0]["result"]}
    assert items == {"modality": 0.955, "bearer": 0.9472}


def test_label_studio_config_covers_the_scheme():
    root = ET.fromstring(label_config())
    scheme = load_scheme()
    choices = {c.get("name"): (c.get("choice"), [x.get("value") for x in c]) for c in root.iter("Choices")}
    assert choices["elements"] == ("multiple", list(scheme.elements))
    assert choices["modality"] == ("single", list(scheme.modality))
    assert choices["bearer"] == ("single", list(scheme.bearer))
    assert {t.get("name"): t.get("value") for t in root.iter("Text")}["text"] == "$text"
    # annotators see the title the models read
    assert [h.get("value") for h in root.iter("Header")][:2] == ["$citation", "$heading"]


def test_import_reports_bad_tasks_and_keeps_the_rest(tmp_path):
    good = {"data": {"text": TEXTS[0], "passage_id": "doc:p0", "doc_id": "doc", "jurisdiction": "xx",
                     "text_sha256": sha256_text(TEXTS[0])},
            "annotations": [{"result": [{"from_name": "modality", "type": "choices", "value": {"choices": ["conduct"]}},
                                        {"from_name": "bearer", "type": "choices", "value": {"choices": ["state"]}}]}]}
    unknown = json.loads(json.dumps(good))
    unknown["annotations"][0]["result"].append({"from_name": "elements", "type": "choices", "value": {"choices": ["due_care"]}})
    no_modality = json.loads(json.dumps(good))
    no_modality["annotations"][0]["result"] = no_modality["annotations"][0]["result"][1:]
    edited = json.loads(json.dumps(good))
    edited["data"]["text"] += " (edited)"
    skipped = {"data": good["data"], "annotations": []}
    export = tmp_path / "export.json"
    export.write_text(json.dumps([good, unknown, no_modality, edited, skipped]))
    result = read_labels(export, "alice")
    assert len(result.records) == 1 and result.unlabelled == 1
    assert [p.split(": ", 1)[1] for p in result.problems] == [
        "task 2 (doc:p0): unknown element(s) ['due_care'] (scheme v1.4)",
        "task 3 (doc:p0): modality or bearer not chosen",
        "task 4 (doc:p0): text differs from the exported text (text_sha256 mismatch); not imported",
    ]

    # half a reading in JSON Lines is named, not counted as a task nobody touched
    task = {"id": "doc:p0", "doc_id": "doc", "jurisdiction": "xx", "text": TEXTS[0], "text_sha256": sha256_text(TEXTS[0]),
            "elements": None, "modality": None, "bearer": None}
    lines = tmp_path / "half.jsonl"
    lines.write_text("".join(json.dumps(t) + "\n" for t in (
        task, {**task, "elements": ["risk_assessment"]}, {**task, "note": "skip: contents line"},
        {**task, "elements": "risk_assessment", "modality": "result", "bearer": "state"})))
    half = read_labels(lines, "alice")
    assert half.unlabelled == 1 and not half.records
    assert [p.split(": ", 2)[2] for p in half.problems][:2] == [
        "elements or a note but no modality and bearer: finish the labels (none and none for a passage that imposes "
        "nothing, or fragment: true)"] * 2
    assert "elements must be a list, such as" in half.problems[2]

    doccano = tmp_path / "doccano.jsonl"
    line = {"text": TEXTS[1], "passage_id": "doc:p1", "text_sha256": sha256_text(TEXTS[1]),
            "label": ["element:information_exchange", "modality:result", "bearer:operator"]}
    doccano.write_text(json.dumps(line) + "\n{not json\n" + json.dumps({**line, "label": ["colour:red"]}) + "\n")
    result = read_labels(doccano, "bob")
    assert [r.elements for r in result.records] == [["information_exchange"]]
    assert [p.split(": ", 1)[1] for p in result.problems] == [
        "line 2: not JSON (Expecting property name enclosed in double quotes at column 2)", "line 3: unknown label 'colour:red'"]


def test_adjudication_proposal_does_not_depend_on_file_order():
    a, b = _ann(1, "a", ["information_exchange"], "result", "operator"), _ann(1, "b", [], "conduct", "state")
    assert adjudicate([a, b])[1] == adjudicate([b, a])[1]


def test_adjudication_proposes_a_reading_someone_gave():
    """Two readers' heads mixed would propose what neither said: a fragment's none/none beside
    no fragment, or only the elements both named."""
    fragment = _ann(1, "alice", [], "none", "none", fragment=True)
    labelled = _ann(1, "bob", ["risk_assessment"], "result", "operator")
    row = adjudicate([labelled, fragment])[1][0]
    assert (row["elements"], row["modality"], row["bearer"], row["fragment"]) == ([], "none", "none", True)  # alice's, by name
    a = _ann(2, "a", ["necessary_measures", "risk_assessment"])
    b = _ann(2, "b", ["continuous_obligation", "risk_assessment"])
    assert adjudicate([a, b])[1][0]["elements"] == ["necessary_measures", "risk_assessment"]
    c = _ann(2, "c", ["continuous_obligation", "risk_assessment"])  # a majority's reading wins whole
    assert adjudicate([a, b, c])[1][0]["elements"] == ["continuous_obligation", "risk_assessment"]


def _ls_task(i: int, annotations) -> dict:
    return {"data": {"text": TEXTS[i], "passage_id": f"doc:p{i}", "doc_id": "doc", "jurisdiction": "xx",
                     "text_sha256": sha256_text(TEXTS[i])}, "annotations": annotations}


def _ls_annotation(modality: str, bearer: str, by=1, elements=(), note: str = "") -> dict:
    result = [{"from_name": "modality", "type": "choices", "value": {"choices": [modality]}},
              {"from_name": "bearer", "type": "choices", "value": {"choices": [bearer]}}]
    result += [{"from_name": "elements", "type": "choices", "value": {"choices": list(elements)}}] if elements else []
    result += [{"from_name": "note", "type": "textarea", "value": {"text": [note]}}] if note else []
    return {"completed_by": by, "result": result}


def test_import_survives_malformed_label_studio_tasks(tmp_path):
    """What a hand-edited or foreign export can hold: each bad task is named, the rest imported."""
    good = _ls_task(0, [_ls_annotation("conduct", "state", note="shall ensure: conduct")])
    no_from = _ls_task(1, [{"result": [{"type": "choices", "value": {"choices": ["conduct"]}}]}])
    null_value = _ls_task(2, [{"result": [{"from_name": "modality", "type": "choices", "value": None}]}])
    not_object = _ls_task(3, ["an annotation"])
    no_id = _ls_task(1, [_ls_annotation("result", "operator")])
    del no_id["data"]["passage_id"]
    export = tmp_path / "export.json"
    export.write_text(json.dumps([good, no_from, null_value, not_object, no_id]))
    result = read_labels(export, "alice")
    assert [(r.id, r.note) for r in result.records] == [("doc:p0", "shall ensure: conduct")]
    assert [p.split(": ", 1)[1] for p in result.problems] == [
        "task 2 (doc:p1): malformed task: a choices result without from_name or a list of values",
        "task 3 (doc:p2): malformed task: a choices result without from_name or a list of values",
        "task 4 (doc:p3): malformed task: annotations are not a list of objects",
        "task 5 (?): no passage id (passage_id): was this task exported by ddlens?"]


def test_import_names_each_person_of_a_shared_task_alike(tmp_path):
    export = tmp_path / "export.json"
    export.write_text(json.dumps([_ls_task(0, [_ls_annotation("conduct", "state", 1), _ls_annotation("conduct", "state", 2)]),
                                  _ls_task(1, [_ls_annotation("result", "operator", 1)]),
                                  _ls_task(1, [_ls_annotation("conduct", "operator", 1)])]))
    result = read_labels(export, "alice")
    assert [r.annotator for r in result.records] == ["alice/1", "alice/2", "alice/1", "alice/1"]
    assert result.repeated == [f"{export}: task 3 (doc:p1): labelled again by alice/1, differently (first at task 2); "
                               "agreement and adjudicate take the later one"]


def test_import_refuses_the_wrong_format_and_bad_bytes(tmp_path):
    ls = tmp_path / "export.json"
    ls.write_text(json.dumps([_ls_task(0, [_ls_annotation("conduct", "state")])]))
    with pytest.raises(AnnotationError, match="looks like a label-studio file, not doccano"):
        read_labels(ls, "a", "doccano")
    doccano = tmp_path / "doccano.jsonl"
    line = {"text": TEXTS[1], "passage_id": "doc:p1", "text_sha256": sha256_text(TEXTS[1]),
            "label": ["modality:result", "bearer:operator"], "note": "a hard case"}
    latin1 = json.dumps({**line, "note": "café"}, ensure_ascii=False).encode("latin-1")  # one line saved by another tool
    doccano.write_bytes(json.dumps(line).encode() + b"\n" + latin1 + b"\n"
                        + json.dumps({**line, "id": 17, "passage_id": None}).encode() + b"\n")  # doccano's own id is no passage id
    with pytest.raises(AnnotationError, match="looks like a doccano file, not jsonl"):
        read_labels(doccano, "a", "jsonl")
    result = read_labels(doccano, "a")
    assert [(r.id, r.note) for r in result.records] == [("doc:p1", "a hard case")]
    assert [p.split(": ", 1)[1] for p in result.problems] == [
        f"line 2: not UTF-8 text (byte {latin1.index('é'.encode('latin-1')) + 1} of the line)",
        "line 3 (?): no passage id (passage_id): was this task exported by ddlens?"]


def test_import_checks_the_current_passage(tmp_path, real_run):
    passages = read_passages(real_run / "passages.parquet")
    chosen = [p for p in passages if len(p.text) > 80][:2]
    tasks = [Task(p.id, p.doc_id, p.jurisdiction, p.text,
                  labels=Annotation(id=p.id, doc_id=p.doc_id, jurisdiction=p.jurisdiction, text=p.text,
                                    text_sha256=sha256_text(p.text), elements=[], modality="none", bearer="none",
                                    annotator="a")) for p in chosen]
    tasks[1].text = tasks[1].labels.text = chosen[1].text + " An amendment."  # the passage changed since
    tasks[1].labels = tasks[1].labels.model_copy(update={"text_sha256": sha256_text(tasks[1].text)})
    out = tmp_path / "tasks.json"
    write_tasks(tasks, "label-studio", out)
    current = {p.id: sha256_text(p.text) for p in passages}
    result = read_labels(out, "a", passages=current)
    assert [r.id for r in result.records] == [chosen[0].id]
    assert result.problems == [f"{out}: task 2 ({chosen[1].id}): passage text changed since export; not imported: "
                               "relabel the current text"]


def test_mmr_prefers_novel_items():
    vectors = np.array([[1, 0], [1, 0], [0.99, 0.14], [0, 1]], dtype=float)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    relevance = np.array([0.9, 0.89, 0.88, 0.5])
    assert mmr(relevance, vectors, 2, 1.0) == [0, 1]  # relevance only: the duplicate
    assert mmr(relevance, vectors, 2, 0.6) == [0, 3]  # with novelty: the other direction


def test_suggest_skips_contents_lines_and_table_cells():
    assert has_content("Operators of essential services shall notify significant incidents without undue delay.")
    assert not has_content("3.2 Risk management and the national CSIRT .................................. 14")
    assert not has_content("2019 2020 2021 | 12.5 | 14.0 | 16.2 | 18.9 | 21.4 | 23.0 | 25.1 | 27.7 | 30.2 | 31.0")
    assert not has_content("Short heading")
    # a scanned contents page's leaders (ng-2021) and captions alone, which annotators marked fragments
    assert not has_content("1.2 NIGERIA'S CYBERSECURITY LANDSCAPE cooooooccccccnnncnnnnocccccnnnnnononnnconnnnonnnnecononos 3")
    assert not has_content("Figure 2-5. SCADA System Implementation Example (Distribution Monitoring and Control)")
    assert not has_content("Table 6.1: Telecom and Postal Service Infrastructure – Primary Programs and Projects")
    assert has_content("Table 3 below lists the initiatives that operators of critical information infrastructure shall implement.")
    assert has_content("The Commissioner shall, in consultation with the sector regulators, coordinate the national response.")


def test_suggest_on_a_real_run(real_run, tmp_path):
    run = load_run(real_run)
    labelled = {sha256_text(p.text) for p in run.passages[:200]}
    pool = candidates(run, labelled)
    assert pool and all(sha256_text(p.text) not in labelled and p.kind not in ("title", "footnote") for p in pool)
    thresholds = json.loads((real_run / "matrix.json").read_text())["model_card"]["thresholds"]
    picked = suggest(run, thresholds, labelled, n=12)
    assert len({s.passage.id for s in picked}) == 12
    top = sorted(picked, key=lambda s: -s.uncertainty)
    assert top[0].uncertainty >= max(s.uncertainty for s in picked)
    random_pick = suggest(run, thresholds, labelled, n=12, strategy="random")
    assert [s.passage.id for s in random_pick] == [s.passage.id for s in suggest(run, thresholds, labelled, 12, "random")]
    with pytest.raises(ValueError, match="unknown strategy"):
        suggest(run, thresholds, labelled, strategy="loudest")


def test_suggest_hunts_for_one_element(real_run):
    """With an element, only passages where one of its scheme cues occurs or the model gives
    it half its threshold, cue hits first: NIS2's cross-border passages for no harm."""
    from pipeline.models.rules import CueIndex

    run = load_run(real_run)
    thresholds = json.loads((real_run / "matrix.json").read_text())["model_card"]["thresholds"]
    picked = suggest(run, thresholds, set(), n=10, element="no_harm")
    assert len(picked) == 10
    cues = CueIndex()
    for s in picked:
        fired = [cue for e, cue in cues.fired(s.passage.text) if e == "no_harm"]
        score = run.predictions[s.passage.id].scores["no_harm"]
        assert fired or score >= thresholds["no_harm"] / 2
        assert s.reason == (f"cue: {fired[0]}" if fired else f"no_harm {score:.2f}")
    assert picked[0].reason.startswith("cue: ") and picked[0].uncertainty >= 0.5
    with pytest.raises(ValueError, match="no element 'good_fate'"):
        suggest(run, thresholds, set(), element="good_fate")


def test_suggest_command_leaves_out_the_gold_by_default(real_run, tmp_path):
    """The default leaves out annotations/labels (the audit keys beside it are no labels: read
    as labels, they had stopped the command)."""
    out = tmp_path / "s.jsonl"
    result = CliRunner().invoke(app, ["annotate", "suggest", str(real_run), "--n", "5", "--strategy", "random", "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    gold = {r.text_sha256 for r in load_annotations(ROOT / "annotations" / "labels")}
    assert len(rows) == 5 and not {sha256_text(r["text"]) for r in rows} & gold


def test_cli_loop(real_run, tmp_path):
    """suggest → export (Label Studio) → labels → import → agreement → adjudicate, by CLI."""
    labelled = tmp_path / "labelled"
    labelled.mkdir()
    result = runner.invoke(app, ["annotate", "suggest", str(real_run), "--n", "6", "--annotations", str(labelled),
                                 "--out", str(tmp_path / "s.jsonl")])
    assert result.exit_code == 0, result.output
    suggested = [json.loads(line) for line in (tmp_path / "s.jsonl").read_text().splitlines()]
    assert len(suggested) == 6 and all({"id", "text", "citation", "uncertainty"} <= set(s) for s in suggested)

    (tmp_path / "ids.txt").write_text("\n".join(s["id"] for s in suggested[:4]))
    tasks_file = tmp_path / "tasks.json"
    result = runner.invoke(app, ["annotate", "export", str(real_run), "--ids", str(tmp_path / "ids.txt"),
                                 "--format", "label-studio", "--out", str(tasks_file)])
    assert result.exit_code == 0, result.output
    tasks = json.loads(tasks_file.read_text())
    assert len(tasks) == 4 and all(t["predictions"][0]["model_version"] for t in tasks)
    assert (tmp_path / "tasks.label_config.xml").is_file()

    doccano = tmp_path / "tasks.jsonl"
    result = runner.invoke(app, ["annotate", "export", str(real_run), "--select", "suggest", "--n", "3", "--annotations",
                                 str(labelled), "--format", "doccano", "--no-predictions", "--out", str(doccano)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in doccano.read_text().splitlines()]
    assert len(lines) == 3 and all(line["label"] == [] and "ddlens_suggested" not in line for line in lines)
    # with the model's labels, they go beside `label`, which starts empty: an untouched task is no reading
    result = runner.invoke(app, ["annotate", "export", str(real_run), "--select", "suggest", "--n", "3", "--annotations",
                                 str(labelled), "--format", "doccano", "--out", str(tmp_path / "suggested.jsonl")])
    lines = [json.loads(line) for line in (tmp_path / "suggested.jsonl").read_text().splitlines()]
    assert all(line["label"] == [] and line["ddlens_suggested"]["model"] for line in lines)
    untouched = runner.invoke(app, ["annotate", "import", str(tmp_path / "suggested.jsonl"), "--annotator", "erin",
                                    "--out", str(tmp_path / "erin.jsonl")])
    assert untouched.exit_code == 1 and "3 tasks without labels" in untouched.output
    assert {"element:risk_assessment", "modality:conduct", "fragment"} <= {x["text"] for x in json.loads(
        (tmp_path / "tasks.labels.json").read_text())}

    for who, bearer in (("ann1", "state"), ("ann2", "operator")):  # two annotators label in the tool
        export = json.loads(json.dumps(tasks))
        for task in export:
            task["annotations"] = [{"completed_by": 1, "result": [
                {"from_name": "elements", "type": "choices", "value": {"choices": ["necessary_measures"]}},
                {"from_name": "modality", "type": "choices", "value": {"choices": ["conduct"]}},
                {"from_name": "bearer", "type": "choices", "value": {"choices": [bearer]}}]}]
        (tmp_path / f"{who}.json").write_text(json.dumps(export))
        result = runner.invoke(app, ["annotate", "import", str(tmp_path / f"{who}.json"), "--annotator", who,
                                     "--run", str(real_run), "--out", str(labelled / f"{who}.jsonl")])
        assert result.exit_code == 0, result.output
        assert "imported 4 labels" in result.output
    result = runner.invoke(app, ["annotate", "agreement", str(labelled), "--json"])
    report = json.loads(result.stdout)
    assert report["n"] == 4 and report["per_label"]["necessary_measures"]["f1"] == 1.0
    assert report["bearer"]["kappa"] == 0.0 and report["bearer"]["alpha"] == pytest.approx(-0.75)  # 1 − 1/(32/56)
    result = runner.invoke(app, ["annotate", "adjudicate", str(labelled), "--out", str(tmp_path / "merged.jsonl")])
    assert result.exit_code == 0 and "4 disagreements to review" in result.output
    assert len((tmp_path / "merged.review.jsonl").read_text().splitlines()) == 4
    # a second run must not wipe decisions typed into the review file, nor an annotator's own file
    decided = (tmp_path / "merged.review.jsonl").read_text().replace('"reviewed": false', '"reviewed": true', 1)
    (tmp_path / "merged.review.jsonl").write_text(decided)
    again = runner.invoke(app, ["annotate", "adjudicate", str(labelled), "--out", str(tmp_path / "merged.jsonl")])
    assert again.exit_code == 1 and "merged.jsonl: already exists" in again.output
    assert (tmp_path / "merged.review.jsonl").read_text() == decided
    onto = runner.invoke(app, ["annotate", "adjudicate", str(labelled), "--out", str(labelled / "ann1.jsonl"), "--overwrite"])
    assert onto.exit_code == 1 and "is one of the files to merge" in onto.output
    folder = runner.invoke(app, ["annotate", "adjudicate", str(labelled), "--out", str(tmp_path)])
    assert folder.exit_code == 1 and "is a folder" in folder.output and "Traceback" not in folder.output
    replaced = runner.invoke(app, ["annotate", "adjudicate", str(labelled), "--out", str(tmp_path / "merged.jsonl"), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output

    bad = runner.invoke(app, ["annotate", "import", str(tmp_path / "ids.txt"), "--annotator", "x", "--out",
                              str(tmp_path / "x.jsonl")])
    assert bad.exit_code == 1 and "line 1: not JSON" in bad.output
    assert load_annotations(labelled)  # the imported files load and validate
    write_annotations(tmp_path / "again.jsonl", load_annotations(labelled / "ann1.jsonl"))


def test_mmr_caps_one_document():
    vectors = np.eye(6)
    relevance = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.1])
    groups = ["a", "a", "a", "a", "b", "c"]
    assert mmr(relevance, vectors, 4, 1.0, groups, cap=2) == [0, 1, 4, 5]
    assert mmr(relevance, vectors, 5, 1.0, groups, cap=2) == [0, 1, 4, 5, 2]  # only "a" is left


def test_export_by_ids_from_a_run_not_yet_classified(real_run, tmp_path):
    """Blind labelling needs no pre-annotations, so it needs no classify: a freshly ingested run
    exports by --ids with --no-predictions; asking for predictions names the missing step."""
    import shutil

    ingested = tmp_path / "ingested"
    ingested.mkdir()
    for name in ("documents.jsonl", "passages.parquet"):
        shutil.copy(real_run / name, ingested / name)
    wanted = [p.id for p in read_passages(ingested / "passages.parquet")[:3]]
    (tmp_path / "ids.txt").write_text("\n".join(wanted))
    out = tmp_path / "tasks.jsonl"
    blind = runner.invoke(app, ["annotate", "export", str(ingested), "--ids", str(tmp_path / "ids.txt"), "--format", "jsonl",
                                "--no-predictions", "--out", str(out)])
    assert blind.exit_code == 0, blind.output
    assert [json.loads(line)["id"] for line in out.read_text().splitlines()] == wanted
    scored = runner.invoke(app, ["annotate", "export", str(ingested), "--ids", str(tmp_path / "ids.txt"), "--format", "jsonl",
                                 "--out", str(tmp_path / "scored.jsonl")])
    assert scored.exit_code == 1 and "predictions.parquet" in scored.output and "ddlens classify" in scored.output


def test_ids_file_read_whatever_tool_wrote_it(tmp_path):
    """A byte-order mark would hide in the first id ("﻿sk-2018…:par20.6 not in run")."""
    from pipeline.cli_annotate import _read_ids

    plain = tmp_path / "ids.txt"
    plain.write_bytes("\ufeffdoc:p1\r\ndoc:p2\r\n".encode())
    assert _read_ids(plain) == ["doc:p1", "doc:p2"]
    lines = tmp_path / "ids.jsonl"
    lines.write_bytes("\ufeff".encode() + b'{"id": "doc:p1"}\n{"id": "doc:p2", "text": "x"}\n')
    assert _read_ids(lines) == ["doc:p1", "doc:p2"]
    with pytest.raises(DdlensError, match="is a folder"):
        _read_ids(tmp_path)
    (tmp_path / "utf16.txt").write_text("doc:p1\n", encoding="utf-16")
    with pytest.raises(DdlensError, match="not UTF-8 text"):
        _read_ids(tmp_path / "utf16.txt")


def test_import_plain_mistakes_get_one_plain_answer(tmp_path):
    """A UTF-16 file, a raw control character, an empty --annotator, a negative --n."""
    task = {"id": "doc:p0", "doc_id": "doc", "jurisdiction": "xx", "text": TEXTS[0], "text_sha256": sha256_text(TEXTS[0]),
            "elements": [], "modality": "none", "bearer": "none"}
    wide = tmp_path / "wide.jsonl"
    wide.write_text(json.dumps(task) + "\n" + json.dumps(task) + "\n", encoding="utf-16")
    result = runner.invoke(app, ["annotate", "import", str(wide), "--annotator", "a", "--out", str(tmp_path / "a.jsonl")])
    assert result.exit_code == 1 and result.output.count("UTF-16 text, not UTF-8: save the file as UTF-8") == 1
    raw = tmp_path / "raw.jsonl"
    raw.write_text(json.dumps(task).replace("Member", "Mem\tber", 1) + "\n")
    problems = read_labels(raw, "a").problems
    assert problems and "(Invalid control character at column" in problems[0] and "at at" not in problems[0]
    nameless = runner.invoke(app, ["annotate", "import", str(raw), "--annotator", " ", "--out", str(tmp_path / "b.jsonl")])
    assert nameless.exit_code == 1 and nameless.output.count("--annotator: give the name of who labelled") == 1
    assert runner.invoke(app, ["annotate", "suggest", str(tmp_path), "--n", "-3"]).exit_code == 2
