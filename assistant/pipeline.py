"""Wiring: settings → embedder, index, retriever, generator; `ask` and `search`."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from assistant.advisor import MethodCard, clarifying_question, weights
from assistant.answer.context import AdviceContext, names_process, phase_of
from assistant.answer.generator import Composer, Generator
from assistant.config import RetrievalMode, Settings
from assistant.corpus import LoadReport, load_corpus
from assistant.embeddings import Embedder, Role, check_index_embedder, make_embedder
from assistant.errors import AssistantError, ConfigError
from assistant.index import BuildResult, OpenIndex, Progress, build_index, open_index, read_manifest
from assistant.plan import plan_process
from assistant.ranking import rank_methods, relevance_from_ranks
from assistant.reading import Understanding, read_question, semantic_text
from assistant.retrieval import DenseRetriever, KeywordRetriever, make_retriever
from assistant.semantic import SemanticReader, reader_dir, reads_meaning
from assistant.types import Answer, Chunk, ContextProfile, Filters, PlanPhase, ScoredChunk
from assistant.understanding import clean_question, find_methods, method_names, named_cases

log = logging.getLogger(__name__)


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
    """The assistant's one way to the embedding model: one model call at a time (the chat and a background
    reindex share the model), and recent query vectors remembered, so that one question is embedded once
    however many retrievals use it."""

    def __init__(self, inner: Embedder, size: int = 256) -> None:
        self.inner = inner
        self.key = inner.key
        self.dim = inner.dim
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    @property
    def identity(self) -> str:
        """The model's identity (weights, prompt, limit), so that a reindex through here uses the corpus cache."""
        return str(getattr(self.inner, "identity", "") or "")

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Embed, answering single queries from the cache."""
        with self._lock:
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

    def swap(self, inner: Embedder) -> None:
        """Run the same weights through `inner` from the next call on (the ONNX export once it is made); anything
        else would rank with vectors the index was not built with, so it is refused."""
        before, after = self.identity or self.key, getattr(inner, "identity", "") or inner.key
        if (after, inner.dim) != (before, self.dim):
            raise ConfigError(
                f"The embedder {after!r} cannot replace {before!r}: they are not the same weights.",
                hint="Restart the server with the embedder the index was built with.",
            )
        with self._lock:
            self.inner = inner

    def clear(self) -> None:
        """Forget every cached query vector (the benchmark times answers with their embedding)."""
        with self._lock:
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
        self._refresh_problem = ""  # the last damage refresh() logged: said once, not on every question
        self._refreshing = threading.Lock()  # one thread opens a new generation; the others go on answering
        self._reader: SemanticReader | None = None
        self._load(index)

    def _load(self, index: OpenIndex) -> None:
        self.index = index
        rows = [d for d in index.documents if d.get("kind") == "method"]
        self.cards = {d["id"]: MethodCard.from_row(d) for d in rows if "cost_sek" in d.get("attributes", {})}
        self.catalog = [method_names(d["id"], d["title"], d.get("aliases", [])) for d in rows]
        cases = [d for d in index.documents if d.get("kind") == "case"]
        self.case_names = [method_names(d["id"], d["title"], d.get("aliases", [])) for d in cases]
        self.case_methods = {
            str(d["id"]): tuple(str(m) for m in d.get("attributes", {}).get("methods", ())) for d in cases
        }
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
        index = open_index(settings, embedder.key)
        check_index_embedder(index.manifest, embedder)  # another model's vectors would rank nonsense
        return cls(settings, embedder, index, generator or make_generator(settings))

    def refresh(self, wait: bool = False) -> bool:
        """Reopen the index if another process swapped in a new generation; True when it did.

        When the index on disk is damaged, the loaded one keeps answering and one line is logged.
        A question does not wait for another thread's check (`wait` False); the build that just wrote a new
        generation does, since that check may have read the manifest before the build replaced it.
        """
        if not self._refreshing.acquire(blocking=wait):
            return False  # another thread is opening the new generation; this question uses the loaded one
        try:
            manifest = read_manifest(self.settings, self.embedder.key)
            if manifest is None or manifest.get("generation") == self.index.manifest.get("generation"):
                return False
            index = open_index(self.settings, self.embedder.key)
        except AssistantError as exc:
            if exc.message != self._refresh_problem:
                self._refresh_problem = exc.message
                log.error(
                    "The index on disk cannot be opened (%s); still answering from generation %s. %s",
                    exc.message,
                    self.index.manifest.get("generation"),
                    exc.hint,
                )
            return False
        else:
            self._refresh_problem = ""
            with self._lock:
                self._load(index)
            return True
        finally:
            self._refreshing.release()

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
    ) -> Understanding:
        """What the question asks in its conversation; `profile` overrides the one read from the text.

        The semantic reading uses the question's embedding, which retrieval reuses from the cache, and
        so does the search for the closest passage (a question the sources answer directly stays in scope).
        """
        full = clean_question(question, self.settings.max_question_chars)
        reader = self.reader()
        text = semantic_text(full)
        reading, closest = None, 0.0
        if reader and text:
            vector = self.embedder.embed([text], "query")[0]
            reading = reader.read(vector)
            best = self.index.store.query(vector, 1, Filters())
            closest = best[0][1] if best else 0.0
        earlier = [t.content for t in history if t.role == "user"]
        return read_question(full, self.catalog, earlier, profile, reading, closest, self.case_names)

    def warm_up(self) -> None:
        """Load the embedding model and the reader now, so that the first question does not wait for them.

        `serve` runs this in a background thread while the UI starts; a question that arrives first
        simply waits for the same load (the model loads under a lock, once).
        """
        self.embedder.embed(["medborgardialog"], "query")
        self.reader()

    def reader(self) -> SemanticReader | None:
        """The semantic reader, fitted or loaded on first use; None for an embedder without meaning."""
        if not reads_meaning(self.embedder):
            return None
        with self._lock:
            if self._reader is None:
                self._reader = SemanticReader.prepare(self.embedder, reader_dir(self.settings.model_dir))
            return self._reader

    def advise(
        self, question: str, history: Sequence[Turn] = (), profile: ContextProfile | None = None
    ) -> AdviceContext:
        """Everything a generator needs for one question: the reading, passages, ranked methods, a plan."""
        u = self.understand(question, history, profile)
        notes = (
            ("Frågan innehöll instruktioner till assistenten; de påverkar inte svaret.",)
            if u.injected
            else ()
        )
        inform = tuple(p for p in u.preconditions if p != "mandate_given")  # what calls for informing instead
        if u.intent == "out_of_scope":
            # Only a method this question names (not one borrowed from earlier turns) is said back in the refusal.
            named = tuple(find_methods(u.text, self.catalog))
            return AdviceContext(
                u.text, u.language, u.intent, u.profile, methods=named, cards=self.cards, notes=notes
            )
        intent = u.intent
        if intent == "process_planning" and inform and not u.methods and not names_process(u.text):
            # "How do we run a dialogue about it?" on a matter already decided asks what to do (inform
            # instead), not how to run a phase: it is answered as advice.
            intent = "method_fit"
        self.refresh()
        retriever = make_retriever(self.settings.retrieval_mode, self.index, self.embedder)
        passages = retriever.retrieve(u.query, self.settings.top_k)
        method_hits = retriever.retrieve(u.query, 30, Filters(kind="method"))
        relevance = relevance_from_ranks([h.chunk.doc_id for h in method_hits])
        for mid in u.methods:
            relevance[mid] = max(relevance.get(mid, 0.0), 1.0)
        # The cards' fit statements are compared by meaning: an embedder without meaning (a test fake) skips them.
        needs = (
            self.index.needs.match(
                self.embedder.embed([u.query], "query")[0], u.language, int(weights()["need"]["lo_rank"])
            )
            if reads_meaning(self.embedder)
            else {}
        )
        similar = dict(u.similar)
        for mid in u.rejected:  # named only to be ruled out: its name must not lift it
            relevance[mid] = 0.0
            needs.pop(mid, None)
            similar.pop(mid, None)
        fits = rank_methods(
            self.cards.values(),
            u.profile,
            relevance,
            needs,
            form=profile is not None,
            similar=similar,
            named=u.methods,
            names_in=lambda text: [m for m in find_methods(text, self.catalog) if m not in u.rejected],
        )
        phase = phase_of(u.text) if intent == "process_planning" else None
        plan: list[PlanPhase] = []
        plan_methods: list[str] = []
        # A phase question gets no plan of its own, unless the conversation is about a method: then its
        # plan stays beside the answer (the plan view).
        if intent == "process_planning" and (phase is None or u.methods):
            chosen = [f for f in fits if f.card.id in u.methods] or fits
            plan, plan_methods = plan_process(chosen, u.profile, u.language, self.cards)
        return AdviceContext(
            question=u.text,
            language=u.language,
            intent=intent,
            profile=u.profile,
            passages=tuple(passages),
            fits=tuple(fits),
            methods=u.methods,
            cards=self.cards,
            cases=tuple(
                named_cases(
                    u.text, [(h.chunk.doc_id, h.chunk.title) for h in passages[:3] if h.chunk.kind == "case"]
                )
            ),
            find=self._finder(u.text),
            clarifying_question=clarifying_question(intent, u.profile, u.language),
            plan=tuple(plan),
            plan_methods=tuple(plan_methods),
            notes=notes,
            roles=self.roles,
            case_methods=self.case_methods,
            phase=phase,
            preconditions=inform,
            unsure=u.unsure,
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
