"""classify on a run folder and on a JSON Lines file; train and evaluate through the CLI."""

import json

import pytest
from typer.testing import CliRunner

from pipeline.classify import classify_texts
from pipeline.cli import app
from pipeline.io import read_passages, read_predictions
from pipeline.models import Targets, make_model

runner = CliRunner()


def test_classify_run_folder(shared_corpus, tmp_path):
    run = tmp_path / "run"
    assert runner.invoke(app, ["ingest", str(shared_corpus / "ee-2014-cyber-security-strategy.txt"), "--out", str(run)]).exit_code == 0
    result = runner.invoke(app, ["classify", str(run), "--model", "rules"])
    assert result.exit_code == 0, result.output
    passages = read_passages(run / "passages.parquet")
    predictions = read_predictions(run / "predictions.parquet")
    assert [p.passage_id for p in predictions] == [p.id for p in passages]
    assert all(set(p.scores) == set(make_model("rules").classes_) for p in predictions)
    assert any(p.elements for p in predictions)
    # every tagged element says why (the rules tier: the cues that fired); untagged, nothing
    assert all(set(p.why) == set(p.elements) and all(p.why.values()) for p in predictions if p.elements)
    assert all(p.why is None for p in predictions if not p.elements)
    again = runner.invoke(app, ["classify", str(run), "--model", "rules", "--no-explain"])
    assert again.exit_code == 0 and all(p.why is None for p in read_predictions(run / "predictions.parquet"))


def test_linear_says_why_in_words_an_analyst_can_find(small_gold):
    """Each reason is a word or word pair of the passage (a character 4-gram shown as the
    word it comes from), a cue that fired, the rules tier's head guess, or a term of the
    article's title marked as such: never a bare feature index, a word fragment or a stop word."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from pipeline.model_input import model_text

    model = make_model("linear").fit([r.text for r in small_gold], Targets.from_records(small_gold))
    own = ("Member States shall ensure that essential entities take appropriate and proportionate technical, "
           "operational and organisational measures to manage the risks posed to the security of network and "
           "information systems, taking into account the state of the art, and notify the CSIRT without undue delay.")
    title = "Cybersecurity risk-management measures"
    why = model.explain(model_text("eu-2022-nis2-directive:art21.1", own, title), top=8)
    terms = [t for reasons in why.values() for t in reasons]
    assert terms and any(t.startswith("cue: ") for t in terms)
    words = set(own.lower().replace(",", " ").replace(".", " ").split())
    for term in terms:
        if term.startswith(("cue: ", "rules' ", "(part: ")):
            continue
        assert not ENGLISH_STOP_WORDS.issuperset(term.removesuffix(" (title)").split()), term
        if term.endswith(" (title)"):
            assert term[:-8] in title.lower(), term
        else:
            assert term in own.lower() and all(w in words for w in term.split()), term


@pytest.fixture(scope="module")
def framed_linear(small_gold):
    """The linear tier trained as `ddlens train` trains it: texts behind their part marker and title."""
    from pipeline.model_input import record_text

    return make_model("linear").fit([record_text(r) for r in small_gold], Targets.from_records(small_gold))


def test_linear_credits_the_passage_before_its_title_and_its_part(framed_linear):
    """A word the passage holds is the passage's even where the title holds it too; a title's
    own word, or a cue that fires only in the title, says "(title)"; the part marker reads as
    the part, never as a word of the title or glued to one."""
    import re

    from pipeline.model_input import model_text
    from pipeline.models.rules import CueIndex

    own = ("Essential entities shall notify the CSIRT of any significant incident and take appropriate "
           "security measures for their network and information systems.")
    title = "Security of network and information systems: risk assessment"
    why = framed_linear.explain(model_text("eu-2022-nis2-directive:art23.1", own, title), top=40)
    terms = [t for reasons in why.values() for t in reasons]
    own_words = re.findall(r"\w\w+", own.lower())
    own_grams = {*own_words, *map(" ".join, zip(own_words, own_words[1:]))}
    own_cues = {cue for _, cue in CueIndex().fired(own)}
    assert any(t.endswith(" (title)") for t in terms) and any(t.startswith("(part: ") for t in terms)
    for term in terms:
        assert "part_" not in term, term
        if term.startswith("(part: "):
            assert re.fullmatch(r"\(part: article\)( .+)?", term), term
        elif term.startswith("cue: "):
            cue, _, words = term[5:].split(" (")[0].partition(' "')
            assert term.endswith("title)") == (cue not in own_cues), term  # "(title)", "(no harm, title)"
            assert not words or words.rstrip('"').lower() in (own.lower() if cue in own_cues else title.lower()), term
        elif term.endswith(" (title)"):
            assert term[:-8] in title.lower(), term  # "⟦secu" is the title's even though "security" is the text's too
        elif not term.startswith("rules' ") and not term.endswith(" (title, text)"):
            assert term in own_grams, term
    assert any(t.startswith("cue: risk assessment") and t.endswith("title)") for t in terms)


def test_a_cue_says_the_words_it_fired_on_where_its_name_is_not_them():
    """"cue: at least every" on a fine of "10 per cent of its annual turnover" sent a reader
    looking for words the passage does not hold: the words that fired are quoted."""
    from pipeline.models.rules import CueIndex

    text = "A licensee commits an offence and is liable to a fine not exceeding 10 per cent of its annual turnover."
    found = CueIndex().matches(text)
    assert found[("continuous_obligation", "at least every")] == "annual"
    assert list(found) == CueIndex().fired(text)


def test_linear_explains_a_refit_in_its_new_features(small_gold):
    """Feature names are read once per fit: a refit after an explanation names the new
    model's features (it raised IndexError, or named the old ones)."""
    half = len(small_gold) // 2
    first, second = small_gold[:half], small_gold[half:]
    text = "Operators shall notify significant incidents to the CSIRT and assess the risks to their systems."
    model = make_model("linear").fit([r.text for r in first], Targets.from_records(first))
    before = model.explain(text, top=10)
    model.fit([r.text for r in second], Targets.from_records(second))
    fresh = make_model("linear").fit([r.text for r in second], Targets.from_records(second))
    assert model.explain(text, top=10) == fresh.explain(text, top=10) != before


def test_predictions_saved_before_why_read_back_without_it(tmp_path, small_gold):
    """A predictions.parquet written before 2026-11-28 has no `why` column: it reads back, with none."""
    import pyarrow.parquet as pq

    from pipeline.io import write_predictions

    model = make_model("rules").fit([], Targets.from_records([]))
    texts = [r.text for r in small_gold[:6]]
    predictions = classify_texts([f"p{i}" for i in range(6)], texts, model, "rules", explain=True)
    path = tmp_path / "predictions.parquet"
    write_predictions(path, predictions)
    pq.write_table(pq.read_table(path).drop_columns(["why"]), path)
    old = read_predictions(path)
    assert [p.why for p in old] == [None] * 6
    assert [p.model_dump(exclude={"why"}) for p in old] == [p.model_dump(exclude={"why"}) for p in predictions]


def test_classify_jsonl_keeps_order(tmp_path):
    src = tmp_path / "in.jsonl"
    rows = [{"id": "b", "text": "Member States shall designate one or more competent authorities."},
            {"id": "a", "text": "The internet has transformed our world.", "extra": 1}]
    src.write_text("".join(json.dumps(r) + "\n" for r in rows))
    result = runner.invoke(app, ["classify", str(src), "--model", "rules", "--out", str(tmp_path / "out.jsonl")])
    assert result.exit_code == 0, result.output
    out = [json.loads(line) for line in (tmp_path / "out.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == ["b", "a"]
    assert set(out[0]) == {"id", "elements", "scores", "modality", "modality_scores", "bearer", "bearer_scores", "model", "why"}
    assert "necessary_measures" in out[0]["elements"] and out[0]["bearer"] == "state"
    assert out[1]["modality"] == "none" and out[1]["bearer"] == "none"


def test_classify_names_each_bad_jsonl_line_and_classifies_the_rest(tmp_path):
    """Every line that cannot be read is named (not just the first), the others are
    classified in order, and an id given twice is said; a file with no readable line fails."""
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "Operators shall notify incidents."}\n{"id": 2}\nnot json\n\n'
                   '{"id": 3, "text": 42}\n{"id": 1, "text": "The authority shall supervise operators."}\n'
                   '{"id": 4, "text": "  "}\n')
    result = runner.invoke(app, ["classify", str(src), "--model", "rules"])
    assert result.exit_code == 0, result.output
    for problem in ("line 2: needs an id and a text", "line 3: not JSON", "line 5: needs an id and a text", "line 7: empty text"):
        assert f"in.jsonl: {problem}" in result.output
    assert "in.jsonl: line 6: id '1' also on line 1" in result.output
    assert "4 lines of" in result.output and "not classified" in result.output
    out = [json.loads(line) for line in (tmp_path / "in.predictions.jsonl").read_text().splitlines()]
    assert [o["id"] for o in out] == ["1", "1"] and "information_exchange" in out[0]["elements"]
    src.write_text('{"id": 2}\n')
    result = runner.invoke(app, ["classify", str(src), "--model", "rules"])
    assert result.exit_code == 1 and "in.jsonl: line 1: needs an id and a text" in result.output
    assert "no line with an id and a text: nothing to classify" in result.output


def test_classify_library_batches(small_gold):
    model = make_model("linear").fit([r.text for r in small_gold], Targets.from_records(small_gold))
    texts = [r.text for r in small_gold[:10]]
    predictions = classify_texts([str(i) for i in range(10)], texts, model, "linear", batch_size=3)
    assert [p.passage_id for p in predictions] == [str(i) for i in range(10)]


def test_classify_in_worker_processes_gives_the_same_predictions(small_gold):
    model = make_model("linear").fit([r.text for r in small_gold], Targets.from_records(small_gold))
    texts = [r.text for r in small_gold]
    ids = [f"p{i}" for i in range(len(texts))]
    seen: list[int] = []
    alone = classify_texts(ids, texts, model, "linear", batch_size=7, explain=True)
    forked = classify_texts(ids, texts, model, "linear", batch_size=7, jobs=2, on_batch=seen.append, explain=True)
    assert [p.model_dump() for p in forked] == [p.model_dump() for p in alone]
    assert any(p.why for p in forked)  # explained in the workers, as in-process
    assert sum(seen) == len(texts) and len(seen) == -(-len(texts) // 7)


def test_evaluate_rules_on_the_seed_gold(shared_annotations):
    result = runner.invoke(app, ["evaluate", "--model", "rules", "--gold", str(shared_annotations / "seed.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["n"] == 50 and 0 < metrics["elements_macro_f1"] < 1


def test_evaluate_names_every_bad_gold_line_and_scores_the_rest(shared_annotations, tmp_path):
    seed = (shared_annotations / "seed.jsonl").read_text().splitlines()
    broken = json.loads(seed[2])
    del broken["doc_id"]
    gold = tmp_path / "gold.jsonl"
    gold.write_text("\n".join([seed[0], seed[1], json.dumps(broken), "{not json"]) + "\n")
    result = runner.invoke(app, ["evaluate", "--model", "rules", "--gold", str(gold), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["n"] == 2
    assert "gold.jsonl: line 3: doc_id: Field required" in result.stderr and "gold.jsonl: line 4: not JSON" in result.stderr
    gold.write_text("{not json\n")
    nothing = runner.invoke(app, ["evaluate", "--model", "rules", "--gold", str(gold)])
    assert nothing.exit_code == 1 and "no readable labelled passage to score" in nothing.output


def test_train_writes_model_and_card(tmp_path, small_gold):
    from pipeline.annotations import write_annotations

    labels = tmp_path / "labels.jsonl"
    write_annotations(labels, small_gold)
    result = runner.invoke(app, ["train", "--model", "linear", "--annotations", str(labels), "--cv", "3", "--out", str(tmp_path / "models")])
    assert result.exit_code == 0, result.output
    # a long cross-validation shows how far it got, one line per fold
    assert [line.split(" (")[0] for line in result.output.splitlines() if "fold" in line] == \
        ["linear: fold 1 of 3", "linear: fold 2 of 3", "linear: fold 3 of 3"]
    assert f"linear: fitting on all {len(small_gold)} passages" in result.output
    card = json.loads((tmp_path / "models" / "linear" / "card.json").read_text())
    assert card["scheme_version"] == "1.4" and card["n_train"] == len(small_gold)
    assert len(card["training_data_sha256"]) == 64 and "elements_macro_f1" in card["metrics"]


def test_training_holds_the_seed_out_and_needs_it(tmp_path, small_gold, shared_annotations, monkeypatch):
    """A gold passage whose text is in the seed set never reaches training; without the seed
    file, training stops and names the missing file rather than train on the fixed check."""
    from pipeline.annotations import load_annotations, write_annotations
    from pipeline.train import training_records

    seed = shared_annotations / "seed.jsonl"
    seed_record = load_annotations(seed)[0]
    labels = tmp_path / "labels.jsonl"
    write_annotations(labels, [*small_gold, seed_record.model_copy(update={"annotator": "x", "id": "x:1"})])
    kept = training_records(labels, seed)
    assert len(kept) == len(small_gold) and seed_record.text_sha256 not in {r.text_sha256 for r in kept}
    monkeypatch.setenv("DDLENS_SEED", str(tmp_path / "no-seed.jsonl"))
    result = runner.invoke(app, ["train", "--model", "rules", "--annotations", str(labels), "--out", str(tmp_path / "m")])
    assert result.exit_code != 0 and "no-seed.jsonl" in result.output and "seed set" in result.output
    assert not (tmp_path / "m").exists()


def test_evaluate_shows_the_change_against_the_card(tmp_path, small_gold, shared_annotations):
    """Retraining on more labels keeps the replaced card's headline; evaluate shows both."""
    from pipeline.annotations import write_annotations

    models = tmp_path / "models"
    for n, name in ((45, "first.jsonl"), (90, "second.jsonl")):
        write_annotations(tmp_path / name, small_gold[:n])
        trained = runner.invoke(app, ["train", "--model", "linear", "--annotations", str(tmp_path / name), "--cv", "3",
                                      "--out", str(models)])
        assert trained.exit_code == 0, trained.output
    assert "(was " in trained.output
    card = json.loads((models / "linear" / "card.json").read_text())
    assert card["previous"]["n_train"] == 45 and card["n_train"] == 90
    result = runner.invoke(app, ["evaluate", "--model", "linear", "--models", str(models), "--gold",
                                 str(shared_annotations / "seed.jsonl"), "--json"])
    change = json.loads(result.output)["change"]
    assert (change["before"]["n_train"], change["now"]["n_train"]) == (45, 90)
    assert change["now"]["elements_macro_f1"] == card["metrics"]["elements_macro_f1"]
    table = runner.invoke(app, ["evaluate", "--model", "linear", "--models", str(models), "--gold",
                                str(shared_annotations / "seed.jsonl")])
    assert "model card vs the card it replaced" in table.output and "change" in table.output
