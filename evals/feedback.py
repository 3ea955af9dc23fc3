"""User feedback on answers (SQLite), and turning bad answers into candidate gold cases for review."""

from __future__ import annotations

import json
import re
import sqlite3
from collections.abc import Iterable
from contextlib import closing
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from assistant.errors import AssistantError
from assistant.understanding import detect_language
from evals.gold import CATEGORIES

SCHEMA = """
CREATE TABLE IF NOT EXISTS feedback (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    created_at TEXT NOT NULL,
    question TEXT NOT NULL,
    answer_json TEXT NOT NULL,
    rating INTEGER NOT NULL CHECK (rating IN (-1, 1)),
    comment TEXT NOT NULL DEFAULT '',
    config TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS feedback_rating ON feedback (rating, created_at);
"""


class FeedbackError(AssistantError):
    """The feedback database cannot be read or written."""


def connect(path: Path) -> sqlite3.Connection:
    """Open (and create if needed) the feedback database."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(path)
        conn.executescript(SCHEMA)
    except sqlite3.DatabaseError as exc:
        raise FeedbackError(
            f"Cannot open the feedback database {path}: {exc}.", hint="Check the file."
        ) from None
    return conn


def record_feedback(
    path: Path,
    question: str,
    answer: dict[str, Any],
    rating: int,
    comment: str = "",
    config: str = "",
    now: datetime | None = None,
) -> int:
    """Store one rating (+1 good, -1 bad) of an answer in the `ask --json` contract; returns its id."""
    if rating not in (-1, 1):
        raise FeedbackError(f"A rating must be +1 or -1, got {rating!r}.")
    if not question.strip():
        raise FeedbackError("Feedback needs the question that was asked.")
    stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
    with closing(connect(path)) as conn, conn:
        cur = conn.execute(
            "INSERT INTO feedback (created_at, question, answer_json, rating, comment, config)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                stamp,
                question.strip(),
                json.dumps(answer, ensure_ascii=False),
                rating,
                comment.strip(),
                config,
            ),
        )
        return int(cur.lastrowid or 0)


def read_feedback(
    path: Path,
    where: str = "",
    args: tuple[Any, ...] = (),
    order: str = "created_at, id",
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Rows of the feedback table with the answer JSON parsed (unreadable JSON is kept as the answer text).

    `where` and `order` are SQL fragments written by this package, never user text; values go in `args`.
    """
    query = "SELECT id, created_at, question, answer_json, rating, comment, config FROM feedback"
    query += (f" WHERE {where}" if where else "") + f" ORDER BY {order}"
    if limit is not None:
        query, args = query + " LIMIT ?", (*args, limit)
    with closing(sqlite3.connect(path)) as conn:
        try:
            rows = conn.execute(query, args).fetchall()
        except sqlite3.DatabaseError as exc:
            raise FeedbackError(f"{path} has no readable feedback table ({exc}).") from None
    out = []
    for fid, created, question, answer_json, rating, comment, config in rows:
        try:
            answer = json.loads(answer_json)
        except json.JSONDecodeError:
            answer = {"answer": answer_json}
        out.append(
            {
                "id": fid,
                "created_at": created,
                "question": question,
                "answer": answer,
                "rating": rating,
                "comment": comment,
                "config": config,
            }
        )
    return out


def bad_answers(path: Path, since: str | None = None) -> list[dict[str, Any]]:
    """Rows rated -1 (oldest first), with the answer JSON parsed."""
    if not path.exists():
        raise FeedbackError(f"The feedback database {path} does not exist.", hint="Give --feedback DB.")
    if since:
        return read_feedback(path, "rating = -1 AND created_at >= ?", (since,))
    return read_feedback(path, "rating = -1")


def _key(question: str) -> str:
    return re.sub(r"\W+", " ", question.lower()).strip()


def to_candidate(row: dict[str, Any]) -> dict[str, Any]:
    """A gold case skeleton for a trainer: the question, what went wrong, and fields to fill in."""
    answer = row["answer"] if isinstance(row["answer"], dict) else {}
    intent = answer.get("intent")
    return {
        "id": f"fb-{row['id']}",
        "lang": detect_language(row["question"]),
        "category": intent if intent in CATEGORIES else "method_fit",
        "question": row["question"],
        "expected_methods": [],
        "expected_behavior": "refuse_or_redirect" if intent == "out_of_scope" else "answer",
        "expected_sources": [],
        "must_cover": [],
        "needs_review": True,
        "review": {
            "feedback_id": row["id"],
            "created_at": row["created_at"],
            "config": row["config"],
            "comment": row["comment"],
            "bad_answer": str(answer.get("answer", ""))[:2000],
            "recommended": [m.get("id") for m in answer.get("recommended_methods", [])],
            "cited": [c.get("doc_id") for c in answer.get("citations", [])],
            "abstained": bool(answer.get("abstained")),
        },
    }


def candidates(rows: Iterable[dict[str, Any]], known_questions: Iterable[str] = ()) -> list[dict[str, Any]]:
    """One candidate per distinct question, skipping questions already in the gold set."""
    seen = {_key(q) for q in known_questions}
    out = []
    for row in rows:
        key = _key(row["question"])
        if key and key not in seen:
            seen.add(key)
            out.append(to_candidate(row))
    return out


def write_candidates(path: Path, items: Iterable[dict[str, Any]]) -> int:
    """Write candidates as JSONL; returns how many."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as f:
        for item in items:
            f.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
    return n
