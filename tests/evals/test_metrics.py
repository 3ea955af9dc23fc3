"""Unit tests of the evaluation metrics and text helpers (pure functions, tiny literal inputs)."""

from __future__ import annotations

import math

import pytest

from evals import metrics as m
from evals.gate import Thresholds, check
from evals.report import bar_chart, fmt
from evals.text import Sentence, content_stems, is_factual, markers, split_sentences


@pytest.mark.parametrize(
    ("ranked", "relevant", "k", "expected"),
    [
        (["a", "b", "c"], ["a"], 1, 1.0),
        (["b", "a", "c"], ["a"], 1, 0.0),
        (["b", "a", "c"], ["a", "c"], 2, 0.5),
        (["b", "b", "b", "a"], ["a"], 2, 1.0),  # repeated chunks of one document count once
        (["x", "y"], ["a", "b"], 10, 0.0),
        ([], ["a"], 5, 0.0),
        (["a"], [], 5, None),
    ],
)
def test_recall_at_k(ranked: list[str], relevant: list[str], k: int, expected: float | None) -> None:
    assert m.recall_at_k(ranked, relevant, k) == expected


@pytest.mark.parametrize(
    ("ranked", "relevant", "expected"),
    [
        (["a", "b"], ["a"], 1.0),
        (["b", "a"], ["a"], 0.5),
        (["b", "b", "c", "a"], ["a"], 1 / 3),
        (["b", "c"], ["a"], 0.0),
        (["a"], [], None),
    ],
)
def test_reciprocal_rank(ranked: list[str], relevant: list[str], expected: float | None) -> None:
    assert m.reciprocal_rank(ranked, relevant) == expected


@pytest.mark.parametrize(
    ("ranked", "relevant", "expected"),
    [
        (["a", "b", "x"], ["a", "b"], 1.0),
        (["x", "a"], ["a"], 1 / math.log2(3)),
        (["x", "a", "b"], ["a", "b"], (1 / math.log2(3) + 1 / math.log2(4)) / (1 + 1 / math.log2(3))),
        (["x", "y"], ["a"], 0.0),
        ([], ["a"], 0.0),
        (["a"], [], None),
    ],
)
def test_ndcg_at_10(ranked: list[str], relevant: list[str], expected: float | None) -> None:
    got = m.ndcg_at_k(ranked, relevant, 10)
    assert got == pytest.approx(expected) if expected is not None else got is None


def test_ndcg_cuts_at_k() -> None:
    assert m.ndcg_at_k(["x", "a"], ["a"], 1) == 0.0


@pytest.mark.parametrize(
    ("recommended", "expected", "k", "hit"),
    [
        (["medborgarrad", "fokusgrupp"], ["medborgarrad"], 1, 1.0),
        (["fokusgrupp", "medborgarrad"], ["medborgarrad"], 1, 0.0),
        (["fokusgrupp", "enkat", "medborgarrad"], ["medborgarrad", "x"], 3, 1.0),
        (["a", "b", "c", "medborgarrad"], ["medborgarrad"], 3, 0.0),
        ([], ["medborgarrad"], 3, 0.0),
        (["a"], [], 3, None),
    ],
)
def test_hit_at_k(recommended: list[str], expected: list[str], k: int, hit: float | None) -> None:
    assert m.hit_at_k(recommended, expected, k) == hit


@pytest.mark.parametrize(
    ("recommended", "expected", "precision"),
    [
        (["a", "b", "c", "d"], ["a", "c"], 0.5),
        (["a", "a"], ["a"], 1.0),
        (["x"], ["a"], 0.0),
        ([], ["a"], None),
        (["a"], [], None),
    ],
)
def test_precision(recommended: list[str], expected: list[str], precision: float | None) -> None:
    assert m.precision(recommended, expected) == precision


@pytest.mark.parametrize(
    ("pairs", "precision", "recall"),
    [
        ([(True, True), (True, False), (False, True), (False, False)], 0.5, 0.5),
        ([(True, True), (True, True), (False, False)], 1.0, 1.0),
        ([(True, False), (False, False)], None, 0.0),
        ([(False, True)], 0.0, None),
        ([], None, None),
    ],
)
def test_abstention_scores(
    pairs: list[tuple[bool, bool]], precision: float | None, recall: float | None
) -> None:
    assert m.abstention_scores(pairs) == {"abstention_precision": precision, "abstention_recall": recall}


@pytest.mark.parametrize(
    ("answer", "numbers", "validity"),
    [
        ("Ett påstående [1]. Ett till [2].", {1, 2}, 1.0),
        ("Ett påstående [1]. Ett påhittat [7].", {1, 2}, 0.5),
        ("Två källor [1, 3].", {1}, 0.5),
        ("Inga hänvisningar alls.", {1}, None),
        ("", set(), None),
    ],
)
def test_citation_validity(answer: str, numbers: set[int], validity: float | None) -> None:
    assert m.citation_validity(answer, numbers) == validity


@pytest.mark.parametrize(
    ("sentence", "quote", "expected"),
    [
        ("Deltagarna lottas.", "Deltagarna i rådet lottas fram ur befolkningen.", 1.0),
        (
            "Medborgarrådet lottas.",
            "Medborgarråd: deltagarna lottades.",
            1.0,
        ),  # stems: råd/rådet, lottas/lottades
        ("Fokusgruppen har 6 deltagare.", "En grupp på 6 personer.", 1 / 3),
        ("Porto Alegre 1989.", "Ett medborgarråd.", 0.0),
        ("och det är", "vad som helst", 0.0),  # only stop words: nothing to support
    ],
)
def test_lexical_support(sentence: str, quote: str, expected: float) -> None:
    assert m.lexical_support(sentence, quote, "sv") == pytest.approx(expected)


@pytest.mark.parametrize(
    ("lexical", "cosine", "score"),
    [(0.6, None, 0.6), (0.4, 0.8, 0.6), (0.2, -0.5, 0.1), (1.0, 1.0, 1.0)],
)
def test_support_score(lexical: float, cosine: float | None, score: float) -> None:
    assert m.support_score(lexical, cosine) == pytest.approx(score)


def test_supported_share_uses_best_citation_and_ignores_uncited() -> None:
    sentences = [
        Sentence("a", (1, 2), True, 0),
        Sentence("b", (3,), True, 1),
        Sentence("c", (), False, 2),
        Sentence("d", (9,), True, 3),  # marker without a returned citation: no score, unsupported
    ]
    scores = {(0, 1): 0.2, (0, 2): 0.7, (1, 3): 0.4}
    assert m.supported_share(sentences, scores) == pytest.approx(1 / 3)
    assert m.supported_share([Sentence("x", (), False, 0)], {}) is None


@pytest.mark.parametrize(
    ("answer", "uncited"),
    [
        ("Ett medborgarråd tar fyra till nio månader från beslut till svar. [1]", 0),
        ("Ett medborgarråd tar fyra till nio månader från beslut till svar.", 1),
        ("Göteborg betalade 990 kronor.", 1),  # a number makes a short sentence factual
        ("Det här säger källorna om din fråga:\nVill du veta mer?", 0),
        ("Första meningen om lottning och rekrytering av deltagare. Andra meningen om samma sak [2].", 0),
        ("- Lottning ger en bred grupp av invånare i kommunen.\n- Kort.", 1),
    ],
)
def test_uncited_factual(answer: str, uncited: int) -> None:
    assert m.uncited_factual(split_sentences(answer), "sv") == uncited


@pytest.mark.parametrize(
    ("phrases", "text", "lang", "coverage"),
    [
        (["lottning"], "Deltagarna väljs genom lottning.", "sv", 1.0),
        (["lottning"], "Deltagarna lottas.", "sv", 0.0),  # different stems: not the same word
        (["delphi"], "Delphimetoden passar.", "sv", 1.0),  # the first part of a compound
        (["lottas"], "Lottningen sker i två steg.", "sv", 0.0),  # stem 'lott' is too short to open a compound
        (["15"], "Det kostar 150 kronor.", "sv", 0.0),  # numbers never match by prefix
        (["lottning|lottas"], "Deltagarna lottas.", "sv", 1.0),  # alternatives with |
        (["återkoppling", "mandat"], "Återkopplingen ska vara tydlig.", "sv", 0.5),
        (["6–12"], "Gruppen har 6–12 personer.", "sv", 1.0),
        (["6–12"], "Gruppen har 6–8 personer.", "sv", 0.0),
        (["1,2 miljoner"], "Varje område fick 1,2 miljoner kronor.", "sv", 1.0),
        (["uppföljande möte"], "Ett uppföljande möte hålls efter vandringen.", "sv", 1.0),
        (["citizens' assembly"], "A citizens' assembly deliberates.", "en", 1.0),
        ([], "vad som helst", "sv", None),
    ],
)
def test_must_cover(phrases: list[str], text: str, lang: str, coverage: float | None) -> None:
    assert m.must_cover_coverage(phrases, text, lang) == coverage  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [([1.0, 2.0, 3.0, 4.0], 50, 2.5), ([10.0], 95, 10.0), ([1.0, 2.0], 95, 1.95), ([], 50, None)],
)
def test_percentile(values: list[float], q: float, expected: float | None) -> None:
    got = m.percentile(values, q)
    assert got == pytest.approx(expected) if expected is not None else got is None


@pytest.mark.parametrize(("values", "mean"), [([1.0, None, 0.0], 0.5), ([None], None), ([], None)])
def test_mean_defined(values: list[float | None], mean: float | None) -> None:
    assert m.mean_defined(values) == mean


@pytest.mark.parametrize(
    ("text", "nums"),
    [("a [1] b [2, 3] c [12]", [1, 2, 3, 12]), ("inga", []), ("[x] [1,2]", [1, 2])],
)
def test_markers(text: str, nums: list[int]) -> None:
    assert markers(text) == nums


def test_split_sentences_attaches_markers_and_inherits_within_paragraph() -> None:
    got = split_sentences("**Titel**: Första meningen. Andra meningen. [2]\nTredje utan källa.")
    assert [(s.text, s.markers, s.own_markers) for s in got] == [
        ("Titel: Första meningen.", (2,), False),
        ("Andra meningen.", (2,), True),
        ("Tredje utan källa.", (), False),
    ]


def test_split_sentences_marker_after_full_stop_cites_the_sentence_before() -> None:
    got = split_sentences("Rådet lottas fram. [1] Det möts fyra helger. [2]")
    assert [(s.text, s.markers, s.own_markers) for s in got] == [
        ("Rådet lottas fram.", (1,), True),
        ("Det möts fyra helger.", (2,), True),
    ]


def test_split_sentences_numbered_bold_heading_is_not_a_sentence_of_its_own() -> None:
    got = split_sentences("**1. Medborgarråd** passar när frågan är komplex. [3]")
    assert [(s.text, s.markers) for s in got] == [("Medborgarråd passar när frågan är komplex.", (3,))]


def test_split_sentences_table_rows_take_the_header_markers() -> None:
    table = "| | Medborgarråd [1] | Fokusgrupp [2] |\n|---|---|---|\n| Deltagare | 30–160 | 6–12 |"
    got = split_sentences(table)
    assert [(s.text, s.markers) for s in got] == [("Deltagare; 30–160; 6–12", (1, 2))]


@pytest.mark.parametrize(
    ("text", "factual"),
    [
        ("Hur många deltar?", False),
        ("*Vad vill ni främst uppnå med dialogen i kommunen?*", False),
        ("Se nedan:", False),
        ("År 2020.", True),
        ("Kort mening här.", False),
    ],
)
def test_is_factual(text: str, factual: bool) -> None:
    assert is_factual(Sentence(text, (), False, 0)) is factual


def test_content_stems_drop_stop_words_and_keep_numbers() -> None:
    assert content_stems("Det är 25 deltagare i rådet", "sv") == ["25", "deltag", "råd"]


@pytest.mark.parametrize(
    ("overall", "minimum", "maximum", "failing"),
    [
        ({"hit@3": 0.5, "latency_p95_ms": 900.0}, {"hit@3": 0.4}, {"latency_p95_ms": 1000.0}, []),
        ({"hit@3": 0.3}, {"hit@3": 0.4}, {}, ["hit@3"]),
        ({"hit@3": 0.5, "latency_p95_ms": 1500.0}, {}, {"latency_p95_ms": 1000.0}, ["latency_p95_ms"]),
        ({"hit@3": None}, {"hit@3": 0.4}, {}, ["hit@3"]),  # not measurable breaks the bound
        ({}, {"must_cover": 0.1}, {}, ["must_cover"]),
    ],
)
def test_gate_check(
    overall: dict[str, float | None], minimum: dict[str, float], maximum: dict[str, float], failing: list[str]
) -> None:
    assert [v.metric for v in check(overall, Thresholds("hybrid", minimum, maximum))] == failing


@pytest.mark.parametrize(("value", "text"), [(None, "–"), (0.456, "0.46"), (3, "3"), (812.4, "812")])
def test_fmt(value: float | int | None, text: str) -> None:
    assert fmt(value) == text


def test_bar_chart_scales_bars_and_marks_missing_values() -> None:
    svg = bar_chart("hit@3", ["a", "b", "c"], [("hit@3", [1.0, 0.5, None])])
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")
    assert 'width="360.0"' in svg and 'width="180.0"' in svg and 'width="0.0"' in svg
    assert ">–<" in svg
