"""Ratings of answers from the chat, stored through the core feedback store (assistant.feedback).

Where they go comes from the settings: a PostgreSQL URL (`feedback_url`) or the SQLite file
(`feedback_path`). Each write is its own committed transaction, so a rating confirmed on screen
survives an abrupt stop of the server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from assistant.config import Settings
from assistant.feedback import FeedbackStore, open_store, store_for


def _store(where: Settings | FeedbackStore | Path | str) -> FeedbackStore:
    if isinstance(where, FeedbackStore):
        return where
    return store_for(where) if isinstance(where, Settings) else open_store(where)


def save_rating(
    where: Settings | FeedbackStore | Path | str,
    question: str,
    answer: dict[str, Any],
    rating: int,
    comment: str = "",
    config: str = "",
) -> int:
    """Store one rating (+1/-1) of an answer; returns the row id."""
    return _store(where).add(question, answer, rating, comment, config)


def set_comment(where: Settings | FeedbackStore | Path | str, feedback_id: int, comment: str) -> None:
    """Add or replace the comment of a stored rating."""
    _store(where).set_comment(feedback_id, comment)


def list_feedback(
    where: Settings | FeedbackStore | Path | str, only_bad: bool = False, limit: int = 500
) -> list[dict[str, Any]]:
    """Stored ratings, newest first, with the answer JSON parsed; empty when there is no database yet."""
    return _store(where).rows(only_bad=only_bad, newest_first=True, limit=limit)
