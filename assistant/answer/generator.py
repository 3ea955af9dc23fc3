"""The generator contract, and the composer: the embedded backend that writes a cited answer without an LLM.

Contract (what the pipeline and the UI rely on):

- `generate(ctx) -> Answer`: the whole answer at once.
- `stream(ctx) -> Iterator[str | Answer]`: zero or more text deltas (`str`), then exactly one final
  `Answer`, always last. The deltas are what a model really writes as it writes it; joined, they are a
  draft of the final text (the final `Answer.text` may differ: invalid citation markers removed, or a
  fallback answer). A generator that writes the answer in one go (the composer) yields no delta, only
  the `Answer` – so a UI shows a composed answer at once and animates only real deltas.
- `streams`: True when `stream` yields deltas (an LLM), False when it yields only the `Answer`.

No LLM here: sentences come from the message catalogue, card fields and the passages themselves;
every factual sentence ends with a [n] marker that points at a retrieved chunk.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from typing import Protocol

from assistant.advisor import Fit
from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers import (
    RENDERERS,
    Rendered,
    render_clarify,
    render_general,
    render_inform,
    render_phase,
)
from assistant.answer.renderers.clarify import ask_back, understood_line
from assistant.answer.renderers.fit import describe_profile
from assistant.answer.renderers.inform import (
    decided_first,
    mandate_first,
    maybe_decided,
    no_mandate,
    nothing_to_influence,
)
from assistant.answer.text import say, short_title
from assistant.types import Answer, Lang, MethodFit


class Generator(Protocol):
    """Writes an answer for an advice context, at once or streamed (see the module docstring)."""

    streams: bool

    def generate(self, ctx: AdviceContext) -> Answer:
        """Answer text with [n] markers and the citations they point to."""
        ...

    def stream(self, ctx: AdviceContext) -> Iterator[str | Answer]:
        """Text deltas as they are written, then the final Answer (last, exactly once)."""
        ...


def method_fit(fit: Fit, lang: Lang) -> MethodFit:
    """A scored method for the answer: its score and its reasons, for (+) and against (−)."""
    reasons = ["+ " + r.explained(lang) for r in fit.pros] + ["− " + r.explained(lang) for r in fit.cons]
    return MethodFit(id=fit.card.id, title=fit.card.title, score=fit.score, reasons=tuple(reasons))


def bare_answer(ctx: AdviceContext, key: str) -> Answer:
    """An answer without sources (out of scope, or nothing found): abstained."""
    return Answer(
        text=say(key, ctx.language),
        language=ctx.language,
        abstained=True,
        intent=ctx.intent,
        profile=ctx.profile,
        notes=ctx.notes,
    )


def _refusal(ctx: AdviceContext) -> Answer:
    """The refusal; where the question names a method, it also says what may be asked about that method."""
    refused = bare_answer(ctx, "answer.out_of_scope")
    named = [short_title(ctx.cards[m].title) for m in ctx.methods if m in ctx.cards][:1]
    if not named:
        return refused
    return refused.model_copy(
        update={"text": say("answer.out_of_scope_method", ctx.language, method=named[0])}
    )


def _by_intent(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    if ctx.intent == "process_planning" and ctx.phase is not None:
        return render_phase(ctx, cites)
    if ctx.intent == "process_planning" and not ctx.plan:
        return RENDERERS["method_fit"](ctx, cites)  # a plan needs a method; recommend one first
    return RENDERERS[ctx.intent](ctx, cites) if ctx.intent in RENDERERS else None


def render(ctx: AdviceContext, cites: Citations) -> Rendered:
    """The renderer the context calls for: missing preconditions and an unsure reading shape the answer.

    Nothing to influence → advice to inform instead. No mandate → that advice first, then the answer.
    An unsure reading → what was understood first, the answer, and one question back at the end.
    """
    if nothing_to_influence(ctx):
        return render_inform(ctx, cites) or Rendered(())
    first = " ".join(
        part
        for part in (
            mandate_first(ctx, cites) if no_mandate(ctx) else "",
            decided_first(ctx, cites) if maybe_decided(ctx) else "",
        )
        if part
    )
    if ctx.unsure:
        understood = understood_line(ctx)
        chosen = _by_intent(ctx, cites)
        if chosen is None:
            return render_clarify(ctx, cites) or Rendered(())
        # One question back: the renderer's own closing question gives way to it, and the profile,
        # already restated in what was understood, is not said twice.
        closing = {
            f"*{ctx.clarifying_question}*",
            say("fit.ask", ctx.language),
            say("phase.more", ctx.language),
            describe_profile(ctx.profile, ctx.language),
        }
        body = tuple(line for line in chosen.lines if line not in closing)
        return replace(chosen, lines=(understood, first, *body, ask_back(ctx)))
    chosen = _by_intent(ctx, cites) or render_general(ctx, cites) or Rendered(())
    return replace(chosen, lines=(first, *chosen.lines)) if first else chosen


class Composer:
    """Answers from templates in the user's language, one renderer per intent."""

    streams = False

    def generate(self, ctx: AdviceContext) -> Answer:
        """Write the answer for the context."""
        if ctx.intent == "out_of_scope":
            return _refusal(ctx)
        cites = Citations()
        rendered = render(ctx, cites)
        if not cites.items and rendered.lines and rendered.needs_citation:
            # The chosen renderer found nothing to cite: fall back to the general synthesis.
            cites = Citations()
            rendered = render_general(ctx, cites) or Rendered(())
        if not rendered.lines or (rendered.needs_citation and not cites.items):
            return bare_answer(ctx, "answer.none")
        return Answer(
            text="\n\n".join(line for line in rendered.lines if line),
            language=ctx.language,
            citations=tuple(cites.items),
            recommended_methods=tuple(method_fit(f, ctx.language) for f in rendered.methods),
            clarifying_question=ctx.clarifying_question,
            intent=ctx.intent,
            profile=ctx.profile,
            plan=ctx.plan if rendered.with_plan else (),
            notes=ctx.notes,
        )

    def stream(self, ctx: AdviceContext) -> Iterator[str | Answer]:
        """The finished answer at once: a composed answer has no deltas."""
        yield self.generate(ctx)
