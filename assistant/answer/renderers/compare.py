"""A comparison of named methods: a table of their key facts, what each is for, and which fits best."""

from __future__ import annotations

from collections.abc import Callable

from assistant.advisor import MethodCard
from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers.base import Rendered
from assistant.answer.text import Labels, Money, Weeks, first_sentences, join, say, short_title
from assistant.types import Lang

ROWS = ("purpose", "influence", "recruitment", "participants", "time", "cost", "staff")


def _span(v: tuple[float, float] | None, fmt: Callable[[float], str]) -> str:
    return f"{fmt(v[0])}–{fmt(v[1])}" if v else "–"


def _cells(c: MethodCard, lang: Lang) -> dict[str, str]:
    return {
        "purpose": Labels("purposes", c.purposes).render(lang),
        "influence": Labels("influence", c.influence).render(lang),
        "recruitment": Labels("recruitment", c.recruitment).render(lang),
        "participants": _span(c.participants, lambda x: str(int(x))),
        "time": _span(c.duration_weeks, lambda x: Weeks(x).render(lang)),
        # Swedish amounts in both languages: the cell quotes the card's key facts.
        "cost": _span(c.cost_sek, lambda x: Money(x).render("sv")),
        "staff": Labels("level", (c.staff_effort,)).render(lang) if c.staff_effort else "–",
    }


def render_compare(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """Two or three named methods side by side."""
    lang = ctx.language
    cards = [ctx.cards[m] for m in ctx.methods[:3] if m in ctx.cards]
    if len(cards) < 2:
        return None
    heads = [f"{short_title(c.title)}{cites.cite(ctx.card_passage(c.id, 'key_facts'))}" for c in cards]
    table = ["| | " + " | ".join(heads) + " |", "|---" * (len(cards) + 1) + "|"]
    cells = [_cells(c, lang) for c in cards]
    table += [
        f"| {say('compare.row.' + row, lang)} | " + " | ".join(x[row] for x in cells) + " |" for row in ROWS
    ]
    lines = [say("compare.intro", lang), "\n".join(table)]
    for c in cards:
        about = ctx.search(c.id, ctx.question)
        if about is not None:
            if lang == "en" and c.summary_en:
                text = c.summary_en
                about = ctx.card_passage(c.id, "summary") or about
            else:
                text = first_sentences(about.chunk.text, 260)
            lines.append(f"**{short_title(c.title)}**: " + text + cites.cite(about))
    ids = {c.id for c in cards}
    fits = [f for f in ctx.fits if f.card.id in ids]
    if ctx.profile.known() >= 1 and fits:
        best = fits[0]
        reasons = join([r.text(lang) for r in best.pros[:2]], lang)
        if reasons:
            pick = say("compare.pick", lang, title=short_title(best.card.title), reasons=reasons)
            lines.append(pick + cites.cite(ctx.card_passage(best.card.id, "key_facts")))
    else:
        for c in cards:
            own = tuple(p for p in c.purposes if not all(p in o.purposes for o in cards if o is not c))
            if own:
                line = say(
                    "compare.purpose", lang, title=short_title(c.title), purposes=Labels("purposes", own[:2])
                )
                lines.append(line + cites.cite(ctx.card_passage(c.id, "key_facts")))
    return Rendered(tuple(lines), tuple(fits))
