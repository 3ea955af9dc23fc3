"""Heading-aware, token-sized splitting of documents into chunks."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from assistant.errors import ConfigError
from assistant.types import Chunk, SourceDocument

if TYPE_CHECKING:
    from assistant.config import Settings

_HEADERS = [("#", "h1"), ("##", "h2"), ("###", "h3")]

# The summary passage ends with the card's other names, so that English questions find it; answers and
# quotes leave them out (see without_aliases).
ALIASES_LEAD = "\n\nAndra namn: "


def without_aliases(text: str) -> str:
    """A summary passage without its trailing list of other names."""
    return text.split(ALIASES_LEAD)[0]


def chunk_id(doc_id: str, section: str, text: str) -> str:
    """Stable id: the same document, section and text always give the same id."""
    digest = hashlib.sha256(f"{doc_id}\x1f{section}\x1f{text}".encode()).hexdigest()
    return f"{doc_id}:{digest[:16]}"


def _require_tokenizer(encoding_name: str) -> None:
    """Stop with a clear message where tiktoken would otherwise try to download its encoding."""
    cache = os.environ.get("TIKTOKEN_CACHE_DIR")
    if not cache:
        return
    from assistant.models import TIKTOKEN_ENCODINGS

    url = TIKTOKEN_ENCODINGS.get(encoding_name, ("", "", ""))[1]
    if url and not (Path(cache) / hashlib.sha1(url.encode()).hexdigest()).exists():
        raise ConfigError(
            f"The tokenizer {encoding_name} is not installed in {cache} (Metodguiden never downloads it).",
            hint="Run `metodguiden models install` with the same --data-dir, or `make setup`.",
        )


@lru_cache(maxsize=8)
def _token_splitter(encoding_name: str, chunk_tokens: int, overlap: int) -> Any:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    _require_tokenizer(encoding_name)

    return RecursiveCharacterTextSplitter.from_tiktoken_encoder(
        encoding_name=encoding_name,
        chunk_size=chunk_tokens,
        chunk_overlap=overlap,
        separators=["\n\n", "\n", ". ", " ", ""],
    )


def split_sections(body: str) -> list[tuple[str, str]]:
    """Split Markdown by headings into (section path, text) pairs, keeping order."""
    from langchain_text_splitters import MarkdownHeaderTextSplitter

    splitter = MarkdownHeaderTextSplitter(headers_to_split_on=_HEADERS, strip_headers=True)
    out: list[tuple[str, str]] = []
    for part in splitter.split_text(body):
        path = " › ".join(str(part.metadata[k]) for _, k in _HEADERS if k in part.metadata)
        text = part.page_content.strip()
        if text:
            out.append((path, text))
    return out


def chunk_document(
    doc: SourceDocument, *, encoding_name: str, chunk_tokens: int, overlap: int
) -> list[Chunk]:
    """Split one document into chunks no longer than `chunk_tokens` tokens."""
    splitter = _token_splitter(encoding_name, chunk_tokens, overlap)
    chunks: list[Chunk] = []
    urls = tuple(s.url for s in doc.sources)
    sections = split_sections(doc.body)
    if doc.summary:
        # The summary is the one-sentence answer to "what is X?": index it as its own passage.
        summary = doc.summary
        if doc.aliases:
            summary += ALIASES_LEAD + ", ".join(doc.aliases) + "."
        sections.insert(0, ("Sammanfattning", summary))
    if doc.kind == "method" and "cost_sek" in doc.attributes:
        # The card's structured fields as text, so reasons drawn from them can be cited and checked.
        from assistant.vocab import key_facts_text

        sections.insert(1, ("Nyckeluppgifter", key_facts_text(doc.attributes)))
    for section, text in sections:
        for piece in splitter.split_text(text):
            piece = piece.strip()
            if not piece:
                continue
            chunks.append(
                Chunk(
                    id=chunk_id(doc.id, section, piece),
                    doc_id=doc.id,
                    text=piece,
                    title=doc.title,
                    section=section,
                    kind=doc.kind,
                    lang=doc.lang,
                    urls=urls,
                    licence=doc.licence,
                    origin=doc.origin,
                    position=len(chunks),
                    imported=doc.imported,
                )
            )
    return _dedupe(chunks)


def _dedupe(chunks: Iterable[Chunk]) -> list[Chunk]:
    seen: set[str] = set()
    out = []
    for c in chunks:
        if c.id not in seen:
            seen.add(c.id)
            out.append(c)
    return out


def chunk_corpus(
    docs: Iterable[SourceDocument], *, encoding_name: str, chunk_tokens: int, overlap: int
) -> list[Chunk]:
    """Chunks of every document, in corpus order."""
    out: list[Chunk] = []
    for doc in docs:
        out += chunk_document(doc, encoding_name=encoding_name, chunk_tokens=chunk_tokens, overlap=overlap)
    return out


def chunk_with(settings: Settings, docs: Iterable[SourceDocument]) -> list[Chunk]:
    """chunk_corpus with the settings' encoding and sizes: the index, the eval baseline and the bench
    must cut the corpus identically for their figures to compare."""
    return chunk_corpus(
        docs,
        encoding_name=settings.encoding_name,
        chunk_tokens=settings.chunk_tokens,
        overlap=settings.chunk_overlap,
    )
