"""Retrieval: reciprocal rank fusion, the three retrievers and filters, and the question checks before them."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path

import pytest

from assistant.config import Settings
from assistant.corpus import load_corpus
from assistant.embeddings import FakeEmbedder
from assistant.errors import QuestionError
from assistant.index import OpenIndex, build_index, open_index
from assistant.retrieval import (
    DenseRetriever,
    HybridRetriever,
    KeywordRetriever,
    make_retriever,
    reciprocal_rank_fusion,
)
from assistant.types import Filters
from assistant.understanding import clean_question, detect_language

# ---------------------------------------------------------------- reciprocal_rank_fusion


def _rrf(*ranks: int, k: int = 60) -> float:
    return sum(1.0 / (k + r) for r in ranks)


@pytest.mark.parametrize(
    ("rankings", "k", "expected"),
    [
        ([], 60, []),
        ([[]], 60, []),
        ([["a"]], 60, [("a", _rrf(1))]),
        ([["a", "b", "c"]], 60, [("a", _rrf(1)), ("b", _rrf(2)), ("c", _rrf(3))]),
        # agreement wins over one first place
        ([["a", "b"], ["b", "c"]], 60, [("b", _rrf(2, 1)), ("a", _rrf(1)), ("c", _rrf(2))]),
        # ties keep the order of first appearance, whichever list it came from
        ([["a", "b"], ["b", "a"]], 60, [("a", _rrf(1, 2)), ("b", _rrf(2, 1))]),
        ([["x"], ["y"]], 60, [("x", _rrf(1)), ("y", _rrf(1))]),
        ([["y"], ["x"]], 60, [("y", _rrf(1)), ("x", _rrf(1))]),
        # a small k rewards the top ranks more
        ([["a", "b", "c"], ["c"]], 1, [("c", _rrf(3, 1, k=1)), ("a", _rrf(1, k=1)), ("b", _rrf(2, k=1))]),
        ([["a", "b", "c"], ["c"]], 60, [("c", _rrf(3, 1)), ("a", _rrf(1)), ("b", _rrf(2))]),
        # three lists
        ([["a"], ["b"], ["b"]], 60, [("b", _rrf(1, 1)), ("a", _rrf(1))]),
    ],
)
def test_reciprocal_rank_fusion(rankings: list[list[str]], k: int, expected: list[tuple[str, float]]) -> None:
    got = reciprocal_rank_fusion(rankings, k=k)
    assert [i for i, _ in got] == [i for i, _ in expected]
    assert [s for _, s in got] == pytest.approx([s for _, s in expected])


def test_fusion_scores_are_sorted_and_positive() -> None:
    got = reciprocal_rank_fusion([[f"d{i}" for i in range(50)], [f"d{i}" for i in range(49, -1, -1)]])
    scores = [s for _, s in got]
    assert scores == sorted(scores, reverse=True) and all(s > 0 for s in scores)
    assert len(got) == 50


# ---------------------------------------------------------------- retrievers over a fake-embedded index


@pytest.fixture()
def index(fake_settings: Settings, write_method: Callable[..., Path]) -> OpenIndex:
    folder = fake_settings.corpus_dirs[0]
    write_method(
        folder / "methods",
        "budgetmetod",
        title="Budgetmetoden",
        body="Invånarna röstar om pengar i budgeten.",
    )
    write_method(
        folder / "methods", "vandring", title="Vandringsmetoden", body="Trygghetsvandring en mörk kväll."
    )
    course = folder / "course" / "kurs.md"
    course.parent.mkdir(parents=True)
    course.write_text(
        "---\nid: kurs\nkind: course\ntitle: Kursmodul\nlang: sv\nsummary: En kursmodul om återkoppling.\n"
        'sources:\n  - {title: "Källa", url: "https://example.org/kurs"}\nlicence: CC-BY-4.0\n---\n'
        "## Återkoppling\nBerätta för deltagarna vad som hände med deras budgetförslag.\n",
        encoding="utf-8",
    )
    report = load_corpus(fake_settings.corpus_dirs)
    assert not report.problems
    build_index(fake_settings, FakeEmbedder(), report.documents)
    return open_index(fake_settings, "fake64")


def test_dense_finds_shared_words_first(index: OpenIndex) -> None:
    hits = DenseRetriever(index, FakeEmbedder()).retrieve("Trygghetsvandring en mörk kväll", 3)
    assert hits[0].chunk.doc_id == "vandring" and hits[0].chunk.section == "Vad är det"
    assert [h.rank for h in hits] == [1, 2, 3]
    assert 1.0 >= hits[0].score > hits[1].score >= hits[2].score  # cosine similarity, best first
    assert {h.retriever for h in hits} == {"dense"}


def test_keyword_uses_swedish_stemming(index: OpenIndex) -> None:
    hits = KeywordRetriever(index).retrieve("trygghetsvandringen", 5)
    assert hits and hits[0].chunk.doc_id == "vandring"
    assert all(h.score > 0 for h in hits)


def test_keyword_without_known_words_finds_nothing(index: OpenIndex) -> None:
    assert KeywordRetriever(index).retrieve("xylofon zeppelinare", 5) == []
    assert KeywordRetriever(index).retrieve("och att som", 5) == []  # stop words only


def test_hybrid_fuses_both_lists(index: OpenIndex) -> None:
    dense = DenseRetriever(index, FakeEmbedder())
    keyword = KeywordRetriever(index)
    hybrid = HybridRetriever(dense, keyword)
    query = "budgetförslag återkoppling"
    hits = hybrid.retrieve(query, 4)
    assert len(hits) == 4 and {h.retriever for h in hits} == {"hybrid"}
    fused = reciprocal_rank_fusion(
        [
            [i for i, _ in dense.ranked_ids(query, 30, Filters())],
            [i for i, _ in keyword.ranked_ids(query, 30, Filters())],
        ]
    )
    assert [h.chunk.id for h in hits] == [i for i, _ in fused[:4]]
    assert hits[0].chunk.doc_id == "kurs"


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
@pytest.mark.parametrize(
    ("filters", "check"),
    [
        (Filters(kind="course"), lambda c: c.kind == "course"),
        (Filters(doc_id="vandring"), lambda c: c.doc_id == "vandring"),
        (Filters(kind="method", lang="sv"), lambda c: c.kind == "method" and c.lang == "sv"),
        (Filters(lang="en"), lambda c: False),
    ],
)
def test_filters_hold_in_every_mode(
    index: OpenIndex, mode: str, filters: Filters, check: Callable[..., bool]
) -> None:
    retriever = make_retriever(mode, index, FakeEmbedder())  # type: ignore[arg-type]
    hits = retriever.retrieve("budget återkoppling trygghetsvandring metoden", 20, filters)
    assert all(check(h.chunk) for h in hits)
    if filters.lang != "en":
        assert hits


@pytest.mark.parametrize("mode", ["dense", "keyword", "hybrid"])
def test_k_limits_the_results(index: OpenIndex, mode: str) -> None:
    retriever = make_retriever(mode, index, FakeEmbedder())  # type: ignore[arg-type]
    hits = retriever.retrieve("metoden budget vandring", 2)
    assert len(hits) == 2
    assert len({h.chunk.id for h in retriever.retrieve("metoden budget vandring", 50)}) == len(
        retriever.retrieve("metoden budget vandring", 50)
    )


def test_make_retriever_picks_the_mode(index: OpenIndex) -> None:
    assert isinstance(make_retriever("dense", index, FakeEmbedder()), DenseRetriever)
    assert isinstance(make_retriever("keyword", index, FakeEmbedder()), KeywordRetriever)
    assert isinstance(make_retriever("hybrid", index, FakeEmbedder()), HybridRetriever)


@pytest.mark.integration
def test_gemma_dense_retrieval_on_the_small_corpus(
    small_corpus: Path, tmp_path: Path, models_dir: Path, gemma: object
) -> None:
    """The real model on real cards: Swedish and English questions reach the right card."""
    from assistant.pipeline import Assistant

    settings = Settings(
        data_dir=tmp_path / "data", models_dir=models_dir, corpus_dirs=(small_corpus / "methods",)
    )
    report = load_corpus(settings.corpus_dirs)
    # Summary and "Vad är det" of three real cards: a handful of passages keeps the model's work small.
    docs = [
        dataclasses.replace(d, body=d.body.split("## När passar det")[0])
        for d in report.documents
        if d.id in {"medborgarbudget", "trygghetsvandring", "fokusgrupp"}
    ]
    result = build_index(settings, gemma, docs)  # type: ignore[arg-type]
    assert result.documents == 3 and result.chunks <= 12
    assistant = Assistant.from_settings(settings, gemma)  # type: ignore[arg-type]
    # English questions go dense only: on three cards BM25 matches English function words ("in") by chance.
    for question, expected, modes in [
        (
            "Hur kan invånarna vara med och bestämma vad kommunens pengar ska användas till?",
            "medborgarbudget",
            ("dense", "hybrid"),
        ),
        (
            "Hur hittar vi platser i bostadsområdet som känns otrygga?",
            "trygghetsvandring",
            ("dense", "hybrid"),
        ),
        ("How do we find places in the neighbourhood that feel unsafe?", "trygghetsvandring", ("dense",)),
    ]:
        for mode in modes:
            hits = assistant.search(question, 3, mode=mode)  # type: ignore[arg-type]
            assert hits[0].chunk.doc_id == expected, (question, mode)


# ---------------------------------------------------------------- the question, before retrieval


@pytest.mark.parametrize(
    ("text", "lang"),
    [
        ("Vilken metod passar för att nå unga?", "sv"),
        ("Hur går ett medborgarråd till?", "sv"),
        ("What is a citizens' assembly and when should we use one?", "en"),
        ("How does participatory budgeting work?", "en"),
        ("medborgarbudget", "sv"),  # unsure: Swedish
        ("", "sv"),
        ("Vad kostar det?", "sv"),
        ("Which method is best for reaching young people in our town?", "en"),
        ("Åsikter om återkoppling", "sv"),
    ],
)
def test_detect_language(text: str, lang: str) -> None:
    assert detect_language(text) == lang


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Hur   går\tdet\ntill?  ", "Hur går det till?"),
        ("a\x00b\x07c", "a b c"),
        ("Fråga\r\nmed  rad", "Fråga med rad"),
        ("x" * 20, "x" * 20),
    ],
)
def test_clean_question(raw: str, clean: str) -> None:
    assert clean_question(raw, 20) == clean


@pytest.mark.parametrize(
    ("raw", "says"), [("", "tom"), ("  \n\t ", "tom"), ("\x00\x01", "tom"), ("x" * 21, "21 tecken")]
)
def test_clean_question_refuses(raw: str, says: str) -> None:
    with pytest.raises(QuestionError) as info:
        clean_question(raw, 20)
    assert says in info.value.message and info.value.hint


def test_clean_question_refuses_non_text() -> None:
    with pytest.raises(QuestionError):
        clean_question(None, 20)  # type: ignore[arg-type]
