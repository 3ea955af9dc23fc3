"""Benchmark: our pipeline against a naive LangChain baseline, each in its own child process.

Every figure is reported with the baseline's figure from the same command, as a ratio.
The baseline is `langchain_chroma.Chroma` + all-MiniLM-L6-v2, dense only, on the same chunks.
With EmbeddingGemma, its two backends are measured too (PyTorch is their baseline): ONNX / PyTorch.
"""

from __future__ import annotations

import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from assistant.config import Settings

FIXED_QUERIES = [
    "Vilken metod passar för att nå unga 16–25 år om ett nytt fritidsområde?",
    "Hur rekryterar man deltagare till ett medborgarråd?",
    "Vad kostar en medborgarbudget?",
    "Hur lång tid tar ett medborgarråd?",
    "Hur når vi nyanlända och andra som sällan deltar?",
    "Vad är skillnaden mellan medborgarråd och fokusgrupp?",
    "Hur återkopplar vi till deltagarna efter en dialog?",
    "När ska man inte ha en medborgardialog?",
    "Vad säger kommunallagen om medborgarförslag?",
    "Hur gör man en trygghetsvandring?",
    "How does participatory budgeting work?",
    "What is a citizens' assembly and when should we use one?",
    "How many people take part in a focus group?",
    "Vilka steg har en medborgarbudget från idé till genomförande?",
    "Hur lottar man ett representativt urval av invånare?",
    "Vad är delaktighetstrappan?",
    "Hur involverar vi barn i planeringen av en lekplats?",
    "Vilken metod passar när frågan är polariserad?",
    "Hur kan vi använda digitala verktyg i dialogen?",
    "Vad gjorde Porto Alegre med medborgarbudgeten?",
]


def make_queries(titles: list[str], n: int) -> list[str]:
    """n distinct, realistic queries: the fixed ones first, then one per document title."""
    templates = ["Hur går {} till?", "När passar {}?", "Vad kostar {} ungefär?"]
    out = list(FIXED_QUERIES)
    i = 0
    while len(out) < n and titles:
        out.append(templates[(i // len(titles)) % len(templates)].format(titles[i % len(titles)]))
        i += 1
    return out[:n]


def percentile(values: list[float], q: float) -> float:
    """The q-th percentile (0–100) by linear interpolation."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo = int(pos)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def _latency(
    fn: Callable[[str], Any], queries: list[str], before: Callable[[], None] | None = None
) -> dict[str, float]:
    fn(queries[0])  # warm-up
    if before is not None:
        before()
    times = []
    for q in queries:
        start = time.perf_counter()
        fn(q)
        times.append((time.perf_counter() - start) * 1000)
    return {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95)}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _touch_one_document(corpus: Path) -> Path:
    """Append a sentence to one method card (a realistic trainer edit)."""
    target = sorted((corpus / "methods").glob("*.md"))[0]
    with target.open("a", encoding="utf-8") as f:
        f.write("\nEn utbildare lade till den här meningen för att mäta omindexering.\n")
    return target


def phase_ours(settings: Settings, corpus: Path, data: Path, queries: int) -> dict[str, Any]:
    """Cold build, one-document rebuild, search and ask latency for our pipeline."""
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant, index_corpus

    s = settings.replace(data_dir=data, corpus_dirs=(corpus,), models_dir=settings.model_dir.resolve())
    start = time.perf_counter()
    embedder = make_embedder(s)
    embedder.embed(["uppvärmning"], "query")  # a lazily loaded model loads here, not in the index timing
    load_s = time.perf_counter() - start
    cold, report = index_corpus(s, embedder)
    # A fresh clone: a new data dir, the corpus with the embedding cache the cold build left beside it.
    clone, _ = index_corpus(s.replace(data_dir=data / "clone"), embedder)
    _touch_one_document(corpus)
    incremental, _ = index_corpus(s, embedder)
    assistant = Assistant.from_settings(s, embedder)
    qs = make_queries([d.title for d in report.documents], queries)
    return {
        "model_load_s": load_s,
        "cold_index_s": cold.seconds,
        "cold_index_per_1000_s": cold.seconds * 1000 / max(1, cold.chunks),
        "clone_index_s": clone.seconds,
        "clone_embedded": clone.embedded,
        "incremental_index_s": incremental.seconds,
        "incremental_embedded": incremental.embedded,
        "chunks": cold.chunks,
        "documents": cold.documents,
        "search": _latency(lambda q: assistant.search(q), qs),
        # Reading the question on top of its (now cached) query embedding: rules + semantic reader.
        "understand": _latency(lambda q: assistant.understand(q), qs),
        # The search above cached every query vector: forget them, so that ask pays for its embedding.
        "ask": _latency(lambda q: assistant.ask(q), qs, before=assistant.embedder.clear),
        "peak_rss_mb": _peak_rss_mb(),
        "backend": getattr(embedder, "backend", ""),
    }


BACKEND_PASSAGES = 200  # corpus passages embedded cold per backend


def phase_gemma(settings: Settings, corpus: Path, data: Path, queries: int, backend: str) -> dict[str, Any]:
    """EmbeddingGemma alone through one backend: load, passages per second (no cache), query latency, memory."""
    from assistant.chunking import chunk_with
    from assistant.corpus import load_corpus
    from assistant.embeddings import make_embedder

    s = settings.replace(
        corpus_dirs=(corpus,),
        models_dir=settings.model_dir.resolve(),
        embedder="gemma",
        gemma_backend=backend,
    )
    report = load_corpus(s.corpus_dirs)
    chunks = chunk_with(s, report.documents)
    passages = [c.embed_text for c in chunks[:: max(1, len(chunks) // BACKEND_PASSAGES)][:BACKEND_PASSAGES]]
    start = time.perf_counter()
    embedder = make_embedder(s)
    embedder.embed(["uppvärmning"], "query")  # a lazily loaded model loads here
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    embedder.embed(passages, "document")
    seconds = time.perf_counter() - start
    qs = make_queries([d.title for d in report.documents], queries)
    return {
        "backend": getattr(embedder, "backend", backend),
        "model_load_s": load_s,
        "passages": len(passages),
        "passages_per_s": len(passages) / seconds,
        "query": _latency(lambda q: embedder.embed([q], "query"), qs),
        "peak_rss_mb": _peak_rss_mb(),
    }


def phase_baseline(settings: Settings, corpus: Path, data: Path, queries: int) -> dict[str, Any]:
    """The naive baseline: LangChain Chroma.from_texts with MiniLM, similarity_search only."""
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    from assistant.chunking import chunk_with
    from assistant.corpus import load_corpus
    from assistant.embeddings import minilm_path

    s = settings.replace(data_dir=data, corpus_dirs=(corpus,), models_dir=settings.model_dir.resolve())
    start = time.perf_counter()
    emb = HuggingFaceEmbeddings(model_name=str(minilm_path()), model_kwargs={"device": "cpu"})
    load_s = time.perf_counter() - start

    def chunks_now() -> tuple[list[Any], list[Any]]:
        report = load_corpus(s.corpus_dirs)
        ch = chunk_with(s, report.documents)
        return list(report.documents), ch

    docs, chunks = chunks_now()
    start = time.perf_counter()
    store = Chroma.from_texts(
        [c.embed_text for c in chunks],
        emb,
        metadatas=[{"doc_id": c.doc_id} for c in chunks],
        ids=[c.id for c in chunks],
        persist_directory=str(data / "baseline"),
        collection_name="baseline",
    )
    cold_s = time.perf_counter() - start
    target = _touch_one_document(corpus)
    start = time.perf_counter()
    _, chunks2 = chunks_now()
    doc_id = target.stem
    store.delete(ids=[c.id for c in chunks if c.doc_id == doc_id])
    changed = [c for c in chunks2 if c.doc_id == doc_id]
    store.add_texts(
        [c.embed_text for c in changed],
        metadatas=[{"doc_id": doc_id}] * len(changed),
        ids=[c.id for c in changed],
    )
    incr_s = time.perf_counter() - start
    qs = make_queries([d.title for d in docs], queries)

    def naive_ask(q: str) -> str:
        return "\n\n".join(d.page_content for d in store.similarity_search(q, k=3))

    return {
        "model_load_s": load_s,
        "cold_index_s": cold_s,
        "incremental_index_s": incr_s,
        "chunks": len(chunks),
        "search": _latency(lambda q: store.similarity_search(q, k=settings.top_k), qs),
        "ask": _latency(naive_ask, qs),
        "peak_rss_mb": _peak_rss_mb(),
    }


def run_benchmark(
    settings: Settings, queries: int = 50, progress: Callable[[str, int, int], None] | None = None
) -> dict[str, Any]:
    """Run each phase in a child process on a copy of the corpus; return figures and ratios."""
    from assistant import models

    results: dict[str, Any] = {}
    phases = ["ours", "baseline"]
    backends = settings.embedder == "gemma" and not models.onnx_export_problem(
        models.gemma_onnx_path(settings)
    )
    if backends:
        phases += ["gemma-torch", "gemma-onnx"]
    for i, phase in enumerate(phases):
        if progress:
            progress(f"Mäter: {phase}", i, len(phases))
        with tempfile.TemporaryDirectory(prefix="mg-bench-") as tmp:
            corpus = Path(tmp) / "corpus"
            shutil.copytree(settings.corpus_dirs[0], corpus)
            cmd = [
                sys.executable,
                "-m",
                "assistant.bench",
                phase,
                json.dumps(_settings_args(settings)),
                str(corpus),
                str(Path(tmp) / "data"),
                str(queries),
            ]
            done = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                from assistant.errors import AssistantError

                raise AssistantError(f"The benchmark phase {phase!r} failed:\n{done.stderr[-2000:]}")
            results[phase] = json.loads(done.stdout.strip().splitlines()[-1])
    if progress:
        progress("Mäter: klar", len(phases), len(phases))
    results["ratios"] = ratios(results["ours"], results["baseline"])
    if backends:
        results["backend_ratios"] = backend_ratios(results["gemma-onnx"], results["gemma-torch"])
    results["embedder"] = settings.embedder
    results["mode"] = settings.retrieval_mode
    return results


def ratios(ours: dict[str, Any], base: dict[str, Any]) -> dict[str, float]:
    """ours / baseline for every comparable figure."""
    pairs = {
        "cold_index": (ours["cold_index_s"], base["cold_index_s"]),
        "incremental_index": (ours["incremental_index_s"], base["incremental_index_s"]),
        "search_p50": (ours["search"]["p50_ms"], base["search"]["p50_ms"]),
        "search_p95": (ours["search"]["p95_ms"], base["search"]["p95_ms"]),
        "ask_p50": (ours["ask"]["p50_ms"], base["ask"]["p50_ms"]),
        "ask_p95": (ours["ask"]["p95_ms"], base["ask"]["p95_ms"]),
        "peak_rss": (ours["peak_rss_mb"], base["peak_rss_mb"]),
    }
    return _quotients(pairs)


def backend_ratios(onnx: dict[str, Any], torch: dict[str, Any]) -> dict[str, float]:
    """ONNX / PyTorch for every figure of the two backends (passages per second: above 1 is faster)."""
    pairs = {
        "model_load": (onnx["model_load_s"], torch["model_load_s"]),
        "passages_per_s": (onnx["passages_per_s"], torch["passages_per_s"]),
        "query_p50": (onnx["query"]["p50_ms"], torch["query"]["p50_ms"]),
        "query_p95": (onnx["query"]["p95_ms"], torch["query"]["p95_ms"]),
        "peak_rss": (onnx["peak_rss_mb"], torch["peak_rss_mb"]),
    }
    return _quotients(pairs)


def _quotients(pairs: dict[str, tuple[float, float]]) -> dict[str, float]:
    """a / b per figure (infinite where the baseline is 0)."""
    return {k: (a / b if b else float("inf")) for k, (a, b) in pairs.items()}


def format_backends(r: dict[str, Any]) -> str:
    """EmbeddingGemma's backends side by side, ONNX Runtime as a ratio to PyTorch."""
    t, o, x = r["gemma-torch"], r["gemma-onnx"], r["backend_ratios"]
    rows = [
        ("Modellen laddas (s)", t["model_load_s"], o["model_load_s"], x["model_load"]),
        ("Avsnitt per sekund", t["passages_per_s"], o["passages_per_s"], x["passages_per_s"]),
        ("fråga p50 (ms)", t["query"]["p50_ms"], o["query"]["p50_ms"], x["query_p50"]),
        ("fråga p95 (ms)", t["query"]["p95_ms"], o["query"]["p95_ms"], x["query_p95"]),
        ("Högsta RSS (MB)", t["peak_rss_mb"], o["peak_rss_mb"], x["peak_rss"]),
    ]
    head = (
        f"EmbeddingGemma: PyTorch mot ONNX Runtime ({t['passages']} avsnitt utan cache, frågor en i taget; "
        "kvot ONNX / PyTorch)\n"
    )
    lines = [f"{'mått':34} {'PyTorch':>12} {'ONNX':>10} {'kvot':>7}"]
    lines += [f"{name:34} {a:12.1f} {b:10.1f} {ratio:7.2f}" for name, a, b, ratio in rows]
    return head + "\n".join(lines)


def format_report(r: dict[str, Any]) -> str:
    """A plain table of both systems and the ratios."""
    o, b, x = r["ours"], r["baseline"], r["ratios"]
    rows = [
        ("Indexering, kall (s)", o["cold_index_s"], b["cold_index_s"], x["cold_index"]),
        (
            "Omindexering, ett dokument (s)",
            o["incremental_index_s"],
            b["incremental_index_s"],
            x["incremental_index"],
        ),
        ("search p50 (ms)", o["search"]["p50_ms"], b["search"]["p50_ms"], x["search_p50"]),
        ("search p95 (ms)", o["search"]["p95_ms"], b["search"]["p95_ms"], x["search_p95"]),
        ("ask p50 (ms)", o["ask"]["p50_ms"], b["ask"]["p50_ms"], x["ask_p50"]),
        ("ask p95 (ms)", o["ask"]["p95_ms"], b["ask"]["p95_ms"], x["ask_p95"]),
        ("Högsta RSS (MB)", o["peak_rss_mb"], b["peak_rss_mb"], x["peak_rss"]),
    ]
    runs = f"{r['embedder']} via {o['backend']}" if o.get("backend") else r["embedder"]
    head = f"Metodguiden ({runs}, {r['mode']}) mot baslinje (LangChain Chroma + MiniLM, dense)\n"
    head += f"{o['documents']} dokument, {o['chunks']} avsnitt; {o['incremental_embedded']} avsnitt bäddades om.\n"
    if "clone_index_s" in o:
        head += (
            f"Ny klon med inbäddningscachen (corpus-embeddings/): index på {o['clone_index_s']:.1f} s, "
            f"{o['clone_embedded']} avsnitt bäddades in; kall indexering {o['cold_index_per_1000_s']:.1f} s "
            "per 1 000 avsnitt.\n"
        )
    if "understand" in o:
        u = o["understand"]
        head += (
            f"Läsning av frågan (understand) utöver frågans inbäddning: p50 {u['p50_ms']:.1f} ms, "
            f"p95 {u['p95_ms']:.1f} ms.\n"
        )
    head += "\n"
    lines = [f"{'mått':34} {'Metodguiden':>12} {'baslinje':>10} {'kvot':>7}"]
    lines += [f"{name:34} {a:12.1f} {bb:10.1f} {ratio:7.2f}" for name, a, bb, ratio in rows]
    if "backend_ratios" in r:
        lines += ["", format_backends(r)]
    return head + "\n".join(lines)


def _settings_args(settings: Settings) -> dict[str, Any]:
    return {
        "embedder": settings.embedder,
        "gemma_backend": settings.gemma_backend,
        "retrieval_mode": settings.retrieval_mode,
        "models_dir": str(settings.model_dir.resolve()),
        "top_k": settings.top_k,
    }


def _child(argv: list[str]) -> None:
    import os

    from assistant.config import apply_process_environment, load_settings

    phase, args, corpus, data, queries = argv
    settings = load_settings({}, None, **json.loads(args))
    apply_process_environment(settings, os.environ)  # type: ignore[arg-type]
    phases: dict[str, Callable[[Settings, Path, Path, int], dict[str, Any]]] = {
        "ours": phase_ours,
        "baseline": phase_baseline,
        "gemma-torch": partial(phase_gemma, backend="torch"),
        "gemma-onnx": partial(phase_gemma, backend="onnx"),
    }
    result = phases[phase](settings, Path(corpus), Path(data), int(queries))
    print(json.dumps(result))


if __name__ == "__main__":
    _child(sys.argv[1:])
