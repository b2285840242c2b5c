"""classify on a run folder and on a JSON Lines file; train and evaluate through the CLI."""

import json

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


def test_classify_bad_jsonl_line_named(tmp_path):
    src = tmp_path / "in.jsonl"
    src.write_text('{"id": 1, "text": "ok"}\n{"id": 2}\n')
    result = runner.invoke(app, ["classify", str(src), "--model", "rules"])
    assert result.exit_code == 1 and "in.jsonl: line 2: needs an id and a text" in result.output


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
    alone = classify_texts(ids, texts, model, "linear", batch_size=7)
    forked = classify_texts(ids, texts, model, "linear", batch_size=7, jobs=2, on_batch=seen.append)
    assert [p.model_dump() for p in forked] == [p.model_dump() for p in alone]
    assert sum(seen) == len(texts) and len(seen) == -(-len(texts) // 7)


def test_evaluate_rules_on_the_seed_gold(shared_annotations):
    result = runner.invoke(app, ["evaluate", "--model", "rules", "--gold", str(shared_annotations / "seed.jsonl"), "--json"])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output)
    assert metrics["n"] == 50 and 0 < metrics["elements_macro_f1"] < 1


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
