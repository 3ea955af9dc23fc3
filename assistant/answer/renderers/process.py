"""A process plan: six phases, each quoting what the course material says about it, and the method's steps."""

from __future__ import annotations

import re

from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext, steps_query
from assistant.answer.renderers.base import Rendered
from assistant.answer.renderers.fit import describe_profile
from assistant.answer.text import Weeks, first_sentences, join, say, short_title
from assistant.plan import phase_passages


def focus_item(text: str, words: str) -> str | None:
    """The first list item of a card's steps passage that speaks of one of the words' stems."""
    items = re.split(r"\n\s*(?=(?:\d+\.|[-*])\s)", "\n" + text)
    stems = [w[:6] for w in words.split()]
    for item in items:
        if re.match(r"\s*(?:\d+\.|[-*])\s", item) and any(st in item.lower() for st in stems):
            return item.strip()
    return None


def render_process(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """The plan phases with the course's words on each, then the main method's steps."""
    if not ctx.plan:
        return None
    lang = ctx.language
    names = [short_title(ctx.cards[m].title) for m in ctx.plan_methods if m in ctx.cards]
    lines = [describe_profile(ctx.profile, lang), say("plan.intro", lang, methods=join(names, lang))]
    main = ctx.plan_methods[-1] if ctx.plan_methods else ""
    focus = ctx.phase.card_words if ctx.phase else None
    steps_src = ctx.search(main, steps_query(focus)) if main else None
    item = focus_item(steps_src.chunk.text, focus) if focus and steps_src is not None else None
    course = ctx.about_question("process-design")
    passages = phase_passages()
    for i, phase in enumerate(ctx.plan, start=1):
        week = say("plan.week", lang, w=Weeks(phase.weeks))
        # The plan's own activities are shown in the plan view; the text quotes what the
        # course says about each phase, so every cited sentence is backed by its source.
        src = (ctx.passage(passages[phase.key]) if phase.key in passages else None) or course
        said = first_sentences(src.chunk.text, 240) if src is not None else ""
        if said:
            said = say("plan.course_says", lang, sentence=said)  # the phases quote the course, not a card
        lines.append(f"**{i}. {phase.name}** ({week}): {said}" + cites.cite(src))
    if steps_src is not None:
        title = short_title(ctx.cards[main].title) if main in ctx.cards else main
        # A question about one step (invitation, feedback …) gets that step of the card in full.
        lead, text = (
            (say("plan.steps_focus", lang, title=title), first_sentences(item, 480))
            if item
            else (
                say("plan.steps", lang, title=title),
                first_sentences(steps_src.chunk.text, 360),
            )
        )
        lines.append(f"{lead} {text}" + cites.cite(steps_src, f"{lead} {text}"))
    total = sum(p.weeks for p in ctx.plan)
    lines.append(say("plan.total", lang, total=Weeks(total)))
    for mid in ctx.methods[:1]:
        best = ctx.search(mid, ctx.question)
        if best is not None and best.chunk.id != (steps_src.chunk.id if steps_src else ""):
            lines.append(first_sentences(best.chunk.text, 320) + cites.cite(best))
    fits = tuple(f for f in ctx.fits if f.card.id in ctx.plan_methods)
    return Rendered(tuple(lines), fits, with_plan=True)
