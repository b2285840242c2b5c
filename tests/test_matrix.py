"""The coverage matrix on a hand-built run (known passages and predictions → known levels,
shares and evidence), its filters, compare, diff and the files it writes."""

import csv
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from pipeline.cite import cite_pages, cite_passage, cite_passages, cite_path
from pipeline.cli import app
from pipeline.errors import DdlensError
from pipeline.export import write_csv, write_heatmap, write_xlsx
from pipeline.io import write_jsonl, write_passages, write_predictions
from pipeline.matrix import compare as compare_matrix
from pipeline.matrix import (
    coverage,
    describe_filters,
    diff,
    failed_files,
    load_run,
    parse_filters,
    passage_level,
)
from pipeline.records import Passage, Prediction
from pipeline.scheme import load_scheme

ROOT = Path(__file__).resolve().parent.parent

DOCS = [
    {"doc_id": "aa-law", "jurisdiction": "aa", "title": "Cyber Act", "year": 2020, "kind": "law"},
    {"doc_id": "aa-strat", "jurisdiction": "aa", "title": "Aa Strategy", "year": 2018, "kind": "strategy"},
    {"doc_id": "bb-strat", "jurisdiction": "bb", "title": "Bb Strategy", "year": 2022, "kind": "strategy"},
    {"doc_id": "cc-dir", "jurisdiction": "cc", "title": "Directive", "year": 2016, "kind": "directive"},
]
# id, doc, path, passage kind, {element: score}, modality, bearer, page
ROWS = [
    ("aa-law:1", "aa-law", ["Article 3", "1"], "paragraph", {"risk_assessment": 0.9}, "result", "operator", 2),
    ("aa-law:2", "aa-law", ["Article 3", "2", "(b)"], "point", {"risk_assessment": 0.6}, "conduct", "state", 3),
    ("aa-law:3", "aa-law", ["Recital 4"], "recital", {"information_exchange": 0.95}, "none", "none", 1),
    ("aa-strat:1", "aa-strat", ["Section 2.1", "para 3"], "section-paragraph", {"information_exchange": 0.7}, "conduct", "state", 5),
    ("aa-strat:2", "aa-strat", ["Introduction", "para 1"], "section-paragraph", {}, "none", "none", 1),
    ("bb-strat:1", "bb-strat", ["Vision", "para 2"], "section-paragraph", {"no_harm": 0.8}, "none", "none", 4),
    ("bb-strat:2", "bb-strat", ["Vision", "para 3"], "section-paragraph", {}, "none", "none", 4),
    ("cc-dir:1", "cc-dir", ["Chapter II", "Article 21", "1"], "paragraph", {"necessary_measures": 0.8}, "conduct", "operator", 7),
    ("cc-dir:2", "cc-dir", ["Chapter II", "Article 21", "2"], "paragraph", {"necessary_measures": 0.3}, "result", "operator", 7),
]

WHY = {"aa-law:1": {"risk_assessment": ["risk assessment", "cue: risk assessment"]}}  # as classify --explain gives


@pytest.fixture()
def run_dir(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    write_jsonl(run / "documents.jsonl", DOCS)
    jur = {d["doc_id"]: d["jurisdiction"] for d in DOCS}
    write_passages(run / "passages.parquet", [
        Passage(id=pid, doc_id=doc, jurisdiction=jur[doc], path=path, kind=kind, text=f"Text of {pid}.",
                page_start=page, page_end=page) for pid, doc, path, kind, _, _, _, page in ROWS])
    elements = load_scheme().elements
    write_predictions(run / "predictions.parquet", [
        Prediction(passage_id=pid, model="linear", elements=list(tagged),
                   scores={e: tagged.get(e, 0.01) for e in elements}, modality=modality,
                   modality_scores={"conduct": 0.3, "result": 0.3, "none": 0.4}, bearer=bearer,
                   bearer_scores={"state": 0.25, "operator": 0.25, "other": 0.25, "none": 0.25},
                   why=WHY.get(pid))
        for pid, _, _, _, tagged, modality, bearer, _ in ROWS])
    return run


def test_levels_shares_and_evidence(run_dir):
    m = coverage(load_run(run_dir))
    assert m.groups == ["aa", "bb", "cc"] and len(m.cells) == 3 * 9 and m.n_passages == 9
    risk = m.cell("aa", "risk_assessment")
    assert (risk.level, risk.n_passages, risk.n_documents, risk.share, risk.max_score) == ("law:result", 2, 1, 0.4, 0.9)
    assert (risk.conduct_share, risk.result_share, risk.state_share, risk.operator_share) == (0.5, 0.5, 0.5, 0.5)
    assert [e.passage_id for e in risk.evidence] == ["aa-law:1", "aa-law:2"]
    assert risk.evidence[1].reference == "Cyber Act (2020), Article 3(2)(b), p. 3"
    info = m.cell("aa", "information_exchange")  # a strategy commitment outranks a recital
    assert (info.level, info.n_documents) == ("policy", 2)
    assert [e.passage_id for e in info.evidence] == ["aa-strat:1", "aa-law:3"]
    assert m.cell("bb", "no_harm").level == "mentioned"
    assert m.cell("cc", "necessary_measures").level == "law:result"
    assert m.cell("bb", "good_faith").level == "absent" and m.cell("bb", "good_faith").evidence == []


@pytest.mark.parametrize(("passage_kind", "doc_kind", "modality", "level"), [
    ("recital", "directive", "result", "mentioned"), ("paragraph", "law", "none", "mentioned"),
    ("paragraph", "strategy", "result", "policy"), ("paragraph", "regulation", "conduct", "law:conduct"),
    ("point", "directive", "result", "law:result"), ("title", "law", "conduct", "mentioned"),
])
def test_passage_level(passage_kind, doc_kind, modality, level):
    assert passage_level(passage_kind, doc_kind, modality) == level


def test_filters(run_dir):
    run = load_run(run_dir)
    strategies = coverage(run, parse_filters(kind="strategy"))
    assert strategies.groups == ["aa", "bb"]
    assert strategies.cell("aa", "risk_assessment").level == "absent"
    assert [e.passage_id for e in strategies.cell("aa", "information_exchange").evidence] == ["aa-strat:1"]
    assert coverage(run, parse_filters(kind="binding")).groups == ["aa", "cc"]
    recent = coverage(run, parse_filters(years="2019-2024"))
    assert recent.groups == ["aa", "bb"] and recent.cell("aa", "information_exchange").level == "mentioned"
    assert coverage(run, parse_filters(jurisdictions="cc, BB")).groups == ["bb", "cc"]
    strict = coverage(run, parse_filters(min_score=0.5))
    assert strict.cell("cc", "necessary_measures").level == "law:conduct"
    assert strict.cell("cc", "necessary_measures").n_passages == 1
    with pytest.raises(ValueError, match="--years"):
        parse_filters(years="2015 to 2020")
    with pytest.raises(ValueError, match="--min-score"):
        parse_filters(min_score=2)
    # a typo is an error, not an empty matrix
    with pytest.raises(DdlensError, match=r"no documents of kind strateggy \(this run has directive, law, strategy"):
        coverage(run, parse_filters(kind="strateggy"))
    with pytest.raises(DdlensError, match=r"no documents for jurisdiction\(s\) xx \(this run has aa, bb, cc\)"):
        coverage(run, parse_filters(jurisdictions="aa,xx"))
    with pytest.raises(DdlensError, match="no document matches the filters \\(kind directive; years 2020–2024\\)"):
        coverage(run, parse_filters(kind="directive", years="2020-2024"))
    assert describe_filters(parse_filters()) == ""  # no filter is no words, not a word to test for
    assert describe_filters(parse_filters(years="2020", bearer="state")) == "years 2020; duties borne by state"
    from pipeline.matrix import RunData

    with pytest.raises(DdlensError, match="the run holds no document: every file failed to ingest"):
        coverage(RunData(run_dir, {}, [], {}))


def test_compare_and_diff(run_dir):
    run = load_run(run_dir)
    side = compare_matrix(run, ["cc", "aa"])
    assert side.groups == ["cc", "aa"] and compare_matrix(run, ["cc,AA"]).groups == ["cc", "aa"]
    assert side.cell("cc", "necessary_measures").level == "law:result"
    with pytest.raises(DdlensError, match="zz"):
        compare_matrix(run, ["aa", "zz"])
    rows = {r.element: r for r in diff(run, "aa-law", "aa-strat")}
    assert (rows["risk_assessment"].verdict, rows["risk_assessment"].level_a) == ("only A", "law:result")
    # both cover it, and the strategy's commitment binds more than the act's recital
    assert (rows["information_exchange"].verdict, rows["information_exchange"].level_b) == ("both, B binds more", "policy")
    assert rows["no_harm"].verdict == "neither"
    assert [e.passage_id for e in rows["information_exchange"].evidence_a] == ["aa-law:3"]
    with pytest.raises(DdlensError, match="no document 'nope' in this run: see documents.jsonl"):
        diff(run, "aa-law", "nope")
    write_jsonl(run_dir / "errors.jsonl", [{"path": "/corpus/dd-scan.pdf", "stage": "ingest", "reason": "no text layer"}])
    with pytest.raises(DdlensError, match=r"it failed to ingest \(no text layer; see errors.jsonl\)"):
        diff(run, "dd-scan", "aa-law")


def test_an_element_the_model_never_tags_is_not_assessed_rather_than_absent(run_dir, tmp_path):
    """A threshold above 1 in the model's card means no passage can carry the element: its
    cells must not read "absent", and a diff must not call it covered by neither."""
    from dataclasses import replace

    from pipeline.matrix import NOT_ASSESSED

    run = replace(load_run(run_dir), card={"thresholds": {"good_faith": 1.01, "no_harm": 0.4}})
    assert run.untagged == {"good_faith"}
    m = coverage(run)
    assert {m.cell(g, "good_faith").level for g in m.groups} == {NOT_ASSESSED}
    assert m.cell("aa", "no_harm").level == "absent" and m.cell("bb", "no_harm").level == "mentioned"
    rows = {r.element: r for r in diff(run, "aa-law", "aa-strat")}
    assert rows["good_faith"].verdict == NOT_ASSESSED and rows["no_harm"].verdict == "neither"
    write_csv(m, tmp_path / "m.csv")
    levels = {(r["jurisdiction"], r["element"]): r["level"] for r in csv.DictReader((tmp_path / "m.csv").open())}
    assert levels["bb", "good_faith"] == NOT_ASSESSED
    write_xlsx(m, tmp_path / "m.xlsx")
    write_heatmap(m, tmp_path / "m.png")
    from openpyxl import load_workbook

    book = load_workbook(tmp_path / "m.xlsx")
    assert book["matrix"]["B2"].value == NOT_ASSESSED
    assert any(row[0] == NOT_ASSESSED for row in book["levels"].iter_rows(values_only=True))
    from pipeline.report import render_report

    page = render_report(coverage(run, by="doc_id"), {"thresholds": {"good_faith": 1.01}})
    block = page.split('<script id="data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["untagged"] == ["good_faith"]  # the page's script folds documents into "not assessed"


def test_written_files(run_dir, tmp_path):
    m = coverage(load_run(run_dir))
    write_csv(m, tmp_path / "m.csv")
    rows = list(csv.DictReader((tmp_path / "m.csv").open()))
    assert len(rows) == 27 and list(rows[0])[:3] == ["jurisdiction", "element", "level"]
    row = next(r for r in rows if r["jurisdiction"] == "aa" and r["element"] == "risk_assessment")
    assert (row["level"], row["share"], row["evidence"]) == ("law:result", "0.4", "aa-law:1;aa-law:2")

    from openpyxl import load_workbook

    card = {"name": "linear", "n_train": 6123, "scheme_version": "1.0", "thresholds": {"risk_assessment": 0.41},
            "metrics": {"folds": 5, "elements_macro_f1": 0.474, "modality": {"macro_f1": 0.691},
                        "per_label": {"risk_assessment": {"precision": 0.674, "recall": 0.665, "f1": 0.669, "support": 725}},
                        "by_document": {"per_label": {"risk_assessment": {"f1": 0.92}}}}}
    write_xlsx(m, tmp_path / "m.xlsx", card)
    book = load_workbook(tmp_path / "m.xlsx")
    assert book.sheetnames == ["matrix", "evidence", "levels", "model"]
    # beside the matrix, how far the model behind it can be trusted, element by element
    model = list(book["model"].iter_rows(values_only=True))
    assert model[0][:2] == ("model", "linear") and model[2][1] == "grouped 5-fold cross-validation by document"
    assert ("elements macro f1", 0.474) == model[3][:2] and model[5][:2] == ("bearer macro f1", None)
    columns = ("element", "CV precision", "CV recall", "CV F1", "positives", "threshold", "CV F1 by document")
    table = {row[0]: row[1:7] for row in model[model.index(columns) + 1:]}
    assert list(table) == list(m.elements)
    assert table["risk_assessment"] == (0.674, 0.665, 0.669, 725, 0.41, 0.92)
    assert table["good_faith"] == (None,) * 6  # not in the card: left blank, not made up
    wide = book["matrix"]
    header = [c.value for c in wide[1]]
    assert header[0] == "jurisdiction" and header[1:] == list(m.elements)
    aa = next(r for r in wide.iter_rows(values_only=True) if r[0] == "aa")
    assert aa[header.index("risk_assessment")] == "law:result" and aa[header.index("good_faith")] == "absent"
    evidence = list(book["evidence"].iter_rows(min_row=2, values_only=True))
    assert len(evidence) == 7  # one row per (passage, tagged element) kept as evidence
    assert ("aa", "risk_assessment", "law:result", 1, "Cyber Act (2020), Article 3(1), p. 2") == evidence[0][:5]
    # the reasons behind a passage's score travel with it; a passage classified without them has none
    assert evidence[0][-1] == "risk assessment; cue: risk assessment" and evidence[1][-1] in ("", None)

    from PIL import Image

    write_heatmap(m, tmp_path / "h.png")
    with Image.open(tmp_path / "h.png") as image:
        assert image.format == "PNG" and image.width > 400 and image.height > 150


@pytest.mark.parametrize(("path", "kind", "expected"), [
    (["Chapter IV", "Article 21", "2", "(d)"], "paragraph", "Article 21(2)(d)"),
    (["Recital 79"], "recital", "Recital 79"),
    (["§ 5", "1", "(aa)"], "point", "§ 5(1)(aa)"),
    (["Part III", "Section 31", "1"], "paragraph", "Section 31(1)"),
    (["Section 3", "Section 3.2", "para 4"], "section-paragraph", "Section 3.2, para 4"),
    (["Vision and objectives", "para 13"], "section-paragraph", "“Vision and objectives”, para 13"),
    (["Annex", "para 1", "subpara 6"], "subparagraph", "Annex, para 1, subpara 6"),
    (["Chapter 1", "Article 8"], "article", "Article 8"),
    (["x"], "title", "Title"),
])
def test_citations(path, kind, expected):
    assert cite_path(path, kind) == expected


def test_each_citation_names_one_passage(corpus_passages):
    """Two paragraphs a strategy numbers alike (as its text gives them) are cited apart, and
    so are the pieces of a paragraph cut at its sentences, so a lawyer can find each passage
    from its citation alone."""
    passages = [p for p in corpus_passages("es-2013-national-cyber-security-strategy.txt")]
    again = [p for p in passages if p.id.rsplit(":", 1)[1].endswith("-2")]
    assert again
    first = next(p for p in passages if p.id == again[0].id[:-2])
    assert cite_passage(again[0]) == cite_passage(first) + " (2nd)"
    assert cite_path(["GOAL", "para 1", "part 2"], "section-paragraph") == "“GOAL”, para 1, part 2"  # not a Part 2
    citations = [cite_passage(p) for p in passages]
    assert len(set(citations)) > 0.97 * len(citations)  # by path alone: 0.86


@pytest.mark.parametrize(("name", "opening", "cited"), [
    # the UK strategy numbers every paragraph; ddlens had counted this one as "para 8"
    ("gb-2011-cyber-security-strategy.txt", "4.29 As well as broadening", "“Cyber crime and law enforcement”, para 4.29"),
    # the Singapore code's clauses, once "Section 7.2, para 12"
    ("sg-2022-cybersecurity-code-of-practice-cii.pdf", "7.2.4 The CIIO shall review", "Section 7.2.4"),
    # what follows a number is cited from it: a clause's points, a paragraph cut by a page break
    ("sg-2022-cybersecurity-code-of-practice-cii.pdf", "(a) Network Firewall logs", "Section 6.1.2(a)"),
    ("gb-2011-cyber-security-strategy.txt", "CEOP) by providing", "“Cyber crime and law enforcement”, para 4.29, part 2"),
    # a section's opening before its first numbered clause keeps its count
    ("sg-2022-cybersecurity-code-of-practice-cii.pdf", "Conducting cybersecurity exercises allow", "Section 7.3, para 1"),
    # a contents line is no paragraph of its number, nor is "4.5 million households" one
    ("jp-2015-cybersecurity-strategy.txt", "4.5. Collaboration among Multi-stakeholders ..", "“Contents”, para 11"),
    ("eg-2012-national-ict-strategy.txt", "4.5 million households, approximately", "“Strengthening the national economy”, para 12"),
])
def test_a_paragraph_is_cited_by_the_number_its_document_prints(corpus_passages, name, opening, cited):
    passages = corpus_passages(name)
    [passage] = [p for p in passages if p.text.startswith(opening)]
    assert cite_passages(passages)[passage.id] == cited


def _passages(*rows):
    from types import SimpleNamespace

    return [SimpleNamespace(id=f"d:{parent}.p{i}", doc_id="d", path=[parent, f"{unit} {i}"], kind="section-paragraph", text=text)
            for i, (parent, unit, text) in enumerate(rows, 1)]


def test_a_number_two_passages_open_with_is_counted():
    once, twice, again = _passages(("Goals", "para", "2.1 Operators shall act."), ("Goals", "para", "3.1 The state will act."),
                                   ("Goals", "para", "3.1 The state will act."))
    assert cite_passages([once, twice, again]) == {
        once.id: "“Goals”, para 2.1", twice.id: "“Goals”, para 2", again.id: "“Goals”, para 3"}


def test_a_numbered_subsection_heads_its_paragraphs_until_an_appendix():
    rows = _passages(("Section 6", "subpara", "6.2.19 Privacy Controls"), ("Section 6", "subpara", "The 8 families include:"),
                     ("Section 6", "subpara", "(a) Transparency;"), ("Section 6", "subpara", "Appendix A—Acronyms"),
                     ("Section 6", "subpara", "BCP Business Continuity Plan"))
    assert list(cite_passages(rows).values()) == [
        "Section 6.2.19", "Section 6.2.19, para 1", "Section 6.2.19(a)", "Section 6, subpara 4", "Section 6, subpara 5"]


def test_reference_of_a_document_without_metadata_names_the_document():
    from pipeline.matrix import Evidence

    item = Evidence(passage_id="draft-act:s4.p1", doc_id="draft-act", jurisdiction="unknown", title="unknown", year=None,
                    doc_kind="unknown", citation="Section 4, para 1", pages="", text="…", element="no_harm", score=0.9,
                    modality="conduct", bearer="state", level="policy")
    assert item.reference == "draft-act, Section 4, para 1"
    from dataclasses import replace

    nis2 = replace(item, title="Directive (EU) 2022/2555 (NIS 2 Directive) - recitals and articles", year=2022,
                   citation="Article 21(2)(d)", pages="p. 12")
    assert nis2.reference == "Directive (EU) 2022/2555 (NIS 2 Directive) (2022), Article 21(2)(d), p. 12"  # the file's note left out
    india = replace(item, title="National Cyber Security Policy - 2013 (MeitY)", year=2013, citation="Section A(3)")
    assert india.reference == "National Cyber Security Policy - 2013 (MeitY) (2013), Section A(3)"  # part of its name


def test_pages():
    assert (cite_pages(3, 3), cite_pages(3, 5), cite_pages(None, None)) == ("p. 3", "pp. 3–5", "")
    printed = {3: 1, 4: 2, 5: 3}  # a cover and a contents page before page 1
    assert cite_pages(3, 3, printed) == "p. 1 (PDF p. 3)" and cite_pages(3, 5, printed) == "pp. 1–3 (PDF pp. 3–5)"
    assert cite_pages(2, 2, printed) == "PDF p. 2" and cite_pages(5, 6, printed) == "p. 3 (PDF pp. 5–6)"
    assert cite_pages(3, 3, {}) == "PDF p. 3"  # a PDF that prints no steady series
    assert cite_pages(3, 4, {3: 3, 4: 4}) == "pp. 3–4"  # prints the file's own numbers


runner = CliRunner()


def test_cli_matrix_ends_with_what_to_be_careful_of(run_dir):
    """Where a batch run ends, the elements the model finds poorly (from its card) and the
    documents in other languages than English are named: many never open the report."""
    write_jsonl(run_dir / "documents.jsonl", [{**d, "language": lang} for d, lang in zip(DOCS, ["en", "sk", "unknown", "fr"])])
    result = runner.invoke(app, ["matrix", str(run_dir)])
    assert result.exit_code == 0, result.output
    card = json.loads((ROOT / "models" / "linear" / "card.json").read_text())
    untagged = sorted(e for e, t in card["thresholds"].items() if t > 1)
    weak = [e for e, m in card["metrics"]["per_label"].items() if m["f1"] < 0.3 and e not in untagged]
    lines = [" ".join(line.split()) for line in result.output.split("caution ")[1:]]
    if untagged:
        first = lines.pop(0)
        assert first.startswith("never tagged by the linear model") and all(e in first for e in untagged)
    assert lines[0].startswith("cross-validated F1 under 0.3") and all(e in lines[0] for e in weak)
    assert not any(e in lines[0] for e in untagged)
    assert lines[1].startswith("2 documents not in English (fr 1, sk 1)")
    # files read without metadata share one row: said, with how to place them
    write_jsonl(run_dir / "documents.jsonl", [{**d, "jurisdiction": "unknown"} if d["doc_id"] != "aa-law" else d for d in DOCS])
    pooled = runner.invoke(app, ["matrix", str(run_dir)])
    assert "caution 3 documents of unknown jurisdiction share the row `unknown` (cc-dir, aa-strat, bb-strat)" in " ".join(
        pooled.output.split())


def test_cli_matrix_compare_diff(run_dir, tmp_path):
    result = runner.invoke(app, ["matrix", str(run_dir), "--kind", "law,strategy", "--min-score", "0.5"])
    assert result.exit_code == 0, result.output
    for name in ("matrix.csv", "matrix.json", "matrix.xlsx", "heatmap.png", "report.html"):
        assert (run_dir / name).stat().st_size > 0, name
    data = json.loads((run_dir / "matrix.json").read_text())
    assert data["filters"]["kinds"] == ["law", "strategy"] and data["groups"] == ["aa", "bb"]
    cell = next(c for c in data["cells"] if c["group"] == "aa" and c["element"] == "risk_assessment")
    assert cell["evidence"][0]["reference"] == "Cyber Act (2020), Article 3(1), p. 2"

    compared = runner.invoke(app, ["compare", str(run_dir), "cc", "aa", "--json"])
    assert compared.exit_code == 0, compared.output
    assert json.loads(compared.stdout)["groups"] == ["cc", "aa"]
    table = runner.invoke(app, ["compare", str(run_dir), "aa", "bb"])
    assert "law:result" in table.stdout and "Cyber Act" in table.stdout
    # what each column stands on, and the model's cautions, as `matrix` ends with them
    assert "aa: Aa Strategy (2018, strategy); Cyber Act (2020, law)" in table.output
    assert "bb: Bb Strategy (2022, strategy)" in table.output and "caution" in table.output

    diffed = runner.invoke(app, ["diff", str(run_dir), "aa-law", "aa-strat", "--json"])
    verdicts = {r["element"]: r["verdict"] for r in json.loads(diffed.stdout)["rows"]}
    assert verdicts["risk_assessment"] == "only A" and verdicts["information_exchange"] == "both, B binds more"
    diff_table = runner.invoke(app, ["diff", str(run_dir), "aa-law", "aa-strat"], env={"COLUMNS": "160"})
    flat = " ".join(diff_table.output.split())
    assert "A = aa-law: Cyber Act (2020, law)" in flat and "caution" in diff_table.output
    assert "A: Article 3(1), p. 2: \u201cText of aa-law:1.\u201d" in flat  # where, and the words; the title names the act
    partly = runner.invoke(app, ["compare", str(run_dir), "aa,cc", "--kind", "strategy"])
    assert partly.exit_code == 0 and "no document of cc under --kind/--years: left out" in partly.output

    before = (run_dir / "matrix.csv").read_text()
    for option, value in (("--kind", "strateggy"), ("--jurisdictions", "xx"), ("--years", "3000")):
        typo = runner.invoke(app, ["matrix", str(run_dir), option, value])
        assert typo.exit_code == 1 and "error" in typo.output, typo.output
    assert (run_dir / "matrix.csv").read_text() == before  # the last matrix is not written over
    (run_dir / "passages.parquet").write_bytes(b"PAR1 truncated")
    broken = runner.invoke(app, ["compare", str(run_dir), "aa"])
    assert broken.exit_code == 1 and "passages.parquet: not a readable Parquet file" in broken.output
    assert "Traceback" not in broken.output

    bad = runner.invoke(app, ["matrix", str(run_dir), "--years", "soon"])
    assert bad.exit_code == 1 and "--years 'soon'" in bad.output
    (run_dir / "predictions.parquet").unlink()
    missing = runner.invoke(app, ["matrix", str(run_dir)])
    assert missing.exit_code == 1 and "predictions.parquet: missing: run `ddlens classify" in missing.output
    labels = tmp_path / "labels"  # a label folder given where a run belongs
    labels.mkdir()
    (labels / "batch-01.jsonl").write_text("{}\n")
    for command in (["matrix", str(labels)], ["annotate", "remap", str(labels), "--dry-run"]):
        wrong = runner.invoke(app, command)
        assert wrong.exit_code == 1 and "is no run folder" in wrong.output and "--out labels" not in wrong.output, wrong.output


def test_report_cells_show_the_evidence_matrix_json_shows(run_dir, tmp_path):
    """The page folds documents into jurisdiction cells (so it can filter by kind); folded,
    each cell must list what matrix.json lists for it, at any --evidence."""
    levels = ["absent", "mentioned", "policy", "law:conduct", "law:result"]
    for top in (1, 2):
        out = tmp_path / f"top{top}"
        assert runner.invoke(app, ["matrix", str(run_dir), "--evidence", str(top), "--out", str(out)]).exit_code == 0
        html = (out / "report.html").read_text()
        data = json.loads(html.split('<script id="data" type="application/json">', 1)[1].split("</script>", 1)[0])
        assert data["top"] == top
        for cell in json.loads((out / "matrix.json").read_text())["cells"]:
            docs = [d["doc_id"] for d in data["documents"] if d["jurisdiction"] == cell["group"]]
            folded = sorted((e for d in docs for e in data["cells"][d][cell["element"]]["evidence"]),
                            key=lambda e: (-levels.index(e["level"]), -e["score"], e["passage_id"]))[:top]
            assert [e["passage_id"] for e in folded] == [e["passage_id"] for e in cell["evidence"]], cell


def test_hostile_passage_text_stays_text_in_the_workbook_and_the_report(run_dir, tmp_path):
    """A passage is data an analyst opens: Excel must not run it as a formula, and an HTML
    comment or script tag in it must not end the report's data block."""
    from openpyxl import load_workbook

    from pipeline.io import read_passages
    from pipeline.report import render_report

    hostile = '=HYPERLINK("http://x.invalid","click") <!--<script>alert(1)</script>'
    passages = read_passages(run_dir / "passages.parquet")
    write_passages(run_dir / "passages.parquet",
                   [p.model_copy(update={"text": hostile}) if p.id == "aa-law:1" else p for p in passages])
    m = coverage(load_run(run_dir))
    write_xlsx(m, tmp_path / "m.xlsx")
    cell = next(row[14] for row in load_workbook(tmp_path / "m.xlsx")["evidence"].iter_rows(min_row=2) if row[15].value == "aa-law:1")
    assert (cell.value, cell.data_type) == (hostile, "s")

    html = render_report(coverage(load_run(run_dir), by="doc_id"))
    block = html.split('<script id="data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    texts = [e["text"] for doc in json.loads(block)["cells"].values() for cell in doc.values() for e in cell["evidence"]]
    assert hostile in texts


def test_report_says_how_far_each_element_can_be_trusted(run_dir):
    """The report's method table gives each element's cross-validated precision and recall
    from the model card, and its data block carries them for the cell notes: precision for
    the evidence of a cell, recall for a cell without any."""
    from pipeline.report import render_report

    per_label = {"risk_assessment": {"precision": 0.674, "recall": 0.711, "f1": 0.692, "support": 705},
                 "good_faith": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 15}}
    card = {"name": "linear", "thresholds": {"risk_assessment": 0.41, "good_faith": 1.5},
            "metrics": {"folds": 5, "per_label": per_label,
                        "by_jurisdiction": {"aa": {"n": 40, "elements_macro_f1": 0.5, "modality_macro_f1": 0.7, "bearer_macro_f1": 0.6}}}}
    html = render_report(coverage(load_run(run_dir), by="doc_id"), card)
    rows = html.split("<th>threshold</th></tr></thead>", 1)[1].split("</tbody>", 1)[0]
    assert "<tr><td>risk_assessment</td><td>0.674</td><td>0.711</td><td>0.692</td><td>705</td><td>0.410</td></tr>" in rows
    assert "<tr><td>good_faith</td><td>0.000</td><td>0.000</td><td>0.000</td><td>15</td><td>1.500</td></tr>" in rows
    block = html.split('<script id="data" type="application/json">', 1)[1].split("</script>", 1)[0]
    assert json.loads(block)["cv"] == {"risk_assessment": {"precision": 0.674, "recall": 0.711},
                                       "good_faith": {"precision": 0.0, "recall": 0.0}}
    assert json.loads(block)["weak"] == {"good_faith": 0.0}
    assert json.loads(block)["cv_jurisdiction"] == card["metrics"]["by_jurisdiction"]
    # a card that measured it adds each element's F1 read by document, as a cell reads it
    card["metrics"]["by_document"] = {"per_label": {"risk_assessment": {"f1": 0.92}, "good_faith": {"f1": 0.0}}}
    rows = render_report(coverage(load_run(run_dir), by="doc_id"), card).split("<th>threshold</th></tr></thead>", 1)[1]
    assert "<td>0.692</td><td>0.920</td><td>705</td>" in rows.split("</tbody>", 1)[0]


def test_files_that_could_not_be_read_are_named_where_their_row_is_missing(run_dir):
    """A jurisdiction whose only file failed (a scan needing OCR) must not vanish without a word."""
    write_jsonl(run_dir / "errors.jsonl", [{"path": "/corpus/dd-2012-strategy.pdf", "stage": "ingest",
                                            "reason": "garbled text layer; needs OCR"}])
    result = runner.invoke(app, ["matrix", str(run_dir)])
    assert result.exit_code == 0, result.output
    assert "1 file(s) of this run could not be read and are in no cell: dd-2012-strategy.pdf (garbled text layer; needs OCR)" \
        in " ".join(result.output.split())
    page = (run_dir / "report.html").read_text()
    assert "<b>Not read.</b> 1 file of this run could not be read" in page and "dd-2012-strategy.pdf: garbled" in page
    missing = runner.invoke(app, ["compare", str(run_dir), "dd", "aa"])
    assert missing.exit_code == 1 and "could not be read, see errors.jsonl: dd-2012-strategy.pdf" in " ".join(missing.output.split())
    # a damaged line of errors.jsonl may have named a file: it is reported, not skipped
    with (run_dir / "errors.jsonl").open("a") as handle:
        handle.write('{"path": "/corpus/ee-2014.pdf", "stage": "ing\n')
    damaged = failed_files(run_dir)[-1]
    assert damaged["path"] == str(run_dir / "errors.jsonl")
    assert damaged["reason"].startswith("line 2 could not be read (not JSON")


def test_bearer_filter_keeps_only_the_duties_that_bearer_owes(run_dir):
    """"Which laws bind operators to assess risks?" needs the cells read from operators' duties alone."""
    run = load_run(run_dir)
    operators = coverage(run, parse_filters(kind="binding", bearer="operator"))
    cell = operators.cell("aa", "risk_assessment")
    assert [e.passage_id for e in cell.evidence] == ["aa-law:1"] and cell.level == "law:result"
    assert operators.cell("cc", "necessary_measures").n_passages == 2
    state = coverage(run, parse_filters(bearer="state"))
    assert [e.passage_id for e in state.cell("aa", "risk_assessment").evidence] == ["aa-law:2"]
    assert state.cell("cc", "necessary_measures").level == "absent"
    with pytest.raises(ValueError, match="--bearer operators: expected one of state, operator, other, none"):
        parse_filters(bearer="operators")
    result = runner.invoke(app, ["compare", str(run_dir), "aa", "cc", "--bearer", "operator", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["filters"]["bearers"] == ["operator"]
    table = runner.invoke(app, ["compare", str(run_dir), "aa", "cc", "--bearer", "operator"])
    assert "filters: duties borne by operator" in table.output  # a filtered table says so


def test_evidence_lists_every_passage_behind_one_cell(run_dir, tmp_path):
    """The matrix files keep a cell's strongest few; checking a cell needs all of them."""
    from pipeline.matrix import cell_evidence

    run = load_run(run_dir)
    assert [e.passage_id for e in cell_evidence(run, "AA", "risk_assessment")] == ["aa-law:1", "aa-law:2"]
    assert [e.passage_id for e in cell_evidence(run, "aa", "risk_assessment", parse_filters(bearer="state"))] == ["aa-law:2"]
    assert [e.passage_id for e in cell_evidence(run, "aa-strat", "information_exchange")] == ["aa-strat:1"]
    assert cell_evidence(run, "bb", "risk_assessment") == []
    with pytest.raises(ValueError, match="no element 'risk': the elements are good_faith, no_harm"):
        cell_evidence(run, "aa", "risk")
    with pytest.raises(DdlensError, match=r"no documents for jurisdiction\(s\) xx"):
        cell_evidence(run, "xx", "risk_assessment")

    table = runner.invoke(app, ["evidence", str(run_dir), "aa", "risk_assessment", "--limit", "1"], env={"COLUMNS": "200"})
    assert table.exit_code == 0, table.output
    flat = " ".join(table.output.split())
    assert "aa · risk_assessment: 2 passages" in flat and "Cyber Act (2020), Article 3(1), p. 2" in flat
    assert "risk assessment, cue: risk assessment" in flat and "… and 1 more" in flat
    listed = json.loads(runner.invoke(app, ["evidence", str(run_dir), "aa", "risk_assessment", "--json"]).stdout)
    assert [(e["passage_id"], e["level"]) for e in listed] == [("aa-law:1", "law:result"), ("aa-law:2", "law:conduct")]
    out = tmp_path / "cell.csv"
    assert runner.invoke(app, ["evidence", str(run_dir), "aa", "risk_assessment", "--csv", str(out)]).exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert [(r["rank"], r["passage_id"], r["reference"]) for r in rows][0] == ("1", "aa-law:1", "Cyber Act (2020), Article 3(1), p. 2")
    typo = runner.invoke(app, ["evidence", str(run_dir), "aa", "riskassessment"])
    assert typo.exit_code == 1 and "no element 'riskassessment'" in typo.output


def test_evidence_csv_opens_as_text_in_a_spreadsheet(tmp_path):
    from pipeline.export import write_evidence_csv
    from pipeline.matrix import Evidence

    hostile = Evidence(passage_id="x:1", doc_id="x", jurisdiction="xx", title="T", year=None, doc_kind="law",
                       citation="Article 1", pages="", text='=HYPERLINK("http://evil","click")', element="no_harm",
                       score=0.9, modality="none", bearer="none", level="mentioned")
    write_evidence_csv([hostile], tmp_path / "e.csv")
    row = next(csv.DictReader((tmp_path / "e.csv").open()))
    assert row["text"] == "'=HYPERLINK(\"http://evil\",\"click\")" and row["citation"] == "Article 1"
