"""A factual question about named methods: what the cards say, with the key facts when cost or time is asked."""

from __future__ import annotations

from assistant.advisor import MethodCard
from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers.base import Rendered
from assistant.answer.text import first_sentences, say, short_title
from assistant.sections import heading, setting
from assistant.types import ScoredChunk


def _english(
    ctx: AdviceContext, card: MethodCard, best: ScoredChunk, summary: ScoredChunk, cites: Citations
) -> list[str]:
    """The card's English summary, and its English 'when it fits / does not' bullets when asked or found.

    The bullets are cited to the Swedish section they were written from.
    """
    lines = [card.summary_en + cites.cite(summary)]
    q = f" {ctx.question.lower()} "
    fits, not_fits = heading("kind.method", "fits"), heading("kind.method", "not_fits")
    wanted = ""
    if any(cue in q for cue in setting("fit_questions", "not_fits")):
        wanted = not_fits
    elif best.chunk.section in (fits, not_fits):
        wanted = best.chunk.section
    elif any(cue in q for cue in setting("fit_questions", "fits")):
        wanted = fits
    bullets = {fits: card.fits_en, not_fits: card.not_fits_en}.get(wanted, ())
    src = (best if best.chunk.section == wanted else ctx.search(card.id, wanted)) if wanted else None
    if bullets and src is not None:
        lines.append("\n".join(f"- {b}" for b in bullets) + cites.cite(src))
    elif best.chunk.id != summary.chunk.id and best.chunk.section != summary.chunk.section:
        quoted = first_sentences(best.chunk.text, 480)
        lines.append(say("facts.card_adds", ctx.language, sentence=quoted) + cites.cite(best))
    return lines


def render_facts(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """Up to two named methods, each with the passage that best answers the question.

    A question that also names a case ("When did Porto Alegre start its participatory budget?") asks
    about that case, not the method in general: the synthesis of what answers it is the answer (None).
    """
    if ctx.cases:
        return None
    lang = ctx.language
    lines: list[str] = []
    for mid in ctx.methods[:2]:
        card = ctx.cards.get(mid)
        best = ctx.search(mid, ctx.question)
        if best is None:
            continue
        title = short_title(card.title) if card else best.chunk.title
        english = lang == "en" and card is not None and bool(card.summary_en)
        lines.append(say("facts.about_en" if english else "facts.about", lang, title=f"**{title}**"))
        summary = ctx.card_passage(mid, "summary")
        if english and card is not None and summary is not None:
            lines += _english(ctx, card, best, summary, cites)
        else:
            lines.append(first_sentences(best.chunk.text, 480) + cites.cite(best))
        if any(w in ctx.question.lower() for w in setting("resources", "asks")):
            facts = ctx.card_passage(mid, "key_facts")
            if facts is not None and facts.chunk.id != best.chunk.id:
                starts = tuple(setting("resources", "lines"))
                wanted = [s for s in facts.chunk.text.splitlines() if s.lower().startswith(starts)]
                if wanted:
                    lines.append(" ".join(wanted) + cites.cite(facts))
    if not lines:
        return None
    return Rendered(tuple(lines), tuple(f for f in ctx.fits if f.card.id in ctx.methods))
