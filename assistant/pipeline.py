"""Wiring: settings → embedder, index, retriever, generator; `ask` and `search`."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, cast

import numpy as np

from assistant.advisor import MethodCard, clarifying_question, rank_methods, relevance_from_ranks
from assistant.answer.context import AdviceContext, phase_of
from assistant.answer.generator import Composer, Generator
from assistant.config import RetrievalMode, Settings
from assistant.context_profile import parse_profile, profile_from_conversation
from assistant.corpus import LoadReport, load_corpus
from assistant.embeddings import Embedder, Role, make_embedder
from assistant.index import BuildResult, OpenIndex, Progress, build_index, open_index, read_manifest
from assistant.plan import plan_process
from assistant.retrieval import DenseRetriever, KeywordRetriever, make_retriever
from assistant.types import Answer, Chunk, ContextProfile, Filters, Intent, Lang, PlanPhase, ScoredChunk
from assistant.understanding import (
    clean_question,
    detect_intent,
    detect_language,
    find_methods,
    has_injection,
    is_follow_up,
    mentions_scope,
    method_names,
    strip_injection,
)


def _no_progress(step: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class Turn:
    """One earlier message of a conversation."""

    role: str  # "user" | "assistant"
    content: str


def index_corpus(
    settings: Settings, embedder: Embedder, *, full: bool = False, progress: Progress = _no_progress
) -> tuple[BuildResult, LoadReport]:
    """Load the corpus (broken files reported, the rest kept) and build the index."""
    report = load_corpus(settings.corpus_dirs)
    result = build_index(
        settings, embedder, report.documents, problems=report.problems, full=full, progress=progress
    )
    return result, report


def make_generator(settings: Settings) -> Generator:
    """The answer backend the settings choose: the embedded composer, or an OpenAI-compatible LLM."""
    if settings.generator == "llm":
        from assistant.answer.llm import LLMGenerator

        return LLMGenerator(settings)
    return Composer()


class CachingEmbedder:
    """Remembers recent query vectors: one question is embedded once, however many retrievals use it."""

    def __init__(self, inner: Embedder, size: int = 256) -> None:
        self.inner = inner
        self.key = inner.key
        self.dim = inner.dim
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Embed, answering single queries from the cache."""
        if role != "query" or len(texts) != 1:
            return self.inner.embed(texts, role)
        hit = self._cache.get(texts[0])
        if hit is None:
            hit = self.inner.embed(texts, role)
            self._cache[texts[0]] = hit
            if len(self._cache) > self._size:
                self._cache.popitem(last=False)
        else:
            self._cache.move_to_end(texts[0])
        return hit

    def clear(self) -> None:
        """Forget every cached query vector (the benchmark times answers with their embedding)."""
        self._cache.clear()


class Assistant:
    """Answers questions from the index; reopens the index when a rebuild swaps in a new generation."""

    def __init__(
        self, settings: Settings, embedder: Embedder, index: OpenIndex, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = CachingEmbedder(embedder)
        self.generator: Generator = generator or Composer()
        self._lock = threading.Lock()
        self._load(index)

    def _load(self, index: OpenIndex) -> None:
        self.index = index
        rows = [d for d in index.documents if d.get("kind") == "method"]
        self.cards = {d["id"]: MethodCard.from_row(d) for d in rows if "cost_sek" in d.get("attributes", {})}
        self.catalog = [method_names(d["id"], d["title"], d.get("aliases", [])) for d in rows]
        # The answer side asks for documents by role ('process-design'), never by id.
        self.roles = {
            str(d["attributes"]["role"]): str(d["id"])
            for d in index.documents
            if d.get("attributes", {}).get("role")
        }
        self._by_section: dict[tuple[str, str], Chunk] = {}
        self._first: dict[str, Chunk] = {}
        for chunk in index.chunks.values():
            self._by_section.setdefault((chunk.doc_id, chunk.section), chunk)
            if chunk.doc_id not in self._first or chunk.position < self._first[chunk.doc_id].position:
                self._first[chunk.doc_id] = chunk

    @classmethod
    def from_settings(
        cls, settings: Settings, embedder: Embedder | None = None, generator: Generator | None = None
    ) -> Assistant:
        """Build everything the settings describe; raises with a hint when a part is missing."""
        embedder = embedder or make_embedder(settings)
        return cls(
            settings, embedder, open_index(settings, embedder.key), generator or make_generator(settings)
        )

    def refresh(self) -> bool:
        """Reopen the index if another process swapped in a new generation; True when it did."""
        manifest = read_manifest(self.settings, self.embedder.key)
        if manifest is None or manifest.get("generation") == self.index.manifest.get("generation"):
            return False
        with self._lock:
            self._load(open_index(self.settings, self.embedder.key))
        return True

    def search(
        self,
        query: str,
        k: int | None = None,
        filters: Filters = Filters(),
        mode: RetrievalMode | None = None,
    ) -> list[ScoredChunk]:
        """Ranked chunks for a query."""
        text = clean_question(query, self.settings.max_question_chars)
        self.refresh()
        retriever = make_retriever(mode or self.settings.retrieval_mode, self.index, self.embedder)
        return retriever.retrieve(text, k or self.settings.top_k, filters)

    def _finder(self, question: str) -> Callable[[str, str], ScoredChunk | None]:
        """(doc id, query) → the best chunk of that document: by section name, by the question, or by BM25."""
        dense = DenseRetriever(self.index, self.embedder)
        keyword = KeywordRetriever(self.index)

        def find(doc_id: str, query: str) -> ScoredChunk | None:
            chunk = self._by_section.get((doc_id, query))
            if chunk is not None:
                return ScoredChunk(chunk, 1.0, 1, "section")
            if doc_id not in self._first:
                return None
            only = Filters(doc_id=doc_id)
            hits = (
                dense.retrieve(question, 1, only) if query == question else keyword.retrieve(query, 1, only)
            )
            if not hits and query != question:
                hits = dense.retrieve(question, 1, only)
            return hits[0] if hits else ScoredChunk(self._first[doc_id], 0.0, 1, "first")

        return find

    def understand(
        self, question: str, history: Sequence[Turn] = (), profile: ContextProfile | None = None
    ) -> tuple[str, Lang, str, ContextProfile, list[str]]:
        """(clean text, language, intent, profile, method ids) for a question in its conversation."""
        full = clean_question(question, self.settings.max_question_chars)
        language = detect_language(full)
        text = strip_injection(full)  # instructions smuggled into the question change nothing
        if profile is None:
            profile = profile_from_conversation([t.content for t in history if t.role == "user"] + [text])
        methods = find_methods(text, self.catalog)
        if not methods and history and is_follow_up(text, methods):
            for turn in reversed(history):
                methods = find_methods(turn.content, self.catalog)[:3]
                if methods:
                    break
        own = parse_profile(text)
        continues = (
            bool(history)
            and (is_follow_up(text, ()) or own.known() > 0)
            and any(mentions_scope(t.content) for t in history if t.role == "user")
        )
        intent = detect_intent(text, profile, methods, continues, own) if text else "out_of_scope"
        if continues and intent == "general":
            # 'De är 10–12 år.' after 'Vilken metod passar?' refines that question; it asks nothing new.
            last = next(t.content for t in reversed(history) if t.role == "user")
            earlier = detect_intent(last, parse_profile(last), find_methods(last, self.catalog))
            if earlier in ("method_fit", "process_planning", "comparison"):
                intent = earlier
        return text, language, intent, profile, methods

    def advise(
        self, question: str, history: Sequence[Turn] = (), profile: ContextProfile | None = None
    ) -> AdviceContext:
        """Everything found out about a question in its conversation: what a generator writes from."""
        injected = has_injection(question)
        text, language, intent, profile, methods = self.understand(question, history, profile)
        notes = (
            ("Frågan innehöll instruktioner till assistenten; de påverkar inte svaret.",) if injected else ()
        )
        if intent == "out_of_scope":
            return AdviceContext(text, language, cast(Intent, intent), profile, notes=notes)
        self.refresh()
        retriever = make_retriever(self.settings.retrieval_mode, self.index, self.embedder)
        passages = retriever.retrieve(text, self.settings.top_k)
        method_hits = retriever.retrieve(text, 30, Filters(kind="method"))
        relevance = relevance_from_ranks([h.chunk.doc_id for h in method_hits])
        for mid in methods:
            relevance[mid] = max(relevance.get(mid, 0.0), 1.0)
        fits = rank_methods(self.cards.values(), profile, relevance)
        plan: list[PlanPhase] = []
        plan_methods: list[str] = []
        if intent == "process_planning":
            chosen = [f for f in fits if f.card.id in methods] or fits
            plan, plan_methods = plan_process(chosen, profile, language, self.cards)
        return AdviceContext(
            question=text,
            language=language,
            intent=cast(Intent, intent),
            profile=profile,
            passages=tuple(passages),
            fits=tuple(fits),
            methods=tuple(methods),
            cards=self.cards,
            find=self._finder(text),
            clarifying_question=clarifying_question(intent, profile, language),
            plan=tuple(plan),
            plan_methods=tuple(plan_methods),
            notes=notes,
            roles=self.roles,
            phase=phase_of(text) if intent == "process_planning" else None,
            preconditions=("nothing_to_influence",) if profile.nothing_to_influence else (),
        )

    def ask(
        self, question: str, history: Sequence[Turn] = (), profile: ContextProfile | None = None
    ) -> Answer:
        """Answer a question in its conversation, citing the chunks it used; `profile` overrides the parsed one."""
        return self.generator.generate(self.advise(question, history, profile))

    def ask_stream(
        self, question: str, history: Sequence[Turn] = (), profile: ContextProfile | None = None
    ) -> Iterator[str | Answer]:
        """Like `ask`, streamed: the generator's text deltas (none from the composer), then the final Answer.

        See `assistant.answer.generator` for the contract; `self.generator.streams` says whether deltas come.
        """
        yield from self.generator.stream(self.advise(question, history, profile))

    def stats(self) -> dict[str, Any]:
        """What the open index holds."""
        m = self.index.manifest
        return {
            "embedder": m.get("embedder"),
            "generation": m.get("generation"),
            "built_at": m.get("built_at"),
            "documents": m.get("documents"),
            "chunks": len(self.index.chunks),
            "problems": m.get("problems", []),
        }
