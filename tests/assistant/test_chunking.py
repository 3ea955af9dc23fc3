"""Chunking: stable ids, heading paths, token limits, the summary passage."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from assistant.chunking import chunk_corpus, chunk_document, chunk_id, split_sections
from assistant.corpus import load_file
from assistant.types import Source, SourceDocument
from tests.conftest import CORPUS


def _doc(body: str, id: str = "doc", summary: str = "", aliases: tuple[str, ...] = ()) -> SourceDocument:
    return SourceDocument(
        id=id,
        kind="course",
        title="Titel",
        lang="sv",
        body=body,
        path=f"{id}.md",
        summary=summary,
        aliases=aliases,
        sources=(Source("Källa", "https://example.org/1"), Source("Källa 2", "https://example.org/2")),
        licence="CC-BY-4.0",
    )


@pytest.fixture(scope="module")
def encoding(models_dir: Path) -> object:
    import tiktoken

    return tiktoken.get_encoding("o200k_base")


# ---------------------------------------------------------------- chunk_id


def test_chunk_id_is_stable_and_shaped() -> None:
    cid = chunk_id("medborgarrad", "Vad är det", "Text.")
    assert cid == chunk_id("medborgarrad", "Vad är det", "Text.")
    assert re.fullmatch(r"medborgarrad:[0-9a-f]{16}", cid)


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (("d", "S", "text"), ("e", "S", "text")),  # another document
        (("d", "S", "text"), ("d", "T", "text")),  # another section
        (("d", "S", "text"), ("d", "S", "text.")),  # the text changed
        (("d", "a b", "c"), ("d", "a", "b c")),  # the separator keeps fields apart
        (("d", "", "x"), ("d", "x", "")),
        (("d", "S", "åäö"), ("d", "S", "aao")),
    ],
)
def test_chunk_id_changes_with_any_part(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    assert chunk_id(*a) != chunk_id(*b)


# ---------------------------------------------------------------- split_sections


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("", []),
        ("Bara text.", [("", "Bara text.")]),
        ("## A\nett\n## B\ntvå\n", [("A", "ett"), ("B", "två")]),
        ("Inledning.\n\n# H\n\nA\n\n## Sub\n\nB\n", [("", "Inledning."), ("H", "A"), ("H › Sub", "B")]),
        ("## Tom\n\n## Full\ntext\n", [("Full", "text")]),  # an empty section gives no chunk
        ("# H\n## S\n### D\ndjup\n", [("H › S › D", "djup")]),
        ("## A\n#### Fyra\ntext\n", [("A", "#### Fyra\ntext")]),  # only levels 1–3 split
    ],
)
def test_split_sections(body: str, expected: list[tuple[str, str]]) -> None:
    assert split_sections(body) == expected


# ---------------------------------------------------------------- chunk_document


def test_summary_and_aliases_become_the_first_passage(models_dir: Path) -> None:
    doc = _doc("## Del\nText.", summary="Kort sammanfattning.", aliases=("alias ett", "citizens' jury"))
    chunks = chunk_document(doc, encoding_name="o200k_base", chunk_tokens=320, overlap=0)
    assert [c.section for c in chunks] == ["Sammanfattning", "Del"]
    assert chunks[0].text == "Kort sammanfattning.\n\nAndra namn: alias ett, citizens' jury."
    assert chunks[1].text == "Text."


def test_chunks_carry_document_metadata(models_dir: Path) -> None:
    chunks = chunk_document(_doc("## Del\nText."), encoding_name="o200k_base", chunk_tokens=320, overlap=0)
    (c,) = chunks
    assert (c.doc_id, c.title, c.kind, c.lang, c.licence, c.origin) == (
        "doc",
        "Titel",
        "course",
        "sv",
        "CC-BY-4.0",
        "metodguiden",
    )
    assert c.urls == ("https://example.org/1", "https://example.org/2")
    assert c.id == chunk_id("doc", "Del", "Text.")
    assert c.embed_text == "Titel – Del\n\nText."


def test_long_sections_are_split_under_the_token_limit(models_dir: Path, encoding: object) -> None:
    sentences = " ".join(f"Mening nummer {i} handlar om medborgardialog i kommunen." for i in range(200))
    body = f"## Lång\n{sentences}\n\n## Kort\nSlut."
    chunks = chunk_document(_doc(body), encoding_name="o200k_base", chunk_tokens=64, overlap=8)
    long = [c for c in chunks if c.section == "Lång"]
    assert len(long) > 10
    assert max(len(encoding.encode(c.text)) for c in long) <= 64  # type: ignore[attr-defined]
    assert [c.position for c in chunks] == list(range(len(chunks)))
    assert chunks[-1].section == "Kort" and chunks[-1].text == "Slut."
    # Every sentence survives the split.
    joined = " ".join(c.text for c in long)
    assert all(f"nummer {i} " in joined for i in range(200))


def test_overlap_repeats_text_between_neighbours(models_dir: Path) -> None:
    words = " ".join(f"ord{i}" for i in range(400))
    chunks = chunk_document(_doc(f"## S\n{words}"), encoding_name="o200k_base", chunk_tokens=64, overlap=16)
    first, second = chunks[0].text.split(), chunks[1].text.split()
    assert set(first) & set(second)


def test_identical_passages_in_one_section_are_kept_once(models_dir: Path) -> None:
    para = "Det här stycket upprepas ordagrant två gånger i samma avsnitt av dokumentet för att testa."
    body = f"## S\n{para}\n\n{para}\n\n## T\n{para}\n"
    chunks = chunk_document(_doc(body), encoding_name="o200k_base", chunk_tokens=32, overlap=0)
    assert [(c.section, c.text) for c in chunks] == [("S", para), ("T", para)]
    assert len({c.id for c in chunks}) == len(chunks)


def test_chunking_is_deterministic_on_a_real_card(models_dir: Path, encoding: object) -> None:
    doc, problems = load_file(CORPUS / "methods" / "medborgarrad.md")
    assert doc is not None and not problems
    first = chunk_document(doc, encoding_name="o200k_base", chunk_tokens=320, overlap=48)
    second = chunk_document(doc, encoding_name="o200k_base", chunk_tokens=320, overlap=48)
    assert first == second
    sections = {c.section for c in first}
    assert {"Sammanfattning", "Vad är det", "Så går det till", "Vanliga fallgropar"} <= sections
    assert max(len(encoding.encode(c.text)) for c in first) <= 320  # type: ignore[attr-defined]


def test_chunk_corpus_keeps_document_order(models_dir: Path) -> None:
    docs = [_doc("## A\nett", id="b-doc"), _doc("## A\nett", id="a-doc")]
    chunks = chunk_corpus(docs, encoding_name="o200k_base", chunk_tokens=320, overlap=0)
    assert [c.doc_id for c in chunks] == ["b-doc", "a-doc"]
    assert chunks[0].id != chunks[1].id
