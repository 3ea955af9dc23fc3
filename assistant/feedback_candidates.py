"""Bad answers as candidate gold cases: what the gold set needs from ratings in the feedback store.

The trainer tab exports the same candidates, so the logic lives in the core (`assistant.feedback` owns the
store, this module the shape of a candidate); `evals.feedback` re-exports it for the harness.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, get_args

from assistant.types import Intent
from assistant.understanding import detect_language

# The gold set's categories: every intent but 'general' (evals/gold.py checks the same list).
CATEGORIES: tuple[str, ...] = tuple(i for i in get_args(Intent) if i != "general")


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
