"""Frozen data types shared by every stage of the pipeline."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

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
    imported: str = ""  # ISO date an importer wrote the document; empty for hand-written ones


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
    imported: str = ""  # the document's import date (provenance), not part of the chunk id

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


Intent = Literal["method_fit", "factual", "comparison", "process_planning", "general", "out_of_scope"]


@dataclass(frozen=True)
class ContextProfile:
    """What the official has told us about their situation; None or empty means not stated."""

    purposes: tuple[str, ...] = ()
    influence: tuple[str, ...] = ()
    nothing_to_influence: bool = False
    population: int | None = None
    budget_sek: int | None = None
    time_weeks: float | None = None
    target_groups: tuple[str, ...] = ()
    ages: tuple[int, int] | None = None
    participants: int | None = None
    scale: str | None = None
    complexity: str | None = None
    conflict: str | None = None
    format: str | None = None
    commitment: bool | None = None

    def is_empty(self) -> bool:
        """True when nothing is known."""
        return self == ContextProfile()

    def known(self) -> int:
        """How many dimensions are stated."""
        return sum(
            1
            for v in (
                self.purposes,
                self.influence,
                self.population,
                self.budget_sek,
                self.time_weeks,
                self.target_groups,
                self.participants,
                self.scale,
                self.complexity,
                self.conflict,
                self.format,
                self.commitment,
            )
            if v not in (None, ())
        ) + int(self.nothing_to_influence)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the `ask` contract and the UI form."""
        return {
            "purposes": list(self.purposes),
            "influence": list(self.influence),
            "nothing_to_influence": self.nothing_to_influence,
            "population": self.population,
            "budget_sek": self.budget_sek,
            "time_weeks": self.time_weeks,
            "target_groups": list(self.target_groups),
            "ages": list(self.ages) if self.ages else None,
            "participants": self.participants,
            "scale": self.scale,
            "complexity": self.complexity,
            "conflict": self.conflict,
            "format": self.format,
            "commitment": self.commitment,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ContextProfile:
        """Inverse of to_json; unknown keys are ignored, empty values mean not stated."""

        def tup(key: str) -> tuple[str, ...]:
            return tuple(str(x) for x in (data.get(key) or ()))

        ages = data.get("ages")
        return cls(
            purposes=tup("purposes"),
            influence=tup("influence"),
            nothing_to_influence=bool(data.get("nothing_to_influence")),
            population=data.get("population") or None,
            budget_sek=data.get("budget_sek") or None,
            time_weeks=data.get("time_weeks") or None,
            target_groups=tup("target_groups"),
            ages=(int(ages[0]), int(ages[1])) if ages else None,
            participants=data.get("participants") or None,
            scale=data.get("scale") or None,
            complexity=data.get("complexity") or None,
            conflict=data.get("conflict") or None,
            format=data.get("format") or None,
            commitment=data.get("commitment"),
        )


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True)


class PlanPhase(_Frozen):
    """One phase of a process plan."""

    name: str
    weeks: float
    activities: tuple[str, ...]
    citation: int | None = None
    key: str = ""  # the template's phase key ('mandate', 'invitation' …), see assistant/data/plan.toml


class Citation(_Frozen):
    """A numbered reference from answer text to a retrieved chunk."""

    n: int
    chunk_id: str
    doc_id: str
    title: str
    section: str
    url: str
    quote: str
    licence: str = ""


class MethodFit(_Frozen):
    """A recommended method with its fit score and the reasons behind it."""

    id: str
    title: str
    score: float
    reasons: tuple[str, ...] = ()


class Answer(_Frozen):
    """What the assistant returns for one question; its JSON is the `ask --json` and `/ask` contract."""

    text: str = Field(serialization_alias="answer", validation_alias=AliasChoices("text", "answer"))
    language: Lang
    intent: Intent = "general"
    citations: tuple[Citation, ...] = ()
    recommended_methods: tuple[MethodFit, ...] = ()
    abstained: bool = False
    clarifying_question: str | None = None
    profile: ContextProfile = ContextProfile()
    plan: tuple[PlanPhase, ...] = ()
    notes: tuple[str, ...] = ()  # diagnostics, e.g. citations the LLM invented and that were removed

    def to_json(self) -> dict[str, Any]:
        """The `ask --json` contract read by the UI and the evaluation harness."""
        return self.model_dump(mode="json", by_alias=True)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Answer:
        """Inverse of to_json."""
        return cls.model_validate(data)
