"""The embedded answer backend: builds a cited answer from retrieved passages, no LLM."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Protocol

from assistant.types import Answer, Citation, Lang, MethodFit, ScoredChunk

QUOTE_CHARS = 400


class Generator(Protocol):
    """Writes an answer from the question and the retrieved chunks."""

    def generate(self, question: str, language: Lang, chunks: Sequence[ScoredChunk]) -> Answer:
        """Answer text with [n] markers and the citations they point to."""
        ...


def first_sentences(text: str, max_chars: int = 320) -> str:
    """The opening sentences of a passage, cut at a sentence end where possible."""
    flat = re.sub(r"\s+", " ", re.sub(r"^[-*\d.]+\s+", "", text, flags=re.MULTILINE)).strip()
    if len(flat) <= max_chars:
        return flat
    cut = flat[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 80 else cut.rstrip() + " …"


def make_citation(n: int, scored: ScoredChunk) -> Citation:
    """Citation n for a retrieved chunk."""
    c = scored.chunk
    return Citation(
        n=n,
        chunk_id=c.id,
        doc_id=c.doc_id,
        title=c.title,
        section=c.section,
        url=c.urls[0] if c.urls else "",
        quote=first_sentences(c.text, QUOTE_CHARS),
        licence=c.licence,
    )


_TEXT = {
    "sv": {
        "intro": "Det här säger Metodguidens källor om din fråga:",
        "none": "Jag hittade inget i Metodguidens källor som svarar på frågan. Fråga gärna om metoder för "
        "medborgardialog, till exempel medborgarbudget, medborgarråd eller fokusgrupper.",
        "reason": "Relevant avsnitt: {section}",
    },
    "en": {
        "intro": "Here is what Metodguiden's sources (in Swedish) say about your question:",
        "none": "I found nothing in Metodguiden's sources that answers the question. Ask about methods for "
        "citizen participation, such as participatory budgeting, citizens' assemblies or focus groups.",
        "reason": "Relevant section: {section}",
    },
}


class PassageComposer:
    """Answers with the best passages, each cited, and the methods they come from."""

    def __init__(self, passages: int = 3) -> None:
        self.passages = passages

    def generate(self, question: str, language: Lang, chunks: Sequence[ScoredChunk]) -> Answer:
        """A short cited digest of the top passages."""
        text = _TEXT[language]
        if not chunks:
            return Answer(text=text["none"], language=language, abstained=True)
        citations = [make_citation(n, sc) for n, sc in enumerate(chunks[: self.passages], start=1)]
        lines = [text["intro"], ""]
        for cit, sc in zip(citations, chunks, strict=False):
            heading = f"{cit.title} – {cit.section}" if cit.section else cit.title
            lines.append(f"**{heading}**: {first_sentences(sc.chunk.text)} [{cit.n}]")
            lines.append("")
        methods: dict[str, MethodFit] = {}
        top = chunks[0].score or 1.0
        for sc in chunks:
            c = sc.chunk
            if c.kind == "method" and c.doc_id not in methods:
                methods[c.doc_id] = MethodFit(
                    id=c.doc_id,
                    title=c.title,
                    score=round(sc.score / top, 3),
                    reasons=(text["reason"].format(section=c.section or c.title),),
                )
        return Answer(
            text="\n".join(lines).strip(),
            language=language,
            citations=tuple(citations),
            recommended_methods=tuple(methods.values()),
        )
