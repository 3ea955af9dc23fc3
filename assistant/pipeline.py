"""Wiring: settings → embedder, index, retriever, generator; `ask` and `search`."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from assistant.compose import Generator, PassageComposer
from assistant.config import RetrievalMode, Settings
from assistant.corpus import LoadReport, load_corpus
from assistant.embeddings import Embedder, make_embedder
from assistant.index import BuildResult, OpenIndex, Progress, build_index, open_index, read_manifest
from assistant.retrieval import make_retriever
from assistant.types import Answer, Filters, ScoredChunk
from assistant.understanding import clean_question, detect_language


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


class Assistant:
    """Answers questions from the index; reopens the index when a rebuild swaps in a new generation."""

    def __init__(
        self, settings: Settings, embedder: Embedder, index: OpenIndex, generator: Generator | None = None
    ) -> None:
        self.settings = settings
        self.embedder = embedder
        self.index = index
        self.generator = generator or PassageComposer()
        self._lock = threading.Lock()

    @classmethod
    def from_settings(cls, settings: Settings, embedder: Embedder | None = None) -> Assistant:
        """Build everything the settings describe; raises with a hint when a part is missing."""
        embedder = embedder or make_embedder(settings)
        return cls(settings, embedder, open_index(settings, embedder.key))

    def refresh(self) -> bool:
        """Reopen the index if another process swapped in a new generation; True when it did."""
        manifest = read_manifest(self.settings, self.embedder.key)
        if manifest is None or manifest.get("generation") == self.index.manifest.get("generation"):
            return False
        with self._lock:
            self.index = open_index(self.settings, self.embedder.key)
        return True

    def search(
        self, query: str, k: int | None = None, filters: Filters = Filters(), mode: RetrievalMode | None = None
    ) -> list[ScoredChunk]:
        """Ranked chunks for a query."""
        text = clean_question(query, self.settings.max_question_chars)
        self.refresh()
        retriever = make_retriever(mode or self.settings.retrieval_mode, self.index, self.embedder)
        return retriever.retrieve(text, k or self.settings.top_k, filters)

    def ask(self, question: str, history: Sequence[Turn] = ()) -> Answer:
        """Answer a question, citing the chunks it used."""
        text = clean_question(question, self.settings.max_question_chars)
        language = detect_language(text)
        chunks = self.search(text)
        return self.generator.generate(text, language, chunks)

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
