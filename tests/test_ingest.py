"""Ingest: bad input is named and reported; text and HTML are cleaned like PDFs; metadata
comes from the manifest by hash, a sidecar, options, or is marked unknown."""

import json
import shutil

import pytest

from pipeline.config import Settings
from pipeline.corpus import load_manifest, manifest_by_sha
from pipeline.errors import IngestError, NoTextLayerError
from pipeline.ingest import ingest_file, resolve_meta
from pipeline.records import BlockKind, DocumentMeta
from pipeline.text import sha256_file

META = DocumentMeta(doc_id="t", language="en")


def test_ingest_zero_byte_file(tmp_path):
    path = tmp_path / "empty.pdf"
    path.touch()
    with pytest.raises(IngestError, match="empty file") as err:
        ingest_file(path, META)
    assert err.value.path == str(path)


def test_ingest_not_a_pdf(tmp_path):
    path = tmp_path / "fake.pdf"
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    with pytest.raises(IngestError, match="not a PDF"):
        ingest_file(path, META)


def test_ingest_binary_text_file(tmp_path):
    path = tmp_path / "blob.txt"
    path.write_bytes(b"\x00\x01\x02" * 50)
    with pytest.raises(IngestError, match="binary file"):
        ingest_file(path, META)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"])
def test_ingest_text_saved_as_utf16(tmp_path, encoding):
    """Word's "Unicode text" export is UTF-16 with a byte-order mark: its NUL bytes made it
    "binary" before; the mark says how to read it."""
    text = "LOI SUR LA SÉCURITÉ DES RÉSEAUX\n\nArticle 1\n\nLes opérateurs prennent les mesures appropriées.\n"
    path = tmp_path / "loi.txt"
    data = text.encode(encoding)
    path.write_bytes(data if encoding == "utf-16" else b"\xfe\xff" + data)
    doc = ingest_file(path, META)
    assert "Les opérateurs prennent les mesures appropriées." in [b.text for b in doc.blocks]
    path.write_bytes(b"\xff\xfe" + "Article 1".encode("utf-16-le") + b"\x00")  # an odd byte out
    with pytest.raises(IngestError, match="marked UTF-16 does not decode"):
        ingest_file(path, META)


def test_ingest_truncated_pdf(shared_corpus, tmp_path):
    data = (shared_corpus / "us-2004-fips-199-security-categorization.pdf").read_bytes()
    path = tmp_path / "truncated.pdf"
    path.write_bytes(data[: len(data) // 3])
    with pytest.raises(IngestError, match="unreadable or truncated PDF"):
        ingest_file(path, META)


@pytest.mark.parametrize("backend", ["pdfium", "pdfplumber"])
def test_ingest_encrypted_pdf(make_pdf, backend):
    path = make_pdf("locked.pdf", [[(72, 700, "Secret text of the strategy.", 11)]], encrypt="s3cret")
    with pytest.raises(IngestError, match="encrypted PDF"):
        ingest_file(path, META, backend=backend)


def test_ingest_garbled_pdf_reported_not_turned_into_passages(shared_corpus):
    with pytest.raises(NoTextLayerError, match="garbled text layer") as err:
        ingest_file(shared_corpus / "be-2012-cyber-security-strategy-fr.pdf", META)
    assert "be-2012-cyber-security-strategy-fr.pdf" in str(err.value)


def test_ingest_image_only_pdf(make_pdf):
    path = make_pdf("scan.pdf", [[], []])
    with pytest.raises(NoTextLayerError, match="no text layer"):
        ingest_file(path, META)


def test_ingest_raw_text_extraction_reflowed(tmp_path):
    raw = (
        "NATIONAL STRATEGY\n\n"
        "The Government will establish a national CSIRT and will work to strengthen the\n"
        "resilience of operators of essential services across the whole\n\n"
        "country.\n"
        "12\n\f"
        "A new paragraph starts here after the page break.\n"
        "12 National Strategy 2020\n\f13 National Strategy 2020\nLast page text.\n\f14 National Strategy 2020\n"
        "\f15 National Strategy 2020\n\f16 National Strategy 2020\n"
    )
    path = tmp_path / "strategy.txt"
    path.write_text(raw)
    doc = ingest_file(path, META)
    texts = [b.text for b in doc.blocks]
    assert texts[0] == "NATIONAL STRATEGY" and doc.blocks[0].kind == BlockKind.heading
    assert texts[1] == (
        "The Government will establish a national CSIRT and will work to strengthen the resilience "
        "of operators of essential services across the whole country."
    )
    assert "A new paragraph starts here after the page break." in texts
    assert not any("National Strategy 2020" in t for t in texts)
    assert "12" not in texts


def test_ingest_html_same_cleaning(tmp_path):
    path = tmp_path / "act.html"
    path.write_text(
        "<html><head><style>p{}</style></head><body><nav>Menu</nav><h1>Cyber Act</h1>"
        "<p>Article 1</p><p>Scope</p><p>1. This Act applies to operators established in the territory.</p>"
        "<ul><li>(a) energy;</li><li>(b) transport.</li></ul></body></html>"
    )
    doc = ingest_file(path, META)
    assert doc.format == "html"
    assert [b.text for b in doc.blocks][:3] == ["Cyber Act", "Article 1", "Scope"]
    assert "Menu" not in doc.text
    # a page no metadata describes is cited by its <title>, not its file name; a title given wins
    path.write_text(path.read_text().replace("<head>", "<head><title>Cyber Act  2021 | Gazette</title>"))
    bare = ingest_file(path, resolve_meta(path, "0" * 64, {}, None))
    assert bare.title == "Cyber Act 2021 | Gazette" and "title from the page's <title>" in bare.warnings[-1]
    assert ingest_file(path, META.model_copy(update={"title": "Cybersecurity Act"})).title == "Cybersecurity Act"


def test_ingest_offsets_index_the_clean_text(corpus_doc):
    doc = corpus_doc("eu-2022-cer-directive.txt")
    for block in doc.blocks[:200]:
        assert doc.text[block.char_start : block.char_end] == block.text


def test_ingest_languages_recorded(corpus_doc):
    assert corpus_doc("sk-2018-cybersecurity-act.txt").language == "sk"
    assert corpus_doc("jp-2014-basic-act-on-cybersecurity.txt").language == "ja"
    assert corpus_doc("lu-2021-strategie-nationale-cybersecurite-iv-fr.pdf").language == "fr"


def test_ingest_language_detected_when_not_given(tmp_path):
    path = tmp_path / "note.txt"
    path.write_text("Le Gouvernement veillera à ce que les opérateurs prennent les mesures nécessaires.\n")
    assert ingest_file(path, DocumentMeta(doc_id="n")).language == "fr"


def test_ingest_metadata_from_manifest_by_hash_whatever_the_path(shared_corpus, tmp_path):
    renamed = tmp_path / "whatever-name.txt"
    shutil.copy(shared_corpus / "ee-2014-cyber-security-strategy.txt", renamed)
    by_sha = manifest_by_sha(load_manifest(Settings().manifest))
    meta = resolve_meta(renamed, sha256_file(renamed), by_sha)
    assert (meta.doc_id, meta.jurisdiction, meta.year, meta.kind, meta.source) == (
        "ee-2014-cyber-security-strategy", "ee", 2014, "strategy", "manifest")


def test_ingest_reads_the_pages_the_manifest_names(shared_corpus, tmp_path):
    """The Botswana gazette PDF carries three pages of an anti-doping act after the
    Cybersecurity Act: the manifest's `pages` keeps them out of the act's evidence, through
    the runner as `ddlens ingest` reads it."""
    from pipeline.runner import ingest_batch

    pdf = shared_corpus / "bw-2025-cybersecurity-act.pdf"
    result = ingest_batch([pdf], load_manifest(Settings().manifest), Settings())
    (doc,) = result.documents
    text = " ".join(b.text for b in doc.blocks)
    assert "athlete" not in text and "Cybersecurity Authority" in text
    assert max(b.last_page for b in doc.blocks if b.page) == 31 and doc.pages == 34
    assert "pages 1-31 of 34 read, as the manifest says: the others hold another document" in doc.warnings
    with pytest.raises(IngestError, match="the manifest reads pages 30-40, but the PDF has 34"):
        ingest_file(pdf, META, pages=(30, 40))
    whole = ingest_file(pdf, META)
    assert "athlete" in " ".join(b.text for b in whole.blocks)  # what the pages keep out


def test_ingest_metadata_from_sidecar_then_options_then_unknown(tmp_path):
    path = tmp_path / "Local Act 2024.txt"
    path.write_text("Operators shall notify incidents.\n")
    options = DocumentMeta(doc_id="x", jurisdiction="ee", kind="law")
    unknown = resolve_meta(path, "0" * 64, {}, None)
    assert unknown.source == "unknown" and unknown.jurisdiction == "unknown" and unknown.doc_id == "local-act-2024"
    assert "metadata unknown" in ingest_file(path, unknown).warnings[-1]
    from_options = resolve_meta(path, "0" * 64, {}, options)
    assert (from_options.jurisdiction, from_options.kind, from_options.source) == ("ee", "law", "options")
    path.with_suffix(".meta.json").write_text(json.dumps({"jurisdiction": "fi", "title": "Act", "year": 2024, "kind": "law"}))
    sidecar = resolve_meta(path, "0" * 64, {}, options)
    assert (sidecar.jurisdiction, sidecar.year, sidecar.source) == ("fi", 2024, "sidecar")
    path.with_suffix(".meta.json").write_text("{not json")
    with pytest.raises(IngestError, match="bad sidecar"):
        resolve_meta(path, "0" * 64, {}, options)
    # a kind is read whatever its case, and one the levels do not know is an error, not "policy"
    path.with_suffix(".meta.json").write_text(json.dumps({"jurisdiction": "fi", "kind": "Law"}))
    assert resolve_meta(path, "0" * 64, {}, None).kind == "law"
    path.with_suffix(".meta.json").write_text(json.dumps({"jurisdiction": "fi", "kind": "statute"}))
    with pytest.raises(IngestError, match="unknown kind 'statute': binding kinds are act, decree, directive"):
        resolve_meta(path, "0" * 64, {}, None)
    path.with_suffix(".meta.json").write_text(json.dumps({"jurisdiction": "e e", "kind": "law"}))
    with pytest.raises(IngestError, match="bad sidecar metadata: 'e e' is not a jurisdiction code"):
        resolve_meta(path, "0" * 64, {}, None)
    path.with_suffix(".meta.json").write_text(json.dumps({"jurisdiction": "US-CA", "kind": "law"}))
    assert resolve_meta(path, "0" * 64, {}, None).jurisdiction == "us-ca"
    path.with_suffix(".meta.json").write_text(json.dumps({"year": "twenty"}))
    with pytest.raises(IngestError, match=r"bad sidecar metadata: year: Input should be a valid integer[^\n]*$"):
        resolve_meta(path, "0" * 64, {}, None)
    accented = tmp_path / "Résolution [3611] (v2) – draft.txt"
    assert resolve_meta(accented, "0" * 64, {}, None).doc_id == "resolution-3611-v2-draft"
