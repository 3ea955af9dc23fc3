"""Citation numbering: [n] markers in order of first use, each quoting the part of its chunk it rests on."""

from __future__ import annotations

import re
from collections.abc import Sequence

from assistant.answer.text import first_sentences, stems
from assistant.chunking import without_aliases
from assistant.types import Citation, ScoredChunk

QUOTE_CHARS = 400


def quote_for(text: str, about: Sequence[str] = (), max_chars: int = QUOTE_CHARS) -> str:
    """The part of a passage to quote: its opening, or, when the sentences citing it are given and the
    passage is longer than a quote, the run of consecutive sentences that shares most words with them."""
    text = without_aliases(text)
    whole = first_sentences(text, 1_000_000)
    if len(whole) <= max_chars or not about:
        return first_sentences(text, max_chars)
    parts = re.split(r"(?<=[.!?])\s+", whole)
    wanted = set().union(*(stems(a) for a in about))
    best, best_score = first_sentences(text, max_chars), -1
    for i in range(len(parts)):
        window = parts[i]
        for nxt in parts[i + 1 :]:
            if len(window) + 1 + len(nxt) > max_chars:
                break
            window += " " + nxt
        score = len(wanted & stems(window))
        if score > best_score:
            best, best_score = window, score
    return best if len(best) <= max_chars else best[:max_chars].rstrip() + " …"


def make_citation(n: int, scored: ScoredChunk, about: Sequence[str] = ()) -> Citation:
    """Citation n for a retrieved chunk, quoting the part that the citing sentences rest on."""
    c = scored.chunk
    return Citation(
        n=n,
        chunk_id=c.id,
        doc_id=c.doc_id,
        title=c.title,
        section=c.section,
        url=c.urls[0] if c.urls else "",
        quote=quote_for(c.text, about),
        licence=c.licence,
    )


class Citations:
    """Numbers chunks in order of first use."""

    def __init__(self) -> None:
        self.items: list[Citation] = []
        self._by_chunk: dict[str, int] = {}
        self._about: dict[int, list[str]] = {}

    def cite(self, scored: ScoredChunk | None, about: str = "") -> str:
        """' [n]' for the chunk (reusing its number), or '' when there is none.

        `about` is the sentence that cites the chunk: the quote then shows the part of a long
        passage that sentence rests on (a card's key facts hold cost, time and target groups far apart).
        """
        if scored is None:
            return ""
        n = self._by_chunk.get(scored.chunk.id)
        if n is None:
            n = len(self.items) + 1
            self._by_chunk[scored.chunk.id] = n
            self.items.append(make_citation(n, scored))
        if about:
            self._about.setdefault(n, []).append(about)
            self.items[n - 1] = make_citation(n, scored, self._about[n])
        return f" [{n}]"
