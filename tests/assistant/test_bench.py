"""The benchmark's pure parts: percentiles, queries, ratios and the report table."""

from __future__ import annotations

import math
from typing import Any

import pytest

from assistant.bench import FIXED_QUERIES, format_report, make_queries, percentile, ratios


@pytest.mark.parametrize(
    ("values", "q", "expected"),
    [
        ([5.0], 0, 5.0),
        ([5.0], 50, 5.0),
        ([5.0], 100, 5.0),
        ([1.0, 2.0], 50, 1.5),
        ([1.0, 2.0, 3.0], 50, 2.0),
        ([3.0, 1.0, 2.0], 50, 2.0),  # order does not matter
        ([1.0, 2.0, 3.0, 4.0], 50, 2.5),
        ([1.0, 2.0, 3.0, 4.0], 0, 1.0),
        ([1.0, 2.0, 3.0, 4.0], 100, 4.0),
        ([0.0, 10.0], 95, 9.5),
        (list(map(float, range(1, 101))), 95, 95.05),
        ([2.0, 2.0, 2.0], 95, 2.0),
        ([-1.0, 1.0], 25, -0.5),
    ],
)
def test_percentile(values: list[float], q: float, expected: float) -> None:
    assert percentile(values, q) == pytest.approx(expected)


def test_percentile_of_nothing_is_nan() -> None:
    assert math.isnan(percentile([], 50))


def test_percentile_does_not_reorder_its_input() -> None:
    values = [3.0, 1.0, 2.0]
    percentile(values, 50)
    assert values == [3.0, 1.0, 2.0]


@pytest.mark.parametrize(
    ("titles", "n", "expected_tail"),
    [
        ([], 5, []),
        (
            ["Medborgarråd"],
            len(FIXED_QUERIES) + 2,
            ["Hur går Medborgarråd till?", "När passar Medborgarråd?"],
        ),
        (["A", "B"], len(FIXED_QUERIES) + 3, ["Hur går A till?", "Hur går B till?", "När passar A?"]),
    ],
)
def test_make_queries(titles: list[str], n: int, expected_tail: list[str]) -> None:
    queries = make_queries(titles, n)
    assert queries[: min(n, len(FIXED_QUERIES))] == FIXED_QUERIES[:n]
    assert queries[len(FIXED_QUERIES) :] == expected_tail
    assert len(queries) == (min(n, len(FIXED_QUERIES)) if not titles else n)


def _figures(scale: float) -> dict[str, Any]:
    return {
        "model_load_s": 1.0 * scale,
        "cold_index_s": 10.0 * scale,
        "incremental_index_s": 2.0 * scale,
        "incremental_embedded": 3,
        "chunks": 100,
        "documents": 10,
        "search": {"p50_ms": 20.0 * scale, "p95_ms": 40.0 * scale},
        "ask": {"p50_ms": 30.0 * scale, "p95_ms": 60.0 * scale},
        "peak_rss_mb": 500.0 * scale,
    }


def test_ratios_are_ours_over_baseline() -> None:
    got = ratios(_figures(1.0), _figures(2.0))
    assert set(got) == {
        "cold_index",
        "incremental_index",
        "search_p50",
        "search_p95",
        "ask_p50",
        "ask_p95",
        "peak_rss",
    }
    assert all(v == pytest.approx(0.5) for v in got.values())


def test_ratio_against_a_zero_baseline_is_infinite() -> None:
    base = _figures(1.0)
    base["incremental_index_s"] = 0.0
    assert ratios(_figures(1.0), base)["incremental_index"] == float("inf")


def test_format_report_names_both_systems_and_every_figure() -> None:
    ours, base = _figures(1.0), _figures(2.0)
    text = format_report(
        {"ours": ours, "baseline": base, "ratios": ratios(ours, base), "embedder": "gemma", "mode": "hybrid"}
    )
    assert text.startswith("Metodguiden (gemma, hybrid) mot baslinje")
    assert "10 dokument, 100 avsnitt; 3 avsnitt bäddades om." in text
    rows = text.splitlines()[3:]
    assert len(rows) == 8  # header + seven figures
    assert rows[1].split()[-3:] == ["10.0", "20.0", "0.50"]


def test_answer_latency_is_timed_with_the_query_embedding_not_from_the_cache() -> None:
    from assistant.bench import _latency
    from assistant.embeddings import FakeEmbedder
    from assistant.pipeline import CachingEmbedder

    calls: list[str] = []
    inner = FakeEmbedder(64)

    class Counting:
        key, dim = inner.key, inner.dim

        def embed(self, texts: Any, role: Any) -> Any:
            calls.extend(texts)
            return inner.embed(texts, role)

    cached = CachingEmbedder(Counting())  # type: ignore[arg-type]
    queries = ["a", "b", "c"]
    _latency(lambda q: cached.embed([q], "query"), queries)  # the search pass fills the cache
    calls.clear()
    _latency(lambda q: cached.embed([q], "query"), queries, before=cached.clear)
    assert calls == ["a", "b", "c"]  # the warm-up hit the cache; every timed query was embedded again


def _backend(scale: float) -> dict[str, Any]:
    return {
        "backend": "x",
        "model_load_s": 4.0 * scale,
        "passages": 200,
        "passages_per_s": 10.0 / scale,
        "query": {"p50_ms": 100.0 * scale, "p95_ms": 150.0 * scale},
        "peak_rss_mb": 1500.0 * scale,
    }


def test_backend_ratios_are_onnx_over_pytorch() -> None:
    from assistant.bench import backend_ratios

    got = backend_ratios(_backend(0.5), _backend(1.0))
    assert got == {
        "model_load": 0.5,
        "passages_per_s": 2.0,  # twice as many passages a second
        "query_p50": 0.5,
        "query_p95": 0.5,
        "peak_rss": 0.5,
    }


def test_format_report_puts_gemmas_backends_side_by_side_when_measured() -> None:
    from assistant.bench import backend_ratios

    ours, base = {**_figures(1.0), "backend": "onnx"}, _figures(2.0)
    onnx, torch = _backend(0.5), _backend(1.0)
    report = {
        "ours": ours,
        "baseline": base,
        "ratios": ratios(ours, base),
        "gemma-torch": torch,
        "gemma-onnx": onnx,
        "backend_ratios": backend_ratios(onnx, torch),
        "embedder": "gemma",
        "mode": "hybrid",
    }
    text = format_report(report)
    assert text.startswith("Metodguiden (gemma via onnx, hybrid) mot baslinje")
    section = text.split("EmbeddingGemma: PyTorch mot ONNX Runtime (200 avsnitt")[1].splitlines()[1:]
    assert len(section) == 6  # header + five figures
    assert section[2].split()[-3:] == ["10.0", "20.0", "2.00"]  # passages per second
    assert section[3].split()[-3:] == ["100.0", "50.0", "0.50"]  # query p50
