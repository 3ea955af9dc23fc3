"""The reading of the question is unsure: say what was understood and ask one question back."""

from __future__ import annotations

from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers.base import Rendered
from assistant.answer.renderers.fit import describe_profile
from assistant.answer.text import say


def understood_line(ctx: AdviceContext) -> str:
    """'I am not sure I understood: I read it as …' – the intent as read, and the profile as restated."""
    lang = ctx.language
    reading = " ".join(
        x for x in (say(f"unsure.intent.{ctx.intent}", lang), describe_profile(ctx.profile, lang)) if x
    )
    return say("unsure.understood", lang, reading=reading)


def ask_back(ctx: AdviceContext) -> str:
    """The one question back: the decisive missing dimension, or which kind of help is wanted."""
    return f"*{ctx.clarifying_question or say('unsure.ask', ctx.language)}*"


def render_clarify(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """What was understood, then exactly one question (no sources needed: nothing is claimed)."""
    return Rendered((understood_line(ctx), ask_back(ctx)), needs_citation=False)
