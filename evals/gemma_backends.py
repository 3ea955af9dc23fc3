"""EmbeddingGemma's two backends on the real corpus and gold questions: agreement, or speed side by side.

    .venv/bin/python -m evals.gemma_backends [--passages 200] [--questions 50]
    .venv/bin/python -m evals.gemma_backends --speed [--passages 200] [--questions 50]

Passages are the corpus chunked as the index chunks it, taken at an even stride (as `metodguiden bench`
takes them); questions are the first gold questions. Without --speed: the cosine between the two backends'
vectors (min and mean, passages and questions), the largest distance between them and how many questions
rank the same top 5 passages. With --speed: each backend in its own process (so that its peak memory is its
own), both loaded, taking turns: model load, then batches of passages as the index embeds them, then the
questions one at a time, in alternating order. Both meet the same background load on a shared machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import resource
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import numpy as np

from assistant.onnx_export import row_cosine

ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("torch", "onnx")
PAUSE_S = 0.2


def agreement(
    torch_docs: np.ndarray, onnx_docs: np.ndarray, torch_q: np.ndarray, onnx_q: np.ndarray
) -> dict[str, Any]:
    """Cosine min/mean of paired vectors (in float64: float32 sums round at ~1e-7; divided by both norms, so a
    backend whose vectors were not unit length shows as a difference in length, not as a cosine above 1), the
    largest distance between a pair, and the questions whose top 5 passages agree (in order)."""
    torch_docs, onnx_docs, torch_q, onnx_q = (
        a.astype(np.float64) for a in (torch_docs, onnx_docs, torch_q, onnx_q)
    )
    doc_cos, q_cos = row_cosine(torch_docs, onnx_docs), row_cosine(torch_q, onnx_q)
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


def _settings() -> Any:
    from assistant.config import apply_process_environment, load_settings

    settings = load_settings(os.environ, None, embedder="gemma")
    apply_process_environment(settings, os.environ)  # type: ignore[arg-type]
    return settings


def _sample(settings: Any, passages: int, questions: int) -> tuple[list[str], list[str]]:
    """Corpus passages at an even stride, and the first gold questions."""
    from assistant.chunking import chunk_with
    from assistant.corpus import load_corpus
    from evals.gold import MethodCatalog, load_gold

    documents = load_corpus(settings.corpus_dirs).documents
    chunks = chunk_with(settings, documents)
    texts = [c.embed_text for c in chunks[:: max(1, len(chunks) // passages)][:passages]]
    ids = {d.id for d in documents}
    cases = load_gold(ROOT / "evals" / "gold", MethodCatalog.from_documents(documents), ids)
    return texts, [c.question for c in cases[:questions]]


def _worker(backend: str, conn: Connection) -> None:
    """A process with one backend: embeds what it is sent and answers with the seconds it took."""
    from assistant.embeddings import make_embedder

    embedder = make_embedder(_settings().replace(gemma_backend=backend))
    while (message := conn.recv()) is not None:
        texts, role = message
        start = time.perf_counter()
        embedder.embed(texts, role)
        conn.send(time.perf_counter() - start)
    conn.send(
        {
            "class": type(embedder).__name__,
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def speed(passages: list[str], questions: list[str], batch: int) -> dict[str, Any]:
    """Both backends side by side, taking turns in alternating order; the figures of each."""
    from assistant.bench import percentile

    context = multiprocessing.get_context("spawn")  # fresh processes: no torch state is inherited
    pipes, workers = {}, []
    for backend in BACKENDS:
        parent, child = context.Pipe()
        worker = context.Process(target=_worker, args=(backend, child))
        worker.start()
        pipes[backend] = parent
        workers.append(worker)
    times: dict[str, dict[str, list[float]]] = {
        b: {"load": [], "passages": [], "questions": []} for b in BACKENDS
    }
    jobs = [("load", ["uppvärmning"], "query")]
    jobs += [("passages", passages[i : i + batch], "document") for i in range(0, len(passages), batch)]
    jobs += [("questions", [q], "query") for q in questions]
    for n, (kind, texts, role) in enumerate(jobs):
        for backend in BACKENDS if n % 2 == 0 else BACKENDS[::-1]:
            time.sleep(PAUSE_S)  # the other backend's worker threads stop spinning before this one starts
            pipes[backend].send((texts, role))
            times[backend][kind].append(pipes[backend].recv())
    out: dict[str, Any] = {"passages": len(passages), "questions": len(questions), "batch": batch}
    for backend in BACKENDS:
        pipes[backend].send(None)
        ms = [t * 1000 for t in times[backend]["questions"]]
        out[backend] = {
            **pipes[backend].recv(),
            "model_load_s": times[backend]["load"][0],
            "passages_per_s": len(passages) / sum(times[backend]["passages"]),
            "query_p50_ms": percentile(ms, 50),
            "query_p95_ms": percentile(ms, 95),
        }
    for worker in workers:
        worker.join()
    return out


def main() -> None:
    """Print the agreement, or with --speed the timings, as JSON."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--passages", type=int, default=200)
    parser.add_argument("--questions", type=int, default=50)
    parser.add_argument("--speed", action="store_true", help="time both backends side by side")
    args = parser.parse_args()

    from assistant.embeddings import make_embedder

    settings = _settings()
    passages, questions = _sample(settings, args.passages, args.questions)
    if args.speed:
        print(json.dumps(speed(passages, questions, settings.embed_batch_size)))
        return
    vectors = {}
    for backend in BACKENDS:
        embedder = make_embedder(settings.replace(gemma_backend=backend))
        vectors[backend] = (embedder.embed(passages, "document"), embedder.embed(questions, "query"))
    (torch_docs, torch_q), (onnx_docs, onnx_q) = vectors["torch"], vectors["onnx"]
    print(json.dumps(agreement(torch_docs, onnx_docs, torch_q, onnx_q)))


if __name__ == "__main__":
    main()
