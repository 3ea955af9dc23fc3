"""Run gold cases through systems, score every answer and summarise per configuration and category."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from evals import metrics as m
from evals.gold import CATEGORIES, GoldCase
from evals.systems import Response, System
from evals.text import Lang, split_sentences

Progress = Callable[[str, int, int], None]
CASE_METRICS: tuple[str, ...] = (
    "recall@1",
    "recall@3",
    "recall@5",
    "recall@10",
    "mrr",
    "ndcg@10",
    "cited_recall",
    "hit@1",
    "hit@3",
    "method_precision",
    "abstained",
    "behavior_correct",
    "intent_correct",
    "citation_validity",
    "citation_support",
    "uncited_factual",
    "must_cover",
    "judge",
    "latency_ms",
)
MUST_COVER_PASS = 0.5


class VectorEmbedder(Protocol):
    """The part of `assistant.embeddings.Embedder` the support metric uses."""

    def embed(self, texts: Sequence[str], role: Any) -> np.ndarray:
        """Unit-length vectors, one row per text."""
        ...


class CachedEmbedder:
    """Remembers vectors by (role, text): the same passages are quoted in many answers."""

    def __init__(self, inner: VectorEmbedder) -> None:
        self.inner = inner
        self._cache: dict[tuple[str, str], np.ndarray] = {}

    def embed(self, texts: Sequence[str], role: Any) -> np.ndarray:
        """Vectors for texts, embedding only those not seen before."""
        todo = list(dict.fromkeys(t for t in texts if (role, t) not in self._cache))
        if todo:
            for text, vec in zip(todo, self.inner.embed(todo, role), strict=True):
                self._cache[(role, text)] = vec
        return np.stack([self._cache[(role, t)] for t in texts]) if texts else np.zeros((0, 0), np.float32)


class Judge(Protocol):
    """An optional LLM judge (see evals/judge.py)."""

    def score(self, question: str, answer: str, quotes: Sequence[str]) -> float | None:
        """0–1 for how well the answer answers the question from the quotes; None when unsure."""
        ...


@dataclass(frozen=True)
class CaseResult:
    """One case answered by one configuration, with its metrics and what went wrong."""

    config: str
    case: GoldCase
    response: Response
    metrics: dict[str, float | None]
    failures: tuple[str, ...]

    @property
    def passed(self) -> bool:
        """True when no check failed."""
        return not self.failures

    def to_json(self) -> dict[str, Any]:
        """One line of results.jsonl."""
        ans = self.response.answer
        return {
            "config": self.config,
            "id": self.case.id,
            "category": self.case.category,
            "lang": self.case.lang,
            "question": self.case.question,
            "history": [{"role": t.role, "content": t.content} for t in self.case.history],
            "expected_methods": list(self.case.expected_methods),
            "expected_sources": list(self.case.expected_sources),
            "expected_behavior": self.case.expected_behavior,
            "methods": [r.get("id") for r in ans.get("recommended_methods", [])],
            "citations": [
                {"n": c.get("n"), "doc_id": c.get("doc_id"), "section": c.get("section")}
                for c in ans.get("citations", [])
            ],
            "retrieved": list(m.unique(self.response.retrieved)),
            "metrics": self.metrics,
            "passed": self.passed,
            "failures": list(self.failures),
            "error": self.response.error,
            "answer": ans,
        }


def _coverage_text(ans: dict[str, Any]) -> str:
    parts = [str(ans.get("answer") or ""), str(ans.get("clarifying_question") or "")]
    for rec in ans.get("recommended_methods", []):
        parts += [str(rec.get("title", "")), *map(str, rec.get("reasons", []))]
    for phase in ans.get("plan", []) or []:
        parts += [str(phase.get("name", "")), *map(str, phase.get("activities", []))]
    return "\n".join(parts)


def support_scores(
    ans: dict[str, Any], lang: Lang, embedder: VectorEmbedder | None = None
) -> tuple[list[Any], dict[tuple[int, int], float]]:
    """Sentences of the answer and the support score of each (sentence, valid citation) pair."""
    sentences = split_sentences(str(ans.get("answer") or ""))
    quotes = {int(c["n"]): str(c.get("quote") or "") for c in ans.get("citations", []) if "n" in c}
    pairs = [(i, n) for i, s in enumerate(sentences) for n in s.markers if n in quotes]
    cosines: dict[tuple[int, int], float] = {}
    if embedder is not None and pairs:
        s_idx = sorted({i for i, _ in pairs})
        q_idx = sorted({n for _, n in pairs})
        s_vec = embedder.embed([sentences[i].text for i in s_idx], "query")
        q_vec = embedder.embed([quotes[n] for n in q_idx], "document")
        sims = s_vec @ q_vec.T
        for i, n in pairs:
            cosines[(i, n)] = float(sims[s_idx.index(i), q_idx.index(n)])
    scores = {
        (i, n): m.support_score(m.lexical_support(sentences[i].text, quotes[n], lang), cosines.get((i, n)))
        for i, n in pairs
    }
    return sentences, scores


def score_case(
    case: GoldCase, response: Response, embedder: VectorEmbedder | None = None, judge: Judge | None = None
) -> tuple[dict[str, float | None], tuple[str, ...]]:
    """Every metric for one answer, and the checks it failed (in Swedish, for the report)."""
    ans = response.answer
    text = str(ans.get("answer") or "")
    citations = ans.get("citations", []) or []
    recommended = [str(r.get("id")) for r in ans.get("recommended_methods", []) or []]
    abstained = bool(ans.get("abstained")) or response.error is not None
    should_refuse = case.expected_behavior == "refuse_or_redirect"
    lang: Lang = "en" if ans.get("language", case.lang) == "en" else "sv"
    sources = case.expected_sources
    methods = case.expected_methods if not should_refuse else ()
    sentences, scores = support_scores(ans, lang, embedder)
    out: dict[str, float | None] = {
        "recall@1": m.recall_at_k(response.retrieved, sources, 1),
        "recall@3": m.recall_at_k(response.retrieved, sources, 3),
        "recall@5": m.recall_at_k(response.retrieved, sources, 5),
        "recall@10": m.recall_at_k(response.retrieved, sources, 10),
        "mrr": m.reciprocal_rank(response.retrieved, sources),
        "ndcg@10": m.ndcg_at_k(response.retrieved, sources, 10),
        "cited_recall": m.recall_at_k([str(c.get("doc_id")) for c in citations], sources, len(citations)),
        "hit@1": m.hit_at_k(recommended, methods, 1),
        "hit@3": m.hit_at_k(recommended, methods, 3),
        "method_precision": m.precision(recommended, methods),
        "abstained": float(abstained),
        "behavior_correct": float(abstained == should_refuse),
        "intent_correct": float(ans.get("intent") == case.category) if "intent" in ans else None,
        "citation_validity": m.citation_validity(text, {int(c["n"]) for c in citations if "n" in c}),
        "citation_support": m.supported_share(sentences, scores),
        "uncited_factual": float(m.uncited_factual(sentences, lang)) if not abstained else None,
        "must_cover": m.must_cover_coverage(case.must_cover, _coverage_text(ans), case.lang),
        "judge": None,
        "latency_ms": response.latency_ms,
    }
    if judge is not None and not abstained and text:
        out["judge"] = judge.score(case.question, text, [str(c.get("quote", "")) for c in citations])
    failures: list[str] = []
    if response.error:
        failures.append(f"fel: {response.error}")
    elif should_refuse and not abstained:
        failures.append("svarade på en fråga utanför området i stället för att avböja")
    elif not should_refuse and abstained:
        failures.append("avböjde en fråga som skulle besvaras")
    if out["hit@3"] == 0.0:
        failures.append("ingen förväntad metod bland de tre första rekommendationerna")
    if out["recall@10"] == 0.0:
        failures.append("ingen förväntad källa bland de tio först hämtade dokumenten")
    if (out["citation_validity"] or 1.0) < 1.0:
        failures.append("hänvisning [n] som inte finns bland källorna")
    coverage = out["must_cover"]
    if coverage is not None and coverage < MUST_COVER_PASS and not abstained:
        failures.append(f"täcker bara {coverage:.0%} av must_cover")
    return out, tuple(failures)


def run_cases(
    cases: Sequence[GoldCase],
    systems: Sequence[System],
    *,
    embedder: VectorEmbedder | None = None,
    judge: Judge | None = None,
    progress: Progress | None = None,
) -> list[CaseResult]:
    """Every case through every system, scored."""
    results: list[CaseResult] = []
    total = len(cases) * len(systems)
    embedder = CachedEmbedder(embedder) if embedder is not None else None
    for system in systems:
        for case in cases:
            if progress:
                progress(f"Utvärderar {system.name}", len(results), total)
            response = system.respond(case.question, case.history)
            metrics, failures = score_case(case, response, embedder, judge)
            results.append(CaseResult(system.name, case, response, metrics, failures))
    if progress:
        progress("Utvärderar klart", total, total)
    return results


def summarise(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Aggregate metrics of a group of results (means over the cases where a metric applies)."""
    out: dict[str, Any] = {
        "cases": len(results),
        "errors": sum(r.response.error is not None for r in results),
    }
    for name in CASE_METRICS:
        if name != "latency_ms":
            out[name] = m.mean_defined(r.metrics.get(name) for r in results)
    out.update(
        m.abstention_scores(
            (r.case.expected_behavior == "refuse_or_redirect", r.metrics["abstained"] == 1.0) for r in results
        )
    )
    latencies = [float(r.metrics["latency_ms"] or 0.0) for r in results]
    out["latency_p50_ms"] = m.percentile(latencies, 50)
    out["latency_p95_ms"] = m.percentile(latencies, 95)
    out["pass_rate"] = sum(r.passed for r in results) / len(results) if results else None
    return out


def summary(results: Sequence[CaseResult]) -> dict[str, Any]:
    """Per configuration: overall, per category and per language."""
    by_config: dict[str, list[CaseResult]] = {}
    for r in results:
        by_config.setdefault(r.config, []).append(r)
    out: dict[str, Any] = {}
    for config, group in by_config.items():
        out[config] = {
            "overall": summarise(group),
            "by_category": {
                c: summarise([r for r in group if r.case.category == c])
                for c in CATEGORIES
                if any(r.case.category == c for r in group)
            },
            "by_lang": {
                lang: summarise([r for r in group if r.case.lang == lang])
                for lang in ("sv", "en")
                if any(r.case.lang == lang for r in group)
            },
        }
    return out
