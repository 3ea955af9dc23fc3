"""A described need: the methods that fit best, why, what to keep in mind, and what was ruled out."""

from __future__ import annotations

from assistant.advisor import Fit
from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers.base import Rendered
from assistant.answer.text import Labels, Money, Weeks, first_sentences, join, say, short_title
from assistant.chunking import without_aliases
from assistant.types import ContextProfile, Lang

RESOURCE_FIELDS = ("cost_sek", "duration_weeks", "participants")


def describe_profile(p: ContextProfile, lang: Lang) -> str:
    """One sentence restating what the official told us (not a factual claim, so uncited)."""
    parts: list[str] = []
    if p.population:
        parts.append(
            say("profile.population", lang, n=f"{p.population:,}".replace(",", " " if lang == "sv" else ","))
        )
    if p.target_groups:
        groups = Labels("target_groups", p.target_groups).render(lang)
        if p.ages:
            groups += say("profile.ages", lang, lo=p.ages[0], hi=p.ages[1])
        parts.append(say("profile.target_groups", lang, groups=groups))
    if p.purposes:
        parts.append(say("profile.purposes", lang, purposes=Labels("purposes", p.purposes)))
    if p.budget_sek:
        parts.append(say("profile.budget", lang, budget=Money(p.budget_sek)))
    if p.time_weeks:
        parts.append(say("profile.time", lang, time=Weeks(p.time_weeks)))
    if p.participants:
        parts.append(say("profile.participants", lang, n=p.participants))
    if p.conflict == "hog":
        parts.append(say("profile.conflict", lang))
    if p.format:
        parts.append(Labels("formats", (p.format,)).render(lang))
    return say("profile.sentence", lang, parts=join(parts, lang)) if parts else ""


def _summary_line(ctx: AdviceContext, fit: Fit, cites: Citations) -> str:
    about = ctx.card_passage(fit.card.id, "summary")
    if about is None:
        return ""
    if ctx.language == "en" and fit.card.summary_en:
        # The card's own English summary, written from the same sources as the Swedish one.
        return "– " + fit.card.summary_en + cites.cite(about)
    summary = first_sentences(without_aliases(about.chunk.text), 260)
    return "– " + say("fit.what", ctx.language, sentence=summary) + cites.cite(about)


def render_fit(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """The top three methods without a hard conflict, each with its reasons cited to its key facts."""
    good = [f for f in ctx.fits if not f.hard_conflict][:3]
    if not good:
        return None
    lang = ctx.language
    intro = describe_profile(ctx.profile, lang)
    shown = {f.card.id for f in good}
    # A method the official asked about that gives way answers their question: why comes first.
    asked = [f for f in ctx.fits if f.card.id in ctx.methods and f.card.id not in shown]
    lines = [intro, *_why_not(ctx, asked, cites), say("fit.intro" if intro else "fit.intro_bare", lang)]
    for i, fit in enumerate(good, start=1):
        facts = ctx.card_passage(fit.card.id, "key_facts")
        block = [f"**{i}. {short_title(fit.card.title)}**", _summary_line(ctx, fit, cites)]
        need = [r for r in fit.pros if r.field == "fits"][:1]
        if need:  # the card's own words on when it fits, cited to its "När passar det" passage
            said = need[0].text(lang)
            block.append(said + cites.cite(ctx.card_passage(fit.card.id, "fits"), said))
        pros = [r for r in fit.pros if r.field != "fits"]
        if pros:
            because = say("fit.because", lang, reasons=join([r.text(lang) for r in pros[:3]], lang))
            block.append(because + cites.cite(facts, because))
        # A resource at the low end of the card's span is said on its own, cited to the card's key
        # facts (they state the span and the staff effort word for word), then what it means (advice).
        low = [r for r in fit.cons if r.means]
        other = [r for r in fit.cons if not r.means and r.field != "fits"]
        against = [r for r in fit.cons if r.field == "fits"][:1]
        if against:  # the card's own words on when it does not fit, cited to its "När passar det inte"
            watch = say("fit.watch", lang, reasons=against[0].text(lang))
            block.append(watch + cites.cite(ctx.card_passage(fit.card.id, "not_fits"), watch))
        if other:
            watch = say("fit.watch", lang, reasons=join([r.text(lang) for r in other[:2]], lang))
            block.append(watch + cites.cite(facts, watch))
        if low:
            watch = say("fit.watch", lang, reasons=join([r.text(lang) for r in low[:2]], lang))
            src = facts or ctx.card_passage(fit.card.id, "resources")
            block.append(watch + cites.cite(src, watch) + " " + say("fit.simple_variant", lang))
        lines.append(" ".join(b for b in block if b))
    ruled_out = [f for f in ctx.fits if f.hard_conflict and f.relevance >= 0.5][:1]
    lines += _why_not(ctx, [f for f in ruled_out if f not in asked], cites)
    if ctx.profile.commitment is not True:
        src = ctx.passage("empty-dialogues.make_real")
        if src is not None:
            lines.append(say("fit.commit", lang) + cites.cite(src))
    lines.append(f"*{ctx.clarifying_question}*" if ctx.clarifying_question else say("fit.ask", lang))
    return Rendered(tuple(lines), tuple(good))


def _why_not(ctx: AdviceContext, fits: list[Fit], cites: Citations) -> list[str]:
    """Why each of these methods is not recommended: the official's figures against the card's key facts,
    and the card's own words on when it does not fit; each reason cited to the passage that states it."""
    lang, lines = ctx.language, []
    for fit in fits:
        against = [r for r in fit.cons if r.field == "fits"][:1]
        resources = [r for r in fit.cons if r.field in RESOURCE_FIELDS][:2] if fit.hard_conflict else []
        facts, title = ctx.card_passage(fit.card.id, "key_facts"), short_title(fit.card.title)
        explained = False
        if resources and facts is not None:  # the official's own figures first, cited to the card's key facts
            excluded = say(
                "fit.excluded", lang, title=title, reasons=join([r.text(lang) for r in resources], lang)
            )
            lines.append(excluded + cites.cite(facts, excluded))
            explained = True
        if against:  # the card's own words on when it does not fit, cited to its "När passar det inte"
            statement = dict(against[0].params)["statement"]
            line = (
                say("fit.excluded_also", lang, statement=statement)
                if explained
                else say("fit.excluded", lang, title=title, reasons=against[0].text(lang))
            )
            lines.append(line + cites.cite(ctx.card_passage(fit.card.id, "not_fits"), line))
    return lines
