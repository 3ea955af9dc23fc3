"""The chat's logic without Gradio: conversation turns, streamed answers, profile edits, configuration.

The Gradio handlers in ui/chat_ui.py call these; tests call them directly.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import numpy as np

from assistant.answer.context import AdviceContext
from assistant.embeddings import Embedder, Role
from assistant.errors import BackendError
from assistant.pipeline import Assistant, Turn
from assistant.types import Answer, ContextProfile
from ui.profile_form import apply_edits, profile_edits
from ui.render import stream_pieces

PIECE_DELAY_S = 0.02  # pause between streamed pieces of a composed answer


class LockedEmbedder:
    """One model call at a time: the chat and a background reindex share the embedding model."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.key = inner.key
        self.dim = inner.dim
        self._lock = threading.Lock()

    def embed(self, texts: Sequence[str], role: Role) -> np.ndarray:
        """Embed under the lock."""
        with self._lock:
            return self.inner.embed(texts, role)


class StreamingLLM:
    """Wraps the LLM generator so that the UI receives the model's text deltas while it writes."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner  # assistant.answer.llm.LLMGenerator
        self._local = threading.local()

    @contextmanager
    def sink(self, fn: Callable[[str], None]) -> Iterator[None]:
        """Send this thread's deltas to fn while the block runs."""
        self._local.sink = fn
        try:
            yield
        finally:
            self._local.sink = None

    def generate(self, ctx: AdviceContext) -> Answer:
        """Stream through the sink when one is set; otherwise the plain LLM answer."""
        sink: Callable[[str], None] | None = getattr(self._local, "sink", None)
        if sink is None or ctx.intent == "out_of_scope":
            answer: Answer = self.inner.generate(ctx)
            return answer
        sources, _ = self.inner.prepare(ctx)
        raw: list[str] = []
        try:
            for delta in self.inner.deltas(ctx):
                raw.append(delta)
                sink(delta)
        except BackendError as exc:
            fallback: Answer = self.inner.fallback.generate(ctx)
            notes = (*fallback.notes, f"{exc.message} Svaret skrevs av kompositören.")
            return fallback.model_copy(update={"notes": notes})
        final: Answer = self.inner.finish(ctx, "".join(raw), sources)
        return final


def prepare_assistant(assistant: Assistant) -> Assistant:
    """Wire an assistant for the UI: serialised model calls and streamed LLM deltas (idempotent)."""
    if not isinstance(assistant.embedder.inner, LockedEmbedder):
        assistant.embedder.inner = LockedEmbedder(assistant.embedder.inner)
    from assistant.answer.llm import LLMGenerator

    if isinstance(assistant.generator, LLMGenerator):
        assistant.generator = StreamingLLM(assistant.generator)  # type: ignore[assignment]
    return assistant


def history_of(turns: Sequence[Mapping[str, Any]]) -> list[Turn]:
    """The conversation so far as Turns for Assistant.ask."""
    out: list[Turn] = []
    for t in turns:
        out += [Turn("user", str(t["question"])), Turn("assistant", str(t["answer"].get("answer", "")))]
    return out


def resolve_profile(
    assistant: Assistant,
    question: str,
    history: Sequence[Turn],
    extracted: Mapping[str, Any],
    form: Mapping[str, Any],
) -> tuple[ContextProfile | None, dict[str, Any]]:
    """(profile to ask with, the newly extracted profile); None means 'let the assistant extract it'.

    The official's edits are the fields where the form differs from the previous extraction; they
    are laid over what the new question and conversation say. Raises QuestionError for a bad question.
    """
    fresh = assistant.understand(question, history).profile.to_json()
    edits = profile_edits(extracted, form)
    return (ContextProfile.from_json(apply_edits(fresh, edits)) if edits else None), fresh


def answer_stream(
    assistant: Assistant,
    question: str,
    history: Sequence[Turn] = (),
    profile: ContextProfile | None = None,
    delay_s: float = PIECE_DELAY_S,
) -> Iterator[tuple[str, Answer | None]]:
    """(text so far, None) while the answer is written, then (final text, Answer).

    With the LLM generator the model's own deltas arrive as it writes them; the composer's finished
    answer is handed out in pieces. Errors (QuestionError, BackendError …) are raised to the caller.
    """
    generator = assistant.generator
    if not isinstance(generator, StreamingLLM):
        answer = assistant.ask(question, history, profile)
        for piece in stream_pieces(answer.text)[:-1]:
            yield piece, None
            time.sleep(delay_s)
        yield answer.text, answer
        return
    deltas: queue.Queue[str | None] = queue.Queue()
    result: dict[str, Any] = {}

    def work() -> None:
        try:
            with generator.sink(deltas.put):
                result["answer"] = assistant.ask(question, history, profile)
        except BaseException as exc:  # handed to the caller's thread below
            result["error"] = exc
        finally:
            deltas.put(None)

    worker = threading.Thread(target=work, name="metodguiden-answer", daemon=True)
    worker.start()
    text = ""
    while (item := deltas.get()) is not None:
        text += item
        yield text, None
    worker.join()
    if "error" in result:
        raise result["error"]
    final: Answer = result["answer"]
    yield final.text, final


def config_json(assistant: Assistant) -> str:
    """The configuration an answer was given under, stored with its rating."""
    s = assistant.settings
    return json.dumps(
        {
            "generator": s.generator,
            "llm_model": s.llm_model if s.generator == "llm" else "",
            "embedder": assistant.embedder.key,
            "retrieval_mode": s.retrieval_mode,
            "top_k": s.top_k,
            "index_generation": assistant.index.manifest.get("generation"),
        },
        ensure_ascii=False,
        sort_keys=True,
    )


def documents_by_id(assistant: Assistant) -> dict[str, dict[str, Any]]:
    """The index's document rows by id."""
    return {str(d["id"]): d for d in assistant.index.documents}


def chunk_texts(assistant: Assistant, citations: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """chunk id → text for the cited chunks still in the open index."""
    chunks = assistant.index.chunks
    return {
        str(c["chunk_id"]): chunks[str(c["chunk_id"])].text for c in citations if str(c["chunk_id"]) in chunks
    }
