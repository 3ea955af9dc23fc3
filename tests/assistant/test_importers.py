"""File importers (`corpus add`): real PDF, DOCX, HTML and Markdown files made here, and bad input."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from assistant.config import Settings
from assistant.corpus import load_corpus, parse_document
from assistant.errors import CorpusError
from assistant.importers import ImportOverrides, import_file
from assistant.importers.common import (
    check_file_name,
    content_hash,
    render_document,
    slugify,
)
from assistant.importers.docx import heading_level

TODAY = dt.date(2025, 3, 14)
COMPLETE = ImportOverrides(
    kind="course",
    lang="sv",
    summary="En handledning om hur kommuner planerar medborgardialog.",
    licence="CC-BY-4.0",
    source_url="https://example.org/handbok",
)


def make_pdf(pages: list[str], title: str = "") -> bytes:
    """A minimal, valid PDF with one text line per string line (Helvetica, WinAnsi for å ä ö)."""

    def esc(s: str) -> str:
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    objs: list[bytes] = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{' '.join(f'{5 + 2 * i} 0 R' for i in range(len(pages)))}] "
        f"/Count {len(pages)} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
        f"<< /Title ({esc(title)}) >>".encode("latin-1"),
    ]
    for i, text in enumerate(pages):
        lines = "\n".join(f"({esc(line)}) Tj T*" for line in text.splitlines())
        stream = f"BT /F1 12 Tf 72 720 Td 14 TL\n{lines}\nET".encode("latin-1")
        objs.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {6 + 2 * i} 0 R >>".encode()
        )
        objs.append(b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream")
    out = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objs, start=1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n".encode() + obj + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objs) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{off:010d} 00000 n \n".encode() for off in offsets)
    out += (
        f"trailer\n<< /Size {len(objs) + 1} /Root 1 0 R /Info 4 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def make_docx(path: Path) -> Path:
    """A real .docx with a title, headings on two levels, a bulleted list and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Handbok för dialog", 0)
    document.add_heading("Bakgrund", 1)
    document.add_paragraph("Kommunen vill att fler invånare ska kunna påverka planeringen.")
    document.add_heading("Detaljer", 2)
    document.add_paragraph("Första punkten", style="List Bullet")
    document.add_paragraph("Andra punkten", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.cell(0, 0).text, table.cell(0, 1).text = "Steg", "Vecka"
    table.cell(1, 0).text, table.cell(1, 1).text = "Inbjudan", "1"
    document.save(str(path))
    return path


SAVED_PAGE = """<!doctype html>
<html lang="sv-SE"><head><meta charset="utf-8"><title>Medborgardialog i Exempelby</title>
<link rel="canonical" href="https://example.org/dialog/exempelby">
<style>.x { color: red }</style><script>window.tracker = "SPÅRNINGSKOD";</script></head>
<body>
<header><div class="logo">Exempelby kommun</div><nav><a href="/">Startsida</a><a href="/om">Om oss MENYTEXT</a></nav></header>
<aside>Relaterade länkar SIDOSPALT</aside>
<main>
  <h1>Medborgardialog i Exempelby</h1>
  <p>Kommunen bjöd in <strong>alla invånare</strong> till tre samtalskvällar om parken.</p>
  <h2>Så gick det till</h2>
  <ol><li>Inbjudan via brev</li><li>Samtal i mindre grupper</li></ol>
  <p>Återkoppling gavs efter sex veckor.</p>
</main>
<footer>Kontakta oss SIDFOT</footer>
<script>track("SKRIPT2")</script>
</body></html>
"""


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    """An empty corpus folder, the import target."""
    folder = tmp_path / "corpus"
    folder.mkdir()
    return folder


@pytest.fixture()
def incoming(tmp_path: Path) -> Path:
    """Where the trainer's files come from (outside the corpus)."""
    folder = tmp_path / "incoming"
    folder.mkdir()
    return folder


def _files(root: Path) -> dict[str, tuple[int, int]]:
    return {
        str(p.relative_to(root)): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file()
    }


# --- pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Handbok Dialog.pdf", "handbok-dialog-pdf"),
        ("Åtgärder för ÖKAD delaktighet", "atgarder-for-okad-delaktighet"),
        ("...", ""),
        ("a", "a-dokument"),
        ("  Möte 2024 ", "mote-2024"),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(
    "name", ["../evil.md", "a/b.pdf", "..\\evil.md", "..", "", "x\x00.md", "/etc/passwd"]
)
def test_file_names_with_paths_are_refused(name: str) -> None:
    with pytest.raises(CorpusError, match="sökväg"):
        check_file_name(name)


@pytest.mark.parametrize("name", ["handbok.pdf", "..ok.md", "Möte 2024.docx"])
def test_plain_file_names_pass(name: str) -> None:
    check_file_name(name)


@pytest.mark.parametrize(
    ("style", "level"),
    [("Heading 1", 2), ("Heading 2", 3), ("Heading 5", 4), ("Rubrik 1", 2), ("Normal", None)],
)
def test_docx_heading_levels(style: str, level: int | None) -> None:
    assert heading_level(style) == level


def test_content_hash_ignores_whitespace_only() -> None:
    assert content_hash("Ett  stycke\n\nTvå") == content_hash("Ett stycke Två\n")
    assert content_hash("Ett stycke") != content_hash("Ett stycke till")


def test_render_document_round_trips_through_yaml() -> None:
    front = {
        "id": "x-1",
        "kind": "course",
        "title": "Rubrik: med kolon",
        "lang": "sv",
        "summary": "En mening här.",
        "sources": [{"title": "Källa", "url": "https://example.org/a", "publisher": ""}],
        "licence": "CC-BY-4.0",
        "imported": TODAY,
        "participants": {"min": 1, "max": 2},
    }
    text = render_document(front, "Text.", todo=["lang: ange språk"])
    assert text.startswith("---\n# UTKAST")
    loaded = yaml.safe_load(text.split("---\n")[1])
    assert loaded == front
    assert "  - {title: Källa" in text  # one source per line


# --- converters -----------------------------------------------------------------------------------


def test_pdf_keeps_page_numbers_and_validates(corpus: Path, incoming: Path, models_dir: Path) -> None:
    from assistant.chunking import chunk_document

    pdf = incoming / "Handbok.pdf"
    pdf.write_bytes(
        make_pdf(
            ["Inledning om dialog.", "Medborgarråd lottas ur befolkningen.", "Återkoppling."],
            title="Handbok för medborgardialog",
        )
    )
    result = import_file(pdf, None, COMPLETE, corpus_dirs=[corpus], today=TODAY)
    assert result.complete, result.problems
    assert result.path == corpus / "course" / "handbok.md"
    text = result.path.read_text(encoding="utf-8")
    assert "## Sida 1" in text and "## Sida 3" in text
    assert "title: Handbok för medborgardialog" in text
    doc, problems = parse_document(result.path, text)
    assert doc is not None and not problems
    assert doc.imported == "2025-03-14"
    chunks = chunk_document(doc, encoding_name="o200k_base", chunk_tokens=320, overlap=48)
    page2 = [c for c in chunks if c.section == "Sida 2"]
    assert page2 and "lottas" in page2[0].text
    assert page2[0].licence == "CC-BY-4.0" and page2[0].urls == ("https://example.org/handbok",)
    assert page2[0].imported == "2025-03-14"


def test_docx_headings_become_markdown(corpus: Path, incoming: Path) -> None:
    path = make_docx(incoming / "handbok.docx")
    result = import_file(path, None, COMPLETE, corpus_dirs=[corpus], today=TODAY)
    assert result.complete, result.problems
    text = result.path.read_text(encoding="utf-8")
    body = text.split("\n---\n", 1)[1]
    assert "title: Handbok för dialog" in text
    assert "## Bakgrund\n\nKommunen vill" in body
    assert "### Detaljer" in body
    assert "- Första punkten\n- Andra punkten" in body
    assert "| Inbjudan | 1 |" in body
    assert "Handbok för dialog" not in body  # the title went to the front matter


def test_html_keeps_main_text_only(corpus: Path, incoming: Path) -> None:
    page = incoming / "exempelby.html"
    page.write_text(SAVED_PAGE, encoding="utf-8")
    overrides = ImportOverrides(
        kind="case", summary="Exempelby höll samtalskvällar om parken.", licence="CC-BY-4.0"
    )
    result = import_file(page, None, overrides, corpus_dirs=[corpus], today=TODAY)
    body = result.path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert "alla invånare till tre samtalskvällar" in body
    assert "## Så gick det till" in body and "1. Inbjudan via brev" in body
    for junk in ("MENYTEXT", "SIDFOT", "SPÅRNINGSKOD", "SKRIPT2", "SIDOSPALT", "color: red", "Startsida"):
        assert junk not in body
    text = result.path.read_text(encoding="utf-8")
    assert "lang: sv" in text and "https://example.org/dialog/exempelby" in text
    # A case needs methods, place, country and years: listed, not guessed.
    assert not result.complete
    assert any(p.startswith("methods:") for p in result.problems)
    assert any(p.startswith("country:") for p in result.problems)


def test_html_prefers_article_when_there_is_no_main(corpus: Path, incoming: Path) -> None:
    page = incoming / "artikel.htm"
    page.write_text(
        "<html><body><div>MENY</div><article><p>Själva artikeltexten om dialog.</p></article>"
        "<div>Annat SKRÄP</div></body></html>",
        encoding="utf-8",
    )
    result = import_file(page, corpus, COMPLETE, today=TODAY)
    body = result.path.read_text(encoding="utf-8").split("\n---\n", 1)[1]
    assert "Själva artikeltexten" in body and "SKRÄP" not in body and "MENY" not in body


def test_complete_markdown_card_imports_and_validates(
    corpus: Path, incoming: Path, write_method: Callable[..., Path]
) -> None:
    source = write_method(incoming, "testkort", title="Testkort", body="En metod som bara finns i testet.")
    result = import_file(source, None, ImportOverrides(), corpus_dirs=[corpus], today=TODAY)
    assert result.complete, result.problems
    assert result.path == corpus / "methods" / "testkort.md"
    report = load_corpus([corpus])
    assert [d.id for d in report.documents] == ["testkort"] and not report.problems
    assert report.documents[0].attributes["cost_sek"] == {"min": 10000, "max": 100000}


def test_markdown_with_broken_yaml_is_refused(corpus: Path, incoming: Path) -> None:
    bad = incoming / "trasig.md"
    bad.write_text("---\nid: trasig\ntitle: [oavslutad\n---\nText.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=r"YAML-fel.*rad") as info:
        import_file(bad, corpus, COMPLETE)
    assert "citattecken" in info.value.hint
    assert not list(corpus.rglob("*"))


# --- drafts ---------------------------------------------------------------------------------------


def test_missing_fields_give_a_draft_that_does_not_validate(corpus: Path, incoming: Path) -> None:
    note = incoming / "Anteckningar möte.md"
    note.write_text("Vi pratade om parken.\n\n## Idéer\n\nFler bänkar.\n", encoding="utf-8")
    result = import_file(note, None, ImportOverrides(), corpus_dirs=[corpus], today=TODAY)
    assert not result.complete
    assert result.path == corpus / "utkast" / "anteckningar-mote.md"
    fields = [p.split(":", 1)[0] for p in result.problems]
    assert fields == ["kind", "title", "lang", "summary", "sources", "licence"]
    text = result.path.read_text(encoding="utf-8")
    assert "# - licence: ange textens licens" in text  # the trainer sees the list in the file
    report = load_corpus([corpus])
    assert report.documents == () and report.problems  # never indexed as it stands
    # Completing the fields (and removing the comments) makes it a valid document.
    front = yaml.safe_load(text.split("---\n")[1])
    front.update(
        kind="course",
        title="Anteckningar",
        lang="sv",
        summary="Anteckningar från ett möte om parken.",
        sources=[{"title": "Mötet", "url": "https://example.org/mote", "publisher": ""}],
        licence="CC-BY-4.0",
    )
    target = corpus / "course" / "anteckningar-mote.md"
    target.parent.mkdir()
    target.write_text(render_document(front, text.split("\n---\n", 1)[1]), encoding="utf-8")
    result.path.unlink()
    assert [d.id for d in load_corpus([corpus]).documents] == ["anteckningar-mote"]


def test_method_draft_lists_card_fields(corpus: Path, incoming: Path) -> None:
    note = incoming / "ny-metod.txt"
    note.write_text("En ny metod beskriven i löptext.\n", encoding="utf-8")
    overrides = ImportOverrides(
        kind="method",
        lang="sv",
        title="Ny metod",
        licence="CC-BY-4.0",
        summary="En metod som en utbildare har beskrivit.",
    )
    result = import_file(note, None, overrides, corpus_dirs=[corpus], today=TODAY)
    fields = {p.split(":", 1)[0] for p in result.problems}
    assert {"purposes", "cost_sek", "staff_effort", "sources"} <= fields
    assert "participants: {min: null, max: null}" in result.path.read_text(encoding="utf-8")


# --- refusals -------------------------------------------------------------------------------------


def test_duplicate_content_is_refused_naming_the_existing_file(corpus: Path, incoming: Path) -> None:
    first = incoming / "a.md"
    first.write_text("Samma text om dialog.\n", encoding="utf-8")
    done = import_file(first, None, COMPLETE, corpus_dirs=[corpus], today=TODAY)
    copy = incoming / "kopia.md"
    copy.write_text("Samma  text om\ndialog.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="samma innehåll") as info:
        import_file(copy, None, COMPLETE, corpus_dirs=[corpus], today=TODAY)
    assert str(done.path) in info.value.message
    assert sorted(p.name for p in corpus.rglob("*.md")) == ["a-dokument.md"]


def test_same_id_is_refused(corpus: Path, incoming: Path) -> None:
    (incoming / "x.md").write_text("Första texten.\n", encoding="utf-8")
    (incoming / "y.md").write_text("Andra texten.\n", encoding="utf-8")
    import_file(incoming / "x.md", None, ImportOverrides(doc_id="handbok"), corpus_dirs=[corpus])
    with pytest.raises(CorpusError, match="'handbok' används redan"):
        import_file(incoming / "y.md", None, ImportOverrides(doc_id="handbok"), corpus_dirs=[corpus])


def test_bad_inputs_are_refused_and_nothing_else_changes(
    tmp_path: Path, incoming: Path, fake_settings: Settings, write_method: Callable[..., Path]
) -> None:
    from assistant.embeddings import make_embedder
    from assistant.pipeline import index_corpus

    corpus = fake_settings.corpus_dirs[0]
    write_method(corpus / "methods", "befintlig")
    index_corpus(fake_settings, make_embedder(fake_settings))
    (incoming / "trasig.pdf").write_bytes(b"%PDF-1.4\nthis is not really a pdf\n%%EOF\n")
    (incoming / "skannad.pdf").write_bytes(make_pdf([""]))
    (incoming / "trasig.docx").write_bytes(b"PK\x03\x04 not a zip at all")
    (incoming / "tom.md").write_bytes(b"")
    (incoming / "blanksteg.md").write_text("   \n\n", encoding="utf-8")
    (incoming / "latin1.md").write_bytes("Åtgärd".encode("latin-1"))
    (incoming / "kalkyl.xlsx").write_bytes(b"PK\x03\x04")
    (incoming / "gammal.doc").write_bytes(b"\xd0\xcf\x11\xe0")
    huge = incoming / "jatte.pdf"
    with huge.open("wb") as f:
        f.truncate(200 * 1_000_000)  # sparse: no disk used, and never read
    (incoming / "ok.md").write_text("Giltig text.\n", encoding="utf-8")
    before = _files(tmp_path)
    cases: list[tuple[str, dict[str, str] | None, str]] = [
        ("trasig.pdf", None, "PDF-filen 'trasig.pdf' går inte att läsa"),
        ("skannad.pdf", None, "ingen text som går att läsa ut"),
        ("trasig.docx", None, "Word-filen 'trasig.docx' går inte att läsa"),
        ("tom.md", None, "är tom \\(0 byte\\)"),
        ("blanksteg.md", None, "innehåller ingen text"),
        ("latin1.md", None, "inte UTF-8"),
        ("kalkyl.xlsx", None, "Filtypen '.xlsx'"),
        ("gammal.doc", None, "äldre Word-fil"),
        ("jatte.pdf", None, "är 200.0 MB, över gränsen 50.0 MB"),
        ("ok.md", {"filename": "../../utanfor.md"}, "sökväg"),
        ("ok.md", {"doc_id": "../utanfor"}, "går inte att använda som filnamn"),
    ]
    for name, fields, message in cases:
        with pytest.raises(CorpusError, match=message) as info:
            overrides = ImportOverrides(**fields) if fields else COMPLETE
            import_file(incoming / name, None, overrides, corpus_dirs=[corpus])
        assert info.value.hint, name  # every refusal says what to do next
    assert _files(tmp_path) == before  # nothing written anywhere; the index is untouched


# --- CLI ------------------------------------------------------------------------------------------


def _cli(args: list[str], tmp_path: Path, models_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "METODGUIDEN_MODELS_DIR": str(models_dir)}
    return subprocess.run(
        [sys.executable, "-m", "assistant", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )


def test_cli_add_writes_documents_and_refuses_bad_files(
    tmp_path: Path, incoming: Path, models_dir: Path
) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (incoming / "handbok.pdf").write_bytes(
        make_pdf(["Sida ett om dialog.", "Sida två om återkoppling."], "Handbok")
    )
    (incoming / "bild.png").write_bytes(b"\x89PNG")
    done = _cli(
        [
            "--corpus",
            str(corpus),
            "corpus",
            "add",
            str(incoming / "handbok.pdf"),
            str(incoming / "bild.png"),
            "--kind",
            "course",
            "--lang",
            "sv",
            "--licence",
            "CC-BY-4.0",
            "--summary",
            "En handbok om dialog och återkoppling.",
            "--source-url",
            "https://example.org/h",
        ],
        tmp_path,
        models_dir,
    )
    assert done.returncode == 1, done.stderr
    assert "Klar: handbok.pdf" in done.stdout
    assert "Avvisad: Filtypen '.png'" in done.stderr and "Tips:" in done.stderr
    assert "1 av 2 filer importerade" in done.stdout
    assert (corpus / "course" / "handbok.md").exists()
    listed = _cli(["--corpus", str(corpus), "corpus", "list"], tmp_path, models_dir)
    assert listed.returncode == 0 and "handbok" in listed.stdout and "metodguiden" in listed.stdout
    draft = _cli(
        ["--corpus", str(corpus), "corpus", "add", str(make_docx(incoming / "utkast.docx"))],
        tmp_path,
        models_dir,
    )
    assert (
        draft.returncode == 0 and "Utkast: utkast.docx" in draft.stdout and "lang: ange språk" in draft.stdout
    )
    invalid = _cli(["--corpus", str(corpus), "corpus", "validate"], tmp_path, models_dir)
    assert invalid.returncode == 1 and "utkast.md" in invalid.stderr


def test_unusable_id_in_front_matter_is_replaced_and_reported(corpus: Path, incoming: Path) -> None:
    source = incoming / "x.md"
    source.write_text("---\nid: ../../Mitt Dokument\n---\nText om dialog.\n", encoding="utf-8")
    result = import_file(source, corpus, COMPLETE, today=TODAY)
    assert result.path == corpus / "mitt-dokument.md" and result.doc_id == "mitt-dokument"
    assert any("'../../Mitt Dokument'" in n for n in result.notes)
    assert [p.name for p in corpus.iterdir()] == ["mitt-dokument.md"]
