"""What the pipeline found out about a question, handed to a generator, and how a renderer asks for passages.

Renderers ask for a passage by role and key ("process-design.invitation") or by a card's key
("key_facts"); `assistant/data/sections.toml` maps those to section headings, and the documents'
`role` front matter maps roles to document ids. No document id or heading is written in code.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from assistant.advisor import Fit, MethodCard
from assistant.sections import heading, sections, setting
from assistant.types import ContextProfile, Intent, Lang, PlanPhase, ScoredChunk

Finder = Callable[
    [str, str], ScoredChunk | None
]  # (doc id, section heading or query) → best chunk of that doc


@dataclass(frozen=True)
class Phase:
    """One phase a 'how do we …' question can be about (sections.toml [phase.*])."""

    key: str
    cues: tuple[str, ...]
    card_words: str
    passages: tuple[str, ...]


def steps_query(card_words: str | None) -> str:
    """The query that finds a card's steps passage on one step (or the default steps)."""
    words = card_words or str(setting("steps", "default_words"))
    return f"{heading('kind.method', 'steps')} {setting('steps', 'query_word')} {words}"


def phases() -> tuple[Phase, ...]:
    """Every phase in the order sections.toml lists them."""
    return tuple(
        Phase(key, tuple(v["cues"]), str(v["card_words"]), tuple(v["passages"]))
        for key, v in sections()["phase"].items()
    )


def names_process(question: str) -> bool:
    """True when a question speaks of the process itself: the whole of it, or any one phase."""
    q = f" {question.lower()} "
    return any(cue in q for cue in setting("phase_whole", "cues")) or any(
        cue in q for p in phases() for cue in p.cues
    )


def phase_of(question: str) -> Phase | None:
    """The one phase a question names ('hur bjuder vi in?'); None when it names none or several."""
    q = f" {question.lower()} "
    if any(cue in q for cue in setting("phase_whole", "cues")):
        return None
    hits = [p for p in phases() if any(cue in q for cue in p.cues)]
    # Invitation and recruitment share the card's steps: naming both is still one step of the card.
    if len({p.card_words for p in hits}) != 1:
        return None
    return hits[0]


@dataclass(frozen=True)
class AdviceContext:
    """Everything the pipeline found out, handed to a generator."""

    question: str
    language: Lang
    intent: Intent
    profile: ContextProfile
    passages: tuple[ScoredChunk, ...] = ()
    fits: tuple[Fit, ...] = ()
    methods: tuple[str, ...] = ()  # method ids the question is about (named or from the conversation)
    cards: Mapping[str, MethodCard] = field(default_factory=dict)
    find: Finder | None = None
    clarifying_question: str | None = None
    plan: tuple[PlanPhase, ...] = ()
    plan_methods: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    roles: Mapping[str, str] = field(default_factory=dict)  # document role → document id
    case_methods: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # case id → the methods it used
    cases: tuple[str, ...] = ()  # case ids the question names ('Porto Alegre'): its facts are that case's
    phase: Phase | None = None  # the one phase a process question is about
    preconditions: tuple[str, ...] = ()  # 'decided', 'nothing_to_influence', 'no_mandate': inform instead
    unsure: bool = False  # the reading of the question is uncertain: say what was understood, ask back
    understood: str = ""  # the reading, in the user's language, when unsure

    def search(self, doc_id: str, query: str) -> ScoredChunk | None:
        """The chunk of one document that best answers a query (or has that section heading)."""
        return self.find(doc_id, query) if self.find and doc_id else None

    def card_passage(self, card_id: str, key: str) -> ScoredChunk | None:
        """A method card's passage by key ('summary', 'key_facts', 'steps' …)."""
        return self.search(card_id, heading("kind.method", key))

    def methods_of(self, doc_ids: Sequence[str], most: int = 3) -> tuple[Fit, ...]:
        """The method cards that documents stand for, in their order: a card itself, a case's methods.

        The methods a cited answer draws on, named first (`methods`): what the answer's method panel shows
        beside a synthesis or a fact about a case."""
        ids = [*self.methods]
        for doc in doc_ids:
            ids += [doc] if doc in self.cards else list(self.case_methods.get(doc, ()))
        by_id = {f.card.id: f for f in self.fits}
        return tuple(by_id[m] for m in dict.fromkeys(ids) if m in by_id)[:most]

    def doc_of(self, role: str) -> str:
        """The id of the document with a role, or '' when the corpus has none."""
        return self.roles.get(role, "")

    def passage(self, ref: str) -> ScoredChunk | None:
        """A passage by 'role.key' ('empty-dialogues.inform_instead'); None when the role is missing."""
        role, _, key = ref.partition(".")
        doc = self.doc_of(role)
        return self.search(doc, heading(f"role.{role}", key)) if doc else None

    def about_question(self, role: str) -> ScoredChunk | None:
        """The passage of a role's document that best answers the question."""
        return self.search(self.doc_of(role), self.question)
