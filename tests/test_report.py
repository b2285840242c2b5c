"""`ddlens run` end to end on real corpus documents (conftest.real_run), then report.html in a real browser
(Debian's chromium, headless, through Selenium and the system chromedriver): open it, click
a cell, read its evidence, filter by kind, list a jurisdiction's documents. The screenshot is
kept in test-artifacts/report.png."""

import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def test_run_writes_every_stage(real_run):
    for name in ("documents.jsonl", "passages.parquet", "predictions.parquet", "matrix.csv", "matrix.json",
                 "matrix.xlsx", "heatmap.png", "report.html"):
        assert (real_run / name).stat().st_size > 0, name
    page = (real_run / "report.html").read_text()
    # self-contained: nothing is fetched (passage texts may quote addresses; markup never loads one)
    assert not any(marker in page for marker in ("<script src", "<link", 'src="http', "url(http", "@import"))


@pytest.fixture(scope="module")
def browser():
    sys.path.insert(0, str(ROOT / "scripts"))
    from screenshot_report import chromium

    driver = chromium()
    if driver is None:
        pytest.skip("chromium and chromedriver not installed (`make browser` installs them)")
    yield driver
    driver.quit()


def test_report_in_browser(real_run, browser):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    browser.get((real_run / "report.html").as_uri())
    rows = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "th.jur")]
    assert rows == ["ee", "eu", "fi"]
    assert len(browser.find_elements(By.CSS_SELECTOR, "td.cell")) == 3 * 9
    # the columns of elements the model finds poorly (CV F1 under 0.3, from its card) carry a warning
    card = json.loads((ROOT / "models" / json.loads((real_run / "matrix.json").read_text())["model"] / "card.json").read_text())
    weak = {e for e, m in card["metrics"]["per_label"].items() if m["f1"] < 0.3}
    flagged = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#heatmap thead th.weak")]
    assert sorted(t.lstrip("⚠ ").replace(" ", "_") for t in flagged) == sorted(weak)

    cell = browser.find_element(By.CSS_SELECTOR, 'td.cell[data-j="eu"][data-e="information_exchange"]')
    assert cell.get_attribute("data-level") == "law:result"
    cell.click()
    assert browser.find_element(By.ID, "detail-title").text == "eu × information exchange"
    references = [e.text for e in browser.find_elements(By.CSS_SELECTOR, "#detail .ev .ref")]
    assert references and all(r.startswith("Directive (EU) 2022/2555") for r in references)
    assert any("Article" in r for r in references)
    quotes = browser.find_elements(By.CSS_SELECTOR, "#detail .ev blockquote")
    assert quotes and all(len(q.text) > 40 for q in quotes)
    # each passage says why it supports the element (`ddlens run` explains by default)
    whys = [w.text for w in browser.find_elements(By.CSS_SELECTOR, "#detail .ev .why")]
    assert whys and all(w.startswith("why: ") and len(w) > 6 for w in whys)
    # and how often, in cross-validation, such evidence was right
    precision = card["metrics"]["per_label"]["information_exchange"]["precision"]
    assert f"{int(100 * precision + 0.5)}% of the passages the model tagged information exchange held it" in \
        browser.find_element(By.ID, "detail").text
    shown = json.loads((real_run / "matrix.json").read_text())
    cell_json = next(c for c in shown["cells"] if c["group"] == "eu" and c["element"] == "information_exchange")
    assert cell_json["n_passages"] > len(references)  # the rest are one command away
    assert f"The strongest {len(references)} of {cell_json['n_passages']} passages; ddlens evidence RUN eu " \
        "information_exchange lists them all." in browser.find_element(By.ID, "detail").text
    ARTIFACTS.mkdir(exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "report.png"))

    # a cell without evidence says how many such passages the model misses
    absent = browser.find_elements(By.CSS_SELECTOR, 'td.cell[data-level="absent"]')
    assert absent
    absent[0].click()
    element = absent[0].get_attribute("data-e")
    recall = card["metrics"]["per_label"][element]["recall"]
    assert f"the model found {int(100 * recall + 0.5)}% of the passages that hold {element.replace('_', ' ')}" in \
        browser.find_element(By.ID, "detail").text

    Select(browser.find_element(By.ID, "kind")).select_by_value("non-binding")
    assert [th.text for th in browser.find_elements(By.CSS_SELECTOR, "th.jur")] == ["ee", "fi"]
    Select(browser.find_element(By.ID, "sort")).select_by_value("coverage")
    assert len(browser.find_elements(By.CSS_SELECTOR, "th.jur")) == 2

    browser.find_element(By.CSS_SELECTOR, 'th.jur[data-j="ee"]').click()
    docs = [li.text for li in browser.find_elements(By.CSS_SELECTOR, "#detail li.doc")]
    assert len(docs) == 1 and "Cyber Security Strategy" in docs[0] and "strategy" in docs[0]
    # and how the model did on that jurisdiction's labelled passages, held out
    ee = card["metrics"]["by_jurisdiction"]["ee"]
    assert (f"on the {ee['n']} labelled passages of this jurisdiction's documents" in browser.find_element(By.ID, "detail").text
            and f"bearer {ee['bearer_macro_f1']:.2f}" in browser.find_element(By.ID, "detail").text)
    # a document in another language than English says the models may read it poorly
    assert "written in" not in browser.find_element(By.ID, "detail").text
    browser.execute_script("D.documents.find(d => d.jurisdiction === 'ee').language = 'sk'; showDocs('ee');")
    assert "written in sk: the models learned from English passages mostly" in browser.find_element(By.ID, "detail").text
    assert "Method" in browser.find_element(By.ID, "method").text
    assert browser.get_log("browser") == []  # no script errors
