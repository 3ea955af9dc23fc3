"""A general question: a cited synthesis – the sentences of the retrieved passages that answer it, grouped by source.

Each sentence is the source's own words (quoted in English answers) and ends with its [n], so every
claim can be checked; sentences are chosen for the words they share with the question, not passages
pasted whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.answer.citations import Citations
from assistant.answer.context import AdviceContext
from assistant.answer.renderers.base import Rendered
from assistant.answer.text import say, sentences, short_title, stems
from assistant.chunking import without_aliases
from assistant.types import ScoredChunk

PASSAGES = 4
PER_PASSAGE = 2
TOTAL = 6
MAX_SENTENCE = 320


@dataclass(frozen=True)
class _Pick:
    source: ScoredChunk
    order: int
    sentence: str


def _picks(ctx: AdviceContext) -> list[_Pick]:
    wanted = stems(ctx.question)
    out: list[_Pick] = []
    for sc in ctx.passages[:PASSAGES]:
        found = [s for s in sentences(without_aliases(sc.chunk.text)) if 20 <= len(s) <= MAX_SENTENCE]
        if not found:
            continue
        # Sentences sharing most words with the question; the opening sentence when none shares any.
        scored = sorted(enumerate(found), key=lambda p: (-len(wanted & stems(p[1])), p[0]))
        best = [p for p in scored if wanted & stems(p[1])][:PER_PASSAGE] or scored[:1]
        out += [_Pick(sc, i, s) for i, s in sorted(best)]
    return out[:TOTAL]


def render_general(ctx: AdviceContext, cites: Citations) -> Rendered | None:
    """Sentences that answer the question, one paragraph per source document, each sentence cited."""
    lang = ctx.language
    picks = _picks(ctx)
    if not picks:
        return None
    groups: dict[str, list[_Pick]] = {}
    for p in picks:
        groups.setdefault(p.source.chunk.doc_id, []).append(p)
    lines = [say("general.intro", lang)]
    for items in groups.values():
        title = short_title(items[0].source.chunk.title)
        said = " ".join(
            say("general.quote", lang, sentence=p.sentence) + cites.cite(p.source, p.sentence) for p in items
        )
        lines.append(f"**{title}**: {said}")
    return Rendered(tuple(lines))
