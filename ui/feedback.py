"""Ratings of answers in the local SQLite database, through the evaluation harness's schema (evals.feedback).

Each write is its own committed transaction and the database runs in WAL mode, so a rating that
was confirmed on screen survives an abrupt stop of the server.
"""

from __future__ import annotations

import threading
from contextlib import closing
from pathlib import Path
from typing import Any

_WAL_DONE: set[Path] = set()
_WAL_LOCK = threading.Lock()


def ensure_database(path: Path) -> None:
    """Create the database if needed and switch it to WAL (a persistent property of the file)."""
    from evals.feedback import FeedbackError, connect

    key = path.resolve()
    with _WAL_LOCK:
        if key in _WAL_DONE and path.exists():
            return
        with closing(connect(path)) as conn:
            mode = conn.execute("PRAGMA journal_mode=WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise FeedbackError(f"The feedback database {path} could not switch to WAL (got {mode!r}).")
        _WAL_DONE.add(key)


def save_rating(
    path: Path, question: str, answer: dict[str, Any], rating: int, comment: str = "", config: str = ""
) -> int:
    """Store one rating (+1/-1) of an answer; returns the row id."""
    from evals.feedback import record_feedback

    ensure_database(path)
    return record_feedback(path, question, answer, rating, comment, config)


def set_comment(path: Path, feedback_id: int, comment: str) -> None:
    """Add or replace the comment of a stored rating."""
    from evals.feedback import FeedbackError, connect

    ensure_database(path)
    with closing(connect(path)) as conn, conn:
        cur = conn.execute("UPDATE feedback SET comment = ? WHERE id = ?", (comment.strip(), feedback_id))
        if cur.rowcount != 1:
            raise FeedbackError(f"No feedback row with id {feedback_id!r}.", hint="Rate the answer first.")


def list_feedback(path: Path, only_bad: bool = False, limit: int = 500) -> list[dict[str, Any]]:
    """Stored ratings, newest first, with the answer JSON parsed; empty when there is no database yet."""
    from evals.feedback import read_feedback

    if not path.exists():
        return []
    return read_feedback(path, "rating = -1" if only_bad else "", (), "created_at DESC, id DESC", limit)
