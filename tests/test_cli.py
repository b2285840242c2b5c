"""Each command once through typer's CliRunner: exit codes, messages, files written."""

import json
import subprocess
import sys

from typer.testing import CliRunner

from pipeline.cli import app
from pipeline.io import read_passages

runner = CliRunner()
GOOD = "NATIONAL STRATEGY\n\nThe Government will establish a national CSIRT.\n"


def _batch(tmp_path):
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "good.txt").write_text(GOOD)
    (folder / "empty.pdf").touch()
    (folder / "fake.pdf").write_bytes(b"GIF89a" + b"\x00" * 64)
    return folder


def test_cli_ingest_reports_bad_files_and_goes_on(tmp_path):
    out = tmp_path / "run"
    result = runner.invoke(app, ["ingest", str(_batch(tmp_path)), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "empty.pdf: empty file (0 bytes)" in result.output
    assert "fake.pdf: not a PDF" in result.output
    errors = [json.loads(line) for line in (out / "errors.jsonl").read_text().splitlines()]
    assert {(e["path"].rsplit("/", 1)[-1], e["stage"]) for e in errors} == {("empty.pdf", "ingest"), ("fake.pdf", "ingest")}
    documents = [json.loads(line) for line in (out / "documents.jsonl").read_text().splitlines()]
    assert [d["doc_id"] for d in documents] == ["good"] and documents[0]["meta_source"] == "unknown"
    passages = read_passages(out / "passages.parquet")
    assert [p.text for p in passages] == ["NATIONAL STRATEGY", "The Government will establish a national CSIRT."]
    run = json.loads((out / "run.json").read_text())
    assert run["counts"] == {"inputs": 3, "documents": 1, "passages": 2, "errors": 2, "pages": 0}
    assert run["versions"]["pdfplumber"] and all(i["path"] for i in run["inputs"])


def test_cli_names_a_file_as_it_is_named(tmp_path):
    """Brackets in a file name are the name, not terminal markup: "[draft] strategy.pdf" was
    printed as " strategy.pdf", "[b]old act.pdf" as a bold "old act.pdf"."""
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "[draft] strategy.pdf").touch()
    (folder / "[b]old act.pdf").write_bytes(b"GIF89a" + b"\x00" * 64)
    (folder / "[ee] act.txt").write_text(GOOD)
    result = runner.invoke(app, ["ingest", str(folder), "--out", str(tmp_path / "run"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "[draft] strategy.pdf: empty file (0 bytes)" in result.output
    assert "[b]old act.pdf: not a PDF" in result.output
    assert "[ee] act.txt: metadata unknown" in result.output
    missing = runner.invoke(app, ["classify", str(tmp_path / "[gone] run")])
    assert missing.exit_code == 1 and "error " in missing.output and "[gone] run" in missing.output


def test_cli_ingest_names_the_files_of_a_folder_it_cannot_read(tmp_path):
    """A folder's files that are not PDF, text or HTML are named as skipped, on the terminal
    and in run.json, not dropped without a word; hidden files (.DS_Store) are not."""
    folder = _batch(tmp_path)
    (folder / "sub").mkdir()
    (folder / "sub" / "act.docx").write_bytes(b"PK\x03\x04")
    (folder / "scan").write_bytes(b"\x89PNG")
    (folder / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")
    out = tmp_path / "run"
    result = runner.invoke(app, ["ingest", str(folder), "--out", str(out), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    assert "act.docx: not a PDF, text or HTML file (.docx)" in result.output
    assert "scan: not a PDF, text or HTML file (no extension)" in result.output
    assert "DS_Store" not in result.output and "2 skipped (not PDF, text or HTML)" in result.output
    skipped = json.loads((out / "run.json").read_text())["skipped"]
    assert [p.rsplit("/", 2)[-2:] for p in skipped] == [["in", "scan"], ["sub", "act.docx"]]


def test_cli_ingest_strict_and_all_failed_exit_1(tmp_path):
    folder = _batch(tmp_path)
    assert runner.invoke(app, ["ingest", str(folder), "--out", str(tmp_path / "r1"), "--strict"]).exit_code == 1
    (folder / "good.txt").unlink()
    assert runner.invoke(app, ["ingest", str(folder), "--out", str(tmp_path / "r2")]).exit_code == 1


def test_cli_ingest_options_fill_metadata(tmp_path):
    path = tmp_path / "act.txt"
    path.write_text(GOOD)
    out = tmp_path / "run"
    result = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--jurisdiction", "ee", "--kind", "law", "--year", "2020"])
    assert result.exit_code == 0, result.output
    doc = json.loads((out / "documents.jsonl").read_text())
    assert (doc["jurisdiction"], doc["kind"], doc["year"], doc["meta_source"]) == ("ee", "law", 2020, "options")
    typo = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--kind", "statute"])
    assert typo.exit_code == 1 and "--kind: unknown kind 'statute'" in typo.output
    named = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--jurisdiction", "Estonia"])
    assert named.exit_code == 1 and "--jurisdiction: 'Estonia' is not a jurisdiction code" in " ".join(named.output.split())
    # `run` takes the same options, and --strict
    (tmp_path / "empty.txt").write_text("")
    whole = runner.invoke(app, ["run", str(path), str(tmp_path / "empty.txt"), "--out", str(tmp_path / "run2"), "--model", "rules",
                                "--jurisdiction", "ee", "--kind", "Law", "--no-explain", "--strict"])
    assert whole.exit_code == 1 and "empty.txt: empty file" in whole.output
    assert "nothing was classified" in whole.output  # stopped before classify, not after it
    assert not (tmp_path / "run2" / "predictions.parquet").exists() and not (tmp_path / "run2" / "report.html").exists()
    doc = json.loads((tmp_path / "run2" / "documents.jsonl").read_text())
    assert (doc["jurisdiction"], doc["kind"], doc["meta_source"]) == ("ee", "law", "options")


def test_cli_ingest_again_removes_what_was_made_from_other_passages(tmp_path):
    """Predictions, matrix and report made from a run's former passages must not stand beside
    new texts (an old score shown for a repealed paragraph); the same passages keep them."""
    path = tmp_path / "act.txt"
    path.write_text(GOOD)
    out = tmp_path / "run"
    assert runner.invoke(app, ["ingest", str(path), "--out", str(out)]).exit_code == 0
    made = ["predictions.parquet", "matrix.json", "report.html"]
    for name in made:
        (out / name).write_text("made from the passages")
    same = runner.invoke(app, ["ingest", str(path), "--out", str(out)])
    assert same.exit_code == 0 and "removed" not in same.output and all((out / n).exists() for n in made)
    relabelled = runner.invoke(app, ["ingest", str(path), "--out", str(out), "--kind", "law"])  # a kind decides a level
    assert "removed matrix.json, report.html" in relabelled.output and (out / "predictions.parquet").exists()
    for name in made:
        (out / name).write_text("made from the passages")
    path.write_text(GOOD.replace("will", "may"))
    changed = runner.invoke(app, ["ingest", str(path), "--out", str(out)])
    assert changed.exit_code == 0 and not any((out / n).exists() for n in made)
    assert "removed predictions.parquet, matrix.json, report.html from" in changed.output


def test_cli_ingest_says_when_a_folder_holds_nothing_to_read(tmp_path):
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / ".notes.txt").write_text(GOOD)
    result = runner.invoke(app, ["ingest", str(tmp_path / "in"), "--out", str(tmp_path / "run")])
    assert result.exit_code == 1 and "nothing to read: no PDF, text or HTML file" in result.output


def test_cli_ingest_parallel_matches_serial(shared_corpus, tmp_path):
    files = [str(shared_corpus / n) for n in ("ee-2014-cyber-security-strategy.txt", "us-2004-fips-199-security-categorization.pdf")]
    for jobs in ("1", "2"):
        assert runner.invoke(app, ["ingest", *files, "--out", str(tmp_path / jobs), "--jobs", jobs]).exit_code == 0
    assert [p.id for p in read_passages(tmp_path / "1" / "passages.parquet")] == [
        p.id for p in read_passages(tmp_path / "2" / "passages.parquet")
    ]


def test_cli_corpus_fetch_and_list(shared_corpus, tmp_path):
    dest = tmp_path / "files"
    result = runner.invoke(app, ["corpus", "fetch", "--mirror", str(shared_corpus), "--dest", str(dest)])
    assert result.exit_code == 0, result.output
    assert "0 missing, 0 sha256 mismatch" in result.output
    listing = runner.invoke(app, ["corpus", "list", "--files", str(dest)])
    assert listing.exit_code == 0 and "69 fetched" in listing.output
    empty = tmp_path / "mirror"
    empty.mkdir()
    missing = runner.invoke(app, ["corpus", "fetch", "--mirror", str(empty), "--dest", str(tmp_path / "f2")])
    assert missing.exit_code == 1 and "not in the mirror" in missing.output


def test_cli_help_imports_nothing_heavy():
    code = (
        "import sys\nfrom typer.testing import CliRunner\nfrom pipeline.cli import app\n"
        "r = CliRunner().invoke(app, ['--help'])\nassert r.exit_code == 0\n"
        "heavy = [m for m in ('torch', 'transformers', 'spacy', 'pandas', 'pdfplumber') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_cli_help_shows_every_option_and_its_default():
    """Rich reads "[…]" in a help text as markup and drops it: a default written into the
    help ("Worker processes [default: one per CPU core]") vanished, and `--jobs` read as
    "[default: 0]". Defaults go in show_default; no help text may hold a bracket."""
    import typer.main

    def walk(command, path):
        yield path, command
        for name, sub in getattr(command, "commands", {}).items():
            yield from walk(sub, [*path, name])

    commands = {tuple(path): command for path, command in walk(typer.main.get_command(app), [])}
    assert ("annotate", "suggest") in commands and ("corpus", "fetch") in commands
    for path, command in commands.items():
        for param in command.params:
            assert "[" not in (getattr(param, "help", None) or ""), (path, param.name, param.help)
    wide = runner.invoke(app, ["run", "--help"], terminal_width=200, env={"COLUMNS": "200"})
    assert "Files or folders. [default: (the fetched corpus)]" in wide.output
    assert "[default: (one per CPU core, at most 4)]" in wide.output and "[default: 0]" not in wide.output


def test_cli_ingest_reads_a_file_given_twice_or_copied_once_and_says_so(tmp_path):
    """Two copies of one act would double every count and every evidence list."""
    path = tmp_path / "act.txt"
    path.write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "copy.txt").write_text(GOOD)
    out = tmp_path / "run"
    result = runner.invoke(app, ["ingest", str(path), str(path), str(tmp_path / "sub"), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert len((out / "documents.jsonl").read_text().splitlines()) == 1
    text = " ".join(result.output.split())
    assert f"{path}: the same file as {path} (identical content), read once" in text
    assert "copy.txt: the same file as" in text and "2 duplicate file(s) read once" in text
    info = json.loads((out / "run.json").read_text())
    assert [d["same_as"] for d in info["duplicates"]] == [str(path), str(path)]
    # every file given is counted as done, so the progress bar reaches its total
    from pipeline.config import Settings
    from pipeline.runner import ingest_batch

    done = []
    ingest_batch([path, path, tmp_path / "missing.txt"], [], Settings(), on_file=done.append)
    assert done == [path, path, tmp_path / "missing.txt"]


def test_cli_ingest_stores_a_jurisdiction_lower_cased_and_says_when_options_do_not_apply(tmp_path, shared_corpus):
    """`--jurisdiction RU` was stored as given but filtered lower-cased: no filter reached it.
    Options never override the manifest: a file it describes keeps its metadata, and is named."""
    path = tmp_path / "act.txt"
    path.write_text(GOOD)
    out = tmp_path / "run"
    assert runner.invoke(app, ["ingest", str(path), "--out", str(out), "--jurisdiction", "RU"]).exit_code == 0
    assert json.loads((out / "documents.jsonl").read_text())["jurisdiction"] == "ru"
    known = shared_corpus / "ke-2018-computer-misuse-cybercrimes-act.txt"
    result = runner.invoke(app, ["ingest", str(known), "--out", str(tmp_path / "run2"), "--kind", "strategy"])
    assert result.exit_code == 0, result.output
    assert "not applied: the manifest describes this file (ke, law, 2018)" in " ".join(result.output.split())
