"""Frozen data types shared by every stage of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Kind = Literal["method", "course", "principle", "case"]
Lang = Literal["sv", "en"]


@dataclass(frozen=True)
class Source:
    """A public source that a document's facts come from."""

    title: str
    url: str
    publisher: str = ""


@dataclass(frozen=True)
class SourceDocument:
    """One validated corpus document: front matter plus Markdown body."""

    id: str
    kind: Kind
    title: str
    lang: Lang
    body: str
    path: str
    summary: str = ""
    aliases: tuple[str, ...] = ()
    sources: tuple[Source, ...] = ()
    licence: str = ""
    origin: str = "metodguiden"
    attributes: dict[str, Any] = field(default_factory=dict)
    body_line: int = 1  # line in the file where the body starts, for error messages


@dataclass(frozen=True)
class Chunk:
    """A section-sized piece of a document, the unit that is embedded and cited."""

    id: str
    doc_id: str
    text: str
    title: str
    section: str
    kind: Kind
    lang: Lang
    urls: tuple[str, ...] = ()
    licence: str = ""
    origin: str = "metodguiden"
    position: int = 0

    @property
    def embed_text(self) -> str:
        """Text given to the embedder: title and section give a passage its context."""
        heading = f"{self.title} – {self.section}" if self.section else self.title
        return f"{heading}\n\n{self.text}"


@dataclass(frozen=True)
class ScoredChunk:
    """A chunk with the score and rank a retriever gave it."""

    chunk: Chunk
    score: float
    rank: int
    retriever: str


@dataclass(frozen=True)
class Filters:
    """Metadata filters applied by every retriever."""

    kind: Kind | None = None
    lang: Lang | None = None
    doc_id: str | None = None

    def matches(self, chunk: Chunk) -> bool:
        """True when the chunk passes every filter that is set."""
        return (
            (self.kind is None or chunk.kind == self.kind)
            and (self.lang is None or chunk.lang == self.lang)
            and (self.doc_id is None or chunk.doc_id == self.doc_id)
        )


@dataclass(frozen=True)
class Citation:
    """A numbered reference from answer text to a retrieved chunk."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    url: str
    quote: str
    licence: str = ""


@dataclass(frozen=True)
class MethodFit:
    """A recommended method with its fit score and the reasons behind it."""

    id: str
    title: str
    score: float
    reasons: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answer:
    """What the assistant returns for one question."""

    text: str
    language: Lang
    citations: tuple[Citation, ...] = ()
    recommended_methods: tuple[MethodFit, ...] = ()
    abstained: bool = False
    clarifying_question: str | None = None
    intent: str = "general"

    def to_json(self) -> dict[str, Any]:
        """The `ask --json` contract read by the UI and the evaluation harness."""
        return {
            "answer": self.text,
            "language": self.language,
            "intent": self.intent,
            "citations": [
                {
                    "n": c.n,
                    "chunk_id": c.chunk_id,
                    "doc_id": c.doc_id,
                    "title": c.title,
                    "section": c.section,
                    "url": c.url,
                    "quote": c.quote,
                    "licence": c.licence,
                }
                for c in self.citations
            ],
            "recommended_methods": [
                {"id": m.id, "title": m.title, "score": m.score, "reasons": list(m.reasons)}
                for m in self.recommended_methods
            ],
            "abstained": self.abstained,
            "clarifying_question": self.clarifying_question,
        }
