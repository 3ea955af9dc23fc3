"""The harness's view of the feedback store (assistant.feedback): ratings in, bad answers out as candidates."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from assistant.feedback import FeedbackError, FeedbackStore, open_store
from assistant.feedback_candidates import candidates, to_candidate, write_candidates

__all__ = [
    "FeedbackError",
    "bad_answers",
    "candidates",
    "record_feedback",
    "to_candidate",
    "write_candidates",
]


def record_feedback(
    target: str | Path | FeedbackStore,
    question: str,
    answer: dict[str, Any],
    rating: int,
    comment: str = "",
    config: str = "",
    now: datetime | None = None,
) -> int:
    """Store one rating (+1 good, -1 bad) of an answer in the `ask --json` contract; returns its id."""
    return _store(target).add(question, answer, rating, comment, config, now)


def bad_answers(target: str | Path | FeedbackStore, since: str | None = None) -> list[dict[str, Any]]:
    """Rows rated -1 (oldest first), with the answer JSON parsed."""
    store = _store(target)
    if not store.exists():
        raise FeedbackError(
            f"The feedback database {store.describe()} does not exist.", hint="Give --feedback DB."
        )
    return store.rows(only_bad=True, since=since)


def _store(target: str | Path | FeedbackStore) -> FeedbackStore:
    return target if isinstance(target, FeedbackStore) else open_store(target)
