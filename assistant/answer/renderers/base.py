"""What a renderer returns, and the one signature every renderer has."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from assistant.advisor import Fit
from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext


@dataclass(frozen=True)
class Rendered:
    """An answer's paragraphs, the methods it recommends, and whether the plan goes with it."""

    lines: tuple[str, ...]
    methods: tuple[Fit, ...] = ()
    with_plan: bool = False
    needs_citation: bool = True  # False: a question back may stand without a source


class Renderer(Protocol):
    """Writes the answer for one kind of question, or None when the context does not allow it."""

    def __call__(self, ctx: AdviceContext, cites: Citations) -> Rendered | None:
        """Paragraphs with [n] markers from `cites`; None hands the question to the general renderer."""
        ...
