"""A general question: a cited synthesis – the sentences of the retrieved passages that answer it, grouped by source.

For a question about facts, its methods are the cards it draws on (a card it quotes, the methods of a case it
quotes), never a ranking; a general question lists only the methods it names.

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
from assistant.sections import heading
from assistant.types import ScoredChunk

PASSAGES = 4
PER_PASSAGE = 2
TOTAL = 6
MAX_SENTENCE = 320
FIRST_CHARS = 380  # how much of the best passage's opening is quoted: within one citation's quote


@dataclass(frozen=True)
class _Pick:
    source: ScoredChunk
    order: int
    sentence: str


def _sources(ctx: AdviceContext) -> list[ScoredChunk]:
    """The top passages, a document's summary replaced by its passage that best answers the question.

    A course module's summary says what the module is about ('Kursmodul om …'), not what it says.
    """
    summary = heading("kind.method", "summary")
    out: list[ScoredChunk] = []
    for sc in ctx.passages[:PASSAGES]:
        if sc.chunk.section == summary and sc.chunk.kind == "course":
            sc = ctx.search(sc.chunk.doc_id, ctx.question) or sc
        if sc.chunk.id not in {o.chunk.id for o in out}:
            out.append(sc)
    return out


def _picks(ctx: AdviceContext) -> list[_Pick]:
    """Each source's best sentences; every source gets its first sentence before any gets a second."""
    wanted = stems(ctx.question)
    per_source: list[list[_Pick]] = []
    for rank, sc in enumerate(_sources(ctx)):
        found = [s for s in sentences(without_aliases(sc.chunk.text)) if 20 <= len(s) <= MAX_SENTENCE]
        if not found:
            continue
        if rank == 0:
            # The best passage answers the question most directly: its opening, in its own order.
            opening = [
                (i, s) for i, s in enumerate(found) if sum(len(x) for x in found[: i + 1]) <= FIRST_CHARS
            ]
            per_source.append([_Pick(sc, i, s) for i, s in (opening or [(0, found[0])])])
            continue
        # Sentences sharing most words with the question; the opening sentence when none shares any.
        scored = sorted(enumerate(found), key=lambda p: (-len(wanted & stems(p[1])), p[0]))
        first_i, first_s = next((p for p in scored if wanted & stems(p[1])), scored[0])
        best = [(first_i, first_s)]
        # A second sentence only right beside the first: the citation quotes one contiguous run.
        nxt = [p for p in scored[1:] if abs(p[0] - first_i) == 1 and wanted & stems(p[1])]
        if nxt and len(first_s) + len(nxt[0][1]) < FIRST_CHARS:
            best.append(nxt[0])
        per_source.append([_Pick(sc, i, s) for i, s in best])
    first = per_source[:1]
    rest = [row[rank] for rank in range(PER_PASSAGE) for row in per_source[1:] if rank < len(row)]
    chosen = [p for row in first for p in row] + rest[: max(TOTAL - sum(len(r) for r in first), 2)]
    # Back in source order, and in each source in the order the sentences are written.
    order = {id(row[0].source): n for n, row in enumerate(per_source)}
    return sorted(chosen, key=lambda p: (order[id(p.source)], p.order))


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
    # A fact asked about (a case, a figure) shows the cards it draws on; a general question ('why does
    # feedback matter?') recommends nothing it did not name.
    drawn_on = list(groups) if ctx.intent != "general" else []
    return Rendered(tuple(lines), ctx.methods_of(drawn_on))
