"""`ddlens search`: passages by their words, cited, on real documents."""

import csv
import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.search import query_patterns

runner = CliRunner()


def _holds(query: str, text: str, regex: bool = False) -> bool:
    return all(p.search(text) for p in query_patterns(query, regex))


@pytest.mark.parametrize(("query", "text", "found"), [
    ("notify", "Operators shall notify the CSIRT", True),
    ("notify", "notifying the CSIRT", False),  # whole words
    ("notif*", "notifying the CSIRT", True),
    ('"state of the art"', "taking into account the state-of-the-art", True),  # hyphens as spaces
    ('"state of the art"', "the state of\nthe  art", True),
    ('"state of the art"', "the art of the state", False),
    ("incident 24 hours", "an incident … within 24 hours", True),  # every term, in any order
    ("incident 72 hours", "an incident … within 24 hours", False),
    ("NOTIFY", "shall notify", True),  # case aside
])
def test_query_terms(query, text, found):
    assert _holds(query, text) is found


def test_query_regex_and_errors():
    assert _holds(r"within \d+ hours", "report within 72 hours", regex=True)
    for query, regex, message in (("  ", False, "an empty query"), ('"open', False, "No closing quotation"),
                                  ("(", True, r"--regex '\('")):
        with pytest.raises(ValueError, match=message):
            query_patterns(query, regex)


def test_search_a_classified_run_cites_every_passage_found(real_run, tmp_path):
    """NIS2 writes "state-of-the-art"; a scholar types the words."""
    result = runner.invoke(app, ["search", str(real_run), '"state of the art"', "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.output)
    nis2 = [h for h in hits if h["doc_id"] == "eu-2022-nis2-directive"]
    article = next(h for h in nis2 if h["citation"] == "Article 21(1)")
    assert article["matched"].lower() == "state-of-the-art" and article["reference"].startswith("Directive (EU) 2022/2555")
    assert all(h["modality"] for h in hits)  # the classifier's reading comes along
    assert [h["jurisdiction"] for h in hits] == sorted(h["jurisdiction"] for h in hits)

    only_eu = runner.invoke(app, ["search", str(real_run), '"state of the art"', "--jurisdictions", "ee", "--json"])
    assert all(h["jurisdiction"] == "ee" for h in json.loads(only_eu.output))
    tagged = runner.invoke(app, ["search", str(real_run), '"state of the art"', "--element", "state_of_the_art", "--json"])
    assert all("state_of_the_art" in h["elements"] for h in json.loads(tagged.output))

    table = runner.invoke(app, ["search", str(real_run), '"state of the art"', "--limit", "1"])
    assert table.exit_code == 0 and f"{len(hits)} passages in" in table.output and "more (--limit 0" in table.output
    out = tmp_path / "hits.csv"
    assert runner.invoke(app, ["search", str(real_run), '"state of the art"', "--csv", str(out)]).exit_code == 0
    rows = list(csv.DictReader(out.open()))
    assert len(rows) == len(hits) and rows[0]["reference"] == hits[0]["reference"]

    typo = runner.invoke(app, ["search", str(real_run), "risk", "--element", "risk"])
    assert typo.exit_code == 1 and "no element 'risk'" in typo.output
    none = runner.invoke(app, ["search", str(real_run), "zyxwv"])
    assert none.exit_code == 0 and "no passage" in none.output


def test_search_a_run_not_classified_yet(shared_corpus, tmp_path):
    run = tmp_path / "run"
    ingest = runner.invoke(app, ["ingest", str(shared_corpus / "ee-2014-cyber-security-strategy.txt"), "--out", str(run)])
    assert ingest.exit_code == 0, ingest.output
    result = runner.invoke(app, ["search", str(run), "incident*", "--json"])
    hits = json.loads(result.output)
    assert hits and all(h["elements"] == [] and h["modality"] == "" for h in hits)
    assert all(h["matched"].lower().startswith("incident") for h in hits)
    assert "is not classified: `ddlens classify" in runner.invoke(app, ["search", str(run), "incident*", "--limit", "1"]).output
