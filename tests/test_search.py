"""`ddlens search`: passages by their words, cited, on real documents."""

import csv
import json

import pytest
from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.search import parse_query

runner = CliRunner()


def _holds(query: str, text: str, regex: bool = False) -> bool:
    return parse_query(query, regex).holds(text)


@pytest.mark.parametrize(("query", "text", "found"), [
    ("notify", "Operators shall notify the CSIRT", True),
    ("notify", "notifying the CSIRT", False),  # whole words
    ("notif*", "notifying the CSIRT", True),
    ("infrastructure", "critical infrastructures", True),  # and their plural
    ("entity", "essential entities", True),
    ('"state of the art"', "taking into account the state-of-the-art", True),  # hyphens as spaces
    ('"state of the art"', "the state of\nthe  art", True),
    ('"state of the art"', "the art of the state", False),
    ('"cyber security"', "national cybersecurity strategy", True),  # or no space at all
    ("“critical entities”", "Critical Entities Resilience", True),  # curly quotes
    ("entity's", "the entity’s obligations", True),  # an apostrophe is either
    ("incident 24 hours", "an incident … within 24 hours", True),  # every term, in any order
    ("incident 72 hours", "an incident … within 24 hours", False),
    ("notify OR report", "shall report without delay", True),
    ("incident -personal", "a personal data incident", False),
    ("NOTIFY", "shall notify", True),  # case aside
    ("サイバーセキュリティ", "この法律は、サイバーセキュリティに関する施策", True),  # no spaces part Japanese words
])
def test_query_terms(query, text, found):
    assert _holds(query, text) is found


def test_query_regex_and_errors():
    assert _holds(r"within \d+ hours", "report within 72 hours", regex=True)
    assert _holds('"open', "an open question")  # an unclosed quote runs to the end
    for query, regex, message in (("  ", False, "an empty query"), ('""', False, "no word to look for"),
                                  ('" "', False, "no word"), ("-security", False, "no word"), ("(", True, r"--regex '\('")):
        with pytest.raises(ValueError, match=message):
            parse_query(query, regex)


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
    both = runner.invoke(app, ["search", str(real_run), "risk", "--json", "--csv", str(out)])
    assert both.exit_code == 1 and "not both" in both.output
    folder = runner.invoke(app, ["search", str(real_run), "risk", "--csv", str(tmp_path)])
    assert folder.exit_code == 1 and "is a folder" in folder.output and "Traceback" not in folder.output
    assert not list(tmp_path.parent.glob(f".{tmp_path.name}.*"))  # no temporary file left beside it

    # an article's title is searched too: NIS2 Article 26 is "Jurisdiction and territoriality"
    titled = json.loads(runner.invoke(app, ["search", str(real_run), '"jurisdiction and territoriality"', "--json"]).output)
    assert titled and all(h["citation"].startswith("Article 26") and h["in_heading"] for h in titled)
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
