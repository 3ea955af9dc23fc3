"""The agreement figures of evals.gemma_backends on tiny literal vectors."""

from __future__ import annotations

import numpy as np

from evals.gemma_backends import agreement

DOCS = np.eye(6, dtype=np.float32)
QUESTIONS = np.array([[0.9, 0.5, 0.4, 0.3, 0.2, 0.1], [0.1, 0.2, 0.3, 0.4, 0.5, 0.9]], dtype=np.float32)
QUESTIONS /= np.linalg.norm(QUESTIONS, axis=1, keepdims=True)


def test_identical_vectors_agree_everywhere() -> None:
    got = agreement(DOCS, DOCS, QUESTIONS, QUESTIONS)
    assert got["same_top5"] == 2 and got["passages"] == 6 and got["questions"] == 2
    assert (
        got["passage_cosine_min"] == 1.0
        and abs(got["question_cosine_mean"] - 1.0) < 1e-6
        and got["max_distance"] == 0.0
    )


def test_a_swap_inside_the_top5_counts_as_disagreement() -> None:
    swapped = QUESTIONS.copy()
    swapped[1] = QUESTIONS[1][[0, 1, 2, 4, 3, 5]]  # passages 4 and 5 trade places for the second question
    got = agreement(DOCS, DOCS, QUESTIONS, swapped)
    assert got["same_top5"] == 1 and got["question_cosine_min"] < 1.0
