"""The chat's logic without Gradio: conversation turns, answers (LLM deltas streamed), profile edits, configuration.

The Gradio handlers in ui/chat_ui.py call these; tests call them directly.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from assistant.pipeline import Assistant, Turn
from assistant.types import Answer, ContextProfile
from ui.profile_form import apply_edits, profile_edits


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
) -> Iterator[tuple[str, Answer | None]]:
    """(text so far, None) for each delta an LLM writes, then (final text, Answer).

    Follows `Assistant.ask_stream`: the composer yields only its finished Answer, so it is shown at once;
    only an LLM's real deltas stream. Errors (QuestionError, BackendError …) are raised to the caller.
    """
    text = ""
    for item in assistant.ask_stream(question, history, profile):
        if isinstance(item, str):
            text += item
            yield text, None
        else:
            yield item.text, item


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
