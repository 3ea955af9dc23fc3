"""Text helpers for every answer: the translation mechanism and joiner (from assistant.messages), one
title helper, and the sentence tools the renderers and citations share."""

from __future__ import annotations

import re

from assistant.messages import DATA_DIR, Labels, Money, Term, Weeks, join, localise, messages, say

__all__ = [
    "DATA_DIR",
    "Labels",
    "Money",
    "Term",
    "Weeks",
    "first_sentences",
    "join",
    "localise",
    "messages",
    "say",
    "sentences",
    "short_title",
    "stems",
]


def short_title(title: str) -> str:
    """A title without its parenthesis: 'Medborgarråd (citizens' assembly)' → 'Medborgarråd'."""
    return re.sub(r"\s*\(.*?\)", "", title).strip()


def first_sentences(text: str, max_chars: int = 320) -> str:
    """The opening sentences of a passage, without list markup, cut at a sentence end where possible."""
    flat = re.sub(r"^\s*(?:[-*]|\d+\.)\s+", "", text, flags=re.MULTILINE)
    flat = re.sub(r"\*\*([^*\n]+?)[.:]\*\*", r"\1:", flat)  # "**Mandat.** Text" → "Mandat: Text"
    flat = re.sub(r"\*\*|__|`", "", flat)
    flat = re.sub(r"\s+", " ", flat).strip()
    if len(flat) <= max_chars:
        return flat
    cut = flat[:max_chars]
    end = max(cut.rfind(". "), cut.rfind("! "), cut.rfind("? "))
    return cut[: end + 1] if end > 80 else cut.rstrip() + " …"


def sentences(text: str) -> list[str]:
    """A passage's sentences, flattened like `first_sentences`."""
    whole = first_sentences(text, 1_000_000)
    return [s for s in re.split(r"(?<=[.!?])\s+", whole) if s]


def stems(text: str) -> set[str]:
    """Crude five-letter stems of the longer words: enough to tell which sentences share a topic."""
    return {w[:5] for w in re.findall(r"\w{4,}", text.lower())}
