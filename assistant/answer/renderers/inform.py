"""Preconditions for a dialogue are missing: inform instead of consulting, cited to the course material.

The reading states preconditions as keys (assistant/reading.py `Understanding.preconditions`):
'already_decided' and 'nothing_to_influence' make the whole answer advice to inform; 'no_mandate'
puts that advice first and keeps the rest of the answer, since a mandate can still be won, and so
does 'maybe_decided' (a decision the reading finds probable, not certain).
"""

from __future__ import annotations

from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers.base import Rendered
from assistant.answer.text import say

NOTHING_TO_INFLUENCE = frozenset({"already_decided", "nothing_to_influence"})


def nothing_to_influence(ctx: AdviceContext) -> bool:
    """True when the official has said the matter is decided or nothing can be influenced."""
    return ctx.profile.nothing_to_influence or bool(NOTHING_TO_INFLUENCE & set(ctx.preconditions))


def no_mandate(ctx: AdviceContext) -> bool:
    """True when the official has said there is no mandate (no commitment from decision-makers)."""
    return "no_mandate" in ctx.preconditions


def maybe_decided(ctx: AdviceContext) -> bool:
    """True when the question probably says the matter is decided, but not surely enough to say only that."""
    return "maybe_decided" in ctx.preconditions and not nothing_to_influence(ctx)


def render_inform(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """Nothing can be influenced: inform, clearly and honestly, instead of inviting to a dialogue."""
    lang = ctx.language
    inform = ctx.passage("empty-dialogues.inform_instead")
    frame = ctx.passage("empty-dialogues.frame_honestly") or inform
    lines = (
        say("inform.nothing", lang) + cites.cite(inform),
        say("inform.nothing_more", lang) + cites.cite(frame),
    )
    return Rendered(lines)


def mandate_first(ctx: AdviceContext, cites: Citations) -> str:
    """The paragraph that puts getting a mandate (and informing meanwhile) before any dialogue."""
    src = ctx.passage("empty-dialogues.make_real") or ctx.passage("empty-dialogues.inform_instead")
    return say("inform.no_mandate", ctx.language) + cites.cite(src) if src is not None else ""


def decided_first(ctx: AdviceContext, cites: Citations) -> str:
    """The paragraph that puts informing first when the matter is probably decided already; where the
    question says a part is still open, it says what to inform about and what to hold a dialogue on."""
    if "still_open" in ctx.preconditions:
        src = ctx.passage("empty-dialogues.frame_honestly") or ctx.passage("empty-dialogues.inform_instead")
        return say("inform.open_part", ctx.language) + cites.cite(src) if src is not None else ""
    src = ctx.passage("empty-dialogues.inform_instead")
    return say("inform.maybe_decided", ctx.language) + cites.cite(src) if src is not None else ""
