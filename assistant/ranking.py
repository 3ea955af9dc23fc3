"""Method cards ranked for one question: each scored by `advisor.fit`, best first.

The question's retrieval ranks give each card its relevance. A method the official named whose card says it does not
fit them often says what to use instead ("… använd då samråd eller enkät"); those methods then rank as if the
question had named them, so the alternatives the card itself gives are recommended.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from assistant.advisor import Fit, MethodCard, fit
from assistant.needs import NeedMatch
from assistant.types import ContextProfile

NamesIn = Callable[[str], Sequence[str]]  # text → the method ids it names


def relevance_from_ranks(doc_ranks: Sequence[str]) -> dict[str, float]:
    """Doc ids in retrieval order → relevance 1, 1/2, 1/3 … (reciprocal rank)."""
    out: dict[str, float] = {}
    for i, doc in enumerate(doc_ranks, start=1):
        out.setdefault(doc, 1.0 / i)
    return out


def rank_methods(
    cards: Iterable[MethodCard],
    profile: ContextProfile,
    relevance: Mapping[str, float] | None = None,
    needs: Mapping[str, NeedMatch] | None = None,
    form: bool = False,
    similar: Mapping[str, float] | None = None,
    named: Iterable[str] = (),
    names_in: NamesIn | None = None,
) -> list[Fit]:
    """Every card scored, best first; cards with a hard conflict sort below all others.

    `named`: the methods the official asked about. With `names_in`, the methods a named method's statement
    against names instead are lifted to the relevance of a named method, and the cards ranked again.
    """
    cards, asked = list(cards), set(named)
    relevance, needs, similar = dict(relevance or {}), needs or {}, similar or {}

    def ranked() -> list[Fit]:
        fits = [
            fit(
                c,
                profile,
                relevance.get(c.id, 0.0),
                needs.get(c.id),
                form,
                similar.get(c.id, 0.0),
                c.id in asked,
            )
            for c in cards
        ]
        return sorted(fits, key=lambda f: (f.hard_conflict, -f.raw, f.card.id))

    fits = ranked()
    known = {c.id for c in cards}
    instead = [
        mid
        for f in fits
        if f.card.id in asked and names_in is not None
        for r in f.cons
        if r.key == "unfit_match"
        for mid in names_in(str(dict(r.params)["statement"]))
        if mid not in asked and mid in known
    ]
    if not instead:
        return fits
    for mid in instead:
        relevance[mid] = max(relevance.get(mid, 0.0), 1.0)
    return ranked()
