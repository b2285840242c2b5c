import shutil

import pytest

from pipeline.config import Settings
from pipeline.corpus import corpus_paths, fetch_corpus, load_manifest
from pipeline.errors import CorpusError


def test_corpus_manifest_lists_the_default_corpus(shared_corpus):
    entries = load_manifest(Settings().manifest)
    assert len(entries) >= 60
    assert len({e.jurisdiction for e in entries}) >= 40
    for entry in entries:  # the committed manifest matches the shared files' hashes
        assert (shared_corpus / entry.filename).is_file(), entry.filename


def test_corpus_fetch_checks_hashes_and_names_problems(shared_corpus, tmp_path):
    entries = load_manifest(Settings().manifest)[:3]
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    shutil.copy(shared_corpus / entries[0].filename, mirror)
    (mirror / entries[1].filename).write_bytes(b"not the real file")
    report = fetch_corpus(entries, mirror, tmp_path / "files")
    assert report.copied == [entries[0].filename]
    assert report.mismatched == [entries[1].filename]
    assert report.missing == [entries[2].filename]
    again = fetch_corpus(entries[:1], mirror, tmp_path / "files")
    assert again.present == [entries[0].filename] and again.ok


def test_corpus_bad_manifest_names_the_line(tmp_path):
    bad = tmp_path / "manifest.csv"
    bad.write_text(
        "doc_id,jurisdiction,title,year,kind,language,format,source,sha256\n"
        "ok-doc,ee,T,2014,strategy,en,txt,,%s\nBad Id,ee,T,2014,strategy,en,txt,,%s\n" % ("a" * 64, "b" * 64)
    )
    with pytest.raises(CorpusError, match="line 3: doc_id"):
        load_manifest(bad)
    # a country's name is no code: its documents would make a row no --jurisdictions filter reaches
    bad.write_text("doc_id,jurisdiction,title,year,kind,language,format,source,sha256\n"
                   "ok-doc,Estonia,T,2014,strategy,en,txt,,%s\n" % ("a" * 64))
    with pytest.raises(CorpusError, match="line 2: jurisdiction: .*'Estonia' is not a jurisdiction code"):
        load_manifest(bad)
    bad.write_text(bad.read_text().replace("Estonia", " EE "))
    assert load_manifest(bad)[0].jurisdiction == "ee"


def test_corpus_paths_require_a_fetch(tmp_path):
    with pytest.raises(CorpusError, match="ddlens corpus fetch"):
        corpus_paths(load_manifest(Settings().manifest), tmp_path)
