"""EmbeddingGemma's two backends on the real corpus and gold questions: agreement, or one backend's speed.

    .venv/bin/python -m evals.gemma_backends [--passages 200] [--questions 50]
    .venv/bin/python -m evals.gemma_backends --speed torch|onnx [--passages 200] [--questions 50]

Passages are the corpus chunked as the index chunks it, taken at an even stride (as `metodguiden bench`
takes them); questions are the first gold questions. Without --speed: the cosine between the two backends'
vectors (min and mean, passages and questions) and how many questions rank the same top 5 passages.
With --speed: in this process only that backend, so that the peak memory is its own: model load, passages
per second (all at once, sorted in batches as the index embeds them), questions one at a time (p50/p95).
Run the backends alternately, each in a fresh process, to compare them on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import time
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def agreement(
    torch_docs: np.ndarray, onnx_docs: np.ndarray, torch_q: np.ndarray, onnx_q: np.ndarray
) -> dict[str, Any]:
    """Cosine min/mean of paired unit vectors (in float64: float32 sums round at ~1e-7), the largest distance
    between a pair, and the questions whose top 5 passages agree (in order)."""
    torch_docs, onnx_docs, torch_q, onnx_q = (
        a.astype(np.float64) for a in (torch_docs, onnx_docs, torch_q, onnx_q)
    )
    doc_cos, q_cos = np.sum(torch_docs * onnx_docs, axis=1), np.sum(torch_q * onnx_q, axis=1)
    distance = max(
        float(np.linalg.norm(torch_docs - onnx_docs, axis=1).max()),
        float(np.linalg.norm(torch_q - onnx_q, axis=1).max()),
    )
    top_t = np.argsort(-(torch_q @ torch_docs.T), axis=1)[:, :5]
    top_o = np.argsort(-(onnx_q @ onnx_docs.T), axis=1)[:, :5]
    return {
        "passages": len(doc_cos),
        "questions": len(q_cos),
        "passage_cosine_min": float(doc_cos.min()),
        "passage_cosine_mean": float(doc_cos.mean()),
        "question_cosine_min": float(q_cos.min()),
        "question_cosine_mean": float(q_cos.mean()),
        "max_distance": distance,
        # how far float16 storage (the corpus embedding cache) moves the same vectors, for scale
        "float16_distance": float(np.linalg.norm(onnx_docs - onnx_docs.astype(np.float16), axis=1).max()),
        "same_top5": int(sum(a.tolist() == b.tolist() for a, b in zip(top_t, top_o, strict=True))),
    }


def speed(embedder: Any, passages: list[str], questions: list[str]) -> dict[str, Any]:
    """Load, passages per second and per-question latency of one embedder, and this process's peak memory."""
    from assistant.bench import percentile

    start = time.perf_counter()
    embedder.embed(["uppvärmning"], "query")  # a lazily loaded model loads here
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    embedder.embed(passages, "document")
    passages_per_s = len(passages) / (time.perf_counter() - start)
    times = []
    for question in questions:
        start = time.perf_counter()
        embedder.embed([question], "query")
        times.append((time.perf_counter() - start) * 1000)
    return {
        "backend": getattr(embedder, "backend", ""),
        "model_load_s": load_s,
        "passages_per_s": passages_per_s,
        "query_p50_ms": percentile(times, 50),
        "query_p95_ms": percentile(times, 95),
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def main() -> None:
    """Embed the sample with both backends and print the agreement as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--speed", choices=["torch", "onnx"], help="time this backend alone")
    args = parser.parse_args()

    from assistant.chunking import chunk_with
    from assistant.config import apply_process_environment, load_settings
    from assistant.corpus import load_corpus
    from assistant.embeddings import make_embedder
    from evals.gold import MethodCatalog, load_gold

    settings = load_settings(os.environ, None, embedder="gemma")
    apply_process_environment(settings, os.environ)  # type: ignore[arg-type]
    documents = load_corpus(settings.corpus_dirs).documents
    chunks = chunk_with(settings, documents)
    passages = [c.embed_text for c in chunks[:: max(1, len(chunks) // args.passages)][: args.passages]]
    cases = load_gold(
        ROOT / "evals" / "gold", MethodCatalog.from_documents(documents), {d.id for d in documents}
    )
    questions = [c.question for c in cases[: args.questions]]
    if args.speed:
        figures = speed(make_embedder(settings.replace(gemma_backend=args.speed)), passages, questions)
        print(json.dumps({**figures, "passages": len(passages), "questions": len(questions)}))
        return
    vectors = {}
    for backend in ("torch", "onnx"):
        embedder = make_embedder(settings.replace(gemma_backend=backend))
        vectors[backend] = (embedder.embed(passages, "document"), embedder.embed(questions, "query"))
    (torch_docs, torch_q), (onnx_docs, onnx_q) = vectors["torch"], vectors["onnx"]
    print(json.dumps(agreement(torch_docs, onnx_docs, torch_q, onnx_q)))


if __name__ == "__main__":
    main()
