"""A 'how do we …' question about one phase (invitation, recruitment, feedback, analysis): that phase only.

The course module's passages on the phase come first, then what the method cards say about that
step: the card the conversation is about, or else the best-fitting cards whose steps speak of it.
"""

from __future__ import annotations

from assistant.advisor import Fit
from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext, steps_query
from assistant.answer.renderers.base import Rendered
from assistant.answer.renderers.fit import describe_profile
from assistant.answer.renderers.process import focus_item
from assistant.answer.text import first_sentences, say, short_title
from assistant.sections import heading

CARDS_QUOTED = 2
CANDIDATES = 15  # best-fitting cards looked at for a step that speaks of the phase


def _card_steps(
    ctx: AdviceContext, fits: list[Fit], words: str, cites: Citations
) -> tuple[list[str], list[Fit]]:
    lines: list[str] = []
    used: list[Fit] = []
    for f in fits:
        # The steps passage that speaks of the phase; a long steps section may be cut into several chunks.
        found = (
            ctx.search(f.card.id, steps_query(words)),
            ctx.card_passage(f.card.id, "steps"),
        )
        steps = heading("kind.method", "steps")
        pairs = [
            (src, focus_item(src.chunk.text, words))
            for src in found
            if src is not None and src.chunk.section == steps
        ]
        src, item = next(((s, i) for s, i in pairs if i is not None), (None, None))
        if src is None or item is None:
            continue
        lead = say("plan.steps_focus", ctx.language, title=short_title(f.card.title))
        line = f"{lead} {first_sentences(item, 480)}"
        lines.append(line + cites.cite(src, line))
        used.append(f)
        if len(used) == CARDS_QUOTED:
            break
    return lines, used


def render_phase(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """What the course and the cards say about the one phase the question names."""
    phase = ctx.phase
    if phase is None:
        return None
    lang = ctx.language
    name = say(f"phase.{phase.key}", lang)
    lines = [describe_profile(ctx.profile, lang), say("phase.intro", lang, phase=name)]
    for ref in phase.passages:
        src = ctx.passage(ref)
        if src is not None:
            said = say("plan.course_says", lang, sentence=first_sentences(src.chunk.text, 360))
            lines.append(said + cites.cite(src, said))
    named = [f for f in ctx.fits if f.card.id in ctx.methods]
    candidates = named or [f for f in ctx.fits if not f.hard_conflict][:CANDIDATES]
    steps, used = _card_steps(ctx, candidates, phase.card_words, cites)
    lines += steps
    # A method the conversation is about keeps its whole plan beside the answer (the plan view).
    keep_plan = bool(named) and bool(ctx.plan)
    if not keep_plan:
        lines.append(say("phase.more", lang))
    return Rendered(tuple(lines), tuple(used), with_plan=keep_plan)
